package metrics

import (
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
)

// FromHistory computes an Observation from a governance history over the
// window w: the proposals decided (passed or defeated) on track ("" for
// all) whose voting ended in [w.Start, w.End), counted by rules under the
// parameters in force when each vote started. Canceled proposals do not
// count. It reports the proposal count and pass rate, the mean turnout by
// power and its 10th, 50th and 90th percentiles, the quorum-failure rate
// (when the history records the quorum), the proposals per month and the
// total and votable supply; with individual votes also the voters, the
// Gini and top-10 share of cast power, how regularly the ten largest voters
// turn up, the Nakamoto coefficient of cast power and the electorate; with
// a holders snapshot the holders' figures.
//
// The definitions are the ones the simulator reports, so observed and
// simulated values compare like for like. It returns an error wrapping
// ErrInvalid when no proposal was decided in the window.
func FromHistory(h *history.History, w Window, rules governor.Rules, track string) (Observation, error) {
	o := Observation{DAO: h.DAO, Source: h.Source, Window: w, Metrics: Values{}}
	var decided []history.Proposal
	for _, p := range h.Proposals {
		if !p.State.Decided() || p.End.Before(w.Start) || !p.End.Before(w.End) {
			continue
		}
		if track != "" && p.Track != track {
			continue
		}
		decided = append(decided, p)
	}
	if len(decided) == 0 {
		what := ""
		if track != "" {
			what = fmt.Sprintf(" on track %q", track)
		}
		return o, fmt.Errorf("history %s: no proposal%s was decided between %s and %s; widen the window or check the track: %w",
			h.Source, what, w.Start.Format(time.DateOnly), w.End.Format(time.DateOnly), ErrInvalid)
	}
	m := o.Metrics
	supply := h.SupplyAt(w.End)
	m[TotalSupply] = supply.Total
	if supply.Votable > 0 {
		m[VotableSupply] = supply.Votable
	}
	var passed, quorumKnown, quorumFail, sided, passedSided int
	failed := make([]float64, len(decided))
	var forShare, abstainShare float64
	turnouts := make([]float64, len(decided))
	for i, p := range decided {
		if p.State.Passed() {
			passed++
		}
		s := h.SupplyAt(p.Start)
		turnouts[i] = Turnout(p.For+p.Against+p.Abstain, s.Total)
		if p.For+p.Against > 0 {
			abstainShare += p.Abstain / (p.For + p.Against + p.Abstain)
			sided++
			if p.State.Passed() {
				forShare += p.For / (p.For + p.Against)
				passedSided++
			}
		}
		params := h.ParamsAt(p.Start, p.Track)
		if q, ok := params[governor.Quorum]; ok {
			quorumKnown++
			base := s.Total
			if rules.QuorumBase == governor.VotableSupply && s.Votable > 0 {
				base = s.Votable
			}
			d := rules.Decide(governor.Tally{For: p.For, Against: p.Against, Abstain: p.Abstain},
				governor.Settings{Quorum: q, Base: base})
			if !d.QuorumReached {
				quorumFail++
				failed[i] = 1
			}
		}
	}
	if sided > 0 {
		m[AbstainShare] = abstainShare / float64(sided)
	}
	if passedSided > 0 {
		m[ForShare] = forShare / float64(passedSided)
	}
	m[Proposals] = float64(len(decided))
	m[ProposalsPassed] = float64(passed)
	m[PassRateName] = PassRate(passed, len(decided))
	m[ProposalsPerMonth] = float64(len(decided)) / w.Days() * 30
	m[TurnoutPower] = stat.Mean(turnouts, nil)
	m[TurnoutP10], m[TurnoutP50], m[TurnoutP90] = TurnoutQuantiles(turnouts)
	if quorumKnown == len(decided) {
		m[QuorumFailureRate] = float64(quorumFail) / float64(len(decided))
	}
	o.Uncertainty = uncertainty(decided, turnouts, failed, quorumKnown == len(decided))
	if hd := h.Holders; hd != nil {
		m[Holders] = float64(hd.Count)
		m[GiniName] = hd.Gini
		m[Top10ShareName] = hd.Top10Share
		m[DelegatedShare] = hd.DelegatedShare
		m[Delegates] = float64(hd.Delegates)
	}
	electorate(h, decided, &o)
	if n, ok := m[Holders]; ok && n > 0 && len(o.Electorate) > 0 {
		var addrs float64
		for _, p := range decided {
			addrs += float64(p.Voters)
		}
		m[TurnoutCount] = addrs / float64(len(decided)) / n
	}
	return o, nil
}

// electorate fills the voter-level metrics and the electorate from the
// votes on the decided proposals, if the history has votes.
func electorate(h *history.History, decided []history.Proposal, o *Observation) {
	// Proposals in the order their votes ended, for active spans.
	byEnd := slices.Clone(decided)
	slices.SortStableFunc(byEnd, func(a, b history.Proposal) int { return a.End.Compare(b.End) })
	index := make(map[string]int, len(byEnd))
	for i, p := range byEnd {
		index[p.ID] = i
	}
	weights := map[string][]float64{}
	cast := map[string]float64{}
	first, last := map[string]int{}, map[string]int{}
	for _, v := range h.Votes {
		i, ok := index[v.Proposal]
		if !ok {
			continue
		}
		if _, seen := weights[v.Voter]; !seen {
			first[v.Voter], last[v.Voter] = i, i
		}
		first[v.Voter], last[v.Voter] = min(first[v.Voter], i), max(last[v.Voter], i)
		weights[v.Voter] = append(weights[v.Voter], v.Weight)
		cast[v.Voter] += v.Weight
	}
	if len(weights) == 0 {
		return
	}
	voters := slices.Sorted(func(yield func(string) bool) {
		for k := range weights {
			if !yield(k) {
				return
			}
		}
	})
	type voter struct {
		power       float64
		votes, span int
	}
	vs := make([]voter, len(voters))
	castPower := make([]float64, len(voters))
	for i, addr := range voters {
		ws := slices.Sorted(slices.Values(weights[addr]))
		vs[i] = voter{power: stat.Quantile(0.5, stat.Empirical, ws, nil), votes: len(ws), span: last[addr] - first[addr] + 1}
		castPower[i] = cast[addr]
	}
	// Largest first; ties by address order, so the result is deterministic.
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case vs[a].power > vs[b].power:
			return -1
		case vs[a].power < vs[b].power:
			return 1
		}
		return 0
	})
	n := len(decided)
	o.Electorate = make([]Voter, len(vs))
	for j, i := range order {
		o.Electorate[j] = Voter{Power: vs[i].power, Votes: vs[i].votes, Eligible: vs[i].span, Proposals: n}
	}
	var reg float64
	top := min(10, len(order))
	for _, i := range order[:top] {
		reg += float64(vs[i].votes) / float64(n)
	}
	m := o.Metrics
	m[TopVoterRegularity] = reg / float64(top)
	m[Voters] = float64(len(vs))
	m[GiniCast] = Gini(castPower)
	m[Top10CastShare] = TopKShare(castPower, 10)
	m[NakamotoName] = float64(Nakamoto(castPower))
}

// TurnoutQuantiles returns the 10th, 50th and 90th percentiles of the
// per-proposal turnouts xs, 0 for none. It uses Hyndman and Fan's type 8
// estimator, which is median-unbiased whatever the sample size, so the
// quantiles of a simulated replication of a few dozen proposals compare
// fairly with those of a longer observed window. Observed and simulated
// turnout distributions are both summarised by it.
func TurnoutQuantiles(xs []float64) (p10, p50, p90 float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Sorted(slices.Values(xs))
	return quantile8(s, 0.1), quantile8(s, 0.5), quantile8(s, 0.9)
}

// quantile8 is the type 8 quantile p of the ascending values s.
func quantile8(s []float64, p float64) float64 {
	n := float64(len(s))
	h := (n+1.0/3)*p + 1.0/3 // 1-based position
	switch {
	case h <= 1:
		return s[0]
	case h >= n:
		return s[len(s)-1]
	}
	lo := math.Floor(h)
	i := int(lo) - 1
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// uncertaintyLevel and uncertaintyResamples shape the bootstrap behind
// Observation.Uncertainty; uncertaintySeed fixes it, so an observation is
// reproducible.
const (
	uncertaintyLevel     = 0.9
	uncertaintyResamples = 1000
	uncertaintySeed      = 0x756e63
)

// uncertainty returns the half-width of the bootstrap interval of each
// per-proposal metric: pass rate, quorum-failure rate, mean turnout and its
// percentiles.
func uncertainty(decided []history.Proposal, turnouts, failed []float64, quorumKnown bool) Values {
	passed := make([]float64, len(decided))
	for i, p := range decided {
		if p.State.Passed() {
			passed[i] = 1
		}
	}
	mean := func(xs []float64) float64 { return stat.Mean(xs, nil) }
	q := func(p float64) func([]float64) float64 {
		return func(xs []float64) float64 { return quantile8(slices.Sorted(slices.Values(xs)), p) }
	}
	half := func(xs []float64, f func([]float64) float64) float64 {
		_, lo, hi := Bootstrap(xs, f, uncertaintyLevel, uncertaintyResamples, uncertaintySeed)
		return (hi - lo) / 2
	}
	u := Values{
		PassRateName: half(passed, mean),
		TurnoutPower: half(turnouts, mean),
		TurnoutP10:   half(turnouts, q(0.1)),
		TurnoutP50:   half(turnouts, q(0.5)),
		TurnoutP90:   half(turnouts, q(0.9)),
	}
	if quorumKnown {
		u[QuorumFailureRate] = half(failed, mean)
	}
	return u
}
