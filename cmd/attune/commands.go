package main

import (
	"encoding/json"
	"fmt"
	"github.com/attune-dao/attune/schema"
	"go.yaml.in/yaml/v3"
	"io"
	"maps"
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/simulator"
)

func (a *app) runCmd() *cobra.Command {
	var out, storeDSN string
	var acceptPoorFit, noTrack bool
	var trials int
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run one cycle: calibrate, search, verify and draft a proposal",
		Long: `Run one whole cycle and exit, as a cron job would: read the metrics, calibrate
the model, search the parameters, verify the best candidate against the
parameters in force on fresh paired replications, and write

  <out>/<cycle-id>/proposal.md          the proposal for stewards (Markdown)
  <out>/<cycle-id>/recommendation.json  every number behind it
  <out>/<cycle-id>/objectives.png       objectives under current and recommended
  <out>/<cycle-id>/draft.json           how the prose was drafted (drafter, model,
                                        tokens, verification, any fallback)
  <out>/<cycle-id>/trials.json          every trial of the searches (the desk's plots)
  <out>/<cycle-id>/config.yaml          the effective config (less out) with its inputs
                                        beside it: attune run --config config.yaml there
                                        reproduces the cycle

and records the cycle as pending review in the store (--store, by default
<out>/attune.db; attune proposals approve ID decides it). Once the store
exists, a run holds the DAO's lock from start to end, so that two runs of
one DAO (or a run and the service) never overlap: the second stops at once.

The cycle id is derived from the inputs, so rerunning the same inputs
rewrites the same files; while a cycle of the same config and data is
pending, a rerun records no second one. Data read from elsewhere than one
file (several sources, a command, a network source) are kept as
history.json beside config.yaml. A source that can fetch only what changed
(attune sources check says which) keeps what it read under
<out>/state/sources/, so the next run fetches only what is new; --refresh
reads everything again. With oracle.provider openai, LLM drafts are cached
under <out>/drafts/ by the hash of their inputs; attune draft redrafts a
cycle without searching again.

A calibration that misses a target stops the cycle with exit status 3
before the search, unless --accept-poor-fit. Interrupted (Ctrl-C, SIGTERM),
it writes nothing and exits 130.`,
		Example: `  attune run                                   # the embedded default: Compound's history
  attune run --config dao.yaml --out cycles    # your DAO; files under cycles/<cycle-id>/
  attune run --config dao.yaml --trials 40 --no-track-record   # a quicker, rougher cycle
  attune run --config dao.yaml --refresh       # read every source in full, not from the cache
  attune run --config dao.yaml -o json | jq .recommendation.change`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			extra := map[string]any{}
			if cmd.Flags().Changed("out") {
				extra["out"] = out
			}
			start := time.Now()
			// The drafter first: a key that is not set stops the run
			// before calibration, not after the search.
			var drafter oracle.Drafter
			var rec *recorder
			cfg, env, err := a.prepareWith(cmd, trials, extra, func(cfg *config.Config) (err error) {
				drafter, err = loop.NewDrafter(cfg, loop.DrafterOptions{CacheDir: filepath.Join(cfg.Out, loop.DraftsDir)})
				if err != nil {
					return err
				}
				// The store and the DAO's lock next, when there is a
				// store: another process running this DAO's cycle stops
				// the run before any work.
				rec, err = openRecorder(cmd.Context(), cfg, storeDSN, false, a.logger())
				return err
			})
			defer func() {
				if rec != nil {
					_ = rec.close()
				}
			}()
			if err != nil {
				return err
			}
			p := a.progress()
			opts := loop.Options{Version: buildVersion(), Progress: p.update, AcceptPoorFit: acceptPoorFit}
			if !noTrack {
				opts.TrackRecord = trackRecord
			}
			c, err := env.Cycle(cmd.Context(), drafter, opts)
			p.done()
			if err != nil {
				return err
			}
			// A signal that came after the search: write nothing rather
			// than a cycle the user asked to stop.
			if err := cmd.Context().Err(); err != nil {
				return err
			}
			if rec == nil { // the first run: the store is created now
				if rec, err = openRecorder(cmd.Context(), cfg, storeDSN, true, a.logger()); err != nil {
					return err
				}
			}
			dir, err := c.Write(cfg.Out)
			if err != nil {
				return err
			}
			a.logger().Info("cycle written", "cycle", c.ID, "dir", dir, "change", c.Recommendation.Change)
			if err := rec.record(cmd.Context(), c, dir); err != nil {
				return err
			}
			logDraft(a.logger(), c.Proposal)
			if a.output != "text" {
				doc := schema.NewRecommendation(c.Recommendation)
				doc.Dir = dir
				doc.Draft = &c.Proposal.Meta
				return a.writeDoc(doc)
			}
			printRecommendation(a.stdout, c.Recommendation, time.Since(start))
			fmt.Fprintf(a.stdout, "\nwrote %s/{proposal.md,proposal.html,proposal.json,recommendation.json,objectives.png,draft.json,trials.json,config.yaml}\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "attune-out", "directory to write the cycle under (overrides out)")
	cmd.Flags().StringVar(&storeDSN, "store", "", "the store to record the cycle in (sqlite:PATH or postgres://...; default: sqlite:<out>/attune.db)")
	cmd.Flags().BoolVar(&acceptPoorFit, "accept-poor-fit", false, "write a recommendation although calibration missed a target; its summary states the miss first")
	cmd.Flags().BoolVar(&noTrack, "no-track-record", false, "skip the short backtest (2 windows of 180 days) whose result the proposal quotes")
	cmd.Flags().IntVar(&trials, "trials", 0, "number of trials (overrides optimizer.trials)")
	cmd.Flags().BoolVar(&a.refresh, "refresh", false, "read every source in full, ignoring what the sources' cache (<out>/state/sources) holds; the cache is rewritten")
	return cmd
}

// prepare loads the config with the command's overrides (--trials, when
// the command has it and it is set, and extra) and prepares the
// calibrated model.
func (a *app) prepare(cmd *cobra.Command, trials int, extra map[string]any) (*config.Config, *loop.Env, error) {
	return a.prepareWith(cmd, trials, extra, nil)
}

// prepareWith is prepare with a check of the loaded config that runs
// before calibration.
func (a *app) prepareWith(cmd *cobra.Command, trials int, extra map[string]any, check func(*config.Config) error) (*config.Config, *loop.Env, error) {
	over := map[string]any{}
	for k, v := range extra {
		over[k] = v
	}
	if cmd.Flags().Changed("trials") {
		over["optimizer.trials"] = trials
	}
	cfg, err := a.loadConfig(cmd, over)
	if err != nil {
		return nil, nil, err
	}
	if check != nil {
		if err := check(cfg); err != nil {
			return nil, nil, err
		}
	}
	env, err := loop.PrepareWith(cmd.Context(), cfg, a.logger(), loop.SourceOptions{Refresh: a.refresh})
	return cfg, env, err
}

func (a *app) optimizeCmd() *cobra.Command {
	var trials int
	var pareto bool
	cmd := &cobra.Command{
		Use:   "optimize",
		Short: "Search the parameters and print the recommendation; nothing is written",
		Long: `Calibrate the model, search the parameters and verify the best candidate as
attune run does, and print the recommendation; nothing is written. A
calibration that misses a target stops it with exit status 3 before the
search. With --pareto, print each search's Pareto set (the trials no other
beats on every objective) instead.`,
		Example: `  attune optimize --config dao.yaml
  attune optimize --config dao.yaml --trials 60 --seed 7 -o json
  attune optimize --config dao.yaml --pareto`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			cfg, env, err := a.prepare(cmd, trials, nil)
			if err != nil {
				return err
			}
			if err := env.CheckFit(); err != nil {
				return err
			}
			p := a.progress()
			res, err := env.Optimize(cmd.Context(), loop.Options{Progress: p.update, Version: buildVersion()})
			p.done()
			if err != nil {
				return err
			}
			if pareto {
				return a.printPareto(env, res)
			}
			rec, err := env.Recommend(cmd.Context(), loop.CycleID(cfg, env.Observation, buildVersion()), res, buildVersion())
			if err != nil {
				return err
			}
			if a.output != "text" {
				return a.writeDoc(schema.NewRecommendation(rec))
			}
			printRecommendation(a.stdout, rec, time.Since(start))
			return nil
		},
	}
	cmd.Flags().IntVar(&trials, "trials", 0, "number of trials (overrides optimizer.trials)")
	cmd.Flags().BoolVar(&pareto, "pareto", false, "print the Pareto set (the trials no other beats on every objective) instead of a recommendation")
	return cmd
}

func (a *app) simulateCmd() *cobra.Command {
	var sets []string
	var reps int
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate the parameters in force (or --set name=value) and print outcomes with intervals",
		Long: `Calibrate the model and simulate the parameters in force, or those changed
with --set, on the proposal's validation seeds, and print each outcome's
mean and interval (optimizer.confidence, 90% by default). --replications
must be at least 2, since an interval needs two runs; without it,
optimizer.validation runs are made.`,
		Example: `  attune simulate
  attune simulate --set quorum=0.05 --set voting_period_days=5
  attune simulate --config dao.yaml --replications 64 -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("replications") && reps < 2 {
				return usageError{fmt.Errorf("--replications %d: want at least 2, since a 90%% interval needs two runs; leave it out for optimizer.validation", reps)}
			}
			cfg, env, err := a.prepare(cmd, 0, nil)
			if err != nil {
				return err
			}
			params := env.Current.Clone()
			for _, s := range sets {
				k, x, err := parseSet(s)
				if err != nil {
					return usageError{fmt.Errorf("--set %w", err)}
				}
				params[k] = x
			}
			if _, err := simulator.Complete(env.Model.Params(), params); err != nil {
				return usageError{fmt.Errorf("--set: %w", err)}
			}
			if !cmd.Flags().Changed("replications") {
				reps = cfg.Optimizer.Validation
			}
			// The proposal's validation seeds: replication r here is
			// replication r behind its figures.
			runs, err := env.Replicate(cmd.Context(), params, env.ValidationSeed(), reps)
			if err != nil {
				return err
			}
			level := cfg.Optimizer.Confidence
			var rows []schema.Outcome
			for _, o := range env.Model.Outcomes() {
				xs := make([]float64, len(runs))
				for i, r := range runs {
					xs[i] = r[o.Name]
				}
				m, lo, hi := metrics.MeanCI(xs, level)
				rows = append(rows, schema.Outcome{Name: o.Name, Unit: o.Unit,
					Estimate: oracle.Estimate{Mean: m, CI: oracle.Interval{Lo: lo, Hi: hi, Level: level}, N: len(xs)}})
			}
			if a.output != "text" {
				return a.writeDoc(schema.SimulationDoc{Schema: schema.Simulation, Model: env.Model.Name(), Params: params, Replications: reps, Outcomes: rows})
			}
			fmt.Fprintf(a.stdout, "%s under %s, %d replications on the proposal's validation seeds (its figures for the same parameters agree), %.0f%% intervals\n\n", env.Model.Name(), formatParams(params), reps, level*100)
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "outcome\tmean\tinterval\tunit")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t[%s, %s]\t%s\n", r.Name, num(r.Mean), num(r.CI.Lo), num(r.CI.Hi), r.Unit)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "parameter value to simulate instead of the one in force, e.g. --set quorum=0.05 (repeatable)")
	cmd.Flags().IntVar(&reps, "replications", 0, "replications, at least 2 (default: optimizer.validation)")
	_ = cmd.RegisterFlagCompletionFunc("set", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		// The parameters in force, from the config the command line names.
		cfg, err := a.loadConfig(cmd, nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(cfg.Current))
		for name := range cfg.Current {
			names = append(names, name+"=")
		}
		slices.Sort(names)
		return names, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func (a *app) calibrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "calibrate",
		Short: "Print observed vs simulated metrics under the parameters in force, with the fit error",
		Long: `Calibrate the model to the metrics and print, for each metric, the observed
value, the simulated one under the parameters in force and the relative
error. Targets are the metrics the calibration fits; the others show how
well the rest of the model agrees. Exits 3 when a target misses the
tolerance (the table is printed first), so that a script can tell "the
model does not fit this DAO" from a failure.`,
		Example: `  attune calibrate
  attune calibrate --config configs/examples/lido/attune.yaml
  attune calibrate --config dao.yaml -o json || echo "exit $?: 3 is a poor fit"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, env, err := a.prepare(cmd, 0, nil)
			if err != nil {
				return err
			}
			f := env.Fit
			if a.output != "text" {
				if err := a.writeDoc(schema.CalibrationDoc{Schema: schema.Calibration, Model: env.Model.Name(), OK: f.OK(),
					Source: env.Observation.Source, WindowStart: env.Observation.Window.Start, WindowEnd: env.Observation.Window.End,
					Replications: f.Replications, Tolerance: f.Tolerance, Rows: env.FitRows(), Latent: f.Latent, AtBound: f.AtBound}); err != nil {
					return err
				}
				return env.CheckFit()
			}
			fmt.Fprintf(a.stdout, "%s calibrated to %s (%s to %s), %d replications\n\n", env.Model.Name(), env.Observation.Source,
				env.Observation.Window.Start.Format("2006-01-02"), env.Observation.Window.End.Format("2006-01-02"), f.Replications)
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "metric\tobserved\tsimulated\terror\tallowed\t")
			units := func(k string, x float64) string {
				if metrics.IsRate(k) {
					return fmt.Sprintf("%.1f pp", x*100)
				}
				return fmt.Sprintf("%.1f%%", x*100)
			}
			for _, k := range f.Observed.Names() {
				mark, allowed := "", ""
				if slices.Contains(f.Targets, k) {
					mark, allowed = "target", units(k, f.Allowed(k))
					if f.Error[k] > f.Allowed(k) {
						mark = "target, OUTSIDE"
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k, num(f.Observed[k]), num(f.Simulated[k]), units(k, f.Error[k]), allowed, mark)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			name, worst, allowed := f.Worst()
			fmt.Fprintf(a.stdout, "\nfit: worst target %s, error %s, allowed %s (tolerance %s, or the data's own 90%% uncertainty when larger)\n", name, units(name, worst), units(name, allowed), units(name, f.Tolerance))
			if len(f.AtBound) > 0 {
				fmt.Fprintf(a.stdout, "at the end of their range (forced, not found): %s\n", strings.Join(f.AtBound, ", "))
			}
			fmt.Fprint(a.stdout, "latent:")
			for _, k := range slices.Sorted(maps.Keys(f.Latent)) {
				fmt.Fprintf(a.stdout, " %s=%s", k, num(f.Latent[k]))
			}
			fmt.Fprintln(a.stdout)
			return env.CheckFit()
		},
	}
}

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "config",
		Short:   "Inspect the configuration",
		Example: "  attune config show --config dao.yaml",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective config: embedded default < --config file < ATTUNE_* env < flags",
		Long: `Print the effective config, each layer over the one before: the embedded
default, the --config file, ATTUNE_* environment variables
(ATTUNE_OPTIMIZER_TRIALS=50 sets optimizer.trials) and flags. Nothing is
calibrated or searched.`,
		Example: `  attune config show
  attune config show --config dao.yaml
  ATTUNE_OPTIMIZER_TRIALS=50 attune config show --config dao.yaml -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			if a.output != "text" {
				return a.writeDoc(cfg)
			}
			b, err := cfg.YAML()
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(b)
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Check the config as every run does, reading no data: model, parameters, search, objectives, sinks",
		Long: `Load the config and check it as attune run does before reading any data:
every key known and well typed (with its line), the model and the
parameters in force, the objectives, constraints and search space against
the model, and each sink's own keys for its type (an unknown sink type or
key is an error). No data, secret or network is touched. Exits 0 when the
config is sound, 2 with every problem found otherwise.`,
		Example: `  attune config check --config dao.yaml
  attune config check --config dao.yaml -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			if err := loop.CheckConfig(cfg); err != nil {
				return err
			}
			type sink struct {
				Name string `json:"name"`
				Type string `json:"type"`
			}
			sinks := []sink{}
			for _, s := range cfg.Sinks {
				sinks = append(sinks, sink{s.SinkName(), s.Type})
			}
			if a.output != "text" {
				return a.writeDoc(struct {
					OK    bool   `json:"ok"`
					Model string `json:"model"`
					Sinks []sink `json:"sinks"`
				}{true, cfg.DAO.Model, sinks})
			}
			var names []string
			for _, s := range sinks {
				names = append(names, s.Name+" ("+s.Type+")")
			}
			if len(names) == 0 {
				names = []string{"none"}
			}
			fmt.Fprintf(a.stdout, "config ok: model %s, sinks: %s\n", cfg.DAO.Model, strings.Join(names, ", "))
			return nil
		},
	})
	return cmd
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print attune's version, commit, Go version, platform and the models it ships",
		Long: `Print attune's version (set at build time, else the module's, else dev), the
commit it was built from and that commit's time (from the build's VCS
stamp; "modified" when the work tree had uncommitted changes), the Go
version, the platform (GOOS/GOARCH) and the models it ships. attune
--version prints the same. A binary built by go build or go install in a
clone carries the commit; go run and test binaries do not.`,
		Example: `  attune version
  attune --version
  attune version -o json`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error { return a.printVersion() },
	}
}

// versionInfo is what attune version prints.
type versionInfo struct {
	Version    string   `json:"version"`
	Commit     string   `json:"commit"`      // "" when the build has no VCS stamp
	CommitTime string   `json:"commit_time"` // RFC 3339; "" when unknown
	Modified   bool     `json:"modified"`    // the work tree had uncommitted changes
	GoVersion  string   `json:"go_version"`
	Platform   string   `json:"platform"` // GOOS/GOARCH
	Models     []string `json:"models"`
}

// readVersion describes this binary from its build information, when it
// has any (ok); version is buildVersion's.
func readVersion(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: buildVersion(), GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, Models: simulator.Models()}
	if !ok || bi == nil {
		return v
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (a *app) printVersion() error {
	v := readVersion(debug.ReadBuildInfo())
	if a.output != "text" {
		return a.writeDoc(v)
	}
	or := func(s, dflt string) string {
		if s == "" {
			return dflt
		}
		return s
	}
	commit := or(v.Commit, "unknown (no VCS stamp in this build)")
	if v.Modified {
		commit += " (modified)"
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "attune %s\n", v.Version)
	fmt.Fprintf(tw, "commit:\t%s\n", commit)
	fmt.Fprintf(tw, "commit time:\t%s\n", or(v.CommitTime, "unknown"))
	fmt.Fprintf(tw, "go:\t%s\n", v.GoVersion)
	fmt.Fprintf(tw, "platform:\t%s\n", v.Platform)
	fmt.Fprintf(tw, "models:\t%s\n", strings.Join(v.Models, ", "))
	return tw.Flush()
}

// printRecommendation writes the short summary of a recommendation.
func printRecommendation(w io.Writer, rec oracle.Recommendation, took time.Duration) {
	m := rec.Method
	fmt.Fprintf(w, "cycle %s: %s (%s), %d trials x %d replications, %s, seed %d, %.1fs\n\n",
		rec.CycleID, rec.DAO, m.Model, m.Trials, m.Replications, m.Sampler, m.Seed, took.Seconds())
	if rec.PoorFit != "" {
		fmt.Fprintf(w, "WARNING: the model does not reproduce this DAO's data (%s); every figure below rests on it.\n\n", rec.PoorFit)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "parameter\tcurrent\t->\trecommended\tchange\tsearches' range\t")
	for _, p := range rec.Params {
		change := "="
		switch {
		case p.Held != "":
			change = "held: " + strings.ReplaceAll(p.Held, "_", " ")
		case !p.Searched:
			change = "held"
		case p.Changed() && p.Enactment == "upgrade" && p.RelChange != nil:
			change = fmt.Sprintf("%+.1f%% (needs an upgrade)", *p.RelChange*100)
		case p.Changed() && p.RelChange != nil:
			change = fmt.Sprintf("%+.1f%%", *p.RelChange*100)
		case p.Changed():
			change = "from 0"
		}
		span := ""
		if p.Range != nil {
			span = num(p.Range[0]) + " to " + num(p.Range[1])
		}
		fmt.Fprintf(tw, "%s\t%s\t->\t%s\t%s\t%s\t%s\n", p.Name, num(p.Current), num(p.Recommended), change, span, p.Unit)
	}
	tw.Flush()
	level := rec.Score.Difference.CI.Level * 100
	fmt.Fprintf(w, "\nexpected effect on each objective (%.0f%% intervals, %d fresh paired replications):\n", level, rec.Method.Validation)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "objective\tcurrent\trecommended\tdifference\tinterval\tverdict")
	for _, e := range append(append([]oracle.Effect{}, rec.Effects...), rec.Score) {
		d := e.Difference
		fmt.Fprintf(tw, "%s\t%s\t%s\t%+.4g\t[%s, %s]\t%s\n", e.Name, num(e.Current.Mean), num(e.Recommended.Mean), d.Mean, num(d.CI.Lo), num(d.CI.Hi), e.Verdict())
	}
	tw.Flush()
	for _, c := range rec.Clamps {
		if c.Binding {
			fmt.Fprintf(w, "guardrail binding: %s (%s: %s)\n", c.Param, c.Kind, c.Detail)
		}
	}
	verdict := "NO CHANGE"
	if rec.Change {
		verdict = "CHANGE RECOMMENDED"
	}
	fmt.Fprintf(w, "\n%s: %s\n", verdict, rec.Reason)
}

// progress renders search progress on a terminal; elsewhere it is silent
// (the loop logs instead).
// writeDoc prints v in the --output format: indented JSON, or YAML with
// the same keys in the same order.
func (a *app) writeDoc(v any) error {
	if a.output != "yaml" {
		return writeJSON(a.stdout, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// JSON is YAML: parse it into a node tree (keeping the key order),
	// then print that tree in block style.
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return err
	}
	blockStyle(&n)
	enc := yaml.NewEncoder(a.stdout)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return err
	}
	return enc.Close()
}

// blockStyle clears the styles JSON leaves on every node (flow brackets,
// quotes), so the encoder picks block style and quotes only what needs it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func num(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

func formatParams(p simulator.Params) string {
	var parts []string
	for _, k := range p.Names() {
		parts = append(parts, k+"="+strconv.FormatFloat(p[k], 'g', -1, 64))
	}
	return strings.Join(parts, " ")
}
