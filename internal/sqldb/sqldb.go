// Package sqldb opens the SQL databases attune keeps durable state in — a
// SQLite file (pure-Go modernc.org/sqlite) or a PostgreSQL database (pgx's
// database/sql driver), named by one DSN — with the settings several
// writers need, and applies versioned schema migrations. The optimizer's
// study storage and the cycle store share it.
//
// Every SQLite connection runs in WAL mode with a busy timeout, foreign
// keys on and BEGIN IMMEDIATE transactions (_txlock=immediate), so a
// write transaction takes the write lock when it starts instead of
// failing with "database is locked" when it first writes.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"               // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrInvalidDSN is wrapped by every error Open returns for a DSN it cannot
// use; the message says what is wrong and what to write instead.
var ErrInvalidDSN = errors.New("invalid storage DSN")

// BusyTimeout is how long a SQLite write waits for another process's
// write transaction to finish before failing with SQLITE_BUSY.
const BusyTimeout = 10 * time.Second

// pgMigrationLockKey is the PostgreSQL advisory lock taken while migrating
// ("attune" in ASCII).
const pgMigrationLockKey = 0x61747475_6e65

// DB is an open database: the database/sql handle and what kind it is.
// It is safe for concurrent use.
type DB struct {
	// SQL is the connection pool.
	SQL *sql.DB
	// Postgres is true for PostgreSQL, false for SQLite.
	Postgres bool
	// Desc names the database in error messages (no password).
	Desc string
	// Path is the SQLite file; "" for PostgreSQL.
	Path string

	// writeMu serialises this process's SQLite write transactions, so that
	// goroutines queue on a mutex instead of polling SQLite's busy handler.
	// Other processes are serialised by BEGIN IMMEDIATE and the busy
	// timeout.
	writeMu sync.Mutex
}

// Open connects to the database named by dsn. Accepted DSNs:
//
//	sqlite:PATH                          SQLite file at PATH (created if missing)
//	sqlite:PATH?synchronous=full         ... fsync every commit
//	PATH ending .db, .sqlite or .sqlite3 SQLite file at PATH
//	postgres://... or postgresql://...   PostgreSQL, in pgx's URL format
//
// ctx bounds connecting. Errors for a DSN that cannot be used wrap
// ErrInvalidDSN.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d := &DB{}
	var driver, driverDSN string
	if IsPostgres(dsn) {
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return nil, fmt.Errorf("%w: cannot parse PostgreSQL DSN %s: %w (expected postgres://user[:password]@host[:port]/database[?sslmode=disable])",
				ErrInvalidDSN, Redact(dsn), err)
		}
		d.Postgres = true
		d.Desc = Redact(dsn)
		driver, driverDSN = "pgx", dsn
	} else {
		path, sync, err := parseSQLiteDSN(dsn)
		if err != nil {
			return nil, err
		}
		d.Path = path
		d.Desc = "sqlite:" + path
		driver, driverDSN = "sqlite", sqliteDriverDSN(path, sync)
	}
	db, err := sql.Open(driver, driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", d.Desc, err)
	}
	d.SQL = db
	if d.Postgres {
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// Readers run concurrently under WAL; writers are serialised anyway.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		hint := "check that the server is running and the DSN's host, port, user and database are right"
		if !d.Postgres {
			hint = "check that the directory exists and is writable"
		}
		return nil, fmt.Errorf("connect to %s: %w (%s)", d.Desc, err, hint)
	}
	return d, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath returns the file a SQLite DSN names, or an error wrapping
// ErrInvalidDSN; for a PostgreSQL DSN it returns "" and no error.
func SQLitePath(dsn string) (string, error) {
	if IsPostgres(dsn) {
		return "", nil
	}
	path, _, err := parseSQLiteDSN(dsn)
	return path, err
}

// Close closes the connection pool.
func (d *DB) Close() error {
	if err := d.SQL.Close(); err != nil {
		return fmt.Errorf("close %s: %w", d.Desc, err)
	}
	return nil
}

// Write runs fn in a write transaction (BEGIN IMMEDIATE on SQLite, after
// this process's earlier SQLite writers) and commits it, or rolls it back
// when fn fails. fn's error is returned as it is, so sentinel errors stay
// comparable with ==; what names the operation in the errors of begin and
// commit.
func (d *DB) Write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if !d.Postgres {
		d.writeMu.Lock()
		defer d.writeMu.Unlock()
	}
	tx, err := d.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin transaction on %s: %w", what, d.Desc, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit on %s: %w", what, d.Desc, err)
	}
	return nil
}

// Rebind turns ? placeholders into PostgreSQL's $1, $2, ... on PostgreSQL.
// The query must contain no '?' inside string literals.
func (d *DB) Rebind(q string) string {
	if !d.Postgres {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Migration is one schema version: its statements for each dialect.
type Migration struct {
	SQLite, Postgres []string
}

// Migrate brings the schema up to the latest of ms (ms[i] creates version
// i+1) in one transaction, recording each version applied in table (a
// constant of the caller's, created if missing). Several processes may
// migrate one database at once: a PostgreSQL advisory lock, or SQLite's
// write lock, lets one do the work. A database at a newer version than ms
// knows is refused with an error saying to upgrade attune.
func (d *DB) Migrate(ctx context.Context, table string, ms []Migration) error {
	return d.Write(ctx, "migrate", func(tx *sql.Tx) error {
		if d.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrationLockKey)); err != nil {
				return fmt.Errorf("migrate %s: advisory lock: %w", d.Desc, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
			version INTEGER PRIMARY KEY,
			applied_at BIGINT NOT NULL
		)`); err != nil {
			return fmt.Errorf("migrate %s: create %s: %w", d.Desc, table, err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+table).Scan(&current); err != nil {
			return fmt.Errorf("migrate %s: read %s: %w", d.Desc, table, err)
		}
		if current > len(ms) {
			return fmt.Errorf("%s has schema version %d (%s) but this build of attune only knows versions up to %d: upgrade attune",
				d.Desc, current, table, len(ms))
		}
		for v := current + 1; v <= len(ms); v++ {
			stmts := ms[v-1].SQLite
			if d.Postgres {
				stmts = ms[v-1].Postgres
			}
			for _, stmt := range stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migrate %s to version %d: %w", d.Desc, v, err)
				}
			}
			if _, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO `+table+` (version, applied_at) VALUES (?, ?)`),
				v, time.Now().UnixNano()); err != nil {
				return fmt.Errorf("migrate %s: record version %d: %w", d.Desc, v, err)
			}
		}
		return nil
	})
}

// parseSQLiteDSN returns the file path and synchronous mode named by a SQLite
// DSN, or an error wrapping ErrInvalidDSN that explains the accepted forms.
func parseSQLiteDSN(dsn string) (path, synchronous string, err error) {
	const forms = "use sqlite:PATH, a file path ending .db/.sqlite/.sqlite3, or postgres://user@host:port/database"
	rest, hasScheme := strings.CutPrefix(dsn, "sqlite:")
	if !hasScheme {
		if strings.Contains(dsn, "://") || dsn == "" {
			return "", "", fmt.Errorf("%w: %q is not a supported DSN: %s", ErrInvalidDSN, Redact(dsn), forms)
		}
		ext := strings.ToLower(filepath.Ext(dsn))
		if ext != ".db" && ext != ".sqlite" && ext != ".sqlite3" {
			return "", "", fmt.Errorf("%w: %q is neither a URL nor a path ending .db/.sqlite/.sqlite3: %s", ErrInvalidDSN, dsn, forms)
		}
		rest = dsn
	}
	synchronous = "NORMAL"
	if p, query, ok := strings.Cut(rest, "?"); ok {
		rest = p
		q, perr := url.ParseQuery(query)
		if perr != nil {
			return "", "", fmt.Errorf("%w: query of %q: %w", ErrInvalidDSN, dsn, perr)
		}
		for k, v := range q {
			if k != "synchronous" || len(v) != 1 {
				return "", "", fmt.Errorf("%w: unsupported parameter %q in %q: the only SQLite option is ?synchronous=normal|full", ErrInvalidDSN, k, dsn)
			}
			switch strings.ToUpper(v[0]) {
			case "NORMAL", "FULL":
				synchronous = strings.ToUpper(v[0])
			default:
				return "", "", fmt.Errorf("%w: synchronous=%q in %q: want normal or full", ErrInvalidDSN, v[0], dsn)
			}
		}
	}
	// SQLAlchemy/Optuna style: sqlite:///relative.db, sqlite:////abs/path.db.
	if after, ok := strings.CutPrefix(rest, "///"); ok {
		rest = after
	} else if strings.HasPrefix(rest, "//") {
		return "", "", fmt.Errorf("%w: %q: SQLite DSNs have no host; write sqlite:/absolute/path.db or sqlite:relative.db", ErrInvalidDSN, dsn)
	}
	switch {
	case rest == "":
		return "", "", fmt.Errorf("%w: %q has an empty file path: write sqlite:PATH", ErrInvalidDSN, dsn)
	case rest == ":memory:" || strings.HasPrefix(rest, "file:") || strings.Contains(rest, "mode=memory"):
		return "", "", fmt.Errorf("%w: %q: in-memory and URI-style SQLite databases are not supported (the storage is meant to be durable); give a file path", ErrInvalidDSN, dsn)
	case strings.ContainsAny(rest, "#\x00"):
		return "", "", fmt.Errorf("%w: %q: the file path must not contain '#' or NUL", ErrInvalidDSN, dsn)
	}
	return rest, synchronous, nil
}

// sqliteDriverDSN builds modernc.org/sqlite's DSN: every pooled connection
// gets the busy timeout, foreign keys, WAL and BEGIN IMMEDIATE transactions.
func sqliteDriverDSN(path, synchronous string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// Redact removes a password from a URL-style DSN.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		if strings.Contains(dsn, "@") {
			return "(unparsable DSN, not shown because it may contain a password)"
		}
		return dsn
	}
	return u.Redacted()
}

// IsUniqueViolation reports whether err is a unique or primary-key
// constraint failing, on either database.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
