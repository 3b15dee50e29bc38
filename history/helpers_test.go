package history

import (
	"testing"
	"time"
)

// at parses an RFC 3339 time or a date (midnight UTC).
func at(t testing.TB, s string) time.Time {
	t.Helper()
	layout := time.RFC3339
	if len(s) == len("2006-01-02") {
		layout = time.DateOnly
	}
	v, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// sample is the history of testdata/sample.json and testdata/sample-csv,
// built by hand.
func sample(t testing.TB) *History {
	t.Helper()
	return &History{
		DAO:        "Attune Test DAO",
		Governor:   "bravo",
		Token:      Token{Symbol: "ATN", Address: "0x00000000000000000000000000000000000000a1", Price: 2.5},
		Provenance: []string{"hand-built test data", "blocks 100-200"},
		Proposals: []Proposal{
			{ID: "1", Proposer: "0xAa", Created: at(t, "2021-01-01"), Start: at(t, "2021-01-03"), End: at(t, "2021-01-06"),
				For: 300, Against: 100, Abstain: 0, Voters: 3, State: Executed, Title: "Add a market"},
			{ID: "2", Track: "treasury", Created: at(t, "2021-02-01"), Start: at(t, "2021-02-03"), End: at(t, "2021-02-06T12:00:00Z"),
				For: 50, Against: 250.5, Abstain: 10, Voters: 4, State: Defeated, Title: `Fund a grant, "big"`},
			{ID: "3", Track: "treasury", Created: at(t, "2021-03-01"), Start: at(t, "2021-03-02"), End: at(t, "2021-03-05"),
				For: 1000, Voters: 12, State: Succeeded},
		},
		Votes: []Vote{
			{Proposal: "1", Voter: "0xAa", Support: For, Weight: 200, Time: at(t, "2021-01-03T10:00:00Z")},
			{Proposal: "1", Voter: "0xBb", Support: For, Weight: 100},
			{Proposal: "1", Voter: "0xCc", Support: Against, Weight: 100, Time: at(t, "2021-01-04")},
			{Proposal: "2", Voter: "0xAa", Support: Against, Weight: 200},
			{Proposal: "2", Voter: "0xBb", Support: For, Weight: 50},
			{Proposal: "2", Voter: "0xDd", Support: Against, Weight: 50.5},
			{Proposal: "2", Voter: "0xEe", Support: Abstain, Weight: 10},
		},
		Supply: []SupplyPoint{
			{Time: at(t, "2021-01-01"), Total: 10000, Votable: 4000},
			{Time: at(t, "2021-03-01"), Total: 12000},
		},
		Params: []ParamChange{
			{Time: at(t, "2021-01-01"), Name: "quorum", Value: 0.04, Event: "initial"},
			{Time: at(t, "2021-01-01"), Name: "voting_period_days", Value: 3, Event: "initial"},
			{Time: at(t, "2021-01-15"), Name: "quorum", Value: 0.1, Track: "treasury", Event: "SetQuorum 0xabc"},
			{Time: at(t, "2021-02-15"), Name: "quorum", Value: 0.05, Event: "SetQuorum 0xdef"},
		},
		Holders: &Holders{Time: at(t, "2021-03-31"), Count: 5000, Gini: 0.9, Top10Share: 0.6, DelegatedShare: 0.4, Delegates: 300},
	}
}

// minimal is a valid history with no optional field.
func minimal(t testing.TB) *History {
	t.Helper()
	return &History{
		DAO:   "Min",
		Token: Token{Symbol: "MIN"},
		Proposals: []Proposal{{ID: "p", Created: at(t, "2022-01-01"), Start: at(t, "2022-01-01"), End: at(t, "2022-01-02"),
			State: Canceled}},
		Supply: []SupplyPoint{{Time: at(t, "2022-01-01"), Total: 1}},
	}
}
