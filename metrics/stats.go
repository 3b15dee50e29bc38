package metrics

import (
	"math"

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
