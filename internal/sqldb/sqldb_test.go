package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/attune-dao/attune/internal/sqldb/sqldbtest"
)

func TestParseSQLiteDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, path, sync, err string
	}{
		{dsn: "sqlite:/var/lib/a.db", path: "/var/lib/a.db", sync: "NORMAL"},
		{dsn: "sqlite:rel/a.anything", path: "rel/a.anything", sync: "NORMAL"},
		{dsn: "sqlite:///rel.db", path: "rel.db", sync: "NORMAL"},
		{dsn: "sqlite:////abs/a.db", path: "/abs/a.db", sync: "NORMAL"},
		{dsn: "sqlite:a.db?synchronous=full", path: "a.db", sync: "FULL"},
		{dsn: "studies.db", path: "studies.db", sync: "NORMAL"},
		{dsn: "/tmp/x/Studies.SQLITE", path: "/tmp/x/Studies.SQLITE", sync: "NORMAL"},
		{dsn: "x.sqlite3", path: "x.sqlite3", sync: "NORMAL"},
		{dsn: "", err: "not a supported DSN"},
		{dsn: "sqlite:", err: "empty file path"},
		{dsn: "sqlite::memory:", err: "in-memory"},
		{dsn: "sqlite:file:a.db?mode=memory", err: "unsupported parameter"},
		{dsn: "sqlite://host/a.db", err: "no host"},
		{dsn: "sqlite:a.db?cache=shared", err: "unsupported parameter"},
		{dsn: "sqlite:a.db?synchronous=off", err: "want normal or full"},
		{dsn: "studies.txt", err: "neither a URL nor a path"},
		{dsn: "mysql://u@h/db", err: "not a supported DSN"},
		{dsn: "host=localhost user=postgres", err: "neither a URL nor a path"},
	} {
		path, sync, err := parseSQLiteDSN(tc.dsn)
		if tc.err != "" {
			if err == nil || !errors.Is(err, ErrInvalidDSN) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want one containing %q", tc.dsn, err, tc.err)
			}
			continue
		}
		if err != nil || path != tc.path || sync != tc.sync {
			t.Errorf("%q: (%q, %q, %v), want (%q, %q)", tc.dsn, path, sync, err, tc.path, tc.sync)
		}
		if p, err := SQLitePath(tc.dsn); err != nil || p != tc.path {
			t.Errorf("SQLitePath(%q) = %q, %v", tc.dsn, p, err)
		}
	}
	if p, err := SQLitePath("postgres://u@h/db"); p != "" || err != nil {
		t.Errorf("SQLitePath of a PostgreSQL DSN: %q, %v", p, err)
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "postgres://user:secret@[::1"); err == nil || !errors.Is(err, ErrInvalidDSN) || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad postgres DSN: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "a.db")
	if _, err := Open(ctx, "sqlite:"+missing); err == nil || !strings.Contains(err.Error(), "directory exists") {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := Open(ctx, "postgres://nobody:secret@127.0.0.1:1/none?connect_timeout=2"); err == nil ||
		strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "server is running") {
		t.Errorf("unreachable postgres: %v", err)
	}
	if got := Redact("postgres://u:pw@h/db"); strings.Contains(got, "pw") || !strings.Contains(got, "u:xxxxx@h") {
		t.Errorf("Redact: %q", got)
	}
}

// TestSQLitePragmas checks the connection settings every pooled SQLite
// connection gets.
func TestSQLitePragmas(t *testing.T) {
	d := openT(t, "sqlite:"+filepath.Join(t.TempDir(), "a.db"))
	conns := make([]*sql.Conn, 3) // hold several so that they are distinct
	ctx := context.Background()
	for i := range conns {
		c, err := d.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
		defer c.Close()
	}
	for i, c := range conns {
		var mode string
		var fk, timeout, syncMode int
		for q, dst := range map[string]any{`PRAGMA journal_mode`: &mode, `PRAGMA foreign_keys`: &fk, `PRAGMA busy_timeout`: &timeout, `PRAGMA synchronous`: &syncMode} {
			if err := c.QueryRowContext(ctx, q).Scan(dst); err != nil {
				t.Fatal(err)
			}
		}
		if mode != "wal" || fk != 1 || timeout != int(BusyTimeout.Milliseconds()) || syncMode != 1 {
			t.Errorf("conn %d: journal_mode %s, foreign_keys %d, busy_timeout %d, synchronous %d", i, mode, fk, timeout, syncMode)
		}
	}
}

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`
	if got := (&DB{}).Rebind(q); got != q {
		t.Errorf("SQLite rebind changed the query: %s", got)
	}
	if got, want := (&DB{Postgres: true}).Rebind(q), `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`; got != want {
		t.Errorf("PostgreSQL rebind: %s, want %s", got, want)
	}
}

var testMigrations = []Migration{
	{SQLite: []string{`CREATE TABLE a (x INTEGER)`}, Postgres: []string{`CREATE TABLE a (x BIGINT)`}},
	{SQLite: []string{`CREATE TABLE b (y TEXT)`, `INSERT INTO a VALUES (1)`}, Postgres: []string{`CREATE TABLE b (y TEXT)`, `INSERT INTO a VALUES (1)`}},
}

// Migrations run once, in order, however many openers race, and are
// recorded; a database at a newer version is refused; a failing
// migration leaves nothing behind.
func TestMigrate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			ctx := context.Background()
			const n = 5
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					d := openT(t, dsn)
					errs[i] = d.Migrate(ctx, "test_migrations", testMigrations)
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			d := openT(t, dsn)
			var rows, version, ones int
			if err := d.SQL.QueryRow(`SELECT COUNT(*), MAX(version) FROM test_migrations`).Scan(&rows, &version); err != nil {
				t.Fatal(err)
			}
			if err := d.SQL.QueryRow(`SELECT COUNT(*) FROM a`).Scan(&ones); err != nil {
				t.Fatal(err)
			}
			if rows != 2 || version != 2 || ones != 1 {
				t.Errorf("%d versions recorded, latest %d, %d rows inserted by version 2; want 2, 2, 1", rows, version, ones)
			}
			// A build that knows only version 1 refuses the database.
			if err := d.Migrate(ctx, "test_migrations", testMigrations[:1]); err == nil ||
				!strings.Contains(err.Error(), "schema version 2") || !strings.Contains(err.Error(), "upgrade attune") {
				t.Errorf("older build: %v", err)
			}
			// A third version that fails rolls back whole.
			bad := append(testMigrations[:2:2], Migration{
				SQLite:   []string{`CREATE TABLE c (z INTEGER)`, `INSERT INTO nowhere VALUES (1)`},
				Postgres: []string{`CREATE TABLE c (z INTEGER)`, `INSERT INTO nowhere VALUES (1)`},
			})
			if err := d.Migrate(ctx, "test_migrations", bad); err == nil || !strings.Contains(err.Error(), "version 3") {
				t.Errorf("failing migration: %v", err)
			}
			if err := d.SQL.QueryRow(`SELECT COUNT(*) FROM test_migrations`).Scan(&rows); err != nil || rows != 2 {
				t.Errorf("after a failed migration: %d versions (%v); want 2", rows, err)
			}
			if _, err := d.SQL.Exec(`SELECT * FROM c`); err == nil {
				t.Error("the failed migration's table exists")
			}
		})
	}
}

// openT opens dsn and closes it at the end of the test.
func openT(t testing.TB, dsn string) *DB {
	t.Helper()
	d, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

type backend struct {
	name string
	dsn  func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{name: "sqlite", dsn: func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "a.db") }},
		{name: "postgres", dsn: pgDSN},
	}
}

// pgDSN returns a DSN for a fresh PostgreSQL schema, or skips the test.
func pgDSN(t testing.TB) string { return sqldbtest.PostgresDSN(t, "attune_sqldb_test") }
