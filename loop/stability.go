package loop

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator"
)

// Searches are a cycle's searches: the primary one, on optimizer.seed,
// then its repeats on independent seeds. They share optimizer.trials.
type Searches []*optimizer.Result

// Trials returns the number of trials of all the searches together.
func (ss Searches) Trials() int {
	n := 0
	for _, s := range ss {
		n += len(s.Trials)
	}
	return n
}

// repeatSalt separates the seeds of repeated searches from the primary's.
const repeatSalt = 0x7265706561747321

// minimalSalt separates the seeds on which the minimal change set is chosen
// from those the verdict is judged on, so the verdict does not judge the
// draws that chose it.
const minimalSalt = 0x6d696e696d616c21

// searchSeed is the seed of search i: optimizer.seed for the primary.
func (e *Env) searchSeed(i int) uint64 {
	if i == 0 {
		return e.Config.Optimizer.Seed
	}
	return simulator.SeedFor(e.Config.Optimizer.Seed^repeatSalt, i)
}

// consensus reads the searches' best candidates parameter by parameter: a
// parameter moves only when the searches agree on its direction (every
// search that moved it moved it the same way, and most moved it); it then
// takes the median of their values. held records why each searched
// parameter the consensus leaves alone stays; ranges the values the
// searches took.
func (e *Env) consensus(ss Searches) (cand simulator.Params, held map[string]string, ranges map[string][2]float64) {
	cand = e.Current.Clone()
	held, ranges = map[string]string{}, map[string][2]float64{}
	bests := make([]simulator.Params, len(ss))
	for i, s := range ss {
		bests[i] = e.round(s.Trials[s.Best].Params)
	}
	for _, sp := range e.Space {
		cur := e.Current[sp.Name]
		var up, down []float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, b := range bests {
			v := b[sp.Name]
			lo, hi = min(lo, v), max(hi, v)
			switch {
			case v > cur:
				up = append(up, v)
			case v < cur:
				down = append(down, v)
			}
		}
		ranges[sp.Name] = [2]float64{lo, hi}
		moved := up
		if len(down) > 0 {
			moved = down
		}
		switch {
		case len(up) > 0 && len(down) > 0:
			held[sp.Name] = oracle.HeldUnstable
		case 2*len(moved) <= len(bests):
			held[sp.Name] = oracle.HeldUnmoved
		default:
			cand[sp.Name] = median(moved)
			if sp.Kind == optimizer.Int {
				cand[sp.Name] = math.Round(cand[sp.Name])
			}
		}
	}
	return cand, held, ranges
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// minimal reduces cand to the changes the data support: one at a time,
// the change whose removal (putting the parameter back to its value in
// force) costs the combined score least is removed, unless even that
// loss is significant on fresh paired replications, or removing it would
// break a constraint or the model's links that cand meets. It records the
// parameters it puts back in held.
func (e *Env) minimal(ctx context.Context, cand simulator.Params, held map[string]string) (simulator.Params, error) {
	cfg := e.Config
	n := cfg.Optimizer.Validation
	seed := cfg.Optimizer.Seed ^ minimalSalt
	level := cfg.Optimizer.Confidence
	score := func(p simulator.Params) ([]float64, bool, error) {
		reps, err := e.Replicate(ctx, p, seed, n)
		if err != nil {
			return nil, false, err
		}
		ev := e.Objectives.Evaluate(reps)
		return ev.Scores, ev.Feasible() && len(e.inconsistent(p)) == 0, nil
	}
	for {
		changed := changedNames(cand, e.Current)
		if len(changed) == 0 {
			return cand, nil
		}
		full, fullOK, err := score(cand)
		if err != nil {
			return nil, err
		}
		if !fullOK {
			return cand, nil // the verdict reports the broken constraint
		}
		weakest, weakestLo := "", math.Inf(1)
		for _, k := range changed {
			without := cand.Clone()
			without[k] = e.Current[k]
			s, ok, err := score(without)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue // needed to meet a constraint or a link
			}
			// The loss from putting k back, full − without, paired, by the
			// configured risk measure.
			lo := e.scoreEffect(s, full, level).Difference.CI.Lo
			if lo < weakestLo {
				weakest, weakestLo = k, lo
			}
		}
		if weakest == "" || weakestLo > 0 {
			return cand, nil // every remaining change is needed
		}
		cand[weakest] = e.Current[weakest]
		held[weakest] = oracle.HeldNotSignificant
	}
}

// changedNames lists, in sorted order, the parameters on which p differs
// from cur.
func changedNames(p, cur simulator.Params) []string {
	var out []string
	for _, k := range p.Names() {
		if p[k] != cur[k] {
			out = append(out, k)
		}
	}
	return out
}

// heldReason says why a model parameter the search space does not hold
// stays at its value in force.
func (e *Env) heldReason(name string) string {
	for _, c := range e.Clamps {
		if c.Param != name {
			continue
		}
		switch c.Kind {
		case "needs_upgrade":
			return oracle.HeldNeedsUpgrade
		case "not_enactable":
			return oracle.HeldNotEnactable
		case "frozen":
			return oracle.HeldFrozen
		}
	}
	return oracle.HeldNotSearched
}

// describeHeld lists the held parameters with their reasons, for a
// recommendation's reason text.
func describeHeld(held map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range held {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%s (%s)", k, strings.ReplaceAll(held[k], "_", " ")))
	}
	return strings.Join(parts, ", ")
}
