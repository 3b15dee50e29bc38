package store

import (
	"errors"
	"strings"
	"testing"
)

// The machine allows exactly these moves: forward one step, review
// verdicts from pending_review, published from approved, and failed from
// every state that is not terminal.
func TestAllowedIsTheMachine(t *testing.T) {
	legal := map[[2]State]bool{
		{Fetching, Calibrating}: true, {Calibrating, Optimizing}: true, {Optimizing, Drafting}: true,
		{Drafting, PendingReview}: true, {PendingReview, Approved}: true, {PendingReview, Rejected}: true,
		{Approved, Published}: true,
		{Fetching, Failed}:    true, {Calibrating, Failed}: true, {Optimizing, Failed}: true, {Drafting, Failed}: true,
		{PendingReview, Failed}: true, {Approved, Failed}: true,
	}
	for _, from := range States {
		for _, to := range States {
			err := Allowed(from, to)
			if legal[[2]State{from, to}] {
				if err != nil {
					t.Errorf("%s -> %s refused: %v", from, to, err)
				}
				continue
			}
			var te *TransitionError
			if err == nil || !errors.As(err, &te) || !errors.Is(err, ErrIllegal) {
				t.Errorf("%s -> %s: %v; want a *TransitionError wrapping ErrIllegal", from, to, err)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, "from "+string(from)+" to "+string(to)) {
				t.Errorf("%s -> %s: %q does not name both states", from, to, msg)
			}
		}
	}
	if err := Allowed("paused", Failed); err == nil || !strings.Contains(err.Error(), `"paused" is not a state`) {
		t.Errorf("unknown from-state: %v", err)
	}
	if err := Allowed(Fetching, "done"); err == nil || !strings.Contains(err.Error(), `"done" is not a state`) {
		t.Errorf("unknown to-state: %v", err)
	}
}

func TestTransitionErrorSaysWhatIsAllowed(t *testing.T) {
	for _, c := range []struct {
		err  TransitionError
		want string
	}{
		{TransitionError{Cycle: 7, From: Drafting, To: Approved}, "cycle 7: cannot go from drafting to approved (from drafting a cycle goes to pending_review, failed)"},
		{TransitionError{From: Published, To: Failed}, "cannot go from published to failed (published is final)"},
		{TransitionError{From: PendingReview, To: Published}, "(from pending_review a cycle goes to approved, rejected, failed)"},
	} {
		if got := c.err.Error(); !strings.Contains(got, c.want) {
			t.Errorf("%q lacks %q", got, c.want)
		}
	}
}

func TestTerminalAndPending(t *testing.T) {
	var pending []string
	for _, s := range PendingStates() {
		pending = append(pending, string(s))
	}
	if got := strings.Join(pending, ","); got != "fetching,calibrating,optimizing,drafting,pending_review,approved" {
		t.Errorf("PendingStates = %s", got)
	}
	// The SQL list and the unique index's list are the same states.
	if pendingIn != "('fetching', 'calibrating', 'optimizing', 'drafting', 'pending_review', 'approved')" {
		t.Errorf("pendingIn = %s", pendingIn)
	}
	if !strings.Contains(migrations[0].SQLite[1], pendingIn[1:len(pendingIn)-1]) || !strings.Contains(migrations[0].Postgres[1], pendingIn[1:len(pendingIn)-1]) {
		t.Error("the cycles_one_pending index does not cover exactly the pending states")
	}
}
