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
	in := &Instance{opt: m.opt, rules: m.rules, supply: supply, base: supply, price: m.price}
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

// calibrationRounds is how many times the interacting latents are fitted
// in turn.
const calibrationRounds = 2

// levelMin is the lowest participation level calibration tries.
const levelMin = 0.3

// accuracyMin is the lowest voter accuracy calibration tries: a voter
// right half the time knows nothing.
const accuracyMin = 0.5

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
	in.period0 = cur[VotingPeriodDays]
	// Attacks say nothing about the observed targets: calibration runs
	// without them.
	in.noAttacks = true
	defer func() { in.noAttacks = false }()

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
	in.fitHazards(target, forDays(cur[VotingPeriodDays], in.rules))
	obsVals := obs.Values()
	// Campaigns for quorum add votes the observed frequencies already
	// include, so every voter's chance is scaled by one level, fitted so
	// that mean turnout matches.
	level := 1.0
	scaled := make([]float64, len(target))
	fitLevel := func() error {
		l, err := solveIncreasing(func(l float64) (float64, error) {
			for v, p := range target {
				scaled[v] = min(p*l, 1-1e-9)
			}
			in.fitHazards(scaled, forDays(cur[VotingPeriodDays], in.rules))
			rs, err := runs(in.goodShare)
			if err != nil {
				return 0, err
			}
			return metrics.MeanValues(rs)[Turnout], nil
		}, obsVals[metrics.TurnoutPower], levelMin, 1, 2e-4, 12)
		level = l
		for v, p := range target {
			scaled[v] = min(p*l, 1-1e-9)
		}
		in.fitHazards(scaled, forDays(cur[VotingPeriodDays], in.rules))
		return err
	}
	// Abstentions are taken as observed; they count towards some quorums.
	if a, ok := obsVals[metrics.AbstainShare]; ok {
		in.opt.abstain = min(a, 0.5)
	}
	in.goodShare = 1
	// The shape of turnout across proposals fixes how much voters turn up
	// together: with no correlation they come independently, and the
	// turnout of a DAO with a few large voters swings; with more, they
	// come together or not at all. It is chosen to minimise the largest
	// relative miss on the 10th, 50th and 90th percentiles of turnout.
	quantiles := []string{metrics.TurnoutP10, metrics.TurnoutP50, metrics.TurnoutP90}
	_, hasSpread := obsVals[metrics.TurnoutP90]
	const rhoMax = 0.95
	// Each percentile's miss is weighed against how precisely the data pin
	// it down, so a percentile resting on a few proposals does not pull
	// the fit away from the well-measured ones.
	slack := map[string]float64{}
	for _, q := range quantiles {
		slack[q] = 1
		if u, ok := obs.Uncertainty[q]; ok && u > 0 {
			miss, _ := simulator.MetricError(q, obsVals, obsVals[q]+u)
			slack[q] = max(math.Abs(miss), 1e-3)
		}
	}
	fitRho := func() error {
		if !hasSpread {
			return nil
		}
		rho, err := minimize(func(rho float64) (float64, error) {
			in.rho = rho
			rs, err := runs(in.goodShare)
			if err != nil {
				return 0, err
			}
			sim := metrics.MeanValues(rs)
			worst := 0.0
			for _, q := range quantiles {
				miss, _ := simulator.MetricError(q, obsVals, sim[q])
				worst = max(worst, math.Abs(miss)/slack[q])
			}
			return worst, nil
		}, 0, rhoMax, 0.01)
		in.rho = rho
		return err
	}
	// Campaigns for quorum fix the quorum-failure rate: how readily the
	// large voters who have not voted answer when a proposal For is
	// winning falls short.
	qfr, hasQFR := obsVals[metrics.QuorumFailureRate]
	fitMobilisation := func() error {
		if !hasQFR {
			return nil
		}
		m, err := solveIncreasing(func(m float64) (float64, error) {
			in.mobilisation = m
			rs, err := runs(in.goodShare)
			if err != nil {
				return 0, err
			}
			return -metrics.MeanValues(rs)[QuorumFailureRate], nil
		}, -qfr, 0, 1, 2e-3, 12)
		in.mobilisation = m
		return err
	}
	fitGood := func() (float64, error) {
		return solveIncreasing(func(good float64) (float64, error) {
			rs, err := runs(good)
			if err != nil {
				return 0, err
			}
			return metrics.MeanValues(rs)[PassRate], nil
		}, obs.PassRate(), 0, 1, 1e-3, 12)
	}
	// How one-sided votes are fixes the voters' accuracy: with For-only
	// quorums, every vote judged wrongly on a good proposal is missing
	// from the quorum. The share of good proposals is refitted to the pass
	// rate for each accuracy tried.
	fs, hasFS := obsVals[metrics.ForShare]
	fitJudgement := func() error {
		if hasFS {
			// Passed proposals are mostly good ones, so their For share
			// hardly depends on the share of good proposals: accuracy is
			// fitted first, at the share in force, then the share.
			acc, err := solveIncreasing(func(acc float64) (float64, error) {
				in.opt.accHolder, in.opt.accDelegate = acc, acc
				rs, err := runs(in.goodShare)
				if err != nil {
					return 0, err
				}
				return metrics.MeanValues(rs)[metrics.ForShare], nil
			}, fs, accuracyMin, 1, 1e-3, 12)
			if err != nil {
				return err
			}
			in.opt.accHolder, in.opt.accDelegate = acc, acc
		}
		good, err := fitGood()
		in.goodShare = good
		return err
	}
	// The three interact (campaigns lift the low tail of turnout; the
	// share of good proposals moves quorum failures), so they are fitted
	// in turn, twice.
	for range calibrationRounds {
		for _, step := range []func() error{fitMobilisation, fitLevel, fitJudgement, fitRho} {
			if err := step(); err != nil {
				return nil, simulator.Fit{}, err
			}
		}
	}
	in.lambda = rate / in.submitProb(cur[ProposalThreshold])

	fit, err := in.fit(ctx, obs, cur, seed, reps)
	if err != nil {
		return nil, simulator.Fit{}, err
	}
	fit.Targets = []string{metrics.PassRateName, metrics.ProposalsPerMonth, metrics.TurnoutPower,
		metrics.TurnoutP10, metrics.TurnoutP50, metrics.TurnoutP90}
	for _, k := range []string{metrics.QuorumFailureRate, metrics.TopVoterRegularity, metrics.ForShare} {
		if _, ok := obsVals[k]; ok {
			fit.Targets = append(fit.Targets, k)
		}
	}
	delete(fit.Latent, "attention_intercept")
	delete(fit.Latent, "attention_slope")
	fit.Latent["turnout_correlation"] = in.rho
	fit.Latent["mobilisation"] = in.mobilisation
	fit.Latent["participation_level"] = level
	fit.Latent["adversary_share"] = in.adv / in.supply
	fit.Latent["large_voters"] = float64(countTrue(in.isDelegate))
	fit.Latent["accuracy_holder"] = in.opt.accHolder
	fit.Latent["accuracy_delegate"] = in.opt.accDelegate
	if _, ok := obsVals[metrics.AbstainShare]; ok {
		fit.Latent["abstain_rate"] = in.opt.abstain
	}
	fit.Unused = []string{"delegate_boost", "delegation_skew", "engagement_sd", "inactive_top_holders", "max_agents", "salience_sd"}
	fit.Bounds = map[string][2]float64{"good_share": {0, 1}}
	if _, ok := obsVals[metrics.ForShare]; ok {
		fit.Bounds["accuracy_delegate"] = [2]float64{accuracyMin, 1}
		fit.Bounds["accuracy_holder"] = [2]float64{accuracyMin, 1}
	}
	if hasSpread {
		fit.Bounds["turnout_correlation"] = [2]float64{0, rhoMax}
	}
	if hasQFR {
		fit.Bounds["mobilisation"] = [2]float64{0, 1}
		fit.Bounds["participation_level"] = [2]float64{levelMin, 1}
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
// proposal, or none, off the certainties 1 and 0. Beyond electorate_agents the
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
	if cap := in.opt.electorateAgents; len(vs) > cap {
		keep = cap / 2
		group = int(math.Ceil(float64(len(vs)-keep) / float64(cap-keep)))
	}
	var target []float64
	for i := 0; i < len(vs); {
		j := i + 1
		if i >= keep {
			j = min(i+group, len(vs))
		}
		var power, wp, cnt float64
		f := 1.0
		for _, v := range vs[i:j] {
			p := (float64(v.Votes) + 0.5) / (float64(v.Eligible) + 1)
			presence := float64(v.Eligible) / float64(max(v.Proposals, v.Eligible, 1))
			if j-i == 1 {
				f = presence
			} else {
				p *= presence // a merged group is always active, at its members' mean rate
			}
			power += v.Power
			wp += p * math.Max(v.Power, 1e-12)
			cnt++
		}
		in.power = append(in.power, power)
		in.addrWeight = append(in.addrWeight, cnt)
		in.presence = append(in.presence, f)
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

// forDays is how many days of a voting period take votes For: all of them,
// less the objection phase where there is one. An observed voter's chance
// of voting is its chance of noticing a proposal in those days, since its
// observed votes were cast under the rules in force.
func forDays(period float64, r governor.Rules) float64 {
	return max(period-r.ObjectionPhaseDays, period*0.05)
}

// fitHazards sets each voter's attention so that its chance of voting in
// a period of the given days equals its target: a daily chance h with
// 1 − (1 − h)^days = target.
func (in *Instance) fitHazards(target []float64, period float64) {
	for v, p := range target {
		h := -math.Expm1(math.Log1p(-min(p, 1-1e-12)) / period)
		h = min(max(h, 1e-12), 1-1e-12)
		in.engage[v] = math.Log(h / (1 - h))
	}
}

// minimize returns x in [lo, hi] minimising f by golden-section search to
// within tol, for f with one minimum there; it also tries lo itself, so a
// minimum on the lower bound is found exactly.
func minimize(f func(float64) (float64, error), lo, hi, tol float64) (float64, error) {
	const g = 0.6180339887498949
	a, b := lo, hi
	c, d := b-g*(b-a), a+g*(b-a)
	fc, err := f(c)
	if err != nil {
		return 0, err
	}
	fd, err := f(d)
	if err != nil {
		return 0, err
	}
	for b-a > tol {
		if fc <= fd {
			b, d, fd = d, c, fc
			c = b - g*(b-a)
			if fc, err = f(c); err != nil {
				return 0, err
			}
		} else {
			a, c, fc = c, d, fd
			d = a + g*(b-a)
			if fd, err = f(d); err != nil {
				return 0, err
			}
		}
	}
	x, fx := c, fc
	if fd < fc {
		x, fx = d, fd
	}
	flo, err := f(lo)
	if err != nil {
		return 0, err
	}
	if flo <= fx {
		return lo, nil
	}
	return x, nil
}

// Assumptions lists what the data do not pin down and a verdict may rest
// on: the coalition's size, how voters respond to rewards, how rightly
// they judge, and the share of good proposals.
func (in *Instance) Assumptions() []simulator.Assumption {
	return []simulator.Assumption{
		{Name: "adversary_share", Value: in.adv / in.supply, Min: 0, Max: 0.5, Relative: true},
		{Name: "reward_sensitivity", Value: in.opt.rewardSens, Min: 0, Max: 5, Relative: true},
		{Name: "accuracy", Value: in.opt.accDelegate, Min: accuracyMin, Max: 1},
		{Name: "good_share", Value: in.goodShare, Min: 0, Max: 1},
		{Name: "period_elasticity", Value: in.opt.periodElasticity, Min: 0, Max: 1},
	}
}

// WithAssumption returns a copy of the instance with one assumption
// changed. Accuracy sets holders' and delegates' alike.
func (in *Instance) WithAssumption(name string, value float64) (simulator.Instance, error) {
	c := *in
	for _, a := range in.Assumptions() {
		if a.Name != name {
			continue
		}
		if math.IsNaN(value) || value < a.Min || value > a.Max {
			return nil, fmt.Errorf("tokenvote: assumption %s = %v outside [%g, %g]: %w", name, value, a.Min, a.Max, simulator.ErrInvalidParams)
		}
		switch name {
		case "adversary_share":
			c.adv = value * in.supply
		case "reward_sensitivity":
			c.opt.rewardSens = value
		case "accuracy":
			c.opt.accHolder, c.opt.accDelegate = value, value
		case "good_share":
			c.goodShare = value
		case "period_elasticity":
			c.opt.periodElasticity = value
		}
		return &c, nil
	}
	return nil, fmt.Errorf("tokenvote: no assumption %q: %w", name, simulator.ErrInvalidParams)
}
