package storage

import (
	"math"
	"math/rand"
	"reflect"
	"sync"
	"testing"

	"github.com/c-bata/goptuna"
)

// objective6 suggests one parameter of each of goptuna's six distribution
// types and returns a cheap function of them.
func objective6(trial goptuna.Trial) (float64, error) {
	x, err := trial.SuggestFloat("x", -5, 5)
	if err != nil {
		return 0, err
	}
	lr, err := trial.SuggestLogFloat("lr", 1e-5, 1)
	if err != nil {
		return 0, err
	}
	n, err := trial.SuggestInt("n", 1, 10)
	if err != nil {
		return 0, err
	}
	step, err := trial.SuggestStepInt("step", 0, 100, 5)
	if err != nil {
		return 0, err
	}
	q, err := trial.SuggestDiscreteFloat("q", 0, 1, 0.1)
	if err != nil {
		return 0, err
	}
	opt, err := trial.SuggestCategorical("opt", []string{"adam", "sgd", "rmsprop"})
	if err != nil {
		return 0, err
	}
	v := x*x + math.Log10(lr)*0.1 + float64(n) + float64(step)/100 + q
	if opt == "sgd" {
		v += 0.5
	}
	return v, nil
}

// seededSampler is goptuna's RandomSampler made deterministic: goptuna
// v0.9.0 samples categorical parameters from the global math/rand source
// even when a seed is given, so categorical parameters are drawn here.
type seededSampler struct {
	inner *goptuna.RandomSampler
	mu    sync.Mutex
	rng   *rand.Rand
}

func newSeededSampler(seed int64) *seededSampler {
	return &seededSampler{
		inner: goptuna.NewRandomSampler(goptuna.RandomSamplerOptionSeed(seed)),
		rng:   rand.New(rand.NewSource(seed)),
	}
}

func (s *seededSampler) Sample(study *goptuna.Study, trial goptuna.FrozenTrial, name string, d any) (float64, error) {
	if c, ok := d.(goptuna.CategoricalDistribution); ok {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(s.rng.Intn(len(c.Choices))), nil
	}
	return s.inner.Sample(study, trial, name, d)
}

// runStudy runs a 50-trial random-sampling study on st, enqueueing one
// trial after the first 20, and returns its trials.
func runStudy(t *testing.T, st goptuna.Storage, name string) []goptuna.FrozenTrial {
	t.Helper()
	study, err := goptuna.CreateStudy(name,
		goptuna.StudyOptionStorage(st),
		goptuna.StudyOptionSampler(newSeededSampler(42)),
		goptuna.StudyOptionLogger(nil),
	)
	check(t, err)
	check(t, study.Optimize(objective6, 20))
	check(t, study.EnqueueTrial(map[string]float64{"x": 1.5, "lr": 0.01, "n": 3, "step": 25, "q": 0.3, "opt": 2}))
	check(t, study.Optimize(objective6, 30))
	return must(study.GetTrials())(t)
}

// TestStudyMatchesInMemory runs the same seeded study on every storage and
// expects identical trials.
func TestStudyMatchesInMemory(t *testing.T) {
	want := runStudy(t, goptuna.NewInMemoryStorage(), "study")
	if len(want) != 50 {
		t.Fatalf("reference run has %d trials", len(want))
	}
	if p := want[20].Params; p["x"] != 1.5 || p["opt"] != "rmsprop" || p["step"] != 25 {
		t.Fatalf("reference run did not use the enqueued params: %v", p)
	}
	for _, b := range backends()[1:] {
		t.Run(b.name, func(t *testing.T) {
			got := runStudy(t, b.open(t), "study")
			if len(got) != len(want) {
				t.Fatalf("%d trials, want %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Number != w.Number || g.State != w.State || g.Value != w.Value ||
					!reflect.DeepEqual(g.Params, w.Params) || !reflect.DeepEqual(g.InternalParams, w.InternalParams) ||
					!reflect.DeepEqual(g.Distributions, w.Distributions) || !reflect.DeepEqual(g.SystemAttrs, w.SystemAttrs) {
					t.Errorf("trial %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

// TestLoadIfExists checks goptuna's CreateStudy/LoadStudy name handling.
func TestLoadIfExists(t *testing.T) {
	for _, b := range sqlBackends() {
		t.Run(b.name, func(t *testing.T) {
			st := openT(t, b.dsn(t))
			opts := []goptuna.StudyOption{goptuna.StudyOptionStorage(st), goptuna.StudyOptionLogger(nil),
				goptuna.StudyOptionDirection(goptuna.StudyDirectionMaximize)}
			if _, err := goptuna.LoadStudy("resume", opts...); err == nil {
				t.Fatal("LoadStudy of a missing study succeeded")
			}
			s1 := must(goptuna.CreateStudy("resume", opts...))(t)
			check(t, s1.Optimize(objective6, 3))
			if _, err := goptuna.CreateStudy("resume", opts...); err == nil {
				t.Error("CreateStudy of an existing name succeeded without LoadIfExists")
			}
			s2 := must(goptuna.CreateStudy("resume", append(opts, goptuna.StudyOptionLoadIfExists(true))...))(t)
			if s2.ID != s1.ID || s2.Direction() != goptuna.StudyDirectionMaximize {
				t.Errorf("loaded study %d %s, want %d maximize", s2.ID, s2.Direction(), s1.ID)
			}
			check(t, s2.Optimize(objective6, 2))
			if n := len(must(s2.GetTrials())(t)); n != 5 {
				t.Errorf("%d trials after resuming, want 5", n)
			}
			check(t, goptuna.DeleteStudy("resume", st))
			if _, err := goptuna.LoadStudy("resume", opts...); err == nil {
				t.Error("LoadStudy after DeleteStudy succeeded")
			}
		})
	}
}
