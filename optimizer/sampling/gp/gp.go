// Package gp is attune's Gaussian-process Bayesian-optimisation sampler,
// registered as "gp", modelled on Optuna's GPSampler (3.6 and later) and
// on BoTorch's defaults.
//
// The first trials of a study are points of a randomly shifted Sobol
// sequence. After them, the complete trials are modelled in the unit cube
// by a Gaussian process with a Matern 5/2 kernel with one lengthscale per
// dimension (ARD); a categorical dimension contributes its inverse squared
// lengthscale to the squared distance when two levels differ (a Hamming
// distance), and an ordinal (integer, stepped) dimension is treated as
// continuous and snapped to its levels. The losses are standardised, and
// the kernel's variance, lengthscales and the noise variance are the
// maximum a posteriori estimates under Optuna's mild priors (which keep
// lengthscales in a sensible range and the noise small unless the data
// need it), found by L-BFGS from a default start and a few others; the
// noise variance has a floor, so duplicate points and a deterministic
// objective stay well conditioned, and the Cholesky factorisation falls
// back to added jitter.
//
// The next trial maximises the log expected improvement (computed stably
// where it underflows, as in Ament et al. 2023, "Unexpected Improvements
// to Expected Improvement for Bayesian Optimization") over the incumbent,
// the lowest posterior mean at an observed point, so a noisy objective's
// lucky draws do not set the bar. The maximiser scores a shifted Sobol set
// and perturbations of the best observed points, refines the best few by
// L-BFGS in the continuous and ordinal dimensions and by trying every
// level of each categorical one, and snaps the result to the levels.
// When the fitted noise is substantial (its variance above
// Settings.NoisyRatio times the kernel's) and there are no constraints, the
// acquisition is instead the lower confidence bound mu - NoisyBeta·sd,
// which samples the low region more densely: with a noisy objective the
// best trial is the one with the lowest observed value, and every trial
// near the optimum is a better candidate for that than an exploratory one.
// On attune's benchmark problems this helped the noisy ones and rastrigin
// (whose ripples the process models as noise) at 200 trials.
//
// Trials still running are conditioned on as if they had returned the
// posterior mean there (a "kriging believer"), so that the trials of a
// parallel batch spread out. When trials carry constraints (the
// sampling.ConstraintsAttr system attribute), each constraint is modelled
// by a process of its own and the acquisition is the log expected
// improvement over the best feasible trial plus the log probability that
// every constraint holds; before any trial is feasible, the log probability
// of feasibility alone.
//
// Cost is bounded by the number of trials modelled: at most
// Settings.MaxHistory (the best half and the most recent rest), of which at
// most Settings.MaxFit are used to estimate the hyperparameters. The
// sampler keeps no state between calls: a proposal depends only on the
// seed, the trial number and the study's history.
package gp

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/qmc"
)

func init() {
	sampling.Register("gp", func(c sampling.Config) (sampling.Sampler, error) { return New(c), nil })
}

// Settings are the knobs of the sampler. Defaults returns the tuned ones.
type Settings struct {
	// Startup is the number of complete trials before the process is
	// fitted; until then trials take points of a shifted Sobol sequence.
	// 0 sizes it from the dimension: min(10, max(5, 2·dims)).
	Startup int
	// Candidates is the number of Sobol points scored per proposal.
	Candidates int
	// Tops is the number of best observed points perturbed per proposal,
	// and LocalPerTop the number of perturbations of each.
	Tops, LocalPerTop int
	// Refine is the number of best candidates refined by local search,
	// each by at most RefineIters L-BFGS iterations.
	Refine, RefineIters int
	// FitIters bounds the L-BFGS iterations of each start of the
	// hyperparameter fit; FitStarts is the number of random starts besides
	// the two fixed ones (unit lengthscales, and short ones).
	FitIters, FitStarts int
	// MaxHistory is the most trials the process is conditioned on, and
	// MaxFit the most used to estimate its hyperparameters: the best half
	// of them and the most recent rest.
	MaxHistory, MaxFit int
	// NoiseFloor is the smallest noise variance, relative to the
	// standardised losses' unit variance.
	NoiseFloor float64
	// Warp transforms the losses before they are standardised: "none"
	// or "log" (log(y - min + δ), which tames objectives with a heavy
	// upper tail). The default, "none", is what the benchmark figures
	// were measured with.
	Warp string
	// NoisyBeta, when positive, makes the acquisition of an objective
	// whose fitted noise variance exceeds NoisyRatio times the kernel's
	// variance the lower confidence bound mu - NoisyBeta·sd.
	//
	// An objective judged noisy alternates: trials of even number take
	// the lower confidence bound, those of odd number the log expected
	// improvement over the lowest posterior mean, so the search neither
	// only confirms nor only explores.
	NoisyBeta, NoisyRatio float64
	// FinalFrac is the share of a known budget (sampling.Config.Budget)
	// spent exploiting at the end: local steps (LocalK, LocalMax) around
	// the best observed point on trials of odd number (expected
	// improvement over the whole space on the others, which keeps a
	// curved valley's search going), or for a noisy objective the
	// minimum of the posterior mean, so that the best observed value is
	// likely to fall where the model places the optimum rather than on a
	// lucky draw. 0 turns the final phase off, as does an unknown budget.
	FinalFrac float64
	// LocalK is the number of trials nearest the incumbent a local step's
	// process is fitted on (at least 2·dims+2), and LocalMax the largest
	// half-width of its trust region, in unit coordinates: the box that
	// bounds those trials.
	LocalK   int
	LocalMax float64
}

// Defaults are the settings New uses.
func Defaults() Settings {
	return Settings{
		Startup:     0,
		Candidates:  512,
		Tops:        5,
		LocalPerTop: 30,
		Refine:      5,
		RefineIters: 40,
		FitIters:    60,
		FitStarts:   1,
		MaxHistory:  300,
		MaxFit:      120,
		NoiseFloor:  1e-6,
		Warp:        "none",
		NoisyBeta:   1,
		NoisyRatio:  0.02,
		FinalFrac:   0.2,
		LocalK:      0,
		LocalMax:    0.05,
	}
}

// Sampler is a Gaussian-process sampler. It keeps no state beyond a cache
// of Sobol points; it is safe for concurrent use.
type Sampler struct {
	seed   uint64
	budget int
	set    Settings
	qmc    *qmc.Sampler
}

// New returns a sampler with the default settings; c.Startup, when
// positive, replaces the default start-up length. The trials still running
// are read from the study, so c.Batch is not needed.
func New(c sampling.Config) *Sampler {
	s := Defaults()
	if c.Startup > 0 {
		s.Startup = c.Startup
	}
	out := NewWithSettings(c.Seed, s)
	out.budget = max(c.Budget, 0)
	return out
}

// NewWithSettings returns a sampler with the given settings; values out of
// range are replaced by the defaults'.
func NewWithSettings(seed uint64, s Settings) *Sampler {
	d := Defaults()
	s.Startup = max(s.Startup, 0)
	if s.Candidates < 1 {
		s.Candidates = d.Candidates
	}
	s.Tops, s.LocalPerTop = max(s.Tops, 0), max(s.LocalPerTop, 0)
	if s.Refine < 0 {
		s.Refine = d.Refine
	}
	if s.RefineIters < 1 {
		s.RefineIters = d.RefineIters
	}
	if s.FitIters < 1 {
		s.FitIters = d.FitIters
	}
	s.FitStarts = max(s.FitStarts, 0)
	if s.MaxHistory < 2 {
		s.MaxHistory = d.MaxHistory
	}
	if s.MaxFit < 2 {
		s.MaxFit = d.MaxFit
	}
	s.MaxFit = min(s.MaxFit, s.MaxHistory)
	if !(s.NoiseFloor > 0 && s.NoiseFloor < 1) {
		s.NoiseFloor = d.NoiseFloor
	}
	if !(s.NoisyBeta >= 0) || math.IsInf(s.NoisyBeta, 0) {
		s.NoisyBeta = d.NoisyBeta
	}
	if !(s.NoisyRatio >= 0) || math.IsInf(s.NoisyRatio, 0) {
		s.NoisyRatio = d.NoisyRatio
	}
	if !(s.FinalFrac >= 0 && s.FinalFrac <= 1) {
		s.FinalFrac = d.FinalFrac
	}
	s.LocalK = max(s.LocalK, 0)
	if !(s.LocalMax > 0 && s.LocalMax <= 0.5) {
		s.LocalMax = d.LocalMax
	}
	if s.Warp != "log" {
		s.Warp = "none"
	}
	return &Sampler{seed: seed, set: s, qmc: qmc.New(seed ^ 0x67702d736f626f6c)}
}

// Settings returns the sampler's settings.
func (s *Sampler) Settings() Settings { return s.set }

// SampleRelative proposes every parameter of the search space at once.
func (s *Sampler) SampleRelative(study *goptuna.Study, trial goptuna.FrozenTrial, searchSpace map[string]any) (map[string]float64, error) {
	space, err := sampling.NewSpace(searchSpace)
	if err != nil {
		return nil, err
	}
	if len(space) == 0 {
		return map[string]float64{}, nil
	}
	h, err := sampling.Load(study, space, trial.ID)
	if err != nil {
		return nil, err
	}
	u, err := s.Propose(h, trial.Number)
	if err != nil {
		return nil, err
	}
	return space.Decode(u), nil
}

// Sample draws one parameter outside the relative search space.
func (s *Sampler) Sample(_ *goptuna.Study, trial goptuna.FrozenTrial, name string, dist any) (float64, error) {
	return sampling.Independent(s.seed, trial, name, dist)
}

// usable reports whether a complete trial can be modelled: a finite loss.
func usable(o sampling.Observed) bool {
	return !math.IsNaN(o.Loss) && !math.IsInf(o.Loss, 0)
}

// startup is the number of quasi-random trials for a space of d active
// dimensions.
func (s *Sampler) startup(d int) int {
	if s.set.Startup > 0 {
		return s.set.Startup
	}
	return min(10, max(5, 2*d))
}

// Propose returns the point in the unit cube (in the space's order) for
// trial number given the history: a Sobol point during start-up, the
// maximiser of the acquisition after.
func (s *Sampler) Propose(h sampling.History, number int) ([]float64, error) {
	space := h.Space
	var complete []sampling.Observed
	for _, o := range h.Complete {
		if usable(o) {
			complete = append(complete, o)
		}
	}
	var active []int
	for i, d := range space {
		if !d.Single() {
			active = append(active, i)
		}
	}
	u := make([]float64, len(space))
	for i, d := range space {
		u[i] = d.Snap(0.5)
	}
	if len(active) == 0 {
		return u, nil
	}
	if len(complete) < max(s.startup(len(active)), 1) {
		p, err := s.qmc.Point(len(space), number)
		if err != nil {
			return nil, err
		}
		for _, i := range active {
			u[i] = space[i].Snap(p[i])
		}
		return u, nil
	}
	dims := make([]sampling.Dim, len(active))
	for k, i := range active {
		dims[k] = space[i]
	}
	f := newFeatures(dims)
	project := func(obs []sampling.Observed) [][]float64 {
		out := make([][]float64, len(obs))
		for j, o := range obs {
			x := make([]float64, len(active))
			for k, i := range active {
				x[k] = o.U[i]
			}
			out[j] = f.of(x)
		}
		return out
	}
	r := sampling.Rand(s.seed, number, "gp")
	x := s.bo(f, project, complete, h.Pending, r, number)
	for k, i := range active {
		u[i] = x[k]
	}
	return u, nil
}

// choose returns at most n of the trials, in trial order: the best half
// (feasible first, then by violation, then by loss) and the most recent
// of the rest.
func choose(obs []sampling.Observed, n int) []sampling.Observed {
	if len(obs) <= n {
		return obs
	}
	ranked := slices.Clone(obs)
	slices.SortStableFunc(ranked, func(a, b sampling.Observed) int {
		if sampling.Better(a, b) {
			return -1
		}
		if sampling.Better(b, a) {
			return 1
		}
		return cmp.Compare(a.Number, b.Number)
	})
	nBest := n / 2
	out := slices.Clone(ranked[:nBest])
	rest := slices.Clone(ranked[nBest:])
	slices.SortFunc(rest, func(a, b sampling.Observed) int { return cmp.Compare(b.Number, a.Number) })
	out = append(out, rest[:n-nBest]...)
	slices.SortFunc(out, func(a, b sampling.Observed) int { return cmp.Compare(a.Number, b.Number) })
	return out
}

// standardiser maps values to zero mean and unit variance, after an
// optional log warp.
type standardiser struct {
	log       bool
	min, off  float64
	mean, std float64
}

func newStandardiser(y []float64, warp bool) standardiser {
	s := standardiser{log: warp}
	if warp {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range y {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		s.min = lo
		s.off = math.Max((hi-lo)*1e-3, 1e-12)
	}
	n := float64(len(y))
	for _, v := range y {
		s.mean += s.warp(v)
	}
	s.mean /= n
	for _, v := range y {
		d := s.warp(v) - s.mean
		s.std += d * d
	}
	s.std = math.Sqrt(s.std / n)
	if !(s.std > 1e-12*math.Max(1, math.Abs(s.mean))) || math.IsInf(s.std, 0) {
		s.std = 1
	}
	return s
}

func (s standardiser) warp(v float64) float64 {
	if s.log {
		return math.Log(math.Max(v-s.min, 0) + s.off)
	}
	return v
}

func (s standardiser) apply(v float64) float64 { return (s.warp(v) - s.mean) / s.std }

// fit estimates a process's hyperparameters on (x, y).
func (s *Sampler) fit(x [][]float64, y []float64, cat []bool, r *rand.Rand) hyper {
	d := len(cat)
	def := hyper{InvLS: make([]float64, d), Scale: 1, Noise: 1e-2}
	short := hyper{InvLS: make([]float64, d), Scale: 1, Noise: 1e-4}
	for j := range d {
		def.InvLS[j] = 1
		short.InvLS[j] = 10
	}
	starts := []hyper{def, short}
	for range s.set.FitStarts {
		h := hyper{InvLS: make([]float64, d), Scale: math.Exp(r.Float64()*2 - 1), Noise: math.Exp(-2 - r.Float64()*10)}
		for j := range d {
			h.InvLS[j] = math.Exp(r.Float64()*5 - 2)
		}
		starts = append(starts, h)
	}
	return fitHyper(x, y, cat, s.set.NoiseFloor, starts, s.set.FitIters)
}

// meanOnly is the confidence-bound weight that makes the acquisition the
// negated posterior mean (a zero weight means no bound at all).
const meanOnly = 1e-12

// final reports whether trial number falls in the exploiting end of a
// known budget.
func (s *Sampler) final(number int) bool {
	if s.budget <= 0 || s.set.FinalFrac <= 0 {
		return false
	}
	return number >= s.budget-int(math.Round(s.set.FinalFrac*float64(s.budget)))
}

// stepKind is how a trial after start-up is proposed.
type stepKind int

const (
	stepEI    stepKind = iota // log expected improvement over the whole space
	stepLCB                   // lower confidence bound (noisy objectives)
	stepMean                  // minimum of the posterior mean
	stepLocal                 // expected improvement near the best observed point
)

// step decides how trial number is proposed, given whether the objective
// looks noisy and whether a local step may be taken (no constraints, no
// pending trials).
func (s *Sampler) step(number int, noisy, localOK bool) stepKind {
	switch {
	case s.final(number) && noisy:
		return stepMean
	case s.final(number) && localOK && number%2 == 1:
		return stepLocal
	case noisy && number%2 == 0 && s.set.NoisyBeta > 0:
		return stepLCB
	}
	return stepEI
}

// bo proposes the next point, in the unit cube of the active dimensions.
func (s *Sampler) bo(f features, project func([]sampling.Observed) [][]float64, complete, pending []sampling.Observed, r *rand.Rand, number int) []float64 {
	sel := choose(complete, s.set.MaxHistory)
	fitSel := choose(sel, s.set.MaxFit)
	losses := make([]float64, len(sel))
	for i, o := range sel {
		losses[i] = o.Loss
	}
	st := newStandardiser(losses, s.set.Warp == "log")
	standard := func(obs []sampling.Observed) []float64 {
		y := make([]float64, len(obs))
		for i, o := range obs {
			y[i] = st.apply(o.Loss)
		}
		return y
	}
	x := project(sel)
	y := standard(sel)
	h := s.fit(project(fitSel), standard(fitSel), f.cat, r)
	post := newPosterior(x, y, f.cat, h)

	// Constraints: one process each, over the trials that report it.
	nCons := 0
	for _, o := range sel {
		nCons = max(nCons, len(o.Constraints))
	}
	var cons []*posterior
	var thr []float64
	feasible := make([]bool, len(sel))
	anyFeasible := false
	for i, o := range sel {
		feasible[i] = o.Feasible()
		anyFeasible = anyFeasible || feasible[i]
	}
	type consData struct {
		x  [][]float64
		y  []float64
		st standardiser
	}
	var cdata []consData
	for c := range nCons {
		var cx [][]float64
		var cv []float64
		for i, o := range sel {
			if c < len(o.Constraints) && !math.IsNaN(o.Constraints[c]) && !math.IsInf(o.Constraints[c], 0) {
				cx = append(cx, x[i])
				cv = append(cv, o.Constraints[c])
			}
		}
		if len(cx) < 2 {
			continue
		}
		cst := newStandardiser(cv, false)
		cy := make([]float64, len(cv))
		for i, v := range cv {
			cy[i] = cst.apply(v)
		}
		fx, fy := cx, cy
		if len(cx) > s.set.MaxFit {
			fx, fy = cx[len(cx)-s.set.MaxFit:], cy[len(cy)-s.set.MaxFit:]
		}
		ch := s.fit(fx, fy, f.cat, r)
		cons = append(cons, newPosterior(cx, cy, f.cat, ch))
		thr = append(thr, cst.apply(0))
		cdata = append(cdata, consData{cx, cy, cst})
	}

	// Incumbent: the lowest posterior mean at a feasible observed point.
	kb, wb := make([]float64, len(x)), make([]float64, len(x))
	means := make([]float64, len(x))
	best := math.Inf(1)
	for i := range x {
		means[i], _ = post.predict(x[i], nil, nil, kb, wb)
		if (feasible[i] || !anyFeasible) && means[i] < best {
			best = means[i]
		}
	}

	// Kriging believer: pending trials as if they returned the posterior
	// mean, for the objective and every constraint.
	if len(pending) > 0 {
		px := project(pending)
		xx, yy := slices.Clone(x), slices.Clone(y)
		for _, p := range px {
			m, _ := post.predict(p, nil, nil, kb, wb)
			xx = append(xx, p)
			yy = append(yy, m)
		}
		post = newPosterior(xx, yy, f.cat, h)
		for c, cp := range cons {
			cx, cy := slices.Clone(cdata[c].x), slices.Clone(cdata[c].y)
			b1, b2 := make([]float64, len(cx)), make([]float64, len(cx))
			for _, p := range px {
				m, _ := cp.predict(p, nil, nil, b1, b2)
				cx = append(cx, p)
				cy = append(cy, m)
			}
			cons[c] = newPosterior(cx, cy, f.cat, cp.h)
		}
	}

	a := newAcquisition(post, best, cons, thr, nCons > 0 && !anyFeasible)
	noisy := len(cons) == 0 && h.Noise > s.set.NoisyRatio*h.Scale
	switch s.step(number, noisy, len(cons) == 0 && len(pending) == 0) {
	case stepMean:
		a.beta = meanOnly
	case stepLCB:
		a.beta = s.set.NoisyBeta
	case stepLocal:
		inc := 0
		for i := range y {
			if y[i] < y[inc] {
				inc = i
			}
		}
		if z := s.local(f, x, y, inc, r); z != nil {
			return f.unit(z)
		}
	}

	// The best observed points (by posterior mean, feasible first) seed
	// local perturbations.
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		if feasible[i] != feasible[j] {
			if feasible[i] {
				return -1
			}
			return 1
		}
		return cmp.Compare(means[i], means[j])
	})
	var tops [][]float64
	for _, i := range order[:min(s.set.Tops, len(order))] {
		tops = append(tops, x[i])
	}
	best2 := s.maximize(a, f, tops, r)
	return f.unit(best2)
}

// local proposes a point near x[inc], the best observed trial: a process
// fitted on the trials nearest it, its log expected improvement maximised
// within the box that bounds them (at most LocalMax either side). It
// returns nil when there are too few trials.
func (s *Sampler) local(f features, x [][]float64, y []float64, inc int, r *rand.Rand) []float64 {
	d := len(f.dims)
	k := max(s.set.LocalK, 2*d+2)
	if len(x) < k+2 {
		return nil
	}
	c := x[inc]
	ones := make([]float64, d)
	for j := range ones {
		ones[j] = 1
	}
	dist := make([]float64, len(x))
	idx := make([]int, len(x))
	for i := range x {
		idx[i] = i
		dist[i] = sqDist(x[i], c, f.cat, ones)
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(dist[a], dist[b]) })
	lx, ly := make([][]float64, k), make([]float64, k)
	for i, j := range idx[:k] {
		lx[i], ly[i] = x[j], y[j]
	}
	st := newStandardiser(ly, false)
	for i := range ly {
		ly[i] = st.apply(ly[i])
	}
	post := newPosterior(lx, ly, f.cat, s.fit(lx, ly, f.cat, r))
	box := f
	box.lo, box.hi = make([]float64, d), make([]float64, d)
	for j := range d {
		w := 0.0
		for _, p := range lx {
			w = math.Max(w, math.Abs(p[j]-c[j]))
		}
		w = clampf(w, 1e-3, s.set.LocalMax)
		box.lo[j], box.hi[j] = math.Max(0, c[j]-w), math.Min(1, c[j]+w)
	}
	kb, wb := make([]float64, k), make([]float64, k)
	best := math.Inf(1)
	for _, p := range lx {
		m, _ := post.predict(p, nil, nil, kb, wb)
		best = math.Min(best, m)
	}
	return s.maximize(newAcquisition(post, best, nil, nil, false), box, [][]float64{c}, r)
}
