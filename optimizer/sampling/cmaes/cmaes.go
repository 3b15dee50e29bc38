// Package cmaes is attune's CMA-ES sampler, registered as "cmaes": the
// covariance matrix adaptation evolution strategy of Hansen's tutorial, as
// the cmaes Python library behind Optuna's CmaEsSampler runs it (same
// default population, 4 + ⌊3 ln d⌋, same weights, learning rates and
// stopping tests, initial mean at the centre of the box and step size a
// sixth of its width), over the unit cube of sampling.Space, with IPOP
// restarts: whenever the search converges, it starts again from a random
// point with twice the population.
//
// # State from storage
//
// The sampler keeps no state of its own. Every proposal replays the
// study's history: starting from the initial distribution, it tells the
// search, generation after generation, the first popsize complete trials
// that were proposed in that generation (in trial order), restarting where
// the stopping test says so, and then draws the new trial from the
// resulting distribution with the random stream of (seed, trial number).
// Each proposal records its restart and generation in the trial's system
// attribute GenerationAttr, and the point the search drew (before integer
// levels were snapped) in SolutionAttr. The distribution is therefore a
// function of the seed and the history alone: two processes sharing a
// storage, or a study resumed by a new process, propose exactly what one
// uninterrupted process would. An in-memory cache of replayed
// distributions, keyed by a hash of everything told to them, saves the
// linear algebra; it never changes a result.
//
// A generation is complete when popsize of its trials are complete; trials
// that failed, were pruned or are still running do not count, and the
// generation goes on asking until it has enough. Running trials of the
// current generation are therefore fine: a batch of popsize parallel
// trials is the natural way to run CMA-ES. Trials not proposed by the
// search (enqueued or fixed ones, start-up trials, another sampler's) are
// not told to it.
//
// # Parameters
//
// Continuous parameters (log-scaled ones in logs) and integer or discrete
// ones are searched by CMA-ES in the unit cube; integer and discrete values
// are the levels the points fall in. A one-dimensional space is searched
// the same way. Categorical parameters are drawn independently of the
// rest: each level with a probability that grows with the share of its
// trials among the best quarter of the study, and never below a floor, so
// that every level keeps being tried.
//
// # Constraints
//
// When trials carry constraints (sampling.ConstraintsAttr), a generation
// is ranked feasible trials first (by loss), then infeasible ones by their
// violation, so the search is pushed out of the infeasible region.
package cmaes

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// System attributes of the trials the sampler proposes.
const (
	// GenerationAttr holds "restart:generation", the restart and the
	// generation of the search the trial was drawn in, both from 0.
	GenerationAttr = "attune:cmaes:generation"
	// SolutionAttr holds the point in the unit cube the search drew, its
	// coordinates separated by spaces in the order of the space's
	// continuous and integer dimensions. It is what the search is told:
	// integer levels are snapped only in the trial's parameters.
	SolutionAttr = "attune:cmaes:x"
)

const (
	// defaultSigma0 is the initial step size in the unit cube (Optuna: a
	// sixth of the narrowest range).
	defaultSigma0 = 1.0 / 6
	// maxPopsize bounds the population IPOP restarts double.
	maxPopsize = 4096
	// maxCache bounds the replay cache and the cache of parsed points;
	// each is emptied when full.
	maxCache = 1 << 14
	// fixedParamsAttr is goptuna's system attribute of enqueued trials.
	fixedParamsAttr = "fixed_params"
)

func init() {
	sampling.Register("cmaes", func(c sampling.Config) (sampling.Sampler, error) { return New(c), nil })
}

// Option adjusts a sampler.
type Option func(*Sampler)

// WithPopulationSize sets the population of the first run (0: the
// default 4 + ⌊3 ln d⌋ for d searched dimensions; at least 2); restarts
// double it.
func WithPopulationSize(n int) Option {
	return func(s *Sampler) { s.popsize = max(n, 0) }
}

// WithWarmStart makes the first run start from the best complete trial
// the search did not propose (an enqueued baseline, say) that precedes
// the search's first trial, instead of the centre of the box. It pays only
// when that trial is better than the centre: on the benchmark problems,
// started from a random baseline, it is markedly worse, so it is off by
// default.
func WithWarmStart(on bool) Option {
	return func(s *Sampler) { s.warm = on }
}

// Sampler is the CMA-ES sampler. It is safe for concurrent use.
type Sampler struct {
	seed    uint64
	startup int
	popsize int
	warm    bool
	sigma0  float64

	mu     sync.Mutex
	cache  map[[sha256.Size]byte]*state
	points map[string][]float64 // parsed SolutionAttr values
}

// New returns a CMA-ES sampler. Config.Seed fixes every draw;
// Config.Startup, when positive, is the number of complete trials below
// which trials are drawn uniformly at random instead (default 0: the
// search starts at once, from the centre). Budget and Batch are not used.
func New(c sampling.Config, opts ...Option) *Sampler {
	s := &Sampler{seed: c.Seed, startup: max(c.Startup, 0), sigma0: defaultSigma0, cache: map[[sha256.Size]byte]*state{}, points: map[string][]float64{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// state is the search after some generations: which restart, and its
// distribution.
type state struct {
	restart int
	cma     *cma
}

// SampleRelative proposes every parameter of the space.
func (s *Sampler) SampleRelative(study *goptuna.Study, trial goptuna.FrozenTrial, searchSpace map[string]any) (map[string]float64, error) {
	return sampling.Relative(study, trial, searchSpace, func(space sampling.Space, h sampling.History) ([]float64, error) {
		return s.propose(study, trial, space, h)
	})
}

// propose is the trial's point: uniform during the start-up, then the
// categorical levels by their record and the rest by CMA-ES.
func (s *Sampler) propose(study *goptuna.Study, trial goptuna.FrozenTrial, space sampling.Space, h sampling.History) ([]float64, error) {
	u := make([]float64, len(space))
	if len(h.Complete) < s.startup {
		r := sampling.Rand(s.seed, trial.Number, "cmaes:startup")
		for i := range u {
			u[i] = r.Float64()
		}
		return u, nil
	}
	var searched, categorical []int
	for i, d := range space {
		u[i] = 0.5
		switch {
		case d.Single():
		case d.Kind == sampling.Categorical:
			categorical = append(categorical, i)
		default:
			searched = append(searched, i)
		}
	}
	if len(categorical) > 0 {
		order := rank(h.Complete)
		for _, i := range categorical {
			u[i] = s.level(h, order, i, trial.Number)
		}
	}
	if len(searched) > 0 {
		trials, err := study.GetTrials()
		if err != nil && err != goptuna.ErrTrialsPartiallyDeleted {
			return nil, fmt.Errorf("cmaes: read trials: %w", err)
		}
		st, err := s.replay(h, trials, searched)
		if err != nil {
			return nil, err
		}
		x := st.cma.ask(sampling.Rand(s.seed, trial.Number, "cmaes"))
		for j, i := range searched {
			u[i] = x[j]
		}
		if _, fixed := trial.SystemAttrs[fixedParamsAttr]; !fixed {
			gen := strconv.Itoa(st.restart) + ":" + strconv.Itoa(st.cma.g)
			if err := study.Storage.SetTrialSystemAttr(trial.ID, GenerationAttr, gen); err != nil {
				return nil, fmt.Errorf("cmaes: trial %d: %w", trial.Number, err)
			}
			if err := study.Storage.SetTrialSystemAttr(trial.ID, SolutionAttr, formatPoint(x)); err != nil {
				return nil, fmt.Errorf("cmaes: trial %d: %w", trial.Number, err)
			}
		}
	}
	return u, nil
}

// Sample draws a parameter outside the relative search space.
func (s *Sampler) Sample(_ *goptuna.Study, trial goptuna.FrozenTrial, name string, dist any) (float64, error) {
	return sampling.Independent(s.seed, trial, name, dist)
}

// member is a complete trial of a generation and the point it was told as.
type member struct {
	o sampling.Observed
	x []float64
}

type genKey struct{ restart, generation int }

// replay rebuilds the search from the history over the searched
// dimensions of the space.
func (s *Sampler) replay(h sampling.History, trials []goptuna.FrozenTrial, searched []int) (*state, error) {
	type tag struct {
		key genKey
		x   string
	}
	tags := make(map[int]tag, len(trials))
	for _, t := range trials {
		g, ok := t.SystemAttrs[GenerationAttr]
		if !ok {
			continue
		}
		k, ok := parseGen(g)
		if !ok {
			continue
		}
		tags[t.Number] = tag{k, t.SystemAttrs[SolutionAttr]}
	}

	groups := map[genKey][]member{}
	firstTagged := math.MaxInt
	for _, t := range trials {
		if tg, ok := tags[t.Number]; ok && tg.key.restart == 0 {
			firstTagged = min(firstTagged, t.Number)
		}
	}
	var foreign []sampling.Observed
	for _, o := range h.Complete {
		tg, ok := tags[o.Number]
		if !ok {
			if o.Number < firstTagged {
				foreign = append(foreign, o)
			}
			continue
		}
		x, ok := s.point(tg.x, len(searched))
		if !ok || !matches(h.Space, searched, x, o.U) {
			continue // proposed, but its parameters were set otherwise
		}
		groups[tg.key] = append(groups[tg.key], member{o, x})
	}

	dim := len(searched)
	x0 := make([]float64, dim)
	for i := range x0 {
		x0[i] = 0.5
	}
	if s.warm && len(foreign) > 0 {
		best := 0
		for i, o := range foreign {
			if sampling.Better(o, foreign[best]) {
				best = i
			}
		}
		for j, i := range searched {
			x0[j] = foreign[best].U[i]
		}
	}

	hash := sha256.New()
	var buf []byte
	buf = binary.LittleEndian.AppendUint64(buf, s.seed)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(s.popsize))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(dim))
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(s.sigma0))
	for _, v := range x0 {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	hash.Write(buf)
	var key [sha256.Size]byte
	hash.Sum(key[:0])

	st, err := s.cached(key, func() (*state, error) {
		c, err := newCMA(x0, s.sigma0, s.popsize)
		return &state{cma: c}, err
	})
	if err != nil {
		return nil, err
	}
	for {
		ms := groups[genKey{st.restart, st.cma.g}]
		if len(ms) < st.cma.popsize {
			return st, nil
		}
		ms = ms[:st.cma.popsize]
		sort.SliceStable(ms, func(a, b int) bool { return sampling.Better(ms[a].o, ms[b].o) })
		best, worst := ms[0].o.Loss, ms[len(ms)-1].o.Loss

		buf = append(buf[:0], key[:]...)
		for _, m := range ms {
			for _, v := range m.x {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
			}
		}
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(best))
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(worst))
		hash.Reset()
		hash.Write(buf)
		hash.Sum(key[:0])

		prev := st
		st, err = s.cached(key, func() (*state, error) {
			xs := make([][]float64, len(ms))
			for i, m := range ms {
				xs[i] = m.x
			}
			c, err := prev.cma.tell(xs, best, worst)
			if err != nil {
				return nil, err
			}
			if !c.shouldStop() {
				return &state{restart: prev.restart, cma: c}, nil
			}
			// IPOP: start again from a random point with twice the population.
			r := prev.restart + 1
			rng := sampling.Rand(s.seed, r, "cmaes:restart")
			mean := make([]float64, dim)
			for i := range mean {
				mean[i] = rng.Float64()
			}
			c, err = newCMA(mean, s.sigma0, min(2*prev.cma.popsize, maxPopsize))
			return &state{restart: r, cma: c}, err
		})
		if err != nil {
			return nil, err
		}
	}
}

// cached returns the state under key, computing and storing it if absent.
func (s *Sampler) cached(key [sha256.Size]byte, compute func() (*state, error)) (*state, error) {
	s.mu.Lock()
	st, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := compute()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.cache) >= maxCache {
		clear(s.cache)
	}
	s.cache[key] = st
	s.mu.Unlock()
	return st, nil
}

// point parses a SolutionAttr value of dim coordinates, through a cache
// (parsing is most of the cost of a replay).
func (s *Sampler) point(attr string, dim int) ([]float64, bool) {
	s.mu.Lock()
	x, ok := s.points[attr]
	s.mu.Unlock()
	if ok {
		return x, len(x) == dim
	}
	x, ok = parsePoint(attr, dim)
	if !ok {
		x = nil
	}
	s.mu.Lock()
	if len(s.points) >= maxCache {
		clear(s.points)
	}
	s.points[attr] = x
	s.mu.Unlock()
	return x, ok
}

// matches reports whether a trial's point u is what the drawn point x
// decodes to.
func matches(space sampling.Space, searched []int, x, u []float64) bool {
	for j, i := range searched {
		if math.Abs(space[i].Snap(x[j])-u[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func parseGen(s string) (genKey, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return genKey{}, false
	}
	r, err1 := strconv.Atoi(a)
	g, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || r < 0 || g < 0 {
		return genKey{}, false
	}
	return genKey{r, g}, true
}

func formatPoint(x []float64) string {
	var b []byte
	for i, v := range x {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return string(b)
}

func parsePoint(s string, dim int) ([]float64, bool) {
	x := make([]float64, 0, dim)
	for f := range strings.FieldsSeq(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || len(x) == dim {
			return nil, false
		}
		x = append(x, v)
	}
	return x, len(x) == dim
}
