package cmaes

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/random"
)

// objective is a test objective of a trial's suggested values.
type objective func(tr goptuna.Trial, x map[string]float64) (float64, error)

func unitSpace(dim int) map[string]any {
	s := map[string]any{}
	for i := range dim {
		s[fmt.Sprintf("x%d", i)] = goptuna.UniformDistribution{Low: 0, High: 1}
	}
	return s
}

// suggestAll suggests every parameter of space (sorted by name).
func suggestAll(tr goptuna.Trial, space map[string]any) (map[string]float64, error) {
	names := make([]string, 0, len(space))
	for n := range space {
		names = append(names, n)
	}
	slices.Sort(names)
	x := map[string]float64{}
	for _, n := range names {
		var v float64
		var err error
		switch d := space[n].(type) {
		case goptuna.UniformDistribution:
			v, err = tr.SuggestFloat(n, d.Low, d.High)
		case goptuna.LogUniformDistribution:
			v, err = tr.SuggestLogFloat(n, d.Low, d.High)
		case goptuna.IntUniformDistribution:
			var i int
			i, err = tr.SuggestInt(n, d.Low, d.High)
			v = float64(i)
		case goptuna.CategoricalDistribution:
			var c string
			c, err = tr.SuggestCategorical(n, d.Choices)
			v = float64(slices.Index(d.Choices, c))
		default:
			err = fmt.Errorf("unsupported %T", d)
		}
		if err != nil {
			return nil, err
		}
		x[n] = v
	}
	return x, nil
}

func newStudy(t testing.TB, space map[string]any, s sampling.Sampler, opts ...goptuna.StudyOption) *goptuna.Study {
	t.Helper()
	opts = append([]goptuna.StudyOption{
		goptuna.StudyOptionDefineSearchSpace(space),
		goptuna.StudyOptionSampler(s),
		goptuna.StudyOptionRelativeSampler(s),
		goptuna.StudyOptionLogger(nil),
		goptuna.StudyOptionIgnoreError(true),
	}, opts...)
	study, err := goptuna.CreateStudy("test", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return study
}

func run(t testing.TB, study *goptuna.Study, space map[string]any, f objective, n int) {
	t.Helper()
	err := study.Optimize(func(tr goptuna.Trial) (float64, error) {
		x, err := suggestAll(tr, space)
		if err != nil {
			return 0, err
		}
		return f(tr, x)
	}, n)
	if err != nil {
		t.Fatal(err)
	}
}

func trials(t testing.TB, study *goptuna.Study) []goptuna.FrozenTrial {
	t.Helper()
	ts, err := study.GetTrials()
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// bestValue is the lowest value of a complete trial, ignoring NaN.
func bestValue(ts []goptuna.FrozenTrial) float64 {
	best := math.Inf(1)
	for _, tr := range ts {
		if tr.State == goptuna.TrialStateComplete && tr.Value < best {
			best = tr.Value
		}
	}
	return best
}

func sphereAt(c float64) objective {
	return func(_ goptuna.Trial, x map[string]float64) (float64, error) {
		v := 0.0
		for _, xi := range x {
			v += (xi - c) * (xi - c)
		}
		return v, nil
	}
}

// paramsOf lists the trials' parameters, for comparing runs.
func paramsOf(ts []goptuna.FrozenTrial) []map[string]float64 {
	out := make([]map[string]float64, len(ts))
	for i, tr := range ts {
		out[i] = tr.InternalParams
	}
	return out
}

func sameParams(t *testing.T, what string, a, b []goptuna.FrozenTrial) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d trials vs %d", what, len(a), len(b))
	}
	pa, pb := paramsOf(a), paramsOf(b)
	for i := range pa {
		for k, v := range pa[i] {
			if pb[i][k] != v {
				t.Fatalf("%s: trial %d: %s = %v vs %v", what, i, k, v, pb[i][k])
			}
		}
		if a[i].SystemAttrs[GenerationAttr] != b[i].SystemAttrs[GenerationAttr] {
			t.Fatalf("%s: trial %d: generation %q vs %q", what, i, a[i].SystemAttrs[GenerationAttr], b[i].SystemAttrs[GenerationAttr])
		}
	}
}

func TestRegistered(t *testing.T) {
	s, err := sampling.New("cmaes", sampling.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*Sampler); !ok {
		t.Fatalf("cmaes builds a %T", s)
	}
}

func TestReproducible(t *testing.T) {
	space := unitSpace(3)
	runSeed := func(seed uint64) []goptuna.FrozenTrial {
		study := newStudy(t, space, New(sampling.Config{Seed: seed}))
		run(t, study, space, sphereAt(0.3), 40)
		return trials(t, study)
	}
	a, b := runSeed(5), runSeed(5)
	sameParams(t, "same seed", a, b)
	c := runSeed(6)
	if a[1].InternalParams["x0"] == c[1].InternalParams["x0"] {
		t.Errorf("seeds 5 and 6 propose the same trial 1")
	}
}

// TestStateFromStorage runs one study three ways and expects the same
// trials: one sampler throughout; two sampler instances (two "processes",
// each with its own cache) taking turns on the same storage; and a study
// stopped after 37 trials and resumed by a new sampler on a reloaded
// study.
func TestStateFromStorage(t *testing.T) {
	space := unitSpace(4)
	space["n"] = goptuna.IntUniformDistribution{Low: 0, High: 9}
	space["c"] = goptuna.CategoricalDistribution{Choices: []string{"a", "b", "c"}}
	f := func(_ goptuna.Trial, x map[string]float64) (float64, error) {
		v := x["c"] / 10
		for i := range 4 {
			d := x[fmt.Sprintf("x%d", i)] - 0.2*float64(i)
			v += d * d
		}
		return v + math.Abs(x["n"]-6)/10, nil
	}
	const n = 120
	cfg := sampling.Config{Seed: 11}

	one := newStudy(t, space, New(cfg))
	run(t, one, space, f, n)
	want := trials(t, one)

	s1, s2 := New(cfg), New(cfg)
	two := newStudy(t, space, s1)
	for i := range n {
		s := []*Sampler{s1, s2}[i%2]
		two.Sampler, two.RelativeSampler = s, s
		run(t, two, space, f, 1)
	}
	sameParams(t, "two instances", want, trials(t, two))

	storage := goptuna.NewInMemoryStorage()
	first := newStudy(t, space, New(cfg), goptuna.StudyOptionStorage(storage))
	run(t, first, space, f, 37)
	s3 := New(cfg)
	resumed, err := goptuna.LoadStudy("test",
		goptuna.StudyOptionStorage(storage),
		goptuna.StudyOptionDefineSearchSpace(space),
		goptuna.StudyOptionSampler(s3), goptuna.StudyOptionRelativeSampler(s3),
		goptuna.StudyOptionLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, resumed, space, f, n-37)
	sameParams(t, "resumed", want, trials(t, resumed))

	// The search moved on: more than one generation was told.
	last := want[n-1].SystemAttrs[GenerationAttr]
	if last == "" || last == "0:0" || last == "0:1" {
		t.Errorf("last trial's generation %q", last)
	}
}

// TestCacheDoesNotChangeResults proposes the same trial with a sampler
// whose cache holds the whole replay and with a fresh one.
func TestCacheDoesNotChangeResults(t *testing.T) {
	space := unitSpace(5)
	s := New(sampling.Config{Seed: 3})
	study := newStudy(t, space, s)
	run(t, study, space, sphereAt(0.6), 80)
	id, err := study.Storage.CreateNewTrial(study.ID)
	if err != nil {
		t.Fatal(err)
	}
	frozen, err := study.Storage.GetTrial(id)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.SampleRelative(study, frozen, space)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(sampling.Config{Seed: 3}).SampleRelative(study, frozen, space)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s: cached %v, fresh %v", k, v, b[k])
		}
	}
}

func TestConvergesOnSphere(t *testing.T) {
	space := unitSpace(4)
	for seed := range uint64(3) {
		study := newStudy(t, space, New(sampling.Config{Seed: seed}))
		run(t, study, space, sphereAt(0.37), 300)
		got := bestValue(trials(t, study))
		if got >= 1e-3 {
			t.Errorf("seed %d: best %g after 300 trials, want < 1e-3", seed, got)
		}
		rs := random.New(seed)
		rstudy := newStudy(t, space, rs)
		run(t, rstudy, space, sphereAt(0.37), 300)
		if rbest := bestValue(trials(t, rstudy)); !(got < rbest) {
			t.Errorf("seed %d: cmaes %g, random %g", seed, got, rbest)
		}
	}
}

// TestBatch asks a whole generation before telling any of it, as parallel
// workers would.
func TestBatch(t *testing.T) {
	space := unitSpace(3)
	s := New(sampling.Config{Seed: 2})
	study := newStudy(t, space, s)
	pop := defaultPopsize(3)
	for gen := range 3 {
		var ids []int
		var xs []map[string]float64
		for range pop {
			id, err := study.Storage.CreateNewTrial(study.ID)
			if err != nil {
				t.Fatal(err)
			}
			tr := goptuna.Trial{Study: study, ID: id}
			if err := tr.CallRelativeSampler(); err != nil {
				t.Fatal(err)
			}
			x, err := suggestAll(tr, space)
			if err != nil {
				t.Fatal(err)
			}
			ids, xs = append(ids, id), append(xs, x)
		}
		for i, id := range ids {
			v, _ := sphereAt(0.5)(goptuna.Trial{}, xs[i])
			if err := study.Storage.SetTrialValue(id, v); err != nil {
				t.Fatal(err)
			}
			if err := study.Storage.SetTrialState(id, goptuna.TrialStateComplete); err != nil {
				t.Fatal(err)
			}
			tr, _ := study.Storage.GetTrial(id)
			if got, want := tr.SystemAttrs[GenerationAttr], fmt.Sprintf("0:%d", gen); got != want {
				t.Fatalf("generation %d trial %d: tagged %q", gen, tr.Number, got)
			}
		}
	}
}

func TestCategoricalAndIntegers(t *testing.T) {
	choices := []string{"a", "b", "c", "d", "e"}
	space := map[string]any{
		"c": goptuna.CategoricalDistribution{Choices: choices},
		"n": goptuna.IntUniformDistribution{Low: -2, High: 7},
		"x": goptuna.UniformDistribution{Low: 0, High: 1},
	}
	f := func(_ goptuna.Trial, x map[string]float64) (float64, error) {
		// Level "d" and the top integer are best.
		return math.Abs(x["c"]-3) + (7-x["n"])/3 + (x["x"]-0.5)*(x["x"]-0.5), nil
	}
	study := newStudy(t, space, New(sampling.Config{Seed: 4}))
	run(t, study, space, f, 150)
	ts := trials(t, study)
	seen := map[float64]int{}
	topInt := false
	for _, tr := range ts {
		if tr.State != goptuna.TrialStateComplete {
			t.Fatalf("trial %d: %v", tr.Number, tr.State)
		}
		seen[tr.InternalParams["c"]]++
		topInt = topInt || tr.InternalParams["n"] == 7
	}
	for i := range choices {
		if seen[float64(i)] == 0 {
			t.Errorf("level %q never proposed: %v", choices[i], seen)
		}
	}
	if !topInt {
		t.Errorf("n = 7 never proposed")
	}
	// The good level is favoured over the last 50 trials.
	d := 0
	for _, tr := range ts[100:] {
		if tr.InternalParams["c"] == 3 {
			d++
		}
	}
	if d < 20 {
		t.Errorf("level d in %d of the last 50 trials", d)
	}

	// A space of categorical parameters only.
	cat := map[string]any{"c": space["c"], "k": goptuna.CategoricalDistribution{Choices: []string{"x", "y"}}}
	cs := newStudy(t, cat, New(sampling.Config{Seed: 4}))
	run(t, cs, cat, func(_ goptuna.Trial, x map[string]float64) (float64, error) { return x["c"] + x["k"], nil }, 40)
	if got := bestValue(trials(t, cs)); got != 0 {
		t.Errorf("categorical-only best %g", got)
	}
}

// TestFailuresDoNotStall fails one trial in three and leaves one trial
// running for ever: the generations still fill up and the search
// converges.
func TestFailuresDoNotStall(t *testing.T) {
	space := unitSpace(3)
	study := newStudy(t, space, New(sampling.Config{Seed: 8}))
	// A trial proposed by the search that never completes.
	id, err := study.Storage.CreateNewTrial(study.ID)
	if err != nil {
		t.Fatal(err)
	}
	tr := goptuna.Trial{Study: study, ID: id}
	if err := tr.CallRelativeSampler(); err != nil {
		t.Fatal(err)
	}
	if _, err := suggestAll(tr, space); err != nil {
		t.Fatal(err)
	}
	calls := 0
	run(t, study, space, func(tr goptuna.Trial, x map[string]float64) (float64, error) {
		calls++
		if calls%3 == 0 {
			return 0, errors.New("simulation crashed")
		}
		return sphereAt(0.7)(tr, x)
	}, 240)
	ts := trials(t, study)
	failed := 0
	for _, tr := range ts {
		if tr.State == goptuna.TrialStateFail {
			failed++
		}
	}
	if failed < 70 {
		t.Fatalf("%d failed trials", failed)
	}
	gen, ok := parseGen(ts[len(ts)-1].SystemAttrs[GenerationAttr])
	if !ok || gen.generation+gen.restart < 15 {
		t.Errorf("last trial in generation %+v", gen)
	}
	if got := bestValue(ts); got > 1e-3 {
		t.Errorf("best %g", got)
	}
}

func TestConstraints(t *testing.T) {
	// The unconstrained optimum (0.2, 0.2) is infeasible; the feasible one
	// is (0.4, 0.4) on the boundary x0 + x1 = 0.8, loss 0.08.
	space := unitSpace(2)
	infeasible := func(x map[string]float64) float64 { return 0.8 - x["x0"] - x["x1"] }
	study := newStudy(t, space, New(sampling.Config{Seed: 6}))
	run(t, study, space, func(tr goptuna.Trial, x map[string]float64) (float64, error) {
		c, _ := json.Marshal([]float64{infeasible(x)})
		if err := tr.SetSystemAttr(sampling.ConstraintsAttr, string(c)); err != nil {
			return 0, err
		}
		return sphereAt(0.2)(tr, x)
	}, 200)
	ts := trials(t, study)
	bad, best := 0, math.Inf(1)
	for _, tr := range ts {
		x := tr.InternalParams
		if infeasible(x) > 0 {
			if tr.Number >= 100 {
				bad++
			}
			continue
		}
		best = math.Min(best, tr.Value)
	}
	if bad > 60 {
		t.Errorf("%d of the last 100 trials infeasible", bad)
	}
	if best > 0.085 {
		t.Errorf("best feasible %g, want about 0.08", best)
	}
}

func TestDegenerate(t *testing.T) {
	cases := []struct {
		name  string
		space map[string]any
		f     objective
		n     int
		opts  []Option
		check func([]goptuna.FrozenTrial) error
	}{{
		name: "single-valued dims",
		space: map[string]any{
			"a": goptuna.UniformDistribution{Low: 2, High: 2},
			"b": goptuna.IntUniformDistribution{Low: 3, High: 3},
			"c": goptuna.CategoricalDistribution{Choices: []string{"only"}},
			"x": goptuna.UniformDistribution{Low: 0, High: 1},
			"y": goptuna.LogUniformDistribution{Low: 1e-3, High: 1},
		},
		f: func(_ goptuna.Trial, x map[string]float64) (float64, error) {
			if x["a"] != 2 || x["b"] != 3 || x["c"] != 0 {
				return 0, fmt.Errorf("single values %v", x)
			}
			return (x["x"] - 0.1) * (x["x"] - 0.1), nil
		},
		n: 60,
	}, {
		name:  "equal losses",
		space: unitSpace(3),
		f:     func(goptuna.Trial, map[string]float64) (float64, error) { return 1, nil },
		n:     400,
		check: func(ts []goptuna.FrozenTrial) error {
			// Flat values stop the search, which restarts.
			g, _ := parseGen(ts[len(ts)-1].SystemAttrs[GenerationAttr])
			if g.restart == 0 {
				return fmt.Errorf("no restart on a flat function: %+v", g)
			}
			// IPOP: the restart's first generation is twice as large.
			count := map[string]int{}
			for _, tr := range ts {
				count[tr.SystemAttrs[GenerationAttr]]++
			}
			if count["1:1"] == 0 || count["1:0"] != 2*defaultPopsize(3) || count["0:0"] != defaultPopsize(3) {
				return fmt.Errorf("generation sizes %v", count)
			}
			return nil
		},
	}, {
		name:  "NaN and infinite losses",
		space: unitSpace(2),
		f: func(tr goptuna.Trial, x map[string]float64) (float64, error) {
			switch n, _ := tr.Number(); n % 4 {
			case 1:
				return math.NaN(), nil
			case 2:
				return math.Inf(1), nil
			}
			return sphereAt(0.5)(tr, x)
		},
		n: 150,
	}, {
		name:  "one dimension",
		space: unitSpace(1),
		f:     sphereAt(0.8),
		n:     80,
		check: func(ts []goptuna.FrozenTrial) error {
			if b := bestValue(ts); b > 1e-4 {
				return fmt.Errorf("1-D best %g", b)
			}
			return nil
		},
	}, {
		name:  "population of two",
		space: unitSpace(3),
		f:     sphereAt(0.4),
		n:     100,
		opts:  []Option{WithPopulationSize(1)},
	}, {
		name:  "one integer",
		space: map[string]any{"n": goptuna.IntUniformDistribution{Low: 0, High: 1}},
		f:     func(_ goptuna.Trial, x map[string]float64) (float64, error) { return -x["n"], nil },
		n:     30,
		check: func(ts []goptuna.FrozenTrial) error {
			if b := bestValue(ts); b != -1 {
				return fmt.Errorf("best %g", b)
			}
			return nil
		},
	}}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			study := newStudy(t, c.space, New(sampling.Config{Seed: 1}, c.opts...))
			run(t, study, c.space, c.f, c.n)
			ts := trials(t, study)
			for _, tr := range ts {
				if tr.State == goptuna.TrialStateFail {
					t.Fatalf("trial %d failed", tr.Number)
				}
			}
			if c.check != nil {
				if err := c.check(ts); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestEnqueuedAndStartup checks that trials the search did not draw are
// not told to it: an enqueued trial, and start-up trials.
func TestEnqueuedAndStartup(t *testing.T) {
	space := unitSpace(2)
	study := newStudy(t, space, New(sampling.Config{Seed: 9, Startup: 5}))
	if err := study.EnqueueTrial(map[string]float64{"x0": 0.9, "x1": 0.9}); err != nil {
		t.Fatal(err)
	}
	run(t, study, space, sphereAt(0.5), 30)
	ts := trials(t, study)
	if ts[0].InternalParams["x0"] != 0.9 {
		t.Fatalf("enqueued trial ran with %v", ts[0].InternalParams)
	}
	for i, tr := range ts {
		_, tagged := tr.SystemAttrs[GenerationAttr]
		if tagged != (i >= 5) {
			t.Errorf("trial %d tagged %v", i, tagged)
		}
	}
	if got := ts[5].SystemAttrs[GenerationAttr]; got != "0:0" {
		t.Errorf("first search trial in generation %q", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	space := unitSpace(3)
	s := New(sampling.Config{Seed: 12})
	var wg sync.WaitGroup
	results := make([]float64, 4)
	errs := make([]error, 4)
	for w := range 4 {
		wg.Go(func() {
			study, err := goptuna.CreateStudy("test",
				goptuna.StudyOptionDefineSearchSpace(space),
				goptuna.StudyOptionSampler(s), goptuna.StudyOptionRelativeSampler(s),
				goptuna.StudyOptionLogger(nil))
			if err != nil {
				errs[w] = err
				return
			}
			errs[w] = study.Optimize(func(tr goptuna.Trial) (float64, error) {
				x, err := suggestAll(tr, space)
				if err != nil {
					return 0, err
				}
				return sphereAt(0.25)(tr, x)
			}, 60)
			results[w], _ = study.GetBestValue()
		})
	}
	wg.Wait()
	for w, r := range results {
		if errs[w] != nil {
			t.Fatalf("study %d: %v", w, errs[w])
		}
		if r != results[0] {
			t.Errorf("study %d: best %g, study 0: %g", w, r, results[0])
		}
	}
}

func TestPointFormat(t *testing.T) {
	x := []float64{0, 1, 0.1, 1.0 / 3, 5e-324}
	got, ok := parsePoint(formatPoint(x), len(x))
	if !ok || !slices.Equal(got, x) {
		t.Fatalf("round trip %v -> %v", x, got)
	}
	for _, bad := range []string{"", "0.1", "0.1 0.2 0.3", "0.1 NaN", "a b"} {
		if _, ok := parsePoint(bad, 2); ok {
			t.Errorf("parsePoint(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "1", "a:1", "1:-1", "1:2:3"} {
		if _, ok := parseGen(bad); ok {
			t.Errorf("parseGen(%q) accepted", bad)
		}
	}
}
