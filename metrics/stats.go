package metrics

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// MeanCI returns the mean of xs and a two-sided Student-t confidence
// interval at level (e.g. 0.9). With fewer than two values, or values that
// are all equal, the interval collapses to the mean.
func MeanCI(xs []float64, level float64) (mean, lo, hi float64) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	mean = stat.Mean(xs, nil)
	if n < 2 {
		return mean, mean, mean
	}
	sd := stat.StdDev(xs, nil)
	if sd == 0 || math.IsNaN(sd) {
		return mean, mean, mean
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.5 + level/2)
	half := t * sd / math.Sqrt(float64(n))
	return mean, mean - half, mean + half
}

// PairedCI returns the mean difference b[i]-a[i] and its confidence
// interval at level. a and b must have the same length, replication i of
// each having drawn the same random numbers; otherwise all three are NaN.
func PairedCI(a, b []float64, level float64) (mean, lo, hi float64) {
	if len(a) != len(b) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	d := make([]float64, len(a))
	for i := range d {
		d[i] = b[i] - a[i]
	}
	return MeanCI(d, level)
}

// PairedBootstrap estimates stat(b) - stat(a) for paired samples a and b
// and a percentile confidence interval at level from n resamples of the
// pairs, drawn with a PCG generator seeded by seed, so the interval is
// reproducible. It suits statistics without a closed-form interval, such
// as CVaR. Unequal lengths or no pairs give NaN.
func PairedBootstrap(a, b []float64, stat func([]float64) float64, level float64, n int, seed uint64) (point, lo, hi float64) {
	if len(a) != len(b) || len(a) == 0 || n < 1 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	point = stat(b) - stat(a)
	rng := rand.New(rand.NewPCG(seed, 0xb0075))
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	ds := make([]float64, n)
	for i := range ds {
		for j := range ra {
			k := rng.IntN(len(a))
			ra[j], rb[j] = a[k], b[k]
		}
		ds[i] = stat(rb) - stat(ra)
	}
	slices.Sort(ds)
	q := func(p float64) float64 { return quantileSorted(ds, p) }
	return point, q((1 - level) / 2), q((1 + level) / 2)
}

// Bootstrap estimates stat(xs) and a percentile confidence interval at
// level from n resamples drawn with a PCG generator seeded by seed. No
// values give NaN.
func Bootstrap(xs []float64, stat func([]float64) float64, level float64, n int, seed uint64) (point, lo, hi float64) {
	if len(xs) == 0 || n < 1 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	rng := rand.New(rand.NewPCG(seed, 0xb0071))
	r := make([]float64, len(xs))
	ss := make([]float64, n)
	for i := range ss {
		for j := range r {
			r[j] = xs[rng.IntN(len(xs))]
		}
		ss[i] = stat(r)
	}
	slices.Sort(ss)
	return stat(xs), quantileSorted(ss, (1-level)/2), quantileSorted(ss, (1+level)/2)
}

// quantileSorted returns the p-quantile of sorted xs by linear interpolation.
func quantileSorted(xs []float64, p float64) float64 {
	pos := p * float64(len(xs)-1)
	i := int(pos)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}
