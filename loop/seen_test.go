package loop

import (
	"math"
	"testing"
	"time"

	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/simulator"
)

// seenRanges spans every value a parameter had in force on the track or
// on every track, the value in force included, and nothing else.
func TestSeenRanges(t *testing.T) {
	at := func(d int) time.Time { return time.Date(2021, 4, 14+d, 0, 0, 0, 0, time.UTC) }
	// Compound's proposal threshold (configs/examples/compound/history.json):
	// 1% at the start, then 0.65%, then 0.25%.
	h := &history.History{Params: []history.ParamChange{
		{Time: at(0), Name: "proposal_threshold", Value: 0.01, Event: "initial"},
		{Time: at(1), Name: "voting_period_days", Value: 2.661936, Event: "initial"},
		{Time: at(4), Name: "voting_period_days", Value: 3.036271},
		{Time: at(90), Name: "proposal_threshold", Value: 0.0065},
		{Time: at(300), Name: "proposal_threshold", Value: 0.0025},
		{Time: at(301), Name: "quorum", Value: 0.9, Track: "other"}, // another track's
		{Time: at(302), Name: "quorum", Value: math.NaN()},
	}}
	got := seenRanges(h, "", simulator.Params{"proposal_threshold": 0.0025, "voting_period_days": 3.04, "quorum": 0.04})
	want := map[string][2]float64{"proposal_threshold": {0.0025, 0.01}, "voting_period_days": {2.661936, 3.04}}
	if len(got) != len(want) {
		t.Fatalf("ranges %v; want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %v; want %v", k, got[k], w)
		}
	}
	if r := seenRanges(h, "other", nil)["quorum"]; r != [2]float64{0.9, 0.9} {
		t.Errorf("quorum on its own track: %v", r)
	}
	if seenRanges(nil, "", simulator.Params{"quorum": 0.04}) != nil {
		t.Errorf("a source without a history has ranges")
	}
}
