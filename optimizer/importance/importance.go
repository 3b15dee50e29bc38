package importance

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// ErrTooFew is returned when there are too few usable trials to say
// anything.
var ErrTooFew = errors.New("too few trials")

// MinTrials is the fewest usable trials Compute accepts.
const MinTrials = 12

// Trees is the size of the forest.
const Trees = 64

// Importance is one parameter's part in the score's variation over the
// trials.
type Importance struct {
	Param string `json:"param"`
	// Share is the parameter's mean permutation importance as a part of
	// all parameters' together (the shares sum to 1 unless every one is
	// 0).
	Share float64 `json:"share"`
	// Lo and Hi are the 5th and 95th percentiles of the share over the
	// forest's trees.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Compute returns each parameter's importance, most important first. x
// holds each trial's parameters, encoded however the caller likes (attune
// uses each parameter's position in its searched range) in the order of
// names; y the trials' scores. Trials with a non-finite score or
// coordinate are left out.
func Compute(names []string, x [][]float64, y []float64, seed uint64) ([]Importance, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("importance: %d points and %d scores", len(x), len(y))
	}
	var xs [][]float64
	var ys []float64
	for i := range x {
		if len(x[i]) != len(names) {
			return nil, fmt.Errorf("importance: trial %d has %d coordinates for %d parameters", i, len(x[i]), len(names))
		}
		ok := !math.IsNaN(y[i]) && !math.IsInf(y[i], 0)
		for _, v := range x[i] {
			ok = ok && !math.IsNaN(v) && !math.IsInf(v, 0)
		}
		if ok {
			xs, ys = append(xs, x[i]), append(ys, y[i])
		}
	}
	if len(xs) < MinTrials || len(names) == 0 {
		return nil, fmt.Errorf("importance: %d usable trials over %d parameters; want at least %d trials: %w", len(xs), len(names), MinTrials, ErrTooFew)
	}
	r := rand.New(rand.NewPCG(seed, 0x696d706f7274))
	f := fit(xs, ys, Trees, r)
	d := len(names)
	per := make([][]float64, d) // per parameter, each tree's importance
	for ti, t := range f.trees {
		oob := f.oob[ti]
		if len(oob) < 2 {
			continue
		}
		base := mse(&t, xs, ys, oob, -1, nil)
		perm := make([]int, len(oob))
		for j := range d {
			for k, p := range r.Perm(len(oob)) {
				perm[k] = oob[p]
			}
			per[j] = append(per[j], mse(&t, xs, ys, oob, j, perm)-base)
		}
	}
	means := make([]float64, d)
	total := 0.0
	for j := range d {
		if len(per[j]) > 0 {
			means[j] = math.Max(0, stat.Mean(per[j], nil))
		}
		total += means[j]
	}
	out := make([]Importance, d)
	for j, n := range names {
		out[j] = Importance{Param: n}
		if total <= 0 || len(per[j]) == 0 {
			continue
		}
		vals := make([]float64, len(per[j]))
		for k, v := range per[j] {
			vals[k] = math.Max(0, v) / total
		}
		sort.Float64s(vals)
		out[j].Share = means[j] / total
		out[j].Lo = stat.Quantile(0.05, stat.Empirical, vals, nil)
		out[j].Hi = stat.Quantile(0.95, stat.Empirical, vals, nil)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Share > out[b].Share })
	return out, nil
}

// mse is the tree's mean squared error on rows; with feature >= 0, that
// feature's value of row rows[k] is taken from row perm[k].
func mse(t *tree, x [][]float64, y []float64, rows []int, feature int, perm []int) float64 {
	s := 0.0
	buf := make([]float64, len(x[0]))
	for k, i := range rows {
		xi := x[i]
		if feature >= 0 {
			copy(buf, xi)
			buf[feature] = x[perm[k]][feature]
			xi = buf
		}
		e := t.predict(xi) - y[i]
		s += e * e
	}
	return s / float64(len(rows))
}
