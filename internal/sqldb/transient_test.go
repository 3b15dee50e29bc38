package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/attune-dao/attune/internal/sqldb/sqldbtest"
)

// sqliteBusy returns the error SQLite gives a writer while another
// connection holds the write lock and no busy timeout is set: a real
// SQLITE_BUSY.
func sqliteBusy(t *testing.T) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "busy.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	a, b := open(), open()
	ctx := context.Background()
	if _, err := a.ExecContext(ctx, `CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	ca, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	if _, err := ca.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer ca.ExecContext(ctx, `ROLLBACK`) //nolint:errcheck // cleanup
	_, err = b.ExecContext(ctx, `INSERT INTO t VALUES (1)`)
	if err == nil {
		t.Fatal("a second writer wrote while the first held the lock")
	}
	return err
}

func TestIsTransientSQLite(t *testing.T) {
	busy := sqliteBusy(t)
	if !IsTransient(busy) || !IsTransient(fmt.Errorf("store: advance cycle 3: %w", busy)) {
		t.Errorf("SQLITE_BUSY (%v) is not transient", busy)
	}
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE u (x INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	_, _ = db.ExecContext(ctx, `INSERT INTO u VALUES (1)`)
	_, dup := db.ExecContext(ctx, `INSERT INTO u VALUES (1)`)
	_, syntax := db.ExecContext(ctx, `SELEC 1`)
	for _, err := range []error{dup, syntax, errors.New("disk on fire"), nil} {
		if IsTransient(err) {
			t.Errorf("%v is transient", err)
		}
	}
}

// A PostgreSQL serialization failure (40001), from two serializable
// transactions that each read what the other writes, is transient; a
// syntax error is not.
func TestIsTransientPostgres(t *testing.T) {
	dsn := sqldbtest.PostgresDSN(t, "attune_sqldb_transient")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (k INTEGER, v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	begin := func() *sql.Tx {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	t1, t2 := begin(), begin()
	defer t1.Rollback() //nolint:errcheck // cleanup
	defer t2.Rollback() //nolint:errcheck // cleanup
	for i, tx := range []*sql.Tx{t1, t2} {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE k = $1`, 1-i).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES ($1, 0)`, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := t1.Commit(); err != nil {
		t.Fatal(err)
	}
	serial := t2.Commit()
	if serial == nil || !IsTransient(serial) {
		t.Errorf("the second commit: %v; want a transient serialization failure", serial)
	}
	if _, syntax := db.ExecContext(ctx, `SELEC 1`); syntax == nil || IsTransient(syntax) {
		t.Errorf("a syntax error: %v, transient %v", syntax, IsTransient(syntax))
	}
}
