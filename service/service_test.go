package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/webhook/webhooktest"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/store"
)

// fullRun is the audit trail of a cycle that ran from the start to
// review.
var fullRun = []string{"cycle.create", "cycle.advance:calibrating", "cycle.advance:optimizing", "cycle.advance:drafting", "cycle.advance:pending_review"}

// resumedRun is the audit trail of a cycle that ran from the start to
// review, stopped in state (in flight) and resumed there by the next
// process.
func resumedRun(state store.State) []string {
	i := slices.Index(store.States, state) + 1
	return slices.Concat(fullRun[:i], []string{store.ActionResume}, fullRun[i:])
}

// A reconcile runs one cycle through every state to pending review,
// with its documents attached and its directory written; a second
// reconcile on the same data and config records nothing.
func TestReconcileRunsACycleOnceForTheSameData(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newFixture(t, dsn, nil)
		s := f.service(t, nil)
		if err := s.Reconcile(ctx, dao); err != nil {
			t.Fatal(err)
		}
		cs := cycles(t, f.st)
		if len(cs) != 1 || cs[0].State != store.PendingReview {
			t.Fatalf("cycles = %+v; want one pending review", cs)
		}
		if got := auditOf(t, f.st, cs[0].ID); !slices.Equal(got, fullRun) {
			t.Errorf("audit = %v, want %v", got, fullRun)
		}
		c, err := f.st.Cycle(ctx, cs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Recommendation == nil || c.Proposal == nil || c.Title == "" {
			t.Errorf("documents not attached: %+v", c)
		}
		wantCfg, wantIn := cycleKeyOf(t, f)
		if c.ConfigHash != wantCfg || c.InputsHash != wantIn {
			t.Errorf("key = %s/%s, want %s/%s", c.ConfigHash, c.InputsHash, wantCfg, wantIn)
		}
		rec, err := os.ReadFile(filepath.Join(c.Dir, "recommendation.json"))
		if err != nil || string(rec) != string(c.Recommendation) {
			t.Errorf("the stored recommendation is not the cycle directory's (%v)", err)
		}
		m := s.Metrics()
		if got := testutil.ToFloat64(m.trials.WithLabelValues(dao)); got != 24 {
			t.Errorf("trials_total = %v, want 24", got)
		}
		// At least the search's: 24 trials (the baseline among them) x 3
		// replications.
		if got := testutil.ToFloat64(m.simulations.WithLabelValues(dao)); got < 24*3 {
			t.Errorf("simulations_total = %v, want at least %d", got, 24*3)
		}
		if got := testutil.ToFloat64(m.transitions.WithLabelValues(dao, "pending_review")); got != 1 {
			t.Errorf("transitions to pending_review = %v", got)
		}

		if err := s.Reconcile(ctx, dao); err != nil {
			t.Fatal(err)
		}
		if cs := cycles(t, f.st); len(cs) != 1 {
			t.Fatalf("a second reconcile on the same data recorded %d cycles", len(cs))
		}
		if got := testutil.ToFloat64(m.skipped.WithLabelValues(dao, "unchanged")); got != 1 {
			t.Errorf("skipped unchanged = %v, want 1", got)
		}
		// A rejected proposal is not drafted again from the same data;
		// new data draft a new one.
		if _, err := f.st.Review(ctx, c.ID, store.Review{Verdict: store.Rejected, Reviewer: "alice", Comment: "not now"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Reconcile(ctx, dao); err != nil {
			t.Fatal(err)
		}
		if cs := cycles(t, f.st); len(cs) != 1 {
			t.Fatalf("a reconcile after a rejection on the same data recorded %d cycles", len(cs))
		}
		writeMetrics(t, f.metrics, 1)
		if err := s.Reconcile(ctx, dao); err != nil {
			t.Fatal(err)
		}
		cs = cycles(t, f.st)
		if len(cs) != 2 || cs[1].State != store.PendingReview || cs[1].InputsHash == cs[0].InputsHash {
			t.Fatalf("after the data changed: %+v; want a second cycle pending review on other inputs", cs)
		}
		// Every entry of the log is chained.
		if v, err := f.st.Verify(ctx); err != nil || v.Err() != nil {
			t.Errorf("Verify: %v %v", err, v.Err())
		}
	})
}

// cycleKeyOf is the key loop gives the fixture's current data.
func cycleKeyOf(t testing.TB, f *fixture) (string, string) {
	t.Helper()
	e, err := loop.Prepare(context.Background(), f.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return loop.CycleKey(f.cfg, e.Observation, "test")
}

// A cycle a stopped process left in flight is resumed on its row, its
// states not recorded twice; older ones, or ones of another config, fail
// with a message; one whose data changed since fails as superseded and a
// new cycle decides from the new data.
func TestReconcileResumesWhatAStoppedProcessLeft(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newFixture(t, dsn, nil)
		cfgHash, inHash := cycleKeyOf(t, f)
		left := func(ch string, to ...store.State) store.Cycle {
			c, err := f.st.CreateCycle(ctx, store.NewCycle{Actor: "serve@crashed", DAO: dao, ConfigHash: ch})
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range to {
				in := ""
				if i == 0 {
					in = inHash
				}
				if c, err = f.st.Advance(ctx, c.ID, st, store.Change{Actor: "serve@crashed", InputsHash: in}); err != nil {
					t.Fatal(err)
				}
			}
			return c
		}
		older := left(cfgHash)
		other := left(strings.Repeat("ab", 32))
		resumed := left(cfgHash, store.Calibrating, store.Optimizing)

		s := f.service(t, nil)
		if err := s.Reconcile(ctx, dao); err != nil {
			t.Fatal(err)
		}
		cs := cycles(t, f.st)
		if len(cs) != 3 {
			t.Fatalf("%d cycles after resuming; want the 3 there were", len(cs))
		}
		want := map[int64]store.State{older.ID: store.Failed, other.ID: store.Failed, resumed.ID: store.PendingReview}
		for _, c := range cs {
			if c.State != want[c.ID] {
				t.Errorf("cycle %d is %s, want %s (%s)", c.ID, c.State, want[c.ID], c.Error)
			}
		}
		if c, _ := f.st.Cycle(ctx, older.ID); !strings.Contains(c.Error, "stopped while fetching") || !strings.Contains(c.Error, "was resumed instead") {
			t.Errorf("older cycle's error: %q", c.Error)
		}
		if c, _ := f.st.Cycle(ctx, other.ID); !strings.Contains(c.Error, "config is not the one this service runs") {
			t.Errorf("other config's cycle error: %q", c.Error)
		}
		if got, want := auditOf(t, f.st, resumed.ID), resumedRun(store.Optimizing); !slices.Equal(got, want) {
			t.Errorf("resumed cycle's audit = %v, want %v: no state recorded twice", got, want)
		}

		// Left in calibrating on data that have changed since: superseded.
		if _, err := f.st.Review(ctx, resumed.ID, store.Review{Verdict: store.Rejected, Reviewer: "alice", Comment: "no"}); err != nil {
			t.Fatal(err)
		}
		stale := left(cfgHash, store.Calibrating)
		writeMetrics(t, f.metrics, 1)
		if err := s.Reconcile(ctx, dao); err != nil {
			t.Fatal(err)
		}
		c, err := f.st.Cycle(ctx, stale.ID)
		if err != nil || c.State != store.Failed || !strings.HasPrefix(c.Error, "superseded: the data changed") {
			t.Fatalf("stale cycle: %s %q %v", c.State, c.Error, err)
		}
		cs = cycles(t, f.st)
		last := cs[len(cs)-1]
		if len(cs) != 5 || last.State != store.PendingReview || last.InputsHash == inHash {
			t.Errorf("after superseding: %d cycles, the last %s on %s; want a fifth pending review on the new data", len(cs), last.State, last.InputsHash)
		}
	})
}

// blocker stops the service's cycles at a state until released, and
// reports each change recorded.
type blocker struct {
	at      store.State
	reached chan store.Cycle
	release chan struct{}
}

func newBlocker(at store.State) *blocker {
	return &blocker{at: at, reached: make(chan store.Cycle, 64), release: make(chan struct{})}
}

func (b *blocker) checkpoint(_ context.Context, c store.Cycle) {
	b.reached <- c
	if c.State == b.at {
		<-b.release
	}
}

// await returns the next change recorded in state st, skipping others.
func (b *blocker) await(t *testing.T, st store.State) store.Cycle {
	t.Helper()
	for c := range b.reached {
		if c.State == st {
			return c
		}
	}
	t.Fatal("no more changes")
	return store.Cycle{}
}

// RunNow records a cycle once the data are read and runs it in the
// background; while it runs, the DAO is busy for this service and for
// any other holder of the store; once it is done, running again on the
// same data records nothing and answers the cycle that decided them.
func TestRunNowAndBusy(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "attune.db")
	f := newFixture(t, dsn, nil)
	b := newBlocker(store.Optimizing)
	o := f.options(nil)
	o.Checkpoint = b.checkpoint
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunNow(ctx, "Nope DAO"); !errors.Is(err, ErrUnknownDAO) || !strings.Contains(err.Error(), `"Example DAO"`) {
		t.Errorf("RunNow of an unknown DAO: %v", err)
	}
	started, err := s.RunNow(ctx, dao)
	if err != nil {
		t.Fatal(err)
	}
	id := started.Cycle
	if c := b.await(t, store.Fetching); c.ID != id || started.Unchanged || c.InputsHash == "" {
		t.Fatalf("RunNow returned %+v, the store recorded %d on inputs %q", started, c.ID, c.InputsHash)
	}
	b.await(t, store.Optimizing) // blocked there
	if _, err := s.RunNow(ctx, dao); !errors.Is(err, ErrBusy) || loop.Classify(err).Kind != loop.Transient {
		t.Errorf("RunNow while a cycle runs: %v, want ErrBusy, transient", err)
	}
	if err := s.Reconcile(ctx, dao); !errors.Is(err, ErrBusy) {
		t.Errorf("Reconcile while a cycle runs: %v, want ErrBusy", err)
	}
	other := openStore(t, dsn)
	if _, err := other.Lock(ctx, dao); !errors.Is(err, store.ErrLocked) {
		t.Errorf("another holder's Lock while the cycle runs: %v, want ErrLocked", err)
	}
	if st := s.DAOs(); len(st) != 1 || st[0].Cycle != id || st[0].State != store.Optimizing {
		t.Errorf("status while running: %+v", st)
	}
	close(b.release)
	b.await(t, store.PendingReview)

	// The lock is released once the cycle is done; another holder now
	// makes the service busy.
	release := waitLock(t, other)
	if _, err := s.RunNow(ctx, dao); !errors.Is(err, ErrBusy) || !errors.Is(err, store.ErrLocked) {
		t.Errorf("RunNow while another process holds the DAO: %v, want ErrBusy wrapping store.ErrLocked", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}

	again, err := s.RunNow(ctx, dao)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Started{Cycle: id, Unchanged: true}); again != want {
		t.Errorf("a run on unchanged data: %+v, want %+v", again, want)
	}
	release = waitLock(t, other) // the background work is done
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if cs := cycles(t, f.st); len(cs) != 1 || cs[0].State != store.PendingReview {
		t.Errorf("after a run on unchanged data: %+v; want only the cycle pending review", cs)
	}
	if got := testutil.ToFloat64(s.Metrics().skipped.WithLabelValues(dao, "unchanged")); got != 1 {
		t.Errorf("skipped unchanged = %v, want 1", got)
	}
}

// RunNow whose first read of the data fails for now says so
// (ErrRetrying, transient) and records nothing yet; the service retries
// in the background and records the cycle once the data are read.
func TestRunNowRetriesInTheBackground(t *testing.T) {
	ctx := context.Background()
	// The first read hangs past the source's timeout; later reads print
	// the metrics.
	flaky := `{type: exec, format: metrics, timeout: 1s, command: [sh, -c, "if [ -e tried ]; then cat metrics.json; else touch tried; sleep 30; fi"]}`
	f := newFixtureFrom(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"), flaky, nil)
	b := newBlocker("")
	o := f.options(nil)
	o.Checkpoint = b.checkpoint
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.RunNow(ctx, dao)
	if !errors.Is(err, ErrRetrying) || loop.Classify(err).Kind != loop.Transient {
		t.Fatalf("RunNow on data that cannot be read for now: %v; want ErrRetrying, transient", err)
	}
	c := b.await(t, store.PendingReview)
	if cs := cycles(t, f.st); len(cs) != 1 || cs[0].ID != c.ID {
		t.Errorf("after the retry: %+v; want the one cycle pending review", cs)
	}
}

// waitLock takes the DAO's lock on st once the service's last background
// work has released it: its release comes after the last checkpoint.
func waitLock(t *testing.T, st store.Store) func() error {
	t.Helper()
	for range 1_000_000 {
		release, err := st.Lock(context.Background(), dao)
		if err == nil {
			return release
		}
		if !errors.Is(err, store.ErrLocked) {
			t.Fatal(err)
		}
		runtime.Gosched()
	}
	t.Fatal("the service never released the DAO's lock")
	return nil
}

// A transient failure (a source that times out) is retried after a
// backoff on the same cycle; a terminal one (invalid metrics) fails the
// cycle at once with its message; a transient one that lasts fails it
// after the attempts allowed.
func TestFailuresAreRetriedOrFailByClass(t *testing.T) {
	ctx := context.Background()
	// The first read hangs past the source's timeout; later reads print
	// the metrics.
	flaky := `{type: exec, format: metrics, timeout: 1s, command: [sh, -c, "if [ -e tried ]; then cat metrics.json; else touch tried; sleep 30; fi"]}`
	f := newFixtureFrom(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"), flaky, nil)
	var waits []time.Duration
	s := f.service(t, &waits)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	cs := cycles(t, f.st)
	if len(cs) != 1 || cs[0].State != store.PendingReview || len(waits) != 1 {
		t.Fatalf("after one transient failure: %+v, %d waits; want one cycle pending review after one wait", cs, len(waits))
	}
	if waits[0] > s.o.Retry.Base {
		t.Errorf("first wait %v beyond the base %v", waits[0], s.o.Retry.Base)
	}
	if got := testutil.ToFloat64(s.Metrics().errors.WithLabelValues(dao, "network", "transient")); got != 1 {
		t.Errorf("errors_total{network,transient} = %v", got)
	}

	invalid := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"), nil)
	if err := os.WriteFile(invalid.metrics, []byte(`{"dao": "Example DAO", "window": {"start": "2026-05-01T00:00:00Z", "end": "2026-10-28T00:00:00Z"}, "gini": 1.5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	waits = nil
	s = invalid.service(t, &waits)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	cs = cycles(t, invalid.st)
	if len(cs) != 1 || cs[0].State != store.Failed || !strings.Contains(cs[0].Error, "metrics.json") || len(waits) != 0 {
		t.Fatalf("invalid metrics: %+v after %d waits; want one failed cycle naming the file, no retry", cs, len(waits))
	}
	if got := testutil.ToFloat64(s.Metrics().errors.WithLabelValues(dao, "data", "terminal")); got != 1 {
		t.Errorf("errors_total{data,terminal} = %v", got)
	}
	if st := s.DAOs(); st[0].LastError != cs[0].Error {
		t.Errorf("status last error %q, want the cycle's", st[0].LastError)
	}

	hang := `{type: exec, format: metrics, timeout: 1s, command: [sh, -c, "sleep 30"]}`
	lasting := newFixtureFrom(t, "sqlite:"+filepath.Join(t.TempDir(), "c.db"), hang, nil)
	o := lasting.options(&waits)
	o.Retry = Retry{Attempts: 2}
	waits = nil
	if s, err := New(o); err != nil {
		t.Fatal(err)
	} else if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	cs = cycles(t, lasting.st)
	if len(cs) != 1 || cs[0].State != store.Failed || !strings.Contains(cs[0].Error, "still failing after 2 attempts") || len(waits) != 1 {
		t.Fatalf("a lasting transient failure: %+v after %d waits", cs, len(waits))
	}
}

// Two services on one store (two replicas) reconciling the same DAO at
// once run one cycle between them.
func TestTwoReplicasRunOneCycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newFixture(t, dsn, nil)
		s1 := f.service(t, nil)
		o := f.options(nil)
		o.Store = openStore(t, dsn)
		s2, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, s := range []*Service{s1, s2} {
			go func() { errs <- s.Reconcile(ctx, dao) }()
		}
		for range 2 {
			if err := <-errs; err != nil && !errors.Is(err, ErrBusy) {
				t.Error(err)
			}
		}
		if cs := cycles(t, f.st); len(cs) != 1 || cs[0].State != store.PendingReview {
			t.Errorf("two replicas recorded %+v; want one cycle", cs)
		}
	})
}

// Run reconciles at start and at each time of the schedule; a cancelled
// context stops it, leaving the cycle in flight in its state, which the
// next start resumes.
func TestRunSchedulesAndStopsForResume(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "attune.db")
	f := newFixture(t, dsn, map[string]any{"schedule": "0 6 * * *"})
	b := newBlocker("")
	afters := make(chan time.Duration, 8)
	ticks := make(chan time.Time)
	o := f.options(nil)
	now := time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return now }
	o.After = func(d time.Duration) <-chan time.Time { afters <- d; return ticks }
	o.Checkpoint = b.checkpoint
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err == nil {
		t.Error("ready before Run")
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(run) }()
	first := b.await(t, store.PendingReview) // the start's reconcile
	if d := <-afters; d != time.Hour {
		t.Errorf("waits %v for 06:00 at 05:00", d)
	}
	if st := s.DAOs(); st[0].Next == nil || !st[0].Next.Equal(now.Add(time.Hour)) || st[0].Schedule != "0 6 * * *" {
		t.Errorf("status %+v", st[0])
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready while running: %v", err)
	}

	// A tick on new data runs a cycle, stopped mid-search by a shutdown.
	writeMetrics(t, f.metrics, 1)
	b.at = store.Optimizing
	ticks <- now
	second := b.await(t, store.Optimizing)
	stop()
	close(b.release)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if c, _ := f.st.Cycle(ctx, second.ID); c.State != store.Optimizing || second.ID == first.ID {
		t.Fatalf("after the shutdown cycle %d is %s; want it left optimizing", c.ID, c.State)
	}
	stopped := slices.Concat(fullRun[:3], []string{store.ActionStop})
	if got := auditOf(t, f.st, second.ID); !slices.Equal(got, stopped) {
		t.Errorf("after the shutdown the audit is %v, want %v: the stop marked", got, stopped)
	}
	if _, err := s.RunNow(ctx, dao); !errors.Is(err, ErrStopped) {
		t.Errorf("RunNow after Run returned: %v", err)
	}

	// The next start resumes it.
	b2 := newBlocker("")
	o.Checkpoint = b2.checkpoint
	s2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	run, stop = context.WithCancel(ctx)
	go func() { done <- s2.Run(run) }()
	if c := b2.await(t, store.PendingReview); c.ID != second.ID {
		t.Errorf("resumed %d, want %d", c.ID, second.ID)
	}
	<-afters
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(cycles(t, f.st)); n != 2 {
		t.Errorf("%d cycles; want 2", n)
	}
	if got, want := auditOf(t, f.st, second.ID), slices.Concat(stopped, []string{store.ActionResume}, fullRun[3:]); !slices.Equal(got, want) {
		t.Errorf("after the resumption the audit is %v, want %v", got, want)
	}
}

// The cycles gauge reads the store: every state of each DAO, zeros
// included.
func TestCyclesGaugeReadsTheStore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"), nil)
	s := f.service(t, nil)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("# HELP attune_cycles Cycles in the store by DAO and state.\n# TYPE attune_cycles gauge\n")
	for _, st := range store.States {
		n := 0
		if st == store.PendingReview {
			n = 1
		}
		fmt.Fprintf(&want, "attune_cycles{dao=%q,state=%q} %d\n", dao, st, n)
	}
	if err := testutil.GatherAndCompare(s.Metrics().Registry(), strings.NewReader(want.String()), "attune_cycles"); err != nil {
		t.Error(err)
	}
}

// New refuses two configs of one DAO, and a drafter that cannot be built.
func TestNewChecksTheConfigs(t *testing.T) {
	dir := t.TempDir()
	writeMetrics(t, filepath.Join(dir, "metrics.json"), 0)
	a, _ := daoConfig(t, dir, dao, fileSource, nil)
	b, _ := daoConfig(t, dir, dao, fileSource, map[string]any{"optimizer.seed": 7})
	st := openStore(t, "sqlite:"+filepath.Join(dir, "a.db"))
	_, err := New(Options{Store: st, DAOs: []DAO{{Config: a, File: "a.yaml"}, {Config: b, File: "b.yaml"}}})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "a.yaml and b.yaml both configure DAO") {
		t.Errorf("two configs of one DAO: %v", err)
	}
	if _, err := New(Options{Store: st}); !errors.Is(err, config.ErrInvalid) {
		t.Errorf("no DAO: %v", err)
	}
	key, _ := daoConfig(t, dir, dao, fileSource, map[string]any{"oracle.provider": "openai", "oracle.base_url": "http://127.0.0.1:9/v1", "oracle.api_key_env": "ATTUNE_TEST_UNSET_KEY", "oracle.model": "gpt-4o-mini"})
	if _, err := New(Options{Store: st, DAOs: []DAO{{Config: key}}}); err == nil || !strings.Contains(err.Error(), "ATTUNE_TEST_UNSET_KEY") {
		t.Errorf("an unset API key: %v", err)
	}
}

// The backoff's waits stay under min(Max, Base·2^(n-1)) and follow the
// seed.
func TestRetryDelay(t *testing.T) {
	r := Retry{}.withDefaults()
	a, b := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		ceil := r.Max
		if n < 20 {
			ceil = min(r.Max, r.Base*time.Duration(1<<(n-1)))
		}
		d := r.delay(n, a)
		if d < 0 || d > ceil {
			t.Errorf("attempt %d: wait %v outside [0, %v]", n, d, ceil)
		}
		if d2 := r.delay(n, b); d2 != d {
			t.Errorf("attempt %d: %v and %v from the same seed", n, d, d2)
		}
	}
}

// hookSecret signs the test webhook's deliveries.
const hookSecret = "whsec_SECRET_SERVICE_TEST"

// sinks configures a markdown sink (beside the cycle) and a webhook to
// rc, whose secret is in ATTUNE_TEST_HOOK_SECRET.
func sinks(url string) string {
	return fmt.Sprintf("[{type: markdown, name: posts, dir: posts}, {type: webhook, name: hook, url: %q, secret: {env: ATTUNE_TEST_HOOK_SECRET}, max_retries: 0}]", url)
}

// An approved cycle is published to every sink of its config once, as
// the steward who approved it, each sink's receipt recorded; it then is
// published and nothing is sent again. An approved recommendation that
// changes nothing has nothing to publish and fails saying so.
func TestPublishesApprovedCyclesOnce(t *testing.T) {
	ctx := context.Background()
	t.Setenv("ATTUNE_TEST_HOOK_SECRET", hookSecret)
	rc, srv := webhooktest.NewReceiver(hookSecret)
	defer srv.Close()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"), map[string]any{"sinks": sinks(srv.URL + "/attune")})
	s := f.service(t, nil)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	c := cycles(t, f.st)[0]
	if c.State != store.PendingReview || !c.Change {
		t.Fatalf("cycle %s, change %v; the fixture's recommendation is a change", c.State, c.Change)
	}
	if err := s.Publish(ctx, c.ID); !errors.Is(err, store.ErrIllegal) {
		t.Errorf("publishing a cycle pending review: %v", err)
	}
	if _, err := f.st.Review(ctx, c.ID, store.Review{Verdict: store.Approved, Reviewer: "alice", Comment: "agreed on the forum"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Cycle(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.Published || len(got.Publications) != 2 {
		t.Fatalf("after publishing: %s with %d publications", got.State, len(got.Publications))
	}
	for _, p := range got.Publications {
		var r adapters.Receipt
		if err := json.Unmarshal(p.Receipt, &r); err != nil || r.ID == "" {
			t.Errorf("%s's receipt %s: %v", p.Sink, p.Receipt, err)
		}
	}
	evs := rc.Events()
	if len(evs) != 1 || rc.Requests() != 1 {
		t.Errorf("the webhook got %d requests, %d events; want one", rc.Requests(), len(evs))
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "posts", filepath.Base(c.Dir), "post.md")); err != nil {
		t.Errorf("the markdown post: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(c.Dir, loop.ApprovalFile))
	if err != nil || !strings.Contains(string(b), `"approver": "alice"`) {
		t.Errorf("approval.json names the steward who approved: %s %v", b, err)
	}
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	if rc.Requests() != 1 || len(cycles(t, f.st)) != 1 {
		t.Errorf("a reconcile after publishing sent %d requests, recorded %d cycles", rc.Requests(), len(cycles(t, f.st)))
	}
	if got := testutil.ToFloat64(s.Metrics().publications.WithLabelValues(dao, "hook", "published")); got != 1 {
		t.Errorf("publications_total{hook,published} = %v", got)
	}

	// Nothing searched: the parameters in force are the only candidate, and the
	// recommendation changes nothing.
	same := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"), map[string]any{"sinks": sinks(srv.URL + "/attune"), "search": "{}"})
	s = same.service(t, nil)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	c = cycles(t, same.st)[0]
	if c.Change {
		t.Fatal("a search of nothing recommends a change")
	}
	if _, err := same.st.Review(ctx, c.ID, store.Review{Verdict: store.Approved, Reviewer: "alice", Comment: "keep them"}); !errors.Is(err, store.ErrNoChange) {
		t.Fatalf("approving a recommendation of no change: %v; want store.ErrNoChange", err)
	}
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	if c, _ = same.st.Cycle(ctx, c.ID); c.State != store.PendingReview || rc.Requests() != 1 {
		t.Errorf("a refused approval of no change: %s %q, %d requests; want it pending review, nothing sent", c.State, c.Error, rc.Requests())
	}
}

// A cycle whose runs keep dying (no clean stop recorded: a crash, a
// kill) is resumed at most MaxResumes times, counted in the store: then
// it fails saying so, and the same config and data do not run again on
// their own, only on demand. Clean stops do not count.
func TestResumesOfACycleThatKeepsDyingAreCapped(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"), nil)
	o := f.options(nil)
	o.MaxResumes = 2
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mark := func(id int64, events ...store.MarkEvent) {
		t.Helper()
		for _, e := range events {
			if err := f.st.Mark(ctx, id, store.Mark{Actor: "serve@gone", Event: e}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// left records a cycle left in calibrating on the current data by a
	// process that died, after the marks given.
	left := func(events ...store.MarkEvent) store.Cycle {
		t.Helper()
		cfgHash, inHash := cycleKeyOf(t, f)
		c, err := f.st.CreateCycle(ctx, store.NewCycle{Actor: "serve@gone", DAO: dao, ConfigHash: cfgHash})
		if err != nil {
			t.Fatal(err)
		}
		mark(c.ID, events...)
		if c, err = f.st.Advance(ctx, c.ID, store.Calibrating, store.Change{Actor: "serve@gone", InputsHash: inHash}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	state := func(id int64) store.Cycle {
		t.Helper()
		c, err := f.st.Cycle(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// Died twice (its start, one resume): resumed a second time.
	twice := left(store.Resumed)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	if c := state(twice.ID); c.State != store.PendingReview {
		t.Fatalf("a cycle that died twice, MaxResumes 2: %s %q; want it resumed", c.State, c.Error)
	}

	// Died three times: failed, and not run again on its own.
	writeMetrics(t, f.metrics, 1)
	thrice := left(store.Resumed, store.Resumed)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	c := state(thrice.ID)
	if c.State != store.Failed || !strings.Contains(c.Error, "died 3 times without a clean stop") || !strings.Contains(c.Error, "its start and 2 resumes, the last while calibrating") {
		t.Fatalf("a cycle that died three times, MaxResumes 2: %s %q", c.State, c.Error)
	}
	if got := auditOf(t, f.st, c.ID); slices.Index(got, "cycle.advance:failed") != len(got)-1 || len(got) != 5 {
		t.Errorf("its audit %v: not resumed a third time", got)
	}
	for range 2 {
		if err := s.Reconcile(ctx, dao); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(cycles(t, f.st)); n != 2 {
		t.Fatalf("%d cycles after reconciles on the data the service gave up on; want the 2 there were", n)
	}
	if got := testutil.ToFloat64(s.Metrics().skipped.WithLabelValues(dao, "gave_up")); got != 3 {
		t.Errorf("skipped gave_up = %v, want 3 (the failing reconcile's and two more)", got)
	}
	if st := s.DAOs()[0]; !strings.Contains(st.LastError, fmt.Sprintf("cycle %d", c.ID)) {
		t.Errorf("the status's last error: %q", st.LastError)
	}
	// On demand, it runs again.
	b := newBlocker("")
	s.o.Checkpoint = b.checkpoint
	started, err := s.RunNow(ctx, dao)
	if err != nil || started.Unchanged {
		t.Fatalf("RunNow on the data given up on: %+v %v", started, err)
	}
	if got := b.await(t, store.PendingReview); got.ID != started.Cycle {
		t.Errorf("RunNow started %d, %d went to review", started.Cycle, got.ID)
	}
	s.o.Checkpoint = nil
	if err := waitLock(t, f.st)(); err != nil {
		t.Fatal(err)
	}
	// Once that cycle got through, the schedule sees it, not the old
	// failure: the data are decided, nothing is given up on.
	unchangedBefore := testutil.ToFloat64(s.Metrics().skipped.WithLabelValues(dao, "unchanged"))
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(s.Metrics().skipped.WithLabelValues(dao, "unchanged")); got != unchangedBefore+1 {
		t.Errorf("a scheduled reconcile after the run on demand got through: skipped unchanged %v, want %v", got, unchangedBefore+1)
	}
	if got := testutil.ToFloat64(s.Metrics().skipped.WithLabelValues(dao, "gave_up")); got != 3 {
		t.Errorf("skipped gave_up = %v after the run on demand got through, want still 3", got)
	}

	// Stopped cleanly five times: resumed, whatever MaxResumes.
	writeMetrics(t, f.metrics, 2)
	calm := left(store.Stopped, store.Resumed, store.Stopped, store.Resumed, store.Stopped, store.Resumed, store.Stopped,
		store.Resumed, store.Stopped, store.Resumed, store.Stopped)
	if err := s.Reconcile(ctx, dao); err != nil {
		t.Fatal(err)
	}
	if c := state(calm.ID); c.State != store.PendingReview {
		t.Errorf("a cycle stopped cleanly five times: %s %q; want it resumed", c.State, c.Error)
	}
}

// Options.Workers bounds the cycles running at once across DAOs: with
// three DAOs and one worker, the reconciles at start queue and their
// cycles run one at a time, counted by the checkpoints; a cycle on
// demand while the worker is busy is refused (ErrNoWorker).
func TestWorkersBoundTheCyclesAtOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"))
	names := []string{"Alpha DAO", "Beta DAO", "Gamma DAO"}
	var daos []DAO
	for _, name := range names {
		dir := t.TempDir()
		writeMetrics(t, filepath.Join(dir, "metrics.json"), 0)
		cfg, file := daoConfig(t, dir, name, fileSource, nil)
		daos = append(daos, DAO{Config: cfg, File: file})
	}
	var (
		mu             sync.Mutex
		inside, most   int
		reached, ended int
	)
	var s *Service
	waiting := func() int { return int(testutil.ToFloat64(s.Metrics().waiting)) }
	o := Options{
		Store: st, DAOs: daos, Actor: "serve@test", Workers: 1,
		Cycle: loop.Options{Version: "test"},
		After: func(time.Duration) <-chan time.Time { return nil },
		Checkpoint: func(_ context.Context, c store.Cycle) {
			mu.Lock()
			switch c.State {
			case store.Calibrating:
				inside++
				reached++
				most = max(most, inside)
			case store.PendingReview, store.Failed:
				inside--
				ended++
			}
			k := reached
			mu.Unlock()
			if c.State != store.Calibrating {
				return
			}
			// Hold the cycle until the DAOs yet to run are all queued
			// for the worker, or another cycle runs beside it (the
			// bound broken).
			for range 100_000 {
				mu.Lock()
				in := inside
				mu.Unlock()
				if waiting() == len(names)-k || in > 1 {
					return
				}
				time.Sleep(time.Millisecond)
			}
			t.Errorf("cycle %d: the other DAOs never queued", c.ID)
		},
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(run) }()
	for {
		mu.Lock()
		n := ended
		mu.Unlock()
		if n == len(names) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	if most != 1 {
		t.Errorf("%d cycles ran at once with one worker", most)
	}
	mu.Unlock()
	cs := cycles(t, st)
	if len(cs) != len(names) {
		t.Fatalf("%d cycles; want one per DAO", len(cs))
	}
	for _, c := range cs {
		if c.State != store.PendingReview {
			t.Errorf("%s's cycle is %s: %s", c.DAO, c.State, c.Error)
		}
	}

	// While the worker runs one DAO's cycle, another's on demand is
	// refused.
	b := newBlocker(store.Optimizing)
	s.o.Checkpoint = b.checkpoint
	writeMetrics(t, filepath.Join(filepath.Dir(daos[0].File), "metrics.json"), 1)
	if _, err := s.RunNow(ctx, names[0]); err != nil {
		t.Fatal(err)
	}
	b.await(t, store.Optimizing)
	if _, err := s.RunNow(ctx, names[1]); !errors.Is(err, ErrNoWorker) || !errors.Is(err, ErrBusy) || loop.Classify(err).Kind != loop.Transient {
		t.Errorf("RunNow while the worker is busy: %v; want ErrNoWorker, busy, transient", err)
	}
	if got := testutil.ToFloat64(s.Metrics().busy); got != 1 {
		t.Errorf("workers_busy = %v, want 1", got)
	}
	close(b.release)
	b.await(t, store.PendingReview)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(s.Metrics().busy); got != 0 {
		t.Errorf("workers_busy = %v after the stop, want 0", got)
	}
}

// Reload adds, changes and removes DAOs while the service runs, without
// stopping a cycle in flight: a DAO whose config changed mid-cycle
// finishes that cycle and follows its new schedule; a removed DAO's
// cycle in flight finishes too, and the DAO is no longer run; configs
// that cannot be run are refused and change nothing.
func TestReloadKeepsTheCycleInFlight(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"))
	const alpha, beta = "Alpha DAO", "Beta DAO"
	dirs := map[string]string{alpha: t.TempDir(), beta: t.TempDir()}
	config := func(name, schedule string) DAO {
		writeMetrics(t, filepath.Join(dirs[name], "metrics.json"), 0)
		cfg, file := daoConfig(t, dirs[name], name, fileSource, map[string]any{"schedule": schedule})
		return DAO{Config: cfg, File: file}
	}
	// Alpha's cycles stop at optimizing until released; every change is
	// reported.
	reached := make(chan store.Cycle, 64)
	release := make(chan struct{})
	o := Options{
		Store: st, DAOs: []DAO{config(alpha, "@every 24h")}, Actor: "serve@test", Workers: 2,
		Cycle: loop.Options{Version: "test"},
		Now:   func() time.Time { return time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC) },
		After: func(time.Duration) <-chan time.Time { return nil },
		Checkpoint: func(_ context.Context, c store.Cycle) {
			reached <- c
			if c.DAO == alpha && c.State == store.Optimizing {
				<-release
			}
		},
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	await := func(name string, state store.State) store.Cycle {
		t.Helper()
		for c := range reached {
			if c.DAO == name && c.State == state {
				return c
			}
		}
		return store.Cycle{}
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(run) }()
	inFlight := await(alpha, store.Optimizing)

	// Alpha's schedule changes and Beta comes in while Alpha's cycle runs.
	r, err := s.Reload([]DAO{config(alpha, "@every 12h"), config(beta, "@every 24h")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Added, []string{beta}) || !slices.Equal(r.Changed, []string{alpha}) || len(r.Removed)+len(r.Kept) != 0 {
		t.Errorf("reload: %+v", r)
	}
	await(beta, store.PendingReview)
	st0 := s.DAOs()
	if len(st0) != 2 || st0[0].DAO != alpha || st0[0].Schedule != "@every 12h" || st0[0].Cycle != inFlight.ID || st0[0].State != store.Optimizing {
		t.Errorf("status after the reload: %+v", st0)
	}
	// Alpha's new schedule loop found its cycle running: busy, not run
	// a second time.
	for range 100_000 {
		if testutil.ToFloat64(s.Metrics().skipped.WithLabelValues(alpha, "busy")) == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if got := testutil.ToFloat64(s.Metrics().skipped.WithLabelValues(alpha, "busy")); got != 1 {
		t.Errorf("Alpha's reconciles skipped busy: %v, want 1", got)
	}

	// Alpha goes away, its cycle still in flight; then a refused reload.
	if r, err = s.Reload([]DAO{config(beta, "@every 24h")}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Removed, []string{alpha}) || !slices.Equal(r.Kept, []string{beta}) || len(r.Added)+len(r.Changed) != 0 {
		t.Errorf("reload without Alpha: %+v", r)
	}
	if _, err := s.RunNow(ctx, alpha); !errors.Is(err, ErrUnknownDAO) {
		t.Errorf("RunNow of a removed DAO: %v", err)
	}
	b := config(beta, "@every 24h")
	if _, err := s.Reload([]DAO{b, b}); err == nil || !strings.Contains(err.Error(), "both configure DAO") {
		t.Errorf("a reload with one DAO twice: %v", err)
	}
	if st := s.DAOs(); len(st) != 1 || st[0].DAO != beta {
		t.Errorf("a refused reload changed the DAOs: %+v", st)
	}

	// Released, Alpha's cycle finishes on the config it started with.
	close(release)
	if c := await(alpha, store.PendingReview); c.ID != inFlight.ID {
		t.Errorf("Alpha's cycle %d went to review, want %d", c.ID, inFlight.ID)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cs := cycles(t, st)
	if len(cs) != 2 {
		t.Fatalf("%d cycles; want Alpha's and Beta's", len(cs))
	}
	for _, c := range cs {
		if c.State != store.PendingReview {
			t.Errorf("%s's cycle %d is %s: %s", c.DAO, c.ID, c.State, c.Error)
		}
	}
	if _, err := s.Reload([]DAO{b}); !errors.Is(err, ErrStopped) {
		t.Errorf("Reload after Run: %v", err)
	}
}
