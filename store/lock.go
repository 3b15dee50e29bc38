package store

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/attune-dao/attune/internal/filelock"
)

// lockKey is the 64-bit key of a DAO's lock: the first 8 bytes of the
// SHA-256 of "attune.dao-lock/" and its name.
func lockKey(dao string) [8]byte {
	sum := sha256.Sum256([]byte("attune.dao-lock/" + dao))
	return [8]byte(sum[:8])
}

// LockPath is the file whose flock is DAO dao's lock on the SQLite
// database at dbPath: beside it, named by the lock key.
func LockPath(dbPath, dao string) string {
	k := lockKey(dao)
	return dbPath + ".lock-" + hex.EncodeToString(k[:])
}

// Lock takes DAO dao's lock if no one holds it.
func (s *SQL) Lock(ctx context.Context, dao string) (func() error, error) {
	if err := checkName("DAO", dao); err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	if s.db.Postgres {
		return s.advisoryLock(ctx, dao)
	}
	path := LockPath(s.db.Path, dao)
	unlock, err := filelock.TryLock(path)
	if errors.Is(err, filelock.ErrLocked) {
		return nil, fmt.Errorf("store: lock DAO %q: %w: another attune process is running its cycle (it holds %s); try again when it is done", dao, ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: lock DAO %q: %w", dao, err)
	}
	var once sync.Once
	return func() error { once.Do(unlock); return nil }, nil
}

// advisoryLock takes a PostgreSQL session-level advisory lock on a
// connection of its own, which holds it until released. The server drops
// the lock when the session ends, so a process that dies releases it.
func (s *SQL) advisoryLock(ctx context.Context, dao string) (func() error, error) {
	k := lockKey(dao)
	key := int64(binary.BigEndian.Uint64(k[:]))
	conn, err := s.db.SQL.Conn(ctx)
	if err != nil {
		return nil, s.dbErr(fmt.Sprintf("lock DAO %q", dao), err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		_ = conn.Close()
		return nil, s.dbErr(fmt.Sprintf("lock DAO %q", dao), err)
	}
	if !ok {
		_ = conn.Close()
		return nil, fmt.Errorf("store: lock DAO %q: %w: another attune process is running its cycle (it holds PostgreSQL advisory lock %d on %s); try again when it is done",
			dao, ErrLocked, key, s.db.Desc)
	}
	var once sync.Once
	var rerr error
	return func() error {
		once.Do(func() {
			var unlocked bool
			err := conn.QueryRowContext(context.Background(), `SELECT pg_advisory_unlock($1)`, key).Scan(&unlocked)
			if err != nil || !unlocked {
				// End the session instead, which drops its locks.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				if err == nil {
					err = errors.New("the session no longer held the lock")
				}
				rerr = s.dbErr(fmt.Sprintf("unlock DAO %q", dao), err)
			}
			_ = conn.Close()
		})
		return rerr
	}, nil
}
