package loop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/optimizer/storage"
	"github.com/attune-dao/attune/oracle"
)

// storages are the durable storages a test can use here: a SQLite file,
// and PostgreSQL when ATTUNE_TEST_POSTGRES_DSN names one.
func storages(t *testing.T) map[string]string {
	out := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "studies.db")}
	if dsn := os.Getenv("ATTUNE_TEST_POSTGRES_DSN"); dsn != "" {
		out["postgres"] = dsn
	}
	return out
}

// dropStudies deletes the studies whose names start with prefix.
func dropStudies(t *testing.T, dsn, prefix string) {
	st, err := storage.Open(context.Background(), dsn)
	if err != nil {
		t.Error(err)
		return
	}
	defer st.Close()
	sums, err := st.GetAllStudySummaries()
	if err != nil {
		t.Error(err)
		return
	}
	for _, s := range sums {
		if strings.HasPrefix(s.Name, prefix) {
			if err := st.DeleteStudy(s.ID); err != nil {
				t.Error(err)
			}
		}
	}
}

// A cycle run again on a stored study resumes it: nothing is evaluated
// twice and the recommendation is the same. A later cycle (another seed,
// so another cycle) starts each search from the previous cycle's best.
func TestStoredStudiesResumeAndWarmStart(t *testing.T) {
	for kind, dsn := range storages(t) {
		t.Run(kind, func(t *testing.T) {
			spec := fakeSpec{
				options:    "{slope_a: 2, noise_sd: 0.1}",
				search:     "{a: {min: 0, max: 1}}",
				objectives: "[{name: gain, weight: 1}]",
				storage:    dsn,
			}
			cfg := spec.config(t)
			// A DAO of its own, so the studies are new in a database other
			// runs share; removed when the test ends.
			cfg.DAO.Name = fmt.Sprintf("Fake DAO %d-%d", os.Getpid(), time.Now().UnixNano())
			cfg.Sources[0].DAO = "Fake DAO" // the data's label
			t.Cleanup(func() { dropStudies(t, dsn, cfg.DAO.Name+"/") })
			run := func() *Cycle {
				t.Helper()
				e, err := Prepare(context.Background(), cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				c, err := e.Cycle(context.Background(), oracle.Template{}, Options{Version: "test"})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			first := run()
			again := run()
			for i := range first.Search {
				if !reflect.DeepEqual(first.Search[i], again.Search[i]) {
					t.Fatalf("search %d differs when run again on its stored study:\n%+v\n%+v", i, first.Search[i], again.Search[i])
				}
			}
			if !reflect.DeepEqual(first.Recommendation, again.Recommendation) {
				t.Fatalf("the recommendation differs when run again on its stored studies:\n%+v\n%+v", first.Recommendation, again.Recommendation)
			}
			if first.Recommendation.Method.Storage != kind || len(first.Recommendation.Method.WarmStart) != 0 {
				t.Errorf("method storage %q, warm start %v", first.Recommendation.Method.Storage, first.Recommendation.Method.WarmStart)
			}
			// The studies hold every trial once.
			st, err := storage.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			id, err := st.GetStudyIDFromName(first.Env.StudyName(first.ID, 0))
			if err != nil {
				t.Fatal(err)
			}
			trials, err := st.GetAllTrials(id)
			if err != nil {
				t.Fatal(err)
			}
			if len(trials) != len(first.Search[0].Trials) {
				t.Errorf("study holds %d trials, the search %d", len(trials), len(first.Search[0].Trials))
			}

			cfg.Optimizer.Seed++
			next := run()
			m := next.Recommendation.Method
			if next.ID == first.ID || len(m.WarmStart) != len(next.Search) || !strings.Contains(m.WarmStart[0], first.ID) {
				t.Fatalf("next cycle %s warm-started from %v; want the studies of %s", next.ID, m.WarmStart, first.ID)
			}
			// Trial 1 of the next cycle's first search is the previous best.
			prevBest := first.Search[0].Trials[first.Search[0].Best].Params["a"]
			if got := next.Search[0].Trials[1].Params["a"]; got != prevBest && first.Search[0].Best != 0 {
				t.Errorf("next cycle's trial 1 has a = %v; the previous best was %v", got, prevBest)
			}
			if !strings.Contains(next.Proposal.Markdown, "Warm start") {
				t.Error("the proposal does not say it warm-started")
			}
			if next.Recommendation.Basis == "" || next.Recommendation.Basis == oracle.BasisCandidateInfeasible {
				t.Errorf("basis %q", next.Recommendation.Basis)
			}
		})
	}
}
