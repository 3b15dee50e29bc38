package loop

import (
	"context"
	"math"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator"
)

// relativeFactors and absoluteSteps are the one-at-a-time sweep of an
// assumption, outwards from its value on each side: factors of a size,
// steps of a probability.
var (
	relativeFactors = []float64{0.5, 0.25, 0}
	relativeGrowth  = []float64{2, 4}
	absoluteSteps   = []float64{0.05, 0.1, 0.2, 0.3}
)

// sensitivity sweeps each of the instance's assumptions one at a time, on
// the validation seeds, and finds how far it can move before the verdict
// on cand against the parameters in force changes (a recommended change
// stops being significant, or an unsupported one becomes significant). It
// returns nil when the model has no assumptions to vary or cand is the
// parameters in force.
func (e *Env) sensitivity(ctx context.Context, cand simulator.Params, change bool) ([]oracle.Sensitivity, error) {
	as, ok := e.Instance.(simulator.Assumer)
	if !ok || equalParams(cand, e.Current) {
		return nil, nil
	}
	n := max(e.Config.Optimizer.Validation/2, 2)
	seed := e.ValidationSeed()
	level := e.Config.Optimizer.Confidence
	holds := func(in simulator.Instance) (bool, error) {
		base, err := e.replicateOn(ctx, in, e.Current, seed, n)
		if err != nil {
			return false, err
		}
		next, err := e.replicateOn(ctx, in, cand, seed, n)
		if err != nil {
			return false, err
		}
		d := e.scoreEffect(e.Objectives.Evaluate(base).Scores, e.Objectives.Evaluate(next).Scores, level).Difference
		return (d.CI.Lo > 0) == change, nil
	}
	var out []oracle.Sensitivity
	for _, a := range as.Assumptions() {
		s := oracle.Sensitivity{Name: a.Name, Value: a.Value, HoldsFrom: a.Value, HoldsTo: a.Value}
		for _, side := range []int{-1, 1} {
			for _, v := range sweep(a, side) {
				in, err := as.WithAssumption(a.Name, v)
				if err != nil {
					return nil, err
				}
				ok, err := holds(in)
				if err != nil {
					return nil, err
				}
				if !ok {
					flip := v
					if side < 0 {
						s.FlipsBelow = &flip
					} else {
						s.FlipsAbove = &flip
					}
					break
				}
				if side < 0 {
					s.HoldsFrom = v
				} else {
					s.HoldsTo = v
				}
			}
		}
		s.Relative = a.Relative
		out = append(out, s)
	}
	return out, nil
}

// sweep lists the values to try on one side of an assumption's value,
// nearest first, within its range.
func sweep(a simulator.Assumption, side int) []float64 {
	var vs []float64
	add := func(v float64) {
		v = min(max(v, a.Min), a.Max)
		if v != a.Value && (len(vs) == 0 || v != vs[len(vs)-1]) {
			vs = append(vs, v)
		}
	}
	switch {
	case a.Relative && side < 0:
		for _, f := range relativeFactors {
			add(a.Value * f)
		}
	case a.Relative && a.Value == 0:
		for _, st := range absoluteSteps {
			add(st / 10) // from nothing, a few small sizes
		}
	case a.Relative:
		for _, f := range relativeGrowth {
			add(a.Value * f)
		}
	default:
		for _, st := range absoluteSteps {
			add(a.Value + float64(side)*st)
		}
	}
	return vs
}

// mostSensitive names the assumption the verdict rests on most: the one
// whose nearest flip is the smallest move, relative to its value for a
// size, absolute for a probability; "" when none flips.
func mostSensitive(ss []oracle.Sensitivity) string {
	best, bestMove := "", math.Inf(1)
	for _, s := range ss {
		for _, f := range []*float64{s.FlipsBelow, s.FlipsAbove} {
			if f == nil {
				continue
			}
			move := math.Abs(*f - s.Value)
			if s.Relative && s.Value != 0 {
				move /= math.Abs(s.Value)
			}
			if move < bestMove {
				best, bestMove = s.Name, move
			}
		}
	}
	return best
}
