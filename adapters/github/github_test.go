package github_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/github"
	"github.com/attune-dao/attune/adapters/github/githubtest"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/adapters/sinktest"
)

const token = "github_pat_11ABCDEFG0test0token0value"

func config(api string) *github.Config {
	return &github.Config{Repo: "example-dao/governance", Token: adapters.Secret{Env: "GITHUB_TOKEN"}, Labels: []string{"governance"}, APIURL: api}
}

func newSink(t *testing.T, c *github.Config, tok string, o httpx.Options) *github.Sink {
	t.Helper()
	s, err := github.Build(c, adapters.Env{Getenv: sinktest.Getenv(map[string]string{"GITHUB_TOKEN": tok})}, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The issue holds the whole proposal and the key, with the headers the
// REST API asks for; Find finds it by the key and skips pull requests.
func TestPublishOpensAnIssue(t *testing.T) {
	gh, srv := githubtest.New(token)
	defer srv.Close()
	s := newSink(t, config(srv.URL), token, httpx.Options{})
	p := sinktest.Publication(t)
	gh.AddPullRequest("Bump the deps", "mentions "+p.Marker()+" in passing")
	if _, found, err := s.Find(context.Background(), p); found || err != nil {
		t.Fatalf("found %v, %v before publishing (a pull request holds the key)", found, err)
	}
	r, err := s.Publish(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	issues := gh.Issues()
	if len(issues) != 1 || gh.Calls("POST issues") != 1 {
		t.Fatalf("%d issues", len(issues))
	}
	is := issues[0]
	if is.Title != p.Proposal.Title || !strings.HasPrefix(is.Body, p.Proposal.Post[:200]) || !strings.Contains(is.Body, "## Appendix") ||
		!strings.HasSuffix(is.Body, "\n\n<!-- attune:"+p.CycleID+" -->\n") || len(is.Labels) != 1 {
		t.Errorf("issue %q labels %v, body ends %q", is.Title, is.Labels, is.Body[len(is.Body)-60:])
	}
	h := gh.Header()
	if h.Get("Authorization") != "Bearer "+token || h.Get("Accept") != "application/vnd.github+json" || h.Get("X-GitHub-Api-Version") != "2022-11-28" {
		t.Errorf("headers %v", h)
	}
	if r.ID != "43" || r.URL != "https://github.com/example-dao/governance/issues/43" {
		t.Errorf("receipt %+v", r)
	}
	got, found, err := s.Find(context.Background(), p)
	if !found || err != nil || got.ID != r.ID || got.URL != r.URL {
		t.Errorf("Find = %+v %v %v", got, found, err)
	}
}

// GitHub's errors say what it said and what to do, never the token.
func TestErrors(t *testing.T) {
	p := sinktest.Publication(t)
	for _, c := range []struct {
		name   string
		setup  func(gh *githubtest.Server)
		tok    string
		repo   string
		status int
		want   []string
	}{
		{"bad credentials", nil, "ghp_revoked", "", 401, []string{"Bad credentials", "$GITHUB_TOKEN"}},
		{"read-only token", func(gh *githubtest.Server) { gh.ReadOnly = true }, token, "", 403, []string{"Resource not accessible by personal access token", "Issues: read and write"}},
		{"no such repository", nil, token, "example-dao/gov", 404, []string{"Not Found", "does not exist, or the token cannot see it"}},
		{"issues off", func(gh *githubtest.Server) { gh.IssuesOff = true }, token, "", 410, []string{"Issues are disabled for this repo", "Settings > Features > Issues"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh, srv := githubtest.New(token)
			defer srv.Close()
			if c.setup != nil {
				c.setup(gh)
			}
			cfg := config(srv.URL)
			if c.repo != "" {
				cfg.Repo = c.repo
			}
			_, err := newSink(t, cfg, c.tok, httpx.Options{}).Publish(context.Background(), p)
			var he *httpx.Error
			if !errors.As(err, &he) || he.Status != c.status || !adapters.IsNotSent(err) || gh.Calls("POST issues") != 1 || strings.Contains(err.Error(), c.tok) {
				t.Fatalf("err %v after %d requests", err, gh.Calls("POST issues"))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}

	t.Run("body too long", func(t *testing.T) {
		_, srv := githubtest.New(token)
		defer srv.Close()
		long := *p
		prop := *p.Proposal
		prop.Markdown = strings.Repeat("x", 70000)
		long.Proposal = &prop
		_, err := newSink(t, config(srv.URL), token, httpx.Options{}).Publish(context.Background(), &long)
		if err == nil || !strings.Contains(err.Error(), "HTTP 422: Validation Failed: body is too long (maximum is 65536 characters)") {
			t.Errorf("err %v", err)
		}
	})
}

// Rate limits are waited out as GitHub asks: the secondary limit's
// retry-after, the primary's reset; a 500 is retried.
func TestRateLimitsAreWaitedOut(t *testing.T) {
	gh, srv := githubtest.New(token)
	defer srv.Close()
	now := time.Date(2026, 11, 24, 21, 36, 51, 0, time.UTC)
	gh.Push(githubtest.SecondaryRateLimit, githubtest.PrimaryRateLimit(now.Add(42*time.Second)), githubtest.ServerError)
	var sl sinktest.Sleeps
	s, err := github.Build(config(srv.URL), adapters.Env{Getenv: sinktest.Getenv(map[string]string{"GITHUB_TOKEN": token}), Now: func() time.Time { return now }},
		httpx.Options{Sleep: sl.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(context.Background(), sinktest.Publication(t)); err != nil {
		t.Fatal(err)
	}
	if len(sl.Waits()) != 3 || sl.Waits()[0] != time.Minute || sl.Waits()[1] != 42*time.Second || len(gh.Issues()) != 1 || gh.Calls("POST issues") != 4 {
		t.Errorf("waits %v, %d issues after %d requests", sl.Waits(), len(gh.Issues()), gh.Calls("POST issues"))
	}
	// Without retries the limit is reported with the wait.
	none := 0
	c := config(srv.URL)
	c.MaxRetries = &none
	gh.Push(githubtest.SecondaryRateLimit)
	_, err = newSink(t, c, token, httpx.Options{}).Publish(context.Background(), sinktest.Publication(t))
	if err == nil || !strings.Contains(err.Error(), "secondary rate limit") || !strings.Contains(err.Error(), "publish again after 1m0s") || !adapters.IsTransient(err) {
		t.Errorf("err %v", err)
	}
}

// An answer lost after the issue was opened leaves it unknown whether
// anything was published; Find then finds the issue.
func TestLostAnswerIsFound(t *testing.T) {
	gh, srv := githubtest.New(token)
	defer srv.Close()
	gh.LoseAnswers = 1
	none := 0
	c := config(srv.URL)
	c.MaxRetries = &none
	s := newSink(t, c, token, httpx.Options{})
	p := sinktest.Publication(t)
	_, err := s.Publish(context.Background(), p)
	if err == nil || adapters.IsNotSent(err) || !adapters.IsTransient(err) {
		t.Fatalf("err %v", err)
	}
	if r, found, err := s.Find(context.Background(), p); !found || err != nil || r.ID != "42" {
		t.Errorf("Find = %+v %v %v", r, found, err)
	}
	// A request that hangs times out.
	gh.Push(sinktest.Reply{Hang: true})
	_, err = newSink(t, c, token, httpx.Options{Timeout: 50 * time.Millisecond}).Publish(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "no whole answer within 50ms") {
		t.Errorf("timeout: %v", err)
	}
}

func TestPreview(t *testing.T) {
	gh, srv := githubtest.New(token)
	defer srv.Close()
	out, err := newSink(t, config(srv.URL), token, httpx.Options{}).Preview(context.Background(), sinktest.Publication(t))
	if err != nil || len(out) != 1 || out[0].Target != "POST "+srv.URL+"/repos/example-dao/governance/issues" ||
		!strings.Contains(string(out[0].Body), `"labels": [`) || strings.Contains(string(out[0].Body), token) || gh.Calls("POST issues") != 0 {
		t.Errorf("preview %+v %v", out, err)
	}
}

func TestCheck(t *testing.T) {
	if errs := config("").Check(); len(errs) != 0 {
		t.Fatalf("good config: %v", errs)
	}
	for field, mutate := range map[string]func(c *github.Config){
		"repo":      func(c *github.Config) { c.Repo = "governance" },
		"token":     func(c *github.Config) { c.Token = adapters.Secret{} },
		"api_url":   func(c *github.Config) { c.APIURL = "api.github.com" },
		"labels[0]": func(c *github.Config) { c.Labels = []string{""} },
	} {
		c := *config("")
		mutate(&c)
		if errs := c.Check(); len(errs) != 1 || errs[0].Field != field {
			t.Errorf("%s: Check() = %v", field, errs)
		}
	}
}
