package loop

import (
	"context"
	"math"
	"testing"

	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator/simtest"
)

// The tests in this file check the minimal change set and the stability of
// directions across searches on the closed-form fake model.

func paramOf(t *testing.T, rec oracle.Recommendation, name string) oracle.ParamChange {
	t.Helper()
	for _, p := range rec.Params {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no parameter %s in the recommendation", name)
	return oracle.ParamChange{}
}

func TestMinimalChangeSetKeepsOnlyWhatMatters(t *testing.T) {
	// gain rises with a (slope 1 by default) and not at all with inert:
	// whatever the searches do with inert, the change set holds a alone.
	c := fakeSpec{
		search:     "{a: {min: 0, max: 1}, inert: {min: 0, max: 1}}",
		objectives: "[{name: gain, weight: 1}]",
	}.cycle(t)
	rec := c.Recommendation
	if !rec.Change || rec.Basis != oracle.BasisSignificant {
		t.Fatalf("change %v basis %s (%s); want a significant change", rec.Change, rec.Basis, rec.Reason)
	}
	a, inert := paramOf(t, rec, simtest.FakeA), paramOf(t, rec, simtest.FakeInert)
	if a.Recommended <= a.Current || a.Held != "" {
		t.Errorf("a: %+v; want it raised", a)
	}
	if inert.Recommended != inert.Current || inert.Held == "" {
		t.Errorf("inert: %+v; want it left alone with a reason", inert)
	}
	if a.Range == nil || a.Range[0] > a.Recommended || a.Range[1] < a.Recommended {
		t.Errorf("a's range %v does not contain its value %v", a.Range, a.Recommended)
	}
	if rec.Method.Searches != 3 || rec.Method.Trials != 24 {
		t.Errorf("method: %d searches, %d trials; want the 24 trials shared by 3", rec.Method.Searches, rec.Method.Trials)
	}
}

// searchesMoving builds one search per value, each with the baseline and
// one trial that moves a to that value, best.
func searchesMoving(e *Env, values ...float64) Searches {
	var ss Searches
	for _, v := range values {
		moved := map[string]float64(e.Current.Clone())
		moved[simtest.FakeA] = v
		ss = append(ss, &optimizer.Result{Best: 1, Trials: []optimizer.Trial{
			{Number: 0, Params: map[string]float64(e.Current.Clone())},
			{Number: 1, Params: moved},
		}})
	}
	return ss
}

func TestDirectionThatFlipsIsLeftAlone(t *testing.T) {
	e := fakeSpec{search: "{a: {min: 0, max: 1}}", objectives: "[{name: gain, weight: 1}]"}.env(t)
	// Two searches raise a, one lowers it: the direction is not stable.
	rec, err := e.Recommend(context.Background(), "id", searchesMoving(e, 0.6, 0.4, 0.7), "test")
	if err != nil {
		t.Fatal(err)
	}
	a := paramOf(t, rec, simtest.FakeA)
	if rec.Change || a.Recommended != a.Current || a.Held != oracle.HeldUnstable {
		t.Errorf("change %v, a %+v; want a left alone as direction_unstable", rec.Change, a)
	}
	if a.Range == nil || *a.Range != [2]float64{0.4, 0.7} {
		t.Errorf("range %v; want [0.4, 0.7]", a.Range)
	}
	// Most searches leaving it where it is also leaves it.
	rec, err = e.Recommend(context.Background(), "id", searchesMoving(e, 0.5, 0.5, 0.9), "test")
	if err != nil {
		t.Fatal(err)
	}
	if a := paramOf(t, rec, simtest.FakeA); a.Held != oracle.HeldUnmoved {
		t.Errorf("a %+v; want searches_kept_it", a)
	}
}

func TestConsensusTakesTheMedianOfAgreeingSearches(t *testing.T) {
	e := fakeSpec{search: "{a: {min: 0, max: 1}}", objectives: "[{name: gain, weight: 1}]"}.env(t)
	rec, err := e.Recommend(context.Background(), "id", searchesMoving(e, 0.9, 0.6, 0.7), "test")
	if err != nil {
		t.Fatal(err)
	}
	// gain = a + noise: moving a from 0.5 to 0.7 gains exactly 0.2 on
	// every replication, a significant change the minimal set keeps.
	a := paramOf(t, rec, simtest.FakeA)
	if !rec.Change || a.Recommended != 0.7 || a.Held != "" {
		t.Errorf("change %v, a %+v; want 0.7, the median", rec.Change, a)
	}
	if rec.Candidate[simtest.FakeA] != 0.7 {
		t.Errorf("candidate %v", rec.Candidate)
	}
}

func TestMinimalChangeSetDropsAnAgreedChangeWithNoEffect(t *testing.T) {
	e := fakeSpec{search: "{a: {min: 0, max: 1}, inert: {min: 0, max: 1}}", objectives: "[{name: gain, weight: 1}]"}.env(t)
	// Every search raises both a and inert: the consensus moves both, and
	// the minimal change set puts inert back (its removal costs exactly 0).
	ss := searchesMoving(e, 0.8, 0.8, 0.8)
	for _, s := range ss {
		s.Trials[1].Params[simtest.FakeInert] = 0.9
	}
	rec, err := e.Recommend(context.Background(), "id", ss, "test")
	if err != nil {
		t.Fatal(err)
	}
	a, inert := paramOf(t, rec, simtest.FakeA), paramOf(t, rec, simtest.FakeInert)
	if !rec.Change || a.Recommended != 0.8 {
		t.Errorf("change %v, a %+v; want a at 0.8", rec.Change, a)
	}
	if inert.Recommended != inert.Current || inert.Held != oracle.HeldNotSignificant {
		t.Errorf("inert %+v; want it put back as not_significant", inert)
	}
	if rec.Candidate[simtest.FakeInert] != 0.9 {
		t.Errorf("candidate %v; want the searches' agreed inert 0.9 shown", rec.Candidate)
	}
}

func TestOneSetOfFiguresForTheParametersInForce(t *testing.T) {
	// calibrate, simulate and the proposal report the parameters in force
	// on the same seeds: with as many replications, the same means.
	e := fakeSpec{search: "{a: {min: 0, max: 1}}", objectives: "[{name: gain, weight: 1}]"}.env(t)
	n := e.Config.Optimizer.Validation
	runs, err := e.Replicate(context.Background(), e.Current, e.ValidationSeed(), n)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.Recommend(context.Background(), "id", searchesMoving(e, 0.7, 0.7, 0.7), "test")
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, r := range runs {
		sum += r[simtest.FakeGain]
	}
	if got, want := rec.Effects[0].Current.Mean, sum/float64(n); got != want {
		t.Errorf("proposal's current gain %v, simulate's %v; want the same figure", got, want)
	}
	// The calibration check ran calibration.replications (16) of the same
	// seeds as the proposal's 16 validation replications.
	if e.Config.Calibration.Replications == n {
		var turnout float64
		for _, r := range runs {
			turnout += r["turnout"]
		}
		if got := e.Fit.Simulated["turnout"]; math.Abs(got-turnout/float64(n)) > 1e-12 {
			t.Errorf("calibrate's simulated turnout %v, simulate's %v", got, turnout/float64(n))
		}
	}
}
