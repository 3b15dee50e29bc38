package history

import (
	"slices"
	"sort"
	"time"
)

// Window returns the part of h whose proposals end in [start, end): those
// proposals and their votes, in their order. Supply and parameters are kept
// whole, since values in force before the window still apply in it; the
// other fields are copied. The result shares no slice or pointer with h,
// and may hold no proposal (and so not validate).
func (h *History) Window(start, end time.Time) *History {
	w := &History{
		DAO:        h.DAO,
		Source:     h.Source,
		Governor:   h.Governor,
		Token:      h.Token,
		Provenance: slices.Clone(h.Provenance),
		Supply:     slices.Clone(h.Supply),
		Params:     slices.Clone(h.Params),
	}
	if h.Holders != nil {
		hd := *h.Holders
		w.Holders = &hd
	}
	in := make(map[string]bool)
	for _, p := range h.Proposals {
		if !p.End.Before(start) && p.End.Before(end) {
			w.Proposals = append(w.Proposals, p)
			in[p.ID] = true
		}
	}
	for _, v := range h.Votes {
		if in[v.Proposal] {
			w.Votes = append(w.Votes, v)
		}
	}
	return w
}

// SupplyAt returns the supply in force at t: the last point at or before t,
// or the first point if t is before all of them (the earliest known supply),
// or the zero SupplyPoint if there is none. Supply must be in time order,
// as Validate checks.
func (h *History) SupplyAt(t time.Time) SupplyPoint {
	if len(h.Supply) == 0 {
		return SupplyPoint{}
	}
	i := sort.Search(len(h.Supply), func(i int) bool { return h.Supply[i].Time.After(t) })
	if i == 0 {
		return h.Supply[0]
	}
	return h.Supply[i-1]
}

// ParamsAt returns the parameters in force at t on track: for each name,
// the value of the last change at or before t. A change made for the track
// itself takes precedence over one made for every track (Track ""), even a
// later one: the latter sets the default, the former the track's own value.
// With track "", only changes for every track count. Of changes at the same
// time, the later in Params wins. A parameter no change sets by t is absent.
func (h *History) ParamsAt(t time.Time, track string) map[string]float64 {
	type set struct {
		at    time.Time
		value float64
	}
	all := map[string]set{}  // changes for every track
	mine := map[string]set{} // changes for the track
	for _, c := range h.Params {
		if c.Time.After(t) {
			continue
		}
		var m map[string]set
		switch {
		case c.Track == "":
			m = all
		case track != "" && c.Track == track:
			m = mine
		default:
			continue
		}
		if prev, ok := m[c.Name]; !ok || !c.Time.Before(prev.at) {
			m[c.Name] = set{c.Time, c.Value}
		}
	}
	out := make(map[string]float64, len(all)+len(mine))
	for name, s := range all {
		out[name] = s.value
	}
	for name, s := range mine {
		out[name] = s.value
	}
	return out
}

// Span returns the time the proposals cover: the earliest creation and the
// latest end, ignoring zero times; zero times if there are none. Every
// proposal ends in [first, last], so Window(first, last.Add(time.Nanosecond))
// holds them all.
func (h *History) Span() (first, last time.Time) {
	for _, p := range h.Proposals {
		if !p.Created.IsZero() && (first.IsZero() || p.Created.Before(first)) {
			first = p.Created
		}
		if !p.End.IsZero() && (last.IsZero() || p.End.After(last)) {
			last = p.End
		}
	}
	return first, last
}

// VotesByProposal groups the votes by proposal id, each group in the order
// of Votes. Proposals without votes have no entry.
func (h *History) VotesByProposal() map[string][]Vote {
	m := make(map[string][]Vote)
	for _, v := range h.Votes {
		m[v.Proposal] = append(m[v.Proposal], v)
	}
	return m
}

// Tracks returns the tracks named by proposals and parameter changes,
// sorted, each once. "" is included (first) when a proposal ran on no
// named track; a change for every track (Track "") names none.
func (h *History) Tracks() []string {
	seen := map[string]bool{}
	for _, p := range h.Proposals {
		seen[p.Track] = true
	}
	for _, c := range h.Params {
		if c.Track != "" {
			seen[c.Track] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
