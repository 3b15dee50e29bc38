package tpe

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/attune-dao/attune/optimizer/sampling"
)

const (
	logSqrt2Pi = 0.9189385332046727 // log(sqrt(2*pi))
	logTiny    = -700.0             // stands for log(0)
	// maxTable is the most levels an ordinal dimension may have for its
	// cells' masses to be tabulated; beyond, a cell's mass is the density
	// at its centre times its width.
	maxTable = 128
)

// parzen is a mixture of product kernels over the unit cube: one
// component per observation, then a prior component at the centre. The
// observations' kernels share one bandwidth per dimension; the prior's is
// the cube's width.
//
// The log-density at x is log sum_k exp(base[k] + sum_j t_kj(x_j)), where
// base holds each component's log weight and every term that does not
// depend on x. Per-dimension arrays over components are stored per
// dimension (column-major) so that scoring runs down contiguous memory.
type parzen struct {
	dims []sampling.Dim
	d, n int // dimensions, components

	cumw []float64 // cumulative normalised weights, for drawing
	base []float64

	// Per dimension j, over components k at [j*n+k]: the kernel's centre,
	// Phi at the ends of [0, 1] in its standard units (for draws; only when
	// the estimator is drawn from), and for ordinal and categorical
	// dimensions the kernel's level.
	mu, cdfLo, cdfHi []float64
	level            []int32
	// sigma[j] is the observations' bandwidth in dimension j; the prior's
	// is 1.
	sigma []float64

	// Per dimension j, how its term is computed.
	mode []mode
	// For tabulated ordinal dimensions, tab[j][L-1+delta] is the log mass
	// of the cell delta levels away from an observation's.
	tab [][]float64
	// For categorical dimensions, the log probability of a kernel's own
	// level and of every other (observations only; the prior is uniform
	// and its term lives in base).
	logHit, logOther []float64
}

type mode int

const (
	gaussian mode = iota // continuous, or ordinal with too many levels
	table                // ordinal
	category             // categorical
)

// fit builds the estimator of nObs observations (points of the unit cube
// over dims, flattened in xs as i*d+j) weighted by w; drawable when it
// will be drawn from.
func fit(dims []sampling.Dim, xs []float64, w []float64, set Settings, drawable bool) *parzen {
	d := len(dims)
	nObs := len(w)
	n := nObs + 1
	p := &parzen{
		dims: dims, d: d, n: n,
		cumw: make([]float64, n), base: make([]float64, n),
		mu: make([]float64, n*d), sigma: make([]float64, d),
		level: make([]int32, n*d),
		mode:  make([]mode, d), tab: make([][]float64, d),
		logHit: make([]float64, d), logOther: make([]float64, d),
	}

	// Weights: the observations', then the prior's.
	prior := set.PriorWeight
	if nObs == 0 || !(prior > 0) {
		prior = math.Min(1e-3, 1/float64(n))
		if nObs == 0 {
			prior = 1
		}
	}
	total := prior
	for _, v := range w {
		total += v
	}
	acc := 0.0
	for k := range n {
		v := prior
		if k < nObs {
			v = w[k]
		}
		acc += v / total
		p.cumw[k] = acc
		if v > 0 {
			p.base[k] = math.Log(v / total)
		} else {
			p.base[k] = math.Inf(-1)
		}
	}
	p.cumw[n-1] = 1
	if drawable {
		p.cdfLo, p.cdfHi = make([]float64, n*d), make([]float64, n*d)
	}

	// Bandwidths: Scott's rule, n^(-1/(d+4)), floored by Optuna's magic
	// clip.
	scale := set.Bandwidth * math.Pow(float64(max(nObs, 1)), -1/float64(d+4))
	minSigma := set.MinBandwidth
	if set.MagicClip {
		minSigma = max(minSigma, 1/math.Min(100, float64(1+n)))
	}
	minSigma = math.Min(minSigma, 1)
	// The product over dimensions of each observation's kernel mass on
	// [0, 1], for one logarithm per observation.
	zprod := make([]float64, nObs)
	for k := range zprod {
		zprod[k] = 1
	}
	for j, dim := range dims {
		col := j * n
		if dim.Kind == sampling.Categorical {
			p.fitCategorical(j, xs, set.PriorWeight)
			continue
		}
		sj := scale
		if set.ScottStd {
			sj *= spread(xs, w, d, j)
		}
		sj = math.Min(math.Max(sj, minSigma), 1)
		p.sigma[j] = sj
		for k := range nObs {
			p.mu[col+k] = xs[k*d+j]
		}
		p.mu[col+n-1] = 0.5
		if drawable {
			for k := range n {
				mu, sigma := p.mu[col+k], p.sigmaOf(j, k)
				p.cdfLo[col+k], p.cdfHi[col+k] = fastPhi(-mu/sigma), fastPhi((1-mu)/sigma)
			}
		}
		L := dim.Levels
		if dim.Kind == sampling.Ordinal && L <= maxTable {
			p.mode[j] = table
			// Observations sit at cell centres and share sj: the mass of
			// a cell depends on its distance in levels only.
			width := 1 / float64(L)
			tab := make([]float64, 2*L-1)
			for delta := -(L - 1); delta < L; delta++ {
				tab[L-1+delta] = safeLog(mass((float64(delta)-0.5)*width/sj, (float64(delta)+0.5)*width/sj))
			}
			p.tab[j] = tab
			// Normalisers by level, shared by the observations there.
			logZ := make([]float64, L)
			for c := range L {
				m := (float64(c) + 0.5) * width
				logZ[c] = safeLog(mass(-m/sj, (1-m)/sj))
			}
			for k := range nObs {
				c := cell(xs[k*d+j], L)
				p.level[col+k] = int32(c)
				p.base[k] -= logZ[c]
			}
			// The prior's term is computed directly (see terms).
			continue
		}
		p.mode[j] = gaussian
		c := math.Log(sj) + logSqrt2Pi
		if dim.Kind == sampling.Ordinal {
			c += math.Log(float64(L))
		}
		for k := range nObs {
			mu := p.mu[col+k]
			zprod[k] *= fastPhi((1-mu)/sj) - fastPhi(-mu/sj)
			p.base[k] -= c
		}
		p.base[n-1] -= c - math.Log(sj) + logPriorZ
	}
	for k := range nObs {
		p.base[k] -= safeLog(zprod[k])
	}
	return p
}

// sigmaOf is component k's bandwidth in dimension j.
func (p *parzen) sigmaOf(j, k int) float64 {
	if k == p.n-1 {
		return 1
	}
	return p.sigma[j]
}

// spread is the weighted standard deviation of dimension j of the
// observations; with fewer than two, that of the uniform distribution.
func spread(xs []float64, w []float64, d, j int) float64 {
	const uniform = 0.28867513459481287 // 1/sqrt(12)
	if len(w) < 2 {
		return uniform
	}
	var sw, m float64
	for i, wi := range w {
		sw += wi
		m += wi * xs[i*d+j]
	}
	if !(sw > 0) {
		return uniform
	}
	m /= sw
	v := 0.0
	for i, wi := range w {
		e := xs[i*d+j] - m
		v += wi * e * e
	}
	return math.Sqrt(v / sw)
}

// fitCategorical gives each observation Optuna's kernel over the levels:
// weight 1 + a on the observed level and a on every level, a being the
// prior weight over the number of components, normalised; the prior
// component is uniform.
func (p *parzen) fitCategorical(j int, xs []float64, priorWeight float64) {
	p.mode[j] = category
	L := p.dims[j].Levels
	a := max(priorWeight, 0.1) / float64(p.n)
	p.logHit[j] = math.Log((1 + a) / (1 + float64(L)*a))
	p.logOther[j] = math.Log(a / (1 + float64(L)*a))
	col := j * p.n
	for k := range p.n - 1 {
		p.level[col+k] = int32(cell(xs[k*p.d+j], L))
		p.base[k] += p.logOther[j]
	}
	p.level[col+p.n-1] = -1
	p.base[p.n-1] -= math.Log(float64(L))
}

// cell is the level whose cell of [0, 1] holds u.
func cell(u float64, levels int) int {
	return min(max(int(u*float64(levels)), 0), levels-1)
}

// component draws a component by weight.
func (p *parzen) component(r *rand.Rand) int {
	return min(sort.SearchFloat64s(p.cumw, r.Float64()), p.n-1)
}

// draw samples a point from the mixture into x. When marginal, each
// dimension takes its value from a component of its own, drawing from the
// product of the mixture's marginals, which recombines the coordinates of
// different observations.
func (p *parzen) draw(r *rand.Rand, x []float64, marginal bool) {
	k := p.component(r)
	for j, dim := range p.dims {
		if marginal && j > 0 {
			k = p.component(r)
		}
		i := j*p.n + k
		switch dim.Kind {
		case sampling.Categorical:
			lv := int(p.level[i])
			L := dim.Levels
			if lv < 0 || L == 1 {
				lv = r.IntN(L)
			} else if r.Float64() >= math.Exp(p.logHit[j]) {
				// one of the other levels, uniformly
				o := r.IntN(L - 1)
				if o >= lv {
					o++
				}
				lv = o
			}
			x[j] = (float64(lv) + 0.5) / float64(L)
		default:
			q := p.cdfLo[i] + r.Float64()*(p.cdfHi[i]-p.cdfLo[i])
			v := p.mu[i] + p.sigmaOf(j, k)*phiInv(q)
			if math.IsNaN(v) {
				v = p.mu[i]
			}
			v = math.Min(math.Max(v, 0), 1)
			if dim.Kind == sampling.Ordinal {
				v = (float64(cell(v, dim.Levels)) + 0.5) / float64(dim.Levels)
			}
			x[j] = v
		}
	}
}

// terms fills acc[k] with the log of component k's weighted density at x
// (for ordinal and categorical dimensions, probability of x's level).
func (p *parzen) terms(x []float64, acc []float64) {
	n := p.n
	copy(acc, p.base)
	for j, dim := range p.dims {
		col := j * n
		xj := x[j]
		switch p.mode[j] {
		case gaussian:
			if dim.Kind == sampling.Ordinal {
				xj = (float64(cell(xj, dim.Levels)) + 0.5) / float64(dim.Levels)
			}
			h := 0.5 / (p.sigma[j] * p.sigma[j])
			mu := p.mu[col : col+n-1]
			obs := acc[:n-1]
			for k := range obs {
				e := xj - mu[k]
				obs[k] -= h * e * e
			}
			e := xj - 0.5
			acc[n-1] -= 0.5 * e * e
		case table:
			L := dim.Levels
			c := cell(xj, L)
			tab, off := p.tab[j], L-1+c
			lv := p.level[col : col+n-1]
			for k := range lv {
				acc[k] += tab[off-int(lv[k])]
			}
			// The prior: its mass on the cell over its mass on [0, 1].
			width := 1 / float64(L)
			a, b := float64(c)*width-0.5, float64(c+1)*width-0.5
			acc[n-1] += safeLog(mass(a, b)) - logPriorZ
		case category:
			c := int32(cell(xj, dim.Levels))
			gain := p.logHit[j] - p.logOther[j]
			lv := p.level[col : col+n-1]
			for k := range lv {
				if lv[k] == c {
					acc[k] += gain
				}
			}
		}
	}
}

// logPDF is the log-density of the mixture at x, using buf (of at least
// n elements) as scratch space.
func (p *parzen) logPDF(x []float64, buf []float64) float64 {
	acc := buf[:p.n]
	p.terms(x, acc)
	return logSumExp(acc)
}

// logSumExp is log(sum(exp(v))), computed without overflow; terms more
// than 37 below the largest are left out (each is below the precision of
// the sum, which is at least 1).
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, s := range v {
		if s > m {
			m = s
		}
	}
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	sum := 0.0
	for _, s := range v {
		if t := s - m; t > -37 {
			sum += fastExp(t)
		}
	}
	return m + math.Log(sum)
}

// logPriorZ is the log of the prior kernel's mass on [0, 1].
var logPriorZ = math.Log(mass(-0.5, 0.5))

// fastExp is exp(t) for t in [-37, 0] to a relative error below 2e-7.
func fastExp(t float64) float64 {
	const log2e = 1.4426950408889634
	const ln2 = 0.6931471805599453
	y := t * log2e
	k := math.Floor(y + 0.5)
	f := (y - k) * ln2 // |f| <= ln2/2
	// Taylor series of exp(f) to degree 6.
	p := 1 + f*(1+f*(1.0/2+f*(1.0/6+f*(1.0/24+f*(1.0/120+f*(1.0/720))))))
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}

// phiTable holds Phi at z = -8 + i/64 for i in 0..1024, for fastPhi.
var phiTable = func() []float64 {
	t := make([]float64, 1025)
	for i := range t {
		t[i] = phi(-8 + float64(i)/64)
	}
	return t
}()

// fastPhi is Phi(z) by linear interpolation in phiTable, to within 1e-5.
func fastPhi(z float64) float64 {
	if !(z > -8) {
		return 0
	}
	if z >= 8 {
		return 1
	}
	u := (z + 8) * 64
	i := int(u)
	f := u - float64(i)
	return phiTable[i] + f*(phiTable[i+1]-phiTable[i])
}

// phi is the standard normal distribution function.
func phi(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// phiInv is its inverse.
func phiInv(q float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*q) }

// mass is Phi(b) - Phi(a) for a <= b, computed in the tail where it is
// accurate.
func mass(a, b float64) float64 {
	if a > 0 {
		return 0.5 * (math.Erfc(a/math.Sqrt2) - math.Erfc(b/math.Sqrt2))
	}
	return 0.5 * (math.Erfc(-b/math.Sqrt2) - math.Erfc(-a/math.Sqrt2))
}

func safeLog(v float64) float64 {
	if !(v > 0) {
		return logTiny
	}
	return math.Max(math.Log(v), logTiny)
}
