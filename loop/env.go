// Package loop runs attune's control cycle: read the current metrics,
// calibrate the model to them, search the parameters, verify the best
// candidate against the parameters in force on fresh paired replications,
// and draft a proposal. A cycle reads current state only and is
// reproducible: the same config, metrics and seed give the same
// recommendation, byte for byte.
package loop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/attune-dao/attune/adapters/file"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/objectives"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/simulator"

	// The models attune ships, registered by name.
	_ "github.com/attune-dao/attune/simulator/tokenvote"
)

// ErrPoorFit is returned when the calibrated model does not reproduce the
// observed metrics within the configured tolerance; searching such a model
// would recommend from a simulator that does not describe the DAO.
var ErrPoorFit = errors.New("calibration outside tolerance")

// Env is a configured, calibrated model ready to simulate and search.
type Env struct {
	Config      *config.Config
	Model       simulator.Model
	Instance    simulator.Instance
	Observation metrics.Observation
	Fit         simulator.Fit
	Current     simulator.Params
	Objectives  *objectives.Set
	Space       optimizer.Space
	Clamps      []optimizer.Clamp
	// Rules are the governor's rules, Enactment how each parameter is
	// changed ("vote", "upgrade", or "" when it cannot be).
	Rules     governor.Rules
	Enactment map[string]string
	// Onchain is the deployed governor (dao.onchain over the family's
	// defaults), for the proposal's on-chain specification.
	Onchain governor.Onchain
	// inputs are the source's files by content hash; sourceName is the
	// source's path as the cycle's config.yaml gives it; repro, when set,
	// replaces the sources in config.yaml (the data read, written into
	// the cycle).
	inputs     []input
	sourceName string
	repro      *config.Source
	// spaceErr is a problem with the search section, reported by the
	// steps that search; calibration does not need one.
	spaceErr error
	Logger   *slog.Logger
	// Workers bounds parallel simulations; 0 means GOMAXPROCS.
	Workers int
	// warmFrom names the earlier studies the searches warm-started from.
	warmFrom []string
	// seen holds, for each parameter a history source records, the
	// lowest and highest value it has had in force (see seenRanges).
	seen map[string][2]float64
	// History is the governance history the sources gave, merged; nil
	// when the source is a file of precomputed metrics.
	History *history.History
}

// Prepare checks cfg against its model, reads the metrics, calibrates, and
// checks the fit on calibration.replications fresh runs. Config problems
// wrap config.ErrInvalid and bad metrics metrics.ErrInvalid. A poor fit is
// not an error here (calibrate reports it); CheckFit and Cycle refuse it.
// The sources are read through their cache; PrepareWith says otherwise.
func Prepare(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Env, error) {
	return PrepareWith(ctx, cfg, logger, SourceOptions{})
}

// PrepareWith is Prepare with the sources read as opts says.
func PrepareWith(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts SourceOptions) (*Env, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Env{Config: cfg, Logger: logger}
	if err := e.setup(); err != nil {
		return nil, err
	}
	if err := CheckSinks(cfg); err != nil {
		return nil, err
	}
	logger.Info("reading data", "sources", len(cfg.Sources))
	data, err := readAll(ctx, cfg, opts, logger)
	if err != nil {
		return nil, err
	}
	e.History = data.history
	e.seen = seenRanges(data.history, cfg.DAO.Track, e.Current)
	obs, err := data.observation(e.Rules, cfg.DAO.Track)
	if err != nil {
		return nil, err
	}
	e.Observation = obs
	if e.inputs, e.sourceName, e.repro, err = readInputs(ctx, cfg, data); err != nil {
		return nil, err
	}
	logger.Info("metrics read", "dao", obs.DAO, "source", obs.Source, "window_days", obs.Window.Days())
	logger.Info("calibrating", "model", e.Model.Name())
	inst, fit, err := e.Model.Calibrate(ctx, obs, e.Current, cfg.Optimizer.Seed)
	if err != nil {
		return nil, fmt.Errorf("calibrate %s: %w", e.Model.Name(), err)
	}
	e.Instance = inst
	// The fit is judged on calibration.replications fresh runs of the
	// parameters in force, whatever the model used to fit.
	// On the validation seeds, so that calibrate, simulate and the
	// proposal report the same figures for the parameters in force.
	runs, err := e.Replicate(ctx, e.Current, e.ValidationSeed(), cfg.Calibration.Replications)
	if err != nil {
		return nil, fmt.Errorf("check calibration: %w", err)
	}
	fit.Compare(metrics.MeanValues(runs), len(runs))
	fit.Tolerance = cfg.Calibration.Tolerance
	fit.SetUncertainty(obs.Uncertainty)
	e.Fit = fit
	name, worst, allowed := fit.Worst()
	logger.Info("calibrated", "model", e.Model.Name(), "worst_metric", name, "error", worst, "allowed", allowed)
	return e, nil
}

// ValidationSeed is the base seed of the fresh replications behind every
// figure reported for a parameter set: the calibration check, `attune
// simulate` and the proposal's effects, which therefore agree on the
// parameters in force (replication r is the same run in all three). The
// search never sees these seeds.
func (e *Env) ValidationSeed() uint64 { return e.Config.Optimizer.Seed ^ validationSalt }

// CheckFit returns an error wrapping ErrPoorFit when a fitted metric misses
// its observed value by more than the tolerance.
func (e *Env) CheckFit() error {
	if e.Fit.OK() {
		return nil
	}
	name, worst, allowed := e.Fit.Worst()
	return fmt.Errorf("%w: simulated %s = %.4g against observed %.4g (error %s, allowed %s: the tolerance %s or the data's own uncertainty, whichever is larger); check the metrics of %s, or the model options in dao.options, or raise calibration.tolerance",
		ErrPoorFit, name, e.Fit.Simulated[name], e.Fit.Observed[name], fitUnits(name, worst), fitUnits(name, allowed), fitUnits(name, e.Fit.Tolerance), e.Observation.Source)
}

// fitUnits formats a fit error of metric name: percentage points for a
// rate, a percentage for a size.
func fitUnits(name string, x float64) string {
	if metrics.IsRate(name) {
		return fmt.Sprintf("%.1f pp", x*100)
	}
	return fmt.Sprintf("%.1f%%", x*100)
}

// setup builds the model and checks the config against it.
func (e *Env) setup() error {
	cfg := e.Config
	rules, err := rulesOf(cfg)
	if err != nil {
		return err
	}
	e.Rules = rules
	m, err := simulator.New(cfg.DAO.Model, simulator.Setup{Options: simulator.Options(cfg.DAO.Options), Rules: rules, Track: cfg.DAO.Track,
		TokenPrice: cfg.DAO.Token.PriceUSD})
	if err != nil {
		key := "dao.model"
		if errors.Is(err, simulator.ErrInvalidParams) {
			key = "dao.options"
		}
		return cfg.Problem(key, err.Error())
	}
	e.Model = m
	// The drafter is the caller's (NewDrafter): calibrating, simulating
	// and searching need no API key.
	specs := m.Params()
	for _, name := range slices.Sorted(maps.Keys(cfg.Current)) {
		if _, ok := simulator.Spec(specs, name); !ok {
			return cfg.Problem("current."+name, fmt.Sprintf("%s has no parameter %q; its parameters are %s", m.Name(), name, paramNames(specs)))
		}
	}
	cur, err := simulator.Complete(specs, simulator.Params(cfg.Current))
	if err != nil {
		return cfg.Problem("current", err.Error())
	}
	e.Current = cur
	// Calibration needs only the DAO, its rules, the parameters in force
	// and a source: a problem with the objectives, constraints or search
	// is reported by the steps that search.
	e.spaceErr = e.setupSearch(m, specs, cur)
	return nil
}

// setupSearch checks the objectives, constraints and search section
// against the model and builds the search space.
func (e *Env) setupSearch(m simulator.Model, specs []simulator.ParamSpec, cur simulator.Params) error {
	cfg := e.Config
	rules := e.Rules
	outcomes := m.Outcomes()
	known := func(name string) bool {
		return slices.ContainsFunc(outcomes, func(o simulator.OutcomeSpec) bool { return o.Name == name })
	}
	var cons []objectives.Constraint
	parsed, err := cfg.ParsedConstraints()
	if err != nil {
		return err
	}
	valued := func(name string) bool {
		return strings.HasSuffix(name, "_usd_per_month") || strings.Contains(name, "_usd")
	}
	for i, c := range parsed {
		if valued(c.Metric) && cfg.DAO.Token.PriceUSD == 0 {
			return cfg.Problem(fmt.Sprintf("constraints[%d]", i), fmt.Sprintf("%s is valued in USD, but no token price is known; set dao.token.price_usd", c.Metric))
		}
		if !known(c.Metric) {
			return cfg.Problem(fmt.Sprintf("constraints[%d]", i), fmt.Sprintf("%s reports no outcome %q; its outcomes are %s", m.Name(), c.Metric, outcomeNames(outcomes)))
		}
		cons = append(cons, constraint{c})
	}
	for i, o := range cfg.Objectives {
		if !known(o.Name) {
			return cfg.Problem(fmt.Sprintf("objectives[%d].name", i), fmt.Sprintf("%s reports no outcome %q; its outcomes are %s", m.Name(), o.Name, outcomeNames(outcomes)))
		}
	}
	specsObj := make([]objectives.Spec, len(cfg.Objectives))
	for i, o := range cfg.Objectives {
		specsObj[i] = objectives.Spec{Name: o.Name, Weight: o.Weight, Direction: o.Direction}
	}
	set, err := objectives.NewSet(outcomes, specsObj, cons, objectives.Risk{Measure: cfg.Risk.Measure, Alpha: cfg.Risk.Alpha})
	if err != nil {
		return cfg.Problem("objectives", err.Error())
	}
	e.Objectives = set

	hard := map[string]optimizer.Bound{}
	for _, s := range specs {
		hard[s.Name] = optimizer.Bound{Min: s.Min, Max: s.Max, Integer: s.Integer, Unit: s.Unit}
	}
	e.Enactment = map[string]string{}
	e.Onchain = onchain(cfg.DAO.Onchain, rules.Family)
	for _, s := range specs {
		if c, ok := rules.Changeable(s.Name); ok {
			e.Enactment[s.Name] = string(c)
		}
	}
	allowed := map[string]bool{}
	for i, name := range cfg.DAO.AllowUpgrades {
		if _, ok := hard[name]; !ok {
			return cfg.Problem(fmt.Sprintf("dao.allow_upgrades[%d]", i), fmt.Sprintf("%s has no parameter %q; its parameters are %s", m.Name(), name, paramNames(specs)))
		}
		allowed[name] = true
	}
	var declared []optimizer.Declared
	var held []optimizer.Clamp
	for _, name := range slices.Sorted(maps.Keys(cfg.Search)) {
		sp := cfg.Search[name]
		if _, ok := hard[name]; !ok {
			return cfg.Problem("search."+name, fmt.Sprintf("%s has no parameter %q; its parameters are %s", m.Name(), name, paramNames(specs)))
		}
		// What the governor cannot change by a vote is not searched unless
		// the config opts in.
		switch c, ok := rules.Changeable(name); {
		case !ok:
			held = append(held, optimizer.Clamp{Param: name, Kind: "not_enactable", Low: cur[name], High: cur[name],
				Detail: fmt.Sprintf("the %s governor has no way to change it", rules.Family)})
			continue
		case c == governor.Upgrade && !allowed[name]:
			held = append(held, optimizer.Clamp{Param: name, Kind: "needs_upgrade", Low: cur[name], High: cur[name],
				Detail: fmt.Sprintf("the %s governor changes it only by a contract upgrade or a separate programme; list it in dao.allow_upgrades to search it", rules.Family)})
			continue
		}
		declared = append(declared, optimizer.Declared{
			Name: name, Kind: optimizer.Kind(sp.Type), Min: sp.Min, Max: sp.Max, Choices: sp.Choices,
			MaxChange: sp.MaxChange, MaxStep: sp.MaxStep, Frozen: sp.Frozen,
		})
	}
	// Search parameters in the model's declared order, not map order.
	slices.SortStableFunc(declared, func(a, b optimizer.Declared) int {
		return paramIndex(specs, a.Name) - paramIndex(specs, b.Name)
	})
	space, clamps, err := optimizer.BuildSpace(declared, hard, cur)
	if err != nil {
		return cfg.Problem("search", err.Error())
	}
	e.Space, e.Clamps = space, append(held, clamps...)
	return nil
}

// SearchErr reports a problem with the objectives, constraints or search
// section, which calibration does not need but every search does.
func (e *Env) SearchErr() error { return e.spaceErr }

// rulesOf builds the governor's rules: the family's, with dao.rules
// overriding them one by one.
func rulesOf(cfg *config.Config) (governor.Rules, error) {
	fam := cfg.DAO.Governor
	if fam == "" {
		fam = "oz"
	}
	r, err := governor.Family(fam)
	if err != nil {
		return r, cfg.Problem("dao.governor", err.Error())
	}
	o := cfg.DAO.Rules
	if o.QuorumCounts != "" {
		r.QuorumCounts = governor.Counting(o.QuorumCounts)
	}
	if o.QuorumBase != "" {
		r.QuorumBase = governor.Base(o.QuorumBase)
	}
	for _, f := range []struct {
		from *float64
		to   *float64
	}{
		{o.QuorumCoefficient, &r.QuorumCoefficient}, {o.QuorumMax, &r.QuorumMax}, {o.VotingDelayDays, &r.VotingDelayDays},
		{o.ObjectionPhaseDays, &r.ObjectionPhaseDays}, {o.LateQuorumExtensionDays, &r.LateQuorumExtensionDays}, {o.TimelockDays, &r.TimelockDays},
	} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	for k, v := range o.Changes {
		if v == "none" {
			delete(r.Changes, k)
			continue
		}
		r.Changes[k] = governor.Change(v)
	}
	if err := r.Validate(); err != nil {
		return r, cfg.Problem("dao.rules", err.Error())
	}
	if len(r.Tracks) > 0 && !slices.Contains(r.Tracks, cfg.DAO.Track) {
		return r, cfg.Problem("dao.track", fmt.Sprintf("%q is not a track of the %s governor; choose one of %s", cfg.DAO.Track, fam, strings.Join(r.Tracks, ", ")))
	}
	if len(r.Tracks) == 0 && cfg.DAO.Track != "" {
		return r, cfg.Problem("dao.track", fmt.Sprintf("the %s governor has one track; leave dao.track empty", fam))
	}
	return r, nil
}

// onchain resolves dao.onchain over the family's defaults.
func onchain(c config.Onchain, family string) governor.Onchain {
	o := governor.Onchain{Address: c.Address, Clock: governor.Clock(c.Clock), BlockSeconds: c.BlockSeconds,
		QuorumDenominator: int64(c.QuorumDenominator)}.Merge(governor.DefaultOnchain(family))
	if c.TokenDecimals != nil {
		o.TokenDecimals = *c.TokenDecimals
	}
	return o
}

// seenRanges returns, for each parameter that h records in force on the
// track (or on every track), the lowest and highest value it has had
// over the whole history, the value in force (current) included: what
// the DAO has lived under, which a recommended value may lie outside.
// A nil history, or one that records no parameters, gives none.
func seenRanges(h *history.History, track string, current simulator.Params) map[string][2]float64 {
	if h == nil {
		return nil
	}
	out := map[string][2]float64{}
	for _, c := range h.Params {
		if c.Track != "" && c.Track != track || math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
			continue
		}
		r, ok := out[c.Name]
		if !ok {
			r = [2]float64{c.Value, c.Value}
		}
		out[c.Name] = [2]float64{min(r[0], c.Value), max(r[1], c.Value)}
	}
	for name, r := range out {
		if v, ok := current[name]; ok {
			out[name] = [2]float64{min(r[0], v), max(r[1], v)}
		}
	}
	return out
}

// readHistory reads the governance history at path as a history source
// does: from the binary's embedded examples, a file or a CSV directory.
func readHistory(ctx context.Context, cfg *config.Config, path string) (*history.History, error) {
	d, err := (&file.Source{Path: path, Dir: sourceDir(cfg), Kind: file.History}).Read(ctx)
	if err != nil {
		return nil, sourceError(cfg, "sources[0]", file.History, 1, err)
	}
	return d.History, nil
}

// defaultWindowDays is how much history a cycle reads when the source does
// not say.
const defaultWindowDays = 365

// observe computes the observation of the last days of h (365 when days
// is 0), ending just after the last decided proposal's vote.
func observe(h *history.History, days int, rules governor.Rules, track string) (metrics.Observation, error) {
	if days == 0 {
		days = defaultWindowDays
	}
	var end time.Time
	for _, p := range h.Proposals {
		if p.State.Decided() && (track == "" || p.Track == track) && p.End.After(end) {
			end = p.End
		}
	}
	end = end.Add(time.Second)
	w := metrics.Window{Start: end.AddDate(0, 0, -days), End: end}
	return metrics.FromHistory(h, w, rules, track)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// constraint adapts config.Constraint to objectives.Constraint.
type constraint struct{ c config.Constraint }

func (c constraint) Metric() string              { return c.c.Metric }
func (c constraint) Violation(v float64) float64 { return c.c.Violation(v) }
func (c constraint) String() string              { return c.c.String() }

// Replicate runs params n times on the seeds derived from base, in parallel,
// and returns the outcomes in replication order.
func (e *Env) Replicate(ctx context.Context, params simulator.Params, base uint64, n int) ([]metrics.Values, error) {
	return e.replicateOn(ctx, e.Instance, params, base, n)
}

// replicateOn is Replicate on another instance of the model.
func (e *Env) replicateOn(ctx context.Context, in simulator.Instance, params simulator.Params, base uint64, n int) ([]metrics.Values, error) {
	out := make([]metrics.Values, n)
	err := e.parallel(ctx, n, func(ctx context.Context, r int) error {
		v, err := in.Run(ctx, params, simulator.SeedFor(base, r))
		if err != nil {
			return fmt.Errorf("replication %d: %w", r, err)
		}
		if name, ok := v.Finite(); !ok {
			return fmt.Errorf("replication %d: outcome %s is not finite under %v", r, name, params)
		}
		out[r] = v
		return nil
	})
	return out, err
}

// parallel calls f(i) for i in [0, n) on up to Workers goroutines (0:
// GOMAXPROCS); see Parallel.
func (e *Env) parallel(ctx context.Context, n int, f func(context.Context, int) error) error {
	return Parallel(ctx, n, e.Workers, f)
}

// Parallel calls f(i) for i in [0, n) on up to workers goroutines (0 or
// less: GOMAXPROCS) and returns the first error by index, not the
// cancellations it caused in the others. The first failure cancels the
// context the rest see.
func Parallel(ctx context.Context, n, workers int, f func(context.Context, int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if errs[i] = f(ctx, i); errs[i] != nil {
					cancel()
				}
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

func paramNames(specs []simulator.ParamSpec) string {
	return joinNames(specs, func(p simulator.ParamSpec) string { return p.Name })
}

func outcomeNames(outs []simulator.OutcomeSpec) string {
	return joinNames(outs, func(o simulator.OutcomeSpec) string { return o.Name })
}

// joinNames lists the names of xs, comma-separated, in order.
func joinNames[T any](xs []T, name func(T) string) string {
	names := make([]string, len(xs))
	for i, x := range xs {
		names[i] = name(x)
	}
	return strings.Join(names, ", ")
}

func paramIndex(specs []simulator.ParamSpec, name string) int {
	return slices.IndexFunc(specs, func(s simulator.ParamSpec) bool { return s.Name == name })
}

// checkDAO refuses data labelled with another DAO's name: another DAO's
// history would otherwise run silently under this DAO's name. label is
// the DAO the data of source i name, from where they were read. Names
// match ignoring case, spaces and punctuation ("Compound", "compound-dao"
// does not match, "COMPOUND" does); a source's dao setting names the
// label its data carry when that differs from dao.name.
func checkDAO(cfg *config.Config, i int, label, from string) error {
	want, key := cfg.DAO.Name, "dao.name"
	if s := cfg.Sources[i]; s.DAO != "" {
		want, key = s.DAO, fmt.Sprintf("sources[%d].dao", i)
	}
	if label == "" || daoKey(label) == daoKey(want) {
		return nil
	}
	return cfg.Problem(key, fmt.Sprintf("is %q but the data from %s are %q's; point the source at this DAO's data, or, if the data label this DAO differently, set the source's dao: %q", want, from, label, label))
}

// daoKey is a DAO name without case, spaces or punctuation.
func daoKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
