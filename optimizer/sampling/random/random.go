// Package random is attune's uniform random sampler, registered as
// "random": every parameter uniform in its range (log-uniform on a log
// scale), every level of an integer or categorical parameter equally
// likely, the upper bound included.
package random

import (
	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
)

func init() {
	sampling.Register("random", func(c sampling.Config) (sampling.Sampler, error) { return New(c.Seed), nil })
}

// Sampler draws each trial from its own stream of the seed.
type Sampler struct{ seed uint64 }

// New returns a random sampler.
func New(seed uint64) *Sampler { return &Sampler{seed: seed} }

// SampleRelative draws every parameter of the space.
func (s *Sampler) SampleRelative(_ *goptuna.Study, trial goptuna.FrozenTrial, searchSpace map[string]any) (map[string]float64, error) {
	space, err := sampling.NewSpace(searchSpace)
	if err != nil {
		return nil, err
	}
	r := sampling.Rand(s.seed, trial.Number, "random")
	u := make([]float64, len(space))
	for i := range u {
		u[i] = r.Float64()
	}
	return space.Decode(u), nil
}

// Sample draws one parameter outside the relative space.
func (s *Sampler) Sample(_ *goptuna.Study, trial goptuna.FrozenTrial, name string, dist any) (float64, error) {
	return sampling.Independent(s.seed, trial, name, dist)
}
