// Package simulator defines the interface every mechanism model implements
// and a registry of models by name, in the manner of database/sql drivers:
// each mechanism lives in its own subpackage (simulator/tokenvote, ...) and
// registers itself from init.
//
// A Model declares its parameters and outcomes and calibrates a population to
// an observed metrics.Observation. The calibrated Instance runs the mechanism
// for given parameters and a seed; it is deterministic for a seed, and two
// runs with the same seed and different parameters consume random numbers in
// the same order (common random numbers), so outcomes are compared on the
// same draws.
package simulator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/metrics"
)

// ErrInvalidParams is wrapped by errors that report parameters a model does
// not know or values outside its bounds.
var ErrInvalidParams = errors.New("invalid parameters")

// Params maps parameter names to values. Integer parameters hold whole
// numbers.
type Params map[string]float64

// Clone returns a copy of p.
func (p Params) Clone() Params {
	c := make(Params, len(p))
	for k, v := range p {
		c[k] = v
	}
	return c
}

// Names returns the parameter names in sorted order.
func (p Params) Names() []string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ParamSpec declares one parameter of a model.
type ParamSpec struct {
	Name        string  `json:"name"`
	Unit        string  `json:"unit"`
	Description string  `json:"description"`
	Min         float64 `json:"min"` // hard lower bound, inclusive
	Max         float64 `json:"max"` // hard upper bound, inclusive
	Default     float64 `json:"default"`
	Integer     bool    `json:"integer,omitempty"`
}

// Direction says whether more of an outcome is better.
type Direction int

const (
	// Maximize means more is better.
	Maximize Direction = 1
	// Minimize means less is better.
	Minimize Direction = -1
	// Neutral means neither is better in itself (a pass rate: rejecting
	// bad proposals is as right as passing good ones); such an outcome is
	// an objective only with a direction given in the config.
	Neutral Direction = 0
)

func (d Direction) String() string {
	switch d {
	case Minimize:
		return "minimize"
	case Neutral:
		return "neutral"
	}
	return "maximize"
}

// OutcomeSpec declares one outcome a model reports.
type OutcomeSpec struct {
	Name        string    `json:"name"`
	Unit        string    `json:"unit"`
	Description string    `json:"description"`
	Better      Direction `json:"better"`
	// Scale is a typical magnitude, used to put objectives on one footing.
	Scale float64 `json:"scale"`
}

// OptionSpec is one of a model's own settings: an assumption where the data
// say nothing, with its effective value.
type OptionSpec struct {
	Name        string  `json:"name"`
	Value       float64 `json:"value"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Description string  `json:"description"`
}

// Fit reports how well a calibrated Instance reproduces an Observation under
// the parameters in force.
type Fit struct {
	// Observed and Simulated hold the compared metrics by name; Simulated is
	// the mean over Replications runs. A model's outcomes use the metric
	// names of package metrics for what they share with an Observation.
	Observed  metrics.Values `json:"observed"`
	Simulated metrics.Values `json:"simulated"`
	// Error is each metric's miss, |MetricError|.
	Error metrics.Values `json:"error"`
	// Targets names the metrics the calibration fitted; the others are shown
	// for information.
	Targets []string `json:"targets"`
	// Tolerance is the largest error accepted on a target (absolute for
	// rates, relative for sizes: see MetricError).
	Tolerance float64 `json:"tolerance"`
	// Slack holds, per metric, the observed value's own uncertainty in
	// the same units as Error (see SetUncertainty): a target is within
	// bounds when its error is at most the larger of Tolerance and its
	// Slack, since a fit cannot be asked to be more precise than the data.
	Slack        metrics.Values `json:"slack,omitempty"`
	Replications int            `json:"replications"`
	// Latent holds the fitted population parameters by name.
	Latent map[string]float64 `json:"latent"`
	// Bounds holds the search range of each fitted latent that has one;
	// AtBound names those that came to rest on an end of it, where the fit
	// is forced rather than found.
	Bounds  map[string][2]float64 `json:"bounds,omitempty"`
	AtBound []string              `json:"at_bound,omitempty"`
	// Unused names the model options this calibration made no use of
	// (a synthetic population's settings, when voters were observed).
	Unused []string `json:"unused,omitempty"`
}

// CheckBounds sets AtBound to the latents within 0.1% of the range of an
// end of their Bounds, in name order.
func (f *Fit) CheckBounds() {
	f.AtBound = nil
	for _, k := range metrics.Values(f.Latent).Names() {
		b, ok := f.Bounds[k]
		if !ok {
			continue
		}
		eps := (b[1] - b[0]) * 1e-3
		if v := f.Latent[k]; v <= b[0]+eps || v >= b[1]-eps {
			f.AtBound = append(f.AtBound, k)
		}
	}
}

// MetricError is the signed miss of sim against the observed value of
// the metric name in observed: sim − obs for a rate (a share of proposals
// or voters' chances, where a relative error would blow up near zero);
// for a percentile of turnout, (sim − obs) / the observed mean turnout,
// so that a low percentile is judged on the scale of the distribution it
// belongs to; otherwise (sim − obs) / |obs|, or sim − obs when obs is 0.
// absolute reports whether the miss is an absolute difference.
func MetricError(name string, observed metrics.Values, sim float64) (miss float64, absolute bool) {
	obs := observed[name]
	d := sim - obs
	if metrics.IsRate(name) || obs == 0 {
		return d, true
	}
	scale := math.Abs(obs)
	switch name {
	case metrics.TurnoutP10, metrics.TurnoutP50, metrics.TurnoutP90:
		if m, ok := observed[metrics.TurnoutPower]; ok && m > 0 {
			scale = m
		}
	}
	return d / scale, false
}

// Compare sets Simulated to sim and Error to each metric's MetricError,
// over the metrics both observed and simulated; Observed keeps only those.
func (f *Fit) Compare(sim metrics.Values, replications int) {
	f.Simulated, f.Error = metrics.Values{}, metrics.Values{}
	for k := range f.Observed {
		if _, ok := sim[k]; !ok {
			delete(f.Observed, k)
			continue
		}
		f.Simulated[k] = sim[k]
		miss, _ := MetricError(k, f.Observed, sim[k])
		f.Error[k] = math.Abs(miss)
	}
	f.Replications = replications
}

// SetUncertainty sets Slack from the half-widths u of the observed
// metrics' intervals (metrics.Observation.Uncertainty), in Error's units.
func (f *Fit) SetUncertainty(u metrics.Values) {
	f.Slack = metrics.Values{}
	for k, h := range u {
		if _, ok := f.Observed[k]; !ok {
			continue
		}
		miss, _ := MetricError(k, f.Observed, f.Observed[k]+h)
		f.Slack[k] = math.Abs(miss)
	}
}

// Allowed returns the largest error accepted on metric k: the tolerance,
// or the data's own uncertainty about it when that is larger.
func (f Fit) Allowed(k string) float64 {
	return max(f.Tolerance, f.Slack[k])
}

// Worst returns the target that misses by the most for what it is
// allowed, its error and its allowance.
func (f Fit) Worst() (name string, err, allowed float64) {
	ratio := -1.0
	for _, t := range f.Targets {
		a := f.Allowed(t)
		r := f.Error[t] / math.Max(a, 1e-12)
		if r > ratio {
			name, err, allowed, ratio = t, f.Error[t], a, r
		}
	}
	return name, err, allowed
}

// MaxTargetError returns the largest error among the fitted targets and the
// metric it belongs to.
func (f Fit) MaxTargetError() (string, float64) {
	name, worst := "", 0.0
	for _, t := range f.Targets {
		if e := f.Error[t]; e > worst || name == "" {
			name, worst = t, e
		}
	}
	return name, worst
}

// OK reports whether every target is within what it is allowed.
func (f Fit) OK() bool {
	for _, t := range f.Targets {
		if f.Error[t] > f.Allowed(t) {
			return false
		}
	}
	return true
}

// Model is a mechanism: its parameters, its outcomes and how to calibrate a
// population of agents to observed data.
type Model interface {
	// Name is the registry name, e.g. "tokenvote".
	Name() string
	// Params declares the mechanism's parameters.
	Params() []ParamSpec
	// Outcomes declares the outcomes Run reports.
	Outcomes() []OutcomeSpec
	// Options lists the model's settings with their effective values,
	// sorted by name.
	Options() []OptionSpec
	// Calibrate fits a population to obs so that running the parameters in
	// force reproduces it, and reports the fit. It is deterministic for a
	// seed.
	Calibrate(ctx context.Context, obs metrics.Observation, current Params, seed uint64) (Instance, Fit, error)
}

// Instance is a calibrated model, ready to run. Implementations are safe for
// concurrent use by several goroutines.
type Instance interface {
	// Run simulates the mechanism under p with the randomness of seed and
	// returns the outcomes by name. p must hold every parameter.
	Run(ctx context.Context, p Params, seed uint64) (metrics.Values, error)
}

// Assumption is one of a calibrated instance's assumptions that the data
// do not pin down, with the range it may be varied over.
type Assumption struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Min, Max float64 `json:"-"`
	// Relative says the assumption is swept by factors of its value (a
	// size), rather than by steps (a probability).
	Relative bool `json:"-"`
}

// Assumer is implemented by instances whose assumptions can be varied one
// at a time after calibration, to find how far each can move before a
// verdict changes.
type Assumer interface {
	// Assumptions lists the instance's assumptions, in a fixed order.
	Assumptions() []Assumption
	// WithAssumption returns a copy of the instance with one assumption set
	// to value; the receiver is unchanged.
	WithAssumption(name string, value float64) (Instance, error)
}

// Linked is implemented by models whose parameters must stay consistent
// with one another (a proposal threshold no higher than the quorum).
type Linked interface {
	// Inconsistent lists, in a fixed order, each way p breaks the model's
	// links between parameters; nil when it breaks none.
	Inconsistent(p Params) []string
}

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
)

// Options are a model's own settings by name (e.g. tokenvote's
// adversary_share), from the config's dao.options.
type Options map[string]float64

// Setup is what a model is built from: its own options and the rules of
// the governor it models.
type Setup struct {
	// Options are the model's assumptions where data say nothing.
	Options Options
	// Rules say how votes count and what a vote can change; a zero Rules
	// means the model's default (OpenZeppelin Governor).
	Rules governor.Rules
	// Track is the governor track being modelled, "" for the only one.
	Track string
	// TokenPrice is the governance token's price in USD, 0 if unknown;
	// with it, rewards and budgets are valued in USD.
	TokenPrice float64
}

// Factory builds a model from a Setup. It returns an error wrapping
// ErrInvalidParams for an unknown option or a value out of range.
type Factory func(s Setup) (Model, error)

// Register makes a model available by name. It panics if name is taken or
// factory is nil, like database/sql.Register; call it from init.
func Register(name string, factory Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if factory == nil {
		panic("simulator: Register factory is nil")
	}
	if _, dup := registry[name]; dup {
		panic("simulator: Register called twice for model " + name)
	}
	registry[name] = factory
}

// Models returns the names of the registered models, sorted.
func Models() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for k := range registry {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// New returns the named model built from s.
func New(name string, s Setup) (Model, error) {
	regMu.RLock()
	f, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown model %q; known models: %s", name, strings.Join(Models(), ", "))
	}
	return f(s)
}

// Spec returns the ParamSpec named name in specs.
func Spec(specs []ParamSpec, name string) (ParamSpec, bool) {
	i := slices.IndexFunc(specs, func(s ParamSpec) bool { return s.Name == name })
	if i < 0 {
		return ParamSpec{}, false
	}
	return specs[i], true
}

// Complete returns p with every parameter of specs filled in, defaults for
// the missing ones, after checking that p names only known parameters and
// every value is finite, within bounds and whole where it must be. The error
// wraps ErrInvalidParams and names the parameter and its bounds.
func Complete(specs []ParamSpec, p Params) (Params, error) {
	out := make(Params, len(specs))
	for _, name := range p.Names() {
		if _, ok := Spec(specs, name); !ok {
			known := make([]string, len(specs))
			for i, s := range specs {
				known[i] = s.Name
			}
			return nil, fmt.Errorf("unknown parameter %q; the model's parameters are %s: %w", name, strings.Join(known, ", "), ErrInvalidParams)
		}
	}
	for _, s := range specs {
		v, ok := p[s.Name]
		if !ok {
			v = s.Default
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("parameter %s is %v; want a number in [%g, %g] %s: %w", s.Name, v, s.Min, s.Max, s.Unit, ErrInvalidParams)
		}
		if v < s.Min || v > s.Max {
			return nil, fmt.Errorf("parameter %s = %g is outside [%g, %g] %s: %w", s.Name, v, s.Min, s.Max, s.Unit, ErrInvalidParams)
		}
		if s.Integer && v != math.Trunc(v) {
			return nil, fmt.Errorf("parameter %s = %g must be a whole number of %s: %w", s.Name, v, s.Unit, ErrInvalidParams)
		}
		out[s.Name] = v
	}
	return out, nil
}

// SeedFor derives the seed of replication rep from a base seed, so that
// replication r of every parameter set draws the same random numbers.
func SeedFor(base uint64, rep int) uint64 {
	// SplitMix64 finaliser over base and rep: well mixed, cheap, stable.
	z := base + uint64(rep+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
