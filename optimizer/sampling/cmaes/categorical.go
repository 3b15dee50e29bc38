package cmaes

import (
	"math"
	"sort"

	"github.com/attune-dao/attune/optimizer/sampling"
)

const (
	// goodShare is the share of the complete trials counted as good.
	goodShare = 0.25
	// floorShare is the probability spread evenly over the levels, so
	// that each keeps being tried.
	floorShare = 0.1
)

// rank returns the indices of the complete trials, best first (feasible
// before infeasible, then by violation, then by loss; ties in trial order).
func rank(complete []sampling.Observed) []int {
	order := make([]int, len(complete))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sampling.Better(complete[order[a]], complete[order[b]]) })
	return order
}

// level draws a level of categorical dimension i and returns its encoding
// in the unit cube. Level k is drawn with a probability proportional to
// its estimated rate of good trials, (good_k + γ) / (n_k + 1), where n_k
// trials used it, good_k of them among the best share γ of the study; a
// level never tried has the prior rate γ. A share floorShare of the
// probability is spread evenly.
func (s *Sampler) level(h sampling.History, order []int, i, number int) float64 {
	d := h.Space[i]
	levels := d.Levels
	n := make([]float64, levels)
	good := make([]float64, levels)
	nGood := int(math.Ceil(goodShare * float64(len(order))))
	for r, idx := range order {
		k := min(int(h.Complete[idx].U[i]*float64(levels)), levels-1)
		n[k]++
		if r < nGood {
			good[k]++
		}
	}
	p := make([]float64, levels)
	total := 0.0
	for k := range p {
		p[k] = (good[k] + goodShare) / (n[k] + 1)
		total += p[k]
	}
	x := sampling.Rand(s.seed, number, "cmaes:categorical:"+d.Name).Float64()
	k := 0
	for ; k < levels-1; k++ {
		x -= (1-floorShare)*p[k]/total + floorShare/float64(levels)
		if x < 0 {
			break
		}
	}
	return (float64(k) + 0.5) / float64(levels)
}
