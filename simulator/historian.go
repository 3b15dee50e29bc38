package simulator

import (
	"context"
	"fmt"
	"time"

	"github.com/attune-dao/attune/history"
)

// Historian is implemented by an Instance that can write the proposals
// (and votes) one replication simulates as a governance history, so that
// backtests and calibration can be checked on data whose generating model
// is known.
type Historian interface {
	// History simulates one replication under p with the randomness of
	// seed, as Run does, and returns it as a history whose first
	// simulated day begins at start: each proposal submitted, with its
	// tally, its state by the governor's rules and one vote per agent
	// that voted; the supply; and p as the initial parameters. For the
	// same p and seed, the history holds the proposals Run counts, so
	// the metrics metrics.FromHistory computes from it agree with the
	// outcomes of the same names Run reports. p is checked and completed
	// as Run does it.
	History(ctx context.Context, p Params, seed uint64, start time.Time) (*history.History, error)
}

// Synthetic writes n replications of in under p as one history: the k-th
// (from 0) on seed SeedFor(base, k), starting at start + k·every, so that
// consecutive replications of every days each make a window of a longer
// history. Proposal ids are prefixed with the replication ("3-17"); supply,
// parameters and the other fields are the first replication's. It returns
// an error wrapping ErrInvalidParams when in is not a Historian.
func Synthetic(ctx context.Context, in Instance, p Params, base uint64, start time.Time, every time.Duration, n int) (*history.History, error) {
	hs, ok := in.(Historian)
	if !ok {
		return nil, fmt.Errorf("simulator: %T cannot write a history: %w", in, ErrInvalidParams)
	}
	if n < 1 {
		return nil, fmt.Errorf("simulator: %d replications; want at least 1: %w", n, ErrInvalidParams)
	}
	var out *history.History
	for k := range n {
		h, err := hs.History(ctx, p, SeedFor(base, k), start.Add(time.Duration(k)*every))
		if err != nil {
			return nil, fmt.Errorf("simulator: replication %d: %w", k, err)
		}
		prefix := fmt.Sprintf("%d-", k)
		for i := range h.Proposals {
			h.Proposals[i].ID = prefix + h.Proposals[i].ID
		}
		for i := range h.Votes {
			h.Votes[i].Proposal = prefix + h.Votes[i].Proposal
		}
		if out == nil {
			out = h
			out.Source = fmt.Sprintf("%d simulated replications from seed %d", n, base)
			out.Provenance = append(out.Provenance, fmt.Sprintf("%d replications on seeds SeedFor(%d, k), one every %s", n, base, every))
			continue
		}
		out.Proposals = append(out.Proposals, h.Proposals...)
		out.Votes = append(out.Votes, h.Votes...)
	}
	return out, nil
}
