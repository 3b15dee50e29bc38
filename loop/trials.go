package loop

import (
	"math"

	"github.com/attune-dao/attune/schema"
)

// TrialsFile is the file in a cycle's directory that holds its searches
// trial by trial (schema.TrialsDoc): what the review desk's convergence
// and trade-off plots draw.
const TrialsFile = "trials.json"

// Trials returns the cycle's searches as a document: every trial of
// each search in the order run, with its parameters, combined score,
// constraint violation and objectives (named in the recommendation's
// Effects order, the config's).
func (c *Cycle) Trials() schema.TrialsDoc {
	d := schema.TrialsDoc{Schema: schema.Trials, CycleID: c.ID, Objectives: []string{}, Searches: []schema.SearchTrials{}}
	for _, e := range c.Recommendation.Effects {
		d.Objectives = append(d.Objectives, e.Name)
	}
	for _, s := range c.Search {
		if s == nil {
			continue
		}
		st := schema.SearchTrials{Best: s.Best, Trials: make([]schema.TrialRecord, 0, len(s.Trials))}
		for _, t := range s.Trials {
			r := schema.TrialRecord{Number: t.Number, Params: t.Params, Violation: t.Eval.Violation}
			if r.Params == nil {
				r.Params = map[string]float64{}
			}
			if v := t.Eval.Value; !math.IsNaN(v) && !math.IsInf(v, 0) {
				r.Score = &v
			}
			if finite(t.Eval.Objectives) && len(t.Eval.Objectives) == len(d.Objectives) {
				r.Objectives = t.Eval.Objectives
			}
			if math.IsNaN(r.Violation) || math.IsInf(r.Violation, 0) {
				r.Violation = math.MaxFloat64
			}
			st.Trials = append(st.Trials, r)
		}
		d.Searches = append(d.Searches, st)
	}
	return d
}

// finite reports whether every value is finite.
func finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
