package sampling

import (
	"github.com/c-bata/goptuna"
)

// Independent draws one parameter uniformly (log-uniformly on a log scale,
// every level equally often) from its own stream. Samplers use it for
// parameters outside their relative search space.
func Independent(seed uint64, trial goptuna.FrozenTrial, name string, dist any) (float64, error) {
	d, err := NewDim(name, dist)
	if err != nil {
		return 0, err
	}
	return d.FromUnit(Rand(seed, trial.Number, "independent:"+name).Float64()), nil
}

// Relative is the body of a model-based sampler's SampleRelative: it
// encodes the search space, reads the study's history over it (the trial
// being proposed left out), asks propose for a point of the unit cube and
// decodes it. An empty space proposes nothing.
func Relative(study *goptuna.Study, trial goptuna.FrozenTrial, searchSpace map[string]any,
	propose func(Space, History) ([]float64, error)) (map[string]float64, error) {
	space, err := NewSpace(searchSpace)
	if err != nil {
		return nil, err
	}
	if len(space) == 0 {
		return map[string]float64{}, nil
	}
	h, err := Load(study, space, trial.ID)
	if err != nil {
		return nil, err
	}
	u, err := propose(space, h)
	if err != nil {
		return nil, err
	}
	return space.Decode(u), nil
}
