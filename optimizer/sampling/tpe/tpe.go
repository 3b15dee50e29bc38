// Package tpe is attune's tree-structured Parzen estimator, registered as
// "tpe": a multivariate TPE in the manner of Optuna's
// TPESampler(multivariate=True, constant_liar=True, constraints_func=...)
// and of Watanabe's "Tree-structured Parzen Estimator: Understanding Its
// Algorithm Components and Their Roles for Better Empirical Performance"
// (2023).
//
// The first trials of a study are points of a randomly shifted Sobol
// sequence. After them, the complete trials are ranked (feasible before
// infeasible, infeasible ones by total violation, feasible ones by loss)
// and split into a good group, the best gamma(n) of them, and a bad group,
// the rest together with every trial still running (the constant liar, so
// that the trials of a parallel batch spread out). Each group is modelled
// in the unit cube by a mixture of product kernels, one per trial plus a
// wide prior component: truncated Gaussians on [0, 1] for continuous
// dimensions, the same integrated over each level's cell for ordinal
// (integer, stepped) dimensions, and an Aitchison-Aitken kernel over the
// levels of a categorical dimension. Older trials weigh less, as in Optuna.
// Candidates are drawn from the good model l and the one maximising
// log l(x) - log g(x) is proposed.
//
// It shares goptuna's interfaces only. goptuna v0.9.0's own tpe package is
// not used: its expected-improvement score is NaN for every candidate, its
// Gaussian kernel divides the distance by the variance instead of squaring
// the standardised distance, and its log-sum-exp sums logarithms. Compared
// with Optuna's default TPE (independent per parameter, 24 candidates), this
// one models the parameters jointly, sets each kernel's bandwidth per
// dimension from the spread of its group (Scott's rule) rather than from a
// fixed fraction of the range, draws more candidates, and starts from
// quasi-random rather than random points. Those defaults were tuned on
// the 14 problems of attune's optimizer benchmark against Optuna 3.1's
// results (see Defaults and TestExperiment in the package's tests).
package tpe

import (
	"cmp"
	"math"
	"slices"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/qmc"
)

func init() {
	sampling.Register("tpe", func(c sampling.Config) (sampling.Sampler, error) { return New(c), nil })
}

// Settings are the knobs of the estimator. Defaults returns the tuned ones.
type Settings struct {
	// Startup is the number of complete trials before the model is used;
	// until then trials take points of a shifted Sobol sequence.
	Startup int
	// Candidates is the number of points drawn from the good model per
	// proposal.
	Candidates int
	// GammaFrac and GammaMax size the good group: ceil(GammaFrac*n), at
	// most GammaMax (0: no limit), at least 1, of n complete trials.
	GammaFrac float64
	GammaMax  int
	// PriorWeight is the weight of each model's prior component (a
	// Gaussian at the centre of the cube with the cube's width) relative
	// to a trial's weight of at most 1; 0 makes it negligible.
	PriorWeight float64
	// Bandwidth scales the kernels' widths. With ScottStd the width in a
	// dimension is Bandwidth * (the group's standard deviation there) *
	// n^(-1/(d+4)); otherwise it is Bandwidth * n^(-1/(d+4)) in every
	// dimension, Optuna's rule when Bandwidth is 0.2.
	Bandwidth float64
	ScottStd  bool
	// MinBandwidth is the smallest width, as a fraction of the cube;
	// with MagicClip the floor is also 1/min(100, 1+components), Optuna's
	// "magic clip".
	MinBandwidth float64
	MagicClip    bool
	// RecentFlat is the number of most recent trials of a group that
	// weigh 1; older ones weigh linearly less (Optuna: 25). 0 weighs all
	// trials alike.
	RecentFlat int
	// MarginalFrac, in [0, 1], is the fraction of the candidates drawn
	// from the product of the good model's marginals (each dimension from
	// a component of its own) rather than from the model itself.
	MarginalFrac float64
}

// Defaults are the settings New uses, tuned on the benchmark problems.
func Defaults() Settings {
	return Settings{
		Startup:      10,
		Candidates:   48,
		GammaFrac:    0.1,
		GammaMax:     25,
		PriorWeight:  1,
		Bandwidth:    1,
		ScottStd:     true,
		MinBandwidth: 0.001,
		MagicClip:    true,
		RecentFlat:   25,
	}
}

// Sampler is a multivariate TPE sampler. It keeps no state beyond a cache
// of Sobol points; it is safe for concurrent use.
type Sampler struct {
	seed uint64
	set  Settings
	qmc  *qmc.Sampler
}

// New returns a TPE sampler with the default settings; c.Startup, when
// positive, replaces the default start-up length. c.Batch and c.Budget are
// not needed: the trials still running are read from the study.
func New(c sampling.Config) *Sampler {
	s := Defaults()
	if c.Startup > 0 {
		s.Startup = c.Startup
	}
	return NewWithSettings(c.Seed, s)
}

// NewWithSettings returns a TPE sampler with the given settings; values
// out of range are replaced by the defaults'.
func NewWithSettings(seed uint64, s Settings) *Sampler {
	d := Defaults()
	if s.Startup < 1 {
		s.Startup = d.Startup
	}
	if s.Candidates < 1 {
		s.Candidates = d.Candidates
	}
	if !(s.GammaFrac > 0 && s.GammaFrac < 1) {
		s.GammaFrac = d.GammaFrac
	}
	if s.GammaMax < 1 {
		s.GammaMax = 1 << 30
	}
	if !(s.PriorWeight >= 0) || math.IsInf(s.PriorWeight, 0) {
		s.PriorWeight = d.PriorWeight
	}
	if !(s.Bandwidth > 0) || math.IsInf(s.Bandwidth, 0) {
		s.Bandwidth = d.Bandwidth
	}
	if !(s.MinBandwidth > 0 && s.MinBandwidth <= 1) {
		s.MinBandwidth = d.MinBandwidth
	}
	s.RecentFlat = max(s.RecentFlat, 0)
	if !(s.MarginalFrac > 0) {
		s.MarginalFrac = 0
	}
	s.MarginalFrac = math.Min(s.MarginalFrac, 1)
	return &Sampler{seed: seed, set: s, qmc: qmc.New(seed ^ 0x7470652d736f626f)}
}

// Settings returns the sampler's settings.
func (s *Sampler) Settings() Settings { return s.set }

// SampleRelative proposes every parameter of the search space at once.
func (s *Sampler) SampleRelative(study *goptuna.Study, trial goptuna.FrozenTrial, searchSpace map[string]any) (map[string]float64, error) {
	return sampling.Relative(study, trial, searchSpace, func(_ sampling.Space, h sampling.History) ([]float64, error) {
		return s.propose(h, trial.Number)
	})
}

// Sample draws one parameter outside the relative search space.
func (s *Sampler) Sample(_ *goptuna.Study, trial goptuna.FrozenTrial, name string, dist any) (float64, error) {
	return sampling.Independent(s.seed, trial, name, dist)
}

// usable reports whether a complete trial can be modelled: a finite loss.
func usable(o sampling.Observed) bool {
	return !math.IsNaN(o.Loss) && !math.IsInf(o.Loss, 0)
}

// propose returns the point in the unit cube for trial number, given the
// history: a Sobol point during start-up, the TPE's choice after.
func (s *Sampler) propose(h sampling.History, number int) ([]float64, error) {
	space := h.Space
	complete := make([]sampling.Observed, 0, len(h.Complete))
	for _, o := range h.Complete {
		if usable(o) {
			complete = append(complete, o)
		}
	}
	// Dimensions with one value are not modelled.
	var active []int
	for i, d := range space {
		if !d.Single() {
			active = append(active, i)
		}
	}
	u := make([]float64, len(space))
	for i := range u {
		u[i] = 0.5
	}
	if len(active) == 0 {
		return u, nil
	}
	if len(complete) < s.set.Startup {
		p, err := s.qmc.Point(len(space), number)
		if err != nil {
			// Beyond the Sobol sequence: uniform points.
			r := sampling.Rand(s.seed, number, "tpe:startup")
			p = make([]float64, len(space))
			for i := range p {
				p[i] = r.Float64()
			}
		}
		for _, i := range active {
			u[i] = space[i].Snap(p[i])
		}
		return u, nil
	}
	x := s.tpe(space, active, complete, h.Pending, number)
	for k, i := range active {
		u[i] = space[i].Snap(x[k])
	}
	return u, nil
}

// split ranks the complete trials and returns the good and the bad group,
// each in trial order; pending trials join the bad group. The ranking is
// sampling.Better's: feasible trials by loss, then infeasible ones by
// violation; ties go to the earlier trial.
func (s *Sampler) split(complete, pending []sampling.Observed) (good, bad []sampling.Observed) {
	type key struct {
		primary float64 // -1 when feasible, else the violation (> 0)
		loss    float64
		number  int
		i       int
	}
	less := func(a, b key) bool {
		if a.primary != b.primary {
			return a.primary < b.primary
		}
		if a.loss != b.loss {
			return a.loss < b.loss
		}
		return a.number < b.number
	}
	n := len(complete)
	nGood := min(int(math.Ceil(s.set.GammaFrac*float64(n))), s.set.GammaMax)
	nGood = max(min(nGood, n), 1)
	// The best nGood, kept sorted by insertion: most trials are worse
	// than the worst of them and cost one comparison.
	top := make([]key, 0, nGood+1)
	for i, o := range complete {
		k := key{primary: -1, loss: o.Loss, number: o.Number, i: i}
		if !o.Feasible() {
			k.primary = o.Violation()
		}
		if len(top) == nGood && !less(k, top[nGood-1]) {
			continue
		}
		j := len(top)
		for j > 0 && less(k, top[j-1]) {
			j--
		}
		top = slices.Insert(top, j, k)
		if len(top) > nGood {
			top = top[:nGood]
		}
	}
	isGood := make([]bool, n)
	for _, k := range top {
		isGood[k.i] = true
	}
	good = make([]sampling.Observed, 0, nGood)
	bad = make([]sampling.Observed, 0, n-nGood+len(pending))
	for i, o := range complete {
		if isGood[i] {
			good = append(good, o)
		} else {
			bad = append(bad, o)
		}
	}
	bad = append(bad, pending...)
	byNumber := func(a, b sampling.Observed) int { return cmp.Compare(a.Number, b.Number) }
	if !slices.IsSortedFunc(good, byNumber) {
		slices.SortStableFunc(good, byNumber)
	}
	if !slices.IsSortedFunc(bad, byNumber) {
		slices.SortStableFunc(bad, byNumber)
	}
	return good, bad
}

// weights are Optuna's: the RecentFlat most recent trials weigh 1, older
// ones linearly less, down to 1/n.
func (s *Sampler) weights(n int) []float64 {
	w := make([]float64, n)
	flat := s.set.RecentFlat
	if flat == 0 || n <= flat {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	ramp := n - flat
	for i := range ramp {
		if ramp == 1 {
			w[i] = 1.0 / float64(n)
		} else {
			w[i] = 1.0/float64(n) + (1-1.0/float64(n))*float64(i)/float64(ramp-1)
		}
	}
	for i := ramp; i < n; i++ {
		w[i] = 1
	}
	return w
}

// tpe fits the two models over the active dimensions and returns the best
// of the candidates drawn from the good one, in active-dimension order.
func (s *Sampler) tpe(space sampling.Space, active []int, complete, pending []sampling.Observed, number int) []float64 {
	dims := make([]sampling.Dim, len(active))
	for k, i := range active {
		dims[k] = space[i]
	}
	good, bad := s.split(complete, pending)
	project := func(obs []sampling.Observed) []float64 {
		out := make([]float64, 0, len(obs)*len(active))
		for _, o := range obs {
			for _, i := range active {
				out = append(out, o.U[i])
			}
		}
		return out
	}
	l := fit(dims, project(good), s.weights(len(good)), s.set, true)
	g := fit(dims, project(bad), s.weights(len(bad)), s.set, false)

	r := sampling.Rand(s.seed, number, "tpe")
	best, bestScore := []float64(nil), math.Inf(-1)
	x := make([]float64, len(dims))
	buf := make([]float64, max(l.n, g.n))
	nMarginal := int(math.Round(s.set.MarginalFrac * float64(s.set.Candidates)))
	for c := range s.set.Candidates {
		l.draw(r, x, c < nMarginal)
		score := l.logPDF(x, buf) - g.logPDF(x, buf)
		if best == nil || score > bestScore {
			best, bestScore = slices.Clone(x), score
		}
	}
	return best
}
