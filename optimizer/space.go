// Package optimizer searches a declared parameter space for the values that
// maximise an objective, using goptuna's TPE or random sampler. It knows the
// objective only as a function of parameters.
//
// The search space is declared once (Space) and narrowed by guardrails: the
// model's hard bounds, the largest change allowed per cycle, and frozen
// parameters; every narrowing is reported as a Clamp. Trials are proposed in
// batches of a fixed size and evaluated in parallel, then reported back in
// trial order, so a search is reproducible for a seed whatever the number of
// cores.
package optimizer

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// ErrInvalid is wrapped by errors that report a search space that cannot
// be searched.
var ErrInvalid = errors.New("invalid search space")

// Kind is how a parameter is searched.
type Kind string

// The kinds of parameter.
const (
	Float       Kind = "float"
	Int         Kind = "int"
	Log         Kind = "log"
	Categorical Kind = "categorical"
)

// Param is one searched dimension.
type Param struct {
	Name      string
	Kind      Kind
	Low, High float64   // inclusive bounds (not for Categorical)
	Choices   []float64 // Categorical values
}

// Contains reports whether v is a value the parameter can take.
func (p Param) Contains(v float64) bool {
	if p.Kind == Categorical {
		return slices.Contains(p.Choices, v)
	}
	if p.Kind == Int && v != math.Trunc(v) {
		return false
	}
	return v >= p.Low && v <= p.High
}

// Space is the declared search space, in a fixed order.
type Space []Param

// Declared is a parameter's search range as configured.
type Declared struct {
	Name      string
	Kind      Kind // "" means Float
	Min, Max  *float64
	Choices   []float64
	MaxChange float64 // relative change allowed per cycle; 0 means none
	MaxStep   float64 // absolute change allowed per cycle; 0 means none
	Frozen    bool
}

// Bound is a parameter's hard range from the model.
type Bound struct {
	Min, Max float64
	Integer  bool
	Unit     string
}

// Clamp records a guardrail that narrowed one parameter's range.
type Clamp struct {
	Param string
	// Kind is "bounds", "max_change", "max_step" or "frozen".
	Kind   string
	Detail string
	// LowCut and HighCut say which ends the guardrail moved in.
	LowCut, HighCut bool
	Low, High       float64 // the range after the guardrail
}

// Binding reports whether v sits on an end this clamp moved in: the search
// would have liked to go further.
func (c Clamp) Binding(v float64) bool {
	if c.Kind == "frozen" {
		return false
	}
	const eps = 1e-12
	return (c.LowCut && v <= c.Low+eps*math.Max(1, math.Abs(c.Low))) ||
		(c.HighCut && v >= c.High-eps*math.Max(1, math.Abs(c.High)))
}

// BuildSpace applies the guardrails to the declared ranges around the values
// in force and returns the space to search, in the order of declared, and
// every clamp applied. A parameter whose range collapses to a point is held
// and reported as frozen.
func BuildSpace(declared []Declared, hard map[string]Bound, current map[string]float64) (Space, []Clamp, error) {
	var space Space
	var clamps []Clamp
	for _, d := range declared {
		hb, ok := hard[d.Name]
		if !ok {
			return nil, nil, fmt.Errorf("search.%s: not a parameter of the model: %w", d.Name, ErrInvalid)
		}
		cur, ok := current[d.Name]
		if !ok {
			return nil, nil, fmt.Errorf("search.%s: no value in force; set current.%s: %w", d.Name, d.Name, ErrInvalid)
		}
		if d.Frozen {
			clamps = append(clamps, Clamp{Param: d.Name, Kind: "frozen", Detail: "held at its value in force by config", Low: cur, High: cur})
			continue
		}
		kind := d.Kind
		if kind == "" {
			kind = Float
			if hb.Integer {
				kind = Int
			}
		}
		if hb.Integer && kind != Int && kind != Categorical {
			return nil, nil, fmt.Errorf("search.%s: type %s, but the parameter takes whole numbers; use type int: %w", d.Name, kind, ErrInvalid)
		}
		if kind == Categorical {
			var choices []float64
			for _, c := range d.Choices {
				if c >= hb.Min && c <= hb.Max && okStep(d, cur, c) && !slices.Contains(choices, c) {
					choices = append(choices, c)
				}
			}
			if len(choices) < len(d.Choices) {
				clamps = append(clamps, Clamp{Param: d.Name, Kind: "bounds",
					Detail: fmt.Sprintf("choices cut to %s by the model's bounds [%g, %g] and the per-cycle change limits", formatChoices(choices), hb.Min, hb.Max)})
			}
			if len(choices) == 0 {
				return nil, nil, fmt.Errorf("search.%s: no choice lies within the model's bounds [%g, %g] and the change allowed per cycle: %w", d.Name, hb.Min, hb.Max, ErrInvalid)
			}
			if len(choices) == 1 {
				clamps = append(clamps, Clamp{Param: d.Name, Kind: "frozen", Detail: "one choice left after guardrails", Low: choices[0], High: choices[0]})
				continue
			}
			space = append(space, Param{Name: d.Name, Kind: Categorical, Choices: choices})
			continue
		}
		// Without min or max the range is the model's bounds, which the
		// per-cycle limits then cut around the value in force.
		lo, hi := hb.Min, hb.Max
		if d.Min != nil {
			lo = *d.Min
		}
		if d.Max != nil {
			hi = *d.Max
		}
		if (d.Min == nil || d.Max == nil) && d.MaxChange <= 0 && d.MaxStep <= 0 {
			return nil, nil, fmt.Errorf("search.%s: needs min and max, or max_change or max_step to range around the value in force: %w", d.Name, ErrInvalid)
		}
		first := len(clamps)
		if lo > hi {
			return nil, nil, fmt.Errorf("search.%s: min %g > max %g: %w", d.Name, lo, hi, ErrInvalid)
		}
		// A real DAO's value in force may lie outside a generic range: the
		// range is widened to include it, and says so.
		if cur < lo || cur > hi {
			clamps = append(clamps, Clamp{Param: d.Name, Kind: "widened",
				Detail: fmt.Sprintf("config range [%g, %g] widened to include the value in force %g", lo, hi, cur)})
			lo, hi = min(lo, cur), max(hi, cur)
			clamps[len(clamps)-1].Low, clamps[len(clamps)-1].High = lo, hi
			first = len(clamps)
		}
		if kind == Log && cur <= 0 {
			// A log scale cannot reach a value in force of 0.
			kind = Float
			clamps = append(clamps, Clamp{Param: d.Name, Kind: "linear", Detail: "searched on a linear scale: the value in force is 0, which a log scale cannot reach"})
			first = len(clamps)
		}
		cut := func(kindName, detail string, nlo, nhi float64) {
			c := Clamp{Param: d.Name, Kind: kindName, Detail: detail, LowCut: nlo > lo, HighCut: nhi < hi}
			if c.LowCut || c.HighCut {
				lo, hi = max(lo, nlo), min(hi, nhi)
				c.Low, c.High = lo, hi
				clamps = append(clamps, c)
			}
		}
		cut("bounds", fmt.Sprintf("config range cut to the model's bounds [%g, %g] %s", hb.Min, hb.Max, hb.Unit), hb.Min, hb.Max)
		if d.MaxChange > 0 {
			a, b := cur*(1-d.MaxChange), cur*(1+d.MaxChange)
			cut("max_change", fmt.Sprintf("at most ±%g%% from %g per cycle", d.MaxChange*100, cur), min(a, b), max(a, b))
		}
		if d.MaxStep > 0 {
			cut("max_step", fmt.Sprintf("at most ±%g from %g per cycle", d.MaxStep, cur), cur-d.MaxStep, cur+d.MaxStep)
		}
		if kind == Int {
			lo, hi = math.Ceil(lo), math.Floor(hi)
			// The clamps record the whole numbers they allow, so a
			// candidate on a clamped end reads as binding.
			for i := first; i < len(clamps); i++ {
				clamps[i].Low, clamps[i].High = math.Ceil(clamps[i].Low), math.Floor(clamps[i].High)
			}
		}
		if kind == Log && lo <= 0 {
			return nil, nil, fmt.Errorf("search.%s: type log needs min > 0, have %g: %w", d.Name, lo, ErrInvalid)
		}
		if lo > hi {
			return nil, nil, fmt.Errorf("search.%s: no value is left between the config range, the model's bounds and the change allowed per cycle around %g: %w", d.Name, cur, ErrInvalid)
		}
		if lo == hi {
			clamps = append(clamps, Clamp{Param: d.Name, Kind: "frozen", Detail: fmt.Sprintf("range collapsed to %g by guardrails", lo), Low: lo, High: hi})
			continue
		}
		space = append(space, Param{Name: d.Name, Kind: kind, Low: lo, High: hi})
	}
	return space, clamps, nil
}

func okStep(d Declared, cur, c float64) bool {
	if d.MaxChange > 0 && math.Abs(c-cur) > d.MaxChange*math.Abs(cur)+1e-12 {
		return false
	}
	if d.MaxStep > 0 && math.Abs(c-cur) > d.MaxStep+1e-12 {
		return false
	}
	return true
}

func formatChoices(cs []float64) string {
	b := []byte{'['}
	for i, c := range cs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendFloat(b, c, 'g', -1, 64)
	}
	return string(append(b, ']'))
}
