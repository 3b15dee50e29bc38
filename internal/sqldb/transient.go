package sqldb

import (
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsTransient reports whether err is a database failure that the same
// work may get past if tried again unchanged: SQLite busy or locked
// (another process held the write lock beyond the busy timeout), a
// PostgreSQL serialization failure, deadlock, lock timeout, a server
// starting up, shutting down or out of connections, or a connection
// lost or refused before the query was sent.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		// Extended codes (SQLITE_BUSY_SNAPSHOT, ...) keep the primary
		// code in their low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pgTransient(pe.Code)
	}
	if errors.Is(err, driver.ErrBadConn) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

// pgTransient reports whether a PostgreSQL SQLSTATE is worth a retry
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func pgTransient(code string) bool {
	switch code {
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"55P03", // lock_not_available
		"57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now
		"53300": // too_many_connections
		return true
	}
	// Class 08: connection exceptions.
	return strings.HasPrefix(code, "08")
}
