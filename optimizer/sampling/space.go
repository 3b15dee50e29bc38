package sampling

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/c-bata/goptuna"
)

// ErrSpace is wrapped by errors about a distribution a sampler cannot
// encode.
var ErrSpace = errors.New("unsupported distribution")

// Kind is how a dimension's values are spaced.
type Kind int

// The kinds of dimension.
const (
	// Continuous: any value in [Low, High], on a log scale when Log.
	Continuous Kind = iota
	// Ordinal: Levels evenly spaced values, Low, Low+Step, ..., High.
	Ordinal
	// Categorical: Levels unordered choices.
	Categorical
)

// Dim is one dimension of a search space and its encoding in [0, 1]. A
// continuous value maps linearly (in logs when Log); level k of an ordinal
// or categorical dimension with n levels maps to the centre of the k-th of
// n equal cells, (k+0.5)/n, so a uniform draw in [0, 1] reaches every
// level, the top one included, equally often.
type Dim struct {
	Name      string
	Dist      any
	Kind      Kind
	Log       bool
	Low, High float64
	Step      float64 // Ordinal only
	Levels    int     // Ordinal and Categorical; 0 for Continuous
}

// Space is a search space in a fixed order (by name).
type Space []Dim

// NewSpace encodes a goptuna search space.
func NewSpace(space map[string]any) (Space, error) {
	names := make([]string, 0, len(space))
	for n := range space {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(Space, 0, len(names))
	for _, n := range names {
		d, err := NewDim(n, space[n])
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// NewDim encodes one goptuna distribution.
func NewDim(name string, dist any) (Dim, error) {
	d := Dim{Name: name, Dist: dist}
	switch t := dist.(type) {
	case goptuna.UniformDistribution:
		d.Low, d.High = t.Low, t.High
	case goptuna.LogUniformDistribution:
		if t.Low <= 0 {
			return d, fmt.Errorf("sampling: %s: log-uniform low %g must be positive: %w", name, t.Low, ErrSpace)
		}
		d.Low, d.High, d.Log = t.Low, t.High, true
	case goptuna.IntUniformDistribution:
		d.Kind, d.Low, d.High, d.Step = Ordinal, float64(t.Low), float64(t.High), 1
	case goptuna.StepIntUniformDistribution:
		d.Kind, d.Low, d.High, d.Step = Ordinal, float64(t.Low), float64(t.High), float64(max(t.Step, 1))
	case goptuna.DiscreteUniformDistribution:
		d.Kind, d.Low, d.High, d.Step = Ordinal, t.Low, t.High, t.Q
	case goptuna.CategoricalDistribution:
		if len(t.Choices) == 0 {
			return d, fmt.Errorf("sampling: %s: categorical with no choices: %w", name, ErrSpace)
		}
		d.Kind, d.Levels, d.Low, d.High = Categorical, len(t.Choices), 0, float64(len(t.Choices)-1)
	default:
		return d, fmt.Errorf("sampling: %s: %T: %w", name, dist, ErrSpace)
	}
	if !(d.Low <= d.High) || math.IsInf(d.Low, 0) || math.IsInf(d.High, 0) {
		return d, fmt.Errorf("sampling: %s: range [%g, %g] is empty or infinite: %w", name, d.Low, d.High, ErrSpace)
	}
	if d.Kind == Ordinal {
		if !(d.Step > 0) {
			return d, fmt.Errorf("sampling: %s: step %g must be positive: %w", name, d.Step, ErrSpace)
		}
		n := math.Floor((d.High-d.Low)/d.Step+1e-9) + 1
		if n > 1<<40 {
			return d, fmt.Errorf("sampling: %s: %g levels are too many: %w", name, n, ErrSpace)
		}
		d.Levels = int(n)
	}
	return d, nil
}

// Single reports whether the dimension has one value only.
func (d Dim) Single() bool {
	if d.Kind == Continuous {
		return d.Low == d.High
	}
	return d.Levels == 1
}

// ToUnit encodes an internal (goptuna) value in [0, 1].
func (d Dim) ToUnit(v float64) float64 {
	switch d.Kind {
	case Continuous:
		if d.Low == d.High {
			return 0.5
		}
		if d.Log {
			return clamp01((math.Log(v) - math.Log(d.Low)) / (math.Log(d.High) - math.Log(d.Low)))
		}
		return clamp01((v - d.Low) / (d.High - d.Low))
	default:
		k := d.Level(v)
		return (float64(k) + 0.5) / float64(d.Levels)
	}
}

// Level is the index of an ordinal or categorical value.
func (d Dim) Level(v float64) int {
	k := int(math.Round((v - d.Low) / d.stepOr1()))
	return min(max(k, 0), d.Levels-1)
}

func (d Dim) stepOr1() float64 {
	if d.Kind == Categorical {
		return 1
	}
	return d.Step
}

// FromUnit decodes u in [0, 1] to an internal (goptuna) value.
func (d Dim) FromUnit(u float64) float64 {
	u = clamp01(u)
	switch d.Kind {
	case Continuous:
		if d.Log {
			return math.Min(d.High, math.Max(d.Low, math.Exp(math.Log(d.Low)+u*(math.Log(d.High)-math.Log(d.Low)))))
		}
		return math.Min(d.High, math.Max(d.Low, d.Low+u*(d.High-d.Low)))
	default:
		k := min(int(u*float64(d.Levels)), d.Levels-1)
		return d.Low + float64(k)*d.stepOr1()
	}
}

// Snap moves u to the encoding of the value it decodes to: the centre of
// its cell for ordinal and categorical dimensions, u itself otherwise.
func (d Dim) Snap(u float64) float64 {
	if d.Kind == Continuous {
		return clamp01(u)
	}
	return d.ToUnit(d.FromUnit(u))
}

// Decode maps a point of the unit cube to internal values by name.
func (s Space) Decode(u []float64) map[string]float64 {
	out := make(map[string]float64, len(s))
	for i, d := range s {
		out[d.Name] = d.FromUnit(u[i])
	}
	return out
}

// Encode maps internal values to the unit cube; ok is false when a value is
// missing.
func (s Space) Encode(params map[string]float64) (u []float64, ok bool) {
	u = make([]float64, len(s))
	for i, d := range s {
		v, has := params[d.Name]
		if !has || math.IsNaN(v) {
			return nil, false
		}
		u[i] = d.ToUnit(v)
	}
	return u, true
}

func clamp01(u float64) float64 {
	if !(u > 0) { // NaN too
		return 0
	}
	if u > 1 {
		return 1
	}
	return u
}
