package store

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/attune-dao/attune/internal/sqldb/sqldbtest"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

// backend is a database the store is tested on.
type backend struct {
	name string
	// dsn returns a new, empty database; several Opens of one DSN share it.
	dsn func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{name: "sqlite", dsn: func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "attune.db") }},
		{name: "postgres", dsn: func(t testing.TB) string { return sqldbtest.PostgresDSN(t, "attune_store_test") }},
	}
}

// openT opens dsn and closes the store when the test ends.
func openT(t testing.TB, dsn string) *SQL {
	t.Helper()
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// documents are a real cycle's recommendation and proposal, as
// loop.Cycle.Write writes them: the golden cycle of the Compound example
// (loop/testdata/golden/compound).
type documents struct {
	rec, prop json.RawMessage
}

func goldenDocs(t testing.TB, name string) documents {
	t.Helper()
	dir := filepath.Join("..", "loop", "testdata", "golden", name)
	b, err := os.ReadFile(filepath.Join(dir, "recommendation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec oracle.Recommendation
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	recJSON, err := json.MarshalIndent(schema.NewRecommendation(rec), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	prop, err := os.ReadFile(filepath.Join(dir, "proposal.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The golden proposals recommend no change, which cannot be
	// approved; the store's tests approve theirs, so they recommend one.
	prop = bytes.Replace(prop, []byte(`"change": false`), []byte(`"change": true`), 1)
	return documents{rec: append(recJSON, '\n'), prop: prop}
}

// toReview takes a new cycle of key k through the machine to
// pending_review with docs.
func toReview(t testing.TB, s Store, k Key, docs documents) Cycle {
	t.Helper()
	ctx := context.Background()
	c, err := s.CreateCycle(ctx, NewCycle{Actor: "test", DAO: k.DAO, ConfigHash: k.ConfigHash})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		to State
		ch Change
	}{
		{Calibrating, Change{Actor: "test", InputsHash: k.InputsHash}},
		{Optimizing, Change{Actor: "test"}},
		{Drafting, Change{Actor: "test", Recommendation: docs.rec}},
		{PendingReview, Change{Actor: "test", Proposal: docs.prop, Dir: "/out/" + k.InputsHash}},
	}
	for _, st := range steps {
		if c, err = s.Advance(ctx, c.ID, st.to, st.ch); err != nil {
			t.Fatalf("advance to %s: %v", st.to, err)
		}
	}
	return c
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
