package history

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// States lists the valid proposal states, in the order a proposal may go
// through them.
func States() []State {
	return []State{Pending, Active, Canceled, Defeated, Succeeded, Queued, Expired, Executed}
}

// Valid reports whether s is one of the State constants.
func (s State) Valid() bool {
	switch s {
	case Pending, Active, Canceled, Defeated, Succeeded, Queued, Expired, Executed:
		return true
	}
	return false
}

// Valid reports whether s is For, Against or Abstain.
func (s Support) Valid() bool { return s == For || s == Against || s == Abstain }

// Tolerances of the check that a proposal's votes add up to its tally: the
// sum of the weights of each choice may differ from the tally by
// TallyTolerance of the tally plus TallySlack tokens (rounding when amounts
// are converted from wei, votes cast by contracts the source did not list).
const (
	TallyTolerance = 0.001
	TallySlack     = 1.0
)

// Validate checks every field and the consistency between records, and
// returns a *ValidationError listing every problem found, or nil. It checks:
//
//   - dao and token.symbol are not empty; token.price_usd is a finite number,
//     0 or more;
//   - there is at least one proposal; ids are not empty and unique; created
//     <= start < end, none of them zero; for, against and abstain are finite
//     and 0 or more; voters is 0 or more; state is one of States;
//   - each vote names a known proposal and a voter, support is for, against
//     or abstain, weight is finite and 0 or more, and no voter votes twice on
//     a proposal (0x addresses compare without regard to case);
//   - when a proposal has votes, the weights of each choice add up to its
//     tally (within TallyTolerance and TallySlack) and their number is its
//     voters;
//   - there is at least one supply point; points are in increasing time
//     order; total is finite and above 0; votable is within [0, total];
//   - params are in time order (equal times allowed), names are not empty,
//     values finite and 0 or more;
//   - holders, if given: count at least 1, gini in [0, 1), top10_share and
//     delegated_share in [0, 1], delegates 0 or more.
func (h *History) Validate() error {
	if h == nil {
		return &ValidationError{Problems: []Problem{{Msg: "is nil; want a history"}}}
	}
	ps := h.problems(jsonLocator)
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Source: h.Source, Problems: place(h, ps, jsonLocator)}
}

type vcheck struct {
	loc locator
	ps  []problem
}

func (c *vcheck) add(sec string, idx int, field, format string, args ...any) {
	c.ps = append(c.ps, problem{sec: sec, idx: idx, field: field, msg: fmt.Sprintf(format, args...)})
}

// ref names another record in a message, the way the reader names records.
func (c *vcheck) ref(sec string, idx int) string {
	where, _ := c.loc(sec, idx, "")
	return where
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// amount checks a finite quantity, 0 or more.
func (c *vcheck) amount(sec string, idx int, field string, x float64, what string) bool {
	if !finite(x) || x < 0 {
		c.add(sec, idx, field, "is %v; want %s, a finite number, 0 or more", x, what)
		return false
	}
	return true
}

// share checks a fraction in [0, 1].
func (c *vcheck) share(sec string, idx int, field string, x float64, what string) {
	if !finite(x) || x < 0 || x > 1 {
		c.add(sec, idx, field, "is %v; want %s, a number in [0, 1]", x, what)
	}
}

// when checks a time is set.
func (c *vcheck) when(sec string, idx int, field string, t time.Time) bool {
	if t.IsZero() {
		c.add(sec, idx, field, "is missing or zero; want an RFC 3339 time such as 2021-04-01T00:00:00Z")
		return false
	}
	return true
}

// MaxText bounds a name or id in a history, in characters; MaxTitle
// bounds a proposal's title. Longer values are refused (and never echoed
// whole in a message or a log line).
const (
	MaxText  = 200
	MaxTitle = 2000
)

// text checks that a name or id is at most limit characters long.
func (c *vcheck) text(sec string, idx int, field, v string, limit int) {
	if n := utf8.RuneCountInString(v); n > limit {
		c.add(sec, idx, field, "is %d characters long, starting %q; want at most %d", n, clip(v), limit)
	}
}

// clip shortens a value quoted in a message to at most 40 characters.
func clip(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func stateList() string {
	names := make([]string, 0, 8)
	for _, s := range States() {
		names = append(names, string(s))
	}
	return strings.Join(names, ", ")
}

// voterKey identifies a voter: 0x addresses are hexadecimal and compare
// without regard to case (checksummed or not); other names as written.
func voterKey(v string) string {
	if len(v) > 2 && (v[:2] == "0x" || v[:2] == "0X") {
		return strings.ToLower(v)
	}
	return v
}

// problems lists every problem in h, naming other records with loc.
func (h *History) problems(loc locator) []problem {
	c := &vcheck{loc: loc}
	if strings.TrimSpace(h.DAO) == "" {
		c.add("", -1, "dao", "is empty; want the DAO's name")
	}
	c.text("", -1, "dao", h.DAO, MaxText)
	c.text("", -1, "token.symbol", h.Token.Symbol, 32)
	for i, p := range h.Proposals {
		for _, f := range []struct{ name, v string }{{"id", p.ID}, {"track", p.Track}, {"proposer", p.Proposer}, {"title", p.Title}} {
			limit := MaxText
			if f.name == "title" {
				limit = MaxTitle
			}
			c.text("proposals", i, f.name, f.v, limit)
		}
	}
	for j, v := range h.Votes {
		c.text("votes", j, "proposal", v.Proposal, MaxText)
		c.text("votes", j, "voter", v.Voter, MaxText)
	}
	for k, p := range h.Params {
		c.text("params", k, "name", p.Name, MaxText)
	}
	if strings.TrimSpace(h.Token.Symbol) == "" {
		c.add("", -1, "token.symbol", "is empty; want the governance token's symbol, e.g. COMP")
	}
	c.amount("", -1, "token.price_usd", h.Token.Price, "the token's price in USD (0 if unknown)")

	// Proposals.
	if len(h.Proposals) == 0 {
		c.add("", -1, "proposals", "is empty; want at least one proposal")
	}
	byID := make(map[string]int, len(h.Proposals)) // id -> index of its first proposal
	dupID := make(map[string]bool)
	for i, p := range h.Proposals {
		const sec = "proposals"
		switch first, seen := byID[p.ID]; {
		case strings.TrimSpace(p.ID) == "":
			c.add(sec, i, "id", "is empty; want the proposal's id as the governor numbers it")
		case seen:
			c.add(sec, i, "id", "%q is also the id of %s; want each id once", clip(p.ID), c.ref(sec, first))
			dupID[p.ID] = true
		default:
			byID[p.ID] = i
		}
		okC := c.when(sec, i, "created", p.Created)
		okS := c.when(sec, i, "start", p.Start)
		okE := c.when(sec, i, "end", p.End)
		if okC && okS && p.Start.Before(p.Created) {
			c.add(sec, i, "start", "%s is before created %s; want created <= start < end", stamp(p.Start), stamp(p.Created))
		}
		if okS && okE {
			switch {
			case p.End.Before(p.Start):
				c.add(sec, i, "end", "%s is before start %s; want created <= start < end", stamp(p.End), stamp(p.Start))
			case p.End.Equal(p.Start):
				c.add(sec, i, "end", "%s equals start; want created <= start < end", stamp(p.End))
			}
		}
		c.amount(sec, i, "for", p.For, "the voting power cast for, in tokens")
		c.amount(sec, i, "against", p.Against, "the voting power cast against, in tokens")
		c.amount(sec, i, "abstain", p.Abstain, "the voting power that abstained, in tokens")
		if p.Voters < 0 {
			c.add(sec, i, "voters", "is %d; want the number of addresses that voted, 0 or more", p.Voters)
		}
		if !p.State.Valid() {
			c.add(sec, i, "state", "is %q; want one of %s", clip(string(p.State)), stateList())
		}
	}

	// Votes.
	type tally struct {
		sum   [3]float64
		count int
		bad   bool // a vote of it is invalid: its sums mean nothing
	}
	tallies := make(map[string]*tally)
	type ballot struct{ proposal, voter string }
	cast := make(map[ballot]int, len(h.Votes))
	for j, v := range h.Votes {
		const sec = "votes"
		ok := true
		_, known := byID[v.Proposal]
		switch {
		case v.Proposal == "":
			c.add(sec, j, "proposal", "is empty; want the id of a proposal in proposals")
			known = false
		case !known:
			c.add(sec, j, "proposal", "%q is not the id of any proposal; want one of the ids in proposals", clip(v.Proposal))
		}
		if strings.TrimSpace(v.Voter) == "" {
			c.add(sec, j, "voter", "is empty; want the voter's address")
			ok = false
		} else if known {
			b := ballot{v.Proposal, voterKey(v.Voter)}
			if first, seen := cast[b]; seen {
				c.add(sec, j, "voter", "%q already voted on proposal %q in %s; want at most one vote per voter and proposal", clip(v.Voter), clip(v.Proposal), c.ref(sec, first))
				ok = false
			} else {
				cast[b] = j
			}
		}
		if !v.Support.Valid() {
			c.add(sec, j, "support", "is %q; want for, against or abstain", clip(string(v.Support)))
			ok = false
		}
		if !c.amount(sec, j, "weight", v.Weight, "the voting power cast, in tokens") {
			ok = false
		}
		if !known {
			continue
		}
		t := tallies[v.Proposal]
		if t == nil {
			t = &tally{}
			tallies[v.Proposal] = t
		}
		t.count++
		if !ok {
			t.bad = true
			continue
		}
		switch v.Support {
		case For:
			t.sum[0] += v.Weight
		case Against:
			t.sum[1] += v.Weight
		case Abstain:
			t.sum[2] += v.Weight
		}
	}
	// The votes of each proposal against its tally.
	for i, p := range h.Proposals {
		t := tallies[p.ID]
		if t == nil || t.bad || dupID[p.ID] || byID[p.ID] != i {
			continue
		}
		const sec = "proposals"
		for k, f := range []struct {
			name  string
			tally float64
		}{{"for", p.For}, {"against", p.Against}, {"abstain", p.Abstain}} {
			if !finite(f.tally) || f.tally < 0 {
				continue // reported above
			}
			if math.Abs(t.sum[k]-f.tally) > TallySlack+TallyTolerance*f.tally {
				c.add(sec, i, f.name, "is %g but the %s votes on it in votes weigh %g; want them to agree within %g%% + %g token",
					f.tally, f.name, t.sum[k], TallyTolerance*100, TallySlack)
			}
		}
		if p.Voters >= 0 && t.count != p.Voters {
			c.add(sec, i, "voters", "is %d but votes holds %d votes on it; want them equal", p.Voters, t.count)
		}
	}

	// Supply.
	if len(h.Supply) == 0 {
		c.add("", -1, "supply", "is empty; want at least one point of the token supply")
	}
	for k, s := range h.Supply {
		const sec = "supply"
		if c.when(sec, k, "time", s.Time) && k > 0 {
			if prev := h.Supply[k-1].Time; !prev.IsZero() && !s.Time.After(prev) {
				c.add(sec, k, "time", "%s is not after that of %s, %s; want points in increasing time order", stamp(s.Time), c.ref(sec, k-1), stamp(prev))
			}
		}
		okT := finite(s.Total) && s.Total > 0 && s.Total <= MaxSupply
		if !okT {
			c.add(sec, k, "total", "is %v; want the token supply in whole tokens (not wei), a finite number above 0 and at most %g", s.Total, float64(MaxSupply))
		}
		switch {
		case !finite(s.Votable) || s.Votable < 0:
			c.add(sec, k, "votable", "is %v; want the supply that can vote, in tokens, from 0 to total (0 if unknown)", s.Votable)
		case okT && s.Votable > s.Total:
			c.add(sec, k, "votable", "is %g, more than the total %g; want the supply that can vote, from 0 to total", s.Votable, s.Total)
		}
	}

	// Parameters.
	for k, p := range h.Params {
		const sec = "params"
		if c.when(sec, k, "time", p.Time) && k > 0 {
			if prev := h.Params[k-1].Time; !prev.IsZero() && p.Time.Before(prev) {
				c.add(sec, k, "time", "%s is before that of %s, %s; want changes in time order", stamp(p.Time), c.ref(sec, k-1), stamp(prev))
			}
		}
		if strings.TrimSpace(p.Name) == "" {
			c.add(sec, k, "name", "is empty; want a parameter name such as quorum or voting_period_days")
		}
		c.amount(sec, k, "value", p.Value, "the parameter's value in its unit")
	}

	// Holders.
	if hd := h.Holders; hd != nil {
		const sec = "holders"
		c.when(sec, -1, "time", hd.Time)
		if hd.Count < 1 {
			c.add(sec, -1, "count", "is %d; want the number of token holders, 1 or more", hd.Count)
		}
		if !finite(hd.Gini) || hd.Gini < 0 || hd.Gini >= 1 {
			c.add(sec, -1, "gini", "is %v; want the Gini coefficient of holdings, in [0, 1)", hd.Gini)
		}
		c.share(sec, -1, "top10_share", hd.Top10Share, "the share of supply held by the ten largest holders")
		c.share(sec, -1, "delegated_share", hd.DelegatedShare, "the share of supply delegated")
		if hd.Delegates < 0 {
			c.add(sec, -1, "delegates", "is %d; want the number of delegates, 0 or more", hd.Delegates)
		}
	}
	return c.ps
}
