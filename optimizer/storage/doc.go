// Package storage is attune's durable study storage: an implementation of
// goptuna's Storage interface (github.com/c-bata/goptuna v0.9.0) on top of
// database/sql, for SQLite files (pure-Go driver modernc.org/sqlite) and for
// PostgreSQL (pgx's database/sql driver).
//
// Use Open with a DSN:
//
//	sqlite:/var/lib/attune/studies.db    SQLite file (WAL journal)
//	studies.db, studies.sqlite           a bare path ending .db/.sqlite/.sqlite3
//	postgres://user@host:5432/db         PostgreSQL (postgresql:// works too)
//
// and pass the result to goptuna with goptuna.StudyOptionStorage.
//
// # Semantics
//
// The behaviour follows goptuna's InMemoryStorage, with these deliberate
// differences, all of which matter once several processes share a study:
//
//   - Studies are real rows: unknown study IDs give goptuna.ErrInvalidStudyID
//     everywhere (InMemoryStorage accepts any ID in some methods), names are
//     unique (CreateNewStudy returns ErrDuplicateStudyName) and
//     GetStudyIDFromName returns ErrStudyNotFound for unknown names, which is
//     what goptuna.CreateStudy with StudyOptionLoadIfExists relies on.
//   - SetTrialState(id, goptuna.TrialStateRunning) succeeds only for a trial
//     that is waiting (enqueued); for a trial that is already running it
//     returns goptuna.ErrTrialCannotBeUpdated. goptuna's Study pops enqueued
//     trials this way and skips ErrTrialCannotBeUpdated, so two processes can
//     never both run the same enqueued trial.
//   - Returned FrozenTrials and maps are deep copies; callers may modify them.
//   - Parameter values that cannot be converted to their external
//     representation (for example a categorical index out of range) are
//     rejected with an error instead of panicking.
//
// The four goptuna sentinel errors (ErrInvalidStudyID, ErrInvalidTrialID,
// ErrTrialCannotBeUpdated, ErrNoCompletedTrials) are returned unwrapped,
// because goptuna compares them with ==. All other errors are wrapped with
// %w and can be inspected with errors.Is / errors.As.
//
// # Schema
//
// Migrations are recorded in a schema_version table and applied in one
// transaction when a database is opened (under a PostgreSQL advisory lock, or
// SQLite's write lock), so several processes may open the same database at
// once. Times are stored as Unix nanoseconds, distributions as goptuna's own
// JSON format (goptuna.DistributionToJSON), and NaN objective values as NULL
// on SQLite (which cannot store NaN).
//
// # Caching
//
// Finished trials are immutable, so every Storage keeps an in-process cache
// of the finished trials it has seen and GetAllTrials fetches from the
// database only the trials that are new or were unfinished the last time it
// looked. Trial numbers are allocated under a per-study lock and committed in
// order, so "every number below N has been seen" is a sound watermark even
// when other processes write to the same study. See GetAllTrials.
//
// # Durability
//
// SQLite runs in WAL mode with synchronous=NORMAL by default: a committed
// write survives a crash of the process, and the database always stays
// consistent, but the last transactions before a power failure may be lost.
// Append "?synchronous=full" to the DSN to fsync every commit (about 0.3 ms
// per write on typical SSDs, several writes per trial).
package storage
