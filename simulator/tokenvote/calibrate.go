package tokenvote

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// Instance is a token-voting DAO calibrated to an Observation. It is
// immutable after Calibrate and safe for concurrent Runs.
type Instance struct {
	opt     options
	rules   governor.Rules
	price   float64 // USD per token, 0 if unknown
	supply  float64 // total supply S, tokens
	base    float64 // quorum base, tokens: total, votable or fixed supply
	adv     float64 // the coalition's voting power, tokens
	holders int     // real addresses represented
	// observed is true when the voters are an observed electorate, each
	// with its own fitted attention (engage holds the whole logit).
	observed bool
	// rank is each voter's rank by power among the ten largest, -1 for
	// the others, for the regularity of the largest voters.
	rank  []int
	top10 int
	// presence is, for an observed electorate, the share of the horizon
	// each voter is active (its active span over the window).
	presence []float64
	// rho is, for an observed electorate, the correlation of voters'
	// turning up on the same proposal.
	rho float64
	// mobilisation is the chance a voter who has not voted answers a
	// campaign for quorum (see mobilise); byPower lists voters largest
	// first.
	mobilisation float64
	byPower      []int
	// noAttacks skips the coalition's proposals while calibrating.
	noAttacks bool
	// period0 is the voting period attention was fitted under (days).
	period0 float64

	// Voters: delegates and holders who did not delegate, in a fixed order.
	power      []float64 // voting power, tokens
	isDelegate []bool
	addrWeight []float64 // addresses each voter stands for
	z          []float64 // standardised log power
	engage     []float64 // per-voter engagement, logit scale, fixed at calibration
	authorCum  []float64 // cumulative weights for drawing a proposal's author

	maxDelegatePower float64
	holdGini         float64
	holdTop10        float64

	// Fitted latent parameters.
	alpha, beta float64 // daily attention logit: alpha + beta*z
	goodShare   float64 // share of honest proposals that are good
	lambda      float64 // honest proposals generated per day
}

var _ simulator.Instance = (*Instance)(nil)

// salienceNodes are equally weighted standard normal quantiles used to take
// expectations over a proposal's salience during calibration.
var salienceNodes = func() []float64 {
	const n = 16
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = distuv.UnitNormal.Quantile((float64(i) + 0.5) / n)
	}
	return xs
}()

// aggregate holds the aggregate figures the population is built from when
// no electorate is known.
type aggregate struct {
	Holders                              int
	TotalSupply, Gini, Top10Share        float64
	DelegatedShare                       float64
	Delegates, Proposals                 int
	TurnoutPower, TurnoutCount, passRate float64
	days                                 float64
}

// aggregateOf reads the figures a population needs from obs, naming every
// missing one.
func aggregateOf(obs metrics.Observation) (aggregate, error) {
	need := []string{metrics.Holders, metrics.TotalSupply, metrics.GiniName, metrics.Top10ShareName,
		metrics.DelegatedShare, metrics.Delegates, metrics.Proposals, metrics.TurnoutPower, metrics.TurnoutCount}
	var missing []string
	for _, k := range need {
		if _, ok := obs.Get(k); !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return aggregate{}, fmt.Errorf("tokenvote: the observation of %s has no electorate (individual votes) and lacks %s, which a population needs; give a history with votes, or a metrics file with every field: %w",
			obs.Source, strings.Join(missing, ", "), metrics.ErrInvalid)
	}
	v := obs.Metrics
	a := aggregate{Holders: int(v[metrics.Holders]), TotalSupply: v[metrics.TotalSupply], Gini: v[metrics.GiniName],
		Top10Share: v[metrics.Top10ShareName], DelegatedShare: v[metrics.DelegatedShare], Delegates: int(v[metrics.Delegates]),
		Proposals: int(v[metrics.Proposals]), TurnoutPower: v[metrics.TurnoutPower], TurnoutCount: v[metrics.TurnoutCount],
		passRate: obs.PassRate(), days: obs.Window.Days()}
	if a.Holders < 10 || a.TotalSupply <= 0 || a.Proposals < 1 || a.days <= 0 {
		return aggregate{}, fmt.Errorf("tokenvote: the observation of %s needs at least 10 holders, a positive supply, one proposal and a window: %w", obs.Source, metrics.ErrInvalid)
	}
	return a, nil
}

// Calibrate fits the model to obs under the parameters in force. With an
// electorate it takes the observed voters as they are and fits each one's
// attention to how often it voted, the salience spread to the spread of
// turnout across proposals, the share of good proposals to the pass rate
// and the proposal rate to the proposals observed. Without one it builds a
// population from aggregate figures (holders, Gini, top-10 and delegated
// shares) and fits attention to turnout by power and by count.
func (m *Model) Calibrate(ctx context.Context, obs metrics.Observation, current simulator.Params, seed uint64) (simulator.Instance, simulator.Fit, error) {
	if err := obs.Validate(); err != nil {
		return nil, simulator.Fit{}, fmt.Errorf("tokenvote: calibrate: %w", err)
	}
	cur, err := simulator.Complete(params, current)
	if err != nil {
		return nil, simulator.Fit{}, fmt.Errorf("tokenvote: parameters in force: %w", err)
	}
	if len(obs.Electorate) > 0 {
		return m.calibrateElectorate(ctx, obs, cur, seed)
	}
	agg, err := aggregateOf(obs)
	if err != nil {
		return nil, simulator.Fit{}, err
	}
	// A population is one draw of delegations and engagement. Some draws
	// cannot reproduce the data (too few engaged large voters make turnout
	// swing and quorum fail), so up to populationDraws are tried, in a
	// fixed order, and the first that fits well, or else the best, is kept.
	var best *Instance
	var bestFit simulator.Fit
	bestErr := math.Inf(1)
	for draw := range populationDraws {
		in, fit, err := m.calibrateDraw(ctx, obs, agg, cur, seed, draw)
		if err != nil {
			return nil, simulator.Fit{}, err
		}
		if _, e := fit.MaxTargetError(); e < bestErr {
			best, bestFit, bestErr = in, fit, e
		}
		if bestErr <= goodFit {
			break
		}
	}
	return best, bestFit, nil
}

// calibrationSalt keeps the seeds calibration fits on apart from those a
// search with the same seed uses.
const calibrationSalt = 0x63616c6962726174

// populationDraws bounds the populations Calibrate tries; goodFit is the
// largest relative target error at which it stops looking.
const (
	populationDraws = 8
	goodFit         = 0.05
)

// calibrateDraw builds and fits population number draw.
func (m *Model) calibrateDraw(ctx context.Context, obs metrics.Observation, agg aggregate, cur simulator.Params, seed uint64, draw int) (*Instance, simulator.Fit, error) {
	o := m.opt
	in := m.newInstance(obs, agg.TotalSupply)
	in.holders = agg.Holders
	rng := rand.New(rand.NewPCG(seed, 0xca1+uint64(draw)))

	n := min(agg.Holders, o.maxAgents)
	honest := (1 - max(o.adversaryShare, 0)) * agg.TotalSupply
	bal, g := fitBalances(n, agg.Top10Share, agg.Gini, honest, agg.TotalSupply)
	in.holdGini = g
	// The observed top-10 share is of total supply, coalition included.
	in.holdTop10 = metrics.TopKShare(bal, 10) * honest / agg.TotalSupply

	in.period0 = cur[VotingPeriodDays]
	in.buildVoters(rng, bal, agg)
	in.setAdversary()
	in.rankTop10()
	if err := ctx.Err(); err != nil {
		return nil, simulator.Fit{}, err
	}
	if len(in.power) == 0 {
		return nil, simulator.Fit{}, fmt.Errorf("tokenvote: no holder is left to vote among %d simulated holders once the %d largest are taken as inactive (option inactive_top_holders) and delegators are removed; lower inactive_top_holders: %w",
			n, o.inactiveTop, simulator.ErrInvalidParams)
	}
	in.fitAttention(agg.TurnoutPower, agg.TurnoutCount, cur)

	rate := float64(agg.Proposals) / agg.days
	// Enough replications that the pass rate is fitted on some 1,000
	// simulated proposals.
	reps := int(math.Ceil(1000 / math.Max(rate*o.horizonDays, 1)))
	reps = max(8, min(64, reps))
	passRate := func(good float64) (float64, error) {
		in.goodShare = good
		in.lambda = rate / in.submitProb(cur[ProposalThreshold])
		var sum float64
		for r := range reps {
			v, err := in.Run(ctx, cur, simulator.SeedFor(seed^calibrationSalt, r))
			if err != nil {
				return 0, err
			}
			sum += v[PassRate]
		}
		return sum / float64(reps), nil
	}
	good, err := solveIncreasing(passRate, agg.passRate, 0, 1, 1e-3, 14)
	if err != nil {
		return nil, simulator.Fit{}, err
	}
	in.goodShare = good
	in.lambda = rate / in.submitProb(cur[ProposalThreshold])

	fit, err := in.fit(ctx, obs, cur, seed, reps)
	if err != nil {
		return nil, simulator.Fit{}, err
	}
	fit.Latent["population_draw"] = float64(draw)
	fit.Latent["adversary_share"] = in.adv / in.supply
	fit.Bounds = map[string][2]float64{"good_share": {0, 1}}
	fit.CheckBounds()
	return in, fit, nil
}

// fitBalances returns n honest holdings summing to honest: the ten largest
// hold top10 of the total supply (at most all honest tokens) in a Zipf
// pattern, the rest are log-normal quantiles, capped at the tenth largest
// holding with the excess shared out among the others, whose spread is
// chosen so the Gini of all holdings matches gini as nearly as the shape
// allows. It returns the Gini reached.
func fitBalances(n int, top10, gini, honest, total float64) ([]float64, float64) {
	k := min(10, n)
	topTotal := min(top10*total, honest)
	if n <= 10 {
		topTotal = honest
	}
	var h float64
	for j := 1; j <= k; j++ {
		h += 1 / float64(j)
	}
	gen := func(sigma float64) []float64 {
		b := make([]float64, n)
		for j := 0; j < k; j++ {
			b[j] = topTotal / float64(j+1) / h
		}
		rest := b[k:]
		if len(rest) == 0 {
			return b
		}
		for i := range rest {
			rest[i] = math.Exp(sigma * distuv.UnitNormal.Quantile((float64(i)+0.5)/float64(len(rest))))
		}
		capToCeiling(rest, honest-topTotal, b[k-1])
		return b
	}
	lo, hi := 0.01, 6.0
	for range 50 {
		mid := (lo + hi) / 2
		if metrics.Gini(gen(mid)) < gini {
			lo = mid
		} else {
			hi = mid
		}
	}
	b := gen((lo + hi) / 2)
	return b, metrics.Gini(b)
}

// capToCeiling scales xs to sum to target with no value above ceiling,
// sharing what the ceiling cuts off among the values below it in
// proportion to their size. If target exceeds len(xs)*ceiling, every value
// is left at the ceiling.
func capToCeiling(xs []float64, target, ceiling float64) {
	for range 64 {
		var free, fixed float64
		for _, x := range xs {
			if x >= ceiling {
				fixed += ceiling
			} else {
				free += x
			}
		}
		if free == 0 {
			break
		}
		scale := (target - fixed) / free
		over := false
		for i, x := range xs {
			if x < ceiling {
				xs[i] = x * scale
				if xs[i] > ceiling {
					over = true
				}
			}
			xs[i] = min(xs[i], ceiling)
		}
		if !over {
			break
		}
	}
}

// buildVoters chooses delegates, assigns delegations until the delegated
// share of supply is reached, and lays out the voters.
func (in *Instance) buildVoters(rng *rand.Rand, bal []float64, obs aggregate) {
	n := len(bal)
	d := obs.Delegates
	if obs.DelegatedShare > 0 {
		d = max(d, 1)
	}
	d = min(d, max(n/5, 1))
	// Delegates are drawn from outside the ten largest holders.
	pool := rng.Perm(n)
	isDel := make([]bool, n)
	var dels []int
	for _, i := range pool {
		if len(dels) == d {
			break
		}
		if i >= 10 || n <= 10 {
			isDel[i] = true
			dels = append(dels, i)
		}
	}
	slices.Sort(dels)
	// Delegations: holders in random order delegate while the target holds.
	target := min(obs.DelegatedShare*obs.TotalSupply, sum(bal))
	received := make([]float64, n)
	delegated := make([]bool, n)
	var acc float64
	var zipf []float64
	for j := range dels {
		zipf = append(zipf, math.Pow(float64(j+1), -in.opt.delegationSkew))
	}
	zipfCum := cumsum(zipf)
	for _, i := range rng.Perm(n) {
		if isDel[i] || len(dels) == 0 || acc >= target {
			continue
		}
		if acc+bal[i] > target*1.01 {
			continue
		}
		to := dels[pick(zipfCum, rng.Float64())]
		received[to] += bal[i]
		delegated[i] = true
		acc += bal[i]
	}
	// Address weights: the ten largest and the delegates are one address
	// each; the others share the remaining holders.
	singles := min(10, n) + len(dels)
	for i := 0; i < min(10, n); i++ {
		if isDel[i] {
			singles--
		}
	}
	w := 1.0
	if n > singles {
		w = float64(max(obs.Holders-singles, n-singles)) / float64(n-singles)
	}
	for i := range n {
		// Custodial holders (treasury, exchanges, vesting) never vote.
		if delegated[i] || i < in.opt.inactiveTop {
			continue
		}
		in.power = append(in.power, bal[i]+received[i])
		in.isDelegate = append(in.isDelegate, isDel[i])
		aw := w
		if isDel[i] || i < 10 {
			aw = 1
		}
		in.addrWeight = append(in.addrWeight, aw)
		// Delegates write proposals far more often than holders do.
		author := aw
		if isDel[i] {
			author *= 20
		}
		in.authorCum = append(in.authorCum, author)
		if isDel[i] {
			in.maxDelegatePower = max(in.maxDelegatePower, bal[i]+received[i])
		}
	}
	in.authorCum = cumsum(in.authorCum)
	var mean, sq float64
	logs := make([]float64, len(in.power))
	for i, p := range in.power {
		logs[i] = math.Log(max(p, 1e-9))
		mean += logs[i]
	}
	mean /= float64(len(logs))
	for _, l := range logs {
		sq += (l - mean) * (l - mean)
	}
	sd := math.Sqrt(sq / float64(len(logs)))
	if sd == 0 {
		sd = 1
	}
	in.z = make([]float64, len(logs))
	for i, l := range logs {
		in.z[i] = (l - mean) / sd
	}
	in.engage = stratifiedEngagement(rng, in.power, in.opt.engagementSD)
}

// engagementStrata is the block size of stratified engagement.
const engagementStrata = 8

// stratifiedEngagement draws each voter's fixed engagement (logit scale,
// standard deviation sd) by stratified sampling over voting power: voters
// sorted by power, in blocks of engagementStrata, take the block's normal
// quantiles in random order. Every size class then has the same spread of
// engagement whatever the seed, so whether the largest voters are engaged is
// not left to the luck of a few draws.
func stratifiedEngagement(rng *rand.Rand, power []float64, sd float64) []float64 {
	order := make([]int, len(power))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case power[a] > power[b]:
			return -1
		case power[a] < power[b]:
			return 1
		}
		return 0
	})
	out := make([]float64, len(power))
	for start := 0; start < len(order); start += engagementStrata {
		block := order[start:min(start+engagementStrata, len(order))]
		perm := rng.Perm(len(block))
		for j, v := range block {
			q := (float64(perm[j]) + 0.5) / float64(len(block))
			out[v] = sd * distuv.UnitNormal.Quantile(q)
		}
	}
	return out
}

// hazardLogit returns voter v's daily attention logit under reward r.
func (in *Instance) hazardLogit(v int, reward float64) float64 {
	value := reward
	if in.price > 0 {
		value *= in.price // the incentive is felt in value, not in tokens
	}
	l := in.engage[v] + in.opt.rewardSens*math.Log1p(value/in.opt.rewardScale)
	if in.observed {
		return l
	}
	l += in.alpha + in.beta*in.z[v]
	if in.isDelegate[v] {
		l += in.opt.delegateBoost
	}
	return l
}

// expectedTurnout returns the expected turnout by power and by count per
// proposal, averaging over salience.
func (in *Instance) expectedTurnout(p simulator.Params) (power, count float64) {
	period := p[VotingPeriodDays]
	var pw, ct float64
	for v := range in.power {
		h := 1 / (1 + math.Exp(-in.hazardLogit(v, p[ParticipationReward])))
		lv := math.Log1p(-min(h, 1-1e-12))
		var e float64
		for _, x := range salienceNodes {
			s := in.salience(x)
			e -= math.Expm1(period * s * lv)
		}
		e /= float64(len(salienceNodes))
		pw += e * in.power[v]
		ct += e * in.addrWeight[v]
	}
	return pw / in.supply, ct / float64(in.holders)
}

// fitAttention solves for alpha and beta so the expected turnout by count
// and by power under p match the targets.
func (in *Instance) fitAttention(power, count float64, p simulator.Params) {
	alphaFor := func(beta float64) float64 {
		in.beta = beta
		a, _ := solveIncreasing(func(a float64) (float64, error) {
			in.alpha = a
			_, c := in.expectedTurnout(p)
			return c, nil
		}, count, -25, 10, 1e-6, 40)
		return a
	}
	beta, _ := solveIncreasing(func(b float64) (float64, error) {
		in.alpha = alphaFor(b)
		pw, _ := in.expectedTurnout(p)
		return pw, nil
	}, power, -2, 8, 1e-6, 40)
	in.alpha = alphaFor(beta)
	in.beta = beta
}

// submitProb is the chance an honest proposal is submitted under threshold
// th (share of supply): its author has the power, or a delegate sponsors it.
func (in *Instance) submitProb(th float64) float64 {
	total := in.authorCum[len(in.authorCum)-1]
	var able float64
	prev := 0.0
	for v, c := range in.authorCum {
		if in.power[v] >= th*in.supply {
			able += c - prev
		}
		prev = c
	}
	pa := able / total
	sponsor := 0.0
	if in.maxDelegatePower >= th*in.supply {
		sponsor = in.goodShare*in.opt.sponsorGood + (1-in.goodShare)*in.opt.sponsorBad
	}
	return max(pa+(1-pa)*sponsor, 1e-6)
}

// fit simulates the parameters in force on fresh seeds and compares.
func (in *Instance) fit(ctx context.Context, obs metrics.Observation, cur simulator.Params, seed uint64, reps int) (simulator.Fit, error) {
	runs := make([]metrics.Values, reps)
	for r := range runs {
		v, err := in.Run(ctx, cur, simulator.SeedFor(seed^0xf17, r))
		if err != nil {
			return simulator.Fit{}, err
		}
		runs[r] = v
	}
	f := simulator.Fit{
		Observed: obs.Values(),
		Targets:  []string{metrics.PassRateName, metrics.ProposalsPerMonth, metrics.TurnoutPower, metrics.TurnoutCount},
		Latent: map[string]float64{
			"attention_intercept": in.alpha,
			"attention_slope":     in.beta,
			"good_share":          in.goodShare,
			"proposals_per_day":   in.lambda,
			"voters":              float64(len(in.power)),
		},
	}
	f.Compare(metrics.MeanValues(runs), reps)
	return f, nil
}

// solveIncreasing finds x in [lo, hi] with f(x) = target for f increasing
// in x, by the Illinois variant of regula falsi. When the target lies
// outside [f(lo), f(hi)] it returns the nearer end.
func solveIncreasing(f func(float64) (float64, error), target, lo, hi, tol float64, maxIter int) (float64, error) {
	flo, err := f(lo)
	if err != nil {
		return 0, err
	}
	fhi, err := f(hi)
	if err != nil {
		return 0, err
	}
	flo, fhi = flo-target, fhi-target
	if flo >= 0 {
		return lo, nil
	}
	if fhi <= 0 {
		return hi, nil
	}
	side := 0
	x := lo
	for range maxIter {
		x = (lo*fhi - hi*flo) / (fhi - flo)
		fx, err := f(x)
		if err != nil {
			return 0, err
		}
		fx -= target
		if math.Abs(fx) < tol || hi-lo < tol {
			return x, nil
		}
		if fx > 0 {
			hi, fhi = x, fx
			if side == 1 {
				flo /= 2
			}
			side = 1
		} else {
			lo, flo = x, fx
			if side == -1 {
				fhi /= 2
			}
			side = -1
		}
	}
	return x, nil
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

func cumsum(xs []float64) []float64 {
	c := make([]float64, len(xs))
	var s float64
	for i, x := range xs {
		s += x
		c[i] = s
	}
	return c
}

// pick returns the index i with cum[i-1] <= u*total < cum[i].
func pick(cum []float64, u float64) int {
	t := u * cum[len(cum)-1]
	i, _ := slices.BinarySearch(cum, t)
	if i < len(cum) && cum[i] == t {
		i++
	}
	return min(i, len(cum)-1)
}

// rankTop10 ranks the ten largest voters by power.
func (in *Instance) rankTop10() {
	order := make([]int, len(in.power))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case in.power[a] > in.power[b]:
			return -1
		case in.power[a] < in.power[b]:
			return 1
		}
		return 0
	})
	in.rank = make([]int, len(in.power))
	for i := range in.rank {
		in.rank[i] = -1
	}
	in.byPower = order
	in.top10 = min(10, len(order))
	for r, v := range order[:in.top10] {
		in.rank[v] = r
	}
}

// attentionDays turns a voting period into the days of attention voters
// give it: the period the model was calibrated under counts as itself,
// and another period p as period0·(p/period0)^period_elasticity.
func (in *Instance) attentionDays(period float64) float64 {
	e := in.opt.periodElasticity
	if in.period0 <= 0 || e == 1 {
		return period
	}
	return in.period0 * math.Pow(period/in.period0, e)
}
