package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/internal/sqldb"
	"github.com/attune-dao/attune/optimizer/storage"
)

// Opening records the schema version once; a database from a newer
// attune is refused with what to do.
func TestMigrations(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			s := openT(t, dsn)
			openT(t, dsn) // opening again applies nothing
			var rows, version int
			if err := s.db.SQL.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&rows, &version); err != nil {
				t.Fatal(err)
			}
			if rows != len(migrations) || version != len(migrations) {
				t.Errorf("schema_migrations: %d rows, version %d; want %d", rows, version, len(migrations))
			}
			sqlExec(t, s, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, len(migrations)+1)
			_, err := Open(context.Background(), dsn, Options{})
			if err == nil || !strings.Contains(err.Error(), "upgrade attune") || !strings.Contains(err.Error(), "schema_migrations") {
				t.Errorf("Open of a newer schema: %v", err)
			}
		})
	}
}

// The store and the optimizer's studies can share one database: their
// tables and version records are apart.
func TestSharesADatabaseWithTheStudies(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			st, err := storage.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			s := openT(t, dsn)
			must(s.CreateCycle(ctx, NewCycle{Actor: "t", DAO: "Compound", ConfigHash: "c"}))(t)
			if _, err := st.CreateNewStudy("Compound/tokenvote/x/search-0"); err != nil {
				t.Fatal(err)
			}
			if v := must(s.Verify(ctx))(t); v.Err() != nil || v.Entries != 1 {
				t.Errorf("verify: %+v", v)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(ctx, "attune.txt", Options{}); !errors.Is(err, sqldb.ErrInvalidDSN) {
		t.Errorf("bad DSN: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "no", "dir", "attune.db")
	if _, err := Open(ctx, "sqlite:"+missing, Options{}); err == nil || !strings.Contains(err.Error(), "directory exists") {
		t.Errorf("missing directory: %v", err)
	}
}
