package main

import (
	"errors"
	"fmt"
	"github.com/attune-dao/attune/internal/atomicfile"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/backtest"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
)

func (a *app) backtestCmd() *cobra.Command {
	var windows, windowDays, reps, boots int
	var out string
	cmd := &cobra.Command{
		Use:   "backtest",
		Short: "Check the model out of sample against the DAO's own history",
		Long: `Backtest the model on the config's governance history (a history source).

Rolling windows: the history is cut into consecutive windows of --window-days
ending at the last decided proposal. For each of up to --windows pairs of
adjacent windows, the model is calibrated on the older window under the
parameters then in force (the history's, else the config's current) and run
--replications times over one window's worth of governance under the
parameters in force in the newer one. Its turnout, quorum-failure rate and
pass rate are predicted with a 90% predictive interval (5th to 95th
percentile of the runs) and compared with what the history records;
coverage is the share of windows whose realised value lies in its interval.

Calibration uncertainty: with --bootstraps B (default 8), the calibration
window's decided proposals are resampled with replacement B times, the model
is calibrated on each resample, and the replications are spread over the B
calibrated models, so that the interval carries the error of calibrating on
one noisy window as well as the next window's own noise. --bootstraps 0
runs every replication on the one model calibrated on the window (narrower
intervals that undercover). Each bootstrap costs one more calibration per
window. The level an event's new values predict for the window after it is
bootstrapped too; the predicted change is not.

Parameter changes: for each change the history records, with a window of
history on each side, the model is calibrated on the window before under the
old values, the old and new values are run on the same seeds, and the
predicted change is compared with the change between the windows.

With --out DIR, DIR/backtest.json and DIR/backtest.png are written. The
result is deterministic for optimizer.seed (--seed).`,
		Example: `  attune backtest --config configs/examples/lido/attune.yaml
  attune backtest --config dao.yaml --window-days 180 --windows 4 --out backtest-out
  attune backtest --config dao.yaml --bootstraps 0 --replications 32 -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if windows < 1 {
				return usageError{fmt.Errorf("--windows %d: want 1 or more", windows)}
			}
			if cmd.Flags().Changed("window-days") && windowDays < 1 {
				return usageError{fmt.Errorf("--window-days %d: want 1 or more", windowDays)}
			}
			if reps < 2 {
				return usageError{fmt.Errorf("--replications %d: want 2 or more", reps)}
			}
			if boots < 0 || boots > reps {
				return usageError{fmt.Errorf("--bootstraps %d: want 0 to --replications (%d)", boots, reps)}
			}
			cfg, err := a.loadConfig(cmd, nil)
			if err != nil {
				return err
			}
			in, err := backtest.Load(cmd.Context(), cfg)
			if err != nil {
				if errors.Is(err, history.ErrInvalid) {
					return usageError{err}
				}
				return err
			}
			days, from := windowDays, "--window-days"
			if !cmd.Flags().Changed("window-days") {
				days, from = backtest.DefaultWindowDays, "default"
				if in.SourceWindowDays > 0 {
					days, from = in.SourceWindowDays, "sources[0].window_days"
				}
			}
			start := time.Now()
			rep, err := backtest.Run(cmd.Context(), in.History, in.Spec, backtest.Options{
				Windows: windows, WindowDays: days, Replications: reps, Bootstraps: boots, Seed: cfg.Optimizer.Seed, Logger: a.logger(),
			})
			if errors.Is(err, backtest.ErrTooShort) {
				if from == "sources[0].window_days" {
					return cfg.Problem(from, err.Error()+"; choose a shorter window with --window-days")
				}
				return usageError{err}
			}
			if err != nil {
				return err
			}
			js, err := rep.JSON()
			if err != nil {
				return err
			}
			var wrote []string
			if out != "" {
				if wrote, err = writeBacktest(out, rep, js); err != nil {
					return err
				}
			}
			switch a.output {
			case "json":
				_, err := a.stdout.Write(js)
				return err
			case "yaml":
				return a.writeDoc(rep)
			}
			printBacktest(a.stdout, rep, time.Since(start))
			for _, w := range wrote {
				fmt.Fprintf(a.stdout, "wrote %s\n", w)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&windows, "windows", backtest.DefaultWindows, "most window pairs (calibration window, next window) to evaluate")
	f.IntVar(&windowDays, "window-days", 0, fmt.Sprintf("window length in days (default: the source's window_days, else %d)", backtest.DefaultWindowDays))
	f.IntVar(&reps, "replications", backtest.DefaultReplications, "runs per prediction")
	f.IntVar(&boots, "bootstraps", 8, "bootstrap calibrations per prediction, the runs spread over them (0: none, one calibration)")
	f.StringVar(&out, "out", "", "directory to write backtest.json and backtest.png in (default: print only)")
	return cmd
}

// writeBacktest writes dir/backtest.json and, when a window was evaluated,
// dir/backtest.png, each through a temporary file renamed into place.
func writeBacktest(dir string, rep *backtest.Report, js []byte) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{{"backtest.json", js}}
	png, err := backtest.Chart(rep)
	switch {
	case errors.Is(err, backtest.ErrNothingToChart):
	case err != nil:
		return nil, err
	default:
		files = append(files, struct {
			name string
			data []byte
		}{"backtest.png", png})
	}
	var wrote []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := atomicfile.WriteFile(path, f.data); err != nil {
			return wrote, err
		}
		wrote = append(wrote, path)
	}
	return wrote, nil
}

// printBacktest writes the report as text tables.
func printBacktest(w io.Writer, r *backtest.Report, took time.Duration) {
	track := ""
	if r.Track != "" {
		track = ", track " + r.Track
	}
	boots := ""
	if r.Bootstraps > 0 {
		boots = fmt.Sprintf(" over %d bootstrap calibrations", r.Bootstraps)
	}
	fmt.Fprintf(w, "%s backtest: %s on %s%s, %d-day windows, %d replications per prediction%s, seed %d, %.1fs\n",
		r.DAO, r.Model, r.Source, track, r.WindowDays, r.Replications, boots, r.Seed, took.Seconds())
	fmt.Fprintf(w, "history %s to %s; %.0f%% predictive intervals (5th-95th percentile of the runs): a perfect model covers %.1f%% on average\n",
		day(r.HistoryStart), day(r.HistoryEnd), r.Level*100, r.ExpectedCoverage*100)
	if !r.Horizon {
		fmt.Fprintf(w, "the model has no %s option: each run covers the model's own horizon, not one window\n", backtest.HorizonOption)
	}

	fmt.Fprintf(w, "\nrolling windows (calibrate on one, predict the next):\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "pair\tcalibrated on\tn\tpredicted window\tn\tparameters\tfit")
	for _, x := range r.Windows {
		cal := day(x.Calibration.Start) + ".." + day(x.Calibration.End)
		if x.Cut {
			cal += "*"
		}
		fit, params := "", ""
		switch {
		case x.Skipped != "":
			fit = "skipped: " + x.Skipped
		case x.Fit != nil:
			fit = fitText(x.Fit)
		}
		if x.Calibrated != nil {
			params = sources(x.Calibrated)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\t%s\n", x.Pair, cal, x.Calibration.Proposals,
			day(x.Next.Start)+".."+day(x.Next.End), x.Next.Proposals, params, fit)
	}
	tw.Flush()
	if cut := anyCut(r); cut {
		fmt.Fprintf(w, "* cut at the history's start (at least %.0f%% of a window)\n", backtest.MinCover*100)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "pair\tmetric\tpredicted\t90% interval\trealised\terror\tinside")
	for _, x := range r.Windows {
		for _, p := range x.Predictions {
			fmt.Fprintf(tw, "%d\t%s\t%s\t[%s, %s]\t%s\t%s\t%s\n", x.Pair, p.Metric, pct(p.Mean), pct(p.Lo), pct(p.Hi), pct(p.Realised), pp(p.Error), yes(p.Inside))
		}
	}
	tw.Flush()
	for _, x := range r.Windows {
		for _, n := range x.Notes {
			fmt.Fprintf(w, "  pair %d: %s\n", x.Pair, n)
		}
	}
	fmt.Fprintf(w, "\ncoverage over the windows:\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\twindows\tinside\tcoverage\tmean |error|\tmean error")
	for _, c := range r.Coverage {
		if c.Coverage == nil {
			fmt.Fprintf(tw, "%s\t0\t0\tn/a\tn/a\tn/a\n", c.Metric)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f%%\t%s\t%s\n", c.Metric, c.Windows, c.Inside, *c.Coverage*100, ppAbs(*c.MeanAbsError), pp(*c.MeanError))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nparameter changes (calibrate before, simulate old and new on the same seeds):\n")
	if len(r.Events) == 0 {
		fmt.Fprintln(w, "  the history records none on this track")
	}
	for _, e := range r.Events {
		fmt.Fprintf(w, "%s %s: ", day(e.Time), changesText(e.Changes))
		if e.Skipped != "" {
			fmt.Fprintf(w, "skipped: %s\n", e.Skipped)
			continue
		}
		fmt.Fprintf(w, "before %s..%s (%d proposals), after ..%s (%d); fit %s\n", day(e.Before.Start), day(e.Before.End), e.Before.Proposals, day(e.After.End), e.After.Proposals, fitText(e.Fit))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  metric\tpredicted change\t90% CI\trealised change\tbefore -> after\tagrees\tafter: predicted\t90% interval\tinside")
		for _, f := range e.Effects {
			fmt.Fprintf(tw, "  %s\t%s\t[%s, %s]\t%s\t%s -> %s\t%s\t%s\t[%s, %s]\t%s\n", f.Metric, pp(f.Predicted), pp(f.Lo), pp(f.Hi), pp(f.Realised),
				pct(f.RealisedBefore), pct(f.RealisedAfter), agrees(f), pct(f.After.Mean), pct(f.After.Lo), pct(f.After.Hi), yes(f.After.Inside))
		}
		tw.Flush()
		for _, n := range e.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	if evaluated := eventCount(r); evaluated > 0 {
		fmt.Fprintf(w, "\ndirection agreement over %d evaluated events:", evaluated)
		for _, a := range r.EventAgreement {
			fmt.Fprintf(w, " %s %d/%d", a.Metric, a.Agree, a.Events)
		}
		fmt.Fprintln(w)
	}
}

func anyCut(r *backtest.Report) bool {
	for _, x := range r.Windows {
		if x.Cut {
			return true
		}
	}
	return false
}

func eventCount(r *backtest.Report) int {
	n := 0
	for _, e := range r.Events {
		if e.Skipped == "" {
			n++
		}
	}
	return n
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// pct formats a share or fraction of supply in percent.
func pct(x float64) string { return fmt.Sprintf("%.2f%%", x*100) }

// pp formats a difference of shares in percentage points.
func pp(x float64) string { return fmt.Sprintf("%+.2f pp", x*100) }

// ppAbs formats a size in percentage points, unsigned.
func ppAbs(x float64) string { return fmt.Sprintf("%.2f pp", x*100) }

// agrees says whether an event's predicted and realised changes have the
// same sign, flagging a prediction whose interval spans zero.
func agrees(f backtest.Effect) string {
	s := yes(f.Agrees)
	if !f.Resolved {
		s += " (CI spans 0)"
	}
	return s
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func fitText(f *backtest.FitSummary) string {
	if f == nil {
		return ""
	}
	units := func(x float64) string {
		if metrics.IsRate(f.Worst) {
			return fmt.Sprintf("%.1f pp", x*100)
		}
		return fmt.Sprintf("%.1f%%", x*100)
	}
	s := "ok"
	if !f.OK {
		s = "POOR"
	}
	return fmt.Sprintf("%s (worst %s %s, allowed %s)", s, f.Worst, units(f.Error), units(f.Allowed))
}

// sources says where the calibrated parameters came from, naming those
// not from the history.
func sources(s *backtest.Setting) string {
	var other []string
	for _, p := range s.Params {
		if p.From != "history" {
			other = append(other, p.Name)
		}
	}
	if len(other) == 0 {
		return "history"
	}
	return "history; config: " + strings.Join(other, ",")
}

func changesText(cs []backtest.Change) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + " " + c.Arrow()
	}
	if len(parts) == 0 {
		return "(no change on this track)"
	}
	return strings.Join(parts, ", ")
}
