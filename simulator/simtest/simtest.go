// Package simtest tests simulator models. Conformance runs the checks every
// simulator.Model must pass, in the manner of testing/fstest: call it from a
// model's own tests with an Observation and the parameters in force. Fake is
// a closed-form model with known answers, for testing what drives models
// (calibration checks, search, verdicts) without a real simulation.
//
// Every check's work is bounded by counts (seeds, points, goroutines), never
// by time, so the checks are deterministic for a deterministic model and
// safe to run under -race.
//
// The checks take a TB, the part of testing.TB they use, so that a Recorder
// can stand in for a test and the checks themselves can be tested on models
// that must fail them.
package simtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// TB is the part of testing.TB the checks use. *testing.T and *Recorder
// satisfy it. A check calls Fatalf only from the goroutine it was called on.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

var _ TB = (testing.TB)(nil)

// Recorder is a TB that records failures instead of failing a test. Fatalf
// records its message and stops the check, which Run then recovers.
type Recorder struct {
	mu     sync.Mutex
	errors []string
	logs   []string
}

// fatal is the panic value with which Recorder.Fatalf stops a check.
type fatal struct{}

// Helper does nothing.
func (*Recorder) Helper() {}

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// Fatalf records a failure and stops the check; call it only under Run.
func (r *Recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}

// Logf records a log line.
func (r *Recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// Failed reports whether a failure has been recorded.
func (r *Recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}

// Errors returns the failures recorded, in order.
func (r *Recorder) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errors)
}

// Logs returns the log lines recorded, in order.
func (r *Recorder) Logs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.logs)
}

// Run calls check with r, stopping where it calls Fatalf, and reports
// whether r has recorded no failure. Other panics propagate.
func (r *Recorder) Run(check func(TB)) (passed bool) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(fatal); !ok {
				panic(v)
			}
		}
		passed = !r.Failed()
	}()
	check(r)
	return
}

// Options size the checks. The zero value gives the defaults.
type Options struct {
	// Seed is the base seed: replication r runs on simulator.SeedFor(Seed, r)
	// and Calibrate is called with Seed.
	Seed uint64
	// Seeds is the number of seeds the determinism, outcome and concurrency
	// checks run; 0 means 4, and fewer than 2 are raised to 2.
	Seeds int
	// CRNSeeds is the number N of seeds of the common-random-numbers check,
	// which makes 3·N runs per parameter it checks; 0 means 128, and fewer
	// than 8 are raised to 8.
	CRNSeeds int
	// Goroutines is the number of goroutines that run one Instance at once
	// in the concurrency check; 0 means 4, and fewer than 2 are raised to 2.
	Goroutines int
	// RandomPoints is the number of random in-bounds parameter sets the
	// outcome check runs besides the current, default, all-Min and all-Max
	// sets; 0 means 3, a negative number none.
	RandomPoints int
}

func (o Options) withDefaults() Options {
	def := func(v *int, zero, least int) {
		if *v == 0 {
			*v = zero
		}
		*v = max(*v, least)
	}
	def(&o.Seeds, 4, 2)
	def(&o.CRNSeeds, 128, 8)
	def(&o.Goroutines, 4, 2)
	if o.RandomPoints == 0 {
		o.RandomPoints = 3
	}
	o.RandomPoints = max(o.RandomPoints, 0)
	return o
}

// Constants of the common-random-numbers check.
const (
	// CRNNudge is the share of a parameter's range by which the check moves
	// it, towards the middle of the range.
	CRNNudge = 0.05
	// CRNMajority is the least share of varying outcomes on which paired
	// differences must vary no more than unpaired ones.
	CRNMajority = 0.75
)

// Check is one named conformance check.
type Check struct {
	Name string
	Run  func(TB)
}

// Suite holds a model under test and what it is tested with. It calibrates
// the model once, on first need, and shares the Instance among its checks.
// Its checks may run one after another or at once.
type Suite struct {
	model   simulator.Model
	obs     metrics.Observation
	current simulator.Params
	opt     Options

	mu     sync.Mutex
	called bool
	ready  *ready
	err    string // why setup failed, when it did
}

// ready is what setup produces.
type ready struct {
	params   []simulator.ParamSpec
	outcomes []simulator.OutcomeSpec
	base     simulator.Params // current, completed with defaults
	inst     simulator.Instance
	fit      simulator.Fit
}

// NewSuite returns the checks of m calibrated to obs under the parameters
// in force current, sized by the first of opts (or the defaults).
func NewSuite(m simulator.Model, obs metrics.Observation, current simulator.Params, opts ...Options) *Suite {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	return &Suite{model: m, obs: obs, current: current.Clone(), opt: o.withDefaults()}
}

// Conformance runs every check of NewSuite(m, obs, current, opts...) as a
// subtest of t, named as in Suite.Checks. obs must be valid and current
// must be valid parameters of m.
func Conformance(t *testing.T, m simulator.Model, obs metrics.Observation, current simulator.Params, opts ...Options) {
	t.Helper()
	NewSuite(m, obs, current, opts...).Run(t)
}

// Run runs every check as a subtest of t.
func (s *Suite) Run(t *testing.T) {
	t.Helper()
	for _, c := range s.Checks() {
		t.Run(c.Name, func(t *testing.T) { c.Run(t) })
	}
}

// Checks returns the checks in the order Conformance runs them.
func (s *Suite) Checks() []Check {
	return []Check{
		{"Declarations", s.Declarations},
		{"Calibration", s.Calibration},
		{"Determinism", s.Determinism},
		{"Outcomes", s.Outcomes},
		{"InvalidParams", s.InvalidParams},
		{"Cancellation", s.Cancellation},
		{"CommonRandomNumbers", s.CommonRandomNumbers},
		{"Concurrency", s.Concurrency},
	}
}

// setup checks the suite's inputs and calibrates the model once; every
// check that needs an Instance calls it and stops if it fails.
func (s *Suite) setup(tb TB) *ready {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.called {
		s.called = true
		s.ready, s.err = s.prepare()
	}
	if s.ready == nil {
		tb.Fatalf("%s", s.err)
	}
	return s.ready
}

func (s *Suite) prepare() (*ready, string) {
	if err := s.obs.Validate(); err != nil {
		return nil, fmt.Sprintf("the Observation given to the suite is invalid: %v", err)
	}
	r := &ready{params: s.model.Params(), outcomes: s.model.Outcomes()}
	base, err := simulator.Complete(r.params, s.current)
	if err != nil {
		return nil, fmt.Sprintf("the current parameters given to the suite do not suit %s's declarations: %v", s.model.Name(), err)
	}
	r.base = base
	inst, fit, err := s.model.Calibrate(context.Background(), s.obs, s.current.Clone(), s.opt.Seed)
	if err != nil {
		return nil, fmt.Sprintf("Calibrate(obs %q, current %v, seed %d): %v", s.obs.DAO, s.current, s.opt.Seed, err)
	}
	if inst == nil {
		return nil, "Calibrate returned a nil Instance and no error"
	}
	r.inst, r.fit = inst, fit
	return r, ""
}

// seed returns the seed of replication r.
func (s *Suite) seed(r int) uint64 { return simulator.SeedFor(s.opt.Seed, r) }

// run calls Run and stops the check on an error.
func run(tb TB, in simulator.Instance, p simulator.Params, seed uint64) metrics.Values {
	tb.Helper()
	v, err := in.Run(context.Background(), p.Clone(), seed)
	if err != nil {
		tb.Fatalf("Run(%v, seed %d): %v", p, seed, err)
	}
	return v
}

// Declarations checks what the model declares, without running it: the
// model has a name; parameters have unique non-empty names, finite Min <=
// Default <= Max, and whole-number bounds and default when Integer;
// outcomes have unique non-empty names, a Better of Maximize or Minimize
// and a finite Scale >= 0; options are sorted by name with no repeats and
// each value is finite and within its [Min, Max]. Each list is the same on
// every call, and changing a returned list does not change the model's.
func (s *Suite) Declarations(tb TB) {
	m := s.model
	if strings.TrimSpace(m.Name()) == "" {
		tb.Errorf("Name() is empty")
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	whole := func(x float64) bool { return x == math.Trunc(x) }

	params := m.Params()
	if len(params) == 0 {
		tb.Errorf("Params() declares no parameter")
	}
	seen := map[string]bool{}
	for i, p := range params {
		switch {
		case strings.TrimSpace(p.Name) == "":
			tb.Errorf("Params()[%d] has an empty name", i)
		case seen[p.Name]:
			tb.Errorf("Params() declares %q twice", p.Name)
		}
		seen[p.Name] = true
		if !finite(p.Min) || !finite(p.Max) || !finite(p.Default) {
			tb.Errorf("parameter %s: Min %v, Default %v, Max %v; want finite numbers", p.Name, p.Min, p.Default, p.Max)
		} else if !(p.Min <= p.Default && p.Default <= p.Max) {
			tb.Errorf("parameter %s: want Min <= Default <= Max, got %g <= %g <= %g", p.Name, p.Min, p.Default, p.Max)
		}
		if p.Integer && !(whole(p.Min) && whole(p.Max) && whole(p.Default)) {
			tb.Errorf("integer parameter %s: Min %g, Default %g, Max %g; want whole numbers", p.Name, p.Min, p.Default, p.Max)
		}
	}

	outs := m.Outcomes()
	if len(outs) == 0 {
		tb.Errorf("Outcomes() declares no outcome")
	}
	seen = map[string]bool{}
	for i, o := range outs {
		switch {
		case strings.TrimSpace(o.Name) == "":
			tb.Errorf("Outcomes()[%d] has an empty name", i)
		case seen[o.Name]:
			tb.Errorf("Outcomes() declares %q twice", o.Name)
		}
		seen[o.Name] = true
		if o.Better != simulator.Maximize && o.Better != simulator.Minimize && o.Better != simulator.Neutral {
			tb.Errorf("outcome %s: Better = %d; want Maximize (1), Minimize (-1) or Neutral (0)", o.Name, o.Better)
		}
		if !finite(o.Scale) || o.Scale < 0 {
			tb.Errorf("outcome %s: Scale = %v; want a finite number >= 0", o.Name, o.Scale)
		}
	}

	opts := m.Options()
	for i, o := range opts {
		if i > 0 && opts[i-1].Name >= o.Name {
			tb.Errorf("Options() not sorted by name with no repeats: %q before %q", opts[i-1].Name, o.Name)
		}
		if strings.TrimSpace(o.Name) == "" {
			tb.Errorf("Options()[%d] has an empty name", i)
		}
		if !finite(o.Min) || !finite(o.Max) || !finite(o.Value) {
			tb.Errorf("option %s: Min %v, Value %v, Max %v; want finite numbers", o.Name, o.Min, o.Value, o.Max)
		} else if !(o.Min <= o.Value && o.Value <= o.Max) {
			tb.Errorf("option %s = %g is outside its declared [%g, %g]", o.Name, o.Value, o.Min, o.Max)
		}
	}

	// Stable, and returned as copies.
	if again := m.Params(); !slices.Equal(params, again) {
		tb.Errorf("Params() differs between calls:\n%v\n%v", params, again)
	}
	if again := m.Outcomes(); !slices.Equal(outs, again) {
		tb.Errorf("Outcomes() differs between calls:\n%v\n%v", outs, again)
	}
	if again := m.Options(); !slices.Equal(opts, again) {
		tb.Errorf("Options() differs between calls:\n%v\n%v", opts, again)
	}
	if len(params) > 0 {
		p := m.Params()
		orig := p[0].Name
		p[0].Name = orig + "\x00changed"
		changed := m.Params()[0].Name != orig
		p[0].Name = orig
		if changed {
			tb.Errorf("Params() returns the model's own slice: changing the result changed the model; return a copy")
		}
	}
	if len(outs) > 0 {
		o := m.Outcomes()
		orig := o[0].Name
		o[0].Name = orig + "\x00changed"
		changed := m.Outcomes()[0].Name != orig
		o[0].Name = orig
		if changed {
			tb.Errorf("Outcomes() returns the model's own slice: changing the result changed the model; return a copy")
		}
	}
}

// Calibration checks Calibrate. Called twice with the same Observation,
// parameters and seed it returns Fits with the same Latent values,
// Simulated values and Targets, and Instances whose Runs agree on
// Options.Seeds seeds. The Fit is well formed: its Latent, Observed,
// Simulated and Error values are finite, and every Target is an observed
// metric and a declared outcome. An Observation that fails Validate (its
// DAO name blanked) is an error wrapping metrics.ErrInvalid.
//
// With an already-cancelled context, Calibrate either returns an error
// wrapping context.Canceled or finishes and returns a usable Instance: a
// model whose calibration is closed-form and quick need not look at the
// context. Any other error fails the check.
func (s *Suite) Calibration(tb TB) {
	r := s.setup(tb)
	m := s.model
	ctx := context.Background()

	inst2, fit2, err := m.Calibrate(ctx, s.obs, s.current.Clone(), s.opt.Seed)
	if err != nil {
		tb.Fatalf("second Calibrate with the same seed: %v", err)
	}
	if inst2 == nil {
		tb.Fatalf("second Calibrate returned a nil Instance and no error")
	}
	if d := diffMaps(r.fit.Latent, fit2.Latent); d != "" {
		tb.Errorf("Calibrate is not deterministic for a seed: Fit.Latent differs: %s", d)
	}
	if d := diffMaps(r.fit.Simulated, fit2.Simulated); d != "" {
		tb.Errorf("Calibrate is not deterministic for a seed: Fit.Simulated differs: %s", d)
	}
	if !slices.Equal(r.fit.Targets, fit2.Targets) {
		tb.Errorf("Calibrate is not deterministic for a seed: Fit.Targets %v, then %v", r.fit.Targets, fit2.Targets)
	}
	for i := range s.opt.Seeds {
		a, b := run(tb, r.inst, r.base, s.seed(i)), run(tb, inst2, r.base, s.seed(i))
		if d := diffMaps(a, b); d != "" {
			tb.Errorf("two calibrations with the same seed run differently on seed %d: %s", s.seed(i), d)
			break
		}
	}

	// A well-formed Fit.
	fit := r.fit
	for _, k := range sortedKeys(fit.Latent) {
		if !isFinite(fit.Latent[k]) {
			tb.Errorf("Fit.Latent[%s] = %v; want a finite number", k, fit.Latent[k])
		}
	}
	for _, f := range []struct {
		name string
		v    metrics.Values
	}{{"Observed", fit.Observed}, {"Simulated", fit.Simulated}, {"Error", fit.Error}} {
		if k, ok := f.v.Finite(); !ok {
			tb.Errorf("Fit.%s[%s] = %v; want a finite number", f.name, k, f.v[k])
		}
	}
	for _, t := range fit.Targets {
		if _, ok := fit.Observed[t]; !ok {
			tb.Errorf("Fit target %q is not among the observed metrics %v", t, fit.Observed.Names())
		}
		if !slices.ContainsFunc(r.outcomes, func(o simulator.OutcomeSpec) bool { return o.Name == t }) {
			tb.Errorf("Fit target %q is not a declared outcome", t)
		}
	}

	// An invalid Observation.
	bad := s.obs
	bad.DAO = ""
	if bad.Validate() == nil {
		tb.Logf("an Observation with no DAO name validates; the invalid-observation case is not run")
	} else if _, _, err := m.Calibrate(ctx, bad, s.current.Clone(), s.opt.Seed); !errors.Is(err, metrics.ErrInvalid) {
		tb.Errorf("Calibrate with an Observation that fails Validate: error %v; want one wrapping metrics.ErrInvalid", err)
	}

	// A cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	inst3, _, err := m.Calibrate(cctx, s.obs, s.current.Clone(), s.opt.Seed)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		tb.Errorf("Calibrate with a cancelled context: error %v; want one wrapping context.Canceled", err)
	case err == nil && inst3 == nil:
		tb.Errorf("Calibrate with a cancelled context returned no error and a nil Instance")
	case err == nil:
		tb.Logf("Calibrate finished despite a cancelled context (allowed)")
	}
}

// Determinism checks that Run is deterministic for a seed and sensitive to
// it. At the current parameters and at one random in-bounds set, two Runs
// on each of Options.Seeds seeds give identical outcomes (NaN matching
// NaN), and Run does not change the Params it is given. At the current
// parameters, the Options.Seeds seeds give at least two different outcome
// sets: some outcome depends on the seed.
func (s *Suite) Determinism(tb TB) {
	r := s.setup(tb)
	points := []simulator.Params{r.base, s.randomPoint(r.params, 0)}
	var distinct []metrics.Values
	for pi, p := range points {
		for i := range s.opt.Seeds {
			seed := s.seed(i)
			arg := p.Clone()
			a, err := r.inst.Run(context.Background(), arg, seed)
			if err != nil {
				tb.Fatalf("Run(%v, seed %d): %v", p, seed, err)
			}
			if d := diffMaps(p, arg); d != "" {
				tb.Errorf("Run changed the Params it was given: %s", d)
			}
			b := run(tb, r.inst, p, seed)
			if d := diffMaps(a, b); d != "" {
				tb.Errorf("Run(%v, seed %d) twice gives different outcomes: %s", p, seed, d)
			}
			if pi == 0 && !slices.ContainsFunc(distinct, func(v metrics.Values) bool { return diffMaps(v, a) == "" }) {
				distinct = append(distinct, a)
			}
		}
	}
	if len(distinct) < 2 {
		tb.Errorf("Run(%v) gives the same outcomes on all %d seeds: no outcome depends on the seed", r.base, s.opt.Seeds)
	}
}

// Outcomes checks that Run reports exactly the declared outcomes, no more
// and no fewer, each finite, at the current parameters, the defaults, every
// parameter at its Min, every parameter at its Max, and Options.RandomPoints
// random in-bounds sets (integer parameters whole), each on one seed.
func (s *Suite) Outcomes(tb TB) {
	r := s.setup(tb)
	defaults, lo, hi := simulator.Params{}, simulator.Params{}, simulator.Params{}
	for _, p := range r.params {
		defaults[p.Name], lo[p.Name], hi[p.Name] = p.Default, p.Min, p.Max
	}
	points := []struct {
		name string
		p    simulator.Params
	}{{"current", r.base}, {"defaults", defaults}, {"all at Min", lo}, {"all at Max", hi}}
	for i := range s.opt.RandomPoints {
		points = append(points, struct {
			name string
			p    simulator.Params
		}{fmt.Sprintf("random point %d", i), s.randomPoint(r.params, i+1)})
	}
	for i, pt := range points {
		v := run(tb, r.inst, pt.p, s.seed(i))
		if msg := checkOutcomes(r.outcomes, v); msg != "" {
			tb.Errorf("Run at %s %v: %s", pt.name, pt.p, msg)
		}
	}
}

// checkOutcomes describes how v departs from the declared outcomes: names
// missing, names undeclared, values not finite; "" when it does not.
func checkOutcomes(declared []simulator.OutcomeSpec, v metrics.Values) string {
	var missing, extra, bad []string
	names := map[string]bool{}
	for _, o := range declared {
		names[o.Name] = true
		x, ok := v[o.Name]
		switch {
		case !ok:
			missing = append(missing, o.Name)
		case !isFinite(x):
			bad = append(bad, fmt.Sprintf("%s=%v", o.Name, x))
		}
	}
	for _, k := range v.Names() {
		if !names[k] {
			extra = append(extra, k)
		}
	}
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "declared outcomes missing: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		msgs = append(msgs, "undeclared outcomes reported: "+strings.Join(extra, ", "))
	}
	if len(bad) > 0 {
		msgs = append(msgs, "outcomes not finite: "+strings.Join(bad, ", "))
	}
	return strings.Join(msgs, "; ")
}

// InvalidParams checks that Run rejects bad parameters with an error
// wrapping simulator.ErrInvalidParams: an unknown name; and for each
// parameter in turn, with the others at their current values, NaN, +Inf,
// -Inf, a value below Min, a value above Max and, for an Integer
// parameter, a value that is not whole. Out-of-range values of Integer
// parameters are whole, so only the bound can reject them. Calibrate with
// an unknown name among the parameters in force also wraps
// ErrInvalidParams.
func (s *Suite) InvalidParams(tb TB) {
	r := s.setup(tb)
	type bad struct {
		why string
		p   simulator.Params
	}
	unknown := uniqueName(r.params)
	cases := []bad{{fmt.Sprintf("unknown parameter %q", unknown), with(r.base, unknown, 0.5)}}
	for _, p := range r.params {
		span := p.Max - p.Min
		step := math.Max(0.1*span, 1)
		if p.Integer {
			step = math.Max(math.Ceil(step), 1)
		}
		cases = append(cases,
			bad{p.Name + " = NaN", with(r.base, p.Name, math.NaN())},
			bad{p.Name + " = +Inf", with(r.base, p.Name, math.Inf(1))},
			bad{p.Name + " = -Inf", with(r.base, p.Name, math.Inf(-1))},
			bad{fmt.Sprintf("%s below Min %g", p.Name, p.Min), with(r.base, p.Name, p.Min-step)},
			bad{fmt.Sprintf("%s above Max %g", p.Name, p.Max), with(r.base, p.Name, p.Max+step)},
		)
		if p.Integer {
			x := p.Min + 0.5
			if span < 1 {
				x = p.Min - 0.5 // no fractional value is in range: still not whole
			}
			cases = append(cases, bad{fmt.Sprintf("integer %s = %g", p.Name, x), with(r.base, p.Name, x)})
		}
	}
	for i, c := range cases {
		if _, err := r.inst.Run(context.Background(), c.p, s.seed(i)); !errors.Is(err, simulator.ErrInvalidParams) {
			tb.Errorf("Run with %s: error %v; want one wrapping simulator.ErrInvalidParams", c.why, err)
		}
	}
	if _, _, err := s.model.Calibrate(context.Background(), s.obs, with(s.current, unknown, 0.5), s.opt.Seed); !errors.Is(err, simulator.ErrInvalidParams) {
		tb.Errorf("Calibrate with unknown parameter %q in force: error %v; want one wrapping simulator.ErrInvalidParams", unknown, err)
	}
}

// Cancellation checks Run with an already-cancelled context: it returns an
// error wrapping context.Canceled (and not simulator.ErrInvalidParams, which
// would blame the user), or, a model being free to finish a short run
// without looking at the context, no error and outcomes that pass the
// outcome check. Any other error fails.
func (s *Suite) Cancellation(tb TB) {
	r := s.setup(tb)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := r.inst.Run(ctx, r.base.Clone(), s.seed(0))
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		tb.Errorf("Run with a cancelled context: error %v; want one wrapping context.Canceled", err)
	case err != nil && errors.Is(err, simulator.ErrInvalidParams):
		tb.Errorf("Run with a cancelled context: error %v wraps simulator.ErrInvalidParams, a user error", err)
	case err == nil:
		if msg := checkOutcomes(r.outcomes, v); msg != "" {
			tb.Errorf("Run with a cancelled context finished with bad outcomes: %s", msg)
		} else {
			tb.Logf("Run finished despite a cancelled context (allowed)")
		}
	}
}

// CommonRandomNumbers checks that Runs with the same seed and different
// parameters are compared on the same draws, so that paired differences
// vary less than differences between unrelated seeds.
//
// The rule. Let N = Options.CRNSeeds and s_i = simulator.SeedFor(Seed, i).
// Every parameter that is not Integer and has Min < Max is checked (the
// kit cannot know which a search will vary, so it takes them all). With
// base the current parameters (defaults filled in) and x the parameter's
// value there, the nudged set moves x by CRNNudge·(Max−Min) towards the
// middle of [Min, Max] (up when x is at or below the middle, else down).
// For r in [0, N):
//
//	a_r = Run(base, s_r), b_r = Run(nudged, s_r), c_r = Run(nudged, s_(N+r)),
//
// and for each declared outcome o, the paired differences b_r[o] − a_r[o]
// and the unpaired differences c_r[o] − a_r[o] have sample variances Vp and
// Vu (denominator N−1). Outcome o varies for the parameter when neither the
// a_r[o] nor the b_r[o] are all equal (when either side is constant across
// seeds, pairing cannot reduce variance and there is nothing to check). The
// parameter passes when Vp <= Vu for at least ceil(CRNMajority·k) of its k
// varying outcomes; a parameter with no varying outcome passes. A model
// with common random numbers has Vp well below Vu on outcomes that depend
// smoothly on the parameter and Vp = 0 on outcomes that do not depend on
// it; without them Vp <= Vu holds about half the time, outcome by outcome.
// The work is 3·N Runs per checked parameter.
func (s *Suite) CommonRandomNumbers(tb TB) {
	r := s.setup(tb)
	n := s.opt.CRNSeeds
	checked := 0
	for _, spec := range r.params {
		if spec.Integer || !(spec.Max > spec.Min) {
			continue
		}
		checked++
		x := r.base[spec.Name]
		step := CRNNudge * (spec.Max - spec.Min)
		if x > (spec.Min+spec.Max)/2 {
			step = -step
		}
		nudged := with(r.base, spec.Name, x+step)
		a := make([]metrics.Values, n)
		b := make([]metrics.Values, n)
		c := make([]metrics.Values, n)
		for i := range n {
			a[i] = run(tb, r.inst, r.base, s.seed(i))
			b[i] = run(tb, r.inst, nudged, s.seed(i))
			c[i] = run(tb, r.inst, nudged, s.seed(n+i))
		}
		var varying, ok int
		var report []string
		for _, o := range r.outcomes {
			col := func(vs []metrics.Values) []float64 {
				out := make([]float64, len(vs))
				for i, v := range vs {
					out[i] = v[o.Name]
				}
				return out
			}
			ao, bo, co := col(a), col(b), col(c)
			if constant(ao) || constant(bo) {
				continue
			}
			varying++
			vp, vu := variance(diff(bo, ao)), variance(diff(co, ao))
			mark := "ok"
			if vp <= vu {
				ok++
			} else {
				mark = "PAIRED LARGER"
			}
			report = append(report, fmt.Sprintf("%s: paired var %.4g, unpaired var %.4g (%s)", o.Name, vp, vu, mark))
		}
		need := int(math.Ceil(CRNMajority * float64(varying)))
		if ok < need {
			tb.Errorf("common random numbers: nudging %s from %g to %g, paired differences vary no more than unpaired ones on %d of %d varying outcomes; want at least %d:\n  %s",
				spec.Name, x, x+step, ok, varying, need, strings.Join(report, "\n  "))
		} else {
			tb.Logf("common random numbers: nudging %s from %g to %g, paired <= unpaired on %d of %d varying outcomes:\n  %s",
				spec.Name, x, x+step, ok, varying, strings.Join(report, "\n  "))
		}
	}
	if checked == 0 {
		tb.Logf("no non-integer parameter with Min < Max: nothing to check")
	}
}

// Concurrency checks that Options.Goroutines goroutines running the same
// Instance at once, each over the same jobs (the current parameters and one
// random in-bounds set, on Options.Seeds seeds each) in a different order,
// get exactly the outcomes serial Runs got. Run it under -race.
func (s *Suite) Concurrency(tb TB) {
	r := s.setup(tb)
	type job struct {
		p    simulator.Params
		seed uint64
	}
	var jobs []job
	for _, p := range []simulator.Params{r.base, s.randomPoint(r.params, 0)} {
		for i := range s.opt.Seeds {
			jobs = append(jobs, job{p, s.seed(i)})
		}
	}
	serial := make([]metrics.Values, len(jobs))
	for i, j := range jobs {
		serial[i] = run(tb, r.inst, j.p, j.seed)
	}
	g := s.opt.Goroutines
	got := make([][]metrics.Values, g)
	errs := make([][]error, g)
	var wg sync.WaitGroup
	for w := range g {
		got[w] = make([]metrics.Values, len(jobs))
		errs[w] = make([]error, len(jobs))
		wg.Go(func() {
			for k := range jobs {
				i := (k + w) % len(jobs) // each goroutine starts elsewhere
				got[w][i], errs[w][i] = r.inst.Run(context.Background(), jobs[i].p.Clone(), jobs[i].seed)
			}
		})
	}
	wg.Wait()
	for w := range g {
		for i, j := range jobs {
			if errs[w][i] != nil {
				tb.Errorf("goroutine %d: Run(%v, seed %d): %v", w, j.p, j.seed, errs[w][i])
				continue
			}
			if d := diffMaps(serial[i], got[w][i]); d != "" {
				tb.Errorf("goroutine %d: Run(%v, seed %d) differs from the serial run: %s", w, j.p, j.seed, d)
			}
		}
	}
}

// randomPoint returns in-bounds parameters drawn from stream i: uniform
// between Min and Max, rounded for Integer parameters.
func (s *Suite) randomPoint(specs []simulator.ParamSpec, i int) simulator.Params {
	rng := rand.New(rand.NewPCG(s.opt.Seed, 0x5175e57+uint64(i)))
	p := simulator.Params{}
	for _, sp := range specs {
		x := sp.Min + rng.Float64()*(sp.Max-sp.Min)
		if sp.Integer {
			x = min(max(math.Round(x), math.Ceil(sp.Min)), math.Floor(sp.Max))
		}
		p[sp.Name] = x
	}
	return p
}

// uniqueName returns a parameter name the model does not declare.
func uniqueName(specs []simulator.ParamSpec) string {
	name := "simtest_no_such_parameter"
	for {
		if _, ok := simulator.Spec(specs, name); !ok {
			return name
		}
		name += "_"
	}
}

func with(p simulator.Params, k string, v float64) simulator.Params {
	c := p.Clone()
	c[k] = v
	return c
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func same(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func sortedKeys[M ~map[string]float64](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// diffMaps describes the first difference between a and b, in name order,
// or returns "" when they hold the same names and values.
func diffMaps[M ~map[string]float64](a, b M) string {
	for _, k := range sortedKeys(a) {
		y, ok := b[k]
		if !ok {
			return fmt.Sprintf("%s=%v, then missing", k, a[k])
		}
		if !same(a[k], y) {
			return fmt.Sprintf("%s=%v, then %v", k, a[k], y)
		}
	}
	for _, k := range sortedKeys(b) {
		if _, ok := a[k]; !ok {
			return fmt.Sprintf("%s missing, then %v", k, b[k])
		}
	}
	return ""
}

func constant(xs []float64) bool {
	for _, x := range xs[1:] {
		if !same(x, xs[0]) {
			return false
		}
	}
	return true
}

func diff(b, a []float64) []float64 {
	d := make([]float64, len(a))
	for i := range d {
		d[i] = b[i] - a[i]
	}
	return d
}

// variance is the sample variance (denominator n−1).
func variance(xs []float64) float64 {
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return ss / float64(len(xs)-1)
}
