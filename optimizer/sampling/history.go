package sampling

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/c-bata/goptuna"
)

// ConstraintsAttr is the trial system attribute holding a JSON array of
// constraint values, each feasible when <= 0.
const ConstraintsAttr = "attune:constraints"

// Observed is one trial as a sampler sees it.
type Observed struct {
	Number int
	// U is the trial's point in the unit cube, in the space's order.
	U []float64
	// Loss is the value to minimise: the trial's value for a minimising
	// study, its negation for a maximising one. NaN for a pending trial.
	Loss float64
	// Constraints are the trial's constraint values (feasible when every
	// one is <= 0); nil when the study has none.
	Constraints []float64
}

// Feasible reports whether every constraint holds.
func (o Observed) Feasible() bool {
	for _, c := range o.Constraints {
		if !(c <= 0) {
			return false
		}
	}
	return true
}

// Violation is the sum of the constraints' positive parts.
func (o Observed) Violation() float64 {
	v := 0.0
	for _, c := range o.Constraints {
		if c > 0 {
			v += c
		} else if math.IsNaN(c) {
			return math.Inf(1)
		}
	}
	return v
}

// History is what a study has learnt of a space: its complete trials and
// the ones still running (proposed, not yet told), both in trial order.
// Trials that did not sample every parameter of the space with the same
// distribution are left out.
type History struct {
	Space    Space
	Complete []Observed
	Pending  []Observed
}

// Load reads a study's history over space. The trial being proposed
// (current) is not part of it.
func Load(study *goptuna.Study, space Space, current int) (History, error) {
	h := History{Space: space}
	trials, err := study.GetTrials()
	if err != nil && err != goptuna.ErrTrialsPartiallyDeleted {
		return h, fmt.Errorf("sampling: read trials: %w", err)
	}
	sign := 1.0
	if study.Direction() == goptuna.StudyDirectionMaximize {
		sign = -1
	}
	for _, t := range trials {
		if t.ID == current {
			continue
		}
		var loss float64
		switch t.State {
		case goptuna.TrialStateComplete:
			loss = sign * t.Value
			if math.IsNaN(loss) {
				continue
			}
		case goptuna.TrialStateRunning:
			loss = math.NaN()
		default:
			continue
		}
		u, ok := encodeTrial(space, t)
		if !ok {
			continue
		}
		o := Observed{Number: t.Number, U: u, Loss: loss}
		if s, ok := t.SystemAttrs[ConstraintsAttr]; ok {
			if err := json.Unmarshal([]byte(s), &o.Constraints); err != nil {
				return h, fmt.Errorf("sampling: trial %d: %s %q: %w", t.Number, ConstraintsAttr, s, err)
			}
		}
		if t.State == goptuna.TrialStateComplete {
			h.Complete = append(h.Complete, o)
		} else {
			h.Pending = append(h.Pending, o)
		}
	}
	return h, nil
}

func encodeTrial(space Space, t goptuna.FrozenTrial) ([]float64, bool) {
	u := make([]float64, len(space))
	for i, d := range space {
		v, ok := t.InternalParams[d.Name]
		if !ok || math.IsNaN(v) {
			return nil, false
		}
		if dist, ok := t.Distributions[d.Name]; ok && !sameDist(dist, d.Dist) {
			return nil, false
		}
		u[i] = d.ToUnit(v)
	}
	return u, true
}

// sameDist reports whether two goptuna distributions are equal, without
// reflection for the common kinds (it runs once per parameter per trial per
// proposal).
func sameDist(a, b any) bool {
	switch x := a.(type) {
	case goptuna.UniformDistribution:
		y, ok := b.(goptuna.UniformDistribution)
		return ok && x == y
	case goptuna.LogUniformDistribution:
		y, ok := b.(goptuna.LogUniformDistribution)
		return ok && x == y
	case goptuna.IntUniformDistribution:
		y, ok := b.(goptuna.IntUniformDistribution)
		return ok && x == y
	case goptuna.StepIntUniformDistribution:
		y, ok := b.(goptuna.StepIntUniformDistribution)
		return ok && x == y
	case goptuna.DiscreteUniformDistribution:
		y, ok := b.(goptuna.DiscreteUniformDistribution)
		return ok && x == y
	case goptuna.CategoricalDistribution:
		y, ok := b.(goptuna.CategoricalDistribution)
		return ok && slices.Equal(x.Choices, y.Choices)
	}
	return reflect.DeepEqual(a, b)
}

// HasConstraints reports whether any complete trial carries constraints.
func (h History) HasConstraints() bool {
	for _, o := range h.Complete {
		if o.Constraints != nil {
			return true
		}
	}
	return false
}

// Best returns the index in Complete of the best trial: feasible before
// infeasible, then the smaller violation, then the smaller loss; -1 when
// there is none.
func (h History) Best() int {
	best := -1
	for i, o := range h.Complete {
		if best < 0 || Better(o, h.Complete[best]) {
			best = i
		}
	}
	return best
}

// Better reports whether a beats b: feasible first, then the smaller
// violation, then the smaller loss.
func Better(a, b Observed) bool {
	fa, fb := a.Feasible(), b.Feasible()
	if fa != fb {
		return fa
	}
	if !fa {
		va, vb := a.Violation(), b.Violation()
		if va != vb {
			return va < vb
		}
	}
	return a.Loss < b.Loss
}
