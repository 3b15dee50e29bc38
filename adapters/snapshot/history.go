package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/attune-dao/attune/history"
)

// mapped is a proposal read from the hub and what it becomes in the
// history.
type mapped struct {
	api apiProposal
	p   history.Proposal
	// support maps a choice number minus one to For, Against or Abstain.
	support []history.Support
	// counted: the vote is closed and its scores final; its votes are
	// read.
	counted bool
	// cast counts the votes read.
	cast int
}

// Words that name a For, Against or Abstain choice of a single-choice
// vote, lower case.
var (
	forWords     = []string{"for", "yes", "yea", "yae", "aye", "approve", "accept", "in favor", "in favour"}
	againstWords = []string{"against", "no", "nay", "reject", "deny", "oppose"}
	abstainWords = []string{"abstain"}
)

// supports maps the choices of a proposal of voting type typ to For,
// Against and Abstain, or returns nil when they are not such a vote.
// Basic voting's choices are For, Against and, unless hidden, Abstain,
// in that order, whatever their labels. A single-choice vote (the type
// of proposals older than voting types, "") qualifies when its choices
// are one For word, one Against word and at most one Abstain word, in
// any order; approval, ranked-choice, weighted and quadratic votes and
// other single-choice votes do not.
func supports(typ string, choices []string) []history.Support {
	switch typ {
	case "basic":
		if len(choices) < 2 || len(choices) > 3 {
			return nil
		}
		return []history.Support{history.For, history.Against, history.Abstain}[:len(choices)]
	case "single-choice", "":
		if len(choices) < 2 || len(choices) > 3 {
			return nil
		}
		out := make([]history.Support, len(choices))
		count := map[history.Support]int{}
		for i, c := range choices {
			c = strings.ToLower(strings.TrimSpace(c))
			switch {
			case slices.Contains(forWords, c):
				out[i] = history.For
			case slices.Contains(againstWords, c):
				out[i] = history.Against
			case slices.Contains(abstainWords, c):
				out[i] = history.Abstain
			default:
				return nil
			}
			count[out[i]]++
		}
		if count[history.For] != 1 || count[history.Against] != 1 || count[history.Abstain] > 1 {
			return nil
		}
		return out
	}
	return nil
}

// unix is a hub time as a time.Time in UTC.
func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// classify maps a hub proposal. skip, when not empty, says why the
// proposal has no place in the history; err reports an answer that
// breaks the hub's schema.
func classify(a apiProposal) (m *mapped, skip string, err error) {
	sup := supports(a.Type, a.Choices)
	if sup == nil {
		typ := a.Type
		if typ == "" {
			typ = "single-choice"
		}
		return nil, typ + " votes that are not For/Against(/Abstain)", nil
	}
	// The vote cannot open before the proposal exists: the hub lets an
	// author set a start in the past.
	created, start, end := unix(a.Created), unix(max(a.Start, a.Created)), unix(a.End)
	if !end.After(start) {
		return nil, "votes that end before they start or before the proposal was created", nil
	}
	m = &mapped{api: a, support: sup, p: history.Proposal{
		ID: a.ID, Proposer: a.Author, Created: created, Start: start, End: end, Title: a.Title,
	}}
	switch a.State {
	case "pending":
		m.p.State = history.Pending
	case "active":
		m.p.State = history.Active
	case "closed":
		if a.ScoresState != "final" {
			// Closed but not yet counted: still open as far as the
			// history goes, read again next time.
			m.p.State = history.Active
			break
		}
		m.counted = true
	default:
		return nil, "", fmt.Errorf("proposal %q has state %q; the hub's states are pending, active and closed", a.ID, a.State)
	}
	for i, s := range sup {
		if i >= len(a.Scores) {
			break
		}
		switch s {
		case history.For:
			m.p.For = a.Scores[i]
		case history.Against:
			m.p.Against = a.Scores[i]
		case history.Abstain:
			m.p.Abstain = a.Scores[i]
		}
	}
	m.p.Voters = a.Votes
	if m.counted {
		m.p.State = history.Defeated
		if passed(a, m.p) {
			m.p.State = history.Succeeded
		}
	}
	return m, "", nil
}

// passed decides a counted vote the way Snapshot's interface does
// (snapshot-labs/sx-monorepo, apps/ui/src/networks/offchain/api/index.ts,
// getProposalState, and apps/ui/src/helpers/quorum.ts): with a quorum of
// rejection, the proposal fails when the Against power exceeds the
// quorum and passes otherwise; with the default quorum, it fails when
// the power cast (scores_total, all choices) is below the quorum, and
// otherwise passes when For exceeds Against. Snapshot applies this to
// basic votes; attune applies it to For/Against single-choice votes too.
func passed(a apiProposal, p history.Proposal) bool {
	if a.QuorumType == "rejection" {
		return !(p.Against > a.Quorum)
	}
	if a.ScoresTotal < a.Quorum {
		return false
	}
	return p.For > p.Against
}

// vote maps a vote on m.
func (m *mapped) vote(v *apiVote) (history.Vote, error) {
	if v.Choice.N < 1 || v.Choice.N > len(m.support) {
		return history.Vote{}, fmt.Errorf("vote %q on proposal %q: its choice is not a number from 1 to %d", v.ID, m.api.ID, len(m.support))
	}
	if !v.VP.Set || math.IsNaN(v.VP.V) || math.IsInf(v.VP.V, 0) || v.VP.V < 0 {
		return history.Vote{}, fmt.Errorf("vote %q on proposal %q has no voting power (vp); want a number, 0 or more", v.ID, m.api.ID)
	}
	if strings.TrimSpace(v.Voter) == "" {
		return history.Vote{}, fmt.Errorf("vote %q on proposal %q names no voter", v.ID, m.api.ID)
	}
	return history.Vote{Proposal: m.api.ID, Voter: v.Voter, Support: m.support[v.Choice.N-1], Weight: v.VP.V, Time: unix(v.Created)}, nil
}

// quorumParam is the quorum change a proposal records: its quorum as a
// fraction of supply, from its start. Quorums of rejection count Against
// votes and are not a quorum in attune's sense: they record none.
func quorumParam(a apiProposal, supply float64) (history.ParamChange, bool) {
	if a.QuorumType == "rejection" {
		return history.ParamChange{}, false
	}
	return history.ParamChange{
		Time: unix(max(a.Start, a.Created)), Name: "quorum", Value: a.Quorum / supply,
		Event: "snapshot proposal " + a.ID,
	}, true
}

// compact sorts params by time and drops each change that sets the value
// already in force.
func compact(params []history.ParamChange) []history.ParamChange {
	slices.SortStableFunc(params, func(a, b history.ParamChange) int { return a.Time.Compare(b.Time) })
	out := params[:0]
	in := map[string]float64{}
	for _, c := range params {
		if v, ok := in[c.Name]; ok && v == c.Value {
			continue
		}
		in[c.Name] = c.Value
		out = append(out, c)
	}
	return out
}

// read reads the space, or brings prev up to date when it is not nil.
func (src *Source) read(ctx context.Context, prev *history.History) (*history.History, error) {
	var dao, symbol, about string
	from := src.s.since
	var again []string // proposals to read again
	prevAt := map[string]int{}
	if prev == nil {
		sp, err := src.space(ctx)
		if err != nil {
			return nil, err
		}
		dao, symbol, about = cmp.Or(strings.TrimSpace(sp.Name), sp.ID), strings.TrimSpace(sp.Symbol), describe(sp)
	} else {
		dao, symbol = prev.DAO, prev.Token.Symbol
		if len(prev.Provenance) > 1 {
			about = prev.Provenance[1]
		}
		for i, p := range prev.Proposals {
			prevAt[p.ID] = i
			from = max(from, p.Created.Unix())
			if !settled(p) {
				again = append(again, p.ID)
			}
		}
	}
	symbol = cmp.Or(src.s.symbol, symbol)
	if symbol == "" {
		return nil, src.fail("reading the space's settings", fmt.Errorf("the space names no token symbol; set symbol"))
	}

	raw, err := src.proposals(ctx, from)
	if err != nil {
		return nil, err
	}
	if len(again) > 0 {
		more, err := src.proposalsByID(ctx, again)
		if err != nil {
			return nil, err
		}
		raw = append(raw, more...)
	}

	var fresh, count []*mapped
	seen := map[string]bool{}
	skipped := map[string]int{}
	expected := 0
	for _, a := range raw {
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		if i, ok := prevAt[a.ID]; ok && settled(prev.Proposals[i]) {
			continue // counted last time: kept as it was
		}
		m, why, err := classify(a)
		if err != nil {
			return nil, src.fail("reading the proposals", err)
		}
		if why != "" {
			skipped[why]++
			continue
		}
		fresh = append(fresh, m)
		if m.counted {
			count = append(count, m)
			expected += max(a.Votes, 0)
		}
	}
	for why, n := range skipped {
		src.log.Info("snapshot: proposals left out", "space", src.s.space, "count", n, "why", why)
	}
	if expected > src.s.maxVotes {
		return nil, src.fail("reading the votes", fmt.Errorf("the %d proposals to count hold %d votes, more than max_votes (%d); set since to read fewer proposals, or raise max_votes", len(count), expected, src.s.maxVotes))
	}
	votes, err := src.votes(ctx, count, src.s.maxVotes)
	if err != nil {
		return nil, err
	}
	for _, m := range count {
		if m.cast != m.api.Votes {
			src.log.Warn("snapshot: the hub counts another number of votes than it lists", "space", src.s.space, "proposal", m.api.ID, "counted", m.api.Votes, "listed", m.cast)
		}
		m.p.Voters = m.cast
	}

	h := &history.History{
		DAO: dao, Source: "snapshot:" + src.s.space, Token: history.Token{Symbol: symbol},
		Provenance: []string{src.origin()},
	}
	if about != "" {
		h.Provenance = append(h.Provenance, about)
	}
	var params []history.ParamChange
	replaced := map[string]bool{}
	for _, m := range fresh {
		replaced[m.api.ID] = true
		h.Proposals = append(h.Proposals, m.p)
		if c, ok := quorumParam(m.api, src.s.supply); ok {
			params = append(params, c)
		}
	}
	h.Votes = votes
	if prev != nil {
		dropped := 0
		for _, p := range prev.Proposals {
			switch {
			case replaced[p.ID]:
			case settled(p):
				h.Proposals = append(h.Proposals, p)
			default:
				dropped++
			}
		}
		if dropped > 0 {
			src.log.Info("snapshot: proposals open last time are gone from the hub or left out now", "space", src.s.space, "count", dropped)
		}
		for _, v := range prev.Votes {
			if !replaced[v.Proposal] {
				h.Votes = append(h.Votes, v)
			}
		}
		for _, c := range prev.Params {
			if !replaced[strings.TrimPrefix(c.Event, "snapshot proposal ")] {
				params = append(params, c)
			}
		}
	}
	if len(h.Proposals) == 0 {
		return nil, src.fail("reading the proposals", fmt.Errorf("the space has no For/Against(/Abstain) proposal%s; attune needs at least one", sinceText(src.s.since)))
	}
	slices.SortFunc(h.Proposals, func(a, b history.Proposal) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	order := make(map[string]int, len(h.Proposals))
	for i, p := range h.Proposals {
		order[p.ID] = i
	}
	slices.SortStableFunc(h.Votes, func(a, b history.Vote) int {
		return cmp.Or(order[a.Proposal]-order[b.Proposal], a.Time.Compare(b.Time), strings.Compare(a.Voter, b.Voter))
	})
	h.Params = compact(params)
	h.Supply = []history.SupplyPoint{{Time: h.Proposals[0].Created, Total: src.s.supply}}
	src.log.Info("snapshot: read", "space", src.s.space, "proposals", len(h.Proposals), "new", len(fresh), "votes", len(h.Votes), "new_votes", len(votes))
	return h, nil
}

// settled reports whether a proposal of an earlier read was counted: it
// is not read again.
func settled(p history.Proposal) bool { return p.State != history.Active && p.State != history.Pending }

func sinceText(since int64) string {
	if since == 0 {
		return ""
	}
	return " created since " + unix(since).Format(time.RFC3339)
}

// describe summarises the space's settings for the provenance.
func describe(sp *apiSpace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "space %s settings: network %s", sp.ID, cmp.Or(sp.Network, "?"))
	if len(sp.Strategies) > 0 {
		names := make([]string, len(sp.Strategies))
		for i, s := range sp.Strategies {
			names[i] = s.Name
		}
		fmt.Fprintf(&b, ", strategies %s", strings.Join(names, ", "))
	}
	if v := sp.Voting; v != nil {
		if v.Type != "" {
			fmt.Fprintf(&b, ", voting type %s", v.Type)
		}
		if v.Quorum != nil {
			fmt.Fprintf(&b, ", quorum %g (%s)", *v.Quorum, cmp.Or(v.QuorumType, "default"))
		}
		if v.Period != nil && *v.Period > 0 {
			fmt.Fprintf(&b, ", voting period %gd", float64(*v.Period)/86400)
		}
	}
	return b.String()
}
