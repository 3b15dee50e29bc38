// Package qmc is attune's quasi-random sampler, registered as "qmc": the
// Sobol sequence (goptuna's engine, Joe and Kuo's direction numbers) under
// a random shift modulo 1 drawn from the seed, so that different seeds give
// different point sets of the same low discrepancy. Trial n takes point n
// of the sequence, whoever proposes it.
package qmc

import (
	"fmt"
	"math"
	"sync"

	"github.com/c-bata/goptuna"
	"github.com/c-bata/goptuna/sobol"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// MaxDim is the largest space the direction numbers cover.
const MaxDim = 21199

func init() {
	sampling.Register("qmc", func(c sampling.Config) (sampling.Sampler, error) { return New(c.Seed), nil })
}

// Sampler proposes Sobol points.
type Sampler struct {
	seed uint64

	mu     sync.Mutex
	engine *sobol.Engine
	points [][]float64 // points drawn so far, for the current dimension
}

// New returns a Sobol sampler.
func New(seed uint64) *Sampler { return &Sampler{seed: seed} }

// Point returns point n (from 0) of the shifted sequence in dim dimensions.
func (s *Sampler) Point(dim, n int) ([]float64, error) {
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("qmc: %d dimensions; the Sobol direction numbers cover 1 to %d", dim, MaxDim)
	}
	if n < 0 || n >= 1<<30 {
		return nil, fmt.Errorf("qmc: point %d is outside the sequence (0 to 2^30-1)", n)
	}
	s.mu.Lock()
	if s.engine == nil || len(s.points) == 0 || len(s.points[0]) != dim {
		s.engine = sobol.NewEngine(uint32(dim))
		s.points = s.points[:0]
	}
	for len(s.points) <= n {
		if len(s.points) == 0 {
			// The engine's first draw is point 1; point 0 is the origin.
			s.points = append(s.points, make([]float64, dim))
			continue
		}
		s.points = append(s.points, s.engine.Draw())
	}
	p := append([]float64(nil), s.points[n]...)
	s.mu.Unlock()
	r := sampling.Rand(s.seed, 0, "qmc:shift")
	for i := range p {
		p[i] = math.Mod(p[i]+r.Float64(), 1)
	}
	return p, nil
}

// SampleRelative proposes the trial's Sobol point.
func (s *Sampler) SampleRelative(_ *goptuna.Study, trial goptuna.FrozenTrial, searchSpace map[string]any) (map[string]float64, error) {
	space, err := sampling.NewSpace(searchSpace)
	if err != nil {
		return nil, err
	}
	if len(space) == 0 {
		return map[string]float64{}, nil
	}
	u, err := s.Point(len(space), trial.Number)
	if err != nil {
		return nil, err
	}
	return space.Decode(u), nil
}

// Sample draws one parameter outside the relative space.
func (s *Sampler) Sample(_ *goptuna.Study, trial goptuna.FrozenTrial, name string, dist any) (float64, error) {
	return sampling.Independent(s.seed, trial, name, dist)
}
