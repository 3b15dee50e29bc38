package snapshot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
)

// The hub's 429 body (snapshot-hub src/helpers/rateLimit.ts, sendError).
const tooMany = `{"error":"unauthorized","error_description":"too many requests, refer to https://docs.snapshot.box/tools/api/api-keys#limits"}`

// A gateway's 502 page, as a proxy in front of the hub sends it.
const badGateway = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"

// on answers the requests of operation op with f, the others normally.
func on(op string, f func(n int, w http.ResponseWriter, r *hubRequest) bool) func(int, http.ResponseWriter, *hubRequest) bool {
	return func(n int, w http.ResponseWriter, r *hubRequest) bool {
		return r.OperationName == op && f(n, w, r)
	}
}

// once answers the first request of op with f.
func once(op string, f func(int, http.ResponseWriter, *hubRequest) bool) func(int, http.ResponseWriter, *hubRequest) bool {
	done := false
	return on(op, func(n int, w http.ResponseWriter, r *hubRequest) bool {
		if done {
			return false
		}
		done = true
		return f(n, w, r)
	})
}

func ops(h *fakeHub, op string) int {
	n := 0
	for _, r := range h.log() {
		if r.OperationName == op {
			n++
		}
	}
	return n
}

func TestReadFailures(t *testing.T) {
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	cases := []struct {
		name   string
		space  string
		before func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool
		cfg    func(*Config)
		want   []string
		// transient: a later run may succeed; attempts: requests of op
		// sent (retries included).
		transient bool
		op        string
		attempts  int
	}{{
		name: "invalid query, HTTP 400",
		before: func(h *fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Proposals", func(_ int, w http.ResponseWriter, r *hubRequest) bool {
				bad := *r
				bad.Query = strings.Replace(r.Query, "scores_state", "scores_stat", 1)
				status, body := h.answer(&bad)
				w.WriteHeader(status)
				_, _ = w.Write(body)
				return true
			})
		},
		want: []string{"snapshot source, space ens.eth", "proposals page 1 (created_gte 0, skip 0)", "HTTP 400",
			`Cannot query field \"scores_stat\" on type \"Proposal\"`, "refused attune's query", "please report"},
		op: "Proposals", attempts: 1,
	}, {
		name: "limit error, HTTP 200 with errors",
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Votes", always(http.StatusOK, jsonHeader,
				`{"errors":[{"message":"The `+"`skip`"+` argument must not be greater than 5000","locations":[{"line":2,"column":3}],"path":["votes"]}],"data":{"votes":null}}`))
		},
		want: []string{"votes on proposals 1 to 6 of 6, page 1", "HTTP 200 with errors", "The `skip` argument must not be greater than 5000"},
		op:   "Votes", attempts: 1,
	}, {
		name: "429 until the retries run out",
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return always(http.StatusTooManyRequests, http.Header{"Retry-After": {"3"}, "Content-Type": {"application/json"}}, tooMany)
		},
		want:      []string{"reading the space's settings", "HTTP 429", "after 5 attempts", "lower per_minute, set api_key, or run again later", "too many requests"},
		transient: true, op: "Space", attempts: 5,
	}, {
		name: "502 page until the retries run out",
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Proposals", always(http.StatusBadGateway, http.Header{"Content-Type": {"text/html"}}, badGateway))
		},
		want:      []string{"proposals page 1", "HTTP 502", "502 Bad Gateway", "run again later"},
		transient: true, op: "Proposals", attempts: 5,
	}, {
		name: "malformed JSON",
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Proposals", always(http.StatusOK, jsonHeader, `{"data":{"proposals":[{"id":"0x71`))
		},
		want: []string{"proposals page 1", "not a GraphQL answer", "unexpected end of JSON input", "check base_url"},
		op:   "Proposals", attempts: 1,
	}, {
		name: "data without the field asked for",
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Votes", always(http.StatusOK, jsonHeader, `{"data":{}}`))
		},
		want: []string{"votes on proposals 1 to 6 of 6, page 1", "its data has no votes"},
		op:   "Votes", attempts: 1,
	}, {
		name: "partial answer: data and errors",
		before: func(h *fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Votes", func(_ int, w http.ResponseWriter, r *hubRequest) bool {
				_, body := h.answer(r)
				body = append(body[:len(body)-1], `,"errors":[{"message":"request failed","path":["votes"]}]}`...)
				_, _ = w.Write(body)
				return true
			})
		},
		want:      []string{"votes on proposals 1 to 6 of 6, page 1", "request failed", "the hub failed to run the query: run again later"},
		transient: true, op: "Votes", attempts: 1,
	}, {
		name: "body cut short",
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Proposals", func(_ int, w http.ResponseWriter, _ *hubRequest) bool {
				w.Header().Set("Content-Length", "5000")
				_, _ = w.Write([]byte(`{"data":{"proposals":[`))
				return true
			})
		},
		want:      []string{"proposals page 1", "unexpected EOF", "after 5 attempts", "run again later"},
		transient: true, op: "Proposals", attempts: 5,
	}, {
		name: "no answer in time",
		cfg:  func(c *Config) { c.Timeout = "50ms" },
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Space", func(_ int, _ http.ResponseWriter, r *hubRequest) bool {
				time.Sleep(150 * time.Millisecond)
				return true
			})
		},
		want:      []string{"reading the space's settings", "no whole answer within 50ms", "run again later"},
		transient: true, op: "Space", attempts: 5,
	}, {
		name: "not the hub's endpoint",
		before: func(*fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return always(http.StatusNotFound, http.Header{"Content-Type": {"text/plain"}}, "404 page not found")
		},
		want: []string{"reading the space's settings", "HTTP 404", "check base_url", "/graphql"},
		op:   "Space", attempts: 1,
	}, {
		name:  "unknown space",
		space: "nope.eth",
		want:  []string{"space nope.eth: reading the space's settings", `the hub has no space "nope.eth"`, "check space"},
		op:    "Space", attempts: 1,
	}, {
		name: "a vote with a choice out of range",
		before: func(h *fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Votes", func(_ int, w http.ResponseWriter, r *hubRequest) bool {
				_, body := h.answer(r)
				body = []byte(strings.Replace(string(body), `"choice":1`, `"choice":[1,2]`, 1))
				_, _ = w.Write(body)
				return true
			})
		},
		want: []string{"votes on proposals 1 to 6 of 6, page 1", "its choice is not a number from 1 to 3"},
		op:   "Votes", attempts: 1,
	}, {
		name: "a vote without voting power",
		before: func(h *fakeHub) func(int, http.ResponseWriter, *hubRequest) bool {
			return on("Votes", func(_ int, w http.ResponseWriter, r *hubRequest) bool {
				_, body := h.answer(r)
				i := strings.Index(string(body), `"vp":`)
				j := i + strings.Index(string(body[i:]), ",")
				body = append(body[:i:i], append([]byte(`"vp":null`), body[j:]...)...)
				_, _ = w.Write(body)
				return true
			})
		},
		want: []string{"votes on proposals 1 to 6 of 6, page 1", "has no voting power (vp)"},
		op:   "Votes", attempts: 1,
	}, {
		name: "more votes than max_votes",
		cfg:  func(c *Config) { c.MaxVotes = 2000 },
		want: []string{"reading the votes", "the 6 proposals to count hold 2799 votes, more than max_votes (2000)", "set since"},
		op:   "Votes", attempts: 0,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hub, _ := ensHub(t)
			if c.before != nil {
				hub.before = c.before(hub)
			}
			cfg := baseConfig("ens.eth")
			if c.space != "" {
				cfg.Space = c.space
			}
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			src := serve(t, hub, cfg, adapters.Env{})
			data, err := src.Read(context.Background())
			if err == nil || data != nil {
				t.Fatalf("Read gave %v, %v; want only an error", data, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if adapters.IsTransient(err) != c.transient {
				t.Errorf("transient %v; want %v", adapters.IsTransient(err), c.transient)
			}
			if got := ops(hub, c.op); got != c.attempts {
				t.Errorf("%d %s requests; want %d", got, c.op, c.attempts)
			}
		})
	}
}

// TestRetries reads through a 429 (waiting what Retry-After asks) and a
// 502 page.
func TestRetries(t *testing.T) {
	hub, _ := ensHub(t)
	throttled := once("Proposals", always(http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, tooMany))
	gateway := once("Votes", always(http.StatusBadGateway, nil, badGateway))
	hub.before = func(n int, w http.ResponseWriter, r *hubRequest) bool {
		return throttled(n, w, r) || gateway(n, w, r)
	}
	src := serve(t, hub, baseConfig("ens.eth"), adapters.Env{})
	data, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(data.History.Votes) != 2799 {
		t.Errorf("%d votes; want 2799", len(data.History.Votes))
	}
	if len(src.waits) != 2 || src.waits[0] != 7*time.Second || src.waits[1] <= 0 || src.waits[1] > httpx.DefaultBaseDelay {
		t.Errorf("waits %v; want Retry-After's 7s, then a backoff within %v", src.waits, httpx.DefaultBaseDelay)
	}
	if ops(hub, "Proposals") != 2 || ops(hub, "Votes") != 4 {
		t.Errorf("%d proposals and %d votes requests; want 2 and 4", ops(hub, "Proposals"), ops(hub, "Votes"))
	}
}

func TestAPIKey(t *testing.T) {
	hub, _ := ensHub(t)
	hub.key = "k-5e1f"
	cfg := baseConfig("ens.eth")
	cfg.APIKey = adapters.Secret{Env: "SNAPSHOT_API_KEY"}
	cfg.PerMinute = 300 // allowed with a key
	env := adapters.Env{Getenv: func(k string) string {
		if k == "SNAPSHOT_API_KEY" {
			return "k-5e1f"
		}
		return ""
	}}
	if _, err := serve(t, hub, cfg, env).Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range hub.log() {
		if r.Header.Get("X-Api-Key") != "k-5e1f" {
			t.Fatalf("a request went without the key: %v", r.Header)
		}
	}

	// A wrong key: the hub's 401.
	wrong := env
	wrong.Getenv = func(string) string { return "k-0000" }
	_, err := serve(t, hub, cfg, wrong).Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "check api_key") || !strings.Contains(err.Error(), "invalid api key") {
		t.Fatalf("err %v; want the 401 explained", err)
	}
	if strings.Contains(err.Error(), "k-0000") {
		t.Fatal("the error shows the key")
	}

	// An unset variable: no source.
	_, err = cfg.NewSource(adapters.Env{})
	if !errors.Is(err, adapters.ErrNoSecret) || !strings.Contains(err.Error(), "SNAPSHOT_API_KEY") || !strings.Contains(err.Error(), "api_key") {
		t.Fatalf("err %v; want the variable named", err)
	}
}
