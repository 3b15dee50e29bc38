package tokenvote

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/simulator"
)

var _ simulator.Historian = (*Instance)(nil)

// History simulates one replication under p with the randomness of seed,
// as Run does, and writes its honest proposals as a governance history
// starting at start (see simulator.Historian).
//
// It is Run, recording: for the same p and seed it submits the same
// proposals with the same tallies, so metrics.FromHistory over the result,
// under the instance's governor rules, gives back Run's pass rate, mean
// turnout, turnout percentiles and quorum-failure rate. Each submitted
// proposal k (the k-th generated, counting those blocked by the
// threshold) becomes proposal "k", created t days after start, its vote
// starting voting_delay_days later and ending voting_period_days after
// that, plus the late-quorum extension when a campaign reached its quorum
// late; it is executed if it passed, else defeated. Each agent that voted
// casts one vote, as voter "agent-<index>" (agents in the instance's
// order: for an observed electorate, largest first) with its whole power,
// and the proposal's voter count is the number of those votes, so the
// history validates; an agent that stands for several addresses counts
// once. The coalition's attack samples are not part of the history, and
// it has no holders snapshot.
func (in *Instance) History(ctx context.Context, p simulator.Params, seed uint64, start time.Time) (*history.History, error) {
	p, err := simulator.Complete(params, p)
	if err != nil {
		return nil, fmt.Errorf("tokenvote: %w", err)
	}
	rec := &recorder{}
	if _, err := in.run(ctx, p, seed, rec); err != nil {
		return nil, err
	}
	o := in.opt
	S := in.supply
	h := &history.History{
		DAO:        "synthetic " + Name,
		Source:     fmt.Sprintf("%s simulation, seed %d", Name, seed),
		Governor:   in.rules.Family,
		Token:      history.Token{Symbol: "SIM", Price: in.price},
		Provenance: []string{fmt.Sprintf("simulated by %s: %g days from %s on seed %d", Name, o.horizonDays, start.UTC().Format(time.RFC3339), seed)},
		Supply:     []history.SupplyPoint{{Time: start, Total: S}},
	}
	if in.rules.QuorumBase == governor.VotableSupply && in.base > 0 && in.base <= S {
		h.Supply[0].Votable = in.base
	}
	for _, name := range []string{Quorum, ProposalThreshold, VotingPeriodDays, SupportRequired, VoteDifferential} {
		h.Params = append(h.Params, history.ParamChange{Time: start, Name: name, Value: p[name], Event: "initial"})
	}
	day := func(d float64) time.Duration { return time.Duration(math.Round(d * float64(24*time.Hour))) }
	for _, r := range rec.props {
		id := strconv.Itoa(r.k)
		created := start.Add(day(r.day))
		begin := created.Add(day(o.votingDelay))
		length := p[VotingPeriodDays]
		if r.extended {
			length += in.rules.LateQuorumExtensionDays
		}
		state := history.Defeated
		if r.passed {
			state = history.Executed
		}
		h.Proposals = append(h.Proposals, history.Proposal{
			ID: id, Proposer: agentName(r.author), Created: created, Start: begin, End: begin.Add(day(length)),
			For: r.tally.forV, Against: r.tally.against, Abstain: r.tally.abstain, Voters: len(r.ballots), State: state,
		})
		for _, b := range r.ballots {
			h.Votes = append(h.Votes, history.Vote{Proposal: id, Voter: agentName(b.voter), Support: b.support, Weight: in.power[b.voter]})
		}
	}
	return h, nil
}

// agentName is the voter name of agent v in a synthetic history.
func agentName(v int) string { return "agent-" + strconv.Itoa(v) }
