package loop

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"syscall"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/internal/sqldb"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/objectives"
	"github.com/attune-dao/attune/optimizer"
	"github.com/attune-dao/attune/simulator"
	"github.com/attune-dao/attune/store"
)

// Kind says whether work that failed may succeed if tried again
// unchanged.
type Kind int

const (
	// Terminal: trying again unchanged fails again (a bad config or bad
	// data, a poor fit, a bug); a cycle fails with the message and
	// changes nothing.
	Terminal Kind = iota + 1
	// Transient: the failure may pass (the network, a rate limit, a busy
	// database, another process running the DAO's cycle); retry with
	// backoff.
	Transient
)

func (k Kind) String() string {
	switch k {
	case Terminal:
		return "terminal"
	case Transient:
		return "transient"
	}
	return "unknown"
}

// Cause names what an error is about, for exit codes, retries and the
// errors metric.
type Cause string

// The causes Classify tells apart.
const (
	CauseConfig    Cause = "config"     // config.ErrInvalid, objectives, search space or model parameters, a sink or secret missing
	CauseData      Cause = "data"       // metrics.ErrInvalid, history.ErrInvalid
	CausePoorFit   Cause = "poor_fit"   // ErrPoorFit
	CauseInput     Cause = "input"      // a path that is missing, unreadable, a directory or not one
	CauseRequest   Cause = "request"    // what was asked cannot be done: an unknown cycle, an illegal move, publishing no change
	CauseCanceled  Cause = "canceled"   // the caller cancelled (a signal, a shutdown)
	CauseNetwork   Cause = "network"    // a network failure, a timeout, an HTTP 5xx marked retryable
	CauseRateLimit Cause = "rate_limit" // an HTTP 429
	CauseDatabase  Cause = "database"   // SQLite busy, a PostgreSQL serialization failure or lost connection
	CauseLocked    Cause = "locked"     // another process runs the DAO's cycle (store.ErrLocked)
	CauseInternal  Cause = "internal"   // anything else: an I/O failure, a bug
)

// Class is an error's classification.
type Class struct {
	Kind  Kind
	Cause Cause
}

// Classify is the one place attune decides what an error means for
// whoever runs the work again: the exit code of a command (attune help
// exit-codes) and whether attune serve retries a cycle. The checks run
// in order: a cancellation; a problem with the config, the data or the
// fit, or a request the store refused, which no retry mends; then what
// says it may pass (adapters.IsTransient, which covers httpx's retryable
// errors, a network timeout or a refused or reset connection, a context
// deadline, a busy or serialization-failing database, the DAO's lock
// held elsewhere); then a missing or unreadable path. Anything else is
// terminal and internal. Classify(nil) is the zero Class.
func Classify(err error) Class {
	var ne net.Error
	var he *httpx.Error
	switch {
	case err == nil:
		return Class{}
	case errors.Is(err, context.Canceled):
		return Class{Terminal, CauseCanceled}
	case errors.Is(err, ErrPoorFit):
		return Class{Terminal, CausePoorFit}
	case errors.Is(err, config.ErrInvalid),
		errors.Is(err, ErrNoSink),
		errors.Is(err, adapters.ErrNoSecret),
		errors.Is(err, objectives.ErrInvalid),
		errors.Is(err, optimizer.ErrInvalid),
		errors.Is(err, simulator.ErrInvalidParams),
		errors.Is(err, sqldb.ErrInvalidDSN):
		return Class{Terminal, CauseConfig}
	case errors.Is(err, metrics.ErrInvalid), errors.Is(err, history.ErrInvalid):
		return Class{Terminal, CauseData}
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrIllegal), errors.Is(err, store.ErrNoChange),
		errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrDuplicate),
		errors.Is(err, ErrNoChange):
		return Class{Terminal, CauseRequest}
	case errors.Is(err, store.ErrLocked):
		return Class{Transient, CauseLocked}
	case errors.As(err, &he) && he.Status == 429:
		return Class{Transient, CauseRateLimit}
	case sqldb.IsTransient(err):
		return Class{Transient, CauseDatabase}
	case adapters.IsTransient(err),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout(),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return Class{Transient, CauseNetwork}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission),
		errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR):
		return Class{Terminal, CauseInput}
	}
	return Class{Terminal, CauseInternal}
}
