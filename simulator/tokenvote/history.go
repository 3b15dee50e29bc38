package tokenvote

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/simulator"
)

var _ simulator.Historian = (*Instance)(nil)

// ballot is one agent's vote on a proposal.
type ballot struct {
	voter   int
	support history.Support
}

// History simulates one replication under p with the randomness of seed,
// as Run does, and writes its honest proposals as a governance history
// starting at start (see simulator.Historian).
//
// It mirrors Run's loop over honest proposals: the same streams, drawn in
// the same order, so that for the same p and seed it submits the same
// proposals with the same tallies; metrics.FromHistory over the result,
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
	o := in.opt
	S := in.supply
	q, th := p[Quorum], p[ProposalThreshold]
	period, diff, reward := p[VotingPeriodDays], p[VoteDifferential], p[ParticipationReward]
	attn := in.attentionDays(period)
	settings := governor.Settings{Quorum: q, VoteDifferential: diff, SupportRequired: p[SupportRequired], Base: in.base}

	// As in Run.
	lv := make([]float64, len(in.power))
	var late []float64
	if in.rules.ObjectionPhaseDays > 0 {
		late = make([]float64, len(in.power))
	}
	for v := range lv {
		h := 1 / (1 + math.Exp(-in.hazardLogit(v, reward)))
		lv[v] = math.Log1p(-min(h, 1-1e-12))
		if in.observed {
			full := -math.Expm1(attn * lv[v])
			if late != nil {
				late[v] = 1 - -math.Expm1(forDays(attn, in.rules)*lv[v])/full
			}
			lv[v] = probit(full)
		}
	}
	voted := make([]bool, len(in.power))
	var off []float64
	if in.presence != nil {
		pr := rand.New(rand.NewPCG(seed, streamPresence))
		off = make([]float64, len(in.presence))
		for v := range off {
			off[v] = pr.Float64()
		}
	}
	ev := rand.New(rand.NewPCG(seed, streamEvents))
	sal := func(r *rand.Rand) float64 {
		z := r.NormFloat64()
		if in.observed {
			return z
		}
		return in.salience(z)
	}

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

	var ballots []ballot
	rate := in.lambda
	for t, k := ev.ExpFloat64()/rate, 0; t < o.horizonDays; t, k = t+ev.ExpFloat64()/rate, k+1 {
		if k%8 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		// The draws for proposal k, in Run's order.
		isGood := ev.Float64() < in.goodShare
		author := pick(in.authorCum, ev.Float64())
		uSponsor := ev.Float64()
		s := sal(ev)
		sponsorP := o.sponsorBad
		if isGood {
			sponsorP = o.sponsorGood
		}
		if !(in.power[author] >= th*S || (uSponsor < sponsorP && in.maxDelegatePower >= th*S)) {
			continue
		}
		stream := streamVoteBit + uint64(k)
		tau := t / o.horizonDays
		ballots = ballots[:0]
		tl := in.voteBallots(seed, stream, s, isGood, attn, lv, late, tau, off, voted, &ballots)
		extended := in.mobiliseBallots(seed, stream, isGood, &tl, settings, voted, tau, off, &ballots)
		d := in.rules.Decide(governor.Tally{For: tl.forV, Against: tl.against, Abstain: tl.abstain}, settings)

		id := strconv.Itoa(k)
		created := start.Add(day(t))
		begin := created.Add(day(o.votingDelay))
		length := period
		if extended {
			length += in.rules.LateQuorumExtensionDays
		}
		state := history.Defeated
		if d.Passed {
			state = history.Executed
		}
		h.Proposals = append(h.Proposals, history.Proposal{
			ID: id, Proposer: agentName(author), Created: created, Start: begin, End: begin.Add(day(length)),
			For: tl.forV, Against: tl.against, Abstain: tl.abstain, Voters: len(ballots), State: state,
		})
		for _, b := range ballots {
			h.Votes = append(h.Votes, history.Vote{Proposal: id, Voter: agentName(b.voter), Support: b.support, Weight: in.power[b.voter]})
		}
	}
	return h, nil
}

// agentName is the voter name of agent v in a synthetic history.
func agentName(v int) string { return "agent-" + strconv.Itoa(v) }

// support is the choice cast records for voter v's vote with the 64-bit
// draw x.
func (in *Instance) support(v int, x uint64, isGood bool) history.Support {
	o := in.opt
	acc := o.accHolder
	if in.isDelegate[v] {
		acc = o.accDelegate
	}
	switch {
	case x&0xffff < uint64(o.abstain*(1<<16)):
		return history.Abstain
	case ((x>>16)&0xffffff < uint64(acc*(1<<24))) == isGood:
		return history.For
	}
	return history.Against
}

// voteBallots is vote, for one proposal of the history: the same draws
// and the same tally, with each vote appended to ballots. voted is
// cleared and marks who voted.
func (in *Instance) voteBallots(seed, stream uint64, s float64, isGood bool, period float64, lv, late []float64, tau float64, off []float64, voted []bool, ballots *[]ballot) tally {
	var src rand.PCG
	src.Seed(seed, stream)
	clear(voted)
	ps := period * s
	rho := in.rho
	shift, scale := rho*s, 1/math.Sqrt(1-rho*rho)
	even := 0.0
	if op := in.rules.ObjectionPhaseDays; op > 0 && period > 0 && late == nil {
		even = min(op/period, 1)
	}
	var t tally
	for v, l := range lv {
		x := src.Uint64()
		var pv float64
		if in.observed {
			pv = 0.5 * math.Erfc(-(l+shift)*scale/math.Sqrt2)
		} else {
			pv = -math.Expm1(ps * l)
		}
		if float64(x>>40) >= pv*(1<<24) {
			continue
		}
		if !in.active(v, tau, off) {
			continue
		}
		share := even
		if late != nil {
			share = late[v]
		}
		if share > 0 && float64(x>>40) >= (1-share)*pv*(1<<24) && !in.objects(v, x, isGood) {
			continue
		}
		in.cast(v, x, isGood, &t, nil, nil)
		voted[v] = true
		*ballots = append(*ballots, ballot{voter: v, support: in.support(v, x, isGood)})
	}
	return t
}

// mobiliseBallots is mobilise, for one proposal of the history: the same
// campaign on the same stream, with each vote it brings appended to
// ballots. It reports whether the campaign reached the quorum.
func (in *Instance) mobiliseBallots(seed, stream uint64, isGood bool, t *tally, s governor.Settings, voted []bool, tau float64, off []float64, ballots *[]ballot) bool {
	reached := func() bool {
		return in.rules.Decide(governor.Tally{For: t.forV, Against: t.against, Abstain: t.abstain}, s).QuorumReached
	}
	if in.mobilisation <= 0 || t.forV <= t.against || reached() {
		return false
	}
	var src rand.PCG
	src.Seed(seed, stream|streamMobiliseBit)
	m := uint64(in.mobilisation * (1 << 24))
	for _, v := range in.byPower {
		if voted[v] {
			continue
		}
		x := src.Uint64()
		if x>>40 >= m || !in.active(v, tau, off) {
			continue
		}
		in.cast(v, x, isGood, t, nil, nil)
		*ballots = append(*ballots, ballot{voter: v, support: in.support(v, x, isGood)})
		if reached() {
			return true
		}
	}
	return false
}
