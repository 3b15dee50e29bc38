// Package service is attune's control loop left running (attune serve):
// for each DAO it runs cycles on the config's schedule and on demand, one
// at a time, and records each cycle's progress in the store, where the
// review desk and the CLI read it.
//
// # Reconciling
//
// A DAO is reconciled when the service starts, on each tick of its
// schedule, and on demand (RunNow). A reconcile holds the DAO's lock in
// the store (store.Store.Lock: a file lock beside a SQLite database, a
// PostgreSQL advisory lock), so that another replica of the service or an
// attune run of the same DAO never overlaps it, and decides from the
// current state, not from what happened before:
//
//  1. A cycle left in flight (fetching, calibrating, optimizing or
//     drafting) by a process that stopped is resumed: the cycle runs again
//     from fetching on the same row, marked resumed in the store. It fails
//     instead, with a message, when the config changed meanwhile, or when
//     its processes died (no clean stop marked) more than MaxResumes
//     times, and then the schedule does not run the same config and data
//     again; when the data changed, it fails as superseded and a new cycle
//     decides from the new data. Holding the lock proves that no live
//     process owns such a cycle.
//  2. Otherwise the data are read, and a cycle is recorded and run only
//     when no cycle of the same config and data was already decided or
//     is awaiting a decision (pending review, approved, published or
//     rejected): an unchanged history creates no duplicate, and a
//     proposal the stewards rejected is not drafted again until the data
//     or the config change.
//  3. Cycles the stewards approved are published to the config's sinks,
//     each sink once, and move to published when every sink has.
//
// A cycle's states (fetching, calibrating, optimizing, drafting,
// pending_review) are recorded as loop reaches them (loop.StageFunc); the
// cycle runs through loop's own code path, as attune run does, and writes
// its directory under the config's out before its documents are attached
// for review.
//
// Reload swaps the DAOs the service runs while it runs (attune serve's
// SIGHUP): new and changed DAOs are reconciled at once and follow their
// schedules, removed ones stop being scheduled, and no cycle in flight
// is stopped. Options.Workers bounds the reconciles running at once
// across DAOs.
//
// # Errors
//
// loop.Classify sorts every error: a transient one (the network, a rate
// limit, a busy database) is retried with exponential backoff and full
// jitter, on the same row; a terminal one (a bad config or bad data, a
// poor calibration fit) fails the cycle with its message and changes
// nothing else. A cancelled context (SIGTERM) leaves the cycle in its
// state, to be resumed by the next reconcile.
package service
