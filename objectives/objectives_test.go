package objectives

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

var outs = []simulator.OutcomeSpec{
	{Name: "quality", Better: simulator.Maximize, Scale: 1},
	{Name: "turnout", Better: simulator.Maximize, Scale: 0.1},
	{Name: "spend", Better: simulator.Minimize, Scale: 2},
	{Name: "cost", Unit: "tokens", Better: simulator.Maximize, Scale: 0},
	{Name: "pass", Better: simulator.Neutral, Scale: 1},
}

// le is a test constraint: metric <= bound.
type le struct {
	m     string
	bound float64
}

func (c le) Metric() string { return c.m }
func (c le) Violation(v float64) float64 {
	return math.Max(0, v-c.bound)
}
func (c le) String() string { return fmt.Sprintf("%s <= %g", c.m, c.bound) }

func TestScoreWeightsScalesAndDirections(t *testing.T) {
	s, err := NewSet(outs, []Spec{{Name: "quality", Weight: 2}, {Name: "turnout", Weight: 1}, {Name: "spend", Weight: 0.5}}, nil, Risk{Measure: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	// 2*0.8/1 + 1*0.05/0.1 - 0.5*4/2
	if got, want := s.Score(metrics.Values{"quality": 0.8, "turnout": 0.05, "spend": 4}), 1.6+0.5-1; math.Abs(got-want) > 1e-12 {
		t.Errorf("Score = %v, want %v", got, want)
	}
	s2, _ := NewSet(outs, []Spec{{Name: "quality", Weight: 1, Direction: "minimize"}}, nil, Risk{Measure: "mean"})
	if s2.Score(metrics.Values{"quality": 0.8}) != -0.8 {
		t.Errorf("direction override ignored")
	}
}

func TestAggregateMeanAndCVaR(t *testing.T) {
	scores := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	mean, _ := NewSet(outs, []Spec{{Name: "quality", Weight: 1}}, nil, Risk{Measure: "mean"})
	if got := mean.Aggregate(scores); got != 5.5 {
		t.Errorf("mean = %v", got)
	}
	cvar, _ := NewSet(outs, []Spec{{Name: "quality", Weight: 1}}, nil, Risk{Measure: "cvar", Alpha: 0.2})
	if got := cvar.Aggregate(scores); got != 1.5 { // worst 2 of 10: 1 and 2
		t.Errorf("cvar(0.2) = %v, want 1.5", got)
	}
	if scores[0] != 5 {
		t.Error("Aggregate sorted its input")
	}
	if !math.IsNaN(mean.Aggregate(nil)) {
		t.Error("aggregate of nothing should be NaN")
	}
}

func TestEvaluateConstraints(t *testing.T) {
	s, err := NewSet(outs, []Spec{{Name: "quality", Weight: 1}}, []Constraint{le{"spend", 10}}, Risk{Measure: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	ok := s.Evaluate([]metrics.Values{{"quality": 0.5, "spend": 8}, {"quality": 0.7, "spend": 12}})
	if !ok.Feasible() || math.Abs(ok.Score-0.6) > 1e-12 || ok.Means["spend"] != 10 || len(ok.Scores) != 2 {
		t.Errorf("feasible evaluation = %+v", ok)
	}
	bad := s.Evaluate([]metrics.Values{{"quality": 0.5, "spend": 20}})
	if bad.Feasible() || bad.Violation != 0.5 { // misses by 10 of 20
		t.Errorf("infeasible evaluation = %+v", bad)
	}
	worse := s.Evaluate([]metrics.Values{{"quality": 0.5, "spend": 40}})
	if worse.Violation <= bad.Violation || worse.Violation > 1 {
		t.Errorf("a larger miss should violate more, within (0, 1]: %v vs %v", worse.Violation, bad.Violation)
	}
}

func TestNewSetErrors(t *testing.T) {
	cases := []struct {
		specs []Spec
		cons  []Constraint
		risk  Risk
		want  string
	}{
		{nil, nil, Risk{Measure: "mean"}, "no objectives"},
		{[]Spec{{Name: "qualiy", Weight: 1}}, nil, Risk{Measure: "mean"}, `unknown outcome "qualiy"; the model reports quality, turnout, spend, cost, pass`},
		{[]Spec{{Name: "pass", Weight: 1}}, nil, Risk{Measure: "mean"}, "give direction: maximize or minimize"},
		{[]Spec{{Name: "cost", Weight: 1}}, nil, Risk{Measure: "mean"}, "no typical magnitude"},
		{[]Spec{{Name: "quality", Weight: 0}}, nil, Risk{Measure: "mean"}, "weight 0"},
		{[]Spec{{Name: "quality", Weight: math.NaN()}}, nil, Risk{Measure: "mean"}, "weight NaN"},
		{[]Spec{{Name: "quality", Weight: 1, Direction: "up"}}, nil, Risk{Measure: "mean"}, `direction "up"`},
		{[]Spec{{Name: "quality", Weight: 1}}, []Constraint{le{"gas", 1}}, Risk{Measure: "mean"}, `unknown outcome "gas"`},
		{[]Spec{{Name: "quality", Weight: 1}}, nil, Risk{Measure: "cvar", Alpha: 0}, "risk.alpha"},
		{[]Spec{{Name: "quality", Weight: 1}}, nil, Risk{Measure: "median"}, "risk.measure"},
	}
	for _, c := range cases {
		_, err := NewSet(outs, c.specs, c.cons, c.risk)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewSet(%v, %v, %v) = %v, want error containing %q", c.specs, c.cons, c.risk, err, c.want)
		}
	}
}

func TestNeutralOutcomeNeedsADirection(t *testing.T) {
	set, err := NewSet(outs, []Spec{{Name: "pass", Weight: 1, Direction: "minimize"}}, nil, Risk{Measure: "mean"})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Objectives[0].Better; got != simulator.Minimize {
		t.Errorf("direction %v; want the config's minimize", got)
	}
}
