package service

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/internal/sqldb/sqldbtest"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/store"
)

// backends are the databases the service is tested on.
func backends() []sqldbtest.Backend { return sqldbtest.Backends("attune_service_test") }

// forEachBackend runs fn on a fresh database of each backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.DSN(t)) })
	}
}

// openStore opens dsn and closes the store when the test ends.
func openStore(t testing.TB, dsn string) *store.SQL {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// smallOverrides keep a cycle short enough for -race: the search of
// loop's own tests (loop_test.go's small) on 500 simulated holders, with
// which the example DAO still fits within its tolerance.
var smallOverrides = map[string]any{
	"optimizer.trials": 24, "optimizer.replications": 3, "optimizer.validation": 6,
	"optimizer.batch": 4, "calibration.replications": 32,
	"dao.options.horizon_days": 90.0, "dao.options.max_agents": 500.0,
}

// writeMetrics writes the example DAO's metrics (configs/examples/
// metrics.json) to path, with later extra proposals decided (and passed)
// and the window ending as many days later: what the next reads of a live
// DAO's source give.
func writeMetrics(t testing.TB, path string, later int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "configs", "examples", "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["proposals"] = m["proposals"].(float64) + float64(later)
	m["proposals_passed"] = m["proposals_passed"].(float64) + float64(later)
	w := m["window"].(map[string]any)
	end, err := time.Parse(time.RFC3339, w["end"].(string))
	if err != nil {
		t.Fatal(err)
	}
	w["end"] = end.AddDate(0, 0, later).Format(time.RFC3339)
	if b, err = json.MarshalIndent(m, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fileSource reads the metrics at metrics.json beside the config.
const fileSource = "{type: file, path: metrics.json, dao: Example DAO}"

// daoConfig writes the example DAO's config (configs/examples/
// attune.yaml) into dir as NAME.yaml, naming the DAO name and reading
// its data from source (a flow mapping, e.g. fileSource), and loads it
// with the small search and extra overrides. Its cycles go under
// dir/out.
func daoConfig(t testing.TB, dir, name, source string, extra map[string]any) (*config.Config, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "configs", "examples", "attune.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "name: Example DAO", "name: "+name, 1)
	text = strings.Replace(text, "{type: file, path: metrics.json}", source, 1)
	file := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	over := map[string]any{"out": filepath.Join(dir, "out")}
	for k, v := range smallOverrides {
		over[k] = v
	}
	for k, v := range extra {
		over[k] = v
	}
	cfg, err := config.Load(config.LoadOptions{File: file, Overrides: over, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, file
}

// fixture is a service on one DAO whose data the test controls.
type fixture struct {
	dir, metrics string
	st           *store.SQL
	cfg          *config.Config
}

// dao is the fixture's DAO.
const dao = "Example DAO"

func newFixture(t testing.TB, dsn string, extra map[string]any) *fixture {
	return newFixtureFrom(t, dsn, fileSource, extra)
}

// newFixtureFrom is newFixture reading from source.
func newFixtureFrom(t testing.TB, dsn, source string, extra map[string]any) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, metrics: filepath.Join(dir, "metrics.json"), st: openStore(t, dsn)}
	writeMetrics(t, f.metrics, 0)
	f.cfg, _ = daoConfig(t, dir, dao, source, extra)
	return f
}

// options are the service's options on the fixture, with a clock that
// never fires a schedule and no waits between retries (recorded).
func (f *fixture) options(waits *[]time.Duration) Options {
	var mu sync.Mutex
	return Options{
		Store: f.st, DAOs: []DAO{{Config: f.cfg, File: "example.yaml"}}, Actor: "serve@test",
		Cycle: loop.Options{Version: "test", Now: func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }},
		After: func(time.Duration) <-chan time.Time { return nil },
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			if waits != nil {
				*waits = append(*waits, d)
			}
			return nil
		},
	}
}

func (f *fixture) service(t testing.TB, waits *[]time.Duration) *Service {
	t.Helper()
	s, err := New(f.options(waits))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cycles lists every cycle in the store, oldest first.
func cycles(t testing.TB, st store.Store) []store.Cycle {
	t.Helper()
	cs, err := st.Cycles(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(cs)-1; i < j; i, j = i+1, j-1 {
		cs[i], cs[j] = cs[j], cs[i]
	}
	return cs
}

// auditOf lists the audit log's entries on cycle id, in order: the
// action, and for an advance the state reached ("cycle.advance:optimizing").
func auditOf(t testing.TB, st store.Store, id int64) []string {
	t.Helper()
	es, err := st.Audit(context.Background(), store.AuditFilter{Subject: store.CycleSubject(id)})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
		if e.Action == store.ActionAdvance {
			var d struct {
				To string `json:"to"`
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatal(err)
			}
			out[i] += ":" + d.To
		}
	}
	return out
}
