package gp

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/c-bata/goptuna/sobol"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// features maps between the unit cube of the active dimensions and the
// process's features: the unit coordinate for continuous and ordinal
// dimensions, the level index for categorical ones.
type features struct {
	dims []sampling.Dim
	cat  []bool
	// lo and hi, when set, bound the continuous and ordinal features a
	// proposal may take (a trust region); nil means the unit cube.
	lo, hi []float64
}

// bounds returns feature k's bounds.
func (f features) bounds(k int) (float64, float64) {
	if f.lo == nil {
		return 0, 1
	}
	return f.lo[k], f.hi[k]
}

func newFeatures(dims []sampling.Dim) features {
	f := features{dims: dims, cat: make([]bool, len(dims))}
	for k, d := range dims {
		f.cat[k] = d.Kind == sampling.Categorical
	}
	return f
}

// of returns the features of unit point u, snapping ordinal coordinates
// to their levels.
func (f features) of(u []float64) []float64 {
	x := make([]float64, len(u))
	for k, d := range f.dims {
		switch d.Kind {
		case sampling.Categorical:
			x[k] = float64(d.Level(d.FromUnit(u[k])))
		default:
			x[k] = d.Snap(u[k])
		}
	}
	return x
}

// unit returns the unit point of features x.
func (f features) unit(x []float64) []float64 {
	u := make([]float64, len(x))
	for k, d := range f.dims {
		switch d.Kind {
		case sampling.Categorical:
			u[k] = (x[k] + 0.5) / float64(d.Levels)
		default:
			u[k] = d.Snap(x[k])
		}
	}
	return u
}

// snap moves features x in place to the nearest proposable point.
func (f features) snap(x []float64) {
	for k, d := range f.dims {
		lo, hi := f.bounds(k)
		if d.Kind == sampling.Ordinal {
			x[k] = d.Snap(clampf(x[k], lo, hi))
		} else if d.Kind == sampling.Continuous {
			x[k] = clampf(x[k], lo, hi)
		}
	}
}

type scored struct {
	x []float64
	v float64
}

func finiteOr(v float64) float64 {
	if math.IsNaN(v) {
		return math.Inf(-1)
	}
	return v
}

// maximize searches for the features maximising the acquisition: a
// randomly shifted Sobol set and perturbations of the incumbents are
// scored, the best few are refined by L-BFGS in the continuous and ordinal
// features (bounded by a penalty, snapped after) and by trying every level
// of each categorical feature in turn.
func (s *Sampler) maximize(a *acquisition, f features, tops [][]float64, r *rand.Rand) []float64 {
	d := len(f.dims)
	var cands [][]float64
	eng := sobol.NewEngine(uint32(d))
	shift := make([]float64, d)
	for k := range shift {
		shift[k] = r.Float64()
	}
	for range s.set.Candidates {
		p := eng.Draw()
		u := make([]float64, d)
		for k := range u {
			u[k] = math.Mod(p[k]+shift[k], 1)
			if !f.cat[k] {
				lo, hi := f.bounds(k)
				u[k] = lo + (hi-lo)*u[k]
			}
		}
		cands = append(cands, f.of(u))
	}
	scales := []float64{0.005, 0.02, 0.08}
	for _, t := range tops {
		for i := range s.set.LocalPerTop {
			x := slices.Clone(t)
			sd := scales[i%len(scales)]
			prob := math.Min(1, 2/float64(d)) // perturb about two dimensions, at least one
			moved := false
			for k, dim := range f.dims {
				if r.Float64() >= prob && !(k == d-1 && !moved) {
					continue
				}
				moved = true
				if f.cat[k] {
					x[k] = float64(r.IntN(dim.Levels))
				} else {
					x[k] += sd * r.NormFloat64()
					if x[k] < 0 {
						x[k] = -x[k]
					}
					if x[k] > 1 {
						x[k] = 2 - x[k]
					}
				}
			}
			f.snap(x)
			cands = append(cands, x)
		}
	}
	pool := make([]scored, len(cands))
	for i, x := range cands {
		pool[i] = scored{x, finiteOr(a.value(x, nil))}
	}
	slices.SortStableFunc(pool, func(p, q scored) int { return cmp.Compare(q.v, p.v) })
	best := pool[0]
	var starts []scored
	for _, p := range pool {
		if len(starts) >= s.set.Refine {
			break
		}
		dup := false
		for _, q := range starts {
			if equal(p.x, q.x) {
				dup = true
				break
			}
		}
		if !dup {
			starts = append(starts, p)
		}
	}
	for _, st := range starts {
		x := s.refine(a, f, st.x)
		if v := finiteOr(a.value(x, nil)); v > best.v {
			best = scored{x, v}
		}
	}
	return best.x
}

// refine climbs from x: L-BFGS on the non-categorical features, then each
// categorical feature set to its best level, then L-BFGS again when a
// level changed.
func (s *Sampler) refine(a *acquisition, f features, x []float64) []float64 {
	x = slices.Clone(x)
	x = s.lbfgs(a, f, x)
	if slices.Contains(f.cat, true) {
		changed := false
		cur := finiteOr(a.value(x, nil))
		for k, c := range f.cat {
			if !c {
				continue
			}
			orig := x[k]
			bestL, bestV := orig, cur
			for l := range f.dims[k].Levels {
				if float64(l) == orig {
					continue
				}
				x[k] = float64(l)
				if v := finiteOr(a.value(x, nil)); v > bestV {
					bestL, bestV = float64(l), v
				}
			}
			x[k] = bestL
			if bestL != orig {
				changed, cur = true, bestV
			}
		}
		if changed {
			x = s.lbfgs(a, f, x)
		}
	}
	return x
}

// lbfgs maximises the acquisition over the non-categorical features of x
// within [0, 1] and snaps the result.
func (s *Sampler) lbfgs(a *acquisition, f features, x []float64) []float64 {
	var idx []int
	for k, c := range f.cat {
		if !c {
			idx = append(idx, k)
		}
	}
	if len(idx) == 0 {
		return x
	}
	z := slices.Clone(x)
	full := make([]float64, len(x))
	fg := func(v, g []float64) float64 {
		for i, k := range idx {
			z[k] = v[i]
		}
		val := a.value(z, full)
		for i, k := range idx {
			g[i] = -full[k]
		}
		return -val
	}
	v0 := make([]float64, len(idx))
	lo, hi := make([]float64, len(idx)), make([]float64, len(idx))
	for i, k := range idx {
		v0[i] = x[k]
		lo[i], hi[i] = f.bounds(k)
	}
	v, _ := minimize(fg, v0, lo, hi, s.set.RefineIters, 1e-6)
	out := slices.Clone(x)
	for i, k := range idx {
		out[k] = v[i]
	}
	f.snap(out)
	return out
}
