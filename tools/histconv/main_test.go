package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/history"
)

func TestClockInterpolates(t *testing.T) {
	// Blocks 100, 200, 300 at 0 s, 1300 s and 2500 s: 13 s/block, then 12.
	c, err := newClock([][2]int64{{300, 2500}, {100, 0}, {200, 1300}, {200, 1300}}, 150)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		block int64
		want  float64
	}{
		{100, 0}, {200, 1300}, {300, 2500}, // observed
		{150, 650},  // halfway between 100 and 200
		{250, 1900}, // halfway between 200 and 300
		{201, 1312}, // 1300 + 12
		// Before the first block: the average over the first 150 blocks
		// runs from block 100 to the first block at or past 250, block
		// 300: 2500/200 = 12.5 s/block.
		{0, -1250},
		// After the last block: from the last block at or before 150,
		// block 100, to 300: 12.5 s/block.
		{400, 3750},
	} {
		if got := c.seconds(tc.block); got != tc.want {
			t.Errorf("seconds(%d) = %v, want %v", tc.block, got, tc.want)
		}
	}
	// A narrow window uses the last interval alone: 12 s/block.
	c.window = 50
	if got := c.seconds(400); got != 3700 {
		t.Errorf("seconds(400) with a 50-block window = %v, want 3700", got)
	}
	if got := c.seconds(0); got != -1300 {
		t.Errorf("seconds(0) with a 50-block window = %v, want -1300", got)
	}
	// Times round to the second, in UTC.
	c2, _ := newClock([][2]int64{{0, 1_600_000_000}, {3, 1_600_000_040}}, 10)
	if got, want := c2.at(1), time.Unix(1_600_000_013, 0).UTC(); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("at(1) = %v, want %v (40/3 s rounds to 13)", got, want)
	}
	if got := c2.meanBlockSeconds(); got != 40.0/3 {
		t.Errorf("meanBlockSeconds = %v", got)
	}
}

func TestClockRejectsBadPairs(t *testing.T) {
	if _, err := newClock([][2]int64{{1, 10}, {1, 11}}, 10); err == nil {
		t.Error("two timestamps for one block accepted")
	}
	if _, err := newClock([][2]int64{{1, 10}, {2, 9}}, 10); err == nil {
		t.Error("time going back accepted")
	}
	if _, err := newClock([][2]int64{{1, 10}, {1, 10}}, 10); err == nil {
		t.Error("a single block accepted")
	}
}

func tok(s string) *big.Int {
	// s in tokens, possibly with a fractional part of up to 18 digits.
	whole, frac, _ := strings.Cut(s, ".")
	frac += strings.Repeat("0", 18-len(frac))
	v, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok {
		panic(s)
	}
	return v
}

func TestBravoPassed(t *testing.T) {
	q := bravoQuorumVotes // 400,000 COMP
	for _, tc := range []struct {
		f, a string
		want bool
	}{
		{"400000", "0", true},                     // quorum reached at equality
		{"399999.999999999999999999", "0", false}, // one wei short
		{"500000", "500000", false},               // a tie is defeated
		{"500000", "499999", true},
		{"300000", "0", false},
	} {
		if got := bravoPassed(tok(tc.f), tok(tc.a), q); got != tc.want {
			t.Errorf("bravoPassed(%s, %s) = %v, want %v", tc.f, tc.a, got, tc.want)
		}
	}
}

func TestAavePassed(t *testing.T) {
	supply := tok("16000000")
	for _, tc := range []struct {
		name         string
		f, a         string
		quorum, diff int64
		want         bool
	}{
		// Short: quorum 2% = 320,000 AAVE (>=), differential 0.5% = 50 bps.
		{"quorum at equality", "320000", "0", 200, 50, true},
		{"one wei short of quorum", "319999.999999999999999999", "0", 200, 50, false},
		// 400,000 = 250 bps; 320,001 = 200.000625 bps, floored to 200:
		// 250 > 200 + 50 fails.
		{"differential exactly 50 bps", "400000", "320001", 200, 50, false},
		// 400,799 = 250.499 bps floors to 250; 320,000 = 200: 250 > 250
		// fails, though For - Against = 80,799 > 0.5% of supply. The
		// contract floors to basis points.
		{"flooring to bps", "400799", "320000", 200, 50, false},
		// 401,600 = 251 bps: 251 > 250 passes.
		{"one bps above", "401600", "320000", 200, 50, true},
		// 401,599 = 250.999 floors to 250 and 319,999 = 199.999 floors to
		// 199: 250 > 249 passes.
		{"flooring both sides", "401599", "319999", 200, 50, true},
		// Long: 20% = 3,200,000 and 15% differential.
		{"long short of quorum", "3000000", "0", 2000, 1500, false},
		{"long differential", "3200000", "800000", 2000, 1500, false}, // 2000 > 500+1500 fails
		{"long passes", "3300000", "800000", 2000, 1500, true},        // 2062 > 2000
	} {
		if got := aavePassed(tok(tc.f), tok(tc.a), supply, tc.quorum, tc.diff); got != tc.want {
			t.Errorf("%s: aavePassed(%s, %s) = %v, want %v", tc.name, tc.f, tc.a, got, tc.want)
		}
	}
}

func TestAragonPassed(t *testing.T) {
	supply := tok("1000000000")
	for _, tc := range []struct {
		name string
		y, n string
		want bool
	}{
		// 5% of 1e9 LDO = 50,000,000: Aragon needs strictly more.
		{"quorum at equality fails", "50000000", "0", false},
		// 50,000,000 + 1e-9 LDO: yea*1e18/power = 5e16 + 1 > 5e16.
		{"just over quorum", "50000000.000000001", "0", true},
		// 50,000,000 + 1e-10 LDO rounds down to exactly 5e16: fails.
		{"below resolution", "50000000.0000000001", "0", false},
		{"support tie fails", "60000000", "60000000", false},
		{"support majority", "60000000", "59999999", true},
		{"no votes", "0", "0", false},
	} {
		if got := aragonPassed(tok(tc.y), tok(tc.n), supply, lidoSupportRequiredPct, lidoMinAcceptQuorumPct); got != tc.want {
			t.Errorf("%s: aragonPassed(%s, %s) = %v, want %v", tc.name, tc.y, tc.n, got, tc.want)
		}
	}
}

func TestFinalState(t *testing.T) {
	for _, tc := range []struct {
		executed, canceled, queued, open, passed bool
		want                                     history.State
	}{
		{true, true, true, false, false, history.Executed}, // executed wins over all
		{false, true, true, false, true, history.Canceled}, // queued then canceled
		{false, false, true, false, false, history.Queued},
		{false, false, false, true, true, history.Active}, // still open at the end of the data
		{false, false, false, false, true, history.Succeeded},
		{false, false, false, false, false, history.Defeated},
	} {
		if got := finalState(tc.executed, tc.canceled, tc.queued, tc.open, tc.passed); got != tc.want {
			t.Errorf("finalState(%v, %v, %v, %v, %v) = %s, want %s", tc.executed, tc.canceled, tc.queued, tc.open, tc.passed, got, tc.want)
		}
	}
}

func TestTitleAndTokens(t *testing.T) {
	if got := title("\n  \n## Add  market\nbody"); got != "Add  market" {
		t.Errorf("title = %q", got)
	}
	long := strings.Repeat("é", 130)
	if got := title("# " + long); got != strings.Repeat("é", 120) {
		t.Errorf("title not cut to 120 runes: %d", len([]rune(got)))
	}
	for _, tc := range []struct {
		wei  string
		want float64
	}{
		{"1500000000000000000", 1.5},
		{"499999999999", 0},        // below half a micro-token
		{"500000000000", 0.000001}, // half rounds up
		{"1000000000000000000000000000", 1e9},
		{"123456789123456789123", 123.456789},
	} {
		w, _ := new(big.Int).SetString(tc.wei, 10)
		if got := tokens(w); got != tc.want {
			t.Errorf("tokens(%s) = %v, want %v", tc.wei, got, tc.want)
		}
	}
}

// runFixture converts the synthetic CSVs in testdata into a new directory.
func runFixture(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	if err := run(dirSource{dir: "testdata", sha: "fixture"}, out, []string{"compound", "aave", "lido"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministic(t *testing.T) {
	a, b := runFixture(t), runFixture(t)
	for _, d := range []string{"compound", "aave", "lido"} {
		for _, f := range []string{"history.json", "SOURCES.md"} {
			x, err := os.ReadFile(filepath.Join(a, d, f))
			if err != nil {
				t.Fatal(err)
			}
			y, err := os.ReadFile(filepath.Join(b, d, f))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(x, y) {
				t.Errorf("%s/%s differs between two runs", d, f)
			}
		}
	}
}

func load(t *testing.T, dir, dao string) history.History {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, dao, "history.json"))
	if err != nil {
		t.Fatal(err)
	}
	var h history.History
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

var t0 = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// The fixture's Bravo and Aave files run at exactly 13 s/block, from block
// 1000 (Compound) and block 100 (Aave) at 2021-01-01T00:00:00Z.
func TestFixtureCompound(t *testing.T) {
	h := load(t, runFixture(t), "compound")
	want := []history.Proposal{
		{ID: "1", Proposer: "0x00000000000000000000000000000000000000a1", Created: at(1300), Start: at(1313), End: at(3913),
			For: 500000, Against: 100000, Abstain: 1.5, Voters: 3, State: history.Executed, Title: "Test one"},
		{ID: "2", Proposer: "0x00000000000000000000000000000000000000a2", Created: at(6500), Start: at(6526), End: at(9776),
			For: 300000, Voters: 1, State: history.Defeated, Title: "Second proposal"}, // below 400,000
		// End block 2052 is past the last observed block (1900): 11700 s +
		// 152 blocks x 13 s, and the vote is still open.
		{ID: "3", Proposer: "0x00000000000000000000000000000000000000a3", Created: at(10400), Start: at(10426), End: at(13676),
			For: 450000, Voters: 1, State: history.Active, Title: "Third"},
	}
	if len(h.Proposals) != len(want) {
		t.Fatalf("%d proposals, want %d", len(h.Proposals), len(want))
	}
	for i, p := range h.Proposals {
		if p != want[i] {
			t.Errorf("proposal %d:\n got %+v\nwant %+v", i, p, want[i])
		}
	}
	if len(h.Votes) != 5 || h.Votes[0].Voter != "0x000000000000000000000000000000000000000A" || h.Votes[2].Support != history.Abstain || h.Votes[2].Weight != 1.5 {
		t.Errorf("votes = %+v", h.Votes)
	}
	wantParams := []history.ParamChange{
		{Time: at(1300), Name: "quorum", Value: 0.04, Event: "initial"},
		{Time: at(1300), Name: "proposal_threshold", Value: 0.01, Event: "initial"},
		{Time: at(1300), Name: "voting_period_days", Value: 0.030093, Event: "initial"}, // 200 x 13 s
		{Time: at(1300), Name: "voting_delay_days", Value: 0.00015, Event: "initial"},   // 13 s
		{Time: at(2600), Name: "proposal_threshold", Value: 0.0065},
		{Time: at(2600), Name: "voting_period_days", Value: 0.037616}, // 250 x 13 s
		{Time: at(2600), Name: "voting_delay_days", Value: 0.000301},  // 26 s
	}
	if len(h.Params) != len(wantParams) {
		t.Fatalf("params = %+v", h.Params)
	}
	for i, p := range h.Params {
		w := wantParams[i]
		if !p.Time.Equal(w.Time) || p.Name != w.Name || p.Value != w.Value || (w.Event != "" && p.Event != w.Event) || (w.Event == "" && !strings.Contains(p.Event, " tx 0x")) {
			t.Errorf("param %d = %+v, want %+v", i, p, w)
		}
	}
	if h.Token.Price != 11.25 || h.Supply[0].Total != 1e7 || !h.Supply[0].Time.Equal(at(1300)) {
		t.Errorf("token %+v supply %+v", h.Token, h.Supply)
	}
}

func TestFixtureAave(t *testing.T) {
	h := load(t, runFixture(t), "aave")
	if len(h.Proposals) != 2 {
		t.Fatalf("proposals = %+v", h.Proposals)
	}
	p0, p1 := h.Proposals[0], h.Proposals[1]
	if p0.Track != "short" || p0.State != history.Executed || p0.For != 400000 || p0.Against != 1000 || p0.Title != "AIP 1: First" ||
		!p0.Start.Equal(at(1300)) || !p0.End.Equal(at(250900)) {
		t.Errorf("proposal 0 = %+v", p0)
	}
	// 3,000,000 AAVE is 18.75% of the supply, short of the long quorum.
	if p1.Track != "long" || p1.State != history.Defeated || p1.Title != "Long one" || !p1.End.Equal(at(837200)) {
		t.Errorf("proposal 1 = %+v", p1)
	}
	got := map[string]float64{}
	for _, p := range h.Params {
		got[p.Track+"/"+p.Name] = p.Value
	}
	for k, v := range map[string]float64{
		"short/quorum": 0.02, "short/vote_differential": 0.005, "short/proposal_threshold": 0.005, "short/voting_period_days": 2.888889,
		"long/quorum": 0.2, "long/vote_differential": 0.15, "long/proposal_threshold": 0.02, "long/voting_period_days": 9.62963,
		"/voting_delay_days": 0,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if h.Token.Price != 11.25 {
		t.Errorf("price %v", h.Token.Price)
	}
}

func TestFixtureLido(t *testing.T) {
	h := load(t, runFixture(t), "lido")
	if len(h.Proposals) != 3 {
		t.Fatalf("proposals = %+v", h.Proposals)
	}
	p0, p1, p2 := h.Proposals[0], h.Proposals[1], h.Proposals[2]
	// Voter B voted yea then nay: the nay is kept.
	if p0.State != history.Executed || p0.For != 6e7 || p0.Against != 1 || p0.Voters != 2 || !p0.End.Equal(at(86400)) || p0.Title != "Vote zero" {
		t.Errorf("vote 0 = %+v", p0)
	}
	// Vote 1 had closed (24 h) when ChangeVoteTime set 72 h at 200,000 s,
	// but was not executed, so under the global voteTime it runs to
	// start + 72 h. 4% yea is short of the 5% quorum.
	if p1.State != history.Defeated || !p1.End.Equal(at(100000+259200)) || p1.Title != "" {
		t.Errorf("vote 1 = %+v", p1)
	}
	// The objection is counted once (it is also a CastVote(False)).
	if p2.State != history.Executed || p2.Against != 2 || !p2.End.Equal(at(300000+259200)) || p2.Title != "Vote two" {
		t.Errorf("vote 2 = %+v", p2)
	}
	if len(h.Votes) != 5 {
		t.Errorf("votes = %+v", h.Votes)
	}
	var names []string
	for _, p := range h.Params {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "quorum,support_required,proposal_threshold,voting_period_days,objection_phase_days,voting_period_days,objection_phase_days" {
		t.Errorf("params = %s", got)
	}
	if h.Params[5].Value != 3 || h.Params[6].Value != 1 {
		t.Errorf("params = %+v", h.Params)
	}
}
