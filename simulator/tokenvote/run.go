package tokenvote

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// Stream identifiers: each kind of randomness has its own PCG stream so the
// draws of one never shift those of another, whatever the parameters.
const (
	streamEvents   = 0x5eed
	streamAttacks  = 0xa77ac
	streamVoteBit  = 1 << 40 // proposal k votes on stream streamVoteBit+k
	streamAttkBit  = 1 << 41 // attack sample m votes on stream streamAttkBit+m
	streamPresence = 0x9e5e  // when each voter is active in a replication
)

// tally is the honest vote on one proposal.
type tally struct {
	forV, against, abstain float64 // power
	addresses              float64 // addresses that voted
	// ballots, when set, receives each vote cast (see recorder).
	ballots *[]ballot
}

// ballot is one agent's vote on a proposal.
type ballot struct {
	voter   int
	support history.Support
}

// recorder collects, when Run is asked to, each submitted honest proposal
// and its ballots, for History.
type recorder struct {
	ballots []ballot // the proposal being voted
	props   []recorded
}

// recorded is one submitted honest proposal of a replication.
type recorded struct {
	k                int     // index among the generated proposals
	day              float64 // submission, days from the start
	author           int
	tally            tally
	passed, extended bool
	ballots          []ballot
}

// Run simulates horizon_days of governance under p. It reports every
// outcome in Outcomes. The error is non-nil only for bad parameters or a
// cancelled context.
func (in *Instance) Run(ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
	return in.run(ctx, p, seed, nil)
}

// run is Run, recording the honest proposals into rec when it is not nil.
func (in *Instance) run(ctx context.Context, p simulator.Params, seed uint64, rec *recorder) (metrics.Values, error) {
	p, err := simulator.Complete(params, p)
	if err != nil {
		return nil, fmt.Errorf("tokenvote: %w", err)
	}
	o := in.opt
	S := in.supply
	q, th := p[Quorum], p[ProposalThreshold]
	period, diff, reward := p[VotingPeriodDays], p[VoteDifferential], p[ParticipationReward]
	attn := in.attentionDays(period) // days voters have to notice a proposal
	settings := governor.Settings{Quorum: q, VoteDifferential: diff, SupportRequired: p[SupportRequired], Base: in.base}

	// Per-voter log of the daily chance of not noticing a proposal; for
	// an observed electorate, the probit of the chance of voting in the
	// period.
	lv := make([]float64, len(in.power))
	// late[v] is the share of voter v's notices that fall in an objection
	// phase, when only Against may be cast.
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
				// Of those who notice in the period, the share who do so
				// only in the objection phase.
				late[v] = 1 - -math.Expm1(forDays(attn, in.rules)*lv[v])/full
			}
			lv[v] = probit(full)
		}
	}
	cast := make([]float64, len(in.power))
	var voted []bool
	if in.mobilisation > 0 {
		voted = make([]bool, len(in.power))
	}
	seen := make([]int, in.top10) // proposals each of the ten largest voted on
	var turnouts []float64
	var forShare, abstainShare float64
	var sided, passedSided int
	var extended int // proposals whose quorum a campaign reached late

	ev := rand.New(rand.NewPCG(seed, streamEvents))
	sal := func(r *rand.Rand) float64 {
		z := r.NormFloat64()
		if in.observed {
			return z // the proposal's common factor
		}
		return in.salience(z)
	}
	var (
		generated, submitted, passed, quorumFail int
		good, goodBlocked, right                 int
		turnout, turnoutCount, addrVotes         float64
	)
	var off []float64
	if in.presence != nil {
		pr := rand.New(rand.NewPCG(seed, streamPresence))
		off = make([]float64, len(in.presence))
		for v := range off {
			off[v] = pr.Float64()
		}
	}
	rate := in.lambda
	for t, k := ev.ExpFloat64()/rate, 0; t < o.horizonDays; t, k = t+ev.ExpFloat64()/rate, k+1 {
		if k%8 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		// Every draw for proposal k is made whether or not it is used.
		isGood := ev.Float64() < in.goodShare
		author := pick(in.authorCum, ev.Float64())
		uSponsor := ev.Float64()
		s := sal(ev)
		generated++
		if isGood {
			good++
		}
		sponsorP := o.sponsorBad
		if isGood {
			sponsorP = o.sponsorGood
		}
		ok := in.power[author] >= th*S || (uSponsor < sponsorP && in.maxDelegatePower >= th*S)
		if !ok {
			if isGood {
				goodBlocked++
			} else {
				right++
			}
			continue
		}
		submitted++
		var ballots *[]ballot
		if rec != nil {
			rec.ballots = rec.ballots[:0]
			ballots = &rec.ballots
		}
		tl := in.vote(seed, streamVoteBit+uint64(k), s, isGood, attn, lv, late, cast, seen, t/o.horizonDays, off, voted, ballots)
		late := in.mobilise(seed, streamVoteBit+uint64(k), isGood, &tl, settings, voted, cast, seen, t/o.horizonDays, off)
		if late {
			extended++ // a quorum reached late extends the vote
		}
		d := in.rules.Decide(governor.Tally{For: tl.forV, Against: tl.against, Abstain: tl.abstain}, settings)
		if rec != nil {
			tl.ballots = nil
			rec.props = append(rec.props, recorded{k: k, day: t, author: author, tally: tl,
				passed: d.Passed, extended: late, ballots: slices.Clone(rec.ballots)})
		}
		if !d.QuorumReached {
			quorumFail++
		}
		pass := d.Passed
		if pass {
			passed++
		}
		if pass == isGood {
			right++
		}
		turnout += metrics.Turnout(tl.forV+tl.against+tl.abstain, S)
		turnouts = append(turnouts, metrics.Turnout(tl.forV+tl.against+tl.abstain, S))
		if tl.forV+tl.against > 0 {
			abstainShare += tl.abstain / (tl.forV + tl.against + tl.abstain)
			sided++
			if pass {
				forShare += tl.forV / (tl.forV + tl.against)
				passedSided++
			}
		}
		turnoutCount += metrics.Turnout(tl.addresses, float64(in.holders))
		addrVotes += tl.addresses
	}

	// The coalition's bad proposals, sampled apart from the honest ones.
	at := rand.New(rand.NewPCG(seed, streamAttacks))
	adv := in.adv
	var captured int
	var costSum float64
	samples := o.attackSamples
	if in.noAttacks {
		samples = 0
	}
	for m := range samples {
		s := sal(at)
		tl := in.vote(seed, streamAttkBit+uint64(m), s, false, attn, lv, late, nil, nil, at.Float64(), off, nil, nil)
		need := in.captureNeed(tl, settings, th*S)
		costSum += need
		if adv >= need {
			captured++
		}
	}

	months := o.horizonDays / 30
	p10, p50, p90 := metrics.TurnoutQuantiles(turnouts)
	var regular float64
	for _, c := range seen {
		regular += ratio(float64(c), float64(submitted))
	}
	out := metrics.Values{
		metrics.TurnoutP10:         p10,
		metrics.TurnoutP50:         p50,
		metrics.TurnoutP90:         p90,
		metrics.TopVoterRegularity: ratio(regular, float64(len(seen))),
		metrics.ForShare:           ratio(forShare, float64(passedSided)),
		metrics.AbstainShare:       ratio(abstainShare, float64(sided)),
		DecisionQuality:            ratio(float64(right), float64(generated)),
		Turnout:                    ratio(turnout, float64(submitted)),
		TurnoutCount:               ratio(turnoutCount, float64(submitted)),
		PassRate:                   metrics.PassRate(passed, submitted),
		AttackSuccessRate:          ratio(float64(captured), float64(max(samples, 1))),
		CaptureCost:                costSum / float64(max(samples, 1)),
		CaptureCostShare:           costSum / float64(max(samples, 1)) / S,
		TimeToDecisionDays:         o.votingDelay + period + in.rules.LateQuorumExtensionDays*ratio(float64(extended), float64(submitted)),
		RewardSpendPerMonth:        reward * addrVotes / months,
		RewardSpendUSD:             reward * addrVotes / months * in.price,
		NakamotoCast:               float64(metrics.Nakamoto(cast)),
		GiniCast:                   metrics.Gini(cast),
		QuorumFailureRate:          ratio(float64(quorumFail), float64(submitted)),
		GoodBlockedRate:            ratio(float64(goodBlocked), float64(good)),
		ProposalsPerMonth:          float64(submitted) / months,
		HoldingsGini:               in.holdGini,
		HoldingsTop10Share:         in.holdTop10,
	}
	return out, nil
}

// vote runs the honest electorate on one proposal of salience s and quality
// isGood, on its own random stream. When cast is non-nil it adds each
// voter's cast power to it.
//
// With presence fractions, voter v is active over a share presence[v] of
// the horizon, starting at off[v] (a fraction of it, wrapping round), and
// votes only on proposals at a time tau (fraction of the horizon) when it
// is active.
//
// When voted is non-nil, it is cleared and marks who voted.
func (in *Instance) vote(seed, stream uint64, s float64, isGood bool, period float64, lv, late, cast []float64, seen []int, tau float64, off []float64, voted []bool, ballots *[]ballot) tally {
	var src rand.PCG
	src.Seed(seed, stream)
	clear(voted)
	ps := period * s
	rho := in.rho
	shift, scale := rho*s, 1/math.Sqrt(1-rho*rho)
	// With an objection phase (Lido), only Against may be cast in the last
	// ObjectionPhaseDays of the period. A voter's notice uniform, given
	// that it noticed, stands for when in the period it did: in the last
	// share late of the period it may only object.
	// Without per-voter shares (a synthetic population), notices are taken
	// as spread evenly over the period.
	even := 0.0
	if op := in.rules.ObjectionPhaseDays; op > 0 && period > 0 && late == nil {
		even = min(op/period, 1)
	}
	t := tally{ballots: ballots}
	for v, l := range lv {
		x := src.Uint64()
		// Three independent uniforms from one draw: 24 bits to notice,
		// 24 bits to judge, 16 bits to abstain.
		var pv float64
		if in.observed {
			// A Gaussian copula: voter v's chance is its own, p = Φ(l),
			// over proposals, and voters turn up together as much as the
			// correlation rho says.
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
			continue // noticed in the objection phase, and would not object
		}
		in.cast(v, x, isGood, &t, cast, seen)
		if voted != nil {
			voted[v] = true
		}
	}
	return t
}

// active reports whether voter v is active at time tau (a fraction of
// the horizon) given this replication's offsets.
func (in *Instance) active(v int, tau float64, off []float64) bool {
	if off == nil {
		return true
	}
	f := in.presence[v]
	d := tau - off[v]
	return f >= 1 || d-math.Floor(d) < f
}

// objects reports whether voter v's vote, with the 64-bit draw x, is
// Against (as cast would record it).
func (in *Instance) objects(v int, x uint64, isGood bool) bool {
	o := in.opt
	acc := o.accHolder
	if in.isDelegate[v] {
		acc = o.accDelegate
	}
	return x&0xffff >= uint64(o.abstain*(1<<16)) && ((x>>16)&0xffffff < uint64(acc*(1<<24))) != isGood
}

// cast adds voter v's vote to t: with the 64-bit draw x, 24 bits (from
// bit 16) judge the proposal rightly or not, 16 bits make it an
// abstention.
func (in *Instance) cast(v int, x uint64, isGood bool, t *tally, cast []float64, seen []int) {
	o := in.opt
	acc := o.accHolder
	if in.isDelegate[v] {
		acc = o.accDelegate
	}
	w := in.power[v]
	support := history.Against
	switch {
	case x&0xffff < uint64(o.abstain*(1<<16)):
		t.abstain += w
		support = history.Abstain
	case ((x>>16)&0xffffff < uint64(acc*(1<<24))) == isGood:
		t.forV += w
		support = history.For
	default:
		t.against += w
	}
	if t.ballots != nil {
		*t.ballots = append(*t.ballots, ballot{voter: v, support: support})
	}
	t.addresses += in.addrWeight[v]
	if cast != nil {
		cast[v] += w
	}
	if seen != nil {
		if r := in.rank[v]; r >= 0 {
			seen[r]++
		}
	}
}

// streamMobiliseBit marks the random stream of a proposal's campaign for
// quorum: proposal k's is streamVoteBit + k with this bit set.
const streamMobiliseBit = 1 << 42

// mobilise models a campaign for quorum: when For is winning a proposal
// that falls short of quorum, its backers ask the largest voters who have
// not voted, in order of power, and each active one votes (judging as
// usual) with the chance mobilisation, until the quorum is reached or the
// voters run out. Its draws come from the proposal's own stream, so they
// never shift other draws.
//
// It reports whether the campaign reached the quorum: a quorum reached
// late, which a governor with a late-quorum extension (OpenZeppelin
// GovernorPreventLateQuorum) answers by extending the vote.
func (in *Instance) mobilise(seed, stream uint64, isGood bool, t *tally, s governor.Settings, voted []bool, cast []float64, seen []int, tau float64, off []float64) bool {
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
		in.cast(v, x, isGood, t, cast, seen)
		if reached() {
			return true
		}
	}
	return false
}

// captureNeed is the voting power a coalition needs, voting For alone,
// to pass a bad proposal against the honest tally t: enough for the
// proposal to be submitted (threshold tokens), to reach quorum and to win
// the support and differential tests. It is found by bisection on the
// rules' own Decide, so every governor's counting is honoured.
func (in *Instance) captureNeed(t tally, s governor.Settings, threshold float64) float64 {
	honest := governor.Tally{For: t.forV, Against: t.against, Abstain: t.abstain}
	passes := func(x float64) bool {
		h := honest
		h.For += x
		return in.rules.Decide(h, s).Passed
	}
	lo, hi := 0.0, in.supply
	if passes(lo) {
		return max(threshold, 0)
	}
	if !passes(hi) {
		return max(threshold, 2*in.supply) // cannot pass with the whole supply
	}
	for range 50 {
		mid := (lo + hi) / 2
		if passes(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return max(threshold, hi)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// salience turns a standard normal draw z into a proposal's salience for a
// synthetic population: log-normal with mean 1, the factor on the days
// voters have to notice it.
func (in *Instance) salience(z float64) float64 {
	sd := in.opt.salienceSD
	return math.Exp(sd*z - sd*sd/2)
}

// probit is the standard normal quantile of p, kept finite.
func probit(p float64) float64 {
	p = min(max(p, 1e-12), 1-1e-12)
	return -math.Sqrt2 * math.Erfcinv(2*p)
}
