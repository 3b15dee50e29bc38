package cmaes

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// The CMA-ES core: the (μ/μ_w, λ)-CMA-ES with negative weights of Hansen's
// tutorial (arXiv:1604.00772), step for step as the cmaes Python library
// (0.9, the one Optuna's CmaEsSampler uses) and goptuna's cmaes.Optimizer
// do it. Unlike goptuna's Optimizer it draws from a random stream it is
// given, so that a proposal is a function of the state and the trial, and a
// state is an immutable value that tell copies, so that states can be
// cached and shared between goroutines.

const (
	eps      = 1e-8
	sigmaMax = 1e32
)

// cma is one CMA-ES search distribution N(mean, σ² C) with its evolution
// paths. It is never modified once built.
type cma struct {
	dim, popsize, mu int

	muEff, cc, c1, cmu, cSigma, dSigma, cm, chiN float64
	weights                                      []float64

	mean   []float64
	sigma  float64
	c      *mat.SymDense
	b      *mat.Dense // eigenvectors of c, by column
	d      []float64  // square roots of the eigenvalues of c
	pSigma []float64
	pc     []float64
	g      int // generations told

	tolX, tolXUp, tolFun, tolCond float64
	funHistTerm                   int
	funHist                       []float64
}

// newCMA builds the initial distribution N(mean, σ² I) with popsize
// solutions a generation (0: 4 + ⌊3 ln dim⌋).
func newCMA(mean []float64, sigma float64, popsize int) (*cma, error) {
	dim := len(mean)
	if dim < 1 {
		return nil, errors.New("cmaes: no dimension")
	}
	if !(sigma > 0) {
		return nil, errors.New("cmaes: sigma must be positive")
	}
	if popsize <= 0 {
		popsize = defaultPopsize(dim)
	}
	popsize = max(popsize, 2)
	n := float64(dim)
	mu := popsize / 2

	wp := make([]float64, popsize)
	var sumMu, sumMu2, sumRest, sumRest2, pos, neg float64
	for i := range wp {
		wp[i] = math.Log(float64(popsize+1)/2) - math.Log(float64(i+1))
		if i < mu {
			sumMu += wp[i]
			sumMu2 += wp[i] * wp[i]
		} else {
			sumRest += wp[i]
			sumRest2 += wp[i] * wp[i]
		}
		if wp[i] > 0 {
			pos += wp[i]
		} else {
			neg -= wp[i]
		}
	}
	muEff := sumMu * sumMu / sumMu2
	muEffMinus := 0.0
	if sumRest2 > 0 {
		muEffMinus = sumRest * sumRest / sumRest2
	}

	const alphaCov = 2.0
	c1 := alphaCov / ((n+1.3)*(n+1.3) + muEff)
	cmu := math.Min(1-c1-1e-8, alphaCov*(muEff-2+1/muEff)/((n+2)*(n+2)+alphaCov*muEff/2))
	cmu = math.Max(cmu, 0)
	minAlpha := math.Min(1+(2*muEffMinus)/(muEff+2), 1e300)
	if cmu > 0 {
		minAlpha = math.Min(minAlpha, math.Min(1+c1/cmu, (1-c1-cmu)/(n*cmu)))
	}
	weights := make([]float64, popsize)
	for i, w := range wp {
		if w >= 0 {
			weights[i] = w / pos
		} else {
			weights[i] = minAlpha / neg * w
		}
	}
	cSigma := (muEff + 2) / (n + muEff + 5)
	dSigma := 1 + 2*math.Max(0, math.Sqrt((muEff-1)/(n+1))-1) + cSigma
	cc := (4 + muEff/n) / (n + 4 + 2*muEff/n)

	c := mat.NewSymDense(dim, nil)
	for i := range dim {
		c.SetSym(i, i, 1)
	}
	s := &cma{
		dim: dim, popsize: popsize, mu: mu,
		muEff: muEff, cc: cc, c1: c1, cmu: cmu, cSigma: cSigma, dSigma: dSigma, cm: 1,
		chiN:    math.Sqrt(n) * (1 - 1/(4*n) + 1/(21*n*n)),
		weights: weights,
		mean:    append([]float64(nil), mean...),
		sigma:   sigma,
		c:       c,
		pSigma:  make([]float64, dim),
		pc:      make([]float64, dim),
		tolX:    1e-12 * sigma, tolXUp: 1e4, tolFun: 1e-12, tolCond: 1e14,
		funHistTerm: 10 + int(math.Ceil(30*n/float64(popsize))),
	}
	s.funHist = make([]float64, 2*s.funHistTerm)
	if err := s.decompose(); err != nil {
		return nil, err
	}
	return s, nil
}

func defaultPopsize(dim int) int {
	return 4 + int(math.Floor(3*math.Log(float64(dim))))
}

// decompose factorises C = B D² Bᵀ (C is a SymDense, symmetric by
// construction), floors negative eigenvalues at eps and rebuilds C from
// the factors, as the Python library does.
func (s *cma) decompose() error {
	var es mat.EigenSym
	if !es.Factorize(s.c, true) {
		return errors.New("cmaes: eigendecomposition of the covariance failed")
	}
	d2 := es.Values(nil)
	var b mat.Dense
	es.VectorsTo(&b)
	d := make([]float64, s.dim)
	for i, v := range d2 {
		if !(v >= 0) { // NaN too
			v = eps
		}
		d[i] = math.Sqrt(v)
	}
	c := mat.NewSymDense(s.dim, nil)
	for i := range s.dim {
		for j := i; j < s.dim; j++ {
			v := 0.0
			for k := range s.dim {
				v += b.At(i, k) * d[k] * d[k] * b.At(j, k)
			}
			c.SetSym(i, j, v)
		}
	}
	s.b, s.d, s.c = &b, d, c
	return nil
}

// sample draws x ~ N(mean, σ² C) from r.
func (s *cma) sample(r *rand.Rand, x []float64) {
	z := make([]float64, s.dim)
	for i := range z {
		z[i] = r.NormFloat64()
	}
	s.transform(z, x)
}

// transform maps z ~ N(0, I) to x = mean + σ B D z ~ N(mean, σ² C).
func (s *cma) transform(z, x []float64) {
	for i := range s.dim {
		v := 0.0
		for k := range s.dim {
			v += s.b.At(i, k) * s.d[k] * z[k]
		}
		x[i] = s.mean[i] + s.sigma*v
	}
}

// ask draws a solution in the unit cube: up to 10·dim draws (Optuna's
// setting) until one falls inside, else the last one clipped.
func (s *cma) ask(r *rand.Rand) []float64 {
	x := make([]float64, s.dim)
	for range 10 * s.dim {
		s.sample(r, x)
		if inUnitCube(x) {
			return x
		}
	}
	s.sample(r, x)
	for i, v := range x {
		x[i] = math.Min(1, math.Max(0, v))
	}
	return x
}

func inUnitCube(x []float64) bool {
	for _, v := range x {
		if !(v >= 0 && v <= 1) {
			return false
		}
	}
	return true
}

func (s *cma) clone() *cma {
	t := *s
	t.mean = append([]float64(nil), s.mean...)
	t.pSigma = append([]float64(nil), s.pSigma...)
	t.pc = append([]float64(nil), s.pc...)
	t.funHist = append([]float64(nil), s.funHist...)
	// c, b, d and weights are replaced, never written, so they are shared.
	return &t
}

// tell returns the distribution updated with one generation: popsize
// solutions ranked best first, and the values of the best and the worst
// (for the stopping test).
func (s *cma) tell(ranked [][]float64, best, worst float64) (*cma, error) {
	if len(ranked) != s.popsize {
		return nil, errors.New("cmaes: tell needs a whole generation")
	}
	t := s.clone()
	t.g++
	i := 2 * (t.g % t.funHistTerm)
	t.funHist[i], t.funHist[i+1] = best, worst

	n := s.dim
	// y_k = (x_k - m) / σ ~ N(0, C)
	y := make([][]float64, len(ranked))
	for k, x := range ranked {
		y[k] = make([]float64, n)
		for i := range n {
			y[k][i] = (x[i] - s.mean[i]) / s.sigma
		}
	}
	yw := make([]float64, n)
	for k := range s.mu {
		for i := range n {
			yw[i] += s.weights[k] * y[k][i]
		}
	}
	for i := range n {
		t.mean[i] += s.cm * s.sigma * yw[i]
	}

	// C^(-1/2) = B D^-1 Bᵀ
	cInvSqrt := func(v []float64) []float64 {
		tmp := make([]float64, n)
		for k := range n {
			a := 0.0
			for i := range n {
				a += s.b.At(i, k) * v[i]
			}
			tmp[k] = a / s.d[k]
		}
		out := make([]float64, n)
		for i := range n {
			a := 0.0
			for k := range n {
				a += s.b.At(i, k) * tmp[k]
			}
			out[i] = a
		}
		return out
	}
	cyw := cInvSqrt(yw)
	f := math.Sqrt(s.cSigma * (2 - s.cSigma) * s.muEff)
	norm := 0.0
	for i := range n {
		t.pSigma[i] = (1-s.cSigma)*s.pSigma[i] + f*cyw[i]
		norm += t.pSigma[i] * t.pSigma[i]
	}
	norm = math.Sqrt(norm)
	t.sigma = math.Min(s.sigma*math.Exp(s.cSigma/s.dSigma*(norm/s.chiN-1)), sigmaMax)

	hSigma := 0.0
	if norm/math.Sqrt(1-math.Pow(1-s.cSigma, float64(2*(t.g+1)))) < (1.4+2/float64(n+1))*s.chiN {
		hSigma = 1
	}
	f = hSigma * math.Sqrt(s.cc*(2-s.cc)*s.muEff)
	for i := range n {
		t.pc[i] = (1-s.cc)*s.pc[i] + f*yw[i]
	}

	wio := make([]float64, len(ranked))
	sumW := 0.0
	for k, w := range s.weights {
		sumW += w
		if w >= 0 {
			wio[k] = w
			continue
		}
		cy := cInvSqrt(y[k])
		nn := 0.0
		for _, v := range cy {
			nn += v * v
		}
		wio[k] = w * float64(n) / (nn + eps)
	}
	deltaH := (1 - hSigma) * s.cc * (2 - s.cc)
	scale := 1 + s.c1*deltaH - s.c1 - s.cmu*sumW
	c := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			rankMu := 0.0
			for k := range y {
				rankMu += wio[k] * y[k][i] * y[k][j]
			}
			c.SetSym(i, j, scale*s.c.At(i, j)+s.c1*t.pc[i]*t.pc[j]+s.cmu*rankMu)
		}
	}
	t.c = c
	if err := t.decompose(); err != nil {
		return nil, err
	}
	return t, nil
}

// shouldStop is the Python library's termination test: flat values, tiny
// or exploding steps, no effect of a step on the mean, or an
// ill-conditioned covariance.
func (s *cma) shouldStop() bool {
	if s.g > s.funHistTerm {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range s.funHist {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if hi-lo < s.tolFun {
			return true
		}
	}
	small := true
	for i := range s.dim {
		if !(s.sigma*s.c.At(i, i) < s.tolX && s.sigma*s.pc[i] < s.tolX) {
			small = false
			break
		}
	}
	if small {
		return true
	}
	dMax, dMin := math.Inf(-1), math.Inf(1)
	for _, v := range s.d {
		dMax, dMin = math.Max(dMax, v), math.Min(dMin, v)
	}
	if s.sigma*dMax > s.tolXUp {
		return true
	}
	for i := range s.dim {
		if s.mean[i] == s.mean[i]+0.2*s.sigma*math.Sqrt(s.c.At(i, i)) {
			return true
		}
	}
	k := s.g % s.dim
	same := true
	for i := range s.dim {
		if s.mean[i] != s.mean[i]+0.1*s.sigma*s.d[k]*s.b.At(i, k) {
			same = false
			break
		}
	}
	if same {
		return true
	}
	if !(dMax/dMin <= s.tolCond) { // NaN too
		return true
	}
	return false
}
