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
