package storage

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
	}
}

func TestOpenErrors(t *testing.T) {
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
}

// TestConcurrentOpen opens one new database from several goroutines at once:
// the migration must run exactly once and every Open must succeed.
func TestConcurrentOpen(t *testing.T) {
	for _, b := range sqlBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			const n = 6
			var wg sync.WaitGroup
			stores := make([]*Storage, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stores[i], errs[i] = Open(context.Background(), dsn)
				}()
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("Open %d: %v", i, errs[i])
				}
				defer stores[i].Close()
			}
			var rows, version int
			check(t, stores[0].db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version))
			if rows != len(migrations) || version != len(migrations) {
				t.Errorf("schema_version: %d rows, version %d; want %d", rows, version, len(migrations))
			}
			// Every handle works on the shared schema.
			id := must(stores[1].CreateNewStudy("shared"))(t)
			if got := must(stores[n-1].GetStudyIDFromName("shared"))(t); got != id {
				t.Errorf("study %d, want %d", got, id)
			}
		})
	}
}

// TestNewerSchemaRefused checks that a database migrated by a newer build
// is not used.
func TestNewerSchemaRefused(t *testing.T) {
	for _, b := range sqlBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			st := openT(t, dsn)
			q := st.rebind(`INSERT INTO schema_version (version, applied_at) VALUES (?, 0)`)
			if _, err := st.db.Exec(q, len(migrations)+1); err != nil {
				t.Fatal(err)
			}
			_, err := Open(context.Background(), dsn)
			if err == nil || !strings.Contains(err.Error(), "upgrade attune") {
				t.Errorf("Open of a newer schema: %v", err)
			}
		})
	}
}

// TestSQLitePragmas checks the connection settings every pooled SQLite
// connection gets.
func TestSQLitePragmas(t *testing.T) {
	st := openT(t, "sqlite:"+sqlitePath(t))
	conns := make([]*sql.Conn, 3) // hold several so that they are distinct
	for i := range conns {
		conns[i] = must(st.db.Conn(context.Background()))(t)
		defer conns[i].Close()
	}
	for i, c := range conns {
		var mode string
		var fk, timeout, syncMode int
		ctx := context.Background()
		check(t, c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
		check(t, c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk))
		check(t, c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&timeout))
		check(t, c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&syncMode))
		if mode != "wal" || fk != 1 || timeout != int(sqliteBusyTimeout.Milliseconds()) || syncMode != 1 {
			t.Errorf("conn %d: journal_mode %s, foreign_keys %d, busy_timeout %d, synchronous %d", i, mode, fk, timeout, syncMode)
		}
	}
}
