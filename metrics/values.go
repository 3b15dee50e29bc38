package metrics

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Names of the metrics that observed data and simulated outcomes share. A
// simulator may report more; these are the ones calibration compares.
const (
	// TurnoutPower is the mean share of total supply cast per proposal.
	TurnoutPower = "turnout"
	// TurnoutCount is the mean share of holders casting a vote per proposal.
	TurnoutCount = "turnout_count"
	// PassRateName is the share of decided proposals that passed.
	PassRateName = "pass_rate"
	// GiniName is the Gini coefficient of holdings.
	GiniName = "gini"
	// Top10ShareName is the share of supply held by the ten largest holders.
	Top10ShareName = "top10_share"
	// NakamotoName is the Nakamoto coefficient of cast voting power.
	NakamotoName = "nakamoto"
	// ProposalsPerMonth is the number of proposals decided per 30 days.
	ProposalsPerMonth = "proposals_per_month"
	// Holders is the number of addresses holding the token.
	Holders = "holders"
	// TotalSupply is the token supply, in tokens, at the window's end.
	TotalSupply = "total_supply"
	// VotableSupply is the supply that can vote (delegated), in tokens.
	VotableSupply = "votable_supply"
	// DelegatedShare is the share of supply delegated.
	DelegatedShare = "delegated_share"
	// Delegates is the number of addresses holding delegated power.
	Delegates = "delegates"
	// Proposals is the number of proposals decided in the window.
	Proposals = "proposals"
	// ProposalsPassed is how many of them passed.
	ProposalsPassed = "proposals_passed"
	// QuorumFailureRate is the share of decided proposals whose counted
	// votes fell short of the quorum in force.
	QuorumFailureRate = "quorum_failure_rate"
	// TurnoutP10, TurnoutP50 and TurnoutP90 are quantiles of the turnout
	// by power across decided proposals: its distribution, not only its
	// mean.
	TurnoutP10 = "turnout_p10"
	TurnoutP50 = "turnout_p50"
	TurnoutP90 = "turnout_p90"
	// TopVoterRegularity is the mean share of decided proposals on which
	// each of the ten largest voters (by voting power) voted: how
	// regularly the largest voters turn up.
	TopVoterRegularity = "top_voter_regularity"
	// GiniCast is the Gini coefficient of voting power cast over the
	// window, per voter.
	GiniCast = "gini_cast"
	// Top10CastShare is the share of all power cast over the window that
	// the ten largest voters cast.
	Top10CastShare = "top10_cast_share"
	// Voters is the number of distinct addresses that voted.
	Voters = "voters"
	// ForShare is the mean over passed proposals of For / (For + Against)
	// by power: how one-sided the votes on proposals that pass are.
	ForShare = "for_share"
	// AbstainShare is the mean over decided proposals of Abstain / cast.
	AbstainShare = "abstain_share"
)

// Values maps metric names to values: the outcome of one simulation, or the
// comparable part of an Observation.
type Values map[string]float64

// Names returns the metric names in v in sorted order, so that anything
// printed from a Values is deterministic.
func (v Values) Names() []string {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// String formats v as "name=value ..." in name order.
func (v Values) String() string {
	var b strings.Builder
	for i, k := range v.Names() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(v[k], 'g', 6, 64))
	}
	return b.String()
}

// Finite reports the first metric in v, in name order, whose value is NaN or
// infinite, and whether there is none.
func (v Values) Finite() (string, bool) {
	for _, k := range v.Names() {
		if math.IsNaN(v[k]) || math.IsInf(v[k], 0) {
			return k, false
		}
	}
	return "", true
}

// MeanValues returns the mean of each metric over vs; a metric missing from
// some of them counts as 0 there. It returns an empty Values for no vs.
func MeanValues(vs []Values) Values {
	out := Values{}
	for _, v := range vs {
		for k, x := range v {
			out[k] += x / float64(len(vs))
		}
	}
	return out
}
