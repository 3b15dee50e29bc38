//go:build unix

package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
)

// TestMain makes the test binary the command under test when its first
// argument is "exec-helper": a real program, started by the source like
// any other.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "exec-helper" {
		os.Exit(helper(os.Args[2], os.Args[3:]))
	}
	os.Exit(m.Run())
}

// helper runs one behaviour of a command.
func helper(mode string, args []string) int {
	switch mode {
	case "cat": // print a file of the working directory
		b, err := os.ReadFile(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Stdout.Write(b)
	case "fail": // many lines on stderr, then status 3
		for i := range 500 {
			fmt.Fprintf(os.Stderr, "line %d: upstream said no\n", i)
		}
		return 3
	case "sleep":
		time.Sleep(time.Hour)
	case "hang": // a child of its own, its pid in a file, then wait
		child, err := os.StartProcess(os.Args[0], []string{os.Args[0], "exec-helper", "sleep"}, &os.ProcAttr{})
		if err != nil {
			return 1
		}
		os.WriteFile(args[0]+".tmp", []byte(strconv.Itoa(child.Pid)), 0o644)
		os.Rename(args[0]+".tmp", args[0])
		time.Sleep(time.Hour)
	case "flood":
		b := bytes.Repeat([]byte("x"), 4096)
		for {
			if _, err := os.Stdout.Write(b); err != nil {
				return 1
			}
		}
	}
	return 0
}

// source builds an exec source through the registry from its config.
func source(t *testing.T, c Config, env adapters.Env) *Source {
	t.Helper()
	cfg, ok := adapters.NewSourceConfig(Type)
	if !ok {
		t.Fatal("exec is not registered")
	}
	*cfg.(*Config) = c
	if errs := cfg.(adapters.Checker).Check(); len(errs) > 0 {
		t.Fatal(errs)
	}
	s, err := cfg.NewSource(env)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Source)
}

// testdata copies a history and a metrics file into a directory.
func testdata(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, from := range map[string]string{"h.json": "../../history/testdata/sample.json", "m.json": "../../configs/examples/metrics.json"} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadsWhatTheCommandPrints(t *testing.T) {
	dir := testdata(t)
	ctx := context.Background()
	// The test binary, in dir.
	s := source(t, Config{Command: []string{os.Args[0], "exec-helper", "cat", "h.json"}, Dir: dir}, adapters.Env{})
	d, err := s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.History == nil || d.Observation != nil || d.History.DAO != "Attune Test DAO" || len(d.History.Proposals) != 3 {
		t.Fatalf("history %+v", d)
	}
	if want := "exec " + os.Args[0] + " exec-helper cat h.json"; d.History.Source != want {
		t.Errorf("source %q; want %q", d.History.Source, want)
	}
	// A shell script, metrics, dir relative to the config's directory.
	s = source(t, Config{Command: []string{"sh", "-c", "cat m.json"}, Dir: filepath.Base(dir), Format: FormatMetrics},
		adapters.Env{Dir: filepath.Dir(dir), Getenv: os.Getenv})
	d, err = s.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Observation == nil || d.History != nil || d.Observation.DAO != "Example DAO" {
		t.Fatalf("metrics %+v", d)
	}
}

// Only PATH and the variables env lists reach the command.
func TestEnvironmentIsAnAllowList(t *testing.T) {
	dir := testdata(t)
	vars := map[string]string{"PATH": os.Getenv("PATH"), "DAO_NAME": "Listed", "SECRET": "leaked"}
	env := adapters.Env{Dir: dir, Getenv: func(k string) string { return vars[k] }}
	script := `sed "s/Attune Test DAO/${DAO_NAME}${SECRET}${HOME}/" h.json`
	d, err := source(t, Config{Command: []string{"sh", "-c", script}, Env: []string{"DAO_NAME", "UNSET"}}, env).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d.History.DAO != "Listed" {
		t.Errorf("dao %q; want only DAO_NAME expanded", d.History.DAO)
	}
}

func TestFailureGivesStatusAndStderr(t *testing.T) {
	s := source(t, Config{Command: []string{os.Args[0], "exec-helper", "fail"}}, adapters.Env{})
	_, err := s.Read(context.Background())
	if err == nil {
		t.Fatal("a failing command must fail the read")
	}
	msg := err.Error()
	for _, want := range []string{"exec " + os.Args[0], "exit status 3", "standard error ends:\n    ...", "line 499: upstream said no"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "line 0:") || len(msg) > 2*StderrTail {
		t.Errorf("error quotes more than the tail (%d bytes)", len(msg))
	}
	if adapters.IsTransient(err) {
		t.Error("an exit status is not transient")
	}
	// Nothing on stderr says so.
	_, err = source(t, Config{Command: []string{"sh", "-c", "exit 4"}}, adapters.Env{}).Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exit status 4; nothing on standard error") {
		t.Errorf("silent failure: %v", err)
	}
}

func TestBadOutputIsInvalidData(t *testing.T) {
	ctx := context.Background()
	_, err := source(t, Config{Command: []string{"sh", "-c", "echo '{}'"}}, adapters.Env{}).Read(ctx)
	if !errors.Is(err, history.ErrInvalid) || !strings.Contains(err.Error(), "exec sh -c \"echo '{}'\"") {
		t.Errorf("history: %v", err)
	}
	_, err = source(t, Config{Command: []string{"sh", "-c", "true"}, Format: FormatMetrics}, adapters.Env{}).Read(ctx)
	if !errors.Is(err, metrics.ErrInvalid) {
		t.Errorf("metrics: %v", err)
	}
	_, err = source(t, Config{Command: []string{"./no-such-program"}, Dir: t.TempDir()}, adapters.Env{}).Read(ctx)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "cannot start it") {
		t.Errorf("missing program: %v", err)
	}
}

func TestTimeoutKillsAndIsTransient(t *testing.T) {
	s := source(t, Config{Command: []string{os.Args[0], "exec-helper", "sleep"}, Timeout: "200ms"}, adapters.Env{})
	_, err := s.Read(context.Background())
	if !adapters.IsTransient(err) || !strings.Contains(err.Error(), "timeout of 200ms (killed)") {
		t.Errorf("timeout: %v", err)
	}
}

func TestOutputIsBounded(t *testing.T) {
	s := source(t, Config{Command: []string{os.Args[0], "exec-helper", "flood"}}, adapters.Env{})
	s.maxOutput = 1 << 20
	_, err := s.Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), "more than 1 MiB on standard output") {
		t.Errorf("flood: %v", err)
	}
}

// Cancelling the caller's context kills the command and what it started.
func TestCancelKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	s := source(t, Config{Command: []string{os.Args[0], "exec-helper", "hang", pidFile}}, adapters.Env{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(ctx)
		done <- err
	}()
	var pid int
	for range 2000 { // until the grandchild is up: at most 20 s
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(string(b))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		cancel()
		t.Fatalf("the helper did not start its child: %v", <-done)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
	for range 2000 {
		if !alive(pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("the command's child %d outlived the cancellation", pid)
}

// alive reports whether pid is a process that has not exited (a zombie
// waiting for its new parent to reap it counts as exited).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) state ...
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		cfg   Config
		field string
		msg   string
	}{
		{Config{}, "command", "is empty"},
		{Config{Command: []string{" "}}, "command[0]", "is empty"},
		{Config{Command: []string{"x"}, Timeout: "soon"}, "timeout", `"soon"`},
		{Config{Command: []string{"x"}, Timeout: "-1s"}, "timeout", "positive"},
		{Config{Command: []string{"x"}, Format: "csv"}, "format", "want history"},
		{Config{Command: []string{"x"}, Env: []string{"OK", "A=b"}}, "env[1]", "not a variable name"},
	} {
		errs := c.cfg.Check()
		if len(errs) != 1 || errs[0].Field != c.field || !strings.Contains(errs[0].Msg, c.msg) {
			t.Errorf("%+v: %v; want %s: %s", c.cfg, errs, c.field, c.msg)
		}
		if _, err := c.cfg.NewSource(adapters.Env{}); err == nil {
			t.Errorf("%+v: NewSource must refuse it", c.cfg)
		}
	}
	s := source(t, Config{Command: []string{"x"}}, adapters.Env{})
	if s.timeout != DefaultTimeout || s.format != FormatHistory || s.maxOutput != MaxOutput {
		t.Errorf("defaults %+v", s)
	}
	long := source(t, Config{Command: []string{"x", strings.Repeat("a", 300)}}, adapters.Env{}).Name()
	if len(long) != 200 || !strings.HasSuffix(long, "...") {
		t.Errorf("long name %d bytes", len(long))
	}
}

// tail keeps exactly the last bytes written, however the writes are cut.
func FuzzTail(f *testing.F) {
	f.Add([]byte("hello, world\nline two\n"), uint8(5), uint8(7))
	f.Add(bytes.Repeat([]byte("ab"), 100), uint8(1), uint8(16))
	f.Add([]byte{}, uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk, size uint8) {
		if chunk == 0 || size == 0 {
			return
		}
		tl := &tail{max: int(size)}
		for rest := data; len(rest) > 0; {
			n := min(int(chunk), len(rest))
			if k, err := tl.Write(rest[:n]); k != n || err != nil {
				t.Fatalf("Write = %d, %v", k, err)
			}
			rest = rest[n:]
		}
		want := data[max(0, len(data)-int(size)):]
		if !bytes.Equal(tl.buf, want) || tl.cut != (len(data) > int(size)) {
			t.Fatalf("kept %q cut %v; want %q cut %v", tl.buf, tl.cut, want, len(data) > int(size))
		}
		if _, err := io.WriteString(io.Discard, tl.String()); err != nil {
			t.Fatal(err)
		}
	})
}
