package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// /healthz answers while the process serves; /readyz only while the
// store answers.
func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{})
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, _, body := f.call(t, "GET", path, "", ""); status != 200 || len(body) == 0 {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := f.call(t, "GET", "/healthz", "", ""); status != 200 {
		t.Errorf("healthz with the store closed: %d", status)
	}
	status, _, body := f.call(t, "GET", "/readyz", "", "")
	if status != http.StatusServiceUnavailable || strings.Contains(string(body), "sqlite") {
		t.Errorf("readyz with the store closed: %d %s", status, body)
	}
	if !strings.Contains(f.log.String(), "not ready") || !strings.Contains(f.log.String(), "closed") {
		t.Errorf("the failed readiness is not logged with its cause:\n%s", f.log.String())
	}

	// Options.Ready decides instead of the store when set.
	notYet := errors.New("the service has not started")
	g := newFixture(t, backends()[0].dsn(t), Options{Ready: func(context.Context) error { return notYet }})
	if status, _, body := g.call(t, "GET", "/readyz", "", ""); status != http.StatusServiceUnavailable || strings.Contains(string(body), "started") {
		t.Errorf("readyz with Ready failing: %d %s", status, body)
	}
	if !strings.Contains(g.log.String(), notYet.Error()) {
		t.Error("Ready's error is not logged")
	}

	// Health alone: the three endpoints, with the secure headers, and
	// nothing else.
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("attune_up 1\n")) })
	ready := notYet
	h := Health(func(context.Context) error { return ready }, metrics, nil)
	for _, c := range []struct {
		path   string
		status int
	}{{"/healthz", 200}, {"/readyz", 503}, {"/metrics", 200}, {"/api/v1/cycles", 404}, {"/", 404}} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
		if w.Code != c.status || w.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("Health %s: %d, want %d (headers %v)", c.path, w.Code, c.status, w.Header())
		}
	}
	ready = nil
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != 200 || w.Body.String() != "ready\n" {
		t.Errorf("Health /readyz when ready: %d %q", w.Code, w.Body.String())
	}
}

// /metrics serves the handler given, and nothing without one.
func TestMetricsMount(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("# TYPE attune_cycles gauge\nattune_cycles{state=\"pending_review\"} 4\n"))
	})
	f := newFixture(t, backends()[0].dsn(t), Options{Metrics: metrics})
	status, h, body := f.call(t, "GET", "/metrics", "", "")
	if status != 200 || !strings.Contains(string(body), `attune_cycles{state="pending_review"} 4`) || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("/metrics: %d %s", status, body)
	}
	g := newFixture(t, backends()[0].dsn(t), Options{})
	if status, _, _ := g.call(t, "GET", "/metrics", "", ""); status != http.StatusNotFound {
		t.Errorf("/metrics without a handler: %d", status)
	}
}

// The OpenAPI document names every API path the server serves, with the
// role and the documents' schemas.
func TestOpenAPI(t *testing.T) {
	f := newFixture(t, backends()[0].dsn(t), Options{Version: "v9.9.9"})
	status, _, body := f.call(t, "GET", "/openapi.json", "", "")
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct{ Version string }
		Paths   map[string]map[string]struct {
			Description string
			Responses   map[string]any
		}
		Components struct{ Schemas map[string]map[string]any }
	}
	if err := json.Unmarshal(body, &doc); err != nil || status != 200 {
		t.Fatalf("%d %v", status, err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Version != "v9.9.9" {
		t.Errorf("openapi %q version %q", doc.OpenAPI, doc.Info.Version)
	}
	var paths []string
	for p, ops := range doc.Paths {
		paths = append(paths, p)
		for m, op := range ops {
			if !strings.HasPrefix(op.Description, "Needs a ") || op.Responses["401"] == nil {
				t.Errorf("%s %s: %q, responses %v", m, p, op.Description, op.Responses)
			}
			// The path is served: with an admin's token a GET is not 404
			// for want of a route, nor 405.
			concrete := strings.ReplaceAll(p, "{id}", "4")
			st, _, _ := f.call(t, strings.ToUpper(m), concrete, adminSecret, "")
			if st == http.StatusMethodNotAllowed || st == http.StatusNotFound {
				t.Errorf("%s %s is documented but answers %d", m, concrete, st)
			}
		}
	}
	slices.Sort(paths)
	want := []string{"/api/v1/audit/verify", "/api/v1/cycles", "/api/v1/cycles/{id}", "/api/v1/cycles/{id}/diff", "/api/v1/cycles/{id}/trials",
		"/api/v1/proposals", "/api/v1/proposals/{id}", "/api/v1/proposals/{id}/approve", "/api/v1/proposals/{id}/publish",
		"/api/v1/proposals/{id}/reject", "/api/v1/runs"}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	for _, name := range []string{"Cycles", "Cycle", "Proposal", "Cyclediff", "Trials", "Audit", "Error"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("no %s schema", name)
		}
	}
}

// Tokens from the config: a hash, or the token itself from a variable or
// a file; each mistake named with the entry, never with a secret.
func TestTokens(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "steward.token"), []byte(stewardSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := adapters.Env{Dir: dir, Getenv: func(k string) string {
		return map[string]string{"ATTUNE_TOKEN_CI": viewerSecret, "SHORT": "abc"}[k]
	}}
	ts, err := Tokens([]TokenConfig{
		{Name: "ada", Role: Admin, SHA256: HashToken(adminSecret)},
		{Name: "ci", Role: Viewer, Secret: adapters.Secret{Env: "ATTUNE_TOKEN_CI"}},
		{Name: "sam", Role: Steward, Secret: adapters.Secret{File: "steward.token"}},
	}, env)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := newTokenSet(ts)
	for secret, want := range map[string]string{adminSecret: "ada", viewerSecret: "ci", stewardSecret: "sam"} {
		if tok, ok := set.lookup(secret); !ok || tok.Name != want {
			t.Errorf("%s's token: %v %v", want, tok.Name, ok)
		}
	}
	if _, ok := set.lookup(stewardSecret[:len(stewardSecret)-1]); ok {
		t.Error("a prefix of a token is accepted")
	}

	_, err = Tokens([]TokenConfig{
		{Name: "", Role: Viewer, SHA256: HashToken("x")},
		{Name: "a", Role: "owner", SHA256: HashToken("x")},
		{Name: "b", Role: Viewer, SHA256: "abc"},
		{Name: "c", Role: Viewer},
		{Name: "d", Role: Viewer, Secret: adapters.Secret{Env: "SHORT"}},
		{Name: "e", Role: Viewer, Secret: adapters.Secret{Env: "UNSET"}},
		{Name: "f", Role: Viewer, SHA256: HashToken("x"), Secret: adapters.Secret{Env: "SHORT"}},
		{Name: "g", Role: Viewer, Secret: adapters.Secret{Env: "SHORT", File: "x"}},
		{Name: "a", Role: Viewer, SHA256: HashToken("x")},
		{Name: "h:i", Role: Viewer, SHA256: HashToken("x")},
	}, env)
	if err == nil {
		t.Fatal("bad tokens accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"tokens[0]: name: empty", `tokens[1] (a): role "owner"; want viewer, steward or admin`, "tokens[2] (b): sha256 is not 64 hex digits",
		"tokens[3] (c): no token: set sha256, env or file", "tokens[4] (d): the token is 3 characters; use at least 24",
		"tokens[5] (e): environment variable UNSET is empty or unset", "tokens[6] (f): sets sha256 and env or file",
		"tokens[7] (g): names both env and file", "tokens[8] (a): the name is also tokens[1]'s", "tokens[9]: name:",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "abc\"") || strings.Contains(msg, viewerSecret) {
		t.Error("the error quotes a secret")
	}

	// The session key: from a variable, long enough.
	if _, err := SessionKey(adapters.Secret{Env: "SHORT"}, env); err == nil || strings.Contains(err.Error(), "abc") {
		t.Errorf("a short session key: %v", err)
	}
	key, err := SessionKey(adapters.Secret{Env: "ATTUNE_TOKEN_CI"}, env)
	if err == nil || key != nil {
		t.Errorf("a 31-byte session key accepted: %v", err)
	}
	if _, err := New(Options{Store: f0(t), SessionKey: []byte("short")}); err == nil {
		t.Error("New accepted a short session key")
	}
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "Options.Store is nil") {
		t.Errorf("New without a store: %v", err)
	}
}

// f0 is a store.
func f0(t *testing.T) *store.SQL {
	t.Helper()
	return newFixture(t, backends()[0].dsn(t), Options{}).st
}

// A cycle changed elsewhere shows once the read cache's TTL has passed;
// one changed through this server shows at once.
func TestReadCache(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixture(t, backends()[0].dsn(t), Options{ReadCacheTTL: 2 * time.Second, Now: clock})
	state := func(id int64) string {
		t.Helper()
		_, _, body := f.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d", id), viewerSecret, "")
		var d schema.CycleDoc
		decodeDoc(t, body, &d)
		return d.Cycle.State
	}
	aave := f.cycles["aave"].ID
	if s := state(aave); s != "pending_review" {
		t.Fatal(s)
	}
	// Rejected by someone else (the CLI, another replica).
	if _, err := f.st.Review(context.Background(), aave, store.Review{Verdict: store.Rejected, Reviewer: "cli", Comment: "no"}); err != nil {
		t.Fatal(err)
	}
	if s := state(aave); s != "pending_review" {
		t.Errorf("within the TTL: %s, want the cached pending_review", s)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if s := state(aave); s != "rejected" {
		t.Errorf("after the TTL: %s", s)
	}
	// Approved here: shown at once.
	change := f.cycles["change"].ID
	if s := state(change); s != "pending_review" {
		t.Fatal(s)
	}
	f.call(t, "POST", fmt.Sprintf("/api/v1/proposals/%d/approve", change), stewardSecret, `{"comment":"yes"}`)
	if s := state(change); s != "published" {
		t.Errorf("after approving here: %s", s)
	}
	// Without a cache, every read goes to the store.
	g := newFixture(t, backends()[0].dsn(t), Options{ReadCacheTTL: -1})
	id := g.cycles["aave"].ID
	g.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d", id), viewerSecret, "")
	if _, err := g.st.Review(context.Background(), id, store.Review{Verdict: store.Rejected, Reviewer: "cli", Comment: "no"}); err != nil {
		t.Fatal(err)
	}
	_, _, body := g.call(t, "GET", fmt.Sprintf("/api/v1/cycles/%d", id), viewerSecret, "")
	if !strings.Contains(string(body), `"state":"rejected"`) {
		t.Error("without a cache, a stale state was shown")
	}
}
