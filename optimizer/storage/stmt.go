package storage

import (
	"database/sql"
	"fmt"
	"sync"
)

// maxPrepared bounds the number of cached prepared statements; queries
// beyond it run unprepared.
const maxPrepared = 512

// stmtCache holds prepared SQLite statements by query text: modernc's
// driver parses and plans every one-shot query again.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepared returns the prepared statement for q (written with ?
// placeholders), preparing it on first use; nil if the cache is full, and
// always nil on PostgreSQL, where pgx keeps its own per-connection statement
// cache.
func (s *Storage) prepared(q string) (*sql.Stmt, error) {
	if s.pg {
		return nil, nil
	}
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	if len(c.m) >= maxPrepared {
		return nil, nil
	}
	st, err := s.db.PrepareContext(s.ctx, s.rebind(q))
	if err != nil {
		return nil, fmt.Errorf("storage: prepare on %s: %w", s.desc, err)
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[q] = st
	return st, nil
}

// closeStmts closes the cached statements.
func (s *Storage) closeStmts() {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = nil
}

// query runs a query with the base context, as a prepared statement.
func (s *Storage) query(q string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return s.db.QueryContext(s.ctx, s.rebind(q), args...)
	}
	return st.QueryContext(s.ctx, args...)
}

// row is the result of queryRow: a *sql.Row or the error preparing it.
type row struct {
	r   *sql.Row
	err error
}

// Scan is sql.Row.Scan.
func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

// queryRow runs a query expected to return at most one row.
func (s *Storage) queryRow(q string, args ...any) row {
	st, err := s.prepared(q)
	if err != nil {
		return row{err: err}
	}
	if st == nil {
		return row{r: s.db.QueryRowContext(s.ctx, s.rebind(q), args...)}
	}
	return row{r: st.QueryRowContext(s.ctx, args...)}
}

// txStmt returns the prepared statement for q bound to tx (database/sql
// reuses the statement already prepared on the transaction's connection).
func (s *Storage) txStmt(tx *sql.Tx, q string) (*sql.Stmt, error) {
	st, err := s.prepared(q)
	if err != nil || st == nil {
		return nil, err
	}
	return tx.StmtContext(s.ctx, st), nil
}

// txQueryRow is queryRow inside a transaction.
func (s *Storage) txQueryRow(tx *sql.Tx, q string, args ...any) row {
	st, err := s.txStmt(tx, q)
	if err != nil {
		return row{err: err}
	}
	if st == nil {
		return row{r: tx.QueryRowContext(s.ctx, s.rebind(q), args...)}
	}
	return row{r: st.QueryRowContext(s.ctx, args...)}
}

// txExec runs a statement inside a transaction.
func (s *Storage) txExec(tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	st, err := s.txStmt(tx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.ExecContext(s.ctx, s.rebind(q), args...)
	}
	return st.ExecContext(s.ctx, args...)
}
