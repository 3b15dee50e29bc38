// Command attune keeps a DAO's governance parameters tuned: it reads
// governance metrics, calibrates a simulator of the DAO's mechanism to them,
// searches the parameters against that simulator, and drafts a proposal for
// stewards to review.
//
// Usage:
//
//	attune run        one whole cycle: writes attune-out/<cycle-id>/proposal.md
//	attune simulate   outcomes under the parameters in force (or --set k=v)
//	attune optimize   the search and its recommendation, nothing written
//	attune calibrate  observed vs simulated metrics and the fit error
//	attune config show  the effective configuration
//	attune version
//
// Exit status: 0 on success, 2 for a user error (bad config, metrics, flags),
// 1 for a runtime failure.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/objectives"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/simulator"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUser    = 2
)

// usageError marks a mistake in the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// execute runs the command line args and returns the exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &app{stdout: stdout, stderr: stderr}
	root := app.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		fmt.Fprintln(stderr, "attune: interrupted; nothing was written:", err)
		return exitRuntime
	}
	fmt.Fprintln(stderr, "attune:", err)
	return exitCode(err)
}

func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.As(err, &ue),
		errors.Is(err, config.ErrInvalid),
		errors.Is(err, metrics.ErrInvalid),
		errors.Is(err, objectives.ErrInvalid),
		errors.Is(err, optimizer.ErrInvalid),
		errors.Is(err, simulator.ErrInvalidParams),
		errors.Is(err, fs.ErrNotExist):
		return exitUser
	}
	return exitRuntime
}

// app holds what every command shares: its flags and output streams.
type app struct {
	stdout, stderr io.Writer
	configFile     string
	output         string
	seed           uint64
	logFormat      string
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "attune",
		Short: "Keep a DAO's governance parameters tuned by simulation and Bayesian search",
		Long: `attune reads a DAO's governance metrics, calibrates an agent-based simulator of
its mechanism to them, searches the mechanism's parameters against that
simulator, and drafts a proposal for stewards to review. Every number in a
proposal comes from the search and carries a confidence interval.

With no --config, attune runs on its embedded default: a mid-sized token DAO
described in configs/examples/metrics.json.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.output != "text" && a.output != "json" {
				return usageError{fmt.Errorf("--output %q: want text or json", a.output)}
			}
			if a.logFormat != "text" && a.logFormat != "json" {
				return usageError{fmt.Errorf("--log-format %q: want text or json", a.logFormat)}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&a.configFile, "config", "c", "", "config file (YAML); default: the embedded default config")
	pf.StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	pf.Uint64Var(&a.seed, "seed", 0, "random seed (overrides optimizer.seed)")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format when stderr is not a terminal: text or json")
	root.AddCommand(a.runCmd(), a.simulateCmd(), a.optimizeCmd(), a.calibrateCmd(), a.configCmd(), a.versionCmd())
	root.AddCommand(a.backtestCmd(), a.benchCmd(), a.workerCmd())
	return root
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}

// loadConfig loads the effective config with the command's flag overrides.
func (a *app) loadConfig(cmd *cobra.Command, extra map[string]any) (*config.Config, error) {
	over := map[string]any{}
	if cmd.Flags().Changed("seed") {
		over["optimizer.seed"] = a.seed
	}
	for k, v := range extra {
		over[k] = v
	}
	return config.Load(config.LoadOptions{File: a.configFile, Overrides: over})
}

// interactive reports whether stderr is a terminal.
func (a *app) interactive() bool {
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// logger logs to stderr with slog when it is not a terminal; on a terminal
// progress lines take its place and only warnings are logged.
func (a *app) logger() *slog.Logger {
	level := slog.LevelInfo
	if a.interactive() {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	if a.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.stderr, opts))
}

// buildVersion returns the version set at build time, or the module's.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
