package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/service"
	"github.com/attune-dao/attune/store"
)

// chromium finds a Chromium or Chrome binary. In CI (CI=true), where
// .ci/run installs Debian's chromium, a missing browser fails the test;
// elsewhere the test is skipped, saying so.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium binary on PATH; .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("no chromium binary on PATH (apt-get install -y chromium); skipping the browser test")
	return ""
}

// chrome is a headless Chromium driven by chromedp, for one test.
type chrome struct {
	t   *testing.T
	ctx context.Context
}

// newChrome starts the browser; it stops when the test ends.
func newChrome(t *testing.T) *chrome {
	t.Helper()
	bin := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // the CI machine runs as root
		chromedp.IgnoreCertErrors,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1600),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first action starts the browser, on a context without a
	// deadline (a deadline there would stop the browser); the rest run
	// under one.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTime)
	return &chrome{t: t, ctx: ctx}
}

// text is the text of the element sel selects.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

// do runs steps, failing the test with what they were for.
func (c *chrome) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

// The desk end to end in a real headless Chromium: a steward signs in,
// opens a proposal, approves it, and the publish hook receives it and
// the page shows what was published; a form stripped of its CSRF token
// is refused; a viewer is shown no review form and a form forged into
// the page is refused.
func TestDeskInChromium(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{Version: "e2e"})
	ts := httptest.NewTLSServer(f.srv)
	t.Cleanup(ts.Close)
	br := newChrome(t)
	ctx, text, do := br.ctx, br.text, br.do

	// A steward signs in on the way to the proposal, reads it, approves.
	change := f.cycles["change"].ID
	do("sign in as a steward",
		chromedp.Navigate(fmt.Sprintf("%s/cycles/%d", ts.URL, change)),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), stewardSecret),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("review")),
	)
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if title := text("h1"); url != fmt.Sprintf("%s/cycles/%d", ts.URL, change) || !strings.Contains(title, "Compound") {
		t.Errorf("after sign-in the browser is at %s, titled %q", url, title)
	}
	do("approve",
		chromedp.WaitVisible(chromedp.CSS("#post table")),
		chromedp.WaitVisible(chromedp.CSS("#chart-convergence img")),
		chromedp.SendKeys(chromedp.ID("approve-comment"), "The data support a lower threshold."),
		chromedp.Click(chromedp.CSS("button.approve")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if notice, published := text(".notice"), text("table.publications"); notice != "Approved and published." ||
		!strings.Contains(published, "forum-draft") || !strings.Contains(published, "attune:Compound") {
		t.Errorf("after approval: notice %q, published %q", notice, published)
	}
	if len(f.pub.calls) != 1 || f.pub.calls[0] != "Compound/sam" {
		t.Fatalf("the publish hook received %v", f.pub.calls)
	}
	if c, _ := f.st.Cycle(context.Background(), change); c.State != store.Published || c.Review == nil || c.Review.Comment != "The data support a lower threshold." {
		t.Fatalf("the store has cycle %d %s", change, c.State)
	}
	// The charts loaded as images: the browser decoded each SVG.
	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`Array.from(document.querySelectorAll('figure img')).map(i => i.naturalWidth)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(widths) != 6 {
		t.Errorf("%d charts on the page; want 6", len(widths))
	}
	for i, w := range widths {
		if w == 0 {
			t.Errorf("chart %d did not load", i)
		}
	}

	// A form whose CSRF token is removed is refused, and changes nothing.
	other := f.addChange(t).ID
	do("approve without the CSRF token",
		chromedp.Navigate(fmt.Sprintf("%s/cycles/%d", ts.URL, other)),
		chromedp.WaitVisible(chromedp.ID("approve-comment")),
		chromedp.SetAttributeValue(chromedp.CSS("form.decide input[name=csrf]"), "value", ""),
		chromedp.SendKeys(chromedp.ID("approve-comment"), "no token"),
		chromedp.Click(chromedp.CSS("button.approve")),
		chromedp.WaitVisible(chromedp.CSS(".alert")),
	)
	if refusal := text(".alert"); !strings.Contains(refusal, "no valid CSRF token") {
		t.Errorf("the refusal says %q", refusal)
	}
	if c, _ := f.st.Cycle(context.Background(), other); c.State != store.PendingReview {
		t.Fatalf("a refused form moved cycle %d to %s", other, c.State)
	}

	// Signing out, then in as a viewer: no review form; a form forged
	// into the page with the viewer's own CSRF token is refused.
	do("sign out, and in as a viewer",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.Click(chromedp.CSS("form.signout button")),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), viewerSecret),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.CSS(".who")),
	)
	if who := text(".who"); who != "vera (viewer)" {
		t.Errorf("signed in as %q", who)
	}
	do("open a proposal", chromedp.Navigate(fmt.Sprintf("%s/cycles/%d", ts.URL, other)), chromedp.WaitVisible(chromedp.ID("review")))
	forms, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("form.decide"), chromedp.AtLeast(0)))
	if err != nil || len(forms) != 0 {
		t.Errorf("a viewer is shown %d review forms (%v)", len(forms), err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const f = document.createElement('form');
		f.method = 'post'; f.action = '/cycles/%d/approve';
		for (const [k, v] of [['csrf', document.querySelector('form.signout input[name=csrf]').value], ['comment', 'viewer']]) {
			const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
		}
		document.body.appendChild(f); f.submit(); return true;
	})()`, other))); err != nil {
		t.Fatal(err)
	}
	do("wait for the answer", chromedp.WaitVisible(chromedp.CSS(".alert")))
	if refusal := text(".alert"); !strings.Contains(refusal, "Only a steward may do this") {
		t.Errorf("the viewer's approval: %q", refusal)
	}
	if c, _ := f.st.Cycle(context.Background(), other); c.State != store.PendingReview || len(f.pub.calls) != 1 {
		t.Fatalf("the viewer's form moved cycle %d to %s", other, c.State)
	}
}

// smallCycle keeps a real cycle of the example DAO short enough for
// -race (the service's tests use the same search).
var smallCycle = map[string]any{
	"optimizer.trials": 24, "optimizer.replications": 3, "optimizer.validation": 6,
	"optimizer.batch": 4, "calibration.replications": 32,
	"dao.options.horizon_days": 90.0, "dao.options.max_agents": 500.0,
}

// exampleService is a service running the example DAO
// (configs/examples) with a small search, its cycles under dir/out, and
// the extra config overrides.
func exampleService(t *testing.T, st store.Store, dir string, extra map[string]any) *service.Service {
	t.Helper()
	for _, name := range []string{"attune.yaml", "metrics.json"} {
		b, err := os.ReadFile(filepath.Join("..", "configs", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	over := map[string]any{"out": filepath.Join(dir, "out")}
	maps.Copy(over, smallCycle)
	maps.Copy(over, extra)
	cfg, err := config.Load(config.LoadOptions{File: filepath.Join(dir, "attune.yaml"), Overrides: over, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Options{Store: st, DAOs: []service.DAO{{Config: cfg, File: "attune.yaml"}}, Actor: "serve@e2e",
		Cycle: loop.Options{Version: "e2e"}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// The whole way from the service to a sink, in a real headless
// Chromium: the service drafts a cycle of the example DAO, whose config
// names a markdown sink; a steward signs in on the desk, opens the
// proposal and approves it; the service publishes it through loop's
// publishing, and the markdown sink writes the proposal's post, once:
// publishing again, by the API, a reconcile or loop.Publish itself,
// writes nothing more.
func TestDeskPublishesToMarkdownInChromium(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	posts := filepath.Join(dir, "posts")
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "attune.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := exampleService(t, st, dir, map[string]any{"sinks": fmt.Sprintf("[{type: markdown, name: posts, dir: %q}]", posts)})
	if err := svc.Reconcile(ctx, "Example DAO"); err != nil {
		t.Fatal(err)
	}
	cs, err := st.Cycles(ctx, store.Filter{States: []store.State{store.PendingReview}})
	if err != nil || len(cs) != 1 || !cs[0].Change {
		t.Fatalf("the service's cycles: %+v %v; want one pending review that recommends a change", cs, err)
	}
	c, err := st.Cycle(ctx, cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := store.DecodeProposal(c.Proposal)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Store: st, Runner: svc, Tokens: testTokens(), SessionKey: []byte("a-session-key-of-at-least-32-bytes-for-tests"),
		Publish: func(ctx context.Context, c store.Cycle, _ string) error { return svc.Publish(ctx, c.ID) }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(ts.Close)

	br := newChrome(t)
	br.do("sign in as a steward and open the proposal",
		chromedp.Navigate(fmt.Sprintf("%s/cycles/%d", ts.URL, c.ID)),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), stewardSecret),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("review")),
	)
	if h1 := br.text("h1"); h1 != doc.Title {
		t.Errorf("the proposal page is titled %q, want %q", h1, doc.Title)
	}
	br.do("approve",
		chromedp.WaitVisible(chromedp.CSS("#post table")),
		chromedp.SendKeys(chromedp.ID("approve-comment"), "Agreed on the forum."),
		chromedp.Click(chromedp.CSS("button.approve")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if notice, published := br.text(".notice"), br.text("table.publications"); notice != "Approved and published." || !strings.Contains(published, "posts") {
		t.Errorf("after approval: notice %q, published %q", notice, published)
	}

	// The sink wrote the proposal's post, as the steward approved it.
	post := filepath.Join(posts, doc.CycleID, "post.md")
	written, err := os.ReadFile(post)
	if err != nil {
		t.Fatalf("the markdown sink wrote no post: %v", err)
	}
	if !strings.HasPrefix(string(written), strings.TrimRight(doc.Post, "\n")) || !strings.Contains(string(written), "attune:"+doc.CycleID) {
		t.Errorf("post.md is not the proposal's post:\n%.300s", written)
	}
	if got, _ := st.Cycle(ctx, c.ID); got.State != store.Published || len(got.Publications) != 1 || got.Review.Reviewer != "sam" {
		t.Fatalf("the store has cycle %d %s with %d publications", c.ID, got.State, len(got.Publications))
	}
	approval, err := os.ReadFile(filepath.Join(c.Dir, loop.ApprovalFile))
	if err != nil || !strings.Contains(string(approval), `"approver": "sam"`) {
		t.Errorf("approval.json does not name the steward: %s %v", approval, err)
	}

	// Publishing again writes nothing: the API refuses a published
	// cycle, a reconcile finds nothing to publish, and loop.Publish
	// finds the sink's record.
	fi, err := os.Stat(post)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/proposals/%d/publish", ts.URL, c.ID), nil)
	req.Header.Set("Authorization", "Bearer "+stewardSecret)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("publishing a published cycle again: %d", resp.StatusCode)
	}
	if err := svc.Reconcile(ctx, "Example DAO"); err != nil {
		t.Fatal(err)
	}
	again, err := loop.Publish(ctx, c.Dir, loop.PublishOptions{Approver: "sam", Version: "e2e"})
	if err != nil || len(again.Sinks) != 1 || again.Sinks[0].Status != schema.StatusAlreadyPublished {
		t.Errorf("loop.Publish again: %+v %v", again, err)
	}
	entries, err := os.ReadDir(posts)
	if err != nil {
		t.Fatal(err)
	}
	fi2, err := os.Stat(post)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Errorf("publishing again wrote: %d posts, post.md modified %v -> %v", len(entries), fi.ModTime(), fi2.ModTime())
	}
	if got, _ := st.Cycle(ctx, c.ID); len(got.Publications) != 1 {
		t.Errorf("%d publications recorded", len(got.Publications))
	}
}
