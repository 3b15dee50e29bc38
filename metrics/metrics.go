// Package metrics defines the governance measurements attune reasons about
// (turnout, Gini, Nakamoto coefficient, top-k share, pass rates) and the
// Observation type that carries observed values over a data window.
//
// The same functions score observed data and simulated outcomes, so that a
// calibrated simulator and the DAO it models are measured the same way.
package metrics

import (
	"math"
	"slices"
)

// Turnout returns cast / eligible, the share of eligible units (tokens for
// turnout by power, addresses for turnout by count) that took part. It
// returns 0 when eligible is not positive.
func Turnout(cast, eligible float64) float64 {
	if eligible <= 0 || math.IsNaN(cast) || math.IsNaN(eligible) {
		return 0
	}
	return cast / eligible
}

// Gini returns the Gini coefficient of the non-negative values in xs: 0 when
// all are equal, approaching 1 when one holds everything. Negative values are
// treated as 0. It returns 0 for an empty slice or an all-zero one. xs is not
// modified.
func Gini(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	s := sortedNonNeg(xs)
	var total, weighted float64
	for i, x := range s {
		total += x
		weighted += float64(i+1) * x
	}
	if total == 0 {
		return 0
	}
	// G = (2 * sum_i i*x_(i)) / (n * sum x) - (n+1)/n, with i from 1.
	return 2*weighted/(float64(n)*total) - float64(n+1)/float64(n)
}

// Nakamoto returns the Nakamoto coefficient of xs: the smallest number of
// holders whose combined share is strictly more than half of the total. It
// returns 0 for an empty or all-zero slice. xs is not modified.
func Nakamoto(xs []float64) int {
	s := sortedNonNeg(xs)
	var total float64
	for _, x := range s {
		total += x
	}
	if total == 0 {
		return 0
	}
	var acc float64
	for k := len(s) - 1; k >= 0; k-- {
		acc += s[k]
		if acc > total/2 {
			return len(s) - k
		}
	}
	return len(s)
}

// TopKShare returns the share of the total held by the k largest values. It
// returns 0 for k <= 0 or an all-zero slice and 1 when k >= len(xs) and the
// total is positive. xs is not modified.
func TopKShare(xs []float64, k int) float64 {
	if k <= 0 {
		return 0
	}
	s := sortedNonNeg(xs)
	var total, top float64
	for i, x := range s {
		total += x
		if i >= len(s)-k {
			top += x
		}
	}
	if total == 0 {
		return 0
	}
	return top / total
}

// PassRate returns passed / decided, or 0 when nothing was decided.
func PassRate(passed, decided int) float64 {
	if decided <= 0 {
		return 0
	}
	return float64(passed) / float64(decided)
}

// sortedNonNeg returns an ascending copy of xs with negative and NaN values
// replaced by 0.
func sortedNonNeg(xs []float64) []float64 {
	s := make([]float64, len(xs))
	for i, x := range xs {
		if x > 0 && !math.IsInf(x, 1) {
			s[i] = x
		} else if math.IsInf(x, 1) {
			s[i] = math.MaxFloat64 / float64(len(xs)+1)
		}
	}
	slices.Sort(s)
	return s
}
