// Package exec is the source of type exec, the integration point for
// anything attune does not read itself: it runs a command and reads a
// governance history (format: history, docs/history.schema.json) or a
// precomputed metrics file (format: metrics, see metrics.File) from its
// standard output.
//
//	sources:
//	  - type: exec
//	    command: [./fetch-history.sh, --dao, ens]   # argv: no shell
//	    dir: scripts          # working directory, relative to the config file's
//	    env: [DUNE_API_KEY]   # variables passed on, besides PATH
//	    timeout: 5m           # default 2m
//	    format: history       # or metrics
//
// The command runs without a shell, with standard input empty, in its own
// process group, and with an environment of PATH and the variables env
// names only. command[0] without a slash is looked up in PATH; with one,
// it is relative to dir. Its output is bounded (MaxOutput); a command
// that exits with another status than 0 is an error that gives the status
// and the end of what it wrote on standard error. When the timeout passes
// or the caller's context is cancelled, the whole process group is killed.
package exec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
)

// Type is the source type's name.
const Type = "exec"

// The output formats.
const (
	FormatHistory = "history"
	FormatMetrics = "metrics"
)

const (
	// DefaultTimeout bounds a command when the config gives no timeout.
	DefaultTimeout = 2 * time.Minute
	// MaxOutput bounds what a command may print on standard output: the
	// largest history attune reads.
	MaxOutput = history.MaxBytes
	// StderrTail is how much of the end of standard error an error quotes.
	StderrTail = 2 << 10
	// waitDelay bounds the wait for a killed command's pipes to close.
	waitDelay = 5 * time.Second
)

func init() {
	adapters.RegisterSource(Type, func() adapters.SourceConfig { return &Config{} })
}

// Config is the section of an exec source.
type Config struct {
	// Command is the program and its arguments.
	Command []string `yaml:"command"`
	// Dir is the working directory; relative to the config file's
	// directory, which is also the default.
	Dir string `yaml:"dir"`
	// Env names the environment variables passed on to the command,
	// besides PATH; no other variable reaches it.
	Env []string `yaml:"env"`
	// Timeout bounds the command's run, as a Go duration ("90s", "5m");
	// empty means DefaultTimeout.
	Timeout string `yaml:"timeout"`
	// Format is what the command prints: history (default) or metrics.
	Format string `yaml:"format"`
}

// Check reports an empty command, a bad timeout, an unknown format and
// variable names that are not names.
func (c *Config) Check() []adapters.FieldError {
	var errs []adapters.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, adapters.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case len(c.Command) == 0:
		bad("command", "is empty; give the program and its arguments as a list, e.g. [./fetch-history.sh, --dao, ens]")
	case strings.TrimSpace(c.Command[0]) == "":
		bad("command[0]", "is empty; give the program to run")
	}
	if _, err := c.timeout(); err != nil {
		bad("timeout", "%s", err)
	}
	switch c.Format {
	case "", FormatHistory, FormatMetrics:
	default:
		bad("format", "is %q; want history (a governance history, docs/history.schema.json) or metrics (a metrics file)", c.Format)
	}
	for i, name := range c.Env {
		if name == "" || strings.ContainsAny(name, "= \t\n\x00") {
			bad("env["+strconv.Itoa(i)+"]", "%q is not a variable name; list names only (the values come from attune's environment)", name)
		}
	}
	return errs
}

// timeout is the configured timeout or DefaultTimeout.
func (c *Config) timeout() (time.Duration, error) {
	if c.Timeout == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(c.Timeout)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("is %q; want a positive Go duration such as 90s or 5m", c.Timeout)
	}
	return d, nil
}

// NewSource returns the source that runs the command: Dir resolved
// against env.Dir, and the environment taken from env.Getenv now.
func (c *Config) NewSource(env adapters.Env) (adapters.Source, error) {
	if errs := c.Check(); len(errs) > 0 {
		return nil, errs[0]
	}
	timeout, _ := c.timeout()
	dir := c.Dir
	if !filepath.IsAbs(dir) && env.Dir != "" {
		dir = filepath.Join(env.Dir, dir)
	}
	var vars []string
	for _, name := range append([]string{"PATH"}, c.Env...) {
		if v := env.Env(name); v != "" {
			vars = append(vars, name+"="+v)
		}
	}
	format := c.Format
	if format == "" {
		format = FormatHistory
	}
	return &Source{argv: c.Command, dir: dir, env: vars, timeout: timeout, format: format,
		maxOutput: MaxOutput, log: env.Log()}, nil
}

// Source runs one command.
type Source struct {
	argv      []string
	dir       string
	env       []string
	timeout   time.Duration
	format    string
	maxOutput int
	log       *slog.Logger
}

// Name describes the command in errors and as the data's source:
// "exec ./fetch.sh --dao ens", arguments with spaces quoted, cut at 200
// bytes.
func (s *Source) Name() string {
	var b strings.Builder
	b.WriteString("exec")
	for _, a := range s.argv {
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\") {
			a = strconv.Quote(a)
		}
		b.WriteString(a)
	}
	name := b.String()
	if len(name) > 200 {
		name = name[:197] + "..."
	}
	return name
}

// errTooMuch stops the copy of standard output past maxOutput.
var errTooMuch = errors.New("output limit reached")

// Read runs the command and parses its standard output. A timeout is
// transient (adapters.IsTransient); output that is not a valid history
// or metrics file wraps history.ErrInvalid or metrics.ErrInvalid; a
// program that cannot be started wraps the operating system's error.
func (s *Source) Read(ctx context.Context) (*adapters.Data, error) {
	name := s.Name()
	run, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmd := osexec.CommandContext(run, s.argv[0], s.argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	if cmd.Env == nil {
		cmd.Env = []string{} // not nil: nil would pass attune's whole environment
	}
	cmd.WaitDelay = waitDelay
	ownGroup(cmd)
	stdout := &capped{max: s.maxOutput, over: cancel}
	stderr := &tail{max: StderrTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: cannot start it: %w; check that command[0] exists, is executable and (without a slash) is on PATH", name, err)
	}
	err := cmd.Wait()
	switch {
	case stdout.exceeded:
		return nil, fmt.Errorf("%s: printed more than %d MiB on standard output, the limit (killed); print one history or metrics JSON document", name, s.maxOutput>>20)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %w", name, ctx.Err())
	case errors.Is(run.Err(), context.DeadlineExceeded):
		return nil, adapters.Transient(fmt.Errorf("%s: no result within the timeout of %s (killed); raise timeout or make the command faster%s", name, s.timeout, stderr.quote()))
	case err != nil:
		var ee *osexec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("%s: %s%s", name, ee.ProcessState, stderr.quote())
		}
		return nil, fmt.Errorf("%s: %w%s", name, err, stderr.quote())
	}
	if t := stderr.String(); t != "" {
		s.log.Debug("exec source wrote on standard error", "command", name, "stderr", t)
	}
	if s.format == FormatMetrics {
		obs, err := metrics.Parse(stdout.buf, name)
		if err != nil {
			return nil, err
		}
		return &adapters.Data{Observation: &obs}, nil
	}
	h, err := history.Parse(stdout.buf, name)
	if err != nil {
		return nil, err
	}
	return &adapters.Data{History: h}, nil
}

// capped keeps what is written up to max bytes; past it, it calls over
// (which kills the command) and fails the write.
type capped struct {
	buf      []byte
	max      int
	exceeded bool
	over     func()
}

func (c *capped) Write(p []byte) (int, error) {
	if len(c.buf)+len(p) > c.max {
		c.exceeded = true
		c.over()
		return 0, errTooMuch
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf []byte
	max int
	cut bool // bytes were dropped from the front
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.cut = t.cut || len(p) > t.max || len(t.buf) > 0
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if drop := len(t.buf) + len(p) - t.max; drop > 0 {
		t.buf = append(t.buf[:0], t.buf[drop:]...)
		t.cut = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String is the kept end, trimmed of surrounding space, "..." in front
// when it is not the whole.
func (t *tail) String() string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "\uFFFD"))
	if t.cut && s != "" {
		s = "..." + s
	}
	return s
}

// quote is the tail for an error message: "; standard error ends:" and
// the lines indented, or "; nothing on standard error".
func (t *tail) quote() string {
	s := t.String()
	if s == "" {
		return "; nothing on standard error"
	}
	return "; standard error ends:\n    " + strings.ReplaceAll(s, "\n", "\n    ")
}
