package storage

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/internal/sqldb/sqldbtest"
)

// pgEnv names the environment variable with the PostgreSQL test DSN.
const pgEnv = sqldbtest.Env

// sqlitePath returns a fresh database file path in the test's temp dir.
func sqlitePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "studies.db")
}

// openT opens dsn and closes the Storage at the end of the test.
func openT(t testing.TB, dsn string) *Storage {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// pgDSN returns a DSN for a fresh PostgreSQL schema that is dropped when
// the test ends, or skips the test when ATTUNE_TEST_POSTGRES_DSN is unset.
func pgDSN(t testing.TB) string { return sqldbtest.PostgresDSN(t, "attune_storage_test") }

// backend is a storage under test.
type backend struct {
	name string
	// open returns a new, empty storage; for the SQL backends each call
	// opens a new database (file or schema).
	open func(t testing.TB) goptuna.Storage
	// strict is false for goptuna.InMemoryStorage, which is the reference
	// for the common behaviour but is looser about IDs, errors and copies.
	strict bool
}

func backends() []backend {
	return []backend{
		{name: "inmemory", open: func(testing.TB) goptuna.Storage { return goptuna.NewInMemoryStorage() }},
		{name: "sqlite", strict: true, open: func(t testing.TB) goptuna.Storage { return openT(t, "sqlite:"+sqlitePath(t)) }},
		{name: "postgres", strict: true, open: func(t testing.TB) goptuna.Storage { return openT(t, pgDSN(t)) }},
	}
}

// sqlBackends are the two databases, opened by DSN so that tests can open
// several handles on one database.
type sqlBackend struct {
	name string
	dsn  func(t testing.TB) string
}

func sqlBackends() []sqlBackend {
	return []sqlBackend{
		{name: "sqlite", dsn: func(t testing.TB) string { return "sqlite:" + sqlitePath(t) }},
		{name: "postgres", dsn: pgDSN},
	}
}

// must(f())(t) returns f's value, failing the test if f returned an error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
