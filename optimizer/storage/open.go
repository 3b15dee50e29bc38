package storage

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

	"github.com/c-bata/goptuna"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// ErrInvalidDSN is wrapped by every error Open returns for a DSN it cannot
// use; the message says what is wrong and what to write instead.
var ErrInvalidDSN = errors.New("invalid storage DSN")

// sqliteBusyTimeout is how long a SQLite write waits for another process's
// write transaction to finish before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// pgMigrationLockKey is the PostgreSQL advisory lock taken while migrating
// ("attune" in ASCII).
const pgMigrationLockKey = 0x61747475_6e65

var _ goptuna.Storage = (*Storage)(nil)

// Storage is a goptuna.Storage backed by a SQLite file or a PostgreSQL
// database. It is safe for concurrent use by multiple goroutines, and several
// processes may share one database. Create it with Open and release it with
// Close.
type Storage struct {
	db  *sql.DB
	ctx context.Context
	pg  bool
	// desc names the database in error messages (passwords removed).
	desc string

	// writeMu serialises this process's SQLite write transactions, so that
	// goroutines queue on a mutex instead of polling SQLite's busy handler.
	// Other processes are serialised by BEGIN IMMEDIATE and busy_timeout.
	writeMu sync.Mutex

	// mu guards studies.
	mu sync.RWMutex
	// studies holds, per study ID, the cache of finished trials.
	studies map[int]*studyCache

	dists distCache
	stmts stmtCache
}

// Open connects to the database named by dsn, creates or migrates the
// schema, and returns a Storage. Accepted DSNs:
//
//	sqlite:PATH                          SQLite file at PATH (created if missing)
//	sqlite:PATH?synchronous=full         ... fsync every commit
//	PATH ending .db, .sqlite or .sqlite3 SQLite file at PATH
//	postgres://... or postgresql://...   PostgreSQL, in pgx's URL format
//
// ctx bounds opening and migrating, and is kept as the base context of every
// later database call (goptuna's Storage interface has no context
// parameters): cancelling it makes subsequent calls fail. Pass a context
// that lives as long as the Storage, e.g. context.Background().
func Open(ctx context.Context, dsn string) (*Storage, error) {
	s := &Storage{
		ctx:     ctx,
		studies: make(map[int]*studyCache),
	}
	var driver, driverDSN string
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return nil, fmt.Errorf("%w: cannot parse PostgreSQL DSN %s: %w (expected postgres://user[:password]@host[:port]/database[?sslmode=disable])",
				ErrInvalidDSN, redactDSN(dsn), err)
		}
		s.pg = true
		s.desc = redactDSN(dsn)
		driver, driverDSN = "pgx", dsn
	default:
		path, sync, err := parseSQLiteDSN(dsn)
		if err != nil {
			return nil, err
		}
		s.desc = "sqlite:" + path
		driver, driverDSN = "sqlite", sqliteDriverDSN(path, sync)
	}

	db, err := sql.Open(driver, driverDSN)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", s.desc, err)
	}
	s.db = db
	if s.pg {
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
		if !s.pg {
			hint = "check that the directory exists and is writable"
		}
		return nil, fmt.Errorf("storage: connect to %s: %w (%s)", s.desc, err, hint)
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database connections. The Storage must not be used
// afterwards.
func (s *Storage) Close() error {
	s.closeStmts()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage: close %s: %w", s.desc, err)
	}
	return nil
}

// parseSQLiteDSN returns the file path and synchronous mode named by a SQLite
// DSN, or an error wrapping ErrInvalidDSN that explains the accepted forms.
func parseSQLiteDSN(dsn string) (path, synchronous string, err error) {
	const forms = "use sqlite:PATH, a file path ending .db/.sqlite/.sqlite3, or postgres://user@host:port/database"
	rest, hasScheme := strings.CutPrefix(dsn, "sqlite:")
	if !hasScheme {
		if strings.Contains(dsn, "://") || dsn == "" {
			return "", "", fmt.Errorf("%w: %q is not a supported DSN: %s", ErrInvalidDSN, redactDSN(dsn), forms)
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
		return "", "", fmt.Errorf("%w: %q: in-memory and URI-style SQLite databases are not supported (the storage is meant to be durable); give a file path, or use goptuna.NewInMemoryStorage()", ErrInvalidDSN, dsn)
	case strings.ContainsAny(rest, "#\x00"):
		return "", "", fmt.Errorf("%w: %q: the file path must not contain '#' or NUL", ErrInvalidDSN, dsn)
	}
	return rest, synchronous, nil
}

// sqliteDriverDSN builds modernc.org/sqlite's DSN: every pooled connection
// gets the busy timeout, foreign keys, WAL and BEGIN IMMEDIATE transactions.
func sqliteDriverDSN(path, synchronous string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// redactDSN removes a password from a URL-style DSN.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		if strings.Contains(dsn, "@") {
			return "(unparsable DSN, not shown because it may contain a password)"
		}
		return dsn
	}
	return u.Redacted()
}

// migration is one schema version: its statements for each dialect.
type migration struct {
	sqlite, postgres []string
}

// migrations lists the schema versions; migrations[i] creates version i+1.
// Never edit an existing entry; append a new one.
var migrations = []migration{
	{
		sqlite: []string{
			`CREATE TABLE studies (
				study_id INTEGER PRIMARY KEY AUTOINCREMENT,
				study_name TEXT NOT NULL UNIQUE,
				direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),
				next_trial_number INTEGER NOT NULL DEFAULT 0
			)`,
			`CREATE TABLE study_user_attrs (
				study_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (study_id, attr_key)
			) WITHOUT ROWID`,
			`CREATE TABLE study_system_attrs (
				study_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (study_id, attr_key)
			) WITHOUT ROWID`,
			`CREATE TABLE trials (
				trial_id INTEGER PRIMARY KEY AUTOINCREMENT,
				study_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
				number INTEGER NOT NULL,
				state TEXT NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')),
				value REAL,
				datetime_start INTEGER,
				datetime_complete INTEGER,
				UNIQUE (study_id, number)
			)`,
			`CREATE TABLE trial_params (
				trial_id INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				param_name TEXT NOT NULL,
				internal_value REAL,
				distribution_json TEXT NOT NULL,
				PRIMARY KEY (trial_id, param_name)
			) WITHOUT ROWID`,
			`CREATE TABLE trial_intermediate_values (
				trial_id INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				step INTEGER NOT NULL,
				value REAL,
				PRIMARY KEY (trial_id, step)
			) WITHOUT ROWID`,
			`CREATE TABLE trial_user_attrs (
				trial_id INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (trial_id, attr_key)
			) WITHOUT ROWID`,
			`CREATE TABLE trial_system_attrs (
				trial_id INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (trial_id, attr_key)
			) WITHOUT ROWID`,
		},
		postgres: []string{
			`CREATE TABLE studies (
				study_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
				study_name TEXT NOT NULL UNIQUE,
				direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),
				next_trial_number BIGINT NOT NULL DEFAULT 0
			)`,
			`CREATE TABLE study_user_attrs (
				study_id BIGINT NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (study_id, attr_key)
			)`,
			`CREATE TABLE study_system_attrs (
				study_id BIGINT NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (study_id, attr_key)
			)`,
			`CREATE TABLE trials (
				trial_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
				study_id BIGINT NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
				number BIGINT NOT NULL,
				state TEXT NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')),
				value DOUBLE PRECISION,
				datetime_start BIGINT,
				datetime_complete BIGINT,
				UNIQUE (study_id, number)
			)`,
			`CREATE TABLE trial_params (
				trial_id BIGINT NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				param_name TEXT NOT NULL,
				internal_value DOUBLE PRECISION,
				distribution_json TEXT NOT NULL,
				PRIMARY KEY (trial_id, param_name)
			)`,
			`CREATE TABLE trial_intermediate_values (
				trial_id BIGINT NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				step BIGINT NOT NULL,
				value DOUBLE PRECISION,
				PRIMARY KEY (trial_id, step)
			)`,
			`CREATE TABLE trial_user_attrs (
				trial_id BIGINT NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (trial_id, attr_key)
			)`,
			`CREATE TABLE trial_system_attrs (
				trial_id BIGINT NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
				attr_key TEXT NOT NULL,
				attr_value TEXT NOT NULL,
				PRIMARY KEY (trial_id, attr_key)
			)`,
		},
	},
}

// migrate brings the schema up to the latest version in one transaction. On
// PostgreSQL an advisory lock serialises concurrent openers; on SQLite the
// BEGIN IMMEDIATE write lock does.
func (s *Storage) migrate(ctx context.Context) error {
	if !s.pg {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: migrate %s: begin: %w", s.desc, err)
	}
	defer func() { _ = tx.Rollback() }()
	if s.pg {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrationLockKey)); err != nil {
			return fmt.Errorf("storage: migrate %s: advisory lock: %w", s.desc, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("storage: migrate %s: create schema_version: %w", s.desc, err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("storage: migrate %s: read schema_version: %w", s.desc, err)
	}
	if current > len(migrations) {
		return fmt.Errorf("storage: %s has schema version %d but this build of attune only knows versions up to %d: upgrade attune",
			s.desc, current, len(migrations))
	}
	if current == len(migrations) {
		return nil
	}
	for v := current + 1; v <= len(migrations); v++ {
		stmts := migrations[v-1].sqlite
		if s.pg {
			stmts = migrations[v-1].postgres
		}
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("storage: migrate %s to version %d: %w", s.desc, v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`),
			v, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("storage: migrate %s: record version %d: %w", s.desc, v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: migrate %s: commit: %w", s.desc, err)
	}
	return nil
}

// rebind turns ? placeholders into PostgreSQL's $1, $2, ... The queries in
// this package contain no '?' inside string literals.
func (s *Storage) rebind(q string) string {
	if !s.pg {
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
