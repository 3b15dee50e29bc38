package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/internal/sqldb/sqldbtest"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/service"
	"github.com/attune-dao/attune/store"
)

// backend is a database the server is tested on.
type backend struct {
	name string
	dsn  func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "attune.db") }},
		{"postgres", func(t testing.TB) string { return sqldbtest.PostgresDSN(t, "attune_server_test") }},
	}
}

// The test tokens: random-looking secrets, one per role.
const (
	viewerSecret  = "v1ewer-7f3c9a2b5d8e1f4a6c0b9d2e"
	stewardSecret = "stew4rd-2b7e9c1a5f3d8b6e0a4c7f1d"
	adminSecret   = "adm1n-9d4f2a7c1e8b5d3f6a0c2e9b7"
)

func testTokens() []Token {
	return []Token{
		{Name: "vera", Role: Viewer, Hash: hashOf(viewerSecret)},
		{Name: "sam", Role: Steward, Hash: hashOf(stewardSecret)},
		{Name: "ada", Role: Admin, Hash: hashOf(adminSecret)},
	}
}

func hashOf(secret string) (h [32]byte) {
	t, err := Tokens([]TokenConfig{{Name: "x", Role: Viewer, SHA256: HashToken(secret)}}, envWith(nil))
	if err != nil {
		panic(err)
	}
	return t[0].Hash
}

// golden is one of the real cycles loop's golden tests pin (Compound,
// Aave and Lido on their governance histories): its documents as the
// store keeps them and its trials.json.
type golden struct {
	rec, prop, trials []byte
	doc               oracle.ProposalDocument
	rec0              oracle.Recommendation
}

// goldenDirs are the real cycles the fixture holds, in the order
// created: three that change nothing, then a later Compound cycle that
// recommends a change.
var goldenDirs = []struct{ name, dir string }{
	{"compound", filepath.Join("..", "loop", "testdata", "golden", "compound")},
	{"aave", filepath.Join("..", "loop", "testdata", "golden", "aave")},
	{"lido", filepath.Join("..", "loop", "testdata", "golden", "lido")},
	{"change", filepath.Join("testdata", "compound-change")},
}

func readGolden(t testing.TB, dir string) golden {
	t.Helper()
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var g golden
	var rd schema.RecommendationDoc
	if err := json.Unmarshal(read("recommendation.json"), &rd); err != nil {
		t.Fatal(err)
	}
	g.rec0 = rd.Recommendation
	if rd.Schema == "" { // loop's goldens pin the bare recommendation
		rd = schema.NewRecommendation(g.rec0)
	}
	rec, err := json.MarshalIndent(rd, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	g.rec, g.prop, g.trials = append(rec, '\n'), read("proposal.json"), read(loop.TrialsFile)
	if err := json.Unmarshal(g.prop, &g.doc); err != nil {
		t.Fatal(err)
	}
	return g
}

// addCycle takes a new cycle of dao through the state machine to
// pending review with g's documents, its directory holding g's
// trials.json.
func addCycle(t testing.TB, st store.Store, dao, inputs string, g golden) store.Cycle {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, loop.TrialsFile), g.trials, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateCycle(ctx, store.NewCycle{Actor: "test", DAO: dao, ConfigHash: "cfg-" + dao})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		to store.State
		ch store.Change
	}{
		{store.Calibrating, store.Change{Actor: "test", InputsHash: inputs}},
		{store.Optimizing, store.Change{Actor: "test"}},
		{store.Drafting, store.Change{Actor: "test", Recommendation: g.rec}},
		{store.PendingReview, store.Change{Actor: "test", Proposal: g.prop, Dir: dir}},
	} {
		if c, err = st.Advance(ctx, c.ID, step.to, step.ch); err != nil {
			t.Fatalf("advance to %s: %v", step.to, err)
		}
	}
	return c
}

// published records what a publish hook was handed.
type published struct {
	mu    sync.Mutex
	calls []string // "cycle/approver"
	fail  error
}

// hook is a PublishFunc that publishes the way attune serve's does:
// each sink's receipt recorded in the store, then the cycle advanced to
// published. It fails, publishing nothing, while p.fail is set.
func (p *published) hook(st store.Store) PublishFunc {
	return func(ctx context.Context, c store.Cycle, approver string) error {
		p.mu.Lock()
		p.calls = append(p.calls, c.DAO+"/"+approver)
		fail := p.fail
		p.mu.Unlock()
		if fail != nil {
			return fail
		}
		receipt := `{"id":"attune:` + c.DAO + `","files":["proposal.md"]}`
		if _, err := st.RecordPublication(ctx, c.ID, store.Publication{Actor: approver, Sink: "forum-draft", Receipt: json.RawMessage(receipt)}); err != nil {
			return err
		}
		_, err := st.Advance(ctx, c.ID, store.Published, store.Change{Actor: approver})
		return err
	}
}

// runner is a Runner that starts a cycle in the store, as attune serve's
// does, for the DAOs it knows; for those in unchanged, it answers the
// cycle given, unchanged; for those in fail, the error.
type runner struct {
	st        store.Store
	daos      map[string]bool
	unchanged map[string]int64
	fail      map[string]error
}

func (r runner) RunNow(ctx context.Context, dao string) (service.Started, error) {
	if !r.daos[dao] {
		return service.Started{}, ErrUnknownDAO
	}
	if err := r.fail[dao]; err != nil {
		return service.Started{}, err
	}
	if id, ok := r.unchanged[dao]; ok {
		return service.Started{Cycle: id, Unchanged: true}, nil
	}
	release, err := r.st.Lock(ctx, dao)
	if err != nil {
		return service.Started{}, err
	}
	defer release()
	c, err := r.st.CreateCycle(ctx, store.NewCycle{Actor: "serve", DAO: dao, ConfigHash: "cfg-" + dao})
	return service.Started{Cycle: c.ID}, err
}

// fixture is a server over a store holding real cycles.
type fixture struct {
	st     *store.SQL
	srv    *Server
	pub    *published
	cycles map[string]store.Cycle // by goldenDirs' name
	log    *logBuffer
	more   int // cycles addChange added
}

func newFixture(t testing.TB, dsn string, opt Options) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{st: st, pub: &published{}, cycles: map[string]store.Cycle{}, log: &logBuffer{}}
	for _, gd := range goldenDirs {
		g := readGolden(t, gd.dir)
		f.cycles[gd.name] = addCycle(t, st, g.rec0.DAO, "inputs-"+gd.name, g)
	}
	opt.Store = st
	if opt.Tokens == nil {
		opt.Tokens = testTokens()
	}
	if opt.Publish == nil {
		opt.Publish = f.pub.hook(st)
	}
	if opt.Runner == nil {
		opt.Runner = runner{st: st, daos: map[string]bool{"Compound": true, "Aave": true, "Lido": true}}
	}
	if opt.SessionKey == nil {
		opt.SessionKey = []byte("a-session-key-of-at-least-32-bytes-for-tests")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if f.srv, err = New(opt); err != nil {
		t.Fatal(err)
	}
	return f
}

// addChange adds another cycle pending review that recommends a change:
// Compound's, with the documents of testdata/compound-change on inputs of
// its own.
func (f *fixture) addChange(t testing.TB) store.Cycle {
	t.Helper()
	f.more++
	return addCycle(t, f.st, "Compound", fmt.Sprintf("inputs-more-%d", f.more), readGolden(t, filepath.Join("testdata", "compound-change")))
}

// cycles lists every cycle in st.
func cycles(t testing.TB, st store.Store) []store.Cycle {
	t.Helper()
	cs, err := st.Cycles(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// call makes an API request with a bearer token ("" for none) and
// returns the status and body.
func (f *fixture) call(t testing.TB, method, path, token, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, req)
	return w.Code, w.Header(), w.Body.Bytes()
}

// browser is a client of the desk over TLS with a cookie jar, following
// no redirects.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (f *fixture) browser(t testing.TB) *browser {
	t.Helper()
	ts := httptest.NewTLSServer(f.srv)
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	c := ts.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, base: ts.URL, c: c}
}

func (b *browser) do(req *http.Request) (int, http.Header, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func (b *browser) get(path string) (int, http.Header, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the first form on a page.
func csrfOf(t testing.TB, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the page:\n%.500s", page)
	}
	return m[1]
}

// signIn signs the browser in with a token and returns the home page.
func (b *browser) signIn(secret string) string {
	b.t.Helper()
	_, _, page := b.get("/signin")
	status, h, _ := b.post("/signin", url.Values{"csrf": {csrfOf(b.t, page)}, "token": {secret}, "next": {"/"}})
	if status != http.StatusSeeOther || h.Get("Location") != "/" {
		b.t.Fatalf("sign-in: %d to %q", status, h.Get("Location"))
	}
	_, _, home := b.get("/")
	return home
}

// envWith is an adapters.Env whose variables are vars.
func envWith(vars map[string]string) adapters.Env {
	return adapters.Env{Getenv: func(k string) string { return vars[k] }, Dir: "."}
}
