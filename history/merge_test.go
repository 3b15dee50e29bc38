package history

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Merging a history with itself gives it back (less its source's second
// mention), every record counted as a duplicate and none as a conflict.
func TestMergeWithItself(t *testing.T) {
	h := sample(t)
	h.Source = "a.json"
	before, _ := json.Marshal(h)
	m, st := Merge(h, sample(t))
	after, _ := json.Marshal(h)
	if string(before) != string(after) {
		t.Fatal("Merge modified its input")
	}
	want := sample(t)
	want.Source = "a.json"
	if !reflect.DeepEqual(m, want) {
		t.Errorf("merged\n%+v\nwant\n%+v", m, want)
	}
	n := len(h.Proposals) + len(h.Votes) + len(h.Supply) + len(h.Params)
	if st != (MergeStats{Duplicates: n}) {
		t.Errorf("stats %+v; want %d duplicates, no conflict", st, n)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	m.Proposals[0].Title = "changed"
	m.Holders.Count = 1
	if h.Proposals[0].Title == "changed" || h.Holders.Count == 1 {
		t.Error("the result shares memory with an input")
	}
}

// The first history listed wins a conflict; records only a later history
// has are added in order; each kind of record is keyed as documented.
func TestMergeFirstWins(t *testing.T) {
	a := minimal(t)
	a.Source = "chain"
	a.Provenance = []string{"blocks 1-9"}
	a.Proposals[0].State = Executed
	a.Proposals[0].For, a.Proposals[0].Voters = 10, 1
	a.Votes = []Vote{{Proposal: "p", Voter: "0xAB", Support: For, Weight: 10}}
	a.Params = []ParamChange{{Time: at(t, "2022-01-01"), Name: "quorum", Value: 0.04, Event: "initial"}}

	b := minimal(t)
	b.DAO, b.Governor, b.Source = "Other label", "oz", "snapshot"
	b.Token = Token{Symbol: "ZZZ", Address: "0x01", Price: 3}
	b.Provenance = []string{"blocks 1-9", "hub.snapshot.org"}
	// p again, with another tally: a conflict, a's kept.
	b.Proposals[0].State = Defeated
	b.Proposals = append(b.Proposals,
		Proposal{ID: "q", Created: at(t, "2021-12-01"), Start: at(t, "2021-12-02"), End: at(t, "2021-12-05"), For: 1, Voters: 1, State: Executed})
	b.Votes = []Vote{
		{Proposal: "p", Voter: "0xab", Support: Against, Weight: 10}, // the same ballot (case), another choice: a conflict
		{Proposal: "q", Voter: "0xab", Support: For, Weight: 1},      // another proposal: kept
	}
	b.Supply = append(b.Supply,
		SupplyPoint{Time: at(t, "2021-12-01"), Total: 1}, // new, earlier: sorted first
	)
	b.Supply[0].Total = 2 // the same time as a's: a conflict
	b.Params = []ParamChange{
		{Time: at(t, "2022-01-01"), Name: "quorum", Value: 0.04, Event: "other label"},          // same value: a duplicate, no conflict
		{Time: at(t, "2022-01-01"), Name: "quorum", Value: 0.5, Track: "x"},                     // another track: kept
		{Time: at(t, "2021-06-01"), Name: "voting_period_days", Value: 3},                       // earlier: sorted first
		{Time: at(t, "2022-01-01"), Name: "voting_period_days", Value: 7, Event: "differs too"}, // new name at that time: kept
	}
	b.Holders = &Holders{Time: at(t, "2022-01-02"), Count: 5}

	m, st := Merge(nil, a, b)
	if st != (MergeStats{Duplicates: 4, Conflicts: 3}) {
		t.Errorf("stats %+v; want 4 duplicates (proposal, vote, supply, param), 3 conflicts", st)
	}
	if m.DAO != "Min" || m.Governor != "oz" || m.Token != (Token{Symbol: "MIN", Address: "0x01", Price: 3}) || m.Source != "chain + snapshot" {
		t.Errorf("header %q %q %+v %q", m.DAO, m.Governor, m.Token, m.Source)
	}
	if !reflect.DeepEqual(m.Provenance, []string{"blocks 1-9", "hub.snapshot.org"}) || m.Holders == nil || m.Holders.Count != 5 {
		t.Errorf("provenance %v holders %+v", m.Provenance, m.Holders)
	}
	if len(m.Proposals) != 2 || m.Proposals[0].ID != "q" || m.Proposals[1].State != Executed {
		t.Errorf("proposals %+v; want q (created first) then a's p", m.Proposals)
	}
	if len(m.Votes) != 2 || m.Votes[0].Support != For || m.Votes[0].Voter != "0xAB" || m.Votes[1].Proposal != "q" {
		t.Errorf("votes %+v", m.Votes)
	}
	if len(m.Supply) != 2 || m.Supply[0].Total != 1 || m.Supply[1].Total != 1 || !m.Supply[1].Time.Equal(at(t, "2022-01-01")) {
		t.Errorf("supply %+v", m.Supply)
	}
	var got []string
	for _, c := range m.Params {
		got = append(got, c.Time.Format("2006-01-02")+" "+c.Name+"@"+c.Track+" "+c.Event)
	}
	want := []string{"2021-06-01 voting_period_days@ ", "2022-01-01 quorum@ initial", "2022-01-01 quorum@x ", "2022-01-01 voting_period_days@ differs too"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("params\n%q\nwant\n%q", got, want)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestMergeNothing(t *testing.T) {
	m, st := Merge()
	if m == nil || len(m.Proposals) != 0 || st != (MergeStats{}) {
		t.Fatalf("%+v %+v", m, st)
	}
}

// A proposal's votes come with its record: two reads of one governor at
// different blocks, the earlier while proposal p was still open, merge
// into a valid history whose p has the earlier read's tally, voter count
// and votes, the later read's extra ballot dropped as a conflict. A
// history with no votes on a proposal takes them from the first that has.
func TestMergeVotesFollowTheirProposal(t *testing.T) {
	early := minimal(t)
	early.Proposals[0].State, early.Proposals[0].For, early.Proposals[0].Voters = Active, 10, 1
	early.Votes = []Vote{{Proposal: "p", Voter: "0xAB", Support: For, Weight: 10}}
	late := minimal(t)
	late.Proposals[0].State, late.Proposals[0].For, late.Proposals[0].Against, late.Proposals[0].Voters = Succeeded, 10, 4, 2
	late.Votes = []Vote{
		{Proposal: "p", Voter: "0xab", Support: For, Weight: 10},    // the same ballot: a duplicate
		{Proposal: "p", Voter: "0xCD", Support: Against, Weight: 4}, // not in early's votes on p: a conflict
	}
	m, st := Merge(early, late)
	if err := m.Validate(); err != nil {
		t.Fatalf("merged history is invalid: %v", err)
	}
	if len(m.Votes) != 1 || m.Votes[0].Voter != "0xAB" || m.Proposals[0].Voters != 1 {
		t.Errorf("votes %+v, voters %d; want early's one vote on p", m.Votes, m.Proposals[0].Voters)
	}
	if st != (MergeStats{Duplicates: 4, Conflicts: 2}) {
		t.Errorf("stats %+v; want 4 duplicates (proposal, 2 votes, supply), 2 conflicts (proposal, the extra vote)", st)
	}

	// The other way round: late's record and votes.
	m, _ = Merge(late, early)
	if err := m.Validate(); err != nil || len(m.Votes) != 2 {
		t.Errorf("late first: %d votes, %v; want late's 2 votes, valid", len(m.Votes), err)
	}

	// A history without votes on p takes them from the next that has.
	bare := minimal(t)
	bare.Proposals[0] = late.Proposals[0]
	m, _ = Merge(bare, early, late)
	if len(m.Votes) != 1 || m.Votes[0].Voter != "0xAB" {
		t.Errorf("votes %+v; want early's, the first history with votes on p", m.Votes)
	}
}
