package simtest

import (
	"context"
	"errors"
	"hash/fnv"
	"math"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// observation returns the example DAO's metrics.
func observation(t testing.TB) metrics.Observation {
	t.Helper()
	b, err := os.ReadFile("../../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	obs, err := metrics.Parse(b, "example")
	if err != nil {
		t.Fatal(err)
	}
	return obs
}

var current = simulator.Params{FakeA: 0.3, FakeB: 0.6, FakeN: 4}

func TestFakeConformance(t *testing.T) {
	Conformance(t, NewFake(DefaultFakeConfig()), observation(t), current)
}

// TestFakePassesEveryCheckOnARecorder runs the checks through a Recorder,
// as the broken-model tests below do, so that a failure there is the
// breakage and not the recorder.
func TestFakePassesEveryCheckOnARecorder(t *testing.T) {
	s := NewSuite(NewFake(DefaultFakeConfig()), observation(t), current)
	for _, c := range s.Checks() {
		var r Recorder
		if !r.Run(c.Run) {
			t.Errorf("%s: %q", c.Name, r.Errors())
		}
	}
}

// wrapped is the fake with some of its behaviour replaced.
type wrapped struct {
	*FakeModel
	params    func([]simulator.ParamSpec) []simulator.ParamSpec
	outcomes  func([]simulator.OutcomeSpec) []simulator.OutcomeSpec
	options   func([]simulator.OptionSpec) []simulator.OptionSpec
	calibrate func(simulator.Fit) simulator.Fit
	run       func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error)
}

func (w *wrapped) Params() []simulator.ParamSpec {
	if w.params != nil {
		return w.params(w.FakeModel.Params())
	}
	return w.FakeModel.Params()
}

func (w *wrapped) Outcomes() []simulator.OutcomeSpec {
	if w.outcomes != nil {
		return w.outcomes(w.FakeModel.Outcomes())
	}
	return w.FakeModel.Outcomes()
}

func (w *wrapped) Options() []simulator.OptionSpec {
	if w.options != nil {
		return w.options(w.FakeModel.Options())
	}
	return w.FakeModel.Options()
}

func (w *wrapped) Calibrate(ctx context.Context, obs metrics.Observation, cur simulator.Params, seed uint64) (simulator.Instance, simulator.Fit, error) {
	in, fit, err := w.FakeModel.Calibrate(ctx, obs, cur, seed)
	if err != nil {
		return nil, fit, err
	}
	if w.calibrate != nil {
		fit = w.calibrate(fit)
	}
	if w.run == nil {
		return in, fit, nil
	}
	return runFunc(func(ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
		return w.run(in, ctx, p, seed)
	}), fit, nil
}

type runFunc func(ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error)

func (f runFunc) Run(ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
	return f(ctx, p, seed)
}

func fake() *FakeModel { return NewFake(DefaultFakeConfig()) }

// TestBrokenModelsFail wraps the fake so that it breaks one rule, and
// checks that the check for that rule fails, saying why.
func TestBrokenModelsFail(t *testing.T) {
	var calls atomic.Int64
	cases := []struct {
		name  string
		model simulator.Model
		check string // the check that must fail
		want  string // in its failure message
	}{
		{"extra outcome", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			v, err := in.Run(ctx, p, seed)
			if err == nil {
				v["extra"] = 1
			}
			return v, err
		}}, "Outcomes", "undeclared outcomes reported: extra"},
		{"missing outcome", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			v, err := in.Run(ctx, p, seed)
			delete(v, FakeCost)
			return v, err
		}}, "Outcomes", "declared outcomes missing: cost"},
		{"infinite outcome", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			v, err := in.Run(ctx, p, seed)
			if err == nil && p[FakeA] == 0 {
				v[FakeGain] = math.Inf(1)
			}
			return v, err
		}}, "Outcomes", "outcomes not finite: gain=+Inf"},
		{"nondeterministic run", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			v, err := in.Run(ctx, p, seed)
			if err == nil {
				v[FakeGain] += 1e-9 * float64(calls.Add(1))
			}
			return v, err
		}}, "Determinism", "twice gives different outcomes"},
		{"nondeterministic run (concurrency)", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			v, err := in.Run(ctx, p, seed)
			if err == nil {
				v[FakeGain] += 1e-9 * float64(calls.Add(1))
			}
			return v, err
		}}, "Concurrency", "differs from the serial run"},
		{"seed ignored", NewFake(func() FakeConfig { c := DefaultFakeConfig(); c.NoiseSD = 0; return c }()),
			"Determinism", "no outcome depends on the seed"},
		{"nondeterministic calibration", &wrapped{FakeModel: fake(), calibrate: func(f simulator.Fit) simulator.Fit {
			f.Latent["draw"] = float64(calls.Add(1))
			return f
		}}, "Calibration", "Fit.Latent differs"},
		{"ignores invalid params", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			return in.Run(ctx, sanitize(p), seed)
		}}, "InvalidParams", "want one wrapping simulator.ErrInvalidParams"},
		{"other error when cancelled", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			if ctx.Err() != nil {
				return nil, errors.New("stopped")
			}
			return in.Run(ctx, p, seed)
		}}, "Cancellation", "want one wrapping context.Canceled"},
		{"CRN broken by reseeding from the parameters", &wrapped{FakeModel: fake(), run: func(in simulator.Instance, ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
			return in.Run(ctx, p, seed^hashParams(p))
		}}, "CommonRandomNumbers", "common random numbers: nudging"},
		{"default out of bounds", &wrapped{FakeModel: fake(), params: func(ps []simulator.ParamSpec) []simulator.ParamSpec {
			ps[0].Default = 2
			return ps
		}}, "Declarations", "want Min <= Default <= Max"},
		{"duplicate outcome", &wrapped{FakeModel: fake(), outcomes: func(os []simulator.OutcomeSpec) []simulator.OutcomeSpec {
			return append(os, os[0])
		}}, "Declarations", `declares "gain" twice`},
		{"options unsorted", &wrapped{FakeModel: fake(), options: func(os []simulator.OptionSpec) []simulator.OptionSpec {
			slices.Reverse(os)
			return os
		}}, "Declarations", "not sorted by name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewSuite(c.model, observation(t), current)
			i := slices.IndexFunc(s.Checks(), func(k Check) bool { return k.Name == c.check })
			if i < 0 {
				t.Fatalf("no check %q", c.check)
			}
			var r Recorder
			if r.Run(s.Checks()[i].Run) {
				t.Fatalf("%s passed a model that breaks it", c.check)
			}
			msgs := strings.Join(r.Errors(), "\n")
			if !strings.Contains(msgs, c.want) {
				t.Errorf("%s failed, but not saying %q:\n%s", c.check, c.want, msgs)
			}
			t.Logf("%s reports:\n%s", c.check, msgs)
		})
	}
}

// sanitize turns any parameters into valid ones, as a model that ignores
// ErrInvalidParams would.
func sanitize(p simulator.Params) simulator.Params {
	out := simulator.Params{}
	for _, s := range fakeParams {
		v, ok := p[s.Name]
		if !ok || math.IsNaN(v) {
			v = s.Default
		}
		v = min(max(v, s.Min), s.Max)
		if s.Integer {
			v = math.Round(v)
		}
		out[s.Name] = v
	}
	return out
}

func hashParams(p simulator.Params) uint64 {
	h := fnv.New64a()
	for _, k := range p.Names() {
		h.Write([]byte(k))
		b := math.Float64bits(p[k])
		for i := range 8 {
			h.Write([]byte{byte(b >> (8 * i))})
		}
	}
	return h.Sum64()
}

// TestModelThatFinishesWhenCancelledPasses checks the allowance: a model
// that finishes a run despite a cancelled context, with good outcomes,
// passes Cancellation.
func TestModelThatFinishesWhenCancelledPasses(t *testing.T) {
	m := &wrapped{FakeModel: fake(), run: func(in simulator.Instance, _ context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
		return in.Run(context.Background(), p, seed)
	}}
	var r Recorder
	if !r.Run(NewSuite(m, observation(t), current).Cancellation) {
		t.Fatalf("Cancellation failed a model that finishes its run: %q", r.Errors())
	}
	if logs := r.Logs(); len(logs) != 1 || !strings.Contains(logs[0], "allowed") {
		t.Errorf("logs = %q", logs)
	}
}

func TestSetupFailureStopsEveryCheck(t *testing.T) {
	obs := observation(t)
	obs.DAO = ""
	s := NewSuite(fake(), obs, current)
	for _, c := range s.Checks()[1:] { // Declarations needs no Instance
		var r Recorder
		if r.Run(c.Run) {
			t.Errorf("%s passed with an invalid Observation", c.Name)
		} else if e := r.Errors(); len(e) != 1 || !strings.Contains(e[0], "Observation given to the suite is invalid") {
			t.Errorf("%s: %q", c.Name, e)
		}
	}
}

func TestRecorder(t *testing.T) {
	var r Recorder
	reached := false
	passed := r.Run(func(tb TB) {
		tb.Errorf("one %d", 1)
		tb.Fatalf("two")
		reached = true
	})
	if passed || reached || !slices.Equal(r.Errors(), []string{"one 1", "two"}) {
		t.Errorf("passed %v, reached %v, errors %q", passed, reached, r.Errors())
	}
	defer func() {
		if v := recover(); v != "boom" {
			t.Errorf("recovered %v, want the check's own panic", v)
		}
	}()
	new(Recorder).Run(func(TB) { panic("boom") })
}

// TestFakeExpectedIsTheMean checks Expected against the mean of many runs:
// within 5 standard errors, from the exact StdDev.
func TestFakeExpectedIsTheMean(t *testing.T) {
	in, _, err := fake().Calibrate(context.Background(), observation(t), current, 1)
	if err != nil {
		t.Fatal(err)
	}
	fi := in.(*FakeInstance)
	const n = 20000
	for _, p := range []simulator.Params{current, {}, {FakeA: 1, FakeB: 0, FakeN: 10}, {FakeA: 0, FakeB: 1, FakeN: 1, FakeInert: 1}} {
		sum := metrics.Values{}
		for r := range n {
			v, err := in.Run(context.Background(), p, simulator.SeedFor(9, r))
			if err != nil {
				t.Fatal(err)
			}
			for k, x := range v {
				sum[k] += x
			}
		}
		want, sd := fi.Expected(p), fi.StdDev(p)
		if len(want) != len(fakeOutcomes) || len(sd) != len(fakeOutcomes) {
			t.Fatalf("Expected %v, StdDev %v: want every outcome", want, sd)
		}
		for _, k := range want.Names() {
			got := sum[k] / n
			if bound := 5*sd[k]/math.Sqrt(n) + 1e-12; math.Abs(got-want[k]) > bound {
				t.Errorf("%v: mean %s = %.5f over %d runs, expected %.5f (bound %.5f)", p, k, got, n, want[k], bound)
			}
		}
	}
}

// TestFakeCRNIsExact: on one seed, differences of the additive outcomes
// are exactly the differences of their expectations, and inert changes
// nothing.
func TestFakeCRNIsExact(t *testing.T) {
	in, _, err := fake().Calibrate(context.Background(), observation(t), current, 1)
	if err != nil {
		t.Fatal(err)
	}
	fi := in.(*FakeInstance)
	alt := simulator.Params{FakeA: 0.9, FakeB: 0.1, FakeN: 7, FakeInert: 0.2}
	ea, eb := fi.Expected(current), fi.Expected(alt)
	for r := range 50 {
		seed := simulator.SeedFor(4, r)
		a, _ := in.Run(context.Background(), current, seed)
		b, _ := in.Run(context.Background(), alt, seed)
		for _, k := range a.Names() {
			if k == FakeRisk {
				continue
			}
			if d, want := b[k]-a[k], eb[k]-ea[k]; math.Abs(d-want) > 1e-12 {
				t.Errorf("seed %d: %s paired difference %v, want %v", r, k, d, want)
			}
		}
		c, _ := in.Run(context.Background(), with(current, FakeInert, 1), seed)
		if d := diffMaps(a, c); d != "" {
			t.Errorf("inert changed an outcome: %s", d)
		}
	}
}

// TestFakeRiskTail: with the defaults, raising a lowers the mean of risk
// and raises its CVaR (the mean of its worst tenth).
func TestFakeRiskTail(t *testing.T) {
	in, _, err := fake().Calibrate(context.Background(), observation(t), current, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000
	stats := func(a float64) (mean, cvar float64) {
		xs := make([]float64, n)
		for r := range xs {
			v, _ := in.Run(context.Background(), simulator.Params{FakeA: a}, simulator.SeedFor(2, r))
			xs[r] = v[FakeRisk]
			mean += xs[r] / n
		}
		slices.Sort(xs)
		for _, x := range xs[n-n/10:] { // risk is minimized: the worst are the largest
			cvar += x / (n / 10)
		}
		return mean, cvar
	}
	m0, c0 := stats(0)
	m1, c1 := stats(1)
	if !(m1 < m0) || !(c1 > c0+2) {
		t.Errorf("a 0 -> 1: mean %.3f -> %.3f (want lower), CVaR %.3f -> %.3f (want higher)", m0, m1, c0, c1)
	}
	e := in.(*FakeInstance).Expected(simulator.Params{FakeA: 1})[FakeRisk]
	if math.Abs(e-0.9) > 1e-12 {
		t.Errorf("E[risk | a=1] = %v, want 1 + 4·0.1 − 0.5 = 0.9", e)
	}
}

func TestFakeFlipFollowsItsKnob(t *testing.T) {
	for _, slope := range []float64{-2, 3} {
		c := DefaultFakeConfig()
		c.FlipSlope = slope
		in, _, err := NewFake(c).Calibrate(context.Background(), observation(t), current, 1)
		if err != nil {
			t.Fatal(err)
		}
		e := in.(*FakeInstance)
		up := e.Expected(simulator.Params{FakeA: 1})[FakeFlip] - e.Expected(simulator.Params{FakeA: 0})[FakeFlip]
		if up != slope {
			t.Errorf("flip_slope %v: E[flip] rises by %v from a=0 to a=1", slope, up)
		}
	}
}

func TestFakeCalibration(t *testing.T) {
	obs := observation(t)
	turnout := obs.Values()[metrics.TurnoutPower]
	in, fit, err := fake().Calibrate(context.Background(), obs, current, 1)
	if err != nil {
		t.Fatal(err)
	}
	theta := turnout - 0.02*(0.3-0.5) - 0.01*(4-5)
	if got := fit.Latent[FakeInterceptLatent]; math.Abs(got-theta) > 1e-15 || fit.Latent[FakeInterceptLatent+"_at_bound"] != 0 {
		t.Errorf("latent %v, want intercept %v not at bound", fit.Latent, theta)
	}
	if got := in.(*FakeInstance).Theta(); got != fit.Latent[FakeInterceptLatent] {
		t.Errorf("Theta() = %v, latent %v", got, fit.Latent[FakeInterceptLatent])
	}
	fit.Tolerance = 1e-9
	if !fit.OK() || !slices.Equal(fit.Targets, []string{metrics.TurnoutPower}) || math.Abs(fit.Simulated[metrics.TurnoutPower]-turnout) > 1e-12 {
		t.Errorf("fit %+v", fit)
	}
	if got := fit.Observed.Names(); !slices.Equal(got, []string{metrics.PassRateName, metrics.ProposalsPerMonth, metrics.TurnoutPower}) {
		t.Errorf("observed %v; want only the metrics the fake reports", got)
	}

	// A bound below the needed intercept: clamped, and flagged.
	c := DefaultFakeConfig()
	c.TurnoutInterceptMax = turnout / 2
	_, fit, err = NewFake(c).Calibrate(context.Background(), obs, current, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Latent[FakeInterceptLatent] != turnout/2 || fit.Latent[FakeInterceptLatent+"_at_bound"] != 1 {
		t.Errorf("latent %v, want intercept %v at bound", fit.Latent, turnout/2)
	}
	fit.Tolerance = 0.1
	if fit.OK() {
		t.Errorf("a clamped intercept still fits: %+v", fit)
	}
}

func TestRegisterFake(t *testing.T) {
	RegisterFake()
	RegisterFake() // again: no panic
	if !slices.Contains(simulator.Models(), FakeName) {
		t.Fatalf("models %v", simulator.Models())
	}
	m, err := simulator.New(FakeName, simulator.Setup{Options: simulator.Options{"slope_a": 2, "noise_sd": 0}})
	if err != nil {
		t.Fatal(err)
	}
	if c := m.(*FakeModel).Config(); c.SlopeA != 2 || c.NoiseSD != 0 || c.SlopeB != 0.5 {
		t.Errorf("config %+v", c)
	}
	i := slices.IndexFunc(m.Options(), func(o simulator.OptionSpec) bool { return o.Name == "slope_a" })
	if i < 0 || m.Options()[i].Value != 2 {
		t.Errorf("options %v", m.Options())
	}
	for _, o := range []simulator.Options{{"slope_c": 1}, {"noise_sd": -1}, {"risk_prob": math.NaN()}} {
		if _, err := simulator.New(FakeName, simulator.Setup{Options: o}); !errors.Is(err, simulator.ErrInvalidParams) {
			t.Errorf("options %v: error %v, want ErrInvalidParams", o, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewFake with a bad config did not panic")
		}
	}()
	NewFake(FakeConfig{NoiseSD: -1})
}
