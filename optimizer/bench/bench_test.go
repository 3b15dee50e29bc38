package bench

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

const problemsPath = "problems.json"

func TestProblemsFileChecks(t *testing.T) {
	f, err := LoadFile(problemsPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) != 14 {
		t.Fatalf("%d problems, want 14", len(f.Problems))
	}
	for _, p := range f.Problems {
		if len(p.CheckPoints) < 4 {
			t.Errorf("%s: %d check points", p.Name, len(p.CheckPoints))
		}
	}
}

func TestRunRandomIsReproducible(t *testing.T) {
	f, err := LoadFile(problemsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"branin_noisy", "mixed"} {
		p, _ := f.Problem(name)
		a, err := Run(context.Background(), p, Options{Sampler: "random", Trials: 30, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Run(context.Background(), p, Options{Sampler: "random", Trials: 30, Seed: 3})
		if a.BestGap != b.BestGap || a.BestObserved != b.BestObserved {
			t.Errorf("%s: runs differ: %v vs %v", name, a.BestGap, b.BestGap)
		}
		if !(a.BestGap >= 0) || math.IsInf(a.BestGap, 0) {
			t.Errorf("%s: gap %v", name, a.BestGap)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]string{
		"not json":       `{`,
		"no problems":    `{"problems": []}`,
		"unknown fn":     `{"problems": [{"name": "p", "function": "ackley", "params": [{"name": "x", "type": "float", "low": 0, "high": 1}]}]}`,
		"bad check":      `{"problems": [{"name": "p", "function": "sphere", "params": [{"name": "x", "type": "float", "low": -1, "high": 1}], "check_points": [{"params": {"x": 1}, "f": 2}]}]}`,
		"empty range":    `{"problems": [{"name": "p", "function": "sphere", "params": [{"name": "x", "type": "float", "low": 1, "high": 0}]}]}`,
		"log at 0":       `{"problems": [{"name": "p", "function": "sphere", "params": [{"name": "x", "type": "float", "low": 0, "high": 1, "log": true}]}]}`,
		"branin consts":  `{"problems": [{"name": "p", "function": "branin", "params": [{"name": "x", "type": "float", "low": 0, "high": 1}, {"name": "y", "type": "float", "low": 0, "high": 1}]}]}`,
		"negative noise": `{"problems": [{"name": "p", "function": "sphere", "noise_sd": -1, "params": [{"name": "x", "type": "float", "low": 0, "high": 1}]}]}`,
		"repeated name":  `{"problems": [{"name": "p", "function": "sphere", "params": [{"name": "x", "type": "float", "low": 0, "high": 1}, {"name": "x", "type": "float", "low": 0, "high": 1}]}]}`,
	}
	for name, doc := range cases {
		if _, err := Load(strings.NewReader(doc)); !errors.Is(err, ErrProblem) {
			t.Errorf("%s: err = %v, want ErrProblem", name, err)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(`{"problems": [{"name": "p", "function": "mixed", "params": [], "constants": {"target": {}}}]}`)
	f.Add(`{"problems": [{"name": "p", "function": "hartmann6", "params": [{"name": "x", "type": "float", "low": 0, "high": 1}], "constants": {"alpha": [1], "A": [[1]], "P": [[0.5]]}, "check_points": [{"params": {"x": "a"}, "f": 0}]}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		file, err := Load(strings.NewReader(doc))
		if err != nil {
			return
		}
		for i := range file.Problems {
			p := &file.Problems[i]
			x := randomPoint(p, rand.New(rand.NewPCG(1, 2)))
			_ = p.F(x)
			_ = p.External(x)
		}
	})
}

// The reference values are scipy.stats.mannwhitneyu(a, b, method="asymptotic",
// use_continuity=True) on the same data: statistic 13.5 (pairs where a is
// above b), p = 0.03371476286156357.
func TestMannWhitneyMatchesScipy(t *testing.T) {
	a := []float64{1.2, 3.4, 0.5, 2.2, 2.2, 7.1, 0.9, 4.4}
	b := []float64{3.3, 5.1, 2.2, 6.6, 8.0, 4.9, 5.5, 3.4, 9.1}
	u, p := MannWhitney(a, b)
	if u != 72-13.5 || math.Abs(p-0.03371476286156357) > 1e-12 {
		t.Fatalf("u, p = %v, %.17g; want 58.5, 0.03371476286156357", u, p)
	}
	u2, p2 := MannWhitney(b, a)
	if u2 != 13.5 || p2 != p {
		t.Fatalf("swapped: u, p = %v, %v", u2, p2)
	}
}

func TestCompareVerdicts(t *testing.T) {
	var rows []Row
	for i := range 20 {
		rows = append(rows,
			Row{Problem: "p", Sampler: "ours", Trials: 100, BestGap: float64(i)},
			Row{Problem: "p", Sampler: "theirs", Trials: 100, BestGap: float64(i) + 15},
			Row{Problem: "q", Sampler: "ours", Trials: 100, BestGap: float64(i)},
			Row{Problem: "q", Sampler: "theirs", Trials: 100, BestGap: float64(i) + 1},
			Row{Problem: "r", Sampler: "ours", Trials: 100, BestGap: float64(i) + 15},
			Row{Problem: "r", Sampler: "theirs", Trials: 100, BestGap: float64(i)})
	}
	s := Summarise(rows)
	vs := Compare(s, s, "ours", "theirs")
	got := map[string]string{}
	for _, v := range vs {
		got[v.Problem] = v.Outcome
	}
	want := map[string]string{"p": "better", "q": "tie", "r": "worse"}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
}

func TestQuantileMatchesNumpy(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 10}
	// numpy.quantile(xs, [0.25, 0.5, 0.75]) = [2, 3, 4]; of [1, 2, 3, 4]: 1.75, 2.5, 3.25.
	if quantile(xs, 0.25) != 2 || quantile(xs, 0.5) != 3 || quantile(xs, 0.75) != 4 {
		t.Errorf("odd count: %v %v %v", quantile(xs, 0.25), quantile(xs, 0.5), quantile(xs, 0.75))
	}
	ys := xs[:4]
	if quantile(ys, 0.25) != 1.75 || quantile(ys, 0.5) != 2.5 || quantile(ys, 0.75) != 3.25 {
		t.Errorf("even count: %v %v %v", quantile(ys, 0.25), quantile(ys, 0.5), quantile(ys, 0.75))
	}
}

func FuzzReadRows(f *testing.F) {
	f.Add(`{"problem": "p", "sampler": "tpe", "trials": 10, "best_gap": 1.5}` + "\n\n" + `{"problem": "p"}`)
	f.Add(`{"problem": "p", "sampler": "tpe", "trials": 10, "best_gap": "NaN"}`)
	f.Fuzz(func(t *testing.T, doc string) {
		rows, err := ReadRows(strings.NewReader(doc))
		if err != nil {
			return
		}
		vs := Compare(Summarise(rows), Summarise(rows), "tpe", "tpe")
		for _, v := range vs {
			if v.Outcome != "tie" {
				t.Errorf("a sampler against itself: %s", v.Outcome)
			}
		}
	})
}
