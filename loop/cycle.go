package loop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/attune-dao/attune/schema"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/objectives"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/optimizer/importance"
	"github.com/attune-dao/attune/optimizer/sampling/auto"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator"
)

// validationSalt separates the seeds of validation replications from those
// of the search, so the verdict is not judged on the draws that chose it.
const validationSalt = 0x76616c6964617465

// Options tune one cycle without changing its result.
type Options struct {
	// Version is attune's version, recorded in the recommendation.
	Version string
	// Progress, when set, receives the search's progress.
	Progress func(optimizer.Progress)
	// Workers bounds parallel simulations; 0 means GOMAXPROCS.
	Workers int
	// AcceptPoorFit runs the cycle although calibration missed a target;
	// the recommendation records the miss and the draft states it first.
	AcceptPoorFit bool
	// TrackRecord, when set, backtests the model on the DAO's history; the
	// proposal quotes the result. (The backtest package, above loop,
	// provides it.)
	TrackRecord func(ctx context.Context, e *Env) (*oracle.TrackRecord, error)
	// Now is the clock that dates the cycle (Recommendation.Date, the UTC
	// day); time.Now when nil. Tests and golden files fix it.
	Now func() time.Time
	// Stage, when set, is told when the search (StageOptimizing) and the
	// draft (StageDrafting) start.
	Stage StageFunc
}

// Cycle is one finished cycle: what it read, what it concluded and the
// drafted proposal.
type Cycle struct {
	ID             string
	Env            *Env
	Search         Searches
	Recommendation oracle.Recommendation
	Proposal       oracle.Proposal
	Chart          []byte
}

// CycleID derives a cycle's identity from its inputs: the end of the data
// window and a hash of the effective config (less out and schedule), the
// observation and the version. Running the same inputs again yields the
// same ID.
func CycleID(cfg *config.Config, obs metrics.Observation, version string) string {
	h := sha256.New()
	c := *cfg
	c.Out, c.Schedule = "", "" // where outputs go and when cycles run change no result
	h.Write([]byte(c.Hash()))
	b, _ := json.Marshal(obs)
	h.Write(b)
	h.Write([]byte(version))
	return obs.Window.End.UTC().Format("2006-01-02") + "-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// Objective returns the search objective: run the R search replications of
// a parameter set and score them.
func (e *Env) Objective() optimizer.Objective {
	return e.replicated(e.Config.Optimizer.Replications, e.Config.Optimizer.Seed)
}

// finalistSalt separates the finalists' replications from the search's and
// the validation's.
const finalistSalt = 0x66696e616c697374

// selection says how a search's winner is chosen.
func (e *Env) selection() string {
	o := e.Config.Optimizer
	switch e.preset() {
	case objectives.Conservative:
		return "the smallest change no worse on any objective and better on at least one (preset conservative); none means no change"
	case objectives.Aggressive:
		return fmt.Sprintf("of the trials no other beats on every objective, the best on %s, the most heavily weighted objective (preset aggressive)", e.Objectives.Lead())
	}
	if o.Finalists == 0 {
		return "the trial with the best combined score on the search's replications (preset balanced)"
	}
	return fmt.Sprintf("the best combined score (preset balanced) among its %d best trials re-run on %d fresh replications, since the best search score is partly luck", o.Finalists, 2*o.Replications)
}

// samplerName names the sampler, with the one auto chose for this space
// and the primary search's budget.
func (e *Env) samplerName() string {
	o := e.Config.Optimizer
	if o.Sampler != "auto" {
		return o.Sampler
	}
	n := max(o.Searches, 1)
	return fmt.Sprintf("auto (%s)", auto.Choose(len(e.Space), o.Trials/n+o.Trials%n))
}

// preset is the configured preset, balanced by default.
func (e *Env) preset() string {
	if p := e.Config.Optimizer.Preset; p != "" {
		return p
	}
	return objectives.Balanced
}

// finalists is how many trials the optimizer re-evaluates: the balanced
// preset's winner is chosen among them; the other presets read the
// objectives of every trial instead.
func (e *Env) finalists() int {
	if e.preset() != objectives.Balanced {
		return 0
	}
	return e.Config.Optimizer.Finalists
}

// Candidates are a search's trials as the presets see them; the baseline
// is trial 0.
func (e *Env) Candidates(res *optimizer.Result) []objectives.Candidate {
	out := make([]objectives.Candidate, len(res.Trials))
	for i, t := range res.Trials {
		out[i] = objectives.Candidate{Objectives: t.Eval.Objectives, Score: t.Eval.Value,
			Feasible: t.Eval.Feasible(), Change: e.changeSize(t.Params)}
	}
	return out
}

// changeSize is the sum over searched parameters of each move from the
// value in force as a share of the parameter's searched range.
func (e *Env) changeSize(p map[string]float64) float64 {
	total := 0.0
	for _, sp := range e.Space {
		total += math.Abs(position(sp, p[sp.Name]) - position(sp, e.Current[sp.Name]))
	}
	return total
}

// position is v's place in the parameter's searched range, 0 at its low
// end and 1 at its high end (a categorical's range runs from its least to
// its greatest choice); 0 when the range is a point.
func position(sp optimizer.Param, v float64) float64 {
	lo, hi := sp.Low, sp.High
	if sp.Kind == optimizer.Categorical {
		lo, hi = slices.Min(sp.Choices), slices.Max(sp.Choices)
	}
	if !(hi > lo) {
		return 0
	}
	return (v - lo) / (hi - lo)
}

// applyPreset makes the preset's choice the search's winner; balanced
// keeps the optimizer's.
func (e *Env) applyPreset(res *optimizer.Result) error {
	if e.preset() == objectives.Balanced || len(res.Trials) == 0 {
		return nil
	}
	cands := e.Candidates(res)
	i, err := e.Objectives.Choose(e.preset(), cands[0], cands[1:])
	if err != nil {
		return err
	}
	res.Best = i + 1 // -1 (keep what is in force) becomes the baseline, trial 0
	return nil
}

// replicated is the objective that runs n replications from seed and
// scores them.
func (e *Env) replicated(n int, seed uint64) optimizer.Objective {
	return func(ctx context.Context, p map[string]float64) (optimizer.Evaluation, error) {
		reps := make([]metrics.Values, n)
		for r := range reps {
			v, err := e.Instance.Run(ctx, p, simulator.SeedFor(seed, r))
			if err != nil {
				return optimizer.Evaluation{}, err
			}
			if name, ok := v.Finite(); !ok {
				return optimizer.Evaluation{}, fmt.Errorf("replication %d: outcome %s is not finite under %v", r, name, p)
			}
			reps[r] = v
		}
		ev := e.Objectives.Evaluate(reps)
		// Inconsistent parameters are infeasible, whatever they score:
		// one more constraint, counting the model's broken links.
		broken := float64(len(e.inconsistent(p)))
		return optimizer.Evaluation{Value: ev.Score, Violation: ev.Violation + broken,
			Objectives: ev.Objectives, Constraints: append(ev.Constraints, broken)}, nil
	}
}

// importance fits a random forest to every search's feasible trials and
// reports each searched parameter's permutation importance; nil when the
// trials are too few to say.
func (e *Env) importance(ss Searches) []oracle.Importance {
	names := make([]string, len(e.Space))
	for i, sp := range e.Space {
		names[i] = sp.Name
	}
	var x [][]float64
	var y []float64
	for _, res := range ss {
		for _, t := range res.Trials {
			if !t.Eval.Feasible() {
				continue
			}
			row := make([]float64, len(e.Space))
			for i, sp := range e.Space {
				row[i] = position(sp, t.Params[sp.Name])
			}
			x, y = append(x, row), append(y, t.Eval.Value)
		}
	}
	imp, err := importance.Compute(names, x, y, e.Config.Optimizer.Seed)
	if err != nil {
		e.Logger.Info("parameter importance not computed", "reason", err)
		return nil
	}
	out := make([]oracle.Importance, len(imp))
	for i, m := range imp {
		out[i] = oracle.Importance{Param: m.Param, Share: m.Share, Lo: m.Lo, Hi: m.Hi}
	}
	return out
}

// inconsistent lists how p breaks the model's links between parameters.
func (e *Env) inconsistent(p map[string]float64) []string {
	if l, ok := e.Model.(simulator.Linked); ok {
		return l.Inconsistent(p)
	}
	return nil
}

// Optimize searches the space from the parameters in force:
// optimizer.searches independent searches share optimizer.trials, the
// primary one on optimizer.seed (the remainder of the trials goes to it).
func (e *Env) Optimize(ctx context.Context, opt Options) (Searches, error) {
	if e.spaceErr != nil {
		return nil, e.spaceErr
	}
	o := e.Config.Optimizer
	n := max(o.Searches, 1)
	e.Logger.Info("search started", "sampler", o.Sampler, "searches", n, "trials", o.Trials, "replications", o.Replications, "params", len(e.Space))
	st, err := e.openStorage(ctx)
	if err != nil {
		return nil, err
	}
	if st != nil {
		defer st.Close()
	}
	cycle := CycleID(e.Config, e.Observation, opt.Version)
	var out Searches
	done := 0
	for i := range n {
		trials := o.Trials / n
		if i == 0 {
			trials += o.Trials % n
		}
		progress := opt.Progress
		if progress != nil {
			offset := done
			progress = func(p optimizer.Progress) {
				p.Done += offset
				p.Total = o.Trials
				opt.Progress(p)
			}
		}
		so := optimizer.Options{
			Sampler: o.Sampler, Trials: trials, Batch: o.Batch, Workers: opt.Workers,
			Seed: e.searchSeed(i), Progress: progress, Deterministic: true,
			Finalists: e.finalists(), Reevaluate: e.replicated(2*o.Replications, o.Seed^finalistSalt),
		}
		if st != nil {
			// A stored study of this cycle resumes (a run that stopped
			// loses nothing it finished); a new one starts from the best
			// trials of the previous cycle.
			so.Storage, so.Study, so.Resume = st, e.StudyName(cycle, i), true
			if so.Warm, err = e.warmStart(st, cycle, i); err != nil {
				return out, err
			}
		}
		res, err := optimizer.Search(ctx, e.Space, e.Current, e.Objective(), so)
		if err != nil {
			return out, fmt.Errorf("search %d of %d: %w", i+1, n, err)
		}
		if err := e.applyPreset(res); err != nil {
			return out, fmt.Errorf("search %d of %d: %w", i+1, n, err)
		}
		done += len(res.Trials)
		best := res.Trials[res.Best]
		e.Logger.Info("search done", "search", i+1, "best_trial", best.Number, "score", best.Eval.Value, "feasible", best.Eval.Feasible())
		out = append(out, res)
	}
	return out, nil
}

// Run executes one whole cycle: prepare, search, verify, draft.
func Run(ctx context.Context, cfg *config.Config, drafter oracle.Drafter, opt Options) (*Cycle, error) {
	e, err := Prepare(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return e.Cycle(ctx, drafter, opt)
}

// Cycle runs search, verification and drafting on a prepared Env.
func (e *Env) Cycle(ctx context.Context, drafter oracle.Drafter, opt Options) (*Cycle, error) {
	if e.spaceErr != nil {
		return nil, e.spaceErr
	}
	if err := e.CheckFit(); err != nil && !opt.AcceptPoorFit {
		return nil, err
	}
	e.Workers = opt.Workers
	if err := opt.Stage.enter(ctx, StageOptimizing, e); err != nil {
		return nil, err
	}
	res, err := e.Optimize(ctx, opt)
	if err != nil {
		return nil, err
	}
	c := &Cycle{ID: CycleID(e.Config, e.Observation, opt.Version), Env: e, Search: res}
	rec, err := e.Recommend(ctx, c.ID, res, opt.Version)
	if err != nil {
		return nil, err
	}
	if opt.TrackRecord != nil {
		if rec.TrackRecord, err = opt.TrackRecord(ctx, e); err != nil {
			return nil, fmt.Errorf("track record: %w", err)
		}
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	y, m, d := now().UTC().Date()
	rec.Date = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	c.Recommendation = rec
	if err := opt.Stage.enter(ctx, StageDrafting, e); err != nil {
		return nil, err
	}
	e.Logger.Info("drafting")
	if c.Proposal, err = drafter.Draft(ctx, rec); err != nil {
		return nil, fmt.Errorf("draft: %w", err)
	}
	if c.Chart, err = oracle.Chart(rec); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return c, nil
}

// Recommend verifies the search's best candidate against the parameters in
// force on fresh paired replications and builds the Recommendation.
//
// The candidate is the searches' consensus (a parameter moves only when
// they agree on its direction), reduced to the minimal change set (a change
// stays only when putting it back makes the score significantly worse).
func (e *Env) Recommend(ctx context.Context, id string, ss Searches, version string) (oracle.Recommendation, error) {
	cfg := e.Config
	level := cfg.Optimizer.Confidence
	if len(ss) == 0 {
		return oracle.Recommendation{}, fmt.Errorf("recommend: no search")
	}
	agreed, held, ranges := e.consensus(ss)
	enacted, unrounded, enactments, err := e.enact(agreed)
	if err != nil {
		return oracle.Recommendation{}, err
	}
	for name := range enactments {
		if enacted[name] == e.Current[name] && held[name] == "" {
			held[name] = oracle.HeldRoundedAway
		}
	}
	cand, err := e.minimal(ctx, enacted.Clone(), held)
	if err != nil {
		return oracle.Recommendation{}, fmt.Errorf("minimal change set: %w", err)
	}
	e.Logger.Info("minimal change set", "agreed", strings.Join(changedNames(agreed, e.Current), ","), "kept", strings.Join(changedNames(cand, e.Current), ","))
	n := cfg.Optimizer.Validation
	vseed := e.ValidationSeed()
	e.Logger.Info("validating", "replications", n)
	baseReps, err := e.Replicate(ctx, e.Current, vseed, n)
	if err != nil {
		return oracle.Recommendation{}, fmt.Errorf("validate parameters in force: %w", err)
	}
	candReps, err := e.Replicate(ctx, cand, vseed, n)
	if err != nil {
		return oracle.Recommendation{}, fmt.Errorf("validate candidate: %w", err)
	}
	baseEv, candEv := e.Objectives.Evaluate(baseReps), e.Objectives.Evaluate(candReps)

	rec := oracle.Recommendation{CycleID: id, DAO: cfg.DAO.Name, Candidate: map[string]float64(enacted)}
	if err := e.CheckFit(); err != nil {
		rec.PoorFit = strings.TrimPrefix(err.Error(), ErrPoorFit.Error()+": ")
		if src := e.Observation.Source; src != "" {
			rec.PoorFit = strings.ReplaceAll(rec.PoorFit, src, e.dataSource())
		}
	}
	rec.Score = e.scoreEffect(baseEv.Scores, candEv.Scores, level)
	d := rec.Score.Difference
	risk := e.Objectives.Risk.String()
	allKept := true
	for _, s := range ss {
		allKept = allKept && s.Best == 0
	}
	switch {
	case allKept && e.preset() == objectives.Conservative:
		rec.Basis = oracle.BasisCurrentBest
		rec.Reason = fmt.Sprintf("no trial in any search (%d trials) was no worse than the parameters in force on every objective and better on one (preset conservative)", ss.Trials())
	case allKept:
		rec.Basis = oracle.BasisCurrentBest
		rec.Reason = fmt.Sprintf("the parameters in force scored best in every search (%d trials)", ss.Trials())
	case equalParams(cand, e.Current):
		rec.Basis = oracle.BasisNotSignificant
		rec.Reason = "no change is supported: " + describeHeld(held)
	case len(e.inconsistent(cand)) > 0:
		rec.Basis = oracle.BasisCandidateInfeasible
		rec.Reason = "the best candidate's parameters are inconsistent: " + strings.Join(e.inconsistent(cand), "; ")
	case !candEv.Feasible():
		rec.Basis = oracle.BasisCandidateInfeasible
		rec.Reason = fmt.Sprintf("the best candidate breaks a constraint on %d fresh replications: %s", n, violated(e.Objectives, candEv))
	case !baseEv.Feasible():
		rec.Change, rec.Basis = true, oracle.BasisConstraint
		rec.Reason = fmt.Sprintf("the parameters in force break a constraint (%s) and the candidate meets every constraint; the combined score (%s) changes by %.4g (%.0f%% CI %.4g to %.4g)", violated(e.Objectives, baseEv), risk, d.Mean, level*100, d.CI.Lo, d.CI.Hi)
	case d.CI.Lo > 0:
		rec.Change, rec.Basis = true, oracle.BasisSignificant
		rec.Reason = fmt.Sprintf("the combined score (%s) improves by %.4g (%.0f%% CI %.4g to %.4g) on %d fresh paired replications", risk, d.Mean, level*100, d.CI.Lo, d.CI.Hi, n)
	default:
		rec.Basis = oracle.BasisNotSignificant
		rec.Reason = fmt.Sprintf("the improvement is not significant: the combined score (%s) changes by %.4g (%.0f%% CI %.4g to %.4g) on %d fresh paired replications, an interval that includes zero", risk, d.Mean, level*100, d.CI.Lo, d.CI.Hi, n)
	}
	recommended := e.Current
	if rec.Change {
		recommended = cand
	}
	if rec.Basis == oracle.BasisSignificant || rec.Basis == oracle.BasisNotSignificant {
		if rec.Sensitivity, err = e.sensitivity(ctx, cand, rec.Change); err != nil {
			return oracle.Recommendation{}, fmt.Errorf("assumption sweep: %w", err)
		}
		rec.MostSensitive = mostSensitive(rec.Sensitivity)
		e.Logger.Info("assumption sweep", "assumptions", len(rec.Sensitivity), "most_sensitive", rec.MostSensitive)
	}

	rec.Importance = e.importance(ss)

	searched := map[string]bool{}
	for _, p := range e.Space {
		searched[p.Name] = true
	}
	for _, s := range e.Model.Params() {
		pc := oracle.ParamChange{Name: s.Name, Unit: s.Unit, Description: s.Description, Current: e.Current[s.Name],
			Recommended: recommended[s.Name], Integer: s.Integer, Searched: searched[s.Name], Enactment: e.Enactment[s.Name]}
		if r, ok := ranges[s.Name]; ok {
			pc.Range = &r
		}
		if r, ok := e.seen[s.Name]; ok {
			pc.Seen = &r
		}
		if u, ok := unrounded[s.Name]; ok && rec.Change && pc.Recommended != pc.Current {
			pc.Unrounded = &u
		}
		if pc.Recommended == pc.Current {
			switch {
			case !searched[s.Name]:
				pc.Held = e.heldReason(s.Name)
			case held[s.Name] != "":
				pc.Held = held[s.Name]
			case !rec.Change:
				pc.Held = oracle.HeldNotSignificant
			}
		}
		if pc.Current != 0 {
			rel := (pc.Recommended - pc.Current) / math.Abs(pc.Current)
			pc.RelChange = &rel
		}
		rec.Params = append(rec.Params, pc)
	}

	isObjective := map[string]bool{}
	for _, o := range e.Objectives.Objectives {
		isObjective[o.Name] = true
		ef := effect(o.Name, o.Unit, o.Better.String(), o.Weight, column(baseReps, o.Name), column(candReps, o.Name), level)
		ef.Scale = o.Scale
		rec.Effects = append(rec.Effects, ef)
	}
	for _, s := range e.Model.Outcomes() {
		if isObjective[s.Name] {
			continue
		}
		a, b := column(baseReps, s.Name), column(candReps, s.Name)
		if constant(a) && constant(b) && a[0] == b[0] {
			continue // fixed by calibration, says nothing about the change
		}
		rec.Outcomes = append(rec.Outcomes, effect(s.Name, s.Unit, s.Better.String(), 0, a, b, level))
	}
	for _, c := range e.Objectives.Constraints {
		cur, rv := baseEv.Means[c.Metric()], candEv.Means[c.Metric()]
		if !rec.Change {
			rv = cur
		}
		rec.Constraints = append(rec.Constraints, oracle.ConstraintCheck{Expr: c.String(), Current: cur, Recommended: rv, OK: c.Violation(rv) == 0})
	}
	for _, cl := range e.Clamps {
		rec.Clamps = append(rec.Clamps, oracle.Clamp{Param: cl.Param, Kind: cl.Kind, Detail: cl.Detail, Binding: cl.Binding(cand[cl.Param])})
	}
	rec.Method = oracle.Method{
		Model: e.Model.Name(), DataSource: e.dataSource(),
		WindowStart: e.Observation.Window.Start, WindowEnd: e.Observation.Window.End,
		Storage: storageKind(cfg.Optimizer.Storage), WarmStart: e.warmFrom,
		Sampler: e.samplerName(), Selection: e.selection(), Preset: e.preset(), Trials: ss.Trials(), Searches: len(ss), Replications: cfg.Optimizer.Replications,
		Validation: n, Seed: cfg.Optimizer.Seed, Risk: risk, Supply: e.Observation.Metrics[metrics.TotalSupply],
		Command: ReproCommand,
		Version: version, FitTolerance: e.Fit.Tolerance,
	}
	rec.Method.Fit = e.FitRows()
	rec.Method.Governor = e.Rules.Family
	rec.Method.TokenSymbol, rec.Method.TokenPriceUSD = cfg.DAO.Token.Symbol, cfg.DAO.Token.PriceUSD
	rec.Method.Track = cfg.DAO.Track
	rec.Method.AtBound = e.Fit.AtBound
	for _, o := range e.Model.Options() {
		a := oracle.Assumption{Name: o.Name, Value: o.Value, Description: o.Description}
		switch {
		case slices.Contains(e.Fit.Unused, o.Name):
			a.Description += " (not used by this calibration)"
		case e.Fit.Latent != nil:
			if v, ok := e.Fit.Latent[o.Name]; ok {
				a.Value = v
				a.Description += " (fitted to the data)"
			}
		}
		rec.Method.Assumptions = append(rec.Method.Assumptions, a)
	}
	if rec.Method.Inputs, err = e.inputFiles(); err != nil {
		return oracle.Recommendation{}, fmt.Errorf("hash inputs: %w", err)
	}
	if rec.Change {
		for _, p := range rec.Params {
			if en, ok := enactments[p.Name]; ok && p.Changed() {
				rec.Onchain = append(rec.Onchain, e.onchainCall(p, en, &rec))
			}
		}
	}
	return rec, nil
}

// dataSource names the cycle's data as its config.yaml does: a file name
// or an embedded example, never a path of this machine.
func (e *Env) dataSource() string {
	if e.sourceName != "" {
		return e.sourceName
	}
	return filepath.Base(e.Observation.Source)
}

// bootstrapResamples is the number of paired resamples behind a CVaR
// interval.
const bootstrapResamples = 2000

// scoreEffect compares the combined score of two parameter sets by the
// configured risk measure: the mean of paired replication scores with a
// Student-t interval, or CVaR with a seeded paired-bootstrap interval, so
// the verdict judges the same quantity the search maximised.
func (e *Env) scoreEffect(base, cand []float64, level float64) oracle.Effect {
	if e.Objectives.Risk.Measure != "cvar" {
		return effect("score", "", "maximize", 0, base, cand, level)
	}
	agg := e.Objectives.Aggregate
	seed := e.Config.Optimizer.Seed
	boot := func(a, b []float64) oracle.Estimate {
		m, lo, hi := metrics.PairedBootstrap(a, b, agg, level, bootstrapResamples, seed)
		return oracle.Estimate{Mean: m, CI: oracle.Interval{Lo: lo, Hi: hi, Level: level}, N: len(a)}
	}
	one := func(xs []float64) oracle.Estimate {
		m, lo, hi := metrics.Bootstrap(xs, agg, level, bootstrapResamples, seed)
		return oracle.Estimate{Mean: m, CI: oracle.Interval{Lo: lo, Hi: hi, Level: level}, N: len(xs)}
	}
	return oracle.Effect{Name: "score", Better: "maximize", Current: one(base), Recommended: one(cand), Difference: boot(base, cand)}
}

// round rounds searched float parameters to three significant digits, the
// precision a governance proposal states, kept within the search space.
func (e *Env) round(p map[string]float64) simulator.Params {
	out := simulator.Params(p).Clone()
	for _, sp := range e.Space {
		if sp.Kind != optimizer.Float && sp.Kind != optimizer.Log {
			continue
		}
		v, _ := strconv.ParseFloat(strconv.FormatFloat(out[sp.Name], 'g', 3, 64), 64)
		out[sp.Name] = min(max(v, sp.Low), sp.High)
	}
	return out
}

func equalParams(a, b simulator.Params) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

func violated(set *objectives.Set, ev objectives.Evaluation) string {
	s := ""
	for _, c := range set.Constraints {
		v := ev.Means[c.Metric()]
		if c.Violation(v) > 0 {
			if s != "" {
				s += "; "
			}
			s += fmt.Sprintf("%s is %.4g", c.String(), v)
		}
	}
	return s
}

func column(reps []metrics.Values, name string) []float64 {
	out := make([]float64, len(reps))
	for i, r := range reps {
		out[i] = r[name]
	}
	return out
}

func constant(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

func estimate(xs []float64, level float64) oracle.Estimate {
	m, lo, hi := metrics.MeanCI(xs, level)
	return oracle.Estimate{Mean: m, CI: oracle.Interval{Lo: lo, Hi: hi, Level: level}, N: len(xs)}
}

func effect(name, unit, better string, weight float64, base, cand []float64, level float64) oracle.Effect {
	m, lo, hi := metrics.PairedCI(base, cand, level)
	return oracle.Effect{Name: name, Unit: unit, Better: better, Weight: weight,
		Current: estimate(base, level), Recommended: estimate(cand, level),
		Difference: oracle.Estimate{Mean: m, CI: oracle.Interval{Lo: lo, Hi: hi, Level: level}, N: len(base)}}
}

// Write saves the cycle under dir/<id>/: proposal.md, proposal.html (the
// same as a standalone page with the chart inlined, oracle.HTML),
// proposal.json (oracle.Document, schema/proposal.v1.schema.json),
// recommendation.json, objectives.png, draft.json (how the prose was
// drafted), trials.json (every trial of the searches, Trials),
// config.yaml (the effective config less out, which
// reproduces the cycle: ReproCommand, run in that directory) and a copy
// of each input file the config names (the embedded examples excepted).
// No file written names dir or any other local path. The directory
// appears whole or not at all: the files are written into a temporary
// directory beside it, which then takes its place. Rerunning a cycle
// rewrites the same bytes. It returns the directory.
func (c *Cycle) Write(dir string) (string, error) {
	recJSON, err := json.MarshalIndent(schema.NewRecommendation(c.Recommendation), "", "  ")
	if err != nil {
		return "", fmt.Errorf("write cycle: encode recommendation: %w", err)
	}
	docJSON, err := json.MarshalIndent(oracle.Document(c.Proposal, c.Recommendation), "", "  ")
	if err != nil {
		return "", fmt.Errorf("write cycle: encode proposal.json: %w", err)
	}
	page, err := oracle.HTML(c.Proposal, c.Chart)
	if err != nil {
		return "", fmt.Errorf("write cycle: %w", err)
	}
	cfgYAML, err := c.Env.ReproConfig()
	if err != nil {
		return "", fmt.Errorf("write cycle: encode config: %w", err)
	}
	draftMeta, err := draftJSON(c.Proposal)
	if err != nil {
		return "", fmt.Errorf("write cycle: %w", err)
	}
	trialsJSON, err := json.MarshalIndent(c.Trials(), "", "  ")
	if err != nil {
		return "", fmt.Errorf("write cycle: encode %s: %w", TrialsFile, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write cycle: %w", err)
	}
	// Writers of one directory take turns, so concurrent runs of the same
	// cycle each replace it whole instead of failing on each other's
	// renames.
	unlock, err := lockDir(dir)
	if err != nil {
		return "", fmt.Errorf("write cycle: %w", err)
	}
	defer unlock()
	tmp, err := os.MkdirTemp(dir, "."+c.ID+".tmp-")
	if err != nil {
		return "", fmt.Errorf("write cycle: %w", err)
	}
	defer os.RemoveAll(tmp)
	files := []struct {
		name string
		data []byte
	}{
		{"proposal.md", []byte(c.Proposal.Markdown)},
		{"proposal.html", page},
		{"proposal.json", append(docJSON, '\n')},
		{"recommendation.json", append(recJSON, '\n')},
		{"objectives.png", c.Chart},
		{"config.yaml", cfgYAML},
		{DraftFile, draftMeta},
		{TrialsFile, append(trialsJSON, '\n')},
	}
	for _, in := range c.Env.inputs {
		data := in.data
		switch {
		case data != nil: // read from elsewhere than a file: kept
		case in.path == "":
			continue // embedded in the binary
		default:
			var err error
			if data, err = os.ReadFile(in.path); err != nil {
				return "", fmt.Errorf("write cycle: copy input: %w", err)
			}
			if hashHex(data) != in.sha256 {
				return "", fmt.Errorf("write cycle: input %s changed while the cycle ran; run it again", in.path)
			}
		}
		if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(filepath.FromSlash(in.name))), 0o755); err != nil {
			return "", fmt.Errorf("write cycle: %w", err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{in.name, data})
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(tmp, filepath.FromSlash(f.name)), f.data, 0o644); err != nil {
			return "", fmt.Errorf("write cycle: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", fmt.Errorf("write cycle: %w", err)
	}
	out := filepath.Join(dir, c.ID)
	if _, err := os.Stat(out); err == nil {
		// A rerun of the same cycle: keep what was published and
		// approved, move the old copy aside, then swap.
		if err := carryOver(out, tmp); err != nil {
			return "", fmt.Errorf("write cycle: keep the publishing records of %s: %w", out, err)
		}
		old := tmp + ".old"
		if err := os.Rename(out, old); err != nil {
			return "", fmt.Errorf("write cycle: replace %s: %w", out, err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("write cycle: %w", err)
	}
	return out, nil
}

// FitRows is the calibration, metric by metric: observed, simulated and
// the signed miss, as the recommendation and attune calibrate report it.
func (e *Env) FitRows() []oracle.FitRow {
	var rows []oracle.FitRow
	for _, k := range e.Fit.Observed.Names() {
		obs, sim := e.Fit.Observed[k], e.Fit.Simulated[k]
		miss, abs := simulator.MetricError(k, e.Fit.Observed, sim)
		row := oracle.FitRow{Metric: k, Observed: obs, Simulated: sim,
			Error: miss, Absolute: abs, Target: slices.Contains(e.Fit.Targets, k)}
		if row.Target {
			row.Allowed = e.Fit.Allowed(k)
		}
		rows = append(rows, row)
	}
	return rows
}
