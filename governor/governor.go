// Package governor describes how a DAO's on-chain governor counts votes and
// which of its parameters a governance vote can change: the rules of the
// families attune knows (OpenZeppelin Governor, GovernorBravo, Aave
// governance v2, Aragon Voting as Lido runs it, Arbitrum's governors and
// Nouns' dynamic quorum), with any of them overridable.
//
// The same Decide serves observed history (did this real proposal reach
// quorum?) and simulated proposals, so observed and simulated quorum
// failures and pass rates are measured by one definition.
package governor

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// ErrInvalid is wrapped by errors that report unknown families or rules
// that cannot hold.
var ErrInvalid = errors.New("invalid governor rules")

// Counting says which votes count towards quorum.
type Counting string

const (
	// ForAbstain counts For and Abstain (OpenZeppelin GovernorCountingSimple).
	ForAbstain Counting = "for_abstain"
	// ForOnly counts For alone (GovernorBravo, Aave v2, Aragon).
	ForOnly Counting = "for"
	// AllCast counts For, Against and Abstain.
	AllCast Counting = "all"
)

// Base says what the quorum is a fraction of.
type Base string

const (
	// TotalSupply: the token's total supply at the proposal's snapshot.
	TotalSupply Base = "total_supply"
	// VotableSupply: supply that is delegated and so can vote (Arbitrum
	// excludes the treasury and undelegated tokens).
	VotableSupply Base = "votable_supply"
	// Fixed: a fixed token amount (Bravo's quorumVotes constant), written
	// as a fraction of the total supply in force when the rules were set.
	Fixed Base = "fixed"
	// Dynamic: Nouns' dynamic quorum, quorum + coefficient × Against share,
	// capped at QuorumMax, all of total supply.
	Dynamic Base = "dynamic"
)

// Change says how a parameter can be changed.
type Change string

const (
	// Vote: an ordinary governance proposal calls a setter.
	Vote Change = "vote"
	// Upgrade: the value is a constant of the contract; changing it needs a
	// new implementation or executor, or a separate programme (a reward).
	Upgrade Change = "upgrade"
)

// Rules is how one governor counts votes and what it lets a vote change.
type Rules struct {
	// Family is the governor family the rules started from.
	Family string `json:"family" yaml:"family"`
	// Quorum says which votes count towards quorum and Base what the quorum
	// is a fraction of.
	QuorumCounts Counting `json:"quorum_counts" yaml:"quorum_counts"`
	QuorumBase   Base     `json:"quorum_base" yaml:"quorum_base"`
	// QuorumCoefficient and QuorumMax shape a Dynamic quorum: the quorum
	// rises by QuorumCoefficient per unit of Against share, up to
	// QuorumMax (fractions of supply).
	QuorumCoefficient float64 `json:"quorum_coefficient,omitempty" yaml:"quorum_coefficient,omitempty"`
	QuorumMax         float64 `json:"quorum_max,omitempty" yaml:"quorum_max,omitempty"`
	// Success: For must exceed SupportRequired of For + Against (0.5 is a
	// simple majority, For > Against) and, when a vote differential is in
	// force, For − Against must exceed it (a fraction of the quorum base).
	// StrictDifferential is Aave's ">" rather than OpenZeppelin-style ">=".
	StrictDifferential bool `json:"strict_differential,omitempty" yaml:"strict_differential,omitempty"`
	// Phases, in days: delay before voting, a final phase in which only
	// objections (Against) may be cast (Lido), the extension a late quorum
	// gives (OpenZeppelin GovernorPreventLateQuorum), and the timelock
	// before execution.
	VotingDelayDays         float64 `json:"voting_delay_days" yaml:"voting_delay_days"`
	ObjectionPhaseDays      float64 `json:"objection_phase_days,omitempty" yaml:"objection_phase_days,omitempty"`
	LateQuorumExtensionDays float64 `json:"late_quorum_extension_days,omitempty" yaml:"late_quorum_extension_days,omitempty"`
	TimelockDays            float64 `json:"timelock_days,omitempty" yaml:"timelock_days,omitempty"`
	// Tracks names the governor's tracks (Aave's short and long executors,
	// Arbitrum's constitutional and non-constitutional); one config tunes
	// one track.
	Tracks []string `json:"tracks,omitempty" yaml:"tracks,omitempty"`
	// Changes says, per parameter name, whether a vote or an upgrade
	// changes it. A parameter not listed cannot be changed at all.
	Changes map[string]Change `json:"changes" yaml:"changes"`
}

// Parameter names shared with the token-voting model.
const (
	Quorum              = "quorum"
	ProposalThreshold   = "proposal_threshold"
	VotingPeriodDays    = "voting_period_days"
	VoteDifferential    = "vote_differential"
	SupportRequired     = "support_required"
	ParticipationReward = "participation_reward"
)

// families are the built-in rule sets. Sources: OpenZeppelin Governor 4.x/5.x
// (GovernorCountingSimple, GovernorVotesQuorumFraction,
// GovernorPreventLateQuorum, GovernorSettings); Compound GovernorBravoDelegate
// (quorumVotes is a constant; _setVotingDelay, _setVotingPeriod,
// _setProposalThreshold); Aave AaveGovernanceV2 and its Executor
// (ProposalValidator: MINIMUM_QUORUM, VOTE_DIFFERENTIAL, VOTING_DURATION and
// PROPOSITION_THRESHOLD are immutable; setVotingDelay is a setter); Aragon
// Voting as patched by Lido (minAcceptQuorumPct and supportRequiredPct of
// yeas, objection phase, unsafelyChangeVoteTime); Arbitrum Core and
// Treasury governors (OpenZeppelin with quorum of votable supply and late
// quorum extension); Nouns DAO Logic V2/V3 (dynamic quorum).
var families = map[string]Rules{
	"oz": {
		QuorumCounts: ForAbstain, QuorumBase: TotalSupply, VotingDelayDays: 1,
		Changes: map[string]Change{Quorum: Vote, ProposalThreshold: Vote, VotingPeriodDays: Vote,
			VoteDifferential: Upgrade, SupportRequired: Upgrade, ParticipationReward: Upgrade},
	},
	"bravo": {
		QuorumCounts: ForOnly, QuorumBase: Fixed, VotingDelayDays: 2, TimelockDays: 2,
		Changes: map[string]Change{Quorum: Upgrade, ProposalThreshold: Vote, VotingPeriodDays: Vote,
			VoteDifferential: Upgrade, SupportRequired: Upgrade, ParticipationReward: Upgrade},
	},
	"aave-v2": {
		QuorumCounts: ForOnly, QuorumBase: TotalSupply, StrictDifferential: true, VotingDelayDays: 0, TimelockDays: 1,
		Tracks: []string{"short", "long"},
		Changes: map[string]Change{Quorum: Upgrade, ProposalThreshold: Upgrade, VotingPeriodDays: Upgrade,
			VoteDifferential: Upgrade, SupportRequired: Upgrade, ParticipationReward: Upgrade},
	},
	"aragon": {
		QuorumCounts: ForOnly, QuorumBase: TotalSupply, VotingDelayDays: 0,
		Changes: map[string]Change{Quorum: Vote, SupportRequired: Vote, VotingPeriodDays: Vote,
			ParticipationReward: Upgrade},
	},
	"arbitrum": {
		QuorumCounts: ForAbstain, QuorumBase: VotableSupply, VotingDelayDays: 3, LateQuorumExtensionDays: 2,
		Tracks: []string{"constitutional", "non-constitutional"},
		Changes: map[string]Change{Quorum: Vote, ProposalThreshold: Vote, VotingPeriodDays: Vote,
			VoteDifferential: Upgrade, SupportRequired: Upgrade, ParticipationReward: Upgrade},
	},
	"nouns": {
		QuorumCounts: ForOnly, QuorumBase: Dynamic, VotingDelayDays: 1, TimelockDays: 2,
		Changes: map[string]Change{Quorum: Vote, ProposalThreshold: Vote, VotingPeriodDays: Vote,
			VoteDifferential: Upgrade, SupportRequired: Upgrade, ParticipationReward: Upgrade},
	},
}

// Families returns the names of the built-in governor families, sorted.
func Families() []string {
	names := make([]string, 0, len(families))
	for k := range families {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Family returns the built-in rules of the named family.
func Family(name string) (Rules, error) {
	r, ok := families[name]
	if !ok {
		return Rules{}, fmt.Errorf("unknown governor %q; known governors: %s: %w", name, strings.Join(Families(), ", "), ErrInvalid)
	}
	r.Family = name
	r.Tracks = slices.Clone(r.Tracks)
	c := make(map[string]Change, len(r.Changes))
	for k, v := range r.Changes {
		c[k] = v
	}
	r.Changes = c
	return r, nil
}

// Validate checks that the rules can hold.
func (r Rules) Validate() error {
	var bad []string
	switch r.QuorumCounts {
	case ForAbstain, ForOnly, AllCast:
	default:
		bad = append(bad, fmt.Sprintf("quorum_counts %q is not one of for_abstain, for, all", r.QuorumCounts))
	}
	switch r.QuorumBase {
	case TotalSupply, VotableSupply, Fixed, Dynamic:
	default:
		bad = append(bad, fmt.Sprintf("quorum_base %q is not one of total_supply, votable_supply, fixed, dynamic", r.QuorumBase))
	}
	for name, v := range map[string]float64{
		"quorum_coefficient": r.QuorumCoefficient, "quorum_max": r.QuorumMax,
		"voting_delay_days": r.VotingDelayDays, "objection_phase_days": r.ObjectionPhaseDays,
		"late_quorum_extension_days": r.LateQuorumExtensionDays, "timelock_days": r.TimelockDays,
	} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			bad = append(bad, fmt.Sprintf("%s is %v; want a finite number, 0 or more", name, v))
		}
	}
	if r.QuorumBase == Dynamic && r.QuorumMax <= 0 {
		bad = append(bad, "a dynamic quorum needs quorum_max, the cap of the quorum as a fraction of supply")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Changes)) {
		if v := r.Changes[k]; v != Vote && v != Upgrade {
			bad = append(bad, fmt.Sprintf("changes.%s is %q; want vote or upgrade", k, v))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%s: %w", strings.Join(bad, "; "), ErrInvalid)
}

// Changeable reports how param can be changed and whether it can be at all.
func (r Rules) Changeable(param string) (Change, bool) {
	c, ok := r.Changes[param]
	return c, ok
}

// Tally is the power cast on one proposal, in tokens.
type Tally struct {
	For, Against, Abstain float64
}

// Cast is the total power cast.
func (t Tally) Cast() float64 { return t.For + t.Against + t.Abstain }

// Settings are the parameter values a decision is made under.
type Settings struct {
	// Quorum, VoteDifferential: fractions of Base.
	Quorum, VoteDifferential float64
	// SupportRequired: share of For in For + Against that must be exceeded;
	// 0 means 0.5 (a simple majority).
	SupportRequired float64
	// Base is the quorum base in tokens: total supply, votable supply or the
	// fixed reference supply, as the rules' QuorumBase says.
	Base float64
}

// Decision is what the rules make of one tally.
type Decision struct {
	// QuorumVotes is the quorum in tokens the tally was held to.
	QuorumVotes   float64
	QuorumReached bool
	Passed        bool
}

// Counted returns the power that counts towards quorum.
func (r Rules) Counted(t Tally) float64 {
	switch r.QuorumCounts {
	case ForOnly:
		return t.For
	case AllCast:
		return t.Cast()
	}
	return t.For + t.Abstain
}

// QuorumVotes returns the quorum in tokens for a tally under s: a fraction
// of the base, raised for a dynamic quorum by the Against share.
func (r Rules) QuorumVotes(t Tally, s Settings) float64 {
	q := s.Quorum
	if r.QuorumBase == Dynamic && s.Base > 0 {
		q = min(q+r.QuorumCoefficient*t.Against/s.Base, max(r.QuorumMax, q))
	}
	return q * s.Base
}

// Decide applies the rules to a tally: quorum (of the counted votes, with
// Bravo's and Aave's ">=" and Aragon's percentage alike taken as reached at
// equality), support (For must exceed SupportRequired of For + Against) and
// the differential (For − Against of at least, or with StrictDifferential
// more than, VoteDifferential × Base).
func (r Rules) Decide(t Tally, s Settings) Decision {
	d := Decision{QuorumVotes: r.QuorumVotes(t, s)}
	d.QuorumReached = r.Counted(t) >= d.QuorumVotes && r.Counted(t) > 0
	support := s.SupportRequired
	if support <= 0 {
		support = 0.5
	}
	ok := t.For > support*(t.For+t.Against)
	if s.VoteDifferential > 0 {
		margin := t.For - t.Against
		need := s.VoteDifferential * s.Base
		if r.StrictDifferential {
			ok = ok && margin > need
		} else {
			ok = ok && margin >= need
		}
	}
	d.Passed = d.QuorumReached && ok
	return d
}
