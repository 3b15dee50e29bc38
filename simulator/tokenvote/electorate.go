package tokenvote

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// newInstance starts an Instance for obs with the model's options and
// rules and the quorum base the rules call for.
func (m *Model) newInstance(obs metrics.Observation, supply float64) *Instance {
	in := &Instance{opt: m.opt, rules: m.rules, supply: supply, base: supply}
	if v, ok := obs.Get(metrics.VotableSupply); ok && v > 0 && m.rules.QuorumBase == governor.VotableSupply {
		in.base = v
	}
	return in
}

// setAdversary sizes the coalition: adversary_share of supply, or, when it
// is negative (the default), the power of the largest voter, so that the
// attack scenario scales with the DAO's own data.
func (in *Instance) setAdversary() {
	if in.opt.adversaryShare >= 0 {
		in.adv = in.opt.adversaryShare * in.supply
		return
	}
	for _, p := range in.power {
		in.adv = max(in.adv, p)
	}
}

// largeVoterShare is the share of an observed electorate, by rank of
// power, taken as delegates: they judge with accuracy_delegate, write most
// proposals and may sponsor others'.
const largeVoterShare = 0.1

// calibrateElectorate fits the model to an observed electorate.
func (m *Model) calibrateElectorate(ctx context.Context, obs metrics.Observation, cur simulator.Params, seed uint64) (simulator.Instance, simulator.Fit, error) {
	supply, ok := obs.Get(metrics.TotalSupply)
	if !ok || supply <= 0 {
		return nil, simulator.Fit{}, fmt.Errorf("tokenvote: the observation of %s has no total_supply: %w", obs.Source, metrics.ErrInvalid)
	}
	n, ok := obs.Get(metrics.Proposals)
	if !ok || n < 1 {
		return nil, simulator.Fit{}, fmt.Errorf("tokenvote: the observation of %s counts no decided proposal: %w", obs.Source, metrics.ErrInvalid)
	}
	in := m.newInstance(obs, supply)
	target := in.buildElectorate(obs.Electorate)
	in.holders = len(obs.Electorate)
	if h, ok := obs.Get(metrics.Holders); ok && int(h) > in.holders {
		in.holders = int(h)
	}
	in.setAdversary()
	in.observed = true

	rate := n / obs.Window.Days()
	reps := int(math.Ceil(1000 / math.Max(rate*in.opt.horizonDays, 1)))
	reps = max(8, min(64, reps))
	runs := func(good float64) ([]metrics.Values, error) {
		in.goodShare = good
		in.lambda = rate / in.submitProb(cur[ProposalThreshold])
		out := make([]metrics.Values, reps)
		for r := range reps {
			v, err := in.Run(ctx, cur, simulator.SeedFor(seed^calibrationSalt, r))
			if err != nil {
				return nil, err
			}
			out[r] = v
		}
		return out, nil
	}
	// The spread of turnout across proposals fixes the salience spread:
	// with none, voters turn up independently; with more, proposals draw
	// the regular voters together or not at all.
	salience := in.opt.salienceSD
	spread := func(v metrics.Values) float64 {
		return (v[metrics.TurnoutP90] - v[metrics.TurnoutP10]) / math.Max(v[metrics.TurnoutPower], 1e-12)
	}
	obsVals := obs.Values()
	_, hasSpread := obsVals[metrics.TurnoutP90]
	const salienceMax = 2.5
	if hasSpread {
		want := spread(obsVals)
		var err error
		salience, err = solveIncreasing(func(sd float64) (float64, error) {
			in.opt.salienceSD = sd
			in.fitHazards(target, cur[VotingPeriodDays])
			rs, err := runs(1)
			if err != nil {
				return 0, err
			}
			return spread(metrics.MeanValues(rs)), nil
		}, want, 0, salienceMax, 1e-3, 30)
		if err != nil {
			return nil, simulator.Fit{}, err
		}
	}
	in.opt.salienceSD = salience
	in.fitHazards(target, cur[VotingPeriodDays])
	good, err := solveIncreasing(func(good float64) (float64, error) {
		rs, err := runs(good)
		if err != nil {
			return 0, err
		}
		return metrics.MeanValues(rs)[PassRate], nil
	}, obs.PassRate(), 0, 1, 1e-3, 14)
	if err != nil {
		return nil, simulator.Fit{}, err
	}
	in.goodShare = good
	in.lambda = rate / in.submitProb(cur[ProposalThreshold])

	fit, err := in.fit(ctx, obs, cur, seed, reps)
	if err != nil {
		return nil, simulator.Fit{}, err
	}
	fit.Targets = []string{metrics.PassRateName, metrics.ProposalsPerMonth, metrics.TurnoutPower,
		metrics.TurnoutP10, metrics.TurnoutP50, metrics.TurnoutP90}
	for _, k := range []string{metrics.QuorumFailureRate, metrics.TopVoterRegularity} {
		if _, ok := obsVals[k]; ok {
			fit.Targets = append(fit.Targets, k)
		}
	}
	delete(fit.Latent, "attention_intercept")
	delete(fit.Latent, "attention_slope")
	fit.Latent["salience_sd"] = salience
	fit.Latent["adversary_share"] = in.adv / in.supply
	fit.Latent["large_voters"] = float64(countTrue(in.isDelegate))
	fit.Bounds = map[string][2]float64{"good_share": {0, 1}}
	if hasSpread {
		fit.Bounds["salience_sd"] = [2]float64{0, salienceMax}
	}
	fit.CheckBounds()
	return in, fit, nil
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// buildElectorate lays out the observed voters (largest first) as the
// simulated voters and returns each one's target chance of voting on a
// proposal, (votes + ½) / (eligible + 1), which keeps a voter seen on every
// proposal, or none, off the certainties 1 and 0. Beyond max_agents the
// smallest voters are merged, a few of similar size into one agent that
// stands for them all.
func (in *Instance) buildElectorate(el []metrics.Voter) []float64 {
	vs := slices.Clone(el)
	slices.SortStableFunc(vs, func(a, b metrics.Voter) int {
		switch {
		case a.Power > b.Power:
			return -1
		case a.Power < b.Power:
			return 1
		}
		return 0
	})
	keep := len(vs)
	group := 1
	if len(vs) > in.opt.maxAgents {
		keep = in.opt.maxAgents / 2
		group = int(math.Ceil(float64(len(vs)-keep) / float64(in.opt.maxAgents-keep)))
	}
	var target []float64
	for i := 0; i < len(vs); {
		j := i + 1
		if i >= keep {
			j = min(i+group, len(vs))
		}
		var power, wp, cnt float64
		for _, v := range vs[i:j] {
			p := (float64(v.Votes) + 0.5) / (float64(v.Eligible) + 1)
			power += v.Power
			wp += p * math.Max(v.Power, 1e-12)
			cnt++
		}
		in.power = append(in.power, power)
		in.addrWeight = append(in.addrWeight, cnt)
		target = append(target, wp/math.Max(power, cnt*1e-12))
		i = j
	}
	large := max(1, int(math.Ceil(largeVoterShare*float64(len(in.power)))))
	in.isDelegate = make([]bool, len(in.power))
	in.authorCum = make([]float64, len(in.power))
	for v := range in.power {
		w := target[v] * in.addrWeight[v]
		if v < large {
			in.isDelegate[v] = true
			in.maxDelegatePower = max(in.maxDelegatePower, in.power[v])
			w *= 20
		}
		in.authorCum[v] = w
	}
	in.authorCum = cumsum(in.authorCum)
	in.z = make([]float64, len(in.power))
	in.engage = make([]float64, len(in.power))
	in.rankTop10()
	in.holdGini = metrics.Gini(in.power)
	in.holdTop10 = metrics.TopKShare(in.power, 10) * sum(in.power) / in.supply
	return target
}

// fitHazards sets each voter's attention logit so that its chance of
// voting in a period of the given days, averaged over salience, equals its
// target.
func (in *Instance) fitHazards(target []float64, period float64) {
	sd := in.opt.salienceSD
	sal := make([]float64, len(salienceNodes))
	for i, x := range salienceNodes {
		sal[i] = period * math.Exp(sd*x-sd*sd/2)
	}
	for v, p := range target {
		lo, hi := -30.0, 30.0
		for range 60 {
			mid := (lo + hi) / 2
			h := 1 / (1 + math.Exp(-mid))
			lv := math.Log1p(-min(h, 1-1e-12))
			var e float64
			for _, s := range sal {
				e -= math.Expm1(s * lv)
			}
			if e/float64(len(sal)) < p {
				lo = mid
			} else {
				hi = mid
			}
		}
		in.engage[v] = (lo + hi) / 2
	}
}
