package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/store"
)

// fullRun is the audit trail of a cycle that ran from the start to
// review.
var fullRun = []string{"cycle.create", "cycle.advance:calibrating", "cycle.advance:optimizing", "cycle.advance:drafting", "cycle.advance:pending_review"}

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

var _ = errors.Is
var _ = strings.Contains
var _ = time.Second
var _ = metrics.ErrInvalid
