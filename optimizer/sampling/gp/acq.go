package gp

import (
	"math"
)

const (
	ln2          = math.Ln2
	halfLog2Pi   = 0.9189385332046727  // log(2π)/2
	halfLogPiBy2 = 0.22579135264472744 // log(π/2)/2
	invSqrt2     = 0.7071067811865476
)

// erfcx is the scaled complementary error function exp(x²)·erfc(x) for
// x >= 0.
func erfcx(x float64) float64 {
	if x < 25 {
		return math.Exp(x*x) * math.Erfc(x)
	}
	// Asymptotic series; at x >= 25 the terms after the third are below
	// double precision.
	x2 := x * x
	return 1 / (x * math.SqrtPi) * (1 - 1/(2*x2) + 3/(4*x2*x2) - 15/(8*x2*x2*x2))
}

// log1mexp is log(1 - exp(a)) for a < 0, accurate on both sides of -log 2.
func log1mexp(a float64) float64 {
	if a > -ln2 {
		return math.Log(-math.Expm1(a))
	}
	return math.Log1p(-math.Exp(a))
}

// logPhi is log Φ(z), the log of the standard normal distribution
// function, finite for every finite z.
func logPhi(z float64) float64 {
	if z > -5 {
		return math.Log(0.5 * math.Erfc(-z*invSqrt2))
	}
	return math.Log(0.5*erfcx(-z*invSqrt2)) - z*z/2
}

// logH is log(φ(z) + zΦ(z)), the log of the expected improvement of a
// standard normal over -z, computed as in Ament et al. (2023),
// "Unexpected Improvements to Expected Improvement for Bayesian
// Optimization": directly for z > -1, through erfcx below, and by its
// asymptote where even that underflows.
func logH(z float64) float64 {
	switch {
	case z > -1:
		phi := math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
		return math.Log(phi + z*0.5*math.Erfc(-z*invSqrt2))
	case z > -1e8: // -1/sqrt(eps) is about -6.7e7
		return -z*z/2 - halfLog2Pi + log1mexp(math.Log(erfcx(-z*invSqrt2)*-z)+halfLogPiBy2)
	default:
		return -z*z/2 - halfLog2Pi - 2*math.Log(-z)
	}
}

// dLogH is the derivative of logH: Φ(z)/h(z).
func dLogH(z float64) float64 {
	return math.Exp(logPhi(z) - logH(z))
}

// logEI is the log expected improvement below best of a normal with mean
// mu and standard deviation sigma.
func logEI(mu, sigma, best float64) float64 {
	z := (best - mu) / sigma
	return logH(z) + math.Log(sigma)
}

// acquisition is the log of the expected improvement over the incumbent,
// times the probability that every constraint holds; with no feasible
// incumbent, the log probability of feasibility alone.
type acquisition struct {
	obj  *posterior
	best float64 // incumbent on the standardised scale
	cons []*posterior
	thr  []float64 // each constraint's zero on its standardised scale
	// feasibleOnly: no feasible trial yet, maximise feasibility.
	feasibleOnly bool
	// beta > 0 replaces the log expected improvement by the lower
	// confidence bound -(mu - beta·sd), for noisy unconstrained objectives.
	beta float64

	kb, wb []float64
	dm, dv []float64
}

func newAcquisition(obj *posterior, best float64, cons []*posterior, thr []float64, feasibleOnly bool) *acquisition {
	n := len(obj.x)
	for _, c := range cons {
		n = max(n, len(c.x))
	}
	d := len(obj.cat)
	return &acquisition{obj: obj, best: best, cons: cons, thr: thr, feasibleOnly: feasibleOnly,
		kb: make([]float64, n), wb: make([]float64, n), dm: make([]float64, d), dv: make([]float64, d)}
}

const minVar = 1e-12

// value returns the acquisition at z and, when grad is not nil, its
// gradient in the non-categorical features. An acquisition is not safe
// for concurrent use.
func (a *acquisition) value(z, grad []float64) float64 {
	for j := range grad {
		grad[j] = 0
	}
	total := 0.0
	add := func(p *posterior, f func(mu, sd float64) (v, dmu, dsd float64)) {
		var dm, dv []float64
		if grad != nil {
			dm, dv = a.dm, a.dv
		}
		mu, v := p.predict(z, dm, dv, a.kb, a.wb)
		clamped := v < minVar*p.h.Scale
		if clamped {
			v = minVar * p.h.Scale
		}
		sd := math.Sqrt(v)
		val, dmu, dsd := f(mu, sd)
		total += val
		for j := range grad {
			g := dmu * dm[j]
			if !clamped {
				g += dsd * dv[j] / (2 * sd)
			}
			grad[j] += g
		}
	}
	if a.beta > 0 && !a.feasibleOnly {
		add(a.obj, func(mu, sd float64) (float64, float64, float64) {
			return -(mu - a.beta*sd), -1, a.beta
		})
	} else if !a.feasibleOnly {
		add(a.obj, func(mu, sd float64) (float64, float64, float64) {
			zz := (a.best - mu) / sd
			v := logH(zz) + math.Log(sd)
			if grad == nil {
				return v, 0, 0
			}
			g := dLogH(zz)
			return v, -g / sd, -g*zz/sd + 1/sd
		})
	}
	for k, c := range a.cons {
		thr := a.thr[k]
		add(c, func(mu, sd float64) (float64, float64, float64) {
			zz := (thr - mu) / sd
			v := logPhi(zz)
			if grad == nil {
				return v, 0, 0
			}
			// d log Φ(z)/dz = φ(z)/Φ(z)
			g := math.Exp(-zz*zz/2 - halfLog2Pi - v)
			return v, -g / sd, -g * zz / sd
		})
	}
	return total
}
