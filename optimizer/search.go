package optimizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	// The samplers attune ships, registered by name.
	_ "github.com/attune-dao/attune/optimizer/sampling/install"
)

// Evaluation is what the objective says of one parameter set. Higher Value
// is better.
type Evaluation struct {
	Value float64
	// Violation is 0 when every constraint holds, else how badly they fail.
	Violation float64
	// Objectives are the objectives' separate values, higher better, for
	// the Pareto set and presets; optional.
	Objectives []float64
	// Constraints are the constraints' separate values, each feasible when
	// <= 0; optional. Samplers model them to steer clear of infeasible
	// regions. Without them a sampler sees Violation as one constraint.
	Constraints []float64
}

// constraintValues are the values a sampler sees for the constraints: each
// constraint's, or the violation as one; nil when there are none to see.
func (e Evaluation) constraintValues() []float64 {
	if len(e.Constraints) > 0 {
		out := make([]float64, len(e.Constraints))
		for i, c := range e.Constraints {
			out[i] = finiteOr(c, 1e300)
		}
		return out
	}
	if e.Violation != 0 {
		return []float64{finiteOr(e.Violation, 1e300)}
	}
	return nil
}

// finiteOr replaces NaN and infinities, which JSON cannot carry.
func finiteOr(v, or float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return or
	}
	return v
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
	// Sampler names a registered sampler (sampling.Names); empty means
	// DefaultSampler.
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
	// Finalists, with Reevaluate, re-evaluates the best Finalists trials
	// (distinct parameter sets, by their search evaluation) once the
	// search is done, and makes the best of them by the re-evaluation the
	// winner: with a noisy objective the best search evaluation is partly
	// luck, and a second, larger estimate corrects for it.
	Finalists int
	// Reevaluate is the finalists' objective: typically more replications
	// on seeds the search did not use.
	Reevaluate Objective
	// Storage keeps the study (goptuna's Storage interface; attune's
	// optimizer/storage holds it in SQLite or PostgreSQL). nil keeps it in
	// memory for this call only.
	Storage goptuna.Storage
	// Study names the study in Storage; empty means "attune".
	Study string
	// Resume, for a study that exists, runs again the trials it holds as
	// running: they belong to a process that stopped. Set it only when no
	// other process works on the study.
	Resume bool
	// Warm are parameter sets evaluated right after the baseline, before
	// the sampler proposes any: the best trials of an earlier cycle, say.
	// Sets outside the space, or equal to the baseline, are skipped.
	Warm []map[string]float64
	// Deterministic says the objective returns the same evaluation for the
	// same parameters (attune's does: every trial runs on the same seeds),
	// so a parameter set proposed again reuses its first evaluation rather
	// than run the simulations again. The trial still counts.
	Deterministic bool
	// Join works on a stored study another process created (a worker):
	// Trials is the study's own budget, the baseline and warm start are
	// the creator's, and Search returns when the study holds its trials.
	Join bool
	// Poll is how often a search that shares its study checks for trials
	// other processes still run before it reads the result; 0 means 100 ms.
	Poll time.Duration
}

// Result is a finished search.
type Result struct {
	// Trials holds every evaluation in order; Trials[0] is the baseline.
	Trials []Trial
	// Best indexes the winner: without finalists the best trial, feasible
	// first, then highest value; with them, the best finalist by its
	// re-evaluation.
	Best int
	// Finalists are the trials re-evaluated after the search, best search
	// evaluation first, with their re-evaluations.
	Finalists []Finalist
}

// Finalist is a trial re-evaluated after the search.
type Finalist struct {
	Trial       int
	Reevaluated Evaluation
}

// Search evaluates the baseline (the parameters in force, which may lie
// outside space) as trial 0 and then Trials-1 parameter sets proposed by the
// sampler over space, and returns them all with the best. Parameters of
// baseline not in space are passed to the objective unchanged. The search
// is deterministic for a seed and a batch size.
//
// With Options.Storage the study persists: a study of the same name that
// exists is resumed (its finished trials count towards Trials and are not
// run again; with Options.Resume, trials left running by a process that
// stopped are run again), and several processes may work on one study at
// once, each evaluating the trials it proposes until the study has Trials.
func Search(ctx context.Context, space Space, baseline map[string]float64, obj Objective, opt Options) (*Result, error) {
	if opt.Trials < 1 && !opt.Join {
		return nil, fmt.Errorf("optimizer: trials = %d; want at least 1: %w", opt.Trials, ErrInvalid)
	}
	if opt.Join && opt.Storage == nil {
		return nil, fmt.Errorf("optimizer: joining a study needs its storage: %w", ErrInvalid)
	}
	batch := max(opt.Batch, 1)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	name := opt.Sampler
	if name == "" {
		name = DefaultSampler
	}
	sampler, err := sampling.New(name, sampling.Config{Seed: opt.Seed, Budget: opt.Trials, Batch: batch})
	if err != nil {
		return nil, fmt.Errorf("optimizer: %w: %w", err, ErrInvalid)
	}
	st, err := openStudy(space, sampler, opt)
	if err != nil {
		return nil, err
	}
	if opt.Join {
		if opt.Trials, err = st.budget(); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	eval := func(ps []map[string]float64) ([]Evaluation, error) { return evalAll(ctx, obj, baseline, ps, workers) }
	if opt.Deterministic {
		eval = memoised(eval)
	}
	progress := func() error {
		if opt.Progress == nil {
			return nil
		}
		res, err := st.result(space, baseline)
		if errors.Is(err, errNoTrials) {
			return nil // nothing evaluated yet
		}
		if err != nil {
			return err
		}
		opt.Progress(Progress{Done: len(res.Trials), Total: opt.Trials, Best: res.Trials[res.Best], Elapsed: time.Since(start)})
		return nil
	}

	if !st.resumed {
		// Trial 0 is the baseline. When every searched value in force
		// lies in the space it is enqueued, so it runs through the study
		// like any other trial and the sampler learns from it; otherwise
		// it is evaluated beside the study and kept in its attributes.
		if internal, ok := baselineInternal(space, baseline); ok {
			if err := st.study.EnqueueTrial(internal); err != nil {
				return nil, fmt.Errorf("optimizer: enqueue baseline: %w", err)
			}
		} else {
			base, err := eval([]map[string]float64{{}})
			if err != nil {
				return nil, fmt.Errorf("optimizer: baseline: %w", err)
			}
			if err := st.setBaseline(base[0]); err != nil {
				return nil, err
			}
		}
		if err := st.warm(space, baseline, opt.Warm); err != nil {
			return nil, err
		}
	} else if opt.Resume && !opt.Join {
		if err := st.rerunRunning(space); err != nil {
			return nil, err
		}
	}
	if err := progress(); err != nil {
		return nil, err
	}

	// done counts the trials towards the budget: the storage's count at
	// the start, then one for each new trial asked (a waiting trial popped
	// was counted already); sharing the study, each ask learns how many
	// trials, other processes' included, come before its own.
	done, err := st.counted()
	if err != nil {
		return nil, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return st.partial(space, baseline, fmt.Errorf("optimizer: stopped after %d of %d trials: %w", done, opt.Trials, err))
		}
		if done >= opt.Trials {
			break
		}
		n := min(batch, opt.Trials-done)
		if opt.Storage != nil {
			n = batch // each ask checks the shared budget itself
		}
		pending := make([]*asked, 0, n)
		var askErr error
		limit := -1
		if opt.Storage != nil {
			limit = opt.Trials
		}
		for range n {
			a, err := ask(st, space, limit)
			if errors.Is(err, errSurplus) {
				done = opt.Trials // other processes took the rest of the budget
				break
			}
			if err != nil {
				askErr = err
				break
			}
			pending = append(pending, a)
			switch {
			case a.before >= 0:
				done = a.before + 1
			case !a.popped:
				done++
			}
		}
		ps := make([]map[string]float64, len(pending))
		for i, a := range pending {
			ps[i] = a.params
		}
		var evs []Evaluation
		var evalErr error
		if askErr == nil {
			evs, evalErr = eval(ps)
		}
		for i, a := range pending {
			var e Evaluation
			if evs != nil {
				e = evs[i]
			}
			a.finish(e, askErr != nil || evalErr != nil)
		}
		if askErr != nil {
			return st.partial(space, baseline, askErr)
		}
		if evalErr != nil {
			if ctx.Err() != nil {
				return st.partial(space, baseline, fmt.Errorf("optimizer: stopped after %d of %d trials: %w", done, opt.Trials, ctx.Err()))
			}
			return st.partial(space, baseline, fmt.Errorf("optimizer: trials %d to %d: %w", done, done+n-1, evalErr))
		}
		for _, a := range pending {
			if a.err != nil {
				return st.partial(space, baseline, fmt.Errorf("optimizer: record trial: %w", a.err))
			}
		}
		if err := progress(); err != nil {
			return nil, err
		}
	}
	if opt.Storage != nil && !opt.Join {
		// Trials other processes are still evaluating belong to the
		// study: wait for them, as long as they keep finishing.
		if err := st.awaitRunning(ctx, opt.Poll, time.Since(start)/time.Duration(max(done, 1))); err != nil {
			return st.partial(space, baseline, err)
		}
	}
	res, err := st.result(space, baseline)
	if err != nil {
		return nil, err
	}
	if opt.Join {
		return res, nil
	}
	if opt.Finalists > 0 && opt.Reevaluate != nil {
		if err := finals(ctx, res, baseline, opt, workers); err != nil {
			return res, err
		}
	}
	return res, nil
}

// finals re-evaluates the best distinct trials and makes the best of them
// by the re-evaluation the winner.
func finals(ctx context.Context, res *Result, baseline map[string]float64, opt Options, workers int) error {
	order := make([]int, len(res.Trials))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return res.Trials[order[a]].Eval.better(res.Trials[order[b]].Eval)
	})
	var picked []int
	var ps []map[string]float64
	for _, i := range order {
		if len(picked) == opt.Finalists {
			break
		}
		t := res.Trials[i]
		if math.IsNaN(t.Eval.Value) || slices.ContainsFunc(picked, func(j int) bool { return maps.Equal(res.Trials[j].Params, t.Params) }) {
			continue
		}
		picked = append(picked, i)
		ps = append(ps, t.Params)
	}
	evs, err := evalAll(ctx, opt.Reevaluate, baseline, ps, workers)
	if err != nil {
		return fmt.Errorf("optimizer: re-evaluate finalists: %w", err)
	}
	best := -1
	for k, i := range picked {
		res.Finalists = append(res.Finalists, Finalist{Trial: i, Reevaluated: evs[k]})
		if best < 0 || evs[k].better(evs[best]) {
			best = k
		}
	}
	if best >= 0 {
		res.Best = picked[best]
	}
	return nil
}

// memoised evaluates each distinct parameter set once: a set seen before,
// in this batch or an earlier one, takes its first evaluation.
func memoised(eval func([]map[string]float64) ([]Evaluation, error)) func([]map[string]float64) ([]Evaluation, error) {
	seen := map[string]Evaluation{}
	key := func(p map[string]float64) string {
		names := slices.Sorted(maps.Keys(p))
		b := make([]byte, 0, 24*len(names))
		for _, n := range names {
			b = append(b, n...)
			b = append(b, '=')
			b = strconv.AppendFloat(b, p[n], 'g', -1, 64)
			b = append(b, ';')
		}
		return string(b)
	}
	return func(ps []map[string]float64) ([]Evaluation, error) {
		var todo []map[string]float64
		var todoKeys []string
		keys := make([]string, len(ps))
		for i, p := range ps {
			keys[i] = key(p)
			if _, ok := seen[keys[i]]; !ok && !slices.Contains(todoKeys, keys[i]) {
				todo, todoKeys = append(todo, p), append(todoKeys, keys[i])
			}
		}
		evs, err := eval(todo)
		if err != nil {
			return nil, err
		}
		for i, k := range todoKeys {
			seen[k] = evs[i]
		}
		out := make([]Evaluation, len(ps))
		for i, k := range keys {
			out[i] = seen[k]
		}
		return out, nil
	}
}

// evalAll evaluates parameter sets (laid over baseline) in parallel and
// returns the evaluations in order.
func evalAll(ctx context.Context, obj Objective, baseline map[string]float64, ps []map[string]float64, workers int) ([]Evaluation, error) {
	out := make([]Evaluation, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(workers, 1))
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

// DefaultSampler is the sampler a search uses when Options.Sampler is empty.
const DefaultSampler = "tpe"

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

// asked is a trial running inside goptuna's Study.Optimize: its objective
// has suggested every parameter and waits for the evaluation.
type asked struct {
	params map[string]float64
	result chan askResult
	done   chan struct{}
	err    error // set when done closes: goptuna's own error recording the trial
	// popped is true for a trial that was waiting (enqueued): it counted
	// towards the budget before it was asked.
	popped bool
	// before is how many counted trials come before this one in a shared
	// study; -1 when not asked.
	before int
}

type askResult struct {
	eval Evaluation
	fail bool
}

// ask starts one trial through goptuna's own path (Study.Optimize: a
// waiting trial popped or a new one created, the relative sampler called,
// each parameter suggested) and returns once its parameters are known. The
// trial stays running, so later asks of the same batch see it, until
// finish tells its result.
//
// With limit >= 0 (a study other processes share), a trial whose number
// comes after the budget's worth of counted trials gives its place up: it
// fails unevaluated and ask returns errSurplus. Trial numbers are handed
// out in order across processes, so two processes never both take the
// last place.
func ask(st *study, space Space, limit int) (*asked, error) {
	study := st.study
	a := &asked{result: make(chan askResult, 1), done: make(chan struct{}), before: -1}
	got := make(chan error, 1)
	go func() {
		defer close(a.done)
		suggested := false
		err := study.Optimize(func(t goptuna.Trial) (float64, error) {
			if limit >= 0 {
				before, err := st.countedBefore(t.ID)
				if err == nil && before >= limit {
					err = errSurplus
				}
				if err != nil {
					got <- err
					return 0, err
				}
				a.before = before
			} else {
				attrs, err := t.GetSystemAttrs()
				if err != nil {
					got <- err
					return 0, err
				}
				_, a.popped = attrs["fixed_params"]
			}
			p, err := suggest(&t, space)
			if err != nil {
				got <- err
				return 0, err
			}
			a.params = p
			suggested = true
			got <- nil
			r := <-a.result
			if r.fail {
				return 0, errTrialFailed
			}
			if err := t.SetSystemAttr(evalAttr, encodeEval(r.eval)); err != nil {
				return 0, err
			}
			v := r.eval.penalised()
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, errTrialFailed
			}
			if cs := r.eval.constraintValues(); cs != nil {
				b, _ := json.Marshal(cs)
				if err := t.SetSystemAttr(sampling.ConstraintsAttr, string(b)); err != nil {
					return 0, err
				}
			}
			return v, nil
		}, 1)
		if !suggested {
			if err != nil {
				select {
				case got <- err:
				default:
				}
			}
			return
		}
		if err != nil && !errors.Is(err, errTrialFailed) {
			a.err = err
		}
	}()
	select {
	case err := <-got:
		if errors.Is(err, errSurplus) {
			<-a.done
			return nil, err
		}
		if err != nil {
			<-a.done
			return nil, fmt.Errorf("optimizer: propose a trial: %w", err)
		}
	case <-a.done:
		select {
		case err := <-got:
			if err != nil {
				return nil, fmt.Errorf("optimizer: propose a trial: %w", err)
			}
		default:
		}
		return nil, fmt.Errorf("optimizer: propose a trial: goptuna ran no objective")
	}
	return a, nil
}

// finish tells the trial its evaluation (or its failure) and waits until
// goptuna has recorded it.
func (a *asked) finish(e Evaluation, fail bool) {
	a.result <- askResult{eval: e, fail: fail}
	<-a.done
}

var (
	errTrialFailed = errors.New("trial failed")
	errSurplus     = errors.New("the study's budget is taken")
)

// suggest asks goptuna for every parameter of space.
func suggest(t *goptuna.Trial, space Space) (map[string]float64, error) {
	p := make(map[string]float64, len(space))
	for _, sp := range space {
		var v float64
		var err error
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
			return nil, fmt.Errorf("suggest %s: %w", sp.Name, err)
		}
		p[sp.Name] = v
	}
	return p, nil
}

// distributions is space as goptuna's search space, with the distributions
// the Suggest calls of suggest use.
func distributions(space Space) map[string]any {
	out := make(map[string]any, len(space))
	for _, sp := range space {
		switch sp.Kind {
		case Float:
			out[sp.Name] = goptuna.UniformDistribution{High: sp.High, Low: sp.Low}
		case Log:
			out[sp.Name] = goptuna.LogUniformDistribution{High: sp.High, Low: sp.Low}
		case Int:
			out[sp.Name] = goptuna.IntUniformDistribution{High: int(sp.High), Low: int(sp.Low)}
		case Categorical:
			out[sp.Name] = goptuna.CategoricalDistribution{Choices: choiceStrings(sp.Choices)}
		}
	}
	return out
}

// baselineInternal is the baseline in goptuna's internal representation,
// when every searched parameter's value in force lies in the space.
func baselineInternal(space Space, baseline map[string]float64) (map[string]float64, bool) {
	out := make(map[string]float64, len(space))
	for _, sp := range space {
		v, ok := baseline[sp.Name]
		if !ok || !sp.Contains(v) {
			return nil, false
		}
		if sp.Kind == Categorical {
			for i, c := range sp.Choices {
				if c == v {
					v = float64(i)
				}
			}
		}
		out[sp.Name] = v
	}
	return out, true
}

func choiceStrings(cs []float64) []string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = strconv.FormatFloat(c, 'g', -1, 64)
	}
	return s
}
