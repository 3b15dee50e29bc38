package tpe

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/random"
)

var studies atomic.Int64

// newStudy is a minimising in-memory study over space, every parameter
// proposed by s.
func newStudy(tb testing.TB, space map[string]any, s sampling.Sampler) *goptuna.Study {
	tb.Helper()
	study, err := goptuna.CreateStudy(fmt.Sprintf("tpe-test-%d", studies.Add(1)),
		goptuna.StudyOptionDefineSearchSpace(space),
		goptuna.StudyOptionSampler(s),
		goptuna.StudyOptionRelativeSampler(s),
		goptuna.StudyOptionLogger(nil),
		goptuna.StudyOptionDirection(goptuna.StudyDirectionMinimize),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return study
}

// suggest asks the trial for every parameter of space and returns their
// internal values.
func suggest(t goptuna.Trial, space map[string]any) (map[string]float64, error) {
	v := map[string]float64{}
	for _, name := range slices.Sorted(maps.Keys(space)) {
		var err error
		switch d := space[name].(type) {
		case goptuna.UniformDistribution:
			v[name], err = t.SuggestFloat(name, d.Low, d.High)
		case goptuna.LogUniformDistribution:
			v[name], err = t.SuggestLogFloat(name, d.Low, d.High)
		case goptuna.IntUniformDistribution:
			var n int
			n, err = t.SuggestInt(name, d.Low, d.High)
			v[name] = float64(n)
		case goptuna.CategoricalDistribution:
			var c string
			c, err = t.SuggestCategorical(name, d.Choices)
			v[name] = float64(slices.Index(d.Choices, c))
		default:
			return nil, fmt.Errorf("%s: %T", name, d)
		}
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// unitLoss is the squared distance, in the unit cube, of internal values to
// the point 0.3 in every dimension.
func unitLoss(space map[string]any, v map[string]float64) float64 {
	sp, err := sampling.NewSpace(space)
	if err != nil {
		panic(err)
	}
	u, ok := sp.Encode(v)
	if !ok {
		panic("missing value")
	}
	s := 0.0
	for _, x := range u {
		s += (x - 0.3) * (x - 0.3)
	}
	return s
}

// suggestAll suggests every parameter and returns unitLoss.
func suggestAll(t goptuna.Trial, space map[string]any) float64 {
	v, err := suggest(t, space)
	if err != nil {
		panic(err)
	}
	return unitLoss(space, v)
}

// runningTrial creates a trial the study is running and returns it.
func runningTrial(tb testing.TB, study *goptuna.Study) goptuna.FrozenTrial {
	tb.Helper()
	id, err := study.Storage.CreateNewTrial(study.ID)
	if err != nil {
		tb.Fatal(err)
	}
	ft, err := study.Storage.GetTrial(id)
	if err != nil {
		tb.Fatal(err)
	}
	return ft
}

// optimize runs n trials of objective f(values) and returns every trial's
// values in order.
func optimize(tb testing.TB, study *goptuna.Study, space map[string]any, n int, f func(map[string]float64) float64) []map[string]float64 {
	tb.Helper()
	var out []map[string]float64
	err := study.Optimize(func(t goptuna.Trial) (float64, error) {
		v, err := suggest(t, space)
		if err != nil {
			return 0, err
		}
		out = append(out, v)
		return f(v), nil
	}, n)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func mixedSpace() map[string]any {
	return map[string]any{
		"x":   goptuna.UniformDistribution{Low: -2, High: 3},
		"lr":  goptuna.LogUniformDistribution{Low: 1e-4, High: 1},
		"n":   goptuna.IntUniformDistribution{Low: 1, High: 9},
		"cat": goptuna.CategoricalDistribution{Choices: []string{"a", "b", "c", "d"}},
	}
}

func TestRegistered(t *testing.T) {
	s, err := sampling.New("tpe", sampling.Config{Seed: 3, Startup: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(*Sampler).Settings().Startup; got != 7 {
		t.Errorf("startup %d, want 7", got)
	}
	if got := New(sampling.Config{}).Settings(); got != Defaults() {
		t.Errorf("settings %+v, want the defaults %+v", got, Defaults())
	}
}

func TestReproducible(t *testing.T) {
	space := mixedSpace()
	f := func(v map[string]float64) float64 { return unitLoss(space, v) }
	run := func(seed uint64) []map[string]float64 {
		return optimize(t, newStudy(t, space, New(sampling.Config{Seed: seed})), space, 30, f)
	}
	a, b, c := run(1), run(1), run(2)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different trials")
	}
	same := 0
	for i := range a {
		if reflect.DeepEqual(a[i], c[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 1 and 2 share %d of %d trials", same, len(a))
	}

	// The same history read by two samplers (fresh or used) gives the
	// same proposal; another seed gives another.
	study := newStudy(t, space, random.New(5))
	optimize(t, study, space, 40, f)
	trial := runningTrial(t, study)
	s1 := New(sampling.Config{Seed: 9})
	p1, err := s1.SampleRelative(study, trial, space)
	if err != nil {
		t.Fatal(err)
	}
	p1again, _ := s1.SampleRelative(study, trial, space)
	p2, _ := New(sampling.Config{Seed: 9}).SampleRelative(study, trial, space)
	q, _ := New(sampling.Config{Seed: 10}).SampleRelative(study, trial, space)
	if !reflect.DeepEqual(p1, p2) || !reflect.DeepEqual(p1, p1again) {
		t.Errorf("same seed and history: %v, %v, %v", p1, p1again, p2)
	}
	if reflect.DeepEqual(p1, q) {
		t.Errorf("seeds 9 and 10 both propose %v", p1)
	}
}

func TestLevelsReached(t *testing.T) {
	space := mixedSpace()
	// Best at the top of n and at level "c"; x and lr matter too.
	f := func(v map[string]float64) float64 {
		return (9-v["n"])*(9-v["n"])/10 + math.Abs(v["cat"]-2) + (v["x"]-1)*(v["x"]-1) + math.Pow(math.Log10(v["lr"])+2, 2)/8
	}
	for seed := range uint64(3) {
		vs := optimize(t, newStudy(t, space, New(sampling.Config{Seed: seed})), space, 60, f)
		top, levels := 0, map[float64]int{}
		for i, v := range vs {
			if v["n"] < 1 || v["n"] > 9 || v["n"] != math.Trunc(v["n"]) {
				t.Fatalf("n = %v", v["n"])
			}
			if i >= Defaults().Startup && v["n"] == 9 {
				top++
			}
			levels[v["cat"]]++
		}
		t.Logf("seed %d: n at its upper bound %d times after start-up; levels %v", seed, top, levels)
		if top == 0 {
			t.Errorf("seed %d: the model never proposed n's upper bound", seed)
		}
		if len(levels) != 4 {
			t.Errorf("seed %d: categorical levels proposed: %v", seed, levels)
		}
		if levels[2] < 20 {
			t.Errorf("seed %d: the best level was proposed %d times of 60", seed, levels[2])
		}
	}
}

// bestOf is the lowest of f over trials' values.
func bestOf(vs []map[string]float64, f func(map[string]float64) float64) float64 {
	best := math.Inf(1)
	for _, v := range vs {
		best = math.Min(best, f(v))
	}
	return best
}

func TestBeatsRandomOnSphere(t *testing.T) {
	space := map[string]any{
		"x": goptuna.UniformDistribution{Low: -5, High: 5},
		"y": goptuna.UniformDistribution{Low: -5, High: 5},
		"z": goptuna.UniformDistribution{Low: -5, High: 5},
	}
	f := func(v map[string]float64) float64 {
		return (v["x"]-1)*(v["x"]-1) + (v["y"]+2)*(v["y"]+2) + (v["z"]-0.5)*(v["z"]-0.5)
	}
	var tpe, rnd []float64
	for seed := range uint64(5) {
		tpe = append(tpe, bestOf(optimize(t, newStudy(t, space, New(sampling.Config{Seed: seed})), space, 60, f), f))
		rnd = append(rnd, bestOf(optimize(t, newStudy(t, space, random.New(seed)), space, 60, f), f))
	}
	mt, mr := median(tpe), median(rnd)
	t.Logf("median best over 5 seeds: tpe %.4g, random %.4g", mt, mr)
	if !(mt < mr/4) {
		t.Errorf("tpe's median best %.4g is not a quarter of random's %.4g (tpe %v, random %v)", mt, mr, tpe, rnd)
	}
}

func TestConstantLiar(t *testing.T) {
	space := mixedSpace()
	f := func(v map[string]float64) float64 { return unitLoss(space, v) }
	study := newStudy(t, space, New(sampling.Config{Seed: 4}))
	optimize(t, study, space, 25, f)
	s := New(sampling.Config{Seed: 4})

	// Trials a and b are running; a's parameters are not set yet, so it
	// is not part of the history. Then a takes the point b would have had.
	a := runningTrial(t, study)
	b := runningTrial(t, study)
	alone, err := s.SampleRelative(study, b, space)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range alone {
		if err := study.Storage.SetTrialParam(a.ID, name, v, space[name]); err != nil {
			t.Fatal(err)
		}
	}
	h, err := sampling.Load(study, mustSpace(t, space), b.ID)
	if err != nil || len(h.Pending) != 1 {
		t.Fatalf("pending trials %d (%v), want 1", len(h.Pending), err)
	}
	lied, err := s.SampleRelative(study, b, space)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(alone, lied) {
		t.Errorf("a pending trial at %v does not change the next proposal", alone)
	}

	// Over many seeds and trial numbers, directly.
	sp := mustSpace(t, space)
	for seed := range uint64(20) {
		s := New(sampling.Config{Seed: seed})
		h.Pending = nil
		u, err := s.propose(h, 99)
		if err != nil {
			t.Fatal(err)
		}
		h.Pending = []sampling.Observed{{Number: 98, U: u, Loss: math.NaN()}}
		v, err := s.propose(h, 99)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(sp.Decode(u), sp.Decode(v)) {
			t.Errorf("seed %d: a pending trial at the proposal %v does not change it", seed, sp.Decode(u))
		}
	}
}

func mustSpace(tb testing.TB, space map[string]any) sampling.Space {
	tb.Helper()
	sp, err := sampling.NewSpace(space)
	if err != nil {
		tb.Fatal(err)
	}
	return sp
}

func TestConstraints(t *testing.T) {
	space := map[string]any{
		"x": goptuna.UniformDistribution{Low: 0, High: 1},
		"y": goptuna.UniformDistribution{Low: 0, High: 1},
	}
	// The loss ignores x; the constraint x <= 0.5 rules out half the box.
	const trials = 60
	var feasible, after int
	for seed := range uint64(3) {
		study := newStudy(t, space, New(sampling.Config{Seed: seed}))
		err := study.Optimize(func(tr goptuna.Trial) (float64, error) {
			v, err := suggest(tr, space)
			if err != nil {
				return 0, err
			}
			b, _ := json.Marshal([]float64{v["x"] - 0.5})
			if err := tr.SetSystemAttr(sampling.ConstraintsAttr, string(b)); err != nil {
				return 0, err
			}
			return (v["y"] - 0.2) * (v["y"] - 0.2), nil
		}, trials)
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := study.GetTrials()
		for _, tr := range ts {
			if tr.Number < Defaults().Startup {
				continue
			}
			after++
			if tr.Params["x"].(float64) <= 0.5 {
				feasible++
			}
		}
	}
	share := float64(feasible) / float64(after)
	t.Logf("%.0f%% of the proposals after start-up are feasible", 100*share)
	if share <= 0.7 {
		t.Errorf("%.0f%% of the proposals after start-up are feasible, want > 70%%", 100*share)
	}
}

func TestDegenerate(t *testing.T) {
	single := map[string]any{
		"const": goptuna.UniformDistribution{Low: 2, High: 2},
		"one":   goptuna.IntUniformDistribution{Low: 4, High: 4},
		"cat1":  goptuna.CategoricalDistribution{Choices: []string{"only"}},
		"x":     goptuna.UniformDistribution{Low: 0, High: 1},
	}
	onlySingle := map[string]any{
		"const": goptuna.UniformDistribution{Low: 2, High: 2},
		"cat1":  goptuna.CategoricalDistribution{Choices: []string{"only"}},
	}
	nan := 0
	cases := []struct {
		name  string
		space map[string]any
		f     func(map[string]float64) float64
	}{
		{"single-valued dimensions", single, func(v map[string]float64) float64 { return v["x"] }},
		{"only single-valued dimensions", onlySingle, func(map[string]float64) float64 { return 1 }},
		{"equal losses", mixedSpace(), func(map[string]float64) float64 { return 3 }},
		{"NaN and Inf losses", mixedSpace(), func(v map[string]float64) float64 {
			nan++
			switch nan % 3 {
			case 0:
				return math.NaN()
			case 1:
				return math.Inf(1 - 2*(nan%2))
			}
			return v["x"]
		}},
		{"all NaN", mixedSpace(), func(map[string]float64) float64 { return math.NaN() }},
		{"all Inf", mixedSpace(), func(map[string]float64) float64 { return math.Inf(1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			study := newStudy(t, c.space, New(sampling.Config{Seed: 1, Startup: 3}))
			vs := optimize(t, study, c.space, 25, c.f)
			sp := mustSpace(t, c.space)
			for _, v := range vs {
				for _, d := range sp {
					x := v[d.Name]
					if !(x >= d.Low && x <= d.High) {
						t.Fatalf("%s = %v outside [%v, %v]", d.Name, x, d.Low, d.High)
					}
				}
			}
		})
	}

	// Zero complete trials, with and without pending ones; an empty space.
	s := New(sampling.Config{Seed: 2})
	sp := mustSpace(t, mixedSpace())
	for _, h := range []sampling.History{
		{Space: sp},
		{Space: sp, Pending: []sampling.Observed{{Number: 0, U: []float64{0.5, 0.5, 0.5, 0.5}, Loss: math.NaN()}}},
	} {
		if _, err := s.propose(h, 3); err != nil {
			t.Error(err)
		}
	}
	if p, err := s.SampleRelative(nil, goptuna.FrozenTrial{}, map[string]any{}); err != nil || len(p) != 0 {
		t.Errorf("empty space: %v, %v", p, err)
	}

	// Past the start-up with every trial infeasible, or one trial only.
	s = New(sampling.Config{Seed: 2, Startup: 1})
	one := sampling.History{Space: sp, Complete: []sampling.Observed{{Number: 0, U: []float64{0.1, 0.9, 0.5, 0.3}, Loss: 1, Constraints: []float64{1, math.NaN()}}}}
	if _, err := s.propose(one, 1); err != nil {
		t.Error(err)
	}
}

func TestSampleIndependent(t *testing.T) {
	s := New(sampling.Config{Seed: 8})
	dist := goptuna.IntUniformDistribution{Low: 0, High: 5}
	tr := goptuna.FrozenTrial{Number: 3}
	got, err := s.Sample(nil, tr, "k", dist)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sampling.Independent(8, tr, "k", dist)
	if got != want {
		t.Errorf("Sample = %v, want sampling.Independent's %v", got, want)
	}
}

func TestConcurrent(t *testing.T) {
	space := mixedSpace()
	study := newStudy(t, space, random.New(1))
	optimize(t, study, space, 30, func(v map[string]float64) float64 { return unitLoss(space, v) })
	s := New(sampling.Config{Seed: 1})
	trial := runningTrial(t, study)
	want, err := s.SampleRelative(study, trial, space)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan map[string]float64)
	for range 4 {
		go func() {
			p, _ := s.SampleRelative(study, trial, space)
			done <- p
		}()
	}
	for range 4 {
		if p := <-done; !reflect.DeepEqual(p, want) {
			t.Errorf("concurrent proposal %v, want %v", p, want)
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
