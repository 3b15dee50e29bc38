package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/optimizer/bench"
	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/storage"
)

func (a *app) benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure attune's optimizer on standard test problems",
		Example: `  attune bench optimizer --problem all --sampler tpe --trials 100 --seeds 20 > tpe.jsonl
  attune bench compare --results tpe.jsonl --sampler tpe --baseline optuna-3.1.jsonl --against tpe`,
	}
	cmd.AddCommand(a.benchOptimizerCmd(), a.benchCompareCmd())
	return cmd
}

func (a *app) benchOptimizerCmd() *cobra.Command {
	var problemsFile, samplerName, storageDSN string
	var problems []string
	var trials, seeds int
	var seedStart uint64
	cmd := &cobra.Command{
		Use:   "optimizer",
		Short: "Run a sampler on benchmark problems and print one JSON line per seed",
		Long: `Run a sampler on problems of a problems file (default: the embedded copy of
../shared/bench/problems.json) for --seeds seeds from --seed-start, and print
one JSON line per seed with the fields of the Optuna baseline
(optuna_baseline.py): problem, sampler, seed, trials, best_value, best_gap,
best_params, best_observed, wall_s, objective_s, overhead_s_per_trial.

Trial 0 of each run is a point drawn uniformly from the box, standing for
the parameters in force a real search starts from (the box centre is the
optimum of several problems). Noisy problems add Gaussian noise of the
file's noise_sd to each evaluation; the best trial is the one with the
lowest observed value, scored on the noise-free function.`,
		Example: `  attune bench optimizer --problem branin --sampler tpe --trials 100 --seeds 20
  attune bench optimizer --problem all --sampler gp --trials 200 --seeds 20 > gp.jsonl`,
		Annotations: map[string]string{interruptedNote: "the lines printed are the seeds that finished"},
		Args:        noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if trials < 1 {
				return usageError{fmt.Errorf("--trials %d: want 1 or more", trials)}
			}
			if seeds < 1 {
				return usageError{fmt.Errorf("--seeds %d: want 1 or more", seeds)}
			}
			if seedStart > math.MaxUint64-uint64(seeds-1) {
				return usageError{fmt.Errorf("--seed-start %d with --seeds %d: the last seed would pass %d", seedStart, seeds, uint64(math.MaxUint64))}
			}
			if !sampling.Registered(samplerName) {
				return usageError{fmt.Errorf("--sampler %q: want one of %s", samplerName, strings.Join(sampling.Names(), ", "))}
			}
			var f *bench.File
			var err error
			if problemsFile == "" {
				f, err = bench.Default()
			} else {
				f, err = bench.LoadFile(problemsFile)
			}
			if err != nil {
				return usageError{err}
			}
			var ps []*bench.Problem
			for _, name := range problems {
				if name == "all" {
					for i := range f.Problems {
						ps = append(ps, &f.Problems[i])
					}
					continue
				}
				p, err := f.Problem(name)
				if err != nil {
					return usageError{fmt.Errorf("--problem: %w", err)}
				}
				ps = append(ps, p)
			}
			if len(ps) == 0 {
				return usageError{fmt.Errorf("--problem: name at least one problem, or all")}
			}
			var store *storage.Storage
			if storageDSN != "" {
				if store, err = storage.Open(cmd.Context(), storageDSN); err != nil {
					return usageError{fmt.Errorf("--storage: %w", err)}
				}
				defer store.Close()
			}
			enc := json.NewEncoder(a.stdout)
			for _, p := range ps {
				for i := range uint64(seeds) {
					s := seedStart + i
					o := bench.Options{Sampler: samplerName, Trials: trials, Seed: s}
					if store != nil {
						o.Storage = store
						o.Study = fmt.Sprintf("bench/%s/%s/%d/seed-%d/%d", p.Name, samplerName, trials, s, time.Now().UnixNano())
					}
					row, err := bench.Run(cmd.Context(), p, o)
					if err != nil {
						return err
					}
					if err := enc.Encode(row); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&problemsFile, "problems", "", "problems file (JSON); default: the embedded copy of ../shared/bench/problems.json")
	f.StringSliceVar(&problems, "problem", nil, "problem name, repeatable or comma-separated; all for every problem")
	f.StringVar(&samplerName, "sampler", "tpe", "sampler: "+strings.Join(sampling.Names(), ", "))
	f.IntVar(&trials, "trials", 100, "trials per run, trial 0 included")
	f.IntVar(&seeds, "seeds", 1, "number of seeds")
	f.Uint64Var(&seedStart, "seed-start", 0, "first seed")
	f.StringVar(&storageDSN, "storage", "", "keep each run's study in this storage (sqlite:PATH or a postgres:// URL) to measure its cost; default: memory")
	_ = cmd.RegisterFlagCompletionFunc("sampler", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return sampling.Names(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func (a *app) benchCompareCmd() *cobra.Command {
	var ours, theirs, oursName, theirsName string
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "Compare two samplers' best gaps seed by seed (Mann-Whitney U)",
		Long: `Read two files of JSON lines (attune bench optimizer's, or optuna_baseline.py's)
and, for each problem and budget both hold, compare --sampler's best gaps in
--results with --against's in --baseline by a two-sided Mann-Whitney U test:
better or worse at p < 0.05, else tie. Prints a Markdown table (median and
interquartile range of each) and a count of verdicts per budget.`,
		Example: `  attune bench compare --results tpe.jsonl --sampler tpe --baseline optuna-3.1.jsonl --against tpe`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			read := func(path string) ([]bench.Row, error) {
				fh, err := os.Open(path)
				if err != nil {
					return nil, usageError{err}
				}
				defer fh.Close()
				rows, err := bench.ReadRows(fh)
				if err != nil {
					return nil, usageError{fmt.Errorf("%s: %w", path, err)}
				}
				return rows, nil
			}
			or, err := read(ours)
			if err != nil {
				return err
			}
			tr, err := read(theirs)
			if err != nil {
				return err
			}
			vs := bench.Compare(bench.Summarise(or), bench.Summarise(tr), oursName, theirsName)
			if len(vs) == 0 {
				return usageError{fmt.Errorf("no problem and budget has rows of %s in %s and of %s in %s", oursName, ours, theirsName, theirs)}
			}
			if a.output != "text" {
				return a.writeDoc(verdictsJSON(vs))
			}
			return printVerdicts(a.stdout, vs, oursName, theirsName)
		},
	}
	f := cmd.Flags()
	f.StringVar(&ours, "results", "", "JSON lines of the sampler under test")
	f.StringVar(&oursName, "sampler", "tpe", "sampler under test, as named in --results")
	f.StringVar(&theirs, "baseline", "", "JSON lines of the reference")
	f.StringVar(&theirsName, "against", "tpe", "reference sampler, as named in --baseline")
	_ = cmd.MarkFlagRequired("results")
	_ = cmd.MarkFlagRequired("baseline")
	return cmd
}

func verdictsJSON(vs []bench.Verdict) []map[string]any {
	out := make([]map[string]any, len(vs))
	for i, v := range vs {
		out[i] = map[string]any{
			"problem": v.Problem, "trials": v.Trials, "verdict": v.Outcome, "p": v.P, "u": v.U,
			"ours":   map[string]any{"sampler": v.Ours.Sampler, "n": v.Ours.N, "median": v.Ours.Median, "p25": v.Ours.P25, "p75": v.Ours.P75},
			"theirs": map[string]any{"sampler": v.Theirs.Sampler, "n": v.Theirs.N, "median": v.Theirs.Median, "p25": v.Theirs.P25, "p75": v.Theirs.P75},
		}
	}
	return out
}

func printVerdicts(w io.Writer, vs []bench.Verdict, ours, theirs string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintf(tw, "| problem\t trials\t %s: median [p25, p75]\t %s: median [p25, p75]\t p\t verdict\t\n", ours, theirs)
	fmt.Fprintf(tw, "|---\t---\t---\t---\t---\t---\t\n")
	count := map[int]map[string]int{}
	for _, v := range vs {
		fmt.Fprintf(tw, "| %s\t %d\t %.3g [%.3g, %.3g]\t %.3g [%.3g, %.3g]\t %.2g\t %s\t\n",
			v.Problem, v.Trials, v.Ours.Median, v.Ours.P25, v.Ours.P75, v.Theirs.Median, v.Theirs.P25, v.Theirs.P75, v.P, v.Outcome)
		if count[v.Trials] == nil {
			count[v.Trials] = map[string]int{}
		}
		count[v.Trials][v.Outcome]++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	seen := map[int]bool{}
	for _, v := range vs {
		if seen[v.Trials] {
			continue
		}
		seen[v.Trials] = true
		c := count[v.Trials]
		fmt.Fprintf(w, "%d trials: %s better on %d, worse on %d, tie on %d (of %d; Mann-Whitney p < %g)\n",
			v.Trials, ours, c["better"], c["worse"], c["tie"], c["better"]+c["worse"]+c["tie"], bench.Alpha)
	}
	return nil
}
