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
//	attune publish    a cycle's proposal to its sinks (forum, issues, webhooks), each once
//	attune config show  the effective configuration
//	attune cycles     the cycles in the store (list, show, diff)
//	attune proposals  their proposals (list, show, approve, reject)
//	attune audit verify  check the store's hash-chained audit log
//	attune version    version, commit, Go version and platform (also --version)
//
// Exit status (attune help exit-codes): 0 on success, 1 for a runtime
// failure, 2 for a user error (an unknown command or flag, a bad flag value,
// a config or data file that is missing, a directory, unreadable or
// invalid), 3 when calibration misses a target (a poor fit), 4 when the
// store's audit log is broken, 130 when interrupted by SIGINT or SIGTERM.
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
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/internal/sqldb"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/objectives"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/simulator"
	"github.com/attune-dao/attune/store"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// Exit codes; exitCodesHelp documents them (attune help exit-codes).
const (
	exitOK          = 0
	exitRuntime     = 1
	exitUser        = 2
	exitPoorFit     = 3
	exitTampered    = 4
	exitInterrupted = 130 // 128 + SIGINT, as shells report a Ctrl-C
)

const exitCodesHelp = `attune exits with one of these codes, so that a script or a cron job can
tell what happened without reading the message:

  0    success
  1    runtime failure: an I/O error, a failed write, a storage that cannot
       be reached, a sink that failed to publish (attune publish: the others
       are published; run it again), a bug
  2    user error: an unknown command (with a did-you-mean) or flag, a bad
       flag value, a config or data path that is missing, a directory or
       unreadable, an invalid config, metrics file or history; the message
       names the file, line and key and what is allowed
  3    poor calibration fit: the model does not reproduce the DAO's data
       within calibration.tolerance; attune calibrate exits 3 when a target
       misses, attune run and attune optimize refuse to search (exit 3)
       unless --accept-poor-fit
  4    the store's audit log is broken: attune audit verify found an entry
       edited, inserted or deleted (or, with --head, rewritten)
  130  interrupted by SIGINT (Ctrl-C) or SIGTERM; attune prints one line and
       writes nothing (attune worker: the trials it finished stay in the
       study)`

// interruptedNote is the annotation key of what a command says after the
// word "interrupted" when a signal stops it; "nothing was written" if unset.
const interruptedNote = "attune/interrupted"

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
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		// A signal: whatever error it caused along the way (a cancelled
		// context deep in a search) is not news to the one who sent it.
		note := "nothing was written"
		if cmd != nil && cmd.Annotations[interruptedNote] != "" {
			note = cmd.Annotations[interruptedNote]
		}
		fmt.Fprintln(stderr, "attune: interrupted;", note)
		return exitInterrupted
	}
	fmt.Fprintln(stderr, "attune:", err)
	return exitCode(err)
}

// exitCode maps an error to its exit code: a poor fit, a user's mistake
// (in the command line, the config or the data, or a path the user gave
// that is missing, a directory or unreadable), or else a runtime failure.
func exitCode(err error) int {
	var ue usageError
	switch {
	case errors.Is(err, loop.ErrPoorFit):
		return exitPoorFit
	case errors.Is(err, store.ErrTampered):
		return exitTampered
	case errors.As(err, &ue),
		errors.Is(err, sqldb.ErrInvalidDSN),
		errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrIllegal),
		errors.Is(err, store.ErrInvalid),
		errors.Is(err, config.ErrInvalid),
		errors.Is(err, adapters.ErrNoSecret),
		errors.Is(err, metrics.ErrInvalid),
		errors.Is(err, history.ErrInvalid),
		errors.Is(err, objectives.ErrInvalid),
		errors.Is(err, optimizer.ErrInvalid),
		errors.Is(err, simulator.ErrInvalidParams),
		errors.Is(err, loop.ErrNoChange),
		errors.Is(err, loop.ErrNoSink),
		errors.Is(err, adapters.ErrNoSecret),
		errors.Is(err, fs.ErrNotExist),
		errors.Is(err, fs.ErrPermission),
		errors.Is(err, syscall.EISDIR),
		errors.Is(err, syscall.ENOTDIR):
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
	showVersion    bool
	// refresh reads every source in full, ignoring their cache (run
	// --refresh).
	refresh bool
	// terminal is the status display on stderr, when it is a terminal.
	terminal *terminal
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "attune",
		Short: "Keep a DAO's governance parameters tuned by simulation and Bayesian search",
		Long: `attune reads a DAO's governance metrics, calibrates an agent-based simulator of
its mechanism to them, searches the mechanism's parameters against that
simulator, and drafts a proposal for stewards to review. Every number in a
proposal comes from the search and carries a confidence interval.

With no --config, attune runs on its embedded default: Compound's
governance history (configs/examples/compound), bundled in the binary.

Exit status: 0 success, 1 runtime failure, 2 user error, 3 poor calibration
fit, 4 audit log broken, 130 interrupted; see attune help exit-codes.`,
		Example: `  attune run                                  # one cycle on the embedded default
  attune calibrate --config dao.yaml          # does the model fit your DAO?
  attune run --config dao.yaml --out cycles   # one cycle for your DAO
  attune help exit-codes`,
		Args: unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.showVersion {
				return a.printVersion()
			}
			return cmd.Help()
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if f := cmd.Flags().Lookup("config"); f != nil && f.Changed && strings.TrimSpace(a.configFile) == "" {
				return usageError{errors.New("--config is empty; give a config file, or leave the flag out to use the embedded default")}
			}
			if a.output != "text" && a.output != "json" && a.output != "yaml" {
				return usageError{fmt.Errorf("--output %q: want text, json or yaml", a.output)}
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
	pf.StringVarP(&a.output, "output", "o", "text", "output format: text, json or yaml")
	pf.Uint64Var(&a.seed, "seed", 0, "random seed (overrides optimizer.seed)")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format when stderr is not a terminal: text or json")
	root.Flags().BoolVar(&a.showVersion, "version", false, "print the version, as attune version does")
	fixed := func(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values, cobra.ShellCompDirectiveNoFileComp
		}
	}
	_ = root.RegisterFlagCompletionFunc("output", fixed("text", "json", "yaml"))
	_ = root.RegisterFlagCompletionFunc("log-format", fixed("text", "json"))
	_ = root.RegisterFlagCompletionFunc("config", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	})
	root.AddCommand(a.runCmd(), a.simulateCmd(), a.optimizeCmd(), a.calibrateCmd(), a.configCmd(), a.versionCmd())
	root.AddCommand(a.backtestCmd(), a.benchCmd(), a.workerCmd(), a.manCmd(), a.initCmd(), a.draftCmd(), a.sourcesCmd(), a.publishCmd())
	root.AddCommand(a.cyclesCmd(), a.proposalsCmd(), a.auditCmd())
	root.AddCommand(&cobra.Command{
		Use:   "exit-codes",
		Short: "What each exit status of attune means",
		Long:  exitCodesHelp,
	})
	root.SetHelpCommand(helpCmd())
	// cobra adds its completion command while executing; add it now so
	// that it is a group like the others below.
	root.InitDefaultCompletionCmd()
	groups(root)
	return root
}

// groups makes every command that only groups others (config, bench,
// completion) refuse an unknown subcommand as a user error with cobra's
// did-you-mean, where cobra would print the help and exit 0; with no
// argument it prints its help.
func groups(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args = unknownCommand
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
		groups(c)
	}
}

// unknownCommand rejects any argument of a command that takes only
// subcommands as an unknown command, suggesting the nearest.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usageError{errors.New(unknownCommandMessage(cmd, args[0]))}
}

func unknownCommandMessage(cmd *cobra.Command, name string) string {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
	}
	return msg + fmt.Sprintf("\nRun '%s --help' for usage.", cmd.CommandPath())
}

// helpCmd replaces cobra's help command, which prints the root's usage and
// exits 0 for a topic it does not know: this one is a user error.
func helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command or topic",
		Long: `Help prints the help of any command (attune help run, attune help config show)
or topic (attune help exit-codes).`,
		Example: "  attune help exit-codes\n  attune help config show",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, s := range cmd.Commands() {
				if (s.IsAvailableCommand() || s.IsAdditionalHelpTopicCommand()) && strings.HasPrefix(s.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(s.Name(), s.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil {
				return usageError{err}
			}
			if len(rest) > 0 {
				return usageError{errors.New(unknownCommandMessage(cmd, rest[0]))}
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	}
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
	if a.interactive() {
		return slog.New(&stageHandler{t: a.term()})
	}
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
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
