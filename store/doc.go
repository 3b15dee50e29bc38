// Package store keeps attune's durable state: cycles and the state each is
// in, their recommendation and proposal documents, the stewards' review
// decisions, what each sink published, and an append-only, hash-chained
// audit log of every change. The loop and the server build on it; it
// imports neither.
//
// # Implementations
//
// Store is the interface the rest of attune uses. Open returns its one SQL
// implementation for a DSN (internal/sqldb opens it, as it opens the
// optimizer's studies):
//
//	sqlite:PATH, or PATH ending .db/.sqlite/.sqlite3   SQLite (default; WAL, busy timeout, BEGIN IMMEDIATE)
//	postgres://user@host:5432/db                       PostgreSQL (pgx)
//
// The two dialects differ only in their schema types, row locks (SELECT
// ... FOR UPDATE on PostgreSQL; SQLite's write transactions are already
// exclusive) and how Lock excludes other processes. Opening migrates the
// schema (versions in order, in one transaction, recorded in
// schema_migrations); a database written by a newer attune is refused.
//
// # Cycles
//
// A cycle moves through
//
//	fetching → calibrating → optimizing → drafting → pending_review → approved → published
//	                                                                 ↘ rejected
//
// and may fail from any state that is not terminal (published, rejected
// and failed are terminal). Every move is checked by Allowed, in one
// place; an illegal one is a *TransitionError naming both states. A
// cycle's key is its DAO, config hash and inputs hash: at most one cycle
// per key is pending (in a state that is not terminal), so an unchanged
// history with a proposal still pending creates no duplicate (Pending
// finds it; CreateCycle and Advance refuse a second with ErrDuplicate).
//
// # The audit log
//
// Every change (a cycle created or advanced, a review, a publication)
// appends one Entry in the same transaction as the change. Entries are
// numbered 1, 2, 3, ... (Seq) and each carries the hash of the one before
// (PrevHash; 64 zeros for the first), so that editing, inserting or
// deleting an entry breaks the chain; a head row holds the last entry's
// number and hash, so that deleting the newest entries shows too. Hash is
// the lowercase hex SHA-256 of the canonical encoding of the entry: the
// fields
//
//	"attune.audit/v1", Seq (decimal), Time (Unix nanoseconds, decimal),
//	Actor, Action, Subject, Detail (the JSON bytes as stored), PrevHash
//
// each written as its length in bytes (8 bytes, big-endian) followed by
// its bytes. Verify walks the chain and reports the first entry that was
// edited, inserted or deleted. Triggers refuse UPDATE and DELETE on the
// log; the chain catches whoever drops them. Whoever can rewrite the whole
// chain and its head can forge it: keep Verification.Head somewhere else
// (attune audit verify prints it) and compare.
//
// # Locks
//
// Lock(dao) lets one process at a time run a DAO's cycle: a PostgreSQL
// advisory lock (pg_try_advisory_lock on a hash of the DAO's name, held by
// a connection of its own), or on SQLite an flock on a file beside the
// database (internal/filelock). Both are released by the kernel or the
// server when the process dies.
package store
