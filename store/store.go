package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Store is attune's durable state: cycles, their documents, reviews,
// publications and the audit log. Every method that changes something
// appends its audit entry in the same transaction. Implementations are
// safe for concurrent use, and several processes may share one database.
type Store interface {
	// CreateCycle records a new cycle in state fetching. With an inputs
	// hash, a pending cycle of the same key is refused (ErrDuplicate).
	CreateCycle(ctx context.Context, c NewCycle) (Cycle, error)
	// Advance moves a cycle to another state (Allowed says which),
	// recording what ch sets. Approved and rejected are reached by
	// Review instead; failed needs ch.Error; pending_review needs both
	// documents.
	Advance(ctx context.Context, id int64, to State, ch Change) (Cycle, error)
	// Review records a steward's decision on a cycle pending review and
	// moves it to r.Verdict (approved or rejected).
	Review(ctx context.Context, id int64, r Review) (Cycle, error)
	// RecordPublication records what a sink published for an approved
	// cycle; a second publication by the same sink is refused
	// (ErrDuplicate). The caller advances the cycle to published once
	// every sink has published.
	RecordPublication(ctx context.Context, id int64, p Publication) (Publication, error)
	// Cycle returns one cycle whole: documents, review and publications.
	Cycle(ctx context.Context, id int64) (Cycle, error)
	// Cycles lists the cycles f selects, newest first, without their
	// documents and publications.
	Cycles(ctx context.Context, f Filter) ([]Cycle, error)
	// Audit lists audit entries in order.
	Audit(ctx context.Context, f AuditFilter) ([]Entry, error)
	// Verify walks the audit log's hash chain and reports the first entry
	// edited, inserted or deleted.
	Verify(ctx context.Context) (Verification, error)
	// Mark records in the audit log that a process took up a cycle in
	// flight again (Resumed) or set it down to be resumed (Stopped), so
	// that the next holder can tell a cycle whose runs keep dying from
	// one stopped on purpose (Runs). The cycle must be in flight
	// (ErrIllegal otherwise); its row does not change.
	Mark(ctx context.Context, id int64, m Mark) error
	// Lock lets one holder at a time run a DAO's cycle: it returns the
	// function that releases the lock, or an error wrapping ErrLocked at
	// once when another holder (a process, or another Lock in this one)
	// has it. A holder that dies releases it.
	Lock(ctx context.Context, dao string) (release func() error, err error)
	// Close releases the database.
	Close() error
}

// Errors the store returns, wrapped with what, where and what to do;
// test them with errors.Is.
var (
	// ErrNotFound: no cycle has the ID.
	ErrNotFound = errors.New("not found")
	// ErrIllegal: the cycle's state does not allow the change
	// (*TransitionError for a move between states).
	ErrIllegal = errors.New("not allowed in the cycle's state")
	// ErrDuplicate: a pending cycle of the same key exists, or the sink
	// already published the cycle.
	ErrDuplicate = errors.New("duplicate")
	// ErrInvalid: an argument is malformed (an empty DAO or actor, a
	// control character in a comment, a document of the wrong kind or
	// shape).
	ErrInvalid = errors.New("invalid")
	// ErrLocked: another holder runs the DAO's cycle.
	ErrLocked = errors.New("locked")
	// ErrTampered: the audit log's chain is broken (Verification.Err).
	ErrTampered = errors.New("audit log tampered with")
	// ErrNoChange: a proposal that changes nothing cannot be approved
	// (Approvable); it is closed by rejection.
	ErrNoChange = errors.New("recommends no change")
)

// Approvable reports why cycle c's proposal cannot be approved although
// its state allows it: the recommendation changes nothing, so there is
// nothing to enact or publish. It returns nil for a proposal of change,
// and for a cycle the store refuses to review for its state. Review
// enforces it; the desk asks it to offer approval only where it can be
// given.
func Approvable(c Cycle) error {
	return approvable(c.ID, c.State, c.Proposal != nil, c.Change)
}

func approvable(id int64, state State, hasProposal, change bool) error {
	if state != PendingReview || !hasProposal || change {
		return nil
	}
	return fmt.Errorf("cycle %d %w: every parameter stays as it is, so there is nothing to approve or publish; reject it, saying why, to close its review", id, ErrNoChange)
}

// Key identifies what a cycle decides from: at most one cycle of a key is
// pending at a time.
type Key struct {
	DAO        string
	ConfigHash string
	InputsHash string
}

// NewCycle is what a cycle starts with.
type NewCycle struct {
	// Actor names who starts it ("attune run", "serve@host"): every
	// change records one.
	Actor string
	DAO   string
	// ConfigHash identifies the effective config; InputsHash the data the
	// cycle read, "" until it has read it (set it with Advance).
	ConfigHash string
	InputsHash string
	// Dir is where the cycle writes its files, if anywhere.
	Dir string
}

// Change is what Advance records besides the new state; empty fields
// change nothing.
type Change struct {
	// Actor names who makes the change; required.
	Actor string
	// InputsHash, once set, cannot be changed.
	InputsHash string
	Dir        string
	// Recommendation is an attune.recommendation/v1 document (a cycle's
	// recommendation.json) and Proposal an attune.proposal/v1 document
	// (its proposal.json); each must be of its kind and decode strictly
	// into its Go type (no unknown fields).
	Recommendation json.RawMessage
	Proposal       json.RawMessage
	// Error is why the cycle failed; required when moving to failed
	// (messages beyond 8 KiB are clipped).
	Error string
}

// Cycle is one cycle as stored.
type Cycle struct {
	ID         int64
	DAO        string
	ConfigHash string
	InputsHash string
	Dir        string
	State      State
	// Error is why the cycle failed.
	Error   string
	Created time.Time
	Updated time.Time
	// Title and Change are read from the proposal document ("" and false
	// before there is one).
	Title  string
	Change bool
	// Recommendation and Proposal are the stored documents (nil before
	// they exist, and in Cycles' lists); DecodeRecommendation and
	// DecodeProposal read them.
	Recommendation json.RawMessage
	Proposal       json.RawMessage
	// Review is the steward's decision, nil before one.
	Review *Review
	// Publications are what the sinks published (Cycle only).
	Publications []Publication
}

// Key returns the cycle's key.
func (c Cycle) Key() Key {
	return Key{DAO: c.DAO, ConfigHash: c.ConfigHash, InputsHash: c.InputsHash}
}

// Review is a steward's decision on a proposal.
type Review struct {
	// Verdict is Approved or Rejected.
	Verdict State
	// Reviewer names the steward; Comment says why (both required).
	Reviewer string
	Comment  string
	// Time is when it was recorded (set by the store).
	Time time.Time
}

// Publication is what one sink published for a cycle.
type Publication struct {
	// Actor names who published (required when recording; not stored
	// outside the audit log).
	Actor string
	// Sink is the sink's name in the config.
	Sink string
	// Receipt is the sink's receipt as a JSON object (adapters.Receipt:
	// id, url, files).
	Receipt json.RawMessage
	// Time is when it was recorded (set by the store).
	Time time.Time
}

// Mark is a process taking up or setting down a cycle in flight.
type Mark struct {
	// Actor names the process ("serve@host"); required.
	Actor string
	// Event is Resumed or Stopped.
	Event MarkEvent
}

// MarkEvent is what a Mark records.
type MarkEvent string

// The events a Mark records: each is an audit action.
const (
	// Resumed: a process took the cycle up again, where a stopped one
	// left it.
	Resumed MarkEvent = ActionResume
	// Stopped: the process running the cycle stopped on purpose (a
	// shutdown), leaving it to be resumed.
	Stopped MarkEvent = ActionStop
)

// Runs reads a cycle's audit entries (Audit with its CycleSubject, in
// order): how many times a process ran it (its start and each resume)
// and how many of those runs ended without finishing and without a
// Stopped mark, as a crash or a kill ends them. The last run counts as
// ended: call it when no process runs the cycle (holding the DAO's lock).
func Runs(es []Entry) (runs, died int) {
	open := false
	for _, e := range es {
		switch e.Action {
		case ActionCreate, ActionResume:
			if open {
				died++
			}
			runs++
			open = true
		case ActionStop:
			open = false
		}
	}
	if open {
		died++
	}
	return runs, died
}

// Filter selects cycles; zero fields select everything.
type Filter struct {
	DAO        string
	ConfigHash string
	InputsHash string
	// States, when not empty, selects cycles in one of them.
	States []State
	// WithProposal selects cycles that have a proposal document.
	WithProposal bool
	// Before, when positive, selects cycles with a smaller ID (paging).
	Before int64
	// Limit, when positive, bounds the number returned.
	Limit int
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	// Subject, when set, selects the entries about one thing
	// (CycleSubject(id)).
	Subject string
	// After selects entries with a greater Seq.
	After int64
	// Limit, when positive, bounds the number returned.
	Limit int
}

// CycleSubject is the audit subject of cycle id: "cycle/<id>".
func CycleSubject(id int64) string { return fmt.Sprintf("cycle/%d", id) }

// Pending returns the pending cycle of key (one not in a terminal state:
// in flight, awaiting review, or approved and not yet published), if
// there is one. A cycle that finds one need not run: its proposal would
// duplicate the pending one.
func Pending(ctx context.Context, s Store, k Key) (Cycle, bool, error) {
	if k.DAO == "" || k.ConfigHash == "" || k.InputsHash == "" {
		return Cycle{}, false, fmt.Errorf("pending cycle: %w: the key needs a DAO, a config hash and an inputs hash", ErrInvalid)
	}
	cs, err := s.Cycles(ctx, Filter{DAO: k.DAO, ConfigHash: k.ConfigHash, InputsHash: k.InputsHash, States: PendingStates(), Limit: 1})
	if err != nil || len(cs) == 0 {
		return Cycle{}, false, err
	}
	return cs[0], true, nil
}
