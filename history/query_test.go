package history

import (
	"reflect"
	"testing"
	"time"
)

// queried is a hand-built history for the query helpers.
func queried(t *testing.T) *History {
	return &History{
		DAO:        "Q",
		Token:      Token{Symbol: "Q"},
		Provenance: []string{"hand"},
		Proposals: []Proposal{
			{ID: "a", Created: at(t, "2021-01-02"), Start: at(t, "2021-01-03"), End: at(t, "2021-01-10")},
			{ID: "b", Track: "x", Created: at(t, "2021-01-12"), Start: at(t, "2021-01-13"), End: at(t, "2021-01-20")},
			{ID: "c", Track: "y", Created: at(t, "2021-01-25"), Start: at(t, "2021-01-26"), End: at(t, "2021-02-01")},
			{ID: "d", Track: "x", Created: at(t, "2020-12-30"), Start: at(t, "2021-01-01"), End: at(t, "2021-01-05")},
		},
		Votes: []Vote{
			{Proposal: "a", Voter: "1", Support: For, Weight: 1},
			{Proposal: "c", Voter: "1", Support: For, Weight: 2},
			{Proposal: "a", Voter: "2", Support: Against, Weight: 3},
			{Proposal: "d", Voter: "3", Support: Abstain, Weight: 4},
		},
		Supply: []SupplyPoint{
			{Time: at(t, "2021-01-01"), Total: 100},
			{Time: at(t, "2021-02-01"), Total: 200, Votable: 50},
			{Time: at(t, "2021-03-01"), Total: 300},
		},
		Params: []ParamChange{
			{Time: at(t, "2021-01-01"), Name: "quorum", Value: 0.04},
			{Time: at(t, "2021-01-01"), Name: "period", Value: 3},
			{Time: at(t, "2021-01-10"), Name: "quorum", Value: 0.1, Track: "x"},
			{Time: at(t, "2021-01-20"), Name: "quorum", Value: 0.05},
			{Time: at(t, "2021-01-20"), Name: "threshold", Value: 0.01, Track: "y"},
			{Time: at(t, "2021-02-01"), Name: "period", Value: 5, Track: "x"},
			{Time: at(t, "2021-02-01"), Name: "period", Value: 6, Track: "x"},
			{Time: at(t, "2021-03-01"), Name: "quorum", Value: 0.2, Track: "z"},
		},
		Holders: &Holders{Count: 10},
	}
}

func ids(ps []Proposal) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestWindow(t *testing.T) {
	h := queried(t)
	for _, c := range []struct {
		name       string
		start, end string
		proposals  []string
		votes      []float64 // weights of the votes kept
	}{
		// d ends on the start (in), c on the end (out).
		{"half-open", "2021-01-05", "2021-02-01", []string{"a", "b", "d"}, []float64{1, 3, 4}},
		{"all", "2020-01-01", "2022-01-01", []string{"a", "b", "c", "d"}, []float64{1, 2, 3, 4}},
		{"one, with its vote", "2021-01-21", "2021-02-01T00:00:01Z", []string{"c"}, []float64{2}},
		{"none", "2021-01-11", "2021-01-20", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := h.Window(at(t, c.start), at(t, c.end))
			if got := ids(w.Proposals); !reflect.DeepEqual(got, c.proposals) {
				t.Errorf("proposals %v; want %v", got, c.proposals)
			}
			var weights []float64
			for _, v := range w.Votes {
				weights = append(weights, v.Weight)
			}
			if !reflect.DeepEqual(weights, c.votes) {
				t.Errorf("votes weigh %v; want %v", weights, c.votes)
			}
			if !reflect.DeepEqual(w.Supply, h.Supply) || !reflect.DeepEqual(w.Params, h.Params) ||
				w.DAO != h.DAO || w.Token != h.Token || !reflect.DeepEqual(w.Holders, h.Holders) || !reflect.DeepEqual(w.Provenance, h.Provenance) {
				t.Errorf("window changed what it keeps whole: %+v", w)
			}
		})
	}
	// The window shares nothing with the history.
	w := h.Window(at(t, "2020-01-01"), at(t, "2022-01-01"))
	w.Proposals[0].ID, w.Votes[0].Weight, w.Supply[0].Total, w.Params[0].Value, w.Holders.Count, w.Provenance[0] = "z", 9, 9, 9, 9, "z"
	if !reflect.DeepEqual(h, queried(t)) {
		t.Error("changing the window changed the history")
	}
}

func TestSupplyAt(t *testing.T) {
	h := queried(t)
	for _, c := range []struct {
		at    string
		total float64
	}{
		{"2020-12-31", 100}, // before the first point: the first
		{"2021-01-01", 100},
		{"2021-01-31T23:59:59Z", 100},
		{"2021-02-01", 200},
		{"2021-02-15", 200},
		{"2021-04-01", 300},
	} {
		if got := h.SupplyAt(at(t, c.at)); got.Total != c.total {
			t.Errorf("SupplyAt(%s) = %+v; want total %g", c.at, got, c.total)
		}
	}
	if got := h.SupplyAt(at(t, "2021-02-02")); got.Votable != 50 || !got.Time.Equal(at(t, "2021-02-01")) {
		t.Errorf("SupplyAt gives %+v; want the whole point of 2021-02-01", got)
	}
	if got := (&History{}).SupplyAt(time.Now()); got != (SupplyPoint{}) {
		t.Errorf("SupplyAt without supply = %+v; want zero", got)
	}
}

func TestParamsAt(t *testing.T) {
	h := queried(t)
	for _, c := range []struct {
		name  string
		at    string
		track string
		want  map[string]float64
	}{
		{"before any change", "2020-12-31", "x", map[string]float64{}},
		{"defaults only", "2021-01-05", "x", map[string]float64{"quorum": 0.04, "period": 3}},
		{"a change applies at its time", "2021-01-10", "x", map[string]float64{"quorum": 0.1, "period": 3}},
		{"the track's value beats a later default", "2021-01-25", "x", map[string]float64{"quorum": 0.1, "period": 3}},
		{"no track: defaults only", "2021-01-25", "", map[string]float64{"quorum": 0.05, "period": 3}},
		{"another track gets the later default and its own", "2021-01-25", "y", map[string]float64{"quorum": 0.05, "period": 3, "threshold": 0.01}},
		{"same time: the later change wins", "2021-02-01", "x", map[string]float64{"quorum": 0.1, "period": 6}},
		{"an unknown track gets the defaults", "2021-06-01", "w", map[string]float64{"quorum": 0.05, "period": 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := h.ParamsAt(at(t, c.at), c.track); !reflect.DeepEqual(got, c.want) {
				t.Errorf("ParamsAt(%s, %q) = %v; want %v", c.at, c.track, got, c.want)
			}
		})
	}
}

func TestSpanTracksVotes(t *testing.T) {
	h := queried(t)
	first, last := h.Span()
	if !first.Equal(at(t, "2020-12-30")) || !last.Equal(at(t, "2021-02-01")) {
		t.Errorf("Span = %v, %v; want 2020-12-30 (created of d), 2021-02-01 (end of c)", first, last)
	}
	if w := h.Window(first, last.Add(time.Nanosecond)); len(w.Proposals) != len(h.Proposals) {
		t.Errorf("Window over the span holds %d of %d proposals", len(w.Proposals), len(h.Proposals))
	}
	if f, l := (&History{}).Span(); !f.IsZero() || !l.IsZero() {
		t.Errorf("Span of nothing = %v, %v; want zero", f, l)
	}
	if got, want := h.Tracks(), []string{"", "x", "y", "z"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tracks = %q; want %q", got, want)
	}
	if got, want := sample(t).Tracks(), []string{"", "treasury"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tracks = %q; want %q", got, want)
	}
	got := h.VotesByProposal()
	want := map[string][]Vote{
		"a": {h.Votes[0], h.Votes[2]},
		"c": {h.Votes[1]},
		"d": {h.Votes[3]},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VotesByProposal = %v; want %v", got, want)
	}
}
