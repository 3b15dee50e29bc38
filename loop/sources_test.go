package loop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/configs"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
)

// upstream is where a fake incremental source reads: the first published
// proposals of Compound's bundled history, with their votes. It counts
// what it was asked for, the way a remote API's requests would.
type upstream struct {
	mu        sync.Mutex
	full      *history.History
	published int
	fail      error
	reads     int // calls of Read
	since     int // calls of ReadSince
	fetched   int // proposals returned to the source
}

var (
	upstreamsMu sync.Mutex
	upstreams   = map[string]*upstream{}
)

const fakeType = "test-incremental"

func init() {
	adapters.RegisterSource(fakeType, func() adapters.SourceConfig { return &fakeConfig{} })
}

// newUpstream makes the upstream named name with n proposals published.
func newUpstream(t *testing.T, n int) (string, *upstream) {
	t.Helper()
	b, err := configs.ReadEmbedded("embedded:examples/compound/history.json")
	if err != nil {
		t.Fatal(err)
	}
	h, err := history.Parse(b, "upstream")
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{full: h, published: n}
	upstreamsMu.Lock()
	defer upstreamsMu.Unlock()
	name := t.Name()
	upstreams[name] = u
	return name, u
}

type fakeConfig struct {
	Upstream string `yaml:"upstream"`
}

func (c *fakeConfig) Check() []adapters.FieldError {
	if c.Upstream == "" {
		return []adapters.FieldError{{Field: "upstream", Msg: "is empty; name the test's upstream"}}
	}
	return nil
}

func (c *fakeConfig) NewSource(adapters.Env) (adapters.Source, error) {
	upstreamsMu.Lock()
	defer upstreamsMu.Unlock()
	u, ok := upstreams[c.Upstream]
	if !ok {
		return nil, adapters.FieldError{Field: "upstream", Msg: "no such upstream"}
	}
	return &fakeSource{u}, nil
}

type fakeSource struct{ u *upstream }

// cut is the history of proposals [from, to) of the full one, with their
// votes and all supply and parameters.
func (u *upstream) cut(from, to int) *history.History {
	h := *u.full
	h.Source = "fake upstream"
	h.Proposals = slices.Clone(u.full.Proposals[from:to])
	ids := map[string]bool{}
	for _, p := range h.Proposals {
		ids[p.ID] = true
	}
	h.Votes = nil
	for _, v := range u.full.Votes {
		if ids[v.Proposal] {
			h.Votes = append(h.Votes, v)
		}
	}
	return &h
}

func (s *fakeSource) Read(ctx context.Context) (*adapters.Data, error) {
	u := s.u
	u.mu.Lock()
	defer u.mu.Unlock()
	u.reads++
	if u.fail != nil {
		return nil, u.fail
	}
	u.fetched += u.published
	return &adapters.Data{History: u.cut(0, u.published)}, nil
}

// ReadSince fetches the proposals published after prev's and returns
// them with prev's.
func (s *fakeSource) ReadSince(ctx context.Context, prev *history.History) (*history.History, error) {
	u := s.u
	u.mu.Lock()
	defer u.mu.Unlock()
	u.since++
	if u.fail != nil {
		return nil, u.fail
	}
	have := len(prev.Proposals)
	u.fetched += u.published - have
	h, _ := history.Merge(prev, u.cut(have, u.published))
	h.Source = "fake upstream"
	return h, nil
}

func (u *upstream) counts() (reads, since, fetched int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r, s, f := u.reads, u.since, u.fetched
	u.reads, u.since, u.fetched = 0, 0, 0
	return r, s, f
}

// sourcesConfig is the default config reading the given sources.
func sourcesConfig(t *testing.T, srcs ...config.Source) *config.Config {
	t.Helper()
	cfg, err := config.Load(config.LoadOptions{Overrides: map[string]any{"out": t.TempDir()}, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sources = srcs
	return cfg
}

// A cron run fetches only what is new: the first run reads everything,
// the second nothing while nothing changed, the third only what was
// published in between; --refresh reads everything again; a failed read
// leaves the cache as it was.
func TestCacheFetchesOnlyWhatIsNew(t *testing.T) {
	ctx := context.Background()
	name, u := newUpstream(t, 60)
	cfg := sourcesConfig(t, config.Source{Type: fakeType, Settings: map[string]any{"upstream": name}})
	read := func(opts SourceOptions) sourceData {
		t.Helper()
		d, err := readAll(ctx, cfg, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := read(SourceOptions{})
	if r, s, f := u.counts(); r != 1 || s != 0 || f != 60 {
		t.Fatalf("first run: %d reads, %d incremental, %d proposals fetched; want 1, 0, 60", r, s, f)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.Out, StateDir, SourceCacheDir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files %v; want one", files)
	}
	cache := files[0]

	second := read(SourceOptions{})
	if r, s, f := u.counts(); r != 0 || s != 1 || f != 0 {
		t.Fatalf("second run: %d reads, %d incremental, %d fetched; want 0, 1, 0", r, s, f)
	}
	a, _ := json.Marshal(first.history)
	b, _ := json.Marshal(second.history)
	if !bytes.Equal(a, b) {
		t.Error("the history from the cache differs from the one read")
	}

	u.published = 75
	third := read(SourceOptions{})
	if r, s, f := u.counts(); r != 0 || s != 1 || f != 15 {
		t.Fatalf("after 15 new proposals: %d reads, %d incremental, %d fetched; want 0, 1, 15", r, s, f)
	}
	if len(third.history.Proposals) != 75 {
		t.Fatalf("%d proposals; want 75", len(third.history.Proposals))
	}

	before, _ := os.ReadFile(cache)
	u.fail = adapters.Transient(errors.New("hub answered 502"))
	u.published = 99
	if _, err := readAll(ctx, cfg, SourceOptions{}, nil); err == nil || !strings.Contains(err.Error(), "502") || !adapters.IsTransient(err) {
		t.Fatalf("failed read: %v; want the source's transient error", err)
	}
	if after, _ := os.ReadFile(cache); !bytes.Equal(before, after) {
		t.Fatal("a failed read changed the cache")
	}
	u.counts()
	u.fail = nil

	read(SourceOptions{Refresh: true})
	if r, s, f := u.counts(); r != 1 || s != 0 || f != 99 {
		t.Fatalf("--refresh: %d reads, %d incremental, %d fetched; want 1, 0, 99", r, s, f)
	}
	read(SourceOptions{})
	if r, s, f := u.counts(); r != 0 || s != 1 || f != 0 {
		t.Fatalf("after --refresh: %d reads, %d incremental, %d fetched; want the refreshed cache used", r, s, f)
	}

	// A cache that cannot be read is read again in full, not an error.
	os.WriteFile(cache, []byte("{"), 0o644)
	read(SourceOptions{})
	if r, s, _ := u.counts(); r != 1 || s != 0 {
		t.Fatalf("corrupt cache: %d reads, %d incremental; want a full read", r, s)
	}
	if b, _ := os.ReadFile(cache); !json.Valid(b) {
		t.Fatal("the corrupt cache was not replaced")
	}
	// A source check reads in full and leaves the cache alone.
	before, _ = os.ReadFile(cache)
	u.published = 50
	checks, err := CheckSources(ctx, cfg, nil)
	if err != nil || len(checks) != 1 || checks[0].Err != nil || len(checks[0].Data.History.Proposals) != 50 {
		t.Fatalf("check: %v %+v", err, checks)
	}
	if r, s, _ := u.counts(); r != 1 || s != 0 {
		t.Fatalf("check: %d reads, %d incremental; want one full read", r, s)
	}
	if after, _ := os.ReadFile(cache); !bytes.Equal(before, after) {
		t.Fatal("a source check changed the cache")
	}
}

// The cache is one file per source, named by its type and settings.
func TestCachePathsDiffer(t *testing.T) {
	a := cachePath("s", "snapshot", map[string]any{"space": "ens.eth"})
	if a != cachePath("s", "snapshot", map[string]any{"space": "ens.eth"}) || !strings.HasPrefix(a, filepath.Join("s", SourceCacheDir)+string(filepath.Separator)) {
		t.Fatalf("cache path %s", a)
	}
	for _, b := range []string{
		cachePath("s", "snapshot", map[string]any{"space": "uniswap"}),
		cachePath("s", "governor", map[string]any{"space": "ens.eth"}),
	} {
		if a == b {
			t.Errorf("two sources share the cache file %s", a)
		}
	}
}

// writeHistory writes h as JSON into dir and returns its path.
func writeHistory(t *testing.T, dir, name string, h *history.History) string {
	t.Helper()
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Several sources' histories are merged, each record once, and observed
// as the whole history is.
func TestSeveralSourcesAreMerged(t *testing.T) {
	ctx := context.Background()
	_, u := newUpstream(t, 99)
	dir := t.TempDir()
	a := writeHistory(t, dir, "a.json", u.cut(0, 60))
	b := writeHistory(t, dir, "b.json", u.cut(40, 99))
	var logs bytes.Buffer
	cfg := sourcesConfig(t, config.Source{Type: "history", Path: a}, config.Source{Type: "history", Path: b, WindowDays: 365})
	d, err := readAll(ctx, cfg, SourceOptions{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.history.Proposals) != 99 || len(d.history.Votes) != len(u.full.Votes) || d.windowDays != 365 {
		t.Fatalf("merged %d proposals, %d votes, window %d", len(d.history.Proposals), len(d.history.Votes), d.windowDays)
	}
	overlap := u.cut(40, 60)
	dups := len(overlap.Proposals) + len(overlap.Votes) + len(u.full.Supply) + len(u.full.Params)
	if want := fmt.Sprintf("duplicates=%d conflicts=0", dups); !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, logs.String())
	}
	if d.history.Source != a+" + "+b {
		t.Errorf("source %q", d.history.Source)
	}
	rules, _ := rulesOf(cfg)
	got, err := d.observation(rules, "")
	if err != nil {
		t.Fatal(err)
	}
	whole := writeHistory(t, dir, "whole.json", u.cut(0, 99))
	one, err := readAll(ctx, sourcesConfig(t, config.Source{Type: "history", Path: whole}), SourceOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := one.observation(rules, "")
	got.Source, want.Source = "", ""
	ga, _ := json.Marshal(got)
	wa, _ := json.Marshal(want)
	if !bytes.Equal(ga, wa) {
		t.Error("the merged sources are observed otherwise than the whole history")
	}
}

func TestSourceConfigMistakes(t *testing.T) {
	ctx := context.Background()
	name, u := newUpstream(t, 10)
	fake := config.Source{Type: fakeType, Settings: map[string]any{"upstream": name}}
	dir := t.TempDir()
	other := u.cut(0, 10)
	other.DAO = "Uniswap"
	uni := writeHistory(t, dir, "uni.json", other)
	for _, c := range []struct {
		name string
		srcs []config.Source
		want []string
	}{
		{"unknown type", []config.Source{{Type: "ipfs"}}, []string{`sources[0].type: unknown source type "ipfs"; available: ` + strings.Join(adapters.SourceTypes(), ", ")}},
		{"unknown key", []config.Source{{Type: "exec", Settings: map[string]any{"commnd": []any{"x"}}}}, []string{`sources[0].commnd: unknown key "commnd"`, `did you mean "command"?`}},
		{"path on another type", []config.Source{{Type: fakeType, Path: "h.json", Settings: map[string]any{"upstream": name}}}, []string{`sources[0].path: unknown key "path"`}},
		{"check, every source", []config.Source{{Type: "exec", Settings: map[string]any{"command": []any{"x"}, "timeout": "soon"}}, {Type: fakeType}},
			[]string{"2 problems", `sources[0].timeout: is "soon"`, "sources[1].upstream: is empty"}},
		{"field error from the source", []config.Source{{Type: "history", Path: "embedded:nope.json"}}, []string{`sources[0].path: no bundled file "nope.json"`}},
		{"metrics with another", []config.Source{{Type: "file", Path: "embedded:examples/metrics.json", DAO: "Example DAO"}, fake},
			[]string{"sources[0].type: sources[0] (file) gives precomputed metrics, which cannot be merged"}},
		{"windows disagree", []config.Source{{Type: "history", Path: uni, WindowDays: 90, DAO: "Uniswap"}, {Type: fakeType, WindowDays: 180, Settings: fake.Settings}},
			[]string{"sources[1].window_days: is 180 but sources[0].window_days is 90"}},
		{"one source of another DAO", []config.Source{fake, {Type: "history", Path: uni}}, []string{`dao.name: is "Compound" but the data from ` + uni + ` are "Uniswap"'s`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readAll(ctx, sourcesConfig(t, c.srcs...), SourceOptions{}, nil)
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("error %v; want config.ErrInvalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
	// A source's own failure names it when there are several.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{}`), 0o644)
	_, err := readAll(ctx, sourcesConfig(t, fake, config.Source{Type: "history", Path: bad}), SourceOptions{}, nil)
	if !errors.Is(err, history.ErrInvalid) || !strings.HasPrefix(err.Error(), "sources[1] (history): ") {
		t.Errorf("failing second source: %v", err)
	}
	// With one source, its error is as it was.
	_, err = readAll(ctx, sourcesConfig(t, config.Source{Type: "history", Path: bad}), SourceOptions{}, nil)
	if !errors.Is(err, history.ErrInvalid) || strings.HasPrefix(err.Error(), "sources[0]") {
		t.Errorf("failing only source: %v", err)
	}
	_, err = readAll(ctx, sourcesConfig(t, config.Source{Type: "file", Path: bad}), SourceOptions{}, nil)
	if !errors.Is(err, metrics.ErrInvalid) {
		t.Errorf("bad metrics: %v", err)
	}
}

// A cycle whose data came from elsewhere than one file keeps what it
// read as history.json, and its config.yaml reads that: the cycle
// reproduces without the command (or the network) it read from.
func TestReadDataIsKeptForReproduction(t *testing.T) {
	ctx := context.Background()
	hist, err := filepath.Abs("../configs/examples/compound/history.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := small(t, nil)
	cfg.Sources = []config.Source{{Type: "exec", WindowDays: 365, Settings: map[string]any{"command": []any{"cat", hist}}}}
	e, err := Prepare(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.inputs) != 1 || e.inputs[0].name != "history.json" || e.inputs[0].data == nil || e.dataSource() != "history.json" {
		t.Fatalf("inputs %+v, data source %q", e.inputs, e.dataSource())
	}
	y, err := e.ReproConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(y, []byte("- type: history\n    path: history.json\n    window_days: 365\n")) || bytes.Contains(y, []byte("exec")) {
		t.Fatalf("config.yaml sources:\n%s", y)
	}
	// The cycle's directory holds both.
	out, err := (&Cycle{ID: "kept", Env: e}).Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := out
	if b, err := os.ReadFile(filepath.Join(dir, "history.json")); err != nil || !bytes.Equal(b, e.inputs[0].data) {
		t.Fatalf("history.json in the cycle: %v", err)
	}
	again, err := config.Load(config.LoadOptions{File: filepath.Join(dir, "config.yaml"), Overrides: map[string]any{"out": t.TempDir()}, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := Prepare(ctx, again, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := e.Observation, e2.Observation
	a.Source, b.Source = "", ""
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("the kept history is observed otherwise than what the command printed")
	}
}

// The loop is the one place a source's history is validated: an
// invalid one is refused, naming the problem, and is not cached.
func TestInvalidSourceHistoryIsRefusedAndNotCached(t *testing.T) {
	name, u := newUpstream(t, 10)
	bad := *u.full
	bad.Proposals = slices.Clone(u.full.Proposals)
	bad.Proposals[3].End = bad.Proposals[3].Start.Add(-time.Hour)
	u.full = &bad
	cfg := sourcesConfig(t, config.Source{Type: fakeType, Settings: map[string]any{"upstream": name}})
	_, err := readAll(context.Background(), cfg, SourceOptions{}, nil)
	if err == nil || !strings.Contains(err.Error(), "does not hold together") || !strings.Contains(err.Error(), "proposals[3]") {
		t.Fatalf("err %v; want the invalid history refused, naming the record", err)
	}
	if files, _ := filepath.Glob(filepath.Join(cfg.Out, StateDir, SourceCacheDir, "*.json")); len(files) != 0 {
		t.Fatalf("an invalid history was cached: %v", files)
	}
}

// config check decodes the sources as a run does, without reading data
// or secrets: a mistyped key is caught, an unset secret is not needed.
func TestCheckConfigDecodesSources(t *testing.T) {
	cfg := sourcesConfig(t, config.Source{Type: "exec", Settings: map[string]any{"commnd": []any{"x"}}})
	err := CheckConfig(cfg)
	if err == nil || !strings.Contains(err.Error(), `sources[0].commnd: unknown key "commnd"`) {
		t.Fatalf("CheckConfig: %v; want the mistyped key named", err)
	}
	cfg = sourcesConfig(t, config.Source{Type: "governor", Settings: map[string]any{
		"family": "bravo", "address": "0xc0Da02939E1441F497fd74F78cE7Decb17B66529", "rpc_url_env": "ATTUNE_TEST_UNSET_RPC_URL"}})
	if err := CheckConfig(cfg); err != nil {
		t.Fatalf("CheckConfig read a secret or data: %v", err)
	}
}
