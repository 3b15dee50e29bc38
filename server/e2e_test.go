package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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

// The desk end to end in a real headless Chromium: a steward signs in,
// opens a proposal, approves it, and the publish hook receives it and
// the page shows what was published; a form stripped of its CSRF token
// is refused; a viewer is shown no review form and a form forged into
// the page is refused.
func TestDeskInChromium(t *testing.T) {
	bin := chromium(t)
	f := newFixture(t, backends()[0].dsn(t), Options{Version: "e2e"})
	ts := httptest.NewTLSServer(f.srv)
	t.Cleanup(ts.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // the CI machine runs as root
		chromedp.IgnoreCertErrors,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1600),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first action starts the browser, on a context without a
	// deadline (a deadline there would stop the browser); the rest run
	// under one.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTime()
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

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
	lido := f.cycles["lido"].ID
	do("approve without the CSRF token",
		chromedp.Navigate(fmt.Sprintf("%s/cycles/%d", ts.URL, lido)),
		chromedp.WaitVisible(chromedp.ID("approve-comment")),
		chromedp.SetAttributeValue(chromedp.CSS("form.decide input[name=csrf]"), "value", ""),
		chromedp.SendKeys(chromedp.ID("approve-comment"), "no token"),
		chromedp.Click(chromedp.CSS("button.approve")),
		chromedp.WaitVisible(chromedp.CSS(".alert")),
	)
	if refusal := text(".alert"); !strings.Contains(refusal, "no valid CSRF token") {
		t.Errorf("the refusal says %q", refusal)
	}
	if c, _ := f.st.Cycle(context.Background(), lido); c.State != store.PendingReview {
		t.Fatalf("a refused form moved cycle %d to %s", lido, c.State)
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
	do("open a proposal", chromedp.Navigate(fmt.Sprintf("%s/cycles/%d", ts.URL, lido)), chromedp.WaitVisible(chromedp.ID("review")))
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
	})()`, lido))); err != nil {
		t.Fatal(err)
	}
	do("wait for the answer", chromedp.WaitVisible(chromedp.CSS(".alert")))
	if refusal := text(".alert"); !strings.Contains(refusal, "Only a steward may do this") {
		t.Errorf("the viewer's approval: %q", refusal)
	}
	if c, _ := f.st.Cycle(context.Background(), lido); c.State != store.PendingReview || len(f.pub.calls) != 1 {
		t.Fatalf("the viewer's form moved cycle %d to %s", lido, c.State)
	}
}
