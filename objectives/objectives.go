// Package objectives scores simulated outcomes: named objectives with
// weights and directions, constraints on outcomes, and a risk measure (mean
// or CVaR) that aggregates the replications of one parameter set into one
// number. Higher scores are better.
package objectives

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// ErrInvalid is wrapped by errors that report an objective, constraint or
// risk measure the model cannot score.
var ErrInvalid = errors.New("invalid objectives")

// Objective is one outcome to improve.
type Objective struct {
	Name   string
	Unit   string
	Weight float64
	Better simulator.Direction
	// Scale divides the outcome so objectives of different units weigh
	// comparably; it comes from the model's OutcomeSpec.
	Scale float64
}

// Constraint bounds one outcome. config.Constraint implements it.
type Constraint interface {
	// Metric names the outcome constrained.
	Metric() string
	// Violation is 0 when v satisfies the constraint, else how far v misses
	// its bound (positive).
	Violation(v float64) float64
	String() string
}

// Risk says how the scores of several replications are aggregated.
type Risk struct {
	// Measure is "mean" or "cvar".
	Measure string
	// Alpha is the CVaR tail: the mean of the worst Alpha share of scores.
	Alpha float64
}

// String returns "mean" or "cvar(ALPHA)".
func (r Risk) String() string {
	if r.Measure == "cvar" {
		return fmt.Sprintf("cvar(%g)", r.Alpha)
	}
	return "mean"
}

// Spec is an objective as configured: a name, a weight, and an optional
// direction overriding the model's.
type Spec struct {
	Name      string
	Weight    float64
	Direction string
}

// Set is a model's objectives, constraints and risk measure, checked against
// the outcomes the model reports.
type Set struct {
	Objectives  []Objective
	Constraints []Constraint
	Risk        Risk
}

// NewSet checks specs and constraints against the model's outcomes and
// returns the Set. Unknown names are errors that list the known outcomes.
func NewSet(outcomes []simulator.OutcomeSpec, specs []Spec, constraints []Constraint, risk Risk) (*Set, error) {
	known := make([]string, len(outcomes))
	for i, o := range outcomes {
		known[i] = o.Name
	}
	find := func(name string) (simulator.OutcomeSpec, bool) {
		i := slices.IndexFunc(outcomes, func(o simulator.OutcomeSpec) bool { return o.Name == name })
		if i < 0 {
			return simulator.OutcomeSpec{}, false
		}
		return outcomes[i], true
	}
	s := &Set{Risk: risk}
	if len(specs) == 0 {
		return nil, fmt.Errorf("no objectives; name at least one of %s: %w", strings.Join(known, ", "), ErrInvalid)
	}
	for i, sp := range specs {
		o, ok := find(sp.Name)
		if !ok {
			return nil, fmt.Errorf("objectives[%d]: unknown outcome %q; the model reports %s: %w", i, sp.Name, strings.Join(known, ", "), ErrInvalid)
		}
		if !(sp.Weight > 0) || math.IsInf(sp.Weight, 0) {
			return nil, fmt.Errorf("objectives[%d] (%s): weight %g; want a positive number: %w", i, sp.Name, sp.Weight, ErrInvalid)
		}
		dir := o.Better
		switch sp.Direction {
		case "":
		case "maximize":
			dir = simulator.Maximize
		case "minimize":
			dir = simulator.Minimize
		default:
			return nil, fmt.Errorf("objectives[%d] (%s): direction %q; want maximize or minimize: %w", i, sp.Name, sp.Direction, ErrInvalid)
		}
		if dir == simulator.Neutral {
			return nil, fmt.Errorf("objectives[%d] (%s): more is not better or worse in itself; give direction: maximize or minimize to make it an objective: %w", i, sp.Name, ErrInvalid)
		}
		if !(o.Scale > 0) || math.IsInf(o.Scale, 0) {
			return nil, fmt.Errorf("objectives[%d] (%s): the outcome, in %s, has no typical magnitude to weigh it against others, so it cannot be an objective; use a constraint on it, or an outcome measured as a share: %w", i, sp.Name, o.Unit, ErrInvalid)
		}
		s.Objectives = append(s.Objectives, Objective{Name: o.Name, Unit: o.Unit, Weight: sp.Weight, Better: dir, Scale: o.Scale})
	}
	for i, c := range constraints {
		if _, ok := find(c.Metric()); !ok {
			return nil, fmt.Errorf("constraints[%d] %q: unknown outcome %q; the model reports %s: %w", i, c.String(), c.Metric(), strings.Join(known, ", "), ErrInvalid)
		}
		s.Constraints = append(s.Constraints, c)
	}
	switch risk.Measure {
	case "mean":
	case "cvar":
		if !(risk.Alpha > 0 && risk.Alpha <= 1) {
			return nil, fmt.Errorf("risk.alpha %g: want a share in (0, 1]: %w", risk.Alpha, ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("risk.measure %q: want mean or cvar: %w", risk.Measure, ErrInvalid)
	}
	return s, nil
}

// Score returns the weighted, scaled sum of the objectives in v, signed so
// that higher is better.
func (s *Set) Score(v metrics.Values) float64 {
	var total float64
	for _, o := range s.Objectives {
		total += o.Weight * float64(o.Better) * v[o.Name] / o.Scale
	}
	return total
}

// Aggregate combines replication scores by the risk measure: their mean, or
// the mean of the worst ceil(Alpha*n) of them. It returns NaN for no scores.
func (s *Set) Aggregate(scores []float64) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	if s.Risk.Measure != "cvar" {
		return mean(scores)
	}
	k := int(math.Ceil(s.Risk.Alpha * float64(len(scores))))
	k = max(1, min(k, len(scores)))
	sorted := slices.Clone(scores)
	slices.Sort(sorted)
	return mean(sorted[:k])
}

// Evaluation is one parameter set scored over its replications.
type Evaluation struct {
	// Score is the risk-aggregated score of the replications.
	Score float64
	// Scores holds each replication's score, in replication order.
	Scores []float64
	// Means holds each outcome's mean over replications.
	Means metrics.Values
	// Violation sums each constraint's violation of the means, each as a
	// share of the larger of the mean and the miss, so it lies in (0, 1]
	// per broken constraint; 0 when every constraint holds.
	Violation float64
	// Objectives holds each objective on its own, in the order of
	// Set.Objectives: oriented so that higher is better, divided by its
	// scale, unweighted, and aggregated over the replications by the risk
	// measure. These are the coordinates of the Pareto set.
	Objectives []float64
	// Constraints holds each constraint's term of Violation, in the order
	// of Set.Constraints: 0 when it holds.
	Constraints []float64
}

// Feasible reports whether every constraint holds on the means.
func (e Evaluation) Feasible() bool { return e.Violation == 0 }

// Evaluate scores the replications of one parameter set.
func (s *Set) Evaluate(reps []metrics.Values) Evaluation {
	e := Evaluation{Scores: make([]float64, len(reps)), Means: metrics.MeanValues(reps)}
	for i, v := range reps {
		e.Scores[i] = s.Score(v)
	}
	e.Score = s.Aggregate(e.Scores)
	e.Objectives = make([]float64, len(s.Objectives))
	col := make([]float64, len(reps))
	for k, o := range s.Objectives {
		for i, v := range reps {
			col[i] = float64(o.Better) * v[o.Name] / o.Scale
		}
		e.Objectives[k] = s.Aggregate(col)
	}
	e.Constraints = make([]float64, len(s.Constraints))
	for k, c := range s.Constraints {
		if viol := c.Violation(e.Means[c.Metric()]); viol > 0 {
			e.Constraints[k] = viol / math.Max(math.Abs(e.Means[c.Metric()]), viol)
			e.Violation += e.Constraints[k]
		}
	}
	return e
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
