// Package importance says how much each searched parameter mattered to a
// search's score: Breiman's permutation importance on a random forest
// fitted to the trials. A forest of regression trees, each grown on a
// bootstrap sample of the trials, predicts the score; a parameter's
// importance is how much a tree's error on the trials it did not see
// (out of bag) grows when that parameter's values are shuffled among them.
// The share is the parameter's mean importance over the trees as a part of
// all parameters' together; the interval is the spread over the trees.
//
// The forest is the surrogate the issue allows beside fANOVA; it needs no
// assumption of smoothness, handles integer and categorical parameters as
// ordered codes, and is deterministic for its seed.
package importance

import (
	"math/rand/v2"
	"slices"
	"sort"
)

// node is a regression tree node: a leaf when feature < 0.
type node struct {
	feature     int
	threshold   float64
	left, right int32
	value       float64
}

type tree struct{ nodes []node }

func (t *tree) predict(x []float64) float64 {
	i := 0
	for {
		n := &t.nodes[i]
		if n.feature < 0 {
			return n.value
		}
		if x[n.feature] <= n.threshold {
			i = int(n.left)
		} else {
			i = int(n.right)
		}
	}
}

// grower grows one tree on rows of X.
type grower struct {
	x        [][]float64
	y        []float64
	r        *rand.Rand
	mtry     int
	minLeaf  int
	maxDepth int
	t        *tree
}

func mean(y []float64, rows []int) float64 {
	s := 0.0
	for _, i := range rows {
		s += y[i]
	}
	return s / float64(len(rows))
}

func (g *grower) grow(rows []int, depth int) int32 {
	idx := int32(len(g.t.nodes))
	g.t.nodes = append(g.t.nodes, node{feature: -1, value: mean(g.y, rows)})
	if depth >= g.maxDepth || len(rows) < 2*g.minLeaf {
		return idx
	}
	d := len(g.x[0])
	features := g.r.Perm(d)[:g.mtry]
	bestF, bestT, bestGain := -1, 0.0, 1e-12
	sorted := make([]int, len(rows))
	total, totalSq := 0.0, 0.0
	for _, i := range rows {
		total += g.y[i]
		totalSq += g.y[i] * g.y[i]
	}
	n := float64(len(rows))
	baseSSE := totalSq - total*total/n
	for _, f := range features {
		copy(sorted, rows)
		sort.Slice(sorted, func(a, b int) bool { return g.x[sorted[a]][f] < g.x[sorted[b]][f] })
		left, leftSq := 0.0, 0.0
		for k := 0; k < len(sorted)-1; k++ {
			v := g.y[sorted[k]]
			left += v
			leftSq += v * v
			nl := float64(k + 1)
			if k+1 < g.minLeaf || len(sorted)-k-1 < g.minLeaf {
				continue
			}
			a, b := g.x[sorted[k]][f], g.x[sorted[k+1]][f]
			if a == b {
				continue
			}
			nr := n - nl
			right, rightSq := total-left, totalSq-leftSq
			sse := (leftSq - left*left/nl) + (rightSq - right*right/nr)
			if gain := baseSSE - sse; gain > bestGain {
				bestF, bestT, bestGain = f, (a+b)/2, gain
			}
		}
	}
	if bestF < 0 {
		return idx
	}
	var l, r []int
	for _, i := range rows {
		if g.x[i][bestF] <= bestT {
			l = append(l, i)
		} else {
			r = append(r, i)
		}
	}
	li := g.grow(l, depth+1)
	ri := g.grow(r, depth+1)
	g.t.nodes[idx] = node{feature: bestF, threshold: bestT, left: li, right: ri}
	return idx
}

// forest is a bagged set of trees with each tree's out-of-bag rows.
type forest struct {
	trees []tree
	oob   [][]int
}

func fit(x [][]float64, y []float64, trees int, r *rand.Rand) forest {
	n, d := len(x), len(x[0])
	f := forest{}
	mtry := max(1, (d+2)/3)
	if d <= 3 {
		mtry = d
	}
	for range trees {
		in := make([]bool, n)
		rows := make([]int, n)
		for i := range rows {
			rows[i] = r.IntN(n)
			in[rows[i]] = true
		}
		var oob []int
		for i := range n {
			if !in[i] {
				oob = append(oob, i)
			}
		}
		g := grower{x: x, y: y, r: r, mtry: mtry, minLeaf: 2, maxDepth: 10, t: &tree{}}
		slices.Sort(rows)
		g.grow(rows, 0)
		f.trees = append(f.trees, *g.t)
		f.oob = append(f.oob, oob)
	}
	return f
}
