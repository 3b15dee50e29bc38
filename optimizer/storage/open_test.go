package storage

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// Open reports the opener's errors (internal/sqldb tests them all) as
// the storage's, without the password.
func TestOpenErrors(t *testing.T) {
	_, err := Open(context.Background(), "postgres://user:secret@[::1")
	if !errors.Is(err, ErrInvalidDSN) || !strings.HasPrefix(err.Error(), "storage: ") || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad postgres DSN: %v", err)
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
