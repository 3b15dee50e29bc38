package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/adapters/sinktest"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
)

// A mistyped command is a user error with cobra's did-you-mean, at the top
// level, under a group, and after help; it prints no help on stdout.
func TestUnknownCommandsExitTwoWithSuggestion(t *testing.T) {
	for _, c := range []struct {
		args    []string
		suggest string
	}{
		{[]string{"rnu"}, "run"},
		{[]string{"config", "shw"}, "show"},
		{[]string{"bench", "optimiser"}, "optimizer"},
		{[]string{"completion", "bsh"}, "bash"},
		{[]string{"help", "rnu"}, "run"},
		{[]string{"help", "config", "shw"}, "show"},
		{[]string{"--seed", "3", "simulat"}, "simulate"},
	} {
		code, stdout, stderr := run(t, c.args...)
		if code != exitUser {
			t.Errorf("%v: exit %d, want 2\nstderr: %s", c.args, code, stderr)
		}
		if !strings.Contains(stderr, "unknown command") || !strings.Contains(stderr, "Did you mean this?\n\t"+c.suggest+"\n") {
			t.Errorf("%v: stderr lacks the unknown command and the suggestion %q:\n%s", c.args, c.suggest, stderr)
		}
		if stdout != "" {
			t.Errorf("%v: printed on stdout:\n%s", c.args, stdout)
		}
	}
	// No suggestion when nothing is near; still a user error.
	if code, _, stderr := run(t, "xyzzy"); code != exitUser || strings.Contains(stderr, "Did you mean") || !strings.Contains(stderr, `unknown command "xyzzy" for "attune"`) {
		t.Errorf("xyzzy: exit %d, stderr %q", code, stderr)
	}
	// A group alone, or help alone, is a request for help.
	for _, args := range [][]string{{"config"}, {"bench"}, {}, {"help"}, {"help", "config", "show"}} {
		code, stdout, stderr := run(t, args...)
		if code != exitOK || !strings.Contains(stdout, "Usage:") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want the help and exit 0", args, code, stdout, stderr)
		}
	}
}

func TestUnknownFlagsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"run", "--bogus"}, {"config", "show", "--bogus"}, {"bench", "optimizer", "--bogus"}, {"help", "--bogus"}} {
		code, _, stderr := run(t, args...)
		if code != exitUser || !strings.Contains(stderr, "unknown flag: --bogus") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// A signal (a cancelled context) exits 130 with one short line, not the
// error chain it caused, and the run writes nothing.
func TestInterruptExits130(t *testing.T) {
	fast(t)
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		line string
	}{
		{[]string{"calibrate"}, "attune: interrupted; nothing was written\n"},
		{[]string{"simulate", "--replications", "2"}, "attune: interrupted; nothing was written\n"},
		{[]string{"run", "--out", out}, "attune: interrupted; nothing was written\n"},
		{[]string{"worker", "--wait", "0"}, "attune: interrupted; the trials it finished stay in the study\n"},
		{[]string{"publish", sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureCycle, "  - {type: markdown, dir: posts}\n"), "--approver", "a"},
			"attune: interrupted; the sinks that answered are recorded; publish again to finish\n"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr bytes.Buffer
		code := execute(ctx, c.args, &stdout, &stderr)
		// Logs of the work begun may come first; the error is one line.
		if code != exitInterrupted || !strings.HasSuffix("\n"+stderr.String(), "\n"+c.line) || strings.Count(stderr.String(), "attune:") != 1 || strings.Contains(stderr.String(), "context canceled") {
			t.Errorf("%v: exit %d, stderr %q; want 130 ending in the one line %q", c.args, code, stderr.String(), c.line)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("interrupted run wrote %d entries", len(entries))
	}
}

// poorFitConfig writes a config whose metrics the model cannot reproduce.
func poorFitConfig(t *testing.T) (cfg, dir string) {
	t.Helper()
	dir = t.TempDir()
	b, err := os.ReadFile("../../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	// A pass rate this turnout cannot produce under a 4% quorum.
	b = bytes.Replace(b, []byte(`"turnout_power": 0.082`), []byte(`"turnout_power": 0.01`), 1)
	b = bytes.Replace(b, []byte(`"proposals_passed": 28`), []byte(`"proposals_passed": 34`), 1)
	metricsPath := filepath.Join(dir, "m.json")
	if err := os.WriteFile(metricsPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("dao: {name: Example DAO, governor: oz}\ncurrent: {quorum: 0.04, proposal_threshold: 0.001, voting_period_days: 7}\nsearch: {quorum: {max_change: 0.25}}\nconstraints: []\nsources: [{type: file, path: "+metricsPath+"}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

// A poor fit exits 3 from calibrate (after its table) and from optimize,
// which refuses to search; run's refusal is TestPoorFitStopsRunUnlessAccepted.
func TestPoorFitExitsThree(t *testing.T) {
	fast(t)
	cfg, _ := poorFitConfig(t)
	code, stdout, stderr := run(t, "calibrate", "--config", cfg)
	if code != exitPoorFit || !strings.Contains(stdout, "target, OUTSIDE") || !strings.Contains(stderr, "calibration outside tolerance") {
		t.Errorf("calibrate: exit %d; want 3 after the table\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "calibrate", "--config", cfg, "-o", "json")
	var fit struct{ OK *bool }
	if code != exitPoorFit || json.Unmarshal([]byte(stdout), &fit) != nil || fit.OK == nil || *fit.OK {
		t.Errorf("calibrate -o json: exit %d, stdout %s; want 3 after JSON with ok false", code, stdout)
	}
	code, stdout, stderr = run(t, "optimize", "--config", cfg)
	if code != exitPoorFit || stdout != "" || !strings.Contains(stderr, "calibration outside tolerance") {
		t.Errorf("optimize: exit %d; want 3 and nothing searched\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

func TestExitCodeOfErrors(t *testing.T) {
	pathErr := func(errno syscall.Errno) error {
		return fmt.Errorf("history h: read: %w", &fs.PathError{Op: "read", Path: "h", Err: errno})
	}
	for _, c := range []struct {
		err  error
		want int
	}{
		{errors.New("disk on fire"), exitRuntime},
		{fmt.Errorf("cycle: %w", loop.ErrPoorFit), exitPoorFit},
		{fmt.Errorf("config: %w", config.ErrInvalid), exitUser},
		{usageError{errors.New("--x")}, exitUser},
		{pathErr(syscall.ENOENT), exitUser},
		{pathErr(syscall.EISDIR), exitUser},
		{pathErr(syscall.ENOTDIR), exitUser},
		{pathErr(syscall.EACCES), exitUser},
		{pathErr(syscall.EIO), exitRuntime},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// A config or data path that is a directory is the user's mistake.
func TestDirectoryPathsExitTwo(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	metricsCfg := filepath.Join(dir, "metrics.yaml")
	historyCfg := filepath.Join(dir, "history.yaml")
	os.WriteFile(metricsCfg, []byte("sources: [{type: file, path: "+data+"}]\n"), 0o644)
	os.WriteFile(historyCfg, []byte("sources: [{type: history, path: "+data+"}]\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"config", "show", "--config", data}, "is a directory"},
		{[]string{"calibrate", "--config", metricsCfg}, "is a directory"},
		{[]string{"calibrate", "--config", historyCfg}, "meta.csv"}, // a directory of CSV files lacking them
	} {
		code, _, stderr := run(t, c.args...)
		if code != exitUser || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", c.args, code, stderr, c.want)
		}
	}
}

// Counts a user gives that cannot work are refused before any work, not
// replaced by a default.
func TestDegenerateCountsExitTwo(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--replications", "0"}, "--replications 0: want at least 2"},
		{[]string{"simulate", "--replications", "-3"}, "--replications -3: want at least 2"},
		{[]string{"simulate", "--replications", "1"}, "--replications 1: want at least 2, since a 90% interval needs two runs"},
		{[]string{"backtest", "--replications", "1"}, "want 2 or more"},
		{[]string{"backtest", "--windows", "0"}, "want 1 or more"},
		{[]string{"backtest", "--window-days", "-1"}, "want 1 or more"},
		{[]string{"backtest", "--bootstraps", "-1"}, "--bootstraps -1"},
		{[]string{"bench", "optimizer", "--problem", "branin", "--trials", "0"}, "--trials 0"},
		{[]string{"bench", "optimizer", "--problem", "branin", "--seeds", "-2"}, "--seeds -2"},
		{[]string{"bench", "optimizer", "--problem", "branin", "--seeds", "2", "--seed-start", "18446744073709551615"}, "the last seed would pass"},
		{[]string{"run", "--trials", "0"}, "optimizer.trials"},
		{[]string{"optimize", "--trials", "-1"}, "optimizer.trials"},
		{[]string{"worker", "--wait", "-1s"}, "--wait"},
	} {
		code, stdout, stderr := run(t, c.args...)
		if code != exitUser || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 naming %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

func TestVersionReportsTheBuild(t *testing.T) {
	code, text, stderr := run(t, "version")
	if code != exitOK {
		t.Fatalf("version: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"attune " + buildVersion() + "\n", "commit:", "commit time:", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH, "tokenvote"} {
		if !strings.Contains(text, want) {
			t.Errorf("version lacks %q:\n%s", want, text)
		}
	}
	if code, flag, _ := run(t, "--version"); code != exitOK || flag != text {
		t.Errorf("--version: exit %d, printed %q; want what version prints, %q", code, flag, text)
	}
	for _, args := range [][]string{{"version", "-o", "json"}, {"--version", "-o", "json"}} {
		code, stdout, _ := run(t, args...)
		var got map[string]any
		if code != exitOK || json.Unmarshal([]byte(stdout), &got) != nil {
			t.Fatalf("%v: exit %d, stdout %s", args, code, stdout)
		}
		for _, k := range []string{"version", "commit", "commit_time", "modified", "go_version", "platform", "models"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%v: no %q in %s", args, k, stdout)
			}
		}
		if got["version"] != buildVersion() || got["go_version"] != runtime.Version() || got["platform"] != runtime.GOOS+"/"+runtime.GOARCH {
			t.Errorf("%v: %s", args, stdout)
		}
		if ms, _ := got["models"].([]any); len(ms) == 0 || ms[0] != "tokenvote" {
			t.Errorf("%v: models %v", args, got["models"])
		}
	}
	if code, _, stderr := run(t, "--version", "-o", "xml"); code != exitUser || !strings.Contains(stderr, "text, json or yaml") {
		t.Errorf("--version -o xml: exit %d, %q", code, stderr)
	}
	if code, stdout, _ := run(t, "version", "-o", "yaml"); code != exitOK || !strings.Contains(stdout, "go_version: "+runtime.Version()) {
		t.Errorf("version -o yaml: exit %d, %q", code, stdout)
	}
}

// The VCS stamp of a go build in a clone is read into the version.
func TestReadVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-24T10:05:51Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	v := readVersion(bi, true)
	if v.Commit != "0123456789abcdef0123456789abcdef01234567" || v.CommitTime != "2026-11-24T10:05:51Z" || !v.Modified || v.GoVersion != "go1.99.1" || v.Version != buildVersion() {
		t.Errorf("readVersion = %+v", v)
	}
	v = readVersion(nil, false)
	if v.Commit != "" || v.CommitTime != "" || v.Modified || v.GoVersion != runtime.Version() || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("readVersion without build info = %+v", v)
	}
}

func TestHelpExitCodes(t *testing.T) {
	code, stdout, stderr := run(t, "help", "exit-codes")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"  0    success", "  1    runtime failure", "  2    user error", "  3    poor calibration fit", "  130  interrupted"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help exit-codes lacks %q:\n%s", want, stdout)
		}
	}
	_, root, _ := run(t, "--help")
	if !strings.Contains(root, "attune help exit-codes") || !strings.Contains(root, "exit-codes") {
		t.Errorf("attune --help does not point to the exit codes:\n%s", root)
	}
}

// Every command a user runs shows examples in its help, and each example
// line runs the command it documents.
func TestEveryCommandHasExamples(t *testing.T) {
	a := &app{}
	var walk func(*cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, s := range c.Commands() {
			if s.Name() == "completion" || s.Hidden || s.IsAdditionalHelpTopicCommand() {
				continue
			}
			n++
			if strings.TrimSpace(s.Example) == "" {
				t.Errorf("%s has no examples", s.CommandPath())
			}
			runs := false
			for _, line := range strings.Split(s.Example, "\n") {
				runs = runs || strings.Contains(line, s.CommandPath()+" ") || strings.HasSuffix(line, s.CommandPath())
			}
			if !runs {
				t.Errorf("%s: no example runs it:\n%s", s.CommandPath(), s.Example)
			}
			walk(s)
		}
	}
	walk(a.rootCmd())
	if n < 12 {
		t.Errorf("walked %d commands", n)
	}
}

// An empty --config is a user error, not a silent run of the embedded
// example.
func TestEmptyConfigFlagIsUserError(t *testing.T) {
	for _, args := range [][]string{{"run", "--config", ""}, {"config", "show", "-c", " "}} {
		code, stdout, stderr := run(t, args...)
		if code != exitUser || !strings.Contains(stderr, "--config is empty") || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming --config", args, code, stdout, stderr)
		}
	}
}

// Completion offers flag values: the output formats and the parameter
// names --set takes.
func TestCompletionOffersValues(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "--output", ""}, []string{"text", "json"}},
		{[]string{"__complete", "run", "--log-format", ""}, []string{"text", "json"}},
		{[]string{"__complete", "simulate", "--set", ""}, []string{"quorum=", "proposal_threshold=", "voting_period_days="}},
		{[]string{"__complete", "bench", "optimizer", "--sampler", ""}, []string{"gp", "tpe", "cmaes"}},
	} {
		code, stdout, stderr := run(t, c.args...)
		if code != exitOK {
			t.Errorf("%v: exit %d, stderr %s", c.args, code, stderr)
		}
		lines := strings.Split(stdout, "\n")
		for _, w := range c.want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%v: completion lacks %q:\n%s", c.args, w, stdout)
			}
		}
	}
}

// attune man writes one page per command, from the commands' own help:
// a command added later gets its page without anyone remembering to.
func TestManPagesCoverEveryCommand(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "man", "--dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.Name() != "attune" {
			return
		}
		page := filepath.Join(dir, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		b, err := os.ReadFile(page)
		if err != nil {
			t.Errorf("%s: no man page: %v", c.CommandPath(), err)
			return
		}
		if !bytes.Contains(b, []byte(".TH \"ATTUNE\" \"1\"")) || !bytes.Contains(b, []byte(c.Short)) {
			t.Errorf("%s: page lacks the header or the command's summary", page)
		}
		if c.Example != "" && !bytes.Contains(b, []byte("EXAMPLE")) {
			t.Errorf("%s: page lacks the command's examples", page)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk((&app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}).rootCmd())
	if code, _, stderr := run(t, "man"); code != exitUser || !strings.Contains(stderr, "--dir is empty") {
		t.Errorf("man without --dir: exit %d, stderr %q", code, stderr)
	}
}
