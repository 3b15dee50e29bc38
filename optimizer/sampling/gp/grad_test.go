package gp

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLossGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n, d := 15, 3
	cat := []bool{false, true, false}
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = []float64{r.Float64(), float64(r.IntN(3)), r.Float64()}
		y[i] = math.Sin(3*x[i][0]) + x[i][1]*0.3 + r.NormFloat64()*0.1
	}
	theta := []float64{0.3, -0.5, 1.2, 0.1, -3}
	b := newLossBuf(n)
	g := make([]float64, d+2)
	lossGrad(x, y, cat, 1e-6, theta, g, b)
	for i := range theta {
		h := 1e-6
		tp := append([]float64(nil), theta...)
		tm := append([]float64(nil), theta...)
		tp[i] += h
		tm[i] -= h
		num := (lossGrad(x, y, cat, 1e-6, tp, nil, b) - lossGrad(x, y, cat, 1e-6, tm, nil, b)) / (2 * h)
		if math.Abs(num-g[i]) > 1e-4*math.Max(1, math.Abs(num)) {
			t.Errorf("theta[%d]: analytic %g, numeric %g", i, g[i], num)
		}
	}
}

func TestAcquisitionGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 12
	cat := []bool{false, true, false}
	x := make([][]float64, n)
	y := make([]float64, n)
	c := make([]float64, n)
	for i := range x {
		x[i] = []float64{r.Float64(), float64(r.IntN(3)), r.Float64()}
		y[i] = math.Sin(3*x[i][0]) + x[i][1]*0.3
		c[i] = x[i][2] - 0.5
	}
	h := hyper{InvLS: []float64{2, 0.5, 3}, Scale: 1.3, Noise: 1e-4}
	post := newPosterior(x, y, cat, h)
	cp := newPosterior(x, c, cat, h)
	a := newAcquisition(post, -0.5, []*posterior{cp}, []float64{0.1}, false)
	z := []float64{0.4, 1, 0.6}
	g := make([]float64, 3)
	a.value(z, g)
	for _, j := range []int{0, 2} {
		e := 1e-6
		zp := append([]float64(nil), z...)
		zm := append([]float64(nil), z...)
		zp[j] += e
		zm[j] -= e
		num := (a.value(zp, nil) - a.value(zm, nil)) / (2 * e)
		if math.Abs(num-g[j]) > 1e-4*math.Max(1, math.Abs(num)) {
			t.Errorf("z[%d]: analytic %g, numeric %g", j, g[j], num)
		}
	}
}
