package server

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Signing in: the token form, its CSRF token, the session cookie's
// attributes, and the way back to the page asked for.
func TestSignIn(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	b := f.browser(t)

	status, h, _ := b.get("/cycles/1?x=1")
	if status != http.StatusSeeOther || h.Get("Location") != "/signin?next="+url.QueryEscape("/cycles/1?x=1") {
		t.Fatalf("a page without a session: %d to %q", status, h.Get("Location"))
	}
	_, h, page := b.get("/signin?next=/cycles/1")
	if !strings.Contains(page, `name="next" value="/cycles/1"`) || !strings.Contains(page, `type="password"`) {
		t.Fatalf("sign-in form: %.600s", page)
	}
	pre := cookieNamed(h, signinCookie)
	if pre == nil || !pre.Secure || !pre.HttpOnly || pre.SameSite != http.SameSiteStrictMode {
		t.Fatalf("sign-in cookie: %+v", pre)
	}
	csrf := csrfOf(t, page)

	// Without the form's CSRF token, or with a wrong token: refused.
	status, _, _ = b.post("/signin", url.Values{"token": {stewardSecret}, "next": {"/cycles/1"}})
	if status != http.StatusForbidden {
		t.Errorf("sign-in without CSRF: %d", status)
	}
	_, _, page = b.get("/signin?next=/cycles/1")
	status, h, page = b.post("/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {"not-a-token"}, "next": {"/cycles/1"}})
	if status != http.StatusUnauthorized || !strings.Contains(page, "not one this server accepts") || cookieNamed(h, sessionCookie) != nil {
		t.Errorf("a wrong token: %d", status)
	}
	if status, _, _ = b.post("/signin", url.Values{"csrf": {csrf}, "token": {stewardSecret}}); status != http.StatusForbidden {
		t.Errorf("a stale sign-in form (its cookie replaced since): %d", status)
	}

	_, _, page = b.get("/signin?next=/cycles/1")
	status, h, _ = b.post("/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {" " + stewardSecret + "\n"}, "next": {"/cycles/1"}})
	if status != http.StatusSeeOther || h.Get("Location") != "/cycles/1" {
		t.Fatalf("sign-in: %d to %q", status, h.Get("Location"))
	}
	c := cookieNamed(h, sessionCookie)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" || c.MaxAge != 12*3600 {
		t.Fatalf("session cookie: %+v", c)
	}
	if strings.Contains(c.Value, stewardSecret) || strings.Contains(c.Value, HashToken(stewardSecret)) {
		t.Fatal("the session cookie carries the token or its hash")
	}
	status, _, page = b.get("/cycles/1")
	if status != 200 || !strings.Contains(page, "sam (steward)") {
		t.Fatalf("after sign-in: %d", status)
	}

	// Only a local page is a way back.
	for next, want := range map[string]string{"//evil.example/x": "/", "https://evil.example/": "/", "/\\evil": "/", "cycles": "/", "/cycles?dao=Aave": "/cycles?dao=Aave"} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}

	// Signing out ends the session in this browser.
	status, h, _ = b.post("/signout", url.Values{"csrf": {csrfOf(t, page)}})
	if status != http.StatusSeeOther || h.Get("Location") != "/signin" {
		t.Fatalf("sign-out: %d to %q", status, h.Get("Location"))
	}
	if status, _, _ = b.get("/cycles/1"); status != http.StatusSeeOther {
		t.Errorf("after sign-out the desk answers %d", status)
	}
}

// A session is only as good as its token: tampered with, expired, or of
// a token removed or replaced, it is refused.
func TestSessionChecks(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	ses := f.srv.sessions
	tok, _ := f.srv.tokens.byHolder("sam")
	value, _ := ses.issue(tok)
	if _, ok := ses.read(value); !ok {
		t.Fatal("a fresh session is refused")
	}
	body, sig, _ := strings.Cut(value, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(body)
	edited := strings.Replace(string(payload), `"r":"steward"`, `"r":"admin"`, 1)
	if edited == string(payload) {
		t.Fatalf("the session payload %s names no role", payload)
	}
	forged := base64.RawURLEncoding.EncodeToString([]byte(edited)) + "." + sig
	for name, v := range map[string]string{
		"flipped signature": body + "." + strings.Repeat("0", len(sig)),
		"no signature":      body,
		"edited payload":    forged,
		"empty":             "",
	} {
		if _, ok := ses.read(v); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	clock := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	later := *ses
	later.now = func() time.Time { return clock.Add(12*time.Hour + time.Second) }
	ses.now = func() time.Time { return clock }
	value, _ = ses.issue(tok)
	if _, ok := later.read(value); ok {
		t.Error("an expired session is accepted")
	}
	// Another token for sam (rotated), or sam gone: the session ends.
	rotated, _ := newTokenSet([]Token{{Name: "sam", Role: Steward, Hash: hashOf("another-steward-secret-0123456789")}})
	other := *ses
	other.tokens = rotated
	if _, ok := other.read(value); ok {
		t.Error("a session outlived its token's rotation")
	}
	gone, _ := newTokenSet(nil)
	other.tokens = gone
	if _, ok := other.read(value); ok {
		t.Error("a session outlived its token's removal")
	}
	// Another key: not this server's session.
	foreign := *ses
	foreign.key = []byte("another-session-key-of-32-bytes-or-more")
	if _, ok := foreign.read(value); ok {
		t.Error("a session signed with another key is accepted")
	}
}

// Only a steward approves or rejects: a viewer's form is refused even
// with a valid CSRF token, and the page shows a viewer no forms.
func TestDeskRoles(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	id := f.cycles["change"].ID
	for _, who := range []struct{ secret, name string }{{viewerSecret, "vera"}, {adminSecret, "ada"}} {
		b := f.browser(t)
		b.signIn(who.secret)
		_, _, page := b.get(fmt.Sprintf("/cycles/%d", id))
		if strings.Contains(page, "/approve") || strings.Contains(page, "/reject") {
			t.Errorf("%s sees the review forms", who.name)
		}
		status, _, page := b.post(fmt.Sprintf("/cycles/%d/approve", id), url.Values{"csrf": {csrfOf(t, page)}, "comment": {"ok"}})
		if status != http.StatusForbidden || !strings.Contains(page, "Only a steward may do this") {
			t.Errorf("%s's approval: %d", who.name, status)
		}
		if status, _, _ := b.post("/run", url.Values{"csrf": {csrfOf(t, page)}, "dao": {"Aave"}}); status != http.StatusForbidden {
			t.Errorf("%s's run: %d", who.name, status)
		}
	}
	if c, _ := f.st.Cycle(context.Background(), id); c.State != store.PendingReview || len(f.pub.calls) != 0 {
		t.Fatalf("refused approvals changed the cycle: %s", c.State)
	}
	// The audit page is an admin's.
	b := f.browser(t)
	b.signIn(stewardSecret)
	if status, _, _ := b.get("/audit"); status != http.StatusForbidden {
		t.Errorf("a steward's audit page: %d", status)
	}
	b = f.browser(t)
	home := b.signIn(adminSecret)
	if !strings.Contains(home, `href="/audit"`) {
		t.Error("an admin's desk does not link the audit log")
	}
	if status, _, page := b.get("/audit"); status != 200 || !strings.Contains(page, "The hash chain is whole: none of its 20 entries") {
		t.Errorf("audit page: %d %.300s", status, page)
	}
}

// Every form needs its session's CSRF token and must come from the
// desk's own origin; a refused form changes nothing.
func TestDeskCSRF(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	id := f.cycles["change"].ID
	b := f.browser(t)
	b.signIn(stewardSecret)
	_, _, page := b.get(fmt.Sprintf("/cycles/%d", id))
	csrf := csrfOf(t, page)
	path := fmt.Sprintf("/cycles/%d/approve", id)
	other := f.browser(t)
	other.signIn(stewardSecret)
	_, _, otherPage := other.get("/")

	for name, form := range map[string]url.Values{
		"no token":                 {"comment": {"ok"}},
		"empty token":              {"csrf": {""}, "comment": {"ok"}},
		"wrong token":              {"csrf": {csrf[:len(csrf)-2] + "00"}, "comment": {"ok"}},
		"another session's token":  {"csrf": {csrfOf(t, otherPage)}, "comment": {"ok"}},
		"the sign-in form's token": {"csrf": {"x"}, "comment": {"ok"}},
	} {
		status, _, body := b.post(path, form)
		if status != http.StatusForbidden || !strings.Contains(body, "no valid CSRF token") {
			t.Errorf("%s: %d", name, status)
		}
	}
	// A cross-site form, even with the token, is refused.
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(url.Values{"csrf": {csrf}, "comment": {"ok"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if status, _, body := b.do(req); status != http.StatusForbidden || !strings.Contains(body, "another site") {
		t.Errorf("cross-site form: %d", status)
	}
	if c, _ := f.st.Cycle(context.Background(), id); c.State != store.PendingReview {
		t.Fatalf("a refused form changed the cycle: %s", c.State)
	}
	// With the token, from the desk: approved, published, and the page
	// shows what the sink published.
	status, h, _ := b.post(path, url.Values{"csrf": {csrf}, "comment": {"Data support a lower threshold."}})
	if status != http.StatusSeeOther || h.Get("Location") != fmt.Sprintf("/cycles/%d?done=published", id) {
		t.Fatalf("approve: %d to %q", status, h.Get("Location"))
	}
	_, _, page = b.get(h.Get("Location"))
	for _, want := range []string{"Approved and published.", "approved</strong> by sam", "Data support a lower threshold.", "<td>forum-draft</td>", "<code>proposal.md</code>", "attune:Compound"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page after approval lacks %q", want)
		}
	}
	if strings.Contains(page, `action="/cycles/`+fmt.Sprint(id)+`/approve"`) {
		t.Error("the approval form is still offered")
	}
}

// The desk's other actions: reject, a failed publication and its retry,
// running a cycle now; and messages come only from the desk's own list.
func TestDeskActions(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	b := f.browser(t)
	home := b.signIn(stewardSecret)
	csrf := csrfOf(t, home)

	aave := f.cycles["aave"].ID
	status, h, _ := b.post(fmt.Sprintf("/cycles/%d/reject", aave), url.Values{"csrf": {csrf}, "comment": {"Not this quarter."}})
	if status != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=rejected") || len(f.pub.calls) != 0 {
		t.Fatalf("reject: %d %q, %d publications", status, h.Get("Location"), len(f.pub.calls))
	}
	status, _, page := b.post(fmt.Sprintf("/cycles/%d/reject", aave), url.Values{"csrf": {csrf}, "comment": {"again"}})
	if status != http.StatusConflict || !strings.Contains(page, "Not recorded: cannot go from rejected to rejected") {
		t.Errorf("a second decision: %d %s", status, page[strings.Index(page, "<main>"):])
	}
	status, _, page = b.post(fmt.Sprintf("/cycles/%d/approve", f.cycles["lido"].ID), url.Values{"csrf": {csrf}, "comment": {"  "}})
	if status != http.StatusBadRequest || !strings.Contains(page, "comment is empty") {
		t.Errorf("an empty comment: %d", status)
	}

	// A proposal of no change offers no approval, and one sent anyway
	// is refused.
	lido := f.cycles["lido"].ID
	_, _, page = b.get(fmt.Sprintf("/cycles/%d", lido))
	if strings.Contains(page, "/approve") || !strings.Contains(page, "Nothing to approve: cycle") || !strings.Contains(page, fmt.Sprintf(`action="/cycles/%d/reject"`, lido)) {
		t.Error("the page of a proposal of no change offers approval, or no rejection")
	}
	status, _, page = b.post(fmt.Sprintf("/cycles/%d/approve", lido), url.Values{"csrf": {csrf}, "comment": {"yes"}})
	if status != http.StatusConflict || !strings.Contains(page, "Not recorded: cycle") || !strings.Contains(page, "recommends no change") || len(f.pub.calls) != 0 {
		t.Errorf("approving no change: %d, %d publications", status, len(f.pub.calls))
	}

	lido = f.addChange(t).ID
	f.pub.fail = fmt.Errorf("discourse: 429 Too Many Requests after 4 attempts")
	status, _, page = b.post(fmt.Sprintf("/cycles/%d/approve", lido), url.Values{"csrf": {csrf}, "comment": {"yes"}})
	if status != http.StatusBadGateway || !strings.Contains(page, "Approved, but publishing failed: discourse: 429") || !strings.Contains(page, "Publish again") {
		t.Fatalf("failed publication: %d", status)
	}
	// A publisher that finds the DAO's cycle running defers: not a
	// failure, the cycle stays approved and the page says so.
	f.pub.fail = fmt.Errorf("service: busy: DAO %q: %w", "Lido", store.ErrLocked)
	status, h, _ = b.post(fmt.Sprintf("/cycles/%d/publish", lido), url.Values{"csrf": {csrf}})
	if status != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=queued") {
		t.Fatalf("publish while the DAO is busy: %d %q", status, h.Get("Location"))
	}
	if _, _, page = b.get(h.Get("Location")); !strings.Contains(page, "publishes this proposal when it ends") || !strings.Contains(page, "Publish again") {
		t.Error("the page after a deferred publication")
	}
	f.pub.fail = nil
	status, h, _ = b.post(fmt.Sprintf("/cycles/%d/publish", lido), url.Values{"csrf": {csrf}})
	if status != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=published") {
		t.Fatalf("publish again: %d %q", status, h.Get("Location"))
	}

	status, h, _ = b.post("/run", url.Values{"csrf": {csrf}, "dao": {"Aave"}})
	if status != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=started") {
		t.Fatalf("run: %d %q", status, h.Get("Location"))
	}
	_, _, page = b.get(h.Get("Location"))
	if !strings.Contains(page, "The cycle has started") || !strings.Contains(page, "state-fetching") {
		t.Error("the started cycle's page")
	}
	if status, _, _ = b.post("/run", url.Values{"csrf": {csrf}, "dao": {"Nowhere"}}); status != http.StatusNotFound {
		t.Errorf("run of an unknown DAO: %d", status)
	}
	// Nothing changed since a cycle: that cycle's page says so.
	aave = f.cycles["aave"].ID
	f.srv.opt.Runner = runner{st: f.st, daos: map[string]bool{"Aave": true}, unchanged: map[string]int64{"Aave": aave}}
	status, h, _ = b.post("/run", url.Values{"csrf": {csrf}, "dao": {"Aave"}})
	if status != http.StatusSeeOther || h.Get("Location") != fmt.Sprintf("/cycles/%d?done=unchanged", aave) {
		t.Fatalf("run on unchanged data: %d %q", status, h.Get("Location"))
	}
	if _, _, page = b.get(h.Get("Location")); !strings.Contains(page, "No cycle was started: nothing changed since this cycle") {
		t.Error("the page after a run on unchanged data")
	}
	// A notice not in the desk's list is not shown.
	if _, _, page = b.get(fmt.Sprintf("/cycles/%d?done=%%3Cb%%3Ehacked", lido)); strings.Contains(page, "hacked") {
		t.Error("the address put words on the page")
	}
	// Lists: filters, and a refused filter.
	_, _, page = b.get("/cycles?dao=Compound&state=")
	if n := strings.Count(page, `<span class="state state-`); n != 3 {
		t.Errorf("Compound's cycles: %d rows", n)
	}
	if status, _, _ = b.get("/cycles?state=done"); status != http.StatusBadRequest {
		t.Errorf("a bad filter: %d", status)
	}
	if status, _, _ = b.get("/nowhere"); status != http.StatusNotFound {
		t.Errorf("no page: %d", status)
	}
}

// Every answer carries the secure headers, and the HTML and JSON carry no
// inline script.
func TestSecureHeaders(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	b := f.browser(t)
	b.signIn(stewardSecret)
	for _, path := range []string{"/", "/cycles", "/cycles/4", "/signin", "/healthz", "/readyz", "/openapi.json", "/api/v1/cycles", "/static/desk.css", "/nowhere", "/cycles/4/charts/effects.svg"} {
		_, h, body := b.get(path)
		wantCSP := contentSecurityPolicy
		if strings.HasSuffix(path, ".svg") {
			wantCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": wantCSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer", "Strict-Transport-Security": "max-age=31536000",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if strings.Contains(body, "<script") || regexp.MustCompile(`\son[a-z]+=`).MatchString(body) || strings.Contains(body, "style=\"") && !strings.HasSuffix(path, ".svg") {
			t.Errorf("%s carries a script, an event handler or an inline style", path)
		}
	}
	if !strings.Contains(contentSecurityPolicy, "default-src 'self'") || !strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") {
		t.Error("the policy is not default-src 'self' with frame-ancestors 'none'")
	}
}

// The proposal page as a steward sees it pending review, pinned: the
// post and appendix, the tables, the figures, the draft's check and the
// diff from Compound's previous cycle. CSRF tokens and times vary and
// are replaced.
func TestProposalPageGolden(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{Version: "golden"})
	b := f.browser(t)
	b.signIn(stewardSecret)
	status, _, page := b.get(fmt.Sprintf("/cycles/%d", f.cycles["change"].ID))
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	page = csrfField.ReplaceAllString(page, `name="csrf" value="CSRF"`)
	page = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`).ReplaceAllString(page, "TIME")
	path := filepath.Join("testdata", "proposal_page.html")
	if *update {
		if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if page != string(want) {
		t.Errorf("the proposal page differs from %s; if the change is meant, run go test ./server -run TestProposalPageGolden -update and review the diff", path)
	}
	// What the page must show, whatever else changes.
	for _, want := range []string{
		`<article class="post" id="post">`, `<h2 id="appendix-appendix">Appendix</h2>`,
		`<tr class="changed"><td>Proposal threshold <code>proposal_threshold</code></td><td class="num">0.25% (25,000 COMP)</td><td class="num">0.13% (13,000 COMP)</td>`,
		`<code>_setProposalThreshold(13000000000000000000000)</code>`,
		`Effects, with 90% intervals`, `<tr class="score"><td>Combined score</td>`,
		`/cycles/4/charts/effects.svg`, `/cycles/4/charts/tradeoff.svg`, `/cycles/4/charts/convergence.svg`,
		`/cycles/4/charts/importance.svg`, `/cycles/4/charts/calibration.svg`, `/cycles/4/charts/backtest.svg`,
		`Drafter: <strong>template</strong>`, `Since the previous cycle`, `Cycle <a href="/cycles/1">1</a> recommended no change; this one a change.`,
		`action="/cycles/4/approve"`, `action="/cycles/4/reject"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// The charts: SVG of each kind the cycle has data for; none for an
// unknown name or a cycle without the data.
func TestCharts(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	b := f.browser(t)
	b.signIn(viewerSecret)
	for _, name := range []string{"effects", "tradeoff", "convergence", "importance", "calibration", "backtest"} {
		status, h, body := b.get("/cycles/4/charts/" + name + ".svg")
		if status != 200 || h.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<?xml") || !strings.Contains(body, "</svg>") {
			t.Errorf("%s: %d %s %.80s", name, status, h.Get("Content-Type"), body)
		}
		again, _ := f.srv.chartSVG(context.Background(), 4, name)
		if string(again) != body {
			t.Errorf("%s: drawn twice, differently", name)
		}
	}
	_, _, body := b.get("/cycles/4/charts/convergence.svg")
	for _, want := range []string{"Convergence: combined score by trial", "search 1: best so far", "parameters in force"} {
		if !strings.Contains(body, want) {
			t.Errorf("the convergence chart lacks %q", want)
		}
	}
	for _, path := range []string{"/cycles/4/charts/nothing.svg", "/cycles/1/charts/backtest.svg", "/cycles/99/charts/effects.svg", "/cycles/x/charts/effects.svg"} {
		if status, _, _ := b.get(path); status != http.StatusNotFound {
			t.Errorf("%s: %d", path, status)
		}
	}
}

// cookieNamed finds a Set-Cookie by name.
func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
