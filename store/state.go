package store

import (
	"fmt"
	"strings"
)

// State is where a cycle is in its life.
type State string

// The states of a cycle, in the order a cycle goes through them.
const (
	Fetching      State = "fetching"       // reading the sources
	Calibrating   State = "calibrating"    // fitting the model to the data
	Optimizing    State = "optimizing"     // searching the parameters
	Drafting      State = "drafting"       // writing the proposal
	PendingReview State = "pending_review" // waiting for a steward
	Approved      State = "approved"       // a steward approved; to be published
	Rejected      State = "rejected"       // a steward rejected (terminal)
	Published     State = "published"      // every sink published (terminal)
	Failed        State = "failed"         // stopped with an error (terminal)
)

// States lists every state in order.
var States = []State{Fetching, Calibrating, Optimizing, Drafting, PendingReview, Approved, Rejected, Published, Failed}

// next holds the moves out of each state other than to Failed.
var next = map[State][]State{
	Fetching:      {Calibrating},
	Calibrating:   {Optimizing},
	Optimizing:    {Drafting},
	Drafting:      {PendingReview},
	PendingReview: {Approved, Rejected},
	Approved:      {Published},
}

// Valid reports whether s is one of the states.
func (s State) Valid() bool {
	for _, x := range States {
		if s == x {
			return true
		}
	}
	return false
}

// Terminal reports whether a cycle in s is done: published, rejected or
// failed. A cycle that is not done is pending.
func (s State) Terminal() bool {
	return s == Published || s == Rejected || s == Failed
}

// InFlight reports whether a cycle in s is being computed: fetching,
// calibrating, optimizing or drafting. One found in flight by the holder
// of its DAO's lock was left by a process that stopped.
func (s State) InFlight() bool {
	return s == Fetching || s == Calibrating || s == Optimizing || s == Drafting
}

// InFlightStates lists the states in which a cycle is being computed
// (State.InFlight).
func InFlightStates() []State {
	var out []State
	for _, s := range States {
		if s.InFlight() {
			out = append(out, s)
		}
	}
	return out
}

// PendingStates lists the states that are not terminal: a cycle in one
// of them is in flight, awaiting review, or approved and not yet
// published. A process that restarts resumes or fails the cycles in
// these states.
func PendingStates() []State {
	var out []State
	for _, s := range States {
		if !s.Terminal() {
			out = append(out, s)
		}
	}
	return out
}

// Allowed returns nil if a cycle may move from one state to the other,
// and otherwise a *TransitionError naming both. It is the one place the
// state machine is written down.
func Allowed(from, to State) error {
	if !from.Valid() || !to.Valid() {
		return &TransitionError{From: from, To: to}
	}
	if to == Failed && !from.Terminal() {
		return nil
	}
	for _, s := range next[from] {
		if s == to {
			return nil
		}
	}
	return &TransitionError{From: from, To: to}
}

// TransitionError is an illegal move of a cycle between two states. It
// wraps ErrIllegal.
type TransitionError struct {
	// Cycle is the cycle's ID, 0 when the error is not about one cycle.
	Cycle    int64
	From, To State
}

func (e *TransitionError) Error() string {
	var b strings.Builder
	if e.Cycle != 0 {
		fmt.Fprintf(&b, "cycle %d: ", e.Cycle)
	}
	switch {
	case !e.From.Valid():
		fmt.Fprintf(&b, "%q is not a state", e.From)
	case !e.To.Valid():
		fmt.Fprintf(&b, "%q is not a state (want one of %s)", e.To, joinStates(States))
	default:
		fmt.Fprintf(&b, "cannot go from %s to %s", e.From, e.To)
		allowed := append([]State(nil), next[e.From]...)
		if !e.From.Terminal() {
			allowed = append(allowed, Failed)
		}
		if len(allowed) == 0 {
			fmt.Fprintf(&b, " (%s is final)", e.From)
		} else {
			fmt.Fprintf(&b, " (from %s a cycle goes to %s)", e.From, joinStates(allowed))
		}
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrIllegal) hold.
func (e *TransitionError) Unwrap() error { return ErrIllegal }

func joinStates(ss []State) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}
