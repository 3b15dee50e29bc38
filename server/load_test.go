package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/oracle"
)

// BenchmarkProposalReads is the desk's load test: 32 clients read the
// proposal page (HTML, a steward's session) and the API's cycle and
// proposal documents (a viewer's token) in turn, b.N requests in all,
// against the server on a SQLite store over HTTP. In "cycle-running",
// real cycles (the embedded default's Compound history, a 48-trial
// search) run one after another on every core meanwhile, as attune serve
// runs them beside the desk. It reports requests per second and the
// latency percentiles; docs/BENCHMARKS.md records a run:
//
//	go test -run '^$' -bench ProposalReads -benchtime 20000x ./server
func BenchmarkProposalReads(b *testing.B) {
	for _, busy := range []bool{false, true} {
		name := "idle"
		if busy {
			name = "cycle-running"
		}
		b.Run(name, func(b *testing.B) { benchReads(b, busy) })
	}
}

func benchReads(b *testing.B, busy bool) {
	// The log at Info, as attune serve's: reads are not logged.
	f := newFixture(b, backends()[0].dsn(b), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(f.srv)
	defer ts.Close()
	tok, _ := f.srv.tokens.byHolder("sam")
	cookie, _ := f.srv.sessions.issue(tok)
	id := f.cycles["change"].ID
	type target struct {
		path, auth, cookie string
	}
	targets := []target{
		{fmt.Sprintf("/cycles/%d", id), "", sessionCookie + "=" + cookie},
		{fmt.Sprintf("/api/v1/cycles/%d", id), "Bearer " + viewerSecret, ""},
		{fmt.Sprintf("/api/v1/proposals/%d", id), "Bearer " + viewerSecret, ""},
	}
	// Warm the page cache, as a running desk's is.
	for _, tg := range targets {
		if status := get(b, ts.Client(), ts.URL, tg.path, tg.auth, tg.cookie); status != 200 {
			b.Fatalf("%s: %d", tg.path, status)
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	var cycles atomic.Int64
	var bg sync.WaitGroup
	if busy {
		cfg, err := config.Load(config.LoadOptions{Overrides: map[string]any{
			"optimizer.trials": 48, "optimizer.replications": 4, "optimizer.validation": 8, "out": b.TempDir(),
		}, Env: []string{}})
		if err != nil {
			b.Fatal(err)
		}
		bg.Go(func() {
			for ctx.Err() == nil {
				if _, err := loop.Run(ctx, cfg, oracle.Template{}, loop.Options{Version: "bench", Workers: 1}); err == nil {
					cycles.Add(1)
				}
			}
		})
		time.Sleep(2 * time.Second) // the cycle is past reading its inputs
	}

	const clients = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	lat := make([][]time.Duration, clients)
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				tg := targets[n%int64(len(targets))]
				t0 := time.Now()
				if get(b, client, ts.URL, tg.path, tg.auth, tg.cookie) != 200 {
					failed.Add(1)
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	bg.Wait()
	if failed.Load() > 0 {
		b.Fatalf("%d requests failed", failed.Load())
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	if busy {
		b.ReportMetric(float64(cycles.Load()), "cycles")
	}
}

// get makes one request and drains the answer.
func get(b *testing.B, c *http.Client, base, path, auth, cookie string) int {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		b.Error(err)
		return 0
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
