package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/objectives"
)

// paretoRow is one trial of the Pareto set.
type paretoRow struct {
	Search int `json:"search"`
	Trial  int `json:"trial"`
	// Changes are the searched parameters that differ from the values in
	// force.
	Changes    map[string]float64 `json:"changes"`
	Objectives map[string]float64 `json:"objectives"`
	Score      float64            `json:"score"`
	// Change is the size of the change: each parameter's move as a share
	// of its searched range, summed.
	Change float64 `json:"change"`
}

// printPareto prints every search's Pareto set with each objective's
// value (oriented so that higher is better, scaled, unweighted).
func (a *app) printPareto(env *loop.Env, ss loop.Searches) error {
	var rows []paretoRow
	for si, res := range ss {
		cands := env.Candidates(res)
		for _, i := range objectives.Pareto(cands) {
			t := res.Trials[i]
			r := paretoRow{Search: si + 1, Trial: t.Number, Changes: map[string]float64{}, Objectives: map[string]float64{},
				Score: t.Eval.Value, Change: cands[i].Change}
			for _, sp := range env.Space {
				if t.Params[sp.Name] != env.Current[sp.Name] {
					r.Changes[sp.Name] = t.Params[sp.Name]
				}
			}
			for k, o := range env.Objectives.Objectives {
				r.Objectives[o.Name] = t.Eval.Objectives[k]
			}
			rows = append(rows, r)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Score > rows[j].Score })
	if a.output != "text" {
		return a.writeDoc(rows)
	}
	names := make([]string, len(env.Objectives.Objectives))
	for k, o := range env.Objectives.Objectives {
		names[k] = o.Name
	}
	fmt.Fprintf(a.stdout, "Pareto set: %d trials no other feasible trial beats on every objective (objectives oriented so higher is better, divided by their scale, unweighted)\n\n", len(rows))
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "search\ttrial\tscore\tchange\t%s\tchanges\n", strings.Join(names, "\t"))
	for _, r := range rows {
		vals := make([]string, len(names))
		for k, n := range names {
			vals[k] = fmt.Sprintf("%.4g", r.Objectives[n])
		}
		var ch []string
		for _, sp := range env.Space {
			if v, ok := r.Changes[sp.Name]; ok {
				ch = append(ch, fmt.Sprintf("%s=%.4g", sp.Name, v))
			}
		}
		changes := strings.Join(ch, " ")
		if changes == "" {
			changes = "(the parameters in force)"
		}
		fmt.Fprintf(tw, "%d\t%d\t%.4g\t%.3f\t%s\t%s\n", r.Search, r.Trial, r.Score, r.Change, strings.Join(vals, "\t"), changes)
	}
	return tw.Flush()
}
