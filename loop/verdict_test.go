package loop

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator"
	"github.com/attune-dao/attune/simulator/simtest"
)

// The tests in this file check each basis of the verdict Recommend reaches
// on the closed-form fake model (simulator/simtest), whose answers are
// known: its noise is common random numbers, so the paired difference of
// an additive outcome between two parameter sets is exactly the difference
// of its expectations.

// fakeSpec is the part of a fake-model config a verdict test varies; the
// rest (governor, optimizer, source) is fixed by (fakeSpec).config.
type fakeSpec struct {
	options     string  // dao.options, a YAML flow mapping; "" means {}
	current     string  // current; "" means {a: 0.5, b: 0.5, inert: 0.5, n: 5}
	search      string  // search, a YAML flow mapping
	objectives  string  // objectives, a YAML flow sequence
	constraints string  // constraints; "" means []
	risk        string  // risk; "" means {measure: mean, alpha: 0.1}
	turnout     float64 // observed turnout_power; 0 means 0.3
	seed        uint64  // optimizer.seed; 0 means 42
	preset      string  // optimizer.preset; "" means balanced
	sampler     string  // optimizer.sampler; "" means tpe
	storage     string  // optimizer.storage; "" means memory
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// config writes a metrics file and a config for the fake model to a
// temporary directory and loads the config: 24 trials of 8 replications,
// 16 validation replications.
func (s fakeSpec) config(t *testing.T) *config.Config {
	t.Helper()
	simtest.RegisterFake()
	dir := t.TempDir()
	turnout, seed := s.turnout, s.seed
	if turnout == 0 {
		turnout = 0.3
	}
	if seed == 0 {
		seed = 42
	}
	metricsPath := filepath.Join(dir, "metrics.json")
	metricsJSON := fmt.Sprintf(`{
  "dao": "Fake DAO",
  "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-07-01T00:00:00Z"},
  "holders": 1000,
  "total_supply": 1000000,
  "gini": 0.8,
  "top10_share": 0.4,
  "delegated_share": 0.5,
  "delegates": 50,
  "proposals": 12,
  "proposals_passed": 6,
  "turnout_power": %g,
  "turnout_count": 0.05
}
`, turnout)
	if err := os.WriteFile(metricsPath, []byte(metricsJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`dao:
  name: Fake DAO
  model: %s
  governor: oz
  options: %s
  rules:
    changes: {a: vote, b: vote, inert: vote, n: vote}
current: %s
search: %s
objectives: %s
constraints: %s
risk: %s
optimizer:
  sampler: %s
  preset: %s
  storage: %q
  trials: 24
  replications: 8
  validation: 16
  batch: 4
  seed: %d
  confidence: 0.9
calibration:
  tolerance: 0.1
  replications: 16
sources:
  - {type: file, path: %q}
out: %q
`, simtest.FakeName, orDefault(s.options, "{}"), orDefault(s.current, "{a: 0.5, b: 0.5, inert: 0.5, n: 5}"),
		s.search, s.objectives, orDefault(s.constraints, "[]"), orDefault(s.risk, "{measure: mean, alpha: 0.1}"),
		orDefault(s.sampler, "tpe"), orDefault(s.preset, "balanced"), orDefault(s.storage, "memory"), seed, metricsPath, filepath.Join(dir, "out"))
	cfgPath := filepath.Join(dir, "attune.yaml")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{File: cfgPath, Env: []string{}})
	if err != nil {
		t.Fatalf("load config:\n%s\n%v", yaml, err)
	}
	return cfg
}

// env prepares the spec's config: reads the metrics and calibrates.
func (s fakeSpec) env(t *testing.T) *Env {
	t.Helper()
	e, err := Prepare(context.Background(), s.config(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// cycle prepares the spec and runs a whole cycle with the template drafter.
func (s fakeSpec) cycle(t *testing.T) *Cycle {
	t.Helper()
	c, err := s.env(t).Cycle(context.Background(), oracle.Template{}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("candidate %v: %s: %s", c.Recommendation.Candidate, c.Recommendation.Basis, c.Recommendation.Reason)
	return c
}

// param returns the recommendation's row for the parameter name.
func param(t *testing.T, rec oracle.Recommendation, name string) oracle.ParamChange {
	t.Helper()
	for _, p := range rec.Params {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no parameter %q in the recommendation", name)
	return oracle.ParamChange{}
}

// assertKept fails unless every parameter is recommended at its value in
// force.
func assertKept(t *testing.T, rec oracle.Recommendation) {
	t.Helper()
	if len(rec.Params) != 4 {
		t.Errorf("%d parameter rows, want the fake's 4", len(rec.Params))
	}
	for _, p := range rec.Params {
		if p.Recommended != p.Current {
			t.Errorf("no change recommended, yet %s moves %v -> %v", p.Name, p.Current, p.Recommended)
		}
	}
}

// assertMoves fails unless the recommendation moves exactly the parameter
// name, to the candidate's value, and holds every other one.
func assertMoves(t *testing.T, rec oracle.Recommendation, name string) {
	t.Helper()
	for _, p := range rec.Params {
		switch {
		case p.Name == name && p.Recommended != rec.Candidate[name]:
			t.Errorf("%s recommended %v, want the candidate's %v", name, p.Recommended, rec.Candidate[name])
		case p.Name == name && p.Recommended == p.Current:
			t.Errorf("%s recommended at its value in force %v", name, p.Current)
		case p.Name != name && p.Recommended != p.Current:
			t.Errorf("%s moves %v -> %v, but only %s was searched", p.Name, p.Current, p.Recommended, name)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// Raising a raises gain by exactly slope_a per unit on every replication:
// the search moves a up and the verdict finds the gain significant.
func TestVerdictSignificant(t *testing.T) {
	c := fakeSpec{
		options:    "{slope_a: 2, noise_sd: 0.1}",
		search:     "{a: {min: 0, max: 1}}",
		objectives: "[{name: gain, weight: 1}]",
	}.cycle(t)
	rec := c.Recommendation
	if !rec.Change || rec.Basis != oracle.BasisSignificant {
		t.Fatalf("change %v, basis %q (%s); want a significant change", rec.Change, rec.Basis, rec.Reason)
	}
	a := param(t, rec, simtest.FakeA)
	if !(a.Recommended > a.Current) || a.Current != 0.5 {
		t.Errorf("a recommended %v from %v; want a above 0.5", a.Recommended, a.Current)
	}
	assertMoves(t, rec, simtest.FakeA)
	// The known answer: the score is gain/1, and paired differences of gain
	// are exactly slope_a·Δa.
	d := rec.Score.Difference
	if want := 2 * (a.Recommended - 0.5); !near(d.Mean, want) || !near(d.CI.Lo, want) || !near(d.CI.Hi, want) {
		t.Errorf("score difference %+v; want exactly 2·Δa = %v with a zero-width interval", d, want)
	}
	if d.N != 16 {
		t.Errorf("score difference on %d replications, want the 16 validation ones", d.N)
	}
	if !strings.Contains(c.Proposal.Title, "Raise a to ") {
		t.Errorf("title %q does not propose a change", c.Proposal.Title)
	}
}

// inert affects nothing, so searching it alone can never justify a change:
// every trial ties with the parameters in force, which stay best. A
// sampler that broke the tie the other way would meet a difference of
// exactly zero, which is not significant.
func TestVerdictInertCannotMove(t *testing.T) {
	e := fakeSpec{
		current:    "{a: 0.5, b: 0.5, inert: 0.3, n: 5}",
		search:     "{inert: {min: 0, max: 1}}",
		objectives: "[{name: gain, weight: 1}]",
	}.env(t)
	ctx := context.Background()
	c, err := e.Cycle(ctx, oracle.Template{}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	rec, res := c.Recommendation, c.Search[0]
	for _, tr := range res.Trials {
		if !reflect.DeepEqual(tr.Eval, res.Trials[0].Eval) {
			t.Fatalf("trial %d (inert %v) scored %+v, the baseline %+v; inert should move nothing", tr.Number, tr.Params[simtest.FakeInert], tr.Eval, res.Trials[0].Eval)
		}
	}
	if res.Best != 0 {
		t.Fatalf("best trial %d; ties must keep the baseline", res.Best)
	}
	if rec.Change || rec.Basis != oracle.BasisCurrentBest {
		t.Errorf("change %v, basis %q (%s); want no change, current_best", rec.Change, rec.Basis, rec.Reason)
	}
	assertKept(t, rec)
	if d := rec.Score.Difference; d.Mean != 0 || d.CI.Lo != 0 || d.CI.Hi != 0 {
		t.Errorf("the same parameters on the same seeds must differ by exactly 0, got %+v", d)
	}

	// The tie broken the other way: a trial with another inert is "best"
	// (one that rounding to two significant digits does not bring back to
	// 0.3).
	k := 0
	for i, tr := range res.Trials {
		if math.Abs(tr.Params[simtest.FakeInert]-0.3) > 0.01 {
			k = i
			break
		}
	}
	if k == 0 {
		t.Fatal("the search never moved inert")
	}
	tied := *res
	tied.Best = k
	rec, err = e.Recommend(ctx, c.ID, Searches{&tied}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Candidate[simtest.FakeInert] == 0.3 {
		t.Fatalf("candidate inert %v is the value in force", rec.Candidate[simtest.FakeInert])
	}
	if rec.Change || rec.Basis != oracle.BasisNotSignificant {
		t.Errorf("tied candidate: change %v, basis %q (%s); want no change, not_significant", rec.Change, rec.Basis, rec.Reason)
	}
	assertKept(t, rec)
	if d := rec.Score.Difference; d.Mean != 0 || d.CI.Lo != 0 || d.CI.Hi != 0 {
		t.Errorf("inert moved the score: %+v", d)
	}
}

// With b = 0.9 in force, cost = b breaks "cost <= 0.5". The objective (gain,
// rising with b) prefers the b in force, so only the constraint can justify
// the change: the score falls, and the verdict says the constraint is why.
func TestVerdictConstraintInForce(t *testing.T) {
	c := fakeSpec{
		options:     "{noise_sd: 0.01}",
		current:     "{a: 0.5, b: 0.9, inert: 0.5, n: 5}",
		search:      "{b: {min: 0, max: 1}}",
		objectives:  "[{name: gain, weight: 1}]",
		constraints: `["cost <= 0.5"]`,
	}.cycle(t)
	rec := c.Recommendation
	if !rec.Change || rec.Basis != oracle.BasisConstraint {
		t.Fatalf("change %v, basis %q (%s); want a change on the constraint", rec.Change, rec.Basis, rec.Reason)
	}
	b := param(t, rec, simtest.FakeB)
	if !(b.Recommended <= 0.5) {
		t.Errorf("b recommended %v; want at most 0.5, where cost meets its bound", b.Recommended)
	}
	assertMoves(t, rec, simtest.FakeB)
	// Known answer: gain moves by exactly slope_b·Δb = 0.5·Δb < 0.
	d := rec.Score.Difference
	if want := 0.5 * (b.Recommended - 0.9); !near(d.Mean, want) || !(d.CI.Hi < 0) {
		t.Errorf("score difference %+v; want exactly 0.5·Δb = %v, significantly below 0", d, want)
	}
	if len(rec.Constraints) != 1 {
		t.Fatalf("constraints %+v; want one", rec.Constraints)
	}
	if cc := rec.Constraints[0]; cc.Current <= 0.5 || cc.Recommended > 0.5 || !cc.OK {
		t.Errorf("constraint check %+v; want current above 0.5, recommended within it", cc)
	}
}

// The best candidate breaks a constraint on the validation replications:
// no change, whatever the score.
func TestVerdictCandidateInfeasible(t *testing.T) {
	// Gain rises with b, so the search drives b up to the edge of
	// "cost <= 0.5" as its 8 replications see it. On seed 13 their mean
	// cost noise is 0.2·(−0.584) and that of the 16 fresh replications
	// 0.2·0.556: the search's edge, near b = 0.62, lies past the
	// constraint's b = 0.39 on validation, while b = 0.2 in force meets it.
	t.Run("feasible in search, not on validation", func(t *testing.T) {
		c := fakeSpec{
			options:     "{noise_sd: 0.2}",
			seed:        13,
			current:     "{a: 0.5, b: 0.2, inert: 0.5, n: 5}",
			search:      "{b: {min: 0, max: 1}}",
			objectives:  "[{name: gain, weight: 1}]",
			constraints: `["cost <= 0.5"]`,
		}.cycle(t)
		rec, res := c.Recommendation, c.Search[0]
		if best := res.Trials[res.Best]; res.Best == 0 || !best.Eval.Feasible() {
			t.Fatalf("best trial %d %+v; the test needs a feasible search candidate other than the baseline (seed changed?)", res.Best, best.Eval)
		}
		if rec.Change || rec.Basis != oracle.BasisCandidateInfeasible {
			t.Fatalf("change %v, basis %q (%s); want no change, candidate_infeasible", rec.Change, rec.Basis, rec.Reason)
		}
		assertKept(t, rec)
		if !(rec.Candidate[simtest.FakeB] > 0.2) || !strings.Contains(rec.Reason, "cost <= 0.5") {
			t.Errorf("candidate %v, reason %q", rec.Candidate, rec.Reason)
		}
		// The score alone would have approved it: gain rises by 0.5·Δb.
		if d := rec.Score.Difference; !near(d.Mean, 0.5*(rec.Candidate[simtest.FakeB]-0.2)) || !(d.CI.Lo > 0) {
			t.Errorf("score difference %+v; want 0.5·Δb > 0", d)
		}
		if cc := rec.Constraints[0]; !cc.OK || cc.Recommended != cc.Current {
			t.Errorf("constraint check %+v; the recommendation keeps the feasible value in force", cc)
		}
	})
	// No b in [0.6, 1] meets "cost <= 0.2": the search's best is the least
	// violation, the lowest b, below the 0.9 in force but still infeasible.
	t.Run("no feasible point", func(t *testing.T) {
		c := fakeSpec{
			current:     "{a: 0.5, b: 0.9, inert: 0.5, n: 5}",
			search:      "{b: {min: 0.6, max: 1}}",
			objectives:  "[{name: gain, weight: 1}]",
			constraints: `["cost <= 0.2"]`,
		}.cycle(t)
		rec := c.Recommendation
		if rec.Change || rec.Basis != oracle.BasisCandidateInfeasible {
			t.Fatalf("change %v, basis %q (%s); want no change, candidate_infeasible", rec.Change, rec.Basis, rec.Reason)
		}
		assertKept(t, rec)
		if b := rec.Candidate[simtest.FakeB]; !(b >= 0.6 && b < 0.9) {
			t.Errorf("candidate b %v; want the least violation, in [0.6, 0.9)", b)
		}
	})
}

// An observed turnout of 0.9 is out of the fake's reach: its intercept
// clamps at turnout_intercept_max 0.5, so the model reproduces 0.5, a miss
// of 44%.
func TestVerdictPoorFit(t *testing.T) {
	spec := fakeSpec{
		options:    "{noise_sd: 0}",
		search:     "{a: {min: 0, max: 1}}",
		objectives: "[{name: gain, weight: 1}]",
		turnout:    0.9,
	}
	e := spec.env(t)
	if th := e.Fit.Latent[simtest.FakeInterceptLatent]; th != 0.5 || e.Fit.Latent[simtest.FakeInterceptLatent+"_at_bound"] != 1 {
		t.Fatalf("fitted intercept %v, latents %v; want 0.5 at its bound", th, e.Fit.Latent)
	}
	ctx := context.Background()
	_, err := e.Cycle(ctx, oracle.Template{}, Options{})
	if !errors.Is(err, ErrPoorFit) || !strings.Contains(err.Error(), "simulated "+metrics.TurnoutPower+" = 0.5 against observed 0.9 (error 44.4%") {
		t.Fatalf("error = %v; want ErrPoorFit naming %s and its 44.4%% miss", err, metrics.TurnoutPower)
	}

	c, err := e.Cycle(ctx, oracle.Template{}, Options{AcceptPoorFit: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := c.Recommendation
	if !strings.HasPrefix(rec.PoorFit, "simulated "+metrics.TurnoutPower+" = 0.5 against observed 0.9") {
		t.Errorf("PoorFit %q; want the miss on %s, without the sentinel's text", rec.PoorFit, metrics.TurnoutPower)
	}
	// The draft states the warning first, in the post's motivation, and
	// again in the appendix's method.
	md := c.Proposal.Markdown
	if !strings.Contains(c.Proposal.Post, "**Why.** Warning: the model does not reproduce this DAO's data ("+strings.TrimSuffix(rec.PoorFit, ".")+")") {
		t.Errorf("the post does not open its motivation with the poor-fit warning:\n%s", c.Proposal.Post)
	}
	if !strings.Contains(c.Proposal.Appendix, "**Warning: the model does not reproduce this DAO's data**: ") {
		t.Errorf("the appendix does not repeat the warning:\n%s", md)
	}

	// The same cycle on a turnout the model reaches: no warning.
	spec.turnout = 0.3
	c, err = spec.env(t).Cycle(ctx, oracle.Template{}, Options{AcceptPoorFit: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Recommendation.PoorFit != "" || strings.Contains(c.Proposal.Markdown, "Warning") {
		t.Errorf("a good fit carries a warning: %q", c.Recommendation.PoorFit)
	}
}

// risk = 1 + a·(J − 0.5) with J a tail event of chance 0.2 (noise 0): its
// mean, 1 − 0.3·a, falls as a rises, while its tail (1 + 0.5·a) rises.
// Judged on the mean, a higher a is significantly better; judged on
// CVaR(0.05), the worst replication of 8 or 16, a lower a is better on the
// tail, and the verdict does not raise a.
func TestVerdictCVaRJudgesTheTail(t *testing.T) {
	const (
		tail, relief = 1.0, 0.5
		options      = "{noise_sd: 0, risk_prob: 0.2, risk_tail: 1, risk_relief: 0.5}"
	)
	spec := fakeSpec{
		options:    options,
		search:     "{a: {min: 0, max: 1}}",
		objectives: "[{name: risk, weight: 1}]",
	}
	mean := spec.env(t)

	// The tail events on the seeds the search and the validation draw.
	cfg := mean.Config.Optimizer
	tails := func(base uint64, n int) int {
		k := 0
		for r := range n {
			v, err := mean.Instance.Run(context.Background(), simulator.Params{simtest.FakeA: 1}, simulator.SeedFor(base, r))
			if err != nil {
				t.Fatal(err)
			}
			if v[simtest.FakeRisk] > 1 {
				k++
			}
		}
		return k
	}
	ks, kv := tails(cfg.Seed, cfg.Replications), tails(cfg.Seed^validationSalt, cfg.Validation)
	// On the search replications the mean falls with a when fewer than
	// relief/tail of them are tail events, and the worst one rises with a
	// when there is one. On validation, 1 or 2 tail events in 16 keep the
	// mean's gain significant, and the worst replication is a tail event.
	if !(ks >= 1 && float64(ks)/float64(cfg.Replications) < relief/tail) || kv < 1 || kv > 2 {
		t.Fatalf("%d of %d search and %d of %d validation replications are tail events; the test needs 1 to 3 and 1 to 2 (seed or fake changed?)", ks, cfg.Replications, kv, cfg.Validation)
	}

	c, err := mean.Cycle(context.Background(), oracle.Template{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := c.Recommendation
	a := param(t, rec, simtest.FakeA)
	if !rec.Change || rec.Basis != oracle.BasisSignificant || !(a.Recommended > 0.5) {
		t.Fatalf("mean: change %v, basis %q, a %v -> %v (%s); want a significant rise of a", rec.Change, rec.Basis, a.Current, a.Recommended, rec.Reason)
	}
	// Known answer: the score is −risk; per replication it moves by
	// Δa·(relief − tail·J), on average Δa·(relief − tail·kv/16).
	da := a.Recommended - 0.5
	if want := da * (relief - tail*float64(kv)/16); !near(rec.Score.Difference.Mean, want) || !(rec.Score.Difference.CI.Lo > 0) {
		t.Errorf("mean: score difference %+v, want %v, significant", rec.Score.Difference, want)
	}

	spec.risk = "{measure: cvar, alpha: 0.05}"
	c = spec.cycle(t)
	rec = c.Recommendation
	a = param(t, rec, simtest.FakeA)
	cand := rec.Candidate[simtest.FakeA]
	if a.Recommended > 0.5 || !(cand < 0.5) {
		t.Errorf("cvar: a %v -> %v (candidate %v); the tail favours a lower a", a.Current, a.Recommended, cand)
	}
	// Known answer: the worst of the 16 validation scores is a tail event,
	// −(1 + a·(tail − relief)), under either parameter set.
	s := rec.Score
	if want := -(1 + 0.5*(tail-relief)); !near(s.Current.Mean, want) {
		t.Errorf("cvar: score of the parameters in force %v, want the CVaR %v", s.Current.Mean, want)
	}
	if want := -(1 + cand*(tail-relief)); !near(s.Recommended.Mean, want) {
		t.Errorf("cvar: score of the candidate %v, want the CVaR %v", s.Recommended.Mean, want)
	}
	if want := (0.5 - cand) * (tail - relief); !near(s.Difference.Mean, want) || want <= 0 {
		t.Errorf("cvar: score difference %v, want %v > 0", s.Difference.Mean, want)
	}
	// On the mean, the candidate is worse: the two judges disagree.
	if e := rec.Effects[0]; e.Name != simtest.FakeRisk || !(e.Difference.Mean > 0) {
		t.Errorf("cvar: the candidate's mean risk changes by %+v; want it higher", e.Difference)
	}
	// A paired resample with no tail event, where the lower a is worse,
	// has chance (1 − kv/16)^16, at least 11%: the interval reaches below 0, the
	// tail's gain is not significant, and a stays.
	if rec.Change || rec.Basis != oracle.BasisNotSignificant || !(s.Difference.CI.Lo < 0) || !(s.Difference.CI.Hi > 0) {
		t.Errorf("cvar: change %v, basis %q, interval %+v (%s); want not_significant", rec.Change, rec.Basis, s.Difference.CI, rec.Reason)
	}
	assertKept(t, rec)
	if !strings.Contains(rec.Reason, "cvar(0.05)") || rec.Method.Risk != "cvar(0.05)" {
		t.Errorf("cvar: reason %q, method risk %q; want cvar(0.05) named", rec.Reason, rec.Method.Risk)
	}
}
