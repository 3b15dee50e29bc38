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
