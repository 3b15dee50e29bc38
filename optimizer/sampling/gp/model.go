package gp

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// hyper are a Gaussian process's kernel hyperparameters, on the
// standardised output scale.
type hyper struct {
	// InvLS are the inverse squared lengthscales, one per feature.
	InvLS []float64
	// Scale is the kernel's variance.
	Scale float64
	// Noise is the observation noise variance.
	Noise float64
}

// matern52 is the Matern 5/2 correlation as a function of the squared
// scaled distance s, and its derivative in s.
func matern52(s float64) (f, dfds float64) {
	r := math.Sqrt(5 * s)
	e := math.Exp(-r)
	return (1 + r + r*r/3) * e, -5.0 / 6 * (1 + r) * e
}

// sqDist is the squared distance scaled by the inverse squared
// lengthscales; a categorical feature (a level index) adds its whole
// inverse squared lengthscale when the levels differ (Hamming distance).
func sqDist(a, b []float64, cat []bool, invLS []float64) float64 {
	s := 0.0
	for j := range a {
		if cat[j] {
			if a[j] != b[j] {
				s += invLS[j]
			}
			continue
		}
		d := a[j] - b[j]
		s += invLS[j] * d * d
	}
	return s
}

// cholesky factorises the n×n symmetric matrix k (row-major, upper
// triangle used) in place as UᵀU, adding jitter to the diagonal if it is
// not numerically positive definite. It returns false when even the
// largest jitter fails.
func cholesky(k []float64, n int, scale float64) (blas64.Triangular, bool) {
	orig := append([]float64(nil), k...)
	jitter := 0.0
	for attempt := 0; attempt < 6; attempt++ {
		if attempt > 0 {
			copy(k, orig)
			jitter = scale * math.Pow(10, float64(attempt-9)) // 1e-8 ... 1e-4 of the scale
			for i := range n {
				k[i*n+i] += jitter
			}
		}
		t, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: n, Data: k})
		if ok {
			return t, true
		}
	}
	return blas64.Triangular{}, false
}

// gramian fills k with the noise-free kernel matrix of x scaled by the
// kernel variance, plus noise on the diagonal.
func gramian(x [][]float64, cat []bool, h hyper, k []float64) {
	n := len(x)
	for i := range n {
		k[i*n+i] = h.Scale + h.Noise
		for j := i + 1; j < n; j++ {
			f, _ := matern52(sqDist(x[i], x[j], cat, h.InvLS))
			k[i*n+j] = h.Scale * f
			k[j*n+i] = h.Scale * f
		}
	}
}

// Priors in the manner of Optuna's GPSampler: on each inverse squared
// lengthscale l, -(0.1/l + 0.1*l), which keeps lengthscales between about
// 0.3 and 3 unless the data insist; Gamma(2, 1) on the kernel variance;
// Gamma(1.1, 30) on the noise variance.
func logPrior(h hyper) float64 {
	p := 0.0
	for _, l := range h.InvLS {
		p -= 0.1/l + 0.1*l
	}
	p += math.Log(h.Scale) - h.Scale
	p += 0.1*math.Log(h.Noise) - 30*h.Noise
	return p
}

// unpack maps the unconstrained parameters theta (log inverse squared
// lengthscales, log scale, log(noise - floor)) to hyperparameters.
func unpack(theta []float64, floor float64) hyper {
	d := len(theta) - 2
	h := hyper{InvLS: make([]float64, d)}
	for j := range d {
		h.InvLS[j] = math.Exp(clampf(theta[j], -12, 12))
	}
	h.Scale = math.Exp(clampf(theta[d], -12, 12))
	h.Noise = floor + math.Exp(clampf(theta[d+1], -30, 5))
	return h
}

func pack(h hyper, floor float64) []float64 {
	d := len(h.InvLS)
	theta := make([]float64, d+2)
	for j, l := range h.InvLS {
		theta[j] = math.Log(l)
	}
	theta[d] = math.Log(h.Scale)
	theta[d+1] = math.Log(math.Max(h.Noise-floor, 1e-12))
	return theta
}

func clampf(v, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, v)) }

// lossBuf is the scratch of lossGrad for n points.
type lossBuf struct {
	k, kinv, f, df []float64
	alpha          []float64
}

func newLossBuf(n int) *lossBuf {
	return &lossBuf{k: make([]float64, n*n), kinv: make([]float64, n*n), f: make([]float64, n*n), df: make([]float64, n*n), alpha: make([]float64, n)}
}

// lossGrad returns the negative log marginal likelihood minus the log
// prior at theta and, when grad is not nil, its gradient in theta.
func lossGrad(x [][]float64, y []float64, cat []bool, floor float64, theta, grad []float64, b *lossBuf) float64 {
	n := len(x)
	d := len(cat)
	h := unpack(theta, floor)
	for i := range n {
		b.f[i*n+i], b.df[i*n+i] = 1, -5.0/6
		for j := i + 1; j < n; j++ {
			f, df := matern52(sqDist(x[i], x[j], cat, h.InvLS))
			b.f[i*n+j], b.df[i*n+j] = f, df
		}
	}
	for i := range n {
		b.k[i*n+i] = h.Scale + h.Noise
		for j := i + 1; j < n; j++ {
			b.k[i*n+j] = h.Scale * b.f[i*n+j]
		}
	}
	t, ok := cholesky(b.k, n, h.Scale+h.Noise)
	if !ok {
		for i := range grad {
			grad[i] = 0
		}
		return math.Inf(1)
	}
	copy(b.alpha, y)
	lapack64.Potrs(t, blas64.General{Rows: n, Cols: 1, Stride: 1, Data: b.alpha})
	logdet := 0.0
	for i := range n {
		logdet += 2 * math.Log(t.Data[i*n+i])
	}
	quad := 0.0
	for i := range n {
		quad += y[i] * b.alpha[i]
	}
	loss := 0.5*quad + 0.5*logdet + 0.5*float64(n)*math.Log(2*math.Pi) - logPrior(h)
	if grad == nil {
		return loss
	}
	copy(b.kinv, t.Data)
	lapack64.Potri(blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: n, Stride: n, Data: b.kinv})
	// W = alpha alphaᵀ - K⁻¹ (upper triangle); dLogML/dθ = ½ Σ W ∘ dK/dθ.
	for i := range grad {
		grad[i] = 0
	}
	gScale, gNoise := 0.0, 0.0
	for i := range n {
		w := b.alpha[i]*b.alpha[i] - b.kinv[i*n+i]
		gScale += 0.5 * w * h.Scale
		gNoise += 0.5 * w * (h.Noise - floor)
		xi := x[i]
		for j := i + 1; j < n; j++ {
			w := b.alpha[i]*b.alpha[j] - b.kinv[i*n+j] // counted twice: symmetric
			gScale += w * h.Scale * b.f[i*n+j]
			c := w * h.Scale * b.df[i*n+j]
			xj := x[j]
			for m := range d {
				var dm float64
				if cat[m] {
					if xi[m] != xj[m] {
						dm = 1
					}
				} else {
					dm = xi[m] - xj[m]
					dm *= dm
				}
				grad[m] += c * dm * h.InvLS[m]
			}
		}
	}
	// Gradient of the log prior.
	for m := range d {
		l := h.InvLS[m]
		grad[m] = -grad[m] - (0.1/l - 0.1*l)
	}
	grad[d] = -gScale - (1 - h.Scale)
	grad[d+1] = -gNoise - (0.1/h.Noise-30)*(h.Noise-floor)
	return loss
}

// fitHyper maximises the posterior of the hyperparameters by L-BFGS from
// each start and returns the best, or the first start when none is finite.
func fitHyper(x [][]float64, y []float64, cat []bool, floor float64, starts []hyper, iters int) hyper {
	b := newLossBuf(len(x))
	fg := func(theta, grad []float64) float64 { return lossGrad(x, y, cat, floor, theta, grad, b) }
	// Box on the unconstrained parameters: lengthscales from about 0.003
	// to 400 in the unit cube, variance from 1e-3 to 1e3 of the data's.
	d := len(cat)
	lo, hi := make([]float64, d+2), make([]float64, d+2)
	for j := range d {
		lo[j], hi[j] = -12, 12
	}
	lo[d], hi[d] = -7, 7
	lo[d+1], hi[d+1] = -25, 2
	best, bestF := starts[0], math.Inf(1)
	for _, s := range starts {
		theta, f := minimize(fg, pack(s, floor), lo, hi, iters, 1e-3)
		if f < bestF && !math.IsNaN(f) && allFinite(theta) {
			best, bestF = unpack(theta, floor), f
		}
	}
	return best
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// posterior is a Gaussian process conditioned on its data.
type posterior struct {
	h     hyper
	cat   []bool
	x     [][]float64
	alpha []float64 // K⁻¹ y
	kinv  []float64 // K⁻¹, full n×n row-major
}

// newPosterior conditions the process with hyperparameters h on (x, y).
func newPosterior(x [][]float64, y []float64, cat []bool, h hyper) *posterior {
	n := len(x)
	p := &posterior{h: h, cat: cat, x: x, alpha: make([]float64, n), kinv: make([]float64, n*n)}
	if n == 0 {
		return p
	}
	k := make([]float64, n*n)
	gramian(x, cat, h, k)
	t, ok := cholesky(k, n, h.Scale+h.Noise)
	if !ok {
		// Fall back to a process that has seen nothing: alpha = 0, K⁻¹ = 0.
		return p
	}
	copy(p.alpha, y)
	lapack64.Potrs(t, blas64.General{Rows: n, Cols: 1, Stride: 1, Data: p.alpha})
	lapack64.Potri(t)
	copy(p.kinv, t.Data)
	for i := range n {
		for j := i + 1; j < n; j++ {
			p.kinv[j*n+i] = p.kinv[i*n+j]
		}
	}
	return p
}

// predict returns the posterior mean and variance of the latent function
// at z; when dmean and dvar are not nil it also fills their gradients in
// the non-categorical features (zero in categorical ones). kb and wb are
// scratch of length n.
func (p *posterior) predict(z []float64, dmean, dvar, kb, wb []float64) (mean, variance float64) {
	n := len(p.x)
	h := p.h
	var dfs []float64
	if dmean != nil {
		dfs = wb[:n] // reuse for dF/ds until w is computed
	}
	for i, xi := range p.x {
		f, df := matern52(sqDist(z, xi, p.cat, h.InvLS))
		kb[i] = h.Scale * f
		if dfs != nil {
			dfs[i] = h.Scale * df
		}
	}
	for i := range n {
		mean += kb[i] * p.alpha[i]
	}
	if dmean != nil {
		for j := range dmean {
			dmean[j], dvar[j] = 0, 0
		}
		// w = K⁻¹ k computed into a fresh slice since wb holds dF/ds.
		w := make([]float64, n)
		blas64.Gemv(blas.NoTrans, 1, blas64.General{Rows: n, Cols: n, Stride: n, Data: p.kinv}, blas64.Vector{N: n, Inc: 1, Data: kb}, 0, blas64.Vector{N: n, Inc: 1, Data: w})
		kw := 0.0
		for i := range n {
			kw += kb[i] * w[i]
		}
		variance = h.Scale - kw
		for i, xi := range p.x {
			cm := dfs[i] * p.alpha[i]
			cv := -2 * dfs[i] * w[i]
			for j := range dmean {
				if p.cat[j] {
					continue
				}
				ds := 2 * h.InvLS[j] * (z[j] - xi[j])
				dmean[j] += cm * ds
				dvar[j] += cv * ds
			}
		}
	} else {
		blas64.Gemv(blas.NoTrans, 1, blas64.General{Rows: n, Cols: n, Stride: n, Data: p.kinv}, blas64.Vector{N: n, Inc: 1, Data: kb}, 0, blas64.Vector{N: n, Inc: 1, Data: wb})
		kw := 0.0
		for i := range n {
			kw += kb[i] * wb[i]
		}
		variance = h.Scale - kw
	}
	if n == 0 {
		variance = h.Scale
	}
	return mean, variance
}
