package simtest

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// FakeName is the registry name under which RegisterFake registers the
// fake model.
const FakeName = "simtest-fake"

// Parameters of the fake model.
const (
	FakeA     = "a"     // float in [0, 1], default 0.5
	FakeB     = "b"     // float in [0, 1], default 0.5
	FakeInert = "inert" // float in [0, 1], default 0.5; affects nothing
	FakeN     = "n"     // integer in [1, 10], default 5
)

// Outcomes of the fake model, besides the metrics turnout, pass_rate and
// proposals_per_month it shares with an Observation.
const (
	FakeGain = "gain" // maximize
	FakeCost = "cost" // minimize
	FakeFlip = "flip" // maximize
	FakeRisk = "risk" // minimize; heavy upper tail
)

// FakeInterceptLatent is the Fit.Latent name of the fitted turnout
// intercept; FakeInterceptLatent + "_at_bound" is 1 when the fit sits on a
// bound of [0, TurnoutInterceptMax], else 0.
const FakeInterceptLatent = "turnout_intercept"

// FakeConfig sets the fake model's closed-form outcomes. Each field is also
// an option of the model (dao.options), named as in its comment, with the
// range given there. With Z_i independent standard normal draws and U a
// uniform draw, all made from the seed alone, in a fixed order, whatever the
// parameters (common random numbers), and J = 1 when U < RiskProb else 0,
// one Run reports:
//
//	gain                = SlopeA·a + SlopeB·b                + NoiseSD·Z1
//	cost                = CostB·b                            + NoiseSD·Z2
//	flip                = FlipSlope·(a − 0.5)                + NoiseSD·Z3
//	risk                = 1 + a·(RiskTail·J − RiskRelief)    + NoiseSD·Z4
//	turnout             = θ + 0.02·(a − 0.5) + 0.01·(n − 5)  + NoiseSD/10·Z5
//	pass_rate           = 0.5 + 0.2·(a − b)                  + NoiseSD/10·Z6
//	proposals_per_month = 2·n                                + NoiseSD·Z7
//
// where θ is the turnout intercept Calibrate fits; inert affects nothing.
// So E[risk] = 1 + a·(RiskTail·RiskProb − RiskRelief): with the defaults
// the mean of risk falls as a rises while its worst RiskProb share (its
// CVaR) rises, and a judge on the tail disagrees with a judge on the mean.
// Paired differences of the additive outcomes (all but risk) are exactly
// the differences of their expectations.
type FakeConfig struct {
	SlopeA    float64 // slope_a, in [-10, 10]; default 1
	SlopeB    float64 // slope_b, in [-10, 10]; default 0.5
	CostB     float64 // cost_b, in [-10, 10]; default 1
	FlipSlope float64 // flip_slope, in [-10, 10]; default -1: flip's sign in a
	NoiseSD   float64 // noise_sd, in [0, 10]; default 0.1
	// RiskProb is the chance of a tail event, risk_prob, in [0, 1];
	// default 0.1.
	RiskProb float64
	// RiskTail is the tail loss per unit of a, risk_tail, in [0, 100];
	// default 4.
	RiskTail float64
	// RiskRelief is the everyday gain per unit of a, risk_relief, in
	// [0, 10]; default 0.5.
	RiskRelief float64
	// TurnoutInterceptMax bounds the fitted intercept θ to
	// [0, TurnoutInterceptMax], turnout_intercept_max, in [0, 1];
	// default 0.5.
	TurnoutInterceptMax float64
}

// DefaultFakeConfig returns the defaults of every option.
func DefaultFakeConfig() FakeConfig {
	return FakeConfig{
		SlopeA: 1, SlopeB: 0.5, CostB: 1, FlipSlope: -1, NoiseSD: 0.1,
		RiskProb: 0.1, RiskTail: 4, RiskRelief: 0.5, TurnoutInterceptMax: 0.5,
	}
}

// fakeOptions maps option names to FakeConfig fields and their ranges.
type fakeOption struct {
	name     string
	min, max float64
	doc      string
	field    func(*FakeConfig) *float64
}

var fakeOptions = []fakeOption{
	{"cost_b", -10, 10, "cost per unit of b", func(c *FakeConfig) *float64 { return &c.CostB }},
	{"flip_slope", -10, 10, "E[flip] = flip_slope·(a − 0.5)", func(c *FakeConfig) *float64 { return &c.FlipSlope }},
	{"noise_sd", 0, 10, "standard deviation of the normal noise on gain, cost, flip, risk and proposals_per_month; a tenth of it on turnout and pass_rate", func(c *FakeConfig) *float64 { return &c.NoiseSD }},
	{"risk_prob", 0, 1, "chance of a tail event in risk", func(c *FakeConfig) *float64 { return &c.RiskProb }},
	{"risk_relief", 0, 10, "fall in risk per unit of a outside tail events", func(c *FakeConfig) *float64 { return &c.RiskRelief }},
	{"risk_tail", 0, 100, "rise in risk per unit of a in a tail event", func(c *FakeConfig) *float64 { return &c.RiskTail }},
	{"slope_a", -10, 10, "gain per unit of a", func(c *FakeConfig) *float64 { return &c.SlopeA }},
	{"slope_b", -10, 10, "gain per unit of b", func(c *FakeConfig) *float64 { return &c.SlopeB }},
	{"turnout_intercept_max", 0, 1, "upper bound of the fitted turnout intercept", func(c *FakeConfig) *float64 { return &c.TurnoutInterceptMax }},
}

// check returns an error wrapping ErrInvalidParams for a field out of range.
func (c FakeConfig) check() error {
	for _, o := range fakeOptions {
		v := *o.field(&c)
		if math.IsNaN(v) || v < o.min || v > o.max {
			return fmt.Errorf("%s: option %s = %g is outside [%g, %g] (%s): %w", FakeName, o.name, v, o.min, o.max, o.doc, simulator.ErrInvalidParams)
		}
	}
	return nil
}

var fakeParams = []simulator.ParamSpec{
	{Name: FakeA, Unit: "share", Min: 0, Max: 1, Default: 0.5, Description: "moves gain, flip, risk, turnout and pass_rate"},
	{Name: FakeB, Unit: "share", Min: 0, Max: 1, Default: 0.5, Description: "moves gain, cost and pass_rate"},
	{Name: FakeInert, Unit: "share", Min: 0, Max: 1, Default: 0.5, Description: "affects nothing"},
	{Name: FakeN, Unit: "count", Min: 1, Max: 10, Default: 5, Integer: true, Description: "moves turnout and proposals_per_month"},
}

var fakeOutcomes = []simulator.OutcomeSpec{
	{Name: FakeGain, Unit: "units", Better: simulator.Maximize, Scale: 1, Description: "SlopeA·a + SlopeB·b + noise"},
	{Name: FakeCost, Unit: "units", Better: simulator.Minimize, Scale: 1, Description: "CostB·b + noise"},
	{Name: FakeFlip, Unit: "units", Better: simulator.Maximize, Scale: 1, Description: "FlipSlope·(a − 0.5) + noise"},
	{Name: FakeRisk, Unit: "units", Better: simulator.Minimize, Scale: 1, Description: "1 + a·(RiskTail·J − RiskRelief) + noise, J a rare tail event"},
	{Name: metrics.TurnoutPower, Unit: "fraction of supply", Better: simulator.Maximize, Scale: 0.1, Description: "θ + 0.02·(a − 0.5) + 0.01·(n − 5) + noise, θ fitted"},
	{Name: metrics.PassRateName, Unit: "share", Better: simulator.Maximize, Scale: 1, Description: "0.5 + 0.2·(a − b) + noise"},
	{Name: metrics.ProposalsPerMonth, Unit: "proposals", Better: simulator.Maximize, Scale: 5, Description: "2·n + noise"},
}

// FakeModel is a closed-form simulator.Model with known answers. Build it
// with NewFake, or through the registry after RegisterFake.
type FakeModel struct {
	cfg FakeConfig
}

var _ simulator.Model = (*FakeModel)(nil)

// NewFake returns the fake model with cfg. It panics if a field of cfg is
// outside its range, like regexp.MustCompile; FakeFactory reports the error
// instead.
func NewFake(cfg FakeConfig) *FakeModel {
	if err := cfg.check(); err != nil {
		panic(err)
	}
	return &FakeModel{cfg: cfg}
}

// FakeFactory is the simulator.Factory of the fake model: it starts from
// DefaultFakeConfig and applies s.Options by name. An unknown option or a
// value out of range is an error wrapping simulator.ErrInvalidParams.
// s.Rules and s.Track are ignored.
func FakeFactory(s simulator.Setup) (simulator.Model, error) {
	cfg := DefaultFakeConfig()
	for _, k := range slices.Sorted(maps.Keys(s.Options)) {
		i := slices.IndexFunc(fakeOptions, func(o fakeOption) bool { return o.name == k })
		if i < 0 {
			known := make([]string, len(fakeOptions))
			for j, o := range fakeOptions {
				known[j] = o.name
			}
			return nil, fmt.Errorf("%s: unknown option %q; options are %s: %w", FakeName, k, strings.Join(known, ", "), simulator.ErrInvalidParams)
		}
		*fakeOptions[i].field(&cfg) = s.Options[k]
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &FakeModel{cfg: cfg}, nil
}

var registerOnce sync.Once

// RegisterFake registers FakeFactory under FakeName. Tests that want the
// fake in the registry call it; calling it again does nothing.
func RegisterFake() {
	registerOnce.Do(func() { simulator.Register(FakeName, FakeFactory) })
}

// Config returns the model's configuration.
func (m *FakeModel) Config() FakeConfig { return m.cfg }

// Name returns FakeName.
func (*FakeModel) Name() string { return FakeName }

// Params declares a, b, inert and n.
func (*FakeModel) Params() []simulator.ParamSpec { return slices.Clone(fakeParams) }

// Outcomes declares gain, cost, flip, risk, turnout, pass_rate and
// proposals_per_month.
func (*FakeModel) Outcomes() []simulator.OutcomeSpec { return slices.Clone(fakeOutcomes) }

// Options lists every option with its value, sorted by name.
func (m *FakeModel) Options() []simulator.OptionSpec {
	out := make([]simulator.OptionSpec, len(fakeOptions))
	cfg := m.cfg
	for i, o := range fakeOptions {
		out[i] = simulator.OptionSpec{Name: o.name, Value: *o.field(&cfg), Min: o.min, Max: o.max, Description: o.doc}
	}
	return out
}

// Calibrate fits the turnout intercept θ in closed form so that the
// expected turnout under current equals the observed turnout, clamped to
// [0, TurnoutInterceptMax]. It is deterministic and ignores seed. The Fit
// compares the exact expectations (Replications 0) of turnout, pass_rate
// and proposals_per_month with the observation, targets turnout alone, and
// reports θ as Latent[FakeInterceptLatent] and whether it sits on a bound
// as Latent[FakeInterceptLatent+"_at_bound"] (1 or 0). A cancelled context,
// an Observation that fails Validate and bad parameters in force are
// errors.
func (m *FakeModel) Calibrate(ctx context.Context, obs metrics.Observation, current simulator.Params, _ uint64) (simulator.Instance, simulator.Fit, error) {
	if err := ctx.Err(); err != nil {
		return nil, simulator.Fit{}, fmt.Errorf("%s: calibrate: %w", FakeName, err)
	}
	if err := obs.Validate(); err != nil {
		return nil, simulator.Fit{}, fmt.Errorf("%s: calibrate: %w", FakeName, err)
	}
	cur, err := simulator.Complete(fakeParams, current)
	if err != nil {
		return nil, simulator.Fit{}, fmt.Errorf("%s: parameters in force: %w", FakeName, err)
	}
	observed := obs.Values()
	theta := observed[metrics.TurnoutPower] - turnoutShift(cur)
	atBound := 0.0
	if theta <= 0 || theta >= m.cfg.TurnoutInterceptMax {
		theta = min(max(theta, 0), m.cfg.TurnoutInterceptMax)
		atBound = 1
	}
	in := &FakeInstance{cfg: m.cfg, theta: theta}
	fit := simulator.Fit{
		Observed: metrics.Values{},
		Targets:  []string{metrics.TurnoutPower},
		Latent:   map[string]float64{FakeInterceptLatent: theta, FakeInterceptLatent + "_at_bound": atBound},
	}
	for _, k := range []string{metrics.TurnoutPower, metrics.PassRateName, metrics.ProposalsPerMonth} {
		if v, ok := observed[k]; ok {
			fit.Observed[k] = v
		}
	}
	fit.Compare(in.expected(cur), 0)
	return in, fit, nil
}

// turnoutShift is the part of expected turnout the parameters set.
func turnoutShift(p simulator.Params) float64 {
	return 0.02*(p[FakeA]-0.5) + 0.01*(p[FakeN]-5)
}

// FakeInstance is a calibrated FakeModel. It is immutable and safe for
// concurrent use.
type FakeInstance struct {
	cfg   FakeConfig
	theta float64
}

var _ simulator.Instance = (*FakeInstance)(nil)

// fakeStream is the PCG stream of the fake's draws.
const fakeStream = 0xfa4e

// Run reports one draw of every outcome under p (see FakeConfig). Bad
// parameters are errors wrapping simulator.ErrInvalidParams; a cancelled
// context is an error wrapping its cause.
func (in *FakeInstance) Run(ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", FakeName, err)
	}
	p, err := simulator.Complete(fakeParams, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FakeName, err)
	}
	rng := rand.New(rand.NewPCG(seed, fakeStream))
	// Every draw is made, in this order, whatever the parameters.
	var z [7]float64
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	u := rng.Float64()
	c, a, b, n := in.cfg, p[FakeA], p[FakeB], p[FakeN]
	j := 0.0
	if u < c.RiskProb {
		j = 1
	}
	sd := c.NoiseSD
	return metrics.Values{
		FakeGain:                  c.SlopeA*a + c.SlopeB*b + sd*z[0],
		FakeCost:                  c.CostB*b + sd*z[1],
		FakeFlip:                  c.FlipSlope*(a-0.5) + sd*z[2],
		FakeRisk:                  1 + a*(c.RiskTail*j-c.RiskRelief) + sd*z[3],
		metrics.TurnoutPower:      in.theta + turnoutShift(p) + sd/10*z[4],
		metrics.PassRateName:      0.5 + 0.2*(a-b) + sd/10*z[5],
		metrics.ProposalsPerMonth: 2*n + sd*z[6],
	}, nil
}

// Theta returns the fitted turnout intercept.
func (in *FakeInstance) Theta() float64 { return in.theta }

// Expected returns the exact expectation of every outcome under p, missing
// parameters taking their defaults. It panics on parameters Run would
// reject.
func (in *FakeInstance) Expected(p simulator.Params) metrics.Values {
	return in.expected(mustComplete(p))
}

func (in *FakeInstance) expected(p simulator.Params) metrics.Values {
	c, a, b, n := in.cfg, p[FakeA], p[FakeB], p[FakeN]
	return metrics.Values{
		FakeGain:                  c.SlopeA*a + c.SlopeB*b,
		FakeCost:                  c.CostB * b,
		FakeFlip:                  c.FlipSlope * (a - 0.5),
		FakeRisk:                  1 + a*(c.RiskTail*c.RiskProb-c.RiskRelief),
		metrics.TurnoutPower:      in.theta + turnoutShift(p),
		metrics.PassRateName:      0.5 + 0.2*(a-b),
		metrics.ProposalsPerMonth: 2 * n,
	}
}

// StdDev returns the exact standard deviation of every outcome of one Run
// under p, missing parameters taking their defaults. It panics on
// parameters Run would reject.
func (in *FakeInstance) StdDev(p simulator.Params) metrics.Values {
	p = mustComplete(p)
	c, a := in.cfg, p[FakeA]
	sd := c.NoiseSD
	tail := a * c.RiskTail
	return metrics.Values{
		FakeGain:                  sd,
		FakeCost:                  sd,
		FakeFlip:                  sd,
		FakeRisk:                  math.Sqrt(sd*sd + tail*tail*c.RiskProb*(1-c.RiskProb)),
		metrics.TurnoutPower:      sd / 10,
		metrics.PassRateName:      sd / 10,
		metrics.ProposalsPerMonth: sd,
	}
}

func mustComplete(p simulator.Params) simulator.Params {
	c, err := simulator.Complete(fakeParams, p)
	if err != nil {
		panic(err)
	}
	return c
}
