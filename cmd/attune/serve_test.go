package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/attune-dao/attune/store"
)

// exampleDAO copies the example config and its metrics
// (configs/examples) into dir, with the replacements of edit (old, new,
// old, new...) made in the config, and returns the config's path.
func exampleDAO(t *testing.T, dir string, edit ...string) string {
	t.Helper()
	for _, name := range []string{"attune.yaml", "metrics.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "attune.yaml" {
			text := string(b)
			for i := 0; i+1 < len(edit); i += 2 {
				if !strings.Contains(text, edit[i]) {
					t.Fatalf("the example config has no %q", edit[i])
				}
				text = strings.Replace(text, edit[i], edit[i+1], 1)
			}
			b = []byte(text)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "attune.yaml")
}

// attune serve refuses, as user errors, configs it cannot run: a key no
// part of attune reads, a bad schedule, one DAO configured twice, configs
// with no common store, a directory without configs.
func TestServeRefusesWhatItCannotRun(t *testing.T) {
	dir := t.TempDir()
	good := exampleDAO(t, dir)
	mk := func(name string, edit ...string) string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return exampleDAO(t, d, edit...)
	}
	unknown := mk("unknown", "out: attune-out", "out: attune-out\nretries: 3")
	badSchedule := mk("sched", `schedule: "@every 24h"`, `schedule: "every day"`)
	otherOut := mk("out", "out: attune-out", "out: elsewhere")
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "no --config"},
		{[]string{"serve", "--config", unknown}, `unknown key "retries"`},
		{[]string{"serve", "--config", badSchedule}, `"every day" is not a schedule`},
		{[]string{"serve", "--config", good, "--config", otherOut, "--store", "sqlite:" + filepath.Join(dir, "a.db")}, `both configure DAO "Example DAO"`},
		{[]string{"serve", "--config", good, "--config", mk("two", "name: Example DAO", "name: Other DAO", "out: attune-out", "out: elsewhere")}, "give --store"},
		{[]string{"serve", "--config", empty}, "holds no *.yaml"},
		{[]string{"serve", "--config", good, "--store", "mysql://x@y/z"}, "--store"},
		{[]string{"serve", "--config", good, "--store", "sqlite:" + filepath.Join(dir, "b.db"), "--listen", "nowhere"}, "--listen nowhere"},
	} {
		code, _, stderr := run(t, c.args...)
		if code != exitUser || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args[1:], code, stderr, c.want)
		}
	}
}

// A real attune serve process answers /healthz, /readyz and /metrics
// while a cycle runs, and on SIGTERM stops the cycle where it is (to be
// resumed at the next start) and exits 0.
func TestServeStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cfg := exampleDAO(t, dir)
	db := filepath.Join(dir, "attune.db")
	cmd := exec.Command(os.Args[0], "serve", "--config", cfg, "--store", "sqlite:"+db, "--listen", "127.0.0.1:0", "--no-track-record")
	// A search long enough to be found in progress: 4,000 trials.
	cmd.Env = append(os.Environ(), "ATTUNE_TEST_AS_MAIN=1", "ATTUNE_OPTIMIZER_TRIALS=4000", "ATTUNE_OUT="+filepath.Join(dir, "out"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	logged := make(chan string, 4096)
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logged <- sc.Text()
		}
	}()
	var log strings.Builder
	await := func(re *regexp.Regexp) []string {
		t.Helper()
		for l := range logged {
			log.WriteString(l + "\n")
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		}
		t.Fatalf("attune serve ended before logging %s:\n%s", re, log.String())
		return nil
	}
	addr := await(regexp.MustCompile(`msg=serving addr=(\S+)`))[1]
	await(regexp.MustCompile(`msg="cycle optimizing"`))

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`attune_cycles{dao="Example DAO",state="optimizing"} 1`,
		`attune_cycle_transitions_total{dao="Example DAO",state="optimizing"} 1`,
		`process_start_time_seconds`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	await(regexp.MustCompile(`msg=stopped`))
	for l := range logged {
		log.WriteString(l + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("attune serve after SIGTERM: %v\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "interrupted") {
		t.Errorf("a service stopped by SIGTERM reports an interruption:\n%s", log.String())
	}
	st, err := store.Open(context.Background(), "sqlite:"+db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Cycles(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].State != store.Optimizing {
		t.Errorf("after SIGTERM: %+v; want the cycle left optimizing, to be resumed", cs)
	}
}

// docs/DEPLOY.md shows the systemd unit that deploy/attune.service holds,
// less the file's opening comment.
func TestDeployDocShowsTheUnit(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/attune.service")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/DEPLOY.md")
	if err != nil {
		t.Fatal(err)
	}
	body := string(unit)
	for strings.HasPrefix(body, "#") {
		body = body[strings.Index(body, "\n")+1:]
	}
	m := regexp.MustCompile("(?s)```ini\n(.*?)```").FindStringSubmatch(string(doc))
	if m == nil || m[1] != body {
		t.Errorf("docs/DEPLOY.md's unit differs from deploy/attune.service (less its opening comment); copy the file into the doc")
	}
}
