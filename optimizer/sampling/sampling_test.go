package sampling_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/random"
)

// Every level of an integer or categorical dimension, the top one
// included, is reached equally often from a uniform draw (goptuna's random
// sampler never reaches the top of an int range).
func TestEncodingReachesEveryLevelEqually(t *testing.T) {
	for _, dist := range []any{
		goptuna.IntUniformDistribution{Low: 1, High: 3},
		goptuna.StepIntUniformDistribution{Low: 0, High: 10, Step: 5},
		goptuna.CategoricalDistribution{Choices: []string{"a", "b", "c"}},
		goptuna.DiscreteUniformDistribution{Low: 0, High: 1, Q: 0.5},
	} {
		d, err := sampling.NewDim("p", dist)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[float64]int{}
		const n = 3000
		for i := range n {
			u := (float64(i) + 0.5) / n
			v := d.FromUnit(u)
			counts[v]++
			if back := d.FromUnit(d.ToUnit(v)); back != v {
				t.Errorf("%T: %v encodes to %v and back to %v", dist, v, d.ToUnit(v), back)
			}
			if s := d.Snap(u); d.FromUnit(s) != v {
				t.Errorf("%T: snap moved %v to another level", dist, u)
			}
		}
		if len(counts) != 3 {
			t.Fatalf("%T: levels %v, want 3", dist, counts)
		}
		for v, c := range counts {
			if c != n/3 {
				t.Errorf("%T: level %v drawn %d times of %d", dist, v, c, n)
			}
		}
	}
}

func TestContinuousEncoding(t *testing.T) {
	d, _ := sampling.NewDim("lr", goptuna.LogUniformDistribution{Low: 1e-4, High: 1})
	if v := d.FromUnit(0.5); math.Abs(v-1e-2) > 1e-12 {
		t.Errorf("log midpoint %v, want 0.01", v)
	}
	if u := d.ToUnit(1e-3); math.Abs(u-0.25) > 1e-12 {
		t.Errorf("log encoding of 1e-3 is %v, want 0.25", u)
	}
	f, _ := sampling.NewDim("x", goptuna.UniformDistribution{Low: -5, High: 5})
	for _, u := range []float64{-1, math.NaN(), 2} {
		if v := f.FromUnit(u); v < -5 || v > 5 {
			t.Errorf("FromUnit(%v) = %v outside the range", u, v)
		}
	}
	one, _ := sampling.NewDim("fixed", goptuna.UniformDistribution{Low: 2, High: 2})
	if !one.Single() || one.FromUnit(0.3) != 2 {
		t.Error("a single-valued dimension is not fixed")
	}
}

func TestBadDistributionsAreRefused(t *testing.T) {
	for _, dist := range []any{
		goptuna.LogUniformDistribution{Low: 0, High: 1},
		goptuna.UniformDistribution{Low: 1, High: 0},
		goptuna.UniformDistribution{Low: 0, High: math.Inf(1)},
		goptuna.CategoricalDistribution{},
		goptuna.DiscreteUniformDistribution{Low: 0, High: 1, Q: 0},
		"not a distribution",
	} {
		if _, err := sampling.NewDim("p", dist); !errors.Is(err, sampling.ErrSpace) {
			t.Errorf("%#v: %v", dist, err)
		}
	}
}

func TestRegistry(t *testing.T) {
	if _, err := sampling.New("no-such", sampling.Config{}); !errors.Is(err, sampling.ErrUnknown) || !strings.Contains(err.Error(), "random") {
		t.Errorf("unknown sampler: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	sampling.Register("random", func(sampling.Config) (sampling.Sampler, error) { return random.New(0), nil })
}

func TestRandIsFixedByItsInputs(t *testing.T) {
	a, b := sampling.Rand(1, 7, "x").Float64(), sampling.Rand(1, 7, "x").Float64()
	if a != b {
		t.Error("same inputs, different streams")
	}
	for _, o := range []float64{sampling.Rand(2, 7, "x").Float64(), sampling.Rand(1, 8, "x").Float64(), sampling.Rand(1, 7, "y").Float64()} {
		if o == a {
			t.Error("different inputs, same stream")
		}
	}
}

// Load reads complete trials (losses signed for the direction), pending
// ones, and constraints, and leaves out trials of another space.
func TestLoadHistory(t *testing.T) {
	dist := goptuna.UniformDistribution{Low: 0, High: 1}
	study, err := goptuna.CreateStudy("s", goptuna.StudyOptionDirection(goptuna.StudyDirectionMaximize), goptuna.StudyOptionLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	add := func(x float64, state goptuna.TrialState, value float64, constraints string, d any) {
		id, err := study.Storage.CreateNewTrial(study.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := study.Storage.SetTrialParam(id, "x", x, d); err != nil {
			t.Fatal(err)
		}
		if constraints != "" {
			if err := study.Storage.SetTrialSystemAttr(id, sampling.ConstraintsAttr, constraints); err != nil {
				t.Fatal(err)
			}
		}
		if state != goptuna.TrialStateRunning {
			if err := study.Storage.SetTrialValue(id, value); err != nil {
				t.Fatal(err)
			}
			if err := study.Storage.SetTrialState(id, state); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(0.2, goptuna.TrialStateComplete, 3, "", dist)
	add(0.4, goptuna.TrialStateComplete, 5, "[0.5, -1]", dist)
	add(0.6, goptuna.TrialStateRunning, 0, "", dist)
	add(0.8, goptuna.TrialStateFail, 0, "", dist)
	add(0.5, goptuna.TrialStateComplete, 9, "", goptuna.UniformDistribution{Low: 0, High: 2})
	space, _ := sampling.NewSpace(map[string]any{"x": dist})
	h, err := sampling.Load(study, space, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Complete) != 2 || len(h.Pending) != 1 {
		t.Fatalf("%d complete, %d pending; want 2 and 1", len(h.Complete), len(h.Pending))
	}
	if h.Complete[0].Loss != -3 || h.Complete[1].Loss != -5 {
		t.Errorf("losses %v, %v; want the maximised values negated", h.Complete[0].Loss, h.Complete[1].Loss)
	}
	if !h.HasConstraints() || h.Complete[1].Feasible() || h.Complete[1].Violation() != 0.5 {
		t.Errorf("constraints of trial 1: %+v", h.Complete[1])
	}
	// Trial 0 is feasible with loss -3; trial 1 has the lower loss but breaks a constraint.
	if h.Best() != 0 {
		t.Errorf("best %d, want the feasible trial 0", h.Best())
	}
	if !math.IsNaN(h.Pending[0].Loss) || h.Pending[0].U[0] != 0.6 {
		t.Errorf("pending %+v", h.Pending[0])
	}
}
