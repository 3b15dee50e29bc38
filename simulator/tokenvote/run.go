package tokenvote

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// Stream identifiers: each kind of randomness has its own PCG stream so the
// draws of one never shift those of another, whatever the parameters.
const (
	streamEvents  = 0x5eed
	streamAttacks = 0xa77ac
	streamVoteBit = 1 << 40 // proposal k votes on stream streamVoteBit+k
	streamAttkBit = 1 << 41 // attack sample m votes on stream streamAttkBit+m
)

// tally is the honest vote on one proposal.
type tally struct {
	forV, against, abstain float64 // power
	addresses              float64 // addresses that voted
}

// Run simulates horizon_days of governance under p. It reports every
// outcome in Outcomes. The error is non-nil only for bad parameters or a
// cancelled context.
func (in *Instance) Run(ctx context.Context, p simulator.Params, seed uint64) (metrics.Values, error) {
	p, err := simulator.Complete(params, p)
	if err != nil {
		return nil, fmt.Errorf("tokenvote: %w", err)
	}
	o := in.opt
	S := in.supply
	q, th := p[Quorum], p[ProposalThreshold]
	period, diff, reward := p[VotingPeriodDays], p[VoteDifferential], p[ParticipationReward]
	settings := governor.Settings{Quorum: q, VoteDifferential: diff, SupportRequired: p[SupportRequired], Base: in.base}

	// Per-voter log of the daily chance of not noticing a proposal.
	lv := make([]float64, len(in.power))
	for v := range lv {
		h := 1 / (1 + math.Exp(-in.hazardLogit(v, reward)))
		lv[v] = math.Log1p(-min(h, 1-1e-12))
	}
	cast := make([]float64, len(in.power))
	seen := make([]int, in.top10) // proposals each of the ten largest voted on
	var turnouts []float64

	ev := rand.New(rand.NewPCG(seed, streamEvents))
	sal := func(r *rand.Rand) float64 {
		return math.Exp(o.salienceSD*r.NormFloat64() - o.salienceSD*o.salienceSD/2)
	}
	var (
		generated, submitted, passed, quorumFail int
		good, goodBlocked, right                 int
		turnout, turnoutCount, addrVotes         float64
	)
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
		tl := in.vote(seed, streamVoteBit+uint64(k), s, isGood, period, lv, cast, seen)
		d := in.rules.Decide(governor.Tally{For: tl.forV, Against: tl.against, Abstain: tl.abstain}, settings)
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
		turnoutCount += metrics.Turnout(tl.addresses, float64(in.holders))
		addrVotes += tl.addresses
	}

	// The coalition's bad proposals, sampled apart from the honest ones.
	at := rand.New(rand.NewPCG(seed, streamAttacks))
	adv := in.adv
	var captured int
	var costSum float64
	for m := range o.attackSamples {
		s := sal(at)
		tl := in.vote(seed, streamAttkBit+uint64(m), s, false, period, lv, nil, nil)
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
		DecisionQuality:            ratio(float64(right), float64(generated)),
		Turnout:                    ratio(turnout, float64(submitted)),
		TurnoutCount:               ratio(turnoutCount, float64(submitted)),
		PassRate:                   metrics.PassRate(passed, submitted),
		AttackSuccessRate:          ratio(float64(captured), float64(o.attackSamples)),
		CaptureCost:                costSum / float64(o.attackSamples),
		CaptureCostShare:           costSum / float64(o.attackSamples) / S,
		TimeToDecisionDays:         o.votingDelay + period + in.rules.ObjectionPhaseDays,
		RewardSpendPerMonth:        reward * addrVotes / months,
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
func (in *Instance) vote(seed, stream uint64, s float64, isGood bool, period float64, lv, cast []float64, seen []int) tally {
	var src rand.PCG
	src.Seed(seed, stream)
	o := in.opt
	abst := uint64(o.abstain * (1 << 16))
	accH := uint64(o.accHolder * (1 << 24))
	accD := uint64(o.accDelegate * (1 << 24))
	ps := period * s
	var t tally
	for v, l := range lv {
		x := src.Uint64()
		// Three independent uniforms from one draw: 24 bits to notice,
		// 24 bits to judge, 16 bits to abstain.
		pv := -math.Expm1(ps * l)
		if float64(x>>40) >= pv*(1<<24) {
			continue
		}
		acc := accH
		if in.isDelegate[v] {
			acc = accD
		}
		w := in.power[v]
		switch {
		case x&0xffff < abst:
			t.abstain += w
		case ((x>>16)&0xffffff < acc) == isGood:
			t.forV += w
		default:
			t.against += w
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
	return t
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
