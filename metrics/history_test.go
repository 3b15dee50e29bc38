package metrics

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
)

func day(d int) time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

// handHistory is four proposals on a 1,000-token supply with a 10% quorum
// in force until day 20 and 5% after; one canceled.
func handHistory() *history.History {
	p := func(id string, end int, f, a, ab float64, voters int, st history.State) history.Proposal {
		return history.Proposal{ID: id, Created: day(end - 4), Start: day(end - 3), End: day(end), For: f, Against: a, Abstain: ab, Voters: voters, State: st}
	}
	return &history.History{
		DAO: "Hand", Source: "hand", Token: history.Token{Symbol: "H"},
		Proposals: []history.Proposal{
			p("1", 10, 80, 10, 30, 3, history.Executed), // cast 120: turnout 0.12; For 80 < quorum 100
			p("2", 15, 150, 50, 0, 2, history.Defeated), // cast 200; For 150 >= 100
			p("3", 25, 60, 0, 0, 1, history.Executed),   // quorum 5% now: 60 >= 50
			p("4", 26, 10, 0, 0, 1, history.Canceled),   // not decided
			p("5", 40, 30, 30, 0, 2, history.Defeated),  // after the window
		},
		Votes: []history.Vote{
			{Proposal: "1", Voter: "a", Support: history.For, Weight: 50},
			{Proposal: "1", Voter: "b", Support: history.For, Weight: 30},
			{Proposal: "1", Voter: "c", Support: history.Abstain, Weight: 30},
			{Proposal: "1", Voter: "d", Support: history.Against, Weight: 10},
			{Proposal: "2", Voter: "a", Support: history.For, Weight: 150},
			{Proposal: "2", Voter: "d", Support: history.Against, Weight: 50},
			{Proposal: "3", Voter: "a", Support: history.For, Weight: 60},
		},
		Supply: []history.SupplyPoint{{Time: day(0), Total: 1000}},
		Params: []history.ParamChange{
			{Time: day(0), Name: governor.Quorum, Value: 0.1, Event: "initial"},
			{Time: day(18), Name: governor.Quorum, Value: 0.05, Event: "change"},
		},
	}
}

func TestFromHistoryHandComputed(t *testing.T) {
	bravo, _ := governor.Family("bravo")
	w := Window{Start: day(0), End: day(30)}
	o, err := FromHistory(handHistory(), w, bravo, "")
	if err != nil {
		t.Fatal(err)
	}
	m := o.Metrics
	want := map[string]float64{
		Proposals: 3, ProposalsPassed: 2, PassRateName: 2.0 / 3,
		TurnoutPower:      (0.12 + 0.2 + 0.06) / 3,
		QuorumFailureRate: 1.0 / 3, // proposal 1: For 80 under the 10% quorum; proposal 3 judged under 5%
		ProposalsPerMonth: 3,
		Voters:            4,
		// a: votes on 3 of 3, b and c on 1, d on 2; the largest by median
		// power is a (60), then d (30), b and c (30): regularity is the
		// mean over all four voters: (3 + 2 + 1 + 1) / 3 / 4.
		TopVoterRegularity: (3.0 + 2 + 1 + 1) / 3 / 4,
		ForShare:           (80.0/90 + 60.0/60) / 2, // over the passed proposals 1 and 3
		AbstainShare:       (30.0/120 + 0 + 0) / 3,
		TotalSupply:        1000,
		NakamotoName:       1, // a cast 260 of 370
	}
	for k, v := range want {
		if math.Abs(m[k]-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	// Type-8 percentiles of 0.06, 0.12, 0.2: the median is the middle one.
	if math.Abs(m[TurnoutP50]-0.12) > 1e-12 || m[TurnoutP10] < 0.06 || m[TurnoutP90] > 0.2 {
		t.Errorf("percentiles %v %v %v", m[TurnoutP10], m[TurnoutP50], m[TurnoutP90])
	}
	// The electorate, largest first: a with median power 60 on 3 of 3.
	if len(o.Electorate) != 4 || o.Electorate[0] != (Voter{Power: 60, Votes: 3, Eligible: 3, Proposals: 3}) {
		t.Errorf("electorate %+v", o.Electorate)
	}
	// d voted on the 1st and 2nd decided proposals: an active span of 2.
	for _, v := range o.Electorate {
		if v.Votes == 2 && v.Eligible != 2 {
			t.Errorf("d's span: %+v", v)
		}
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

func TestFromHistoryCountsByTheGovernor(t *testing.T) {
	w := Window{Start: day(0), End: day(30)}
	// OpenZeppelin counts Abstain towards quorum: proposal 1 (For 80 +
	// Abstain 30 = 110 >= 100) reaches it, so no proposal fails quorum.
	oz, _ := governor.Family("oz")
	o, err := FromHistory(handHistory(), w, oz, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.Metrics[QuorumFailureRate] != 0 {
		t.Errorf("oz quorum failures %v, want 0", o.Metrics[QuorumFailureRate])
	}
}

func TestFromHistoryTrackAndEmptyWindow(t *testing.T) {
	h := handHistory()
	h.Proposals[0].Track, h.Proposals[1].Track, h.Proposals[2].Track = "short", "long", "short"
	r, _ := governor.Family("aave-v2")
	o, err := FromHistory(h, Window{Start: day(0), End: day(30)}, r, "short")
	if err != nil {
		t.Fatal(err)
	}
	if o.Metrics[Proposals] != 2 {
		t.Errorf("short track proposals %v, want 2", o.Metrics[Proposals])
	}
	_, err = FromHistory(h, Window{Start: day(100), End: day(130)}, r, "short")
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("empty window: %v", err)
	}
}

func TestQuantile8(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	// Type 8: h = (n + 1/3) p + 1/3. For p = 0.5, h = 5.5: between 5 and 6.
	if got := quantile8(s, 0.5); got != 5.5 {
		t.Errorf("median %v", got)
	}
	// p = 0.1: h = 1.3667: 1 + 0.3667.
	if got := quantile8(s, 0.1); math.Abs(got-(1+(10+1.0/3)*0.1+1.0/3-1)) > 1e-12 {
		t.Errorf("p10 %v", got)
	}
	if got := quantile8([]float64{4}, 0.9); got != 4 {
		t.Errorf("one value %v", got)
	}
}
