package service

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/attune-dao/attune/adapters/webhook/webhooktest"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/store"
)

// The environment of a child process the crash test starts: the test
// binary runs a service instead of the tests (childMain).
const (
	childEnv      = "ATTUNE_SERVICE_TEST_CHILD" // the config file
	childStoreEnv = "ATTUNE_SERVICE_TEST_STORE" // the store's DSN
	childBlockEnv = "ATTUNE_SERVICE_TEST_BLOCK" // the state to stop at, if any
	childSinksEnv = "ATTUNE_SERVICE_TEST_SINKS" // the sinks section, if any
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// childMain runs a service on one config until SIGTERM. With a state to
// block at, the first change into it prints "blocked STATE" on stdout
// and the process hangs there until it is killed. It returns the exit
// code.
func childMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	fail := func(err error) int {
		logger.Error("child failed", "error", err)
		return 1
	}
	over := map[string]any{}
	for k, v := range smallOverrides {
		over[k] = v
	}
	over["out"] = filepath.Join(filepath.Dir(os.Getenv(childEnv)), "out")
	if sinks := os.Getenv(childSinksEnv); sinks != "" {
		over["sinks"] = sinks
	}
	cfg, err := config.Load(config.LoadOptions{File: os.Getenv(childEnv), Overrides: over, Env: []string{}})
	if err != nil {
		return fail(err)
	}
	st, err := store.Open(ctx, os.Getenv(childStoreEnv), store.Options{})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	block := store.State(os.Getenv(childBlockEnv))
	s, err := New(Options{
		Store: st, DAOs: []DAO{{Config: cfg, File: "example.yaml"}}, Actor: fmt.Sprintf("serve@pid%d", os.Getpid()), Logger: logger,
		Cycle: loop.Options{Version: "test"},
		Checkpoint: func(_ context.Context, c store.Cycle) {
			if c.State == block {
				fmt.Printf("blocked %s %d\n", c.State, c.ID)
				select {} // until SIGKILL
			}
		},
	})
	if err != nil {
		return fail(err)
	}
	if err := s.Run(ctx); err != nil {
		return fail(err)
	}
	return 0
}

// child is a running child process.
type child struct {
	cmd    *exec.Cmd
	stdout chan string // its lines
	stderr chan string
	exited chan error
}

func startChild(t *testing.T, cfgFile, dsn string, block store.State, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+cfgFile, childStoreEnv+"="+dsn, childBlockEnv+"="+string(block))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdout: lines(out), stderr: lines(errp), exited: make(chan error, 1)}
	go func() { c.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return c
}

// lines sends r's lines on a channel, closed at EOF.
func lines(r io.Reader) chan string {
	ch := make(chan string, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// waitFor returns the first line of ch containing s; it fails the test
// when ch closes first (the child exited), with what it logged.
func (c *child) waitFor(t *testing.T, ch chan string, s string) string {
	t.Helper()
	for l := range ch {
		if strings.Contains(l, s) {
			return l
		}
	}
	var log strings.Builder
	for l := range c.stderr {
		log.WriteString(l + "\n")
	}
	t.Fatalf("the child ended without %q: %v\n%s", s, <-c.exited, log.String())
	return ""
}

// A service killed with SIGKILL in each state of a cycle and started
// again ends with that one cycle pending review: its row resumed, every
// state recorded once, nothing lost (its documents and directory) and no
// second cycle.
func TestKilledInEachStateResumes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, state := range []store.State{store.Fetching, store.Calibrating, store.Optimizing, store.Drafting, store.PendingReview} {
				t.Run(string(state), func(t *testing.T) {
					ctx := context.Background()
					dsn := b.DSN(t)
					dir := t.TempDir()
					writeMetrics(t, filepath.Join(dir, "metrics.json"), 0)
					_, file := daoConfig(t, dir, dao, fileSource, nil)

					first := startChild(t, file, dsn, state)
					first.waitFor(t, first.stdout, "blocked "+string(state))
					if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					<-first.exited
					st := openStore(t, dsn)
					cs := cycles(t, st)
					if len(cs) != 1 || cs[0].State != state {
						t.Fatalf("after the kill: %+v; want one cycle %s", cs, state)
					}
					id := cs[0].ID

					second := startChild(t, file, dsn, "")
					second.waitFor(t, second.stderr, `"msg":"reconciled"`)
					if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
						t.Fatal(err)
					}
					if err := <-second.exited; err != nil {
						t.Fatalf("the second child's exit: %v", err)
					}

					cs = cycles(t, st)
					if len(cs) != 1 || cs[0].ID != id || cs[0].State != store.PendingReview {
						t.Fatalf("after the restart: %+v; want cycle %d alone, pending review", cs, id)
					}
					want := fullRun
					if state.InFlight() {
						want = resumedRun(state)
					}
					if got := auditOf(t, st, id); !slices.Equal(got, want) {
						t.Errorf("audit %v, want %v", got, want)
					}
					if v, err := st.Verify(ctx); err != nil || v.Err() != nil || v.Entries != int64(len(want)) {
						t.Errorf("audit log: %d entries, %v %v; want %d, whole", v.Entries, err, v.Err(), len(want))
					}
					c, err := st.Cycle(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range []string{"proposal.md", "proposal.json", "recommendation.json"} {
						if _, err := os.Stat(filepath.Join(c.Dir, f)); err != nil {
							t.Errorf("the cycle's %s: %v", f, err)
						}
					}
					if c.Recommendation == nil || c.Proposal == nil {
						t.Error("documents missing")
					}
				})
			}
		})
	}
}

// stop sends SIGTERM and expects a clean exit.
func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-c.exited; err != nil {
		t.Fatalf("the child's exit after SIGTERM: %v", err)
	}
}

// A service killed with SIGKILL while publishing an approved cycle (one
// sink's receipt recorded, the other's not) and started again finishes
// the publication: each sink received the proposal once, each receipt is
// recorded once, and the cycle is published.
func TestKilledWhilePublishingPublishesOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			dsn := b.DSN(t)
			rc, srv := webhooktest.NewReceiver(hookSecret)
			defer srv.Close()
			env := []string{childSinksEnv + "=" + sinks(srv.URL+"/attune"), "ATTUNE_TEST_HOOK_SECRET=" + hookSecret}
			dir := t.TempDir()
			writeMetrics(t, filepath.Join(dir, "metrics.json"), 0)
			_, file := daoConfig(t, dir, dao, fileSource, nil)

			first := startChild(t, file, dsn, "", env...)
			first.waitFor(t, first.stderr, `"msg":"reconciled"`)
			first.stop(t)
			st := openStore(t, dsn)
			cs := cycles(t, st)
			if len(cs) != 1 || cs[0].State != store.PendingReview {
				t.Fatalf("after the first run: %+v", cs)
			}
			id := cs[0].ID
			if _, err := st.Review(ctx, id, store.Review{Verdict: store.Approved, Reviewer: "alice", Comment: "agreed"}); err != nil {
				t.Fatal(err)
			}

			second := startChild(t, file, dsn, store.Approved, env...)
			second.waitFor(t, second.stdout, "blocked approved")
			if err := second.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-second.exited
			c, err := st.Cycle(ctx, id)
			if err != nil || c.State != store.Approved || len(c.Publications) != 1 {
				t.Fatalf("after the kill: %s with %d publications (%v); want approved with one", c.State, len(c.Publications), err)
			}

			third := startChild(t, file, dsn, "", env...)
			third.waitFor(t, third.stderr, `"msg":"reconciled"`)
			third.stop(t)
			c, err = st.Cycle(ctx, id)
			if err != nil || c.State != store.Published || len(c.Publications) != 2 {
				t.Fatalf("after the restart: %s with %d publications (%v); want published with two", c.State, len(c.Publications), err)
			}
			if rc.Requests() != 1 || len(rc.Events()) != 1 {
				t.Errorf("the webhook got %d requests; want the one", rc.Requests())
			}
			posts, _ := filepath.Glob(filepath.Join(c.Dir, "posts", "*", "post.md"))
			if len(posts) != 1 {
				t.Errorf("%d markdown posts; want one", len(posts))
			}
			want := append(slices.Clone(fullRun), "cycle.review", "publication.record", "publication.record", "cycle.advance:published")
			if got := auditOf(t, st, id); !slices.Equal(got, want) {
				t.Errorf("audit %v, want %v", got, want)
			}
			if v, err := st.Verify(ctx); err != nil || v.Err() != nil {
				t.Errorf("audit log: %v %v", err, v.Err())
			}
			if n := len(cycles(t, st)); n != 1 {
				t.Errorf("%d cycles; want 1", n)
			}
		})
	}
}
