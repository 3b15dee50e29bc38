package gp

import (
	"math"
)

// minimize runs a projected L-BFGS with a backtracking (Armijo) line
// search on fg, which returns f(x) and writes its gradient into grad.
// With lo and hi (nil for unbounded) the iterates stay in the box: a
// variable at a bound whose gradient pushes it out is held fixed for the
// step. It returns the best point found and its value. gonum's optimize
// package is not used: it pulls in a module attune does not require.
func minimize(fg func(x, grad []float64) float64, x0, lo, hi []float64, maxIter int, gtol float64) ([]float64, float64) {
	const (
		memory = 8
		c1     = 1e-4
	)
	n := len(x0)
	x := append([]float64(nil), x0...)
	project(x, lo, hi)
	g := make([]float64, n)
	fx := fg(x, g)
	if math.IsNaN(fx) || math.IsInf(fx, 0) || !allFinite(g) {
		return x, fx
	}
	var ss, ys [][]float64
	var rhos []float64
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	alpha := make([]float64, memory)
	free := make([]bool, n)
	for iter := 0; iter < maxIter; iter++ {
		// Free variables and the projected gradient's norm.
		pg := 0.0
		for i := range n {
			free[i] = true
			if lo != nil && x[i] <= lo[i] && g[i] > 0 {
				free[i] = false
			}
			if hi != nil && x[i] >= hi[i] && g[i] < 0 {
				free[i] = false
			}
			if free[i] {
				pg = math.Max(pg, math.Abs(g[i]))
			}
		}
		if pg <= gtol {
			break
		}
		// Two-loop recursion on the free variables.
		for i := range n {
			if free[i] {
				d[i] = -g[i]
			} else {
				d[i] = 0
			}
		}
		m := len(ss)
		for k := m - 1; k >= 0; k-- {
			a := rhos[k] * dotFree(ss[k], d, free)
			alpha[k] = a
			axpyFree(-a, ys[k], d, free)
		}
		if m > 0 {
			gamma := dot(ss[m-1], ys[m-1]) / dot(ys[m-1], ys[m-1])
			for i := range n {
				d[i] *= gamma
			}
		}
		for k := range m {
			b := rhos[k] * dotFree(ys[k], d, free)
			axpyFree(alpha[k]-b, ss[k], d, free)
		}
		slope := dotFree(g, d, free)
		if !(slope < 0) {
			// Not a descent direction: forget the memory, go downhill.
			ss, ys, rhos = ss[:0], ys[:0], rhos[:0]
			for i := range n {
				if free[i] {
					d[i] = -g[i]
				} else {
					d[i] = 0
				}
			}
			slope = dotFree(g, d, free)
		}
		t := 1.0
		if m == 0 {
			t = math.Min(1, 1/math.Sqrt(-slope))
		}
		accepted := false
		var fn float64
		for ls := 0; ls < 30; ls++ {
			for i := range n {
				xn[i] = x[i] + t*d[i]
			}
			project(xn, lo, hi)
			fn = fg(xn, gn)
			dec := 0.0
			for i := range n {
				dec += g[i] * (xn[i] - x[i])
			}
			if !math.IsNaN(fn) && !math.IsInf(fn, 0) && allFinite(gn) && fn <= fx+c1*dec {
				accepted = true
				break
			}
			t *= 0.3
		}
		if !accepted {
			break
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range n {
			s[i] = xn[i] - x[i]
			y[i] = gn[i] - g[i]
		}
		sy := dot(s, y)
		if sy > 1e-10*dot(y, y) && sy > 0 {
			if len(ss) == memory {
				ss, ys, rhos = ss[1:], ys[1:], rhos[1:]
			}
			ss, ys, rhos = append(ss, s), append(ys, y), append(rhos, 1/sy)
		}
		improve := fx - fn
		copy(x, xn)
		copy(g, gn)
		fx = fn
		if improve <= 1e-10*math.Max(1, math.Abs(fx)) {
			break
		}
	}
	return x, fx
}

func project(x, lo, hi []float64) {
	for i := range x {
		if lo != nil && x[i] < lo[i] {
			x[i] = lo[i]
		}
		if hi != nil && x[i] > hi[i] {
			x[i] = hi[i]
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func dotFree(a, b []float64, free []bool) float64 {
	s := 0.0
	for i := range a {
		if free[i] {
			s += a[i] * b[i]
		}
	}
	return s
}

func axpyFree(alpha float64, x, y []float64, free []bool) {
	for i := range x {
		if free[i] {
			y[i] += alpha * x[i]
		}
	}
}
