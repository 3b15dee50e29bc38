package optimizer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/c-bata/goptuna"
	"github.com/c-bata/goptuna/tpe"
)

// globalRand serialises use of math/rand's global source. goptuna v0.9.0's
// TPE and random samplers draw from it (internal/random.ArgMaxMultinomial,
// categorical sampling) besides their seeded generators, so Search reseeds
// it before every batch of suggestions. That requires GODEBUG
// randseednop=0, which cmd/attune and the tests set with //go:debug.
var globalRand sync.Mutex

// ErrUnseedable is returned when math/rand's global source ignores Seed
// (Go 1.24+ without GODEBUG=randseednop=0): the search would not be
// reproducible.
var ErrUnseedable = errors.New("math/rand global source cannot be seeded; build with //go:debug randseednop=0 or set GODEBUG=randseednop=0 (goptuna draws from it, and reproducible searches need it seeded)")

// seedGlobal seeds math/rand's global source and checks that it took.
func seedGlobal(seed int64) error {
	rand.Seed(seed) //lint:ignore SA1019 goptuna reads the global source, which only Seed can fix
	a := rand.Int63()
	rand.Seed(seed) //lint:ignore SA1019 as above
	if rand.Int63() != a {
		return ErrUnseedable
	}
	rand.Seed(seed) //lint:ignore SA1019 as above
	return nil
}

// Evaluation is what the objective says of one parameter set. Higher Value
// is better.
type Evaluation struct {
	Value float64
	// Violation is 0 when every constraint holds, else how badly they fail.
	Violation float64
}

// Feasible reports whether the evaluation satisfies every constraint.
func (e Evaluation) Feasible() bool { return e.Violation == 0 }

// better reports whether a beats b: feasible before infeasible, then the
// smaller violation, then the higher value.
func (e Evaluation) better(b Evaluation) bool {
	if math.IsNaN(b.Value) || math.IsNaN(b.Violation) {
		return !math.IsNaN(e.Value) && !math.IsNaN(e.Violation)
	}
	if math.IsNaN(e.Value) || math.IsNaN(e.Violation) {
		return false
	}
	if e.Feasible() != b.Feasible() {
		return e.Feasible()
	}
	if !e.Feasible() && e.Violation != b.Violation {
		return e.Violation < b.Violation
	}
	return e.Value > b.Value
}

// penalised is the value TPE sees: infeasible points rank below every
// feasible one the objective is likely to produce.
func (e Evaluation) penalised() float64 {
	if e.Feasible() {
		return e.Value
	}
	return e.Value - 1e3*(1+e.Violation)
}

// Objective evaluates a parameter set. It must be safe for concurrent use
// and deterministic for given parameters.
type Objective func(ctx context.Context, params map[string]float64) (Evaluation, error)

// Trial is one evaluated parameter set.
type Trial struct {
	Number int
	Params map[string]float64
	Eval   Evaluation
}

// Progress reports a search under way.
type Progress struct {
	Done, Total int
	Best        Trial
	Elapsed     time.Duration
}

// ETA estimates the time left from the pace so far.
func (p Progress) ETA() time.Duration {
	if p.Done == 0 {
		return 0
	}
	return time.Duration(float64(p.Elapsed) / float64(p.Done) * float64(p.Total-p.Done))
}

// Options configure a search.
type Options struct {
	// Sampler is "tpe" (default) or "random".
	Sampler string
	// Trials is the total number of evaluations, the baseline included.
	Trials int
	// Batch is the number of trials proposed before their results are
	// known; it shapes the search, the number of workers does not.
	Batch int
	// Workers evaluates a batch in parallel; 0 means GOMAXPROCS.
	Workers int
	Seed    uint64
	// Progress, when set, is called after each batch.
	Progress func(Progress)
}

// Result is a finished search.
type Result struct {
	// Trials holds every evaluation in order; Trials[0] is the baseline.
	Trials []Trial
	// Best indexes the best trial: feasible first, then highest value.
	Best int
}

// Search evaluates the baseline (the parameters in force, which may lie
// outside space) as trial 0 and then Trials-1 parameter sets proposed by the
// sampler over space, and returns them all with the best. Parameters of
// baseline not in space are passed to the objective unchanged. The search
// is deterministic for a seed and a batch size.
func Search(ctx context.Context, space Space, baseline map[string]float64, obj Objective, opt Options) (*Result, error) {
	if opt.Trials < 1 {
		return nil, fmt.Errorf("optimizer: trials = %d; want at least 1: %w", opt.Trials, ErrInvalid)
	}
	batch := max(opt.Batch, 1)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var sampler goptuna.Sampler
	switch opt.Sampler {
	case "", "tpe":
		sampler = tpe.NewSampler(tpe.SamplerOptionSeed(int64(opt.Seed)))
	case "random":
		sampler = goptuna.NewRandomSampler(goptuna.RandomSamplerOptionSeed(int64(opt.Seed)))
	default:
		return nil, fmt.Errorf("optimizer: unknown sampler %q; want tpe or random: %w", opt.Sampler, ErrInvalid)
	}
	study, err := goptuna.CreateStudy("attune",
		goptuna.StudyOptionDirection(goptuna.StudyDirectionMaximize),
		goptuna.StudyOptionSampler(sampler),
		goptuna.StudyOptionLogger(nil))
	if err != nil {
		return nil, fmt.Errorf("optimizer: create study: %w", err)
	}
	start := time.Now()
	res := &Result{}
	eval := func(ps []map[string]float64) ([]Evaluation, error) {
		out := make([]Evaluation, len(ps))
		errs := make([]error, len(ps))
		var wg sync.WaitGroup
		sem := make(chan struct{}, workers)
		for i, p := range ps {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				out[i], errs[i] = obj(ctx, merge(baseline, p))
			}()
		}
		wg.Wait()
		return out, errors.Join(errs...)
	}
	record := func(p map[string]float64, e Evaluation) {
		res.Trials = append(res.Trials, Trial{Number: len(res.Trials), Params: merge(baseline, p), Eval: e})
		if e.better(res.Trials[res.Best].Eval) {
			res.Best = len(res.Trials) - 1
		}
	}
	report := func() {
		if opt.Progress != nil {
			opt.Progress(Progress{Done: len(res.Trials), Total: opt.Trials, Best: res.Trials[res.Best], Elapsed: time.Since(start)})
		}
	}

	// Trial 0: the baseline, told to the sampler when it lies in the space.
	base, err := eval([]map[string]float64{{}})
	if err != nil {
		return nil, fmt.Errorf("optimizer: baseline: %w", err)
	}
	record(nil, base[0])
	if err := tellBaseline(study, space, baseline, base[0]); err != nil {
		return nil, err
	}
	report()

	for len(res.Trials) < opt.Trials {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("optimizer: stopped after %d of %d trials: %w", len(res.Trials), opt.Trials, err)
		}
		n := min(batch, opt.Trials-len(res.Trials))
		ids := make([]int, n)
		ps := make([]map[string]float64, n)
		globalRand.Lock()
		err := seedGlobal(int64(opt.Seed) ^ int64(len(res.Trials))*0x5851f42d4c957f2d)
		for i := 0; i < n && err == nil; i++ {
			ids[i], ps[i], err = ask(study, space)
		}
		globalRand.Unlock()
		if err != nil {
			return res, err
		}
		evs, err := eval(ps)
		if err != nil {
			for _, id := range ids {
				_ = study.Storage.SetTrialState(id, goptuna.TrialStateFail)
			}
			if ctx.Err() != nil {
				return res, fmt.Errorf("optimizer: stopped after %d of %d trials: %w", len(res.Trials), opt.Trials, ctx.Err())
			}
			return res, fmt.Errorf("optimizer: trials %d to %d: %w", len(res.Trials), len(res.Trials)+n-1, err)
		}
		for i := range n {
			if err := tell(study, ids[i], evs[i]); err != nil {
				return res, err
			}
			record(ps[i], evs[i])
		}
		report()
	}
	return res, nil
}

// merge returns base with the values of p laid over it.
func merge(base, p map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(base)+len(p))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range p {
		out[k] = v
	}
	return out
}

// ask creates a trial and samples every parameter of space for it.
func ask(study *goptuna.Study, space Space) (int, map[string]float64, error) {
	id, err := study.Storage.CreateNewTrial(study.ID)
	if err != nil {
		return 0, nil, fmt.Errorf("optimizer: new trial: %w", err)
	}
	t := goptuna.Trial{Study: study, ID: id}
	p := make(map[string]float64, len(space))
	for _, sp := range space {
		var v float64
		switch sp.Kind {
		case Float:
			v, err = t.SuggestFloat(sp.Name, sp.Low, sp.High)
		case Log:
			v, err = t.SuggestLogFloat(sp.Name, sp.Low, sp.High)
		case Int:
			var iv int
			iv, err = t.SuggestInt(sp.Name, int(sp.Low), int(sp.High))
			v = float64(iv)
		case Categorical:
			var s string
			s, err = t.SuggestCategorical(sp.Name, choiceStrings(sp.Choices))
			if err == nil {
				v, err = strconv.ParseFloat(s, 64)
			}
		default:
			err = fmt.Errorf("unknown kind %q: %w", sp.Kind, ErrInvalid)
		}
		if err != nil {
			return 0, nil, fmt.Errorf("optimizer: suggest %s: %w", sp.Name, err)
		}
		p[sp.Name] = v
	}
	return id, p, nil
}

func tell(study *goptuna.Study, id int, e Evaluation) error {
	v := e.penalised()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return study.Storage.SetTrialState(id, goptuna.TrialStateFail)
	}
	if err := study.Storage.SetTrialValue(id, v); err != nil {
		return fmt.Errorf("optimizer: record trial: %w", err)
	}
	if err := study.Storage.SetTrialState(id, goptuna.TrialStateComplete); err != nil {
		return fmt.Errorf("optimizer: record trial: %w", err)
	}
	return nil
}

// tellBaseline records the baseline as a completed trial when every
// searched parameter's value in force lies in the space, so the sampler
// learns from it.
func tellBaseline(study *goptuna.Study, space Space, baseline map[string]float64, e Evaluation) error {
	for _, sp := range space {
		if v, ok := baseline[sp.Name]; !ok || !sp.Contains(v) {
			return nil
		}
	}
	id, err := study.Storage.CreateNewTrial(study.ID)
	if err != nil {
		return fmt.Errorf("optimizer: baseline trial: %w", err)
	}
	for _, sp := range space {
		v := baseline[sp.Name]
		var dist any
		internal := v
		switch sp.Kind {
		case Float:
			dist = goptuna.UniformDistribution{Low: sp.Low, High: sp.High}
		case Log:
			dist = goptuna.LogUniformDistribution{Low: sp.Low, High: sp.High}
		case Int:
			dist = goptuna.IntUniformDistribution{Low: int(sp.Low), High: int(sp.High)}
		case Categorical:
			dist = goptuna.CategoricalDistribution{Choices: choiceStrings(sp.Choices)}
			for i, c := range sp.Choices {
				if c == v {
					internal = float64(i)
				}
			}
		}
		if err := study.Storage.SetTrialParam(id, sp.Name, internal, dist); err != nil {
			return fmt.Errorf("optimizer: baseline %s: %w", sp.Name, err)
		}
	}
	return tell(study, id, e)
}

func choiceStrings(cs []float64) []string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = strconv.FormatFloat(c, 'g', -1, 64)
	}
	return s
}
