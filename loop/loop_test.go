package loop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

// small is the embedded default with a search small enough for -race.
func small(t testing.TB, extra map[string]any) *config.Config {
	t.Helper()
	over := map[string]any{
		"optimizer.trials": 24, "optimizer.replications": 3, "optimizer.validation": 6,
		"optimizer.batch": 4, "out": t.TempDir(), "calibration.replications": 32,
		"dao.options.horizon_days": 90.0, "dao.options.max_agents": 2000.0,
	}
	for k, v := range extra {
		over[k] = v
	}
	cfg, err := config.Load(config.LoadOptions{Overrides: over})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCycleEndToEndIsReproducible(t *testing.T) {
	ctx := context.Background()
	cfg := small(t, nil)
	c1, err := Run(ctx, cfg, oracle.Template{}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir1, err := c1.Write(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"proposal.md", "recommendation.json", "objectives.png", "config.yaml"} {
		if st, err := os.Stat(filepath.Join(dir1, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	// trials.json holds every trial of every search, valid against its
	// schema, the best where the search put it.
	tb, err := os.ReadFile(filepath.Join(dir1, TrialsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(tb); err != nil {
		t.Errorf("%s: %v", TrialsFile, err)
	}
	var td schema.TrialsDoc
	if err := json.Unmarshal(tb, &td); err != nil {
		t.Fatal(err)
	}
	if len(td.Searches) != len(c1.Search) || td.CycleID != c1.ID || len(td.Objectives) != len(c1.Recommendation.Effects) {
		t.Fatalf("%s: %d searches for %d, cycle %q, objectives %v", TrialsFile, len(td.Searches), len(c1.Search), td.CycleID, td.Objectives)
	}
	for i, s := range td.Searches {
		want := c1.Search[i]
		if len(s.Trials) != len(want.Trials) || s.Best != want.Best {
			t.Errorf("search %d: %d trials, best %d; want %d, %d", i, len(s.Trials), s.Best, len(want.Trials), want.Best)
			continue
		}
		if got := s.Trials[s.Best]; got.Score == nil || *got.Score != want.Trials[want.Best].Eval.Value || len(got.Objectives) != len(td.Objectives) {
			t.Errorf("search %d: best trial recorded as %+v, ran as %+v", i, got, want.Trials[want.Best])
		}
	}

	rec := c1.Recommendation
	if len(rec.Params) != 6 || len(rec.Effects) != 3 || rec.Method.Trials != 24 || rec.Method.Validation != 6 {
		t.Errorf("recommendation shape: %d params, %d effects, method %+v", len(rec.Params), len(rec.Effects), rec.Method)
	}
	for _, e := range rec.Effects {
		if e.Difference.CI.Lo > e.Difference.Mean || e.Difference.CI.Hi < e.Difference.Mean || e.Difference.N != 6 {
			t.Errorf("effect %s: interval %+v does not hold its mean", e.Name, e.Difference)
		}
	}
	if !rec.Change {
		for _, p := range rec.Params {
			if p.Current != p.Recommended {
				t.Errorf("no change, yet %s moves %v -> %v", p.Name, p.Current, p.Recommended)
			}
		}
	}
	// Every searched value stays inside its guardrails.
	for _, p := range rec.Params {
		if v := rec.Candidate[p.Name]; p.Name == "quorum" && (v < 0.03-1e-12 || v > 0.05+1e-12) {
			t.Errorf("quorum candidate %v outside max_change 25%% of 0.04", v)
		}
	}

	// Same inputs, another run, one worker: the same bytes.
	c2, err := Run(ctx, cfg, oracle.Template{}, Options{Version: "test", Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir2, err := c2.Write(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	if dir1 != dir2 {
		t.Fatalf("same inputs, different cycle dirs: %s %s", dir1, dir2)
	}
	if c1.Proposal.Markdown != c2.Proposal.Markdown || !bytes.Equal(c1.Chart, c2.Chart) {
		t.Error("same inputs gave a different proposal or chart")
	}

	// The written config reproduces the cycle.
	again, err := config.Load(config.LoadOptions{File: filepath.Join(dir1, "config.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if CycleID(again, c1.Env.Observation, "test") != c1.ID {
		t.Error("config.yaml written with the cycle does not give back its id")
	}

	// Another seed is another cycle.
	c3, err := Run(ctx, small(t, map[string]any{"optimizer.seed": uint64(7)}), oracle.Template{}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if c3.ID == c1.ID {
		t.Error("a different seed kept the cycle id")
	}
}

func TestNoChangeWhenNothingCanMove(t *testing.T) {
	cfg := small(t, nil)
	// Freeze everything but the participation reward, and hold it at 0..0.
	for k, sp := range cfg.Search {
		sp.Frozen = k != "participation_reward"
		cfg.Search[k] = sp
	}
	zero := 0.0
	cfg.Search["participation_reward"] = config.SearchParam{Min: &zero, Max: &zero}
	c, err := Run(context.Background(), cfg, oracle.Template{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Recommendation.Change || !strings.Contains(c.Recommendation.Reason, "parameters in force") {
		t.Errorf("frozen search recommended change: %v (%s)", c.Recommendation.Change, c.Recommendation.Reason)
	}
	if d := c.Recommendation.Score.Difference; d.Mean != 0 || d.CI.Lo != 0 || d.CI.Hi != 0 {
		t.Errorf("the same parameters on the same seeds must differ by exactly 0, got %+v", d)
	}
}

func TestConfigMistakesAreUserErrors(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		mutate func(*config.Config)
		want   string
	}{
		"unknown current param":           {func(c *config.Config) { c.Current["qourum"] = 0.1 }, `"qourum"`},
		"unknown search param":            {func(c *config.Config) { c.Search["speed"] = c.Search["quorum"] }, `"speed"`},
		"unknown objective":               {func(c *config.Config) { c.Objectives[0].Name = "happiness" }, `"happiness"`},
		"unknown model":                   {func(c *config.Config) { c.DAO.Model = "futarchy" }, `"futarchy"`},
		"unknown model option":            {func(c *config.Config) { c.DAO.Options["adversary"] = 1 }, `"adversary"`},
		"current out of bounds":           {func(c *config.Config) { c.Current["quorum"] = 0.9 }, "quorum"},
		"unknown source":                  {func(c *config.Config) { c.Sources[0].Type = "ipfs" }, `"ipfs"`},
		"another DAO's data":              {func(c *config.Config) { c.DAO.Name = "Uniswap" }, `dao.name: is "Uniswap" but the data`},
		"source labelled for another DAO": {func(c *config.Config) { c.DAO.Name = "Uniswap"; c.Sources[0].DAO = "Gitcoin" }, `sources[0].dao: is "Gitcoin"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := small(t, nil)
			c.mutate(cfg)
			env, err := Prepare(ctx, cfg, nil)
			if err == nil {
				err = env.SearchErr() // objectives and search: reported when searching
			}
			if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v; want config.ErrInvalid naming %s", err, c.want)
			}
		})
	}
}

func TestBadMetricsFileIsNamed(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "m.json")
	os.WriteFile(bad, bytes.Replace(b, []byte(`"holders": 8400`), []byte(`"holders": -5`), 1), 0o644)
	cfg := small(t, nil)
	cfg.Sources[0] = config.Source{Type: "file", Path: bad, DAO: "Example DAO"}
	_, err = Prepare(context.Background(), cfg, nil)
	if !errors.Is(err, metrics.ErrInvalid) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `"holders"`) {
		t.Errorf("error = %v", err)
	}
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, b, 0o644)
	cfg.Sources[0] = config.Source{Type: "file", Path: good, DAO: "Example DAO"}
	env, err := Prepare(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if env.Observation.Source != good {
		t.Errorf("provenance %q, want the path read, %q", env.Observation.Source, good)
	}
}

func TestPoorFitStopsTheCycle(t *testing.T) {
	dir := t.TempDir()
	b, _ := os.ReadFile("../configs/examples/metrics.json")
	// A pass rate no electorate of this size and turnout can produce
	// under a 4% quorum with 1% turnout.
	b = bytes.Replace(b, []byte(`"turnout_power": 0.082`), []byte(`"turnout_power": 0.01`), 1)
	b = bytes.Replace(b, []byte(`"proposals_passed": 28`), []byte(`"proposals_passed": 34`), 1)
	path := filepath.Join(dir, "m.json")
	os.WriteFile(path, b, 0o644)
	cfg := small(t, nil)
	cfg.Sources[0] = config.Source{Type: "file", Path: path, DAO: "Example DAO"}
	env, err := Prepare(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.Cycle(context.Background(), oracle.Template{}, Options{})
	if !errors.Is(err, ErrPoorFit) || !strings.Contains(err.Error(), "tolerance") {
		t.Errorf("error = %v; want ErrPoorFit", err)
	}
}

func TestCancelMidSearch(t *testing.T) {
	cfg := small(t, map[string]any{"optimizer.trials": 400})
	env, err := Prepare(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := 0
	_, err = env.Cycle(ctx, oracle.Template{}, Options{Progress: func(p optimizer.Progress) {
		if done = p.Done; done >= 9 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || done >= 400 {
		t.Errorf("error = %v after %d trials; want context.Canceled well before 400", err, done)
	}
}

// BenchmarkCycle measures the default `attune run` cycle (embedded config:
// 160 trials x 8 replications, 32 validation replications) without writing.
func BenchmarkCycle(b *testing.B) {
	cfg, err := config.Load(config.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Run(context.Background(), cfg, oracle.Template{}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCVaRVerdictJudgesTheTail(t *testing.T) {
	cfg := small(t, map[string]any{"risk.measure": "cvar", "risk.alpha": 0.5, "dao.options.period_elasticity": 1.0})
	c, err := Run(context.Background(), cfg, oracle.Template{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Recommendation.Score
	if !strings.Contains(c.Recommendation.Reason, "cvar(0.5)") || c.Recommendation.Method.Risk != "cvar(0.5)" {
		t.Errorf("reason/method do not name the risk measure: %q %q", c.Recommendation.Reason, c.Recommendation.Method.Risk)
	}
	// The verdict's difference is CVaR(candidate) - CVaR(current): the mean
	// of the worst half, not the mean of all.
	if s.Difference.CI.Lo > s.Difference.Mean || s.Difference.CI.Hi < s.Difference.Mean {
		t.Errorf("bootstrap interval %+v does not hold its estimate", s.Difference)
	}
	if d := s.Recommended.Mean - s.Current.Mean; math.Abs(d-s.Difference.Mean) > 1e-9 {
		t.Errorf("difference %v is not recommended - current = %v", s.Difference.Mean, d)
	}
	if (c.Recommendation.Basis == oracle.BasisSignificant) != (c.Recommendation.Change && s.Difference.CI.Lo > 0) {
		t.Errorf("basis %q inconsistent with change %v and interval %+v", c.Recommendation.Basis, c.Recommendation.Change, s.Difference.CI)
	}
}

func TestWriteReplacesWholeDirectory(t *testing.T) {
	cfg := small(t, nil)
	c, err := Run(context.Background(), cfg, oracle.Template{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := c.Write(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "stale.txt")
	os.WriteFile(stale, []byte("from an older run"), 0o644)
	if _, err := c.Write(cfg.Out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("rewriting a cycle kept a file of the old directory")
	}
	entries, _ := os.ReadDir(cfg.Out)
	if len(entries) != 2 { // the cycle and the writers' lock file
		t.Errorf("temporary directories left behind: %v", entries)
	}
}

// Data whose label differs from dao.name run when the source names that
// label, and names match ignoring case and punctuation.
func TestDataLabelledForThisDAORun(t *testing.T) {
	for _, mutate := range []func(*config.Config){
		func(c *config.Config) { c.DAO.Name = "Compound Labs"; c.Sources[0].DAO = "compound" },
		func(c *config.Config) { c.DAO.Name = " COMPOUND " },
	} {
		cfg := small(t, nil)
		mutate(cfg)
		if _, err := Prepare(context.Background(), cfg, nil); err != nil {
			t.Errorf("dao.name %q, source dao %q: %v", cfg.DAO.Name, cfg.Sources[0].DAO, err)
		}
	}
}
