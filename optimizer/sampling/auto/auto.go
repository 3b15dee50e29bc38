// Package auto is the sampler attune picks for a search when the config
// says "auto": Gaussian-process Bayesian optimisation ("gp") when the
// budget is at most MaxGPBudget trials over at most MaxGPDims searched
// dimensions, where a surrogate model earns its cost per proposal (tens of
// milliseconds, against simulations that cost far more), and the
// multivariate TPE ("tpe") otherwise, whose cost per proposal stays under
// a millisecond at a thousand trials. The choice depends only on the
// space and the budget, so every proposal of a study, in any process,
// makes the same one. docs/BENCHMARKS.md holds the measurements behind it.
package auto

import (
	"fmt"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/gp"
	"github.com/attune-dao/attune/optimizer/sampling/tpe"
)

// The limits of the GP's domain.
const (
	MaxGPBudget = 400
	MaxGPDims   = 20
)

func init() {
	sampling.Register("auto", func(c sampling.Config) (sampling.Sampler, error) { return New(c), nil })
}

// Sampler delegates each proposal to the sampler Choose picks.
type Sampler struct {
	c   sampling.Config
	gp  sampling.Sampler
	tpe sampling.Sampler
}

// New returns the auto sampler.
func New(c sampling.Config) *Sampler {
	return &Sampler{c: c, gp: gp.New(c), tpe: tpe.New(c)}
}

// Choose names the sampler auto uses for dims searched dimensions (those
// with more than one value) and a budget of trials (0: unknown).
func Choose(dims, budget int) string {
	if budget > 0 && budget <= MaxGPBudget && dims <= MaxGPDims {
		return "gp"
	}
	return "tpe"
}

func (s *Sampler) pick(searchSpace map[string]any) (sampling.Sampler, error) {
	space, err := sampling.NewSpace(searchSpace)
	if err != nil {
		return nil, err
	}
	dims := 0
	for _, d := range space {
		if !d.Single() {
			dims++
		}
	}
	switch Choose(dims, s.c.Budget) {
	case "gp":
		return s.gp, nil
	case "tpe":
		return s.tpe, nil
	}
	return nil, fmt.Errorf("auto: no sampler chosen")
}

// SampleRelative proposes through the chosen sampler.
func (s *Sampler) SampleRelative(study *goptuna.Study, trial goptuna.FrozenTrial, searchSpace map[string]any) (map[string]float64, error) {
	inner, err := s.pick(searchSpace)
	if err != nil {
		return nil, err
	}
	return inner.SampleRelative(study, trial, searchSpace)
}

// Sample draws a parameter outside the relative space.
func (s *Sampler) Sample(_ *goptuna.Study, trial goptuna.FrozenTrial, name string, dist any) (float64, error) {
	return sampling.Independent(s.c.Seed, trial, name, dist)
}
