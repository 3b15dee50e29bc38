package history

import (
	"cmp"
	"slices"
	"strings"
)

// MergeStats counts the records Merge dropped as duplicates of records of
// an earlier history.
type MergeStats struct {
	// Duplicates is every record dropped: a proposal whose id, a vote
	// whose proposal and voter, a supply point whose time, or a parameter
	// change whose time, name and track an earlier history already gave.
	Duplicates int
	// Conflicts counts the duplicates whose content differed from the
	// record kept (another tally, state or time; another supply; another
	// value), so the histories disagreed and the earlier one was believed.
	Conflicts int
}

// Merge combines the histories of one DAO read from several sources (for
// example on-chain votes and Snapshot signalling) into one, each record
// once. The rule for duplicates is that the history listed first wins:
// a proposal is kept from the first history with its id, a supply point
// from the first with its time, a parameter change from the first with
// its time, name and track. A proposal's votes go with it: they come from
// the history its record was kept from, or, when that history holds none
// on it, from the first that does, so that its tally, voter count and
// votes are one source's (two reads of one governor at different blocks
// hold different votes on a proposal still open in the earlier); the
// other histories' votes on it are dropped as duplicates, a ballot that
// differs from the one kept or that the kept votes lack counting as a
// conflict. Votes on a proposal no history holds are kept once per
// proposal and voter (0x addresses compare without regard to case), the
// first history's. The DAO, governor, token fields and holders are the
// first history's that sets them; provenance is every history's, each
// line once; Source joins the sources with " + ".
//
// Proposals come out in creation order, supply points and parameter
// changes in time order (ties keep the order of the histories). Nil
// histories are skipped. The inputs are not modified, and the result
// shares no slice with them. Merge does not validate: call Validate on
// the result, since records from different sources may disagree (a vote
// from one on a proposal whose tally came from another).
func Merge(hs ...*History) (*History, MergeStats) {
	out := &History{}
	var st MergeStats
	var sources []string
	proposals := map[string]int{}
	type ballot struct{ proposal, voter string }
	votes := map[ballot]int{}
	supply := map[int64]int{}
	type change struct {
		at          int64
		name, track string
	}
	params := map[change]int{}
	provenance := map[string]bool{}
	owner := map[string]int{} // the history each proposal was kept from
	for hi, h := range hs {
		if h == nil {
			continue
		}
		if h.Source != "" {
			sources = append(sources, h.Source)
		}
		out.DAO = cmp.Or(out.DAO, h.DAO)
		out.Governor = cmp.Or(out.Governor, h.Governor)
		out.Token.Symbol = cmp.Or(out.Token.Symbol, h.Token.Symbol)
		out.Token.Address = cmp.Or(out.Token.Address, h.Token.Address)
		out.Token.Price = cmp.Or(out.Token.Price, h.Token.Price)
		if out.Holders == nil && h.Holders != nil {
			c := *h.Holders
			out.Holders = &c
		}
		for _, p := range h.Provenance {
			if !provenance[p] {
				provenance[p] = true
				out.Provenance = append(out.Provenance, p)
			}
		}
		for _, p := range h.Proposals {
			if i, dup := proposals[p.ID]; dup {
				st.count(!sameProposal(out.Proposals[i], p))
				continue
			}
			proposals[p.ID] = len(out.Proposals)
			owner[p.ID] = hi
			out.Proposals = append(out.Proposals, p)
		}
		for _, s := range h.Supply {
			k := s.Time.UnixNano()
			if i, dup := supply[k]; dup {
				kept := out.Supply[i]
				st.count(kept.Total != s.Total || kept.Votable != s.Votable)
				continue
			}
			supply[k] = len(out.Supply)
			out.Supply = append(out.Supply, s)
		}
		for _, c := range h.Params {
			k := change{c.Time.UnixNano(), c.Name, c.Track}
			if i, dup := params[k]; dup {
				st.count(out.Params[i].Value != c.Value)
				continue
			}
			params[k] = len(out.Params)
			out.Params = append(out.Params, c)
		}
	}
	// Which history each proposal's votes come from: the one its record
	// was kept from when it has votes on it, else the first that has.
	voteFrom := map[string]int{}
	for i, h := range hs {
		if h == nil {
			continue
		}
		for _, v := range h.Votes {
			if _, ok := voteFrom[v.Proposal]; !ok || owner[v.Proposal] == i {
				voteFrom[v.Proposal] = i
			}
		}
	}
	var dropped []Vote
	for i, h := range hs {
		if h == nil {
			continue
		}
		for _, v := range h.Votes {
			if _, known := owner[v.Proposal]; known && voteFrom[v.Proposal] != i {
				dropped = append(dropped, v)
				continue
			}
			k := ballot{v.Proposal, voterKey(v.Voter)}
			if i, dup := votes[k]; dup {
				st.count(!sameVote(out.Votes[i], v))
				continue
			}
			votes[k] = len(out.Votes)
			out.Votes = append(out.Votes, v)
		}
	}
	for _, v := range dropped {
		i, kept := votes[ballot{v.Proposal, voterKey(v.Voter)}]
		st.count(!kept || !sameVote(out.Votes[i], v))
	}
	out.Source = strings.Join(sources, " + ")
	slices.SortStableFunc(out.Proposals, func(a, b Proposal) int { return a.Created.Compare(b.Created) })
	slices.SortStableFunc(out.Supply, func(a, b SupplyPoint) int { return a.Time.Compare(b.Time) })
	slices.SortStableFunc(out.Params, func(a, b ParamChange) int { return a.Time.Compare(b.Time) })
	return out, st
}

func (st *MergeStats) count(conflict bool) {
	st.Duplicates++
	if conflict {
		st.Conflicts++
	}
}

// sameProposal reports whether two records of one proposal agree on what
// calibration reads: track, times, tallies, voters and state.
func sameProposal(a, b Proposal) bool {
	return a.Track == b.Track && a.Created.Equal(b.Created) && a.Start.Equal(b.Start) && a.End.Equal(b.End) &&
		a.For == b.For && a.Against == b.Against && a.Abstain == b.Abstain && a.Voters == b.Voters && a.State == b.State
}

// sameVote reports whether two records of one ballot agree on its choice
// and weight.
func sameVote(a, b Vote) bool { return a.Support == b.Support && a.Weight == b.Weight }
