package cmaes

import (
	"math"
	mathrand "math/rand"
	"sort"
	"testing"

	gcmaes "github.com/c-bata/goptuna/cmaes"
)

// TestCoreMatchesGoptuna runs this package's CMA-ES core and goptuna's
// cmaes.Optimizer (itself a port of the cmaes library Optuna uses) side by
// side on an ill-conditioned ellipsoid, both drawing the same normal
// deviates, and checks that they propose the same solutions generation
// after generation. goptuna adds 1e-8 to the mean at every update and does
// not rebuild C from its eigendecomposition, hence the tolerance.
func TestCoreMatchesGoptuna(t *testing.T) {
	for _, dim := range []int{2, 3, 6} {
		mean := make([]float64, dim)
		for i := range mean {
			mean[i] = 0.3 + 0.1*float64(i)
		}
		const seed = 7
		ref, err := gcmaes.NewOptimizer(mean, 0.2, gcmaes.OptimizerOptionSeed(seed))
		if err != nil {
			t.Fatal(err)
		}
		own, err := newCMA(mean, 0.2, 0)
		if err != nil {
			t.Fatal(err)
		}
		if own.popsize != ref.PopulationSize() {
			t.Fatalf("dim %d: popsize %d, goptuna %d", dim, own.popsize, ref.PopulationSize())
		}
		z := mathrand.New(mathrand.NewSource(seed)) // goptuna's own stream, replayed
		f := func(x []float64) float64 {
			v := 0.0
			for i, xi := range x {
				v += math.Pow(10, float64(i)) * (xi - 0.1) * (xi - 0.1)
			}
			return v
		}
		for gen := range 40 {
			var sols []*gcmaes.Solution
			for range own.popsize {
				xr, err := ref.Ask()
				if err != nil {
					t.Fatal(err)
				}
				zz := make([]float64, dim)
				for i := range zz {
					zz[i] = z.NormFloat64()
				}
				xo := make([]float64, dim)
				own.transform(zz, xo)
				for i := range xo {
					if d := math.Abs(xo[i] - xr[i]); d > 1e-6*(1+math.Abs(xr[i])) {
						t.Fatalf("dim %d generation %d: x[%d] = %g, goptuna %g", dim, gen, i, xo[i], xr[i])
					}
				}
				sols = append(sols, &gcmaes.Solution{Params: append([]float64(nil), xr...), Value: f(xr)})
			}
			ranked := append([]*gcmaes.Solution(nil), sols...)
			sort.Slice(ranked, func(i, j int) bool { return ranked[i].Value < ranked[j].Value })
			xs := make([][]float64, len(ranked))
			for i, s := range ranked {
				xs[i] = s.Params
			}
			if own, err = own.tell(xs, ranked[0].Value, ranked[len(ranked)-1].Value); err != nil {
				t.Fatal(err)
			}
			if err := ref.Tell(sols); err != nil {
				t.Fatal(err)
			}
		}
		if own.sigma > 0.2 {
			t.Errorf("dim %d: sigma %g did not shrink", dim, own.sigma)
		}
	}
}
