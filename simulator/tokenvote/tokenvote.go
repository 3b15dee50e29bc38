// Package tokenvote models Governor-style token voting with delegation.
// How votes count follows the governor's rules (package governor): by
// default OpenZeppelin Governor with GovernorCountingSimple (quorum counts
// For and Abstain; For must exceed Against, by the vote differential when
// one is set); GovernorBravo, Aave v2, Aragon, Arbitrum and Nouns rules
// change what counts towards quorum, its base, the support required and the
// phases.
//
// When the observation carries an electorate (the voters of a real
// history), the simulated voters are those addresses, each with its own
// attention fitted to how often it voted; otherwise a population is built
// from aggregate holdings figures.
//
// The population is heavy-tailed holders, some of whom delegate to a small
// set of delegates. Each voter notices a proposal at a daily rate that grows
// with its voting power, with the participation reward and with the
// proposal's salience; a longer voting period gives more days to notice.
// Honest proposals of hidden quality arrive as a Poisson process and must
// clear the proposal threshold (or find a sponsor); an adversarial coalition
// pushes bad proposals with all its power.
//
// Calibrate fits the population to a metrics.Observation; Run is
// deterministic for a seed and draws random numbers in an order that does
// not depend on the parameters, so parameter sets are compared on common
// random numbers.
package tokenvote

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// Name is the model's registry name.
const Name = "tokenvote"

func init() { simulator.Register(Name, New) }

// Parameter names.
const (
	Quorum              = governor.Quorum
	ProposalThreshold   = governor.ProposalThreshold
	VotingPeriodDays    = governor.VotingPeriodDays
	VoteDifferential    = governor.VoteDifferential
	SupportRequired     = governor.SupportRequired
	ParticipationReward = governor.ParticipationReward
)

var params = []simulator.ParamSpec{
	{Name: Quorum, Unit: "fraction of supply", Min: 0, Max: 0.5, Default: 0.04,
		Description: "For + Abstain votes needed for a decision, as a share of total supply"},
	{Name: SupportRequired, Unit: "share of For + Against", Min: 0.5, Max: 0.99, Default: 0.5,
		Description: "share of For + Against that For must exceed (0.5 is a simple majority)"},
	{Name: ProposalThreshold, Unit: "fraction of supply", Min: 0, Max: 0.1, Default: 0.001,
		Description: "voting power needed to submit a proposal, as a share of total supply"},
	{Name: VotingPeriodDays, Unit: "days", Min: 1, Max: 30, Default: 7,
		Description: "days a proposal is open for voting"},
	{Name: VoteDifferential, Unit: "fraction of supply", Min: 0, Max: 0.2, Default: 0,
		Description: "margin by which For must exceed Against, as a share of total supply"},
	{Name: ParticipationReward, Unit: "tokens per vote", Min: 0, Max: 1000, Default: 0,
		Description: "tokens paid to each address for each vote it casts"},
}

// Outcome names.
const (
	DecisionQuality      = "decision_quality"
	Turnout              = "turnout"
	TurnoutCount         = "turnout_count"
	PassRate             = "pass_rate"
	AttackSuccessRate    = "attack_success_rate"
	CaptureCostShare     = "capture_cost_share"
	CaptureCost          = "capture_cost"
	TimeToDecisionDays   = "time_to_decision_days"
	RewardSpendPerMonth  = "reward_spend_per_month"
	RewardSpendUSD       = "reward_spend_usd_per_month"
	NakamotoCast         = "nakamoto"
	GiniCast             = "gini_cast"
	QuorumFailureRate    = "quorum_failure_rate"
	GoodBlockedRate      = "good_blocked_rate"
	ProposalsPerMonth    = "proposals_per_month"
	HoldingsGini         = "gini"
	HoldingsTop10Share   = "top10_share"
	attackSamplesDefault = 24
)

var outcomes = []simulator.OutcomeSpec{
	{Name: DecisionQuality, Unit: "share", Better: simulator.Maximize, Scale: 1,
		Description: "share of honest proposals decided rightly: good ones passed, bad ones rejected or never submitted"},
	{Name: Turnout, Unit: "fraction of supply", Better: simulator.Maximize, Scale: 0.1,
		Description: "mean share of total supply cast per proposal"},
	{Name: TurnoutCount, Unit: "share", Better: simulator.Maximize, Scale: 0.02,
		Description: "mean share of holders voting per proposal"},
	{Name: PassRate, Unit: "share", Better: simulator.Neutral, Scale: 1,
		Description: "share of submitted honest proposals that passed"},
	{Name: AttackSuccessRate, Unit: "share", Better: simulator.Minimize, Scale: 1,
		Description: "share of the coalition's bad proposals that would pass"},
	{Name: CaptureCostShare, Unit: "fraction of supply", Better: simulator.Maximize, Scale: 0.05,
		Description: "mean voting power needed to pass a bad proposal alone against honest opposition, as a share of supply"},
	{Name: CaptureCost, Unit: "tokens", Better: simulator.Maximize, Scale: 0, // no fixed magnitude: not an objective
		Description: "the same in tokens"},
	{Name: TimeToDecisionDays, Unit: "days", Better: simulator.Minimize, Scale: 7,
		Description: "days from submission to decision: voting delay plus voting period, plus the late-quorum extension on proposals whose quorum a campaign reached late"},
	{Name: RewardSpendUSD, Unit: "USD per month", Better: simulator.Minimize, Scale: 0, // no fixed magnitude: a constraint, not an objective
		Description: "participation rewards paid per 30 days, valued at the token price (dao.token.price_usd); 0 when no price is known"},
	{Name: RewardSpendPerMonth, Unit: "tokens per month", Better: simulator.Minimize, Scale: 10000,
		Description: "participation rewards paid per 30 days"},
	{Name: NakamotoCast, Unit: "voters", Better: simulator.Maximize, Scale: 5,
		Description: "Nakamoto coefficient of voting power cast over the horizon"},
	{Name: GiniCast, Unit: "share", Better: simulator.Minimize, Scale: 1,
		Description: "Gini coefficient of voting power cast over the horizon"},
	{Name: QuorumFailureRate, Unit: "share", Better: simulator.Minimize, Scale: 1,
		Description: "share of submitted honest proposals that failed quorum"},
	{Name: GoodBlockedRate, Unit: "share", Better: simulator.Minimize, Scale: 1,
		Description: "share of good proposals that could not be submitted for lack of voting power or a sponsor"},
	{Name: ProposalsPerMonth, Unit: "proposals", Better: simulator.Neutral, Scale: 5,
		Description: "honest proposals submitted per 30 days"},
	{Name: metrics.TurnoutP10, Unit: "fraction of supply", Better: simulator.Maximize, Scale: 0.1,
		Description: "10th percentile of turnout by power across proposals"},
	{Name: metrics.TurnoutP50, Unit: "fraction of supply", Better: simulator.Maximize, Scale: 0.1,
		Description: "median turnout by power across proposals"},
	{Name: metrics.TurnoutP90, Unit: "fraction of supply", Better: simulator.Maximize, Scale: 0.1,
		Description: "90th percentile of turnout by power across proposals"},
	{Name: metrics.TopVoterRegularity, Unit: "share", Better: simulator.Maximize, Scale: 1,
		Description: "mean share of proposals on which each of the ten largest voters voted"},
	{Name: metrics.ForShare, Unit: "share", Better: simulator.Neutral, Scale: 1,
		Description: "mean share of For in For + Against on the proposals that passed"},
	{Name: metrics.AbstainShare, Unit: "share", Better: simulator.Neutral, Scale: 1,
		Description: "mean share of Abstain in the votes cast per proposal"},
	{Name: HoldingsGini, Unit: "share", Better: simulator.Minimize, Scale: 1,
		Description: "Gini coefficient of holdings (fixed by calibration)"},
	{Name: HoldingsTop10Share, Unit: "share", Better: simulator.Minimize, Scale: 1,
		Description: "share of supply held by the ten largest holders (fixed by calibration)"},
}

// Option names and defaults. They are the model's assumptions where the
// data say nothing; dao.options in the config overrides them.
var optionDefaults = map[string]struct {
	def, min, max float64
	doc           string
}{
	"adversary_share":      {-1, -1, 0.5, "share of supply an attacking coalition controls; -1 derives it from the data: the voting power of the largest voter"},
	"attacks_per_month":    {0.5, 0, 100, "bad proposals the coalition pushes per 30 days"},
	"horizon_days":         {180, 14, 3650, "simulated days per replication"},
	"max_agents":           {5000, 100, 200000, "most holders simulated individually; more are represented by weight"},
	"electorate_agents":    {800, 20, 200000, "most agents an observed electorate is simulated with: half its largest voters one by one, the rest merged a few at a time"},
	"voting_delay_days":    {-1, -1, 30, "days between submission and the start of voting; -1 takes the governor's"},
	"reward_sensitivity":   {0.6, 0, 5, "logit increase in a voter's daily attention per log(1 + reward/reward_scale)"},
	"reward_scale":         {1, 1e-9, 1e12, "reward per vote at which a voter notices the incentive: in USD when the token price is known (dao.token.price_usd), else in tokens"},
	"engagement_sd":        {2.5, 0, 6, "spread (logit scale) of voters' fixed engagement: high values make a few reliable voters and many dormant ones"},
	"salience_sd":          {0.4, 0, 3, "spread (log scale) of how much attention one proposal draws"},
	"period_elasticity":    {1, 0, 1, "how a longer voting period turns into attention: 1, each extra day as noticeable as the others; 0, the period makes no difference to who votes"},
	"delegate_boost":       {2, -5, 10, "logit increase in a delegate's daily attention over a holder of equal power"},
	"accuracy_holder":      {0.7, 0.5, 1, "chance a holder judges a proposal's quality rightly"},
	"accuracy_delegate":    {0.85, 0.5, 1, "chance a delegate judges a proposal's quality rightly"},
	"abstain_rate":         {0.05, 0, 0.5, "share of votes cast as Abstain"},
	"sponsor_good":         {0.6, 0, 1, "chance a good proposal below the threshold finds a delegate to sponsor it"},
	"sponsor_bad":          {0.25, 0, 1, "chance a bad proposal below the threshold finds a sponsor"},
	"delegation_skew":      {0.5, 0, 3, "delegations go to the delegate of rank j with weight j^-skew"},
	"inactive_top_holders": {3, 0, 10, "largest holders that never vote (treasury, exchanges, vesting contracts)"},
	"attack_samples":       {attackSamplesDefault, 1, 1000, "bad proposals simulated per replication to estimate attack outcomes"},
}

// options are the resolved model options.
type options struct {
	adversaryShare, attacksPerMonth, horizonDays float64
	maxAgents, electorateAgents                  int
	votingDelay, rewardSens, rewardScale         float64
	salienceSD, delegateBoost                    float64
	accHolder, accDelegate, abstain              float64
	sponsorGood, sponsorBad                      float64
	attackSamples                                int
	delegationSkew                               float64
	inactiveTop                                  int
	engagementSD                                 float64
	periodElasticity                             float64
}

// Model is the token-voting mechanism. Build it with New.
type Model struct {
	opt      options
	resolved map[string]float64 // every option's effective value
	rules    governor.Rules
	track    string
	price    float64 // USD per token, 0 if unknown
}

// New returns the token-voting model with the given options; unknown
// options and values out of range are errors.
func New(s simulator.Setup) (simulator.Model, error) {
	opts := s.Options
	get := map[string]float64{}
	for k, d := range optionDefaults {
		get[k] = d.def
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		d, ok := optionDefaults[k]
		if !ok {
			known := slices.Sorted(maps.Keys(optionDefaults))
			return nil, fmt.Errorf("tokenvote: unknown option %q; options are %s: %w", k, strings.Join(known, ", "), simulator.ErrInvalidParams)
		}
		v := opts[k]
		if math.IsNaN(v) || v < d.min || v > d.max {
			return nil, fmt.Errorf("tokenvote: option %s = %g is outside [%g, %g] (%s): %w", k, v, d.min, d.max, d.doc, simulator.ErrInvalidParams)
		}
		get[k] = v
	}
	rules := s.Rules
	if rules.QuorumCounts == "" {
		rules, _ = governor.Family("oz")
	}
	if err := rules.Validate(); err != nil {
		return nil, fmt.Errorf("tokenvote: %w: %w", err, simulator.ErrInvalidParams)
	}
	if get["voting_delay_days"] < 0 {
		get["voting_delay_days"] = rules.VotingDelayDays
	}
	if math.IsNaN(s.TokenPrice) || math.IsInf(s.TokenPrice, 0) || s.TokenPrice < 0 {
		return nil, fmt.Errorf("tokenvote: token price %v; want USD per token, 0 or more: %w", s.TokenPrice, simulator.ErrInvalidParams)
	}
	return &Model{resolved: get, rules: rules, track: s.Track, price: s.TokenPrice, opt: options{
		adversaryShare:   get["adversary_share"],
		attacksPerMonth:  get["attacks_per_month"],
		horizonDays:      get["horizon_days"],
		maxAgents:        int(get["max_agents"]),
		electorateAgents: int(get["electorate_agents"]),
		votingDelay:      get["voting_delay_days"],
		rewardSens:       get["reward_sensitivity"],
		rewardScale:      get["reward_scale"],
		salienceSD:       get["salience_sd"],
		delegateBoost:    get["delegate_boost"],
		accHolder:        get["accuracy_holder"],
		accDelegate:      get["accuracy_delegate"],
		abstain:          get["abstain_rate"],
		sponsorGood:      get["sponsor_good"],
		sponsorBad:       get["sponsor_bad"],
		attackSamples:    int(get["attack_samples"]),
		delegationSkew:   get["delegation_skew"],
		inactiveTop:      int(get["inactive_top_holders"]),
		engagementSD:     get["engagement_sd"],
		periodElasticity: get["period_elasticity"],
	}}, nil
}

// Options lists every option with its effective value, sorted by name.
func (m *Model) Options() []simulator.OptionSpec {
	var out []simulator.OptionSpec
	for _, k := range slices.Sorted(maps.Keys(optionDefaults)) {
		d := optionDefaults[k]
		out = append(out, simulator.OptionSpec{Name: k, Value: m.resolved[k], Min: d.min, Max: d.max, Description: d.doc})
	}
	return out
}

// Name returns "tokenvote".
func (*Model) Name() string { return Name }

// Params declares quorum, support_required, proposal_threshold,
// voting_period_days, vote_differential and participation_reward, their
// descriptions in the terms of the model's governor.
func (m *Model) Params() []simulator.ParamSpec {
	ps := slices.Clone(params)
	counted := map[governor.Counting]string{governor.ForAbstain: "For + Abstain", governor.ForOnly: "For", governor.AllCast: "For + Against + Abstain"}[m.rules.QuorumCounts]
	base := map[governor.Base]string{governor.TotalSupply: "total supply", governor.VotableSupply: "votable (delegated) supply",
		governor.Fixed: "total supply (a fixed token amount)", governor.Dynamic: "total supply, before the dynamic increase"}[m.rules.QuorumBase]
	for i := range ps {
		switch ps[i].Name {
		case Quorum:
			ps[i].Description = fmt.Sprintf("%s votes needed for a decision, as a share of %s", counted, base)
			if m.rules.QuorumBase == governor.VotableSupply {
				ps[i].Unit = "fraction of votable supply"
			}
		case VoteDifferential:
			ps[i].Description = fmt.Sprintf("margin by which For must exceed Against, as a share of %s", base)
		}
	}
	return ps
}

// Track returns the governor track modelled, "" for the only one.
func (m *Model) Track() string { return m.track }

// Rules returns the governor rules the model counts votes by.
func (m *Model) Rules() governor.Rules { return m.rules }

// Outcomes declares what Run reports.
func (*Model) Outcomes() []simulator.OutcomeSpec { return slices.Clone(outcomes) }

// Inconsistent reports the parameter sets a governor could not sensibly
// enact: a proposal threshold above the quorum (one proposer could then
// meet the quorum alone and still be refused a proposal) and a vote
// differential above the quorum (the margin alone would exceed the
// turnout the quorum asks for).
func (m *Model) Inconsistent(p simulator.Params) []string {
	var out []string
	if p[ProposalThreshold] > p[Quorum] {
		out = append(out, fmt.Sprintf("proposal_threshold %g is above quorum %g", p[ProposalThreshold], p[Quorum]))
	}
	if p[VoteDifferential] > p[Quorum] {
		out = append(out, fmt.Sprintf("vote_differential %g is above quorum %g", p[VoteDifferential], p[Quorum]))
	}
	return out
}
