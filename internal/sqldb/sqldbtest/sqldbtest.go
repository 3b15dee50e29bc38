// Package sqldbtest gives tests a PostgreSQL database of their own: a
// fresh schema on the server ATTUNE_TEST_POSTGRES_DSN names, dropped when
// the test ends, so that test packages running in parallel never see each
// other's tables.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Env names the environment variable with the PostgreSQL test DSN, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const Env = "ATTUNE_TEST_POSTGRES_DSN"

// PostgresDSN returns a DSN whose search_path is a new schema named
// prefix_<random hex>, dropped when the test ends; it skips the test when
// ATTUNE_TEST_POSTGRES_DSN is unset.
func PostgresDSN(t testing.TB, prefix string) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skipf("%s not set; skipping PostgreSQL test", Env)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := prefix + "_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", Env, err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
