package tpe

import (
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/random"
)

// benchSpace has 8 dimensions of every kind.
func benchSpace() map[string]any {
	return map[string]any{
		"a":   goptuna.UniformDistribution{Low: -5, High: 5},
		"b":   goptuna.UniformDistribution{Low: -5, High: 5},
		"c":   goptuna.UniformDistribution{Low: 0, High: 1},
		"d":   goptuna.UniformDistribution{Low: 0, High: 1},
		"e":   goptuna.UniformDistribution{Low: 0, High: 10},
		"lr":  goptuna.LogUniformDistribution{Low: 1e-5, High: 1},
		"n":   goptuna.IntUniformDistribution{Low: 1, High: 64},
		"cat": goptuna.CategoricalDistribution{Choices: []string{"x", "y", "z"}},
	}
}

// BenchmarkSampleRelative measures one proposal, history loading
// included, over a history of 1000 complete trials in 8 dimensions.
func BenchmarkSampleRelative(b *testing.B) {
	space := benchSpace()
	study := newStudy(b, space, random.New(1))
	if err := study.Optimize(func(t goptuna.Trial) (float64, error) {
		return suggestAll(t, space), nil
	}, 1000); err != nil {
		b.Fatal(err)
	}
	s := New(sampling.Config{Seed: 1})
	trial := runningTrial(b, study)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.SampleRelative(study, trial, space); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPropose measures the model alone (history already loaded) over
// 1000 complete trials in 8 dimensions.
func BenchmarkPropose(b *testing.B) {
	space := benchSpace()
	study := newStudy(b, space, random.New(1))
	if err := study.Optimize(func(t goptuna.Trial) (float64, error) {
		return suggestAll(t, space), nil
	}, 1000); err != nil {
		b.Fatal(err)
	}
	sp, err := sampling.NewSpace(space)
	if err != nil {
		b.Fatal(err)
	}
	h, err := sampling.Load(study, sp, -1)
	if err != nil {
		b.Fatal(err)
	}
	s := New(sampling.Config{Seed: 1})
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.propose(h, 1000); err != nil {
			b.Fatal(err)
		}
	}
}
