package objectives

import (
	"fmt"
	"math"
)

// The presets: how a winner is chosen among a search's trials when the
// objectives pull apart.
const (
	// Conservative: the smallest change that is no worse on any objective
	// and better on at least one; no change when there is none.
	Conservative = "conservative"
	// Balanced: the best combined score, the configured weights deciding
	// the trade-offs.
	Balanced = "balanced"
	// Aggressive: of the trials no other beats on every objective (the
	// Pareto set), the best on the most heavily weighted objective.
	Aggressive = "aggressive"
)

// Presets lists the presets, from the most cautious.
var Presets = []string{Conservative, Balanced, Aggressive}

// Candidate is a trial as a preset sees it.
type Candidate struct {
	// Objectives are the trial's Evaluation.Objectives.
	Objectives []float64
	Score      float64
	Feasible   bool
	// Change is how far the trial's parameters lie from the parameters in
	// force, in any consistent measure (attune uses the sum of each
	// searched parameter's move as a share of its range).
	Change float64
}

// Dominates reports whether a is at least as good as b on every
// objective and better on one.
func Dominates(a, b []float64) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	better := false
	for i := range a {
		if !(a[i] >= b[i]) {
			return false
		}
		better = better || a[i] > b[i]
	}
	return better
}

// Pareto returns the indices of the feasible candidates no other feasible
// candidate dominates, in their order.
func Pareto(cands []Candidate) []int {
	var out []int
	for i, c := range cands {
		if !c.Feasible || !finite(c.Objectives) {
			continue
		}
		dominated := false
		for j, d := range cands {
			if j != i && d.Feasible && finite(d.Objectives) && Dominates(d.Objectives, c.Objectives) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, i)
		}
	}
	return out
}

func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Choose picks the preset's winner among cands against the parameters in
// force (base), or -1 when the preset keeps the parameters in force.
// Infeasible candidates are never chosen.
func (s *Set) Choose(preset string, base Candidate, cands []Candidate) (int, error) {
	best := -1
	switch preset {
	case Balanced, "":
		for i, c := range cands {
			if c.Feasible && !math.IsNaN(c.Score) && (best < 0 || c.Score > cands[best].Score) {
				best = i
			}
		}
	case Conservative:
		for i, c := range cands {
			if !c.Feasible || !finite(c.Objectives) || !Dominates(c.Objectives, base.Objectives) {
				continue
			}
			if best < 0 || c.Change < cands[best].Change || (c.Change == cands[best].Change && c.Score > cands[best].Score) {
				best = i
			}
		}
	case Aggressive:
		if len(s.Objectives) == 0 {
			return -1, fmt.Errorf("preset %s: no objectives: %w", preset, ErrInvalid)
		}
		lead := s.lead()
		for _, i := range Pareto(cands) {
			c := cands[i]
			if len(c.Objectives) != len(s.Objectives) {
				continue
			}
			if best < 0 || c.Objectives[lead] > cands[best].Objectives[lead] ||
				(c.Objectives[lead] == cands[best].Objectives[lead] && c.Score > cands[best].Score) {
				best = i
			}
		}
	default:
		return -1, fmt.Errorf("preset %q: want one of %v: %w", preset, Presets, ErrInvalid)
	}
	return best, nil
}

// Lead names the objective the aggressive preset pushes: the most heavily
// weighted, the first on a tie.
func (s *Set) Lead() string {
	if len(s.Objectives) == 0 {
		return ""
	}
	return s.Objectives[s.lead()].Name
}

func (s *Set) lead() int {
	i := 0
	for k, o := range s.Objectives {
		if o.Weight > s.Objectives[i].Weight {
			i = k
		}
	}
	return i
}
