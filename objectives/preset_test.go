package objectives

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/attune-dao/attune/metrics"
)

func presetSet() *Set {
	return &Set{Objectives: []Objective{{Name: "turnout", Weight: 1, Better: 1, Scale: 1}, {Name: "safety", Weight: 2, Better: 1, Scale: 1}}}
}

func TestParetoAndPresets(t *testing.T) {
	s := presetSet()
	base := Candidate{Objectives: []float64{0.5, 0.5}, Feasible: true}
	cands := []Candidate{
		{Objectives: []float64{0.6, 0.5}, Score: 1.6, Feasible: true, Change: 0.1},     // 0: small, better on turnout only
		{Objectives: []float64{0.7, 0.6}, Score: 1.9, Feasible: true, Change: 0.5},     // 1: better on both, larger change
		{Objectives: []float64{0.4, 0.9}, Score: 2.2, Feasible: true, Change: 0.3},     // 2: worse turnout, best safety, best score
		{Objectives: []float64{0.65, 0.55}, Score: 1.75, Feasible: true, Change: 0.05}, // 3: dominated by 1, smallest change improving both
		{Objectives: []float64{0.9, 1.0}, Score: 2.9, Feasible: false, Change: 0.2},    // 4: infeasible, dominates all
		{Objectives: []float64{0.3, 0.3}, Score: 0.9, Feasible: true, Change: 0.01},    // 5: worse on both
	}
	if got := Pareto(cands); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Pareto = %v, want [1 2]", got)
	}
	for preset, want := range map[string]int{Balanced: 2, Conservative: 3, Aggressive: 2} {
		got, err := s.Choose(preset, base, cands)
		if err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", preset, got, err, want)
		}
	}
	// With turnout the heavier objective, aggressive pushes turnout.
	s.Objectives[0].Weight = 3
	if got, _ := s.Choose(Aggressive, base, cands); got != 1 {
		t.Errorf("aggressive on turnout: %d, want 1", got)
	}
	if s.Lead() != "turnout" {
		t.Errorf("lead %s", s.Lead())
	}
	// Nothing improves every objective: conservative keeps what is in force.
	if got, _ := s.Choose(Conservative, Candidate{Objectives: []float64{1, 1}, Feasible: true}, cands); got != -1 {
		t.Errorf("conservative with nothing better: %d, want -1", got)
	}
	if _, err := s.Choose("reckless", base, cands); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown preset: %v", err)
	}
}

func TestEvaluateObjectivesAndConstraints(t *testing.T) {
	s := presetSet()
	s.Objectives[1].Better = -1 // minimised here, to check the orientation
	s.Objectives[1].Scale = 2
	s.Constraints = []Constraint{le{"turnout", 0.25}}
	reps := []metrics.Values{{"turnout": 0.2, "safety": 4}, {"turnout": 0.4, "safety": 2}}
	e := s.Evaluate(reps)
	if len(e.Objectives) != 2 || math.Abs(e.Objectives[0]-0.3) > 1e-12 || math.Abs(e.Objectives[1]-(-1.5)) > 1e-12 {
		t.Errorf("mean objectives %v, want [0.3 -1.5]", e.Objectives)
	}
	// turnout's mean 0.3 misses <= 0.25 by 0.05, a share 0.05/0.3 of the mean.
	if len(e.Constraints) != 1 || math.Abs(e.Constraints[0]-0.05/0.3) > 1e-12 || e.Constraints[0] != e.Violation {
		t.Errorf("constraints %v, violation %v", e.Constraints, e.Violation)
	}
	s.Risk = Risk{Measure: "cvar", Alpha: 0.5}
	e = s.Evaluate(reps)
	if math.Abs(e.Objectives[0]-0.2) > 1e-12 || math.Abs(e.Objectives[1]-(-2)) > 1e-12 {
		t.Errorf("cvar objectives %v, want each objective's worst half: [0.2 -2]", e.Objectives)
	}
}
