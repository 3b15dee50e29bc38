package chain

import (
	"context"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/internal/evm"
)

// ratTokens is w / 10^18 as the nearest float64.
func ratTokens(w *big.Int) float64 {
	f, _ := new(big.Rat).SetFrac(w, weiPerToken).Float64()
	return f
}

func findProposal(t *testing.T, h *history.History, id string) history.Proposal {
	t.Helper()
	for _, p := range h.Proposals {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no proposal %s in %v", id, h.Proposals)
	return history.Proposal{}
}

func TestReadCompound(t *testing.T) {
	n, fx := compoundNode(t, 14417075)
	s := n.start(t, compoundConfig())
	d, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := d.History
	if err := h.Validate(); err != nil { // the loop refuses an invalid history
		t.Fatalf("the history read is invalid: %v", err)
	}
	if h.DAO != "Compound Governor Bravo" || h.Governor != Bravo || h.Token.Symbol != "COMP" || h.Token.Address != compToken.Hex() {
		t.Errorf("dao %q governor %q token %+v", h.DAO, h.Governor, h.Token)
	}
	// The outcomes on chain: 79 queued then canceled, 80 voted down
	// (Against only), 81 queued and executed.
	want := map[string]history.State{"79": history.Canceled, "80": history.Defeated, "81": history.Executed}
	if len(h.Proposals) != len(want) {
		t.Fatalf("%d proposals; want %d", len(h.Proposals), len(want))
	}
	created := map[string]bravoEvent{}
	tally := map[string]*[3]*big.Int{}
	voters := map[string]int{}
	for _, e := range fx.Events {
		switch e.Event {
		case "ProposalCreated":
			created[e.ID] = e
			tally[e.ID] = &[3]*big.Int{new(big.Int), new(big.Int), new(big.Int)}
		case "VoteCast":
			tally[e.ProposalID][e.Support].Add(tally[e.ProposalID][e.Support], bigStr(t, e.Votes))
			voters[e.ProposalID]++
		}
	}
	for id, st := range want {
		p := findProposal(t, h, id)
		if p.State != st {
			t.Errorf("proposal %s is %s; want %s", id, p.State, st)
		}
		tl := tally[id]
		if p.Against != ratTokens(tl[0]) || p.For != ratTokens(tl[1]) || p.Abstain != ratTokens(tl[2]) {
			t.Errorf("proposal %s tallies %v/%v/%v; want the exact sums %v/%v/%v", id, p.For, p.Against, p.Abstain, ratTokens(tl[1]), ratTokens(tl[0]), ratTokens(tl[2]))
		}
		if p.Voters != voters[id] {
			t.Errorf("proposal %s has %d voters; want %d", id, p.Voters, voters[id])
		}
		c := created[id]
		if wantT, _ := time.Parse(time.RFC3339, c.Timestamp); !p.Created.Equal(wantT) {
			t.Errorf("proposal %s created %s; want the block's time %s", id, p.Created, wantT)
		}
		if wantT := time.Unix(int64(n.timeOf(bigStr(t, c.StartBlock).Uint64())), 0).UTC(); !p.Start.Equal(wantT) {
			t.Errorf("proposal %s starts %s; want the start block's time %s", id, p.Start, wantT)
		}
		if p.Proposer != c.Proposer || !strings.HasPrefix(c.Desc, "# "+p.Title) {
			t.Errorf("proposal %s proposer %s title %q", id, p.Proposer, p.Title)
		}
	}
	if len(h.Votes) != voters["79"]+voters["80"]+voters["81"] {
		t.Errorf("%d votes", len(h.Votes))
	}
	// Parameters: in force at proposal 79 (the events before it) and the
	// threshold change of March 2022.
	first := findProposal(t, h, "79").Created
	at := func(tm time.Time) map[string]float64 { return h.ParamsAt(tm, "") }
	p0 := at(first)
	if p0[paramQuorum] != 0.04 || p0[paramThreshold] != 0.0065 || p0[paramPeriod] != 19710*12.0/86400 || p0[paramDelay] != 13140*12.0/86400 {
		t.Errorf("parameters at the first proposal %v", p0)
	}
	last := h.Params[len(h.Params)-1]
	if last.Name != paramThreshold || last.Value != 0.0025 || last.Event != "ProposalThresholdSet tx 0x0b785e0c6e8943cccfbecb2867f14e3c53c2e8eb37182c8719f668651e200891" {
		t.Errorf("last change %+v", last)
	}
	if len(h.Supply) != 1 || h.Supply[0].Total != 10_000_000 {
		t.Errorf("supply %+v; want COMP's 10,000,000 (no getPastTotalSupply on COMP)", h.Supply)
	}
	if !strings.HasPrefix(h.Provenance[0], "governor "+compoundBravo.Hex()+" (bravo) events: blocks 12266840-14417075") {
		t.Errorf("provenance %q", h.Provenance[0])
	}
	for _, p := range h.Provenance {
		if strings.Contains(p, "0123456789abcdef0123456789abcdef") {
			t.Errorf("the endpoint's key leaked into the provenance: %q", p)
		}
	}
}

func TestReadOZTimestampClock(t *testing.T) {
	n, sc := ozNode(t, 200)
	s := n.start(t, ozConfig())
	d, err := s.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := d.History
	if len(h.Proposals) != 1 {
		t.Fatalf("%d proposals", len(h.Proposals))
	}
	p := h.Proposals[0]
	if p.ID != sc.id.String() || p.State != history.Executed || p.For != 17 || p.Against != 5 || p.Abstain != 2 || p.Voters != 4 {
		t.Errorf("proposal %+v", p)
	}
	t0 := time.Unix(int64(sc.t0), 0).UTC()
	if !p.Created.Equal(t0) || !p.Start.Equal(t0.Add(4*time.Second)) || !p.End.Equal(t0.Add(20*time.Second)) {
		t.Errorf("times %s %s %s; want the timestamps voteStart and voteEnd as they are", p.Created, p.Start, p.End)
	}
	ps := h.ParamsAt(p.Created, "")
	if ps[paramQuorum] != 0.1 || ps[paramPeriod] != 16.0/86400 || ps[paramDelay] != 4.0/86400 || ps[paramThreshold] != 0 {
		t.Errorf("parameters %v", ps)
	}
	if len(h.Supply) != 1 || h.Supply[0].Total != 100 || !h.Supply[0].Time.Equal(p.Start) {
		t.Errorf("supply %+v; want getPastTotalSupply at the snapshot", h.Supply)
	}
	byVoter := map[string]history.Vote{}
	for _, v := range h.Votes {
		byVoter[v.Voter] = v
	}
	if v := byVoter[ozVoters[0].Hex()]; v.Support != history.For || v.Weight != 10 || !v.Time.Equal(t0.Add(5*time.Second)) {
		t.Errorf("voter1's vote %+v", v)
	}
	if v := byVoter[ozVoters[3].Hex()]; v.Support != history.Abstain || v.Weight != 2 {
		t.Errorf("voter4's vote %+v", v)
	}
}

func TestReadOZStatesOverTime(t *testing.T) {
	// The head before the snapshot, during the vote and after it: the
	// governor's state() at each.
	for _, c := range []struct {
		head uint64
		want history.State
	}{{112, history.Pending}, {114, history.Pending}, {116, history.Active}, {130, history.Active}, {131, history.Executed}} {
		n, _ := ozNode(t, c.head)
		d, err := n.start(t, ozConfig()).Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := d.History.Proposals[0].State; got != c.want {
			t.Errorf("head %d: %s; want %s", c.head, got, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	tok := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), weiPerToken) }
	r := &reader{Source: &Source{cfg: Config{Family: OZ}}, now: big.NewInt(100), headTime: 2_000_000}
	r.info.quorumForAbst = true
	over := func(f, a, ab, q int64) *prop {
		return &prop{start: big.NewInt(10), end: big.NewInt(50), forW: tok(f), againstW: tok(a), abstainW: tok(ab), quorum: tok(q)}
	}
	cases := []struct {
		name    string
		family  string
		forAbst bool
		p       *prop
		want    history.State
	}{
		{"abstain counts towards quorum", OZ, true, over(5, 1, 5, 10), history.Succeeded},
		{"for alone short of quorum", OZ, false, over(5, 1, 5, 10), history.Defeated},
		{"quorum met exactly", OZ, true, over(10, 0, 0, 10), history.Succeeded},
		{"a tie is defeated", OZ, true, over(7, 7, 0, 1), history.Defeated},
		{"snapshot at now is pending", OZ, true, &prop{start: big.NewInt(100), end: big.NewInt(200)}, history.Pending},
		{"deadline at now is active", OZ, true, &prop{start: big.NewInt(99), end: big.NewInt(100)}, history.Active},
		{"bravo at quorumVotes", Bravo, false, over(400_000, 0, 0, 0), history.Succeeded},
		{"bravo below quorumVotes", Bravo, false, over(399_999, 0, 900_000, 0), history.Defeated},
		{"bravo queued within grace", Bravo, false, &prop{queued: true, eta: big.NewInt(2_000_000 - bravoGrace + 1)}, history.Queued},
		{"bravo queued past grace", Bravo, false, &prop{queued: true, eta: big.NewInt(2_000_000 - bravoGrace)}, history.Expired},
		{"bravo eta near 2^64 is not past grace", Bravo, false, &prop{queued: true, eta: new(big.Int).SetUint64(math.MaxUint64 - 10)}, history.Queued},
		{"bravo eta past 2^64 is not past grace", Bravo, false, &prop{queued: true, eta: new(big.Int).Lsh(big.NewInt(1), 70)}, history.Queued},
		{"executed beats canceled", OZ, true, &prop{executed: true, canceled: true}, history.Executed},
		{"canceled after queued", OZ, true, &prop{queued: true, canceled: true}, history.Canceled},
	}
	for _, c := range cases {
		r.cfg.Family = c.family
		r.info.quorumForAbst = c.forAbst
		r.info.quorumVotes = tok(400_000)
		if got := r.decide(c.p); got != c.want {
			t.Errorf("%s: %s; want %s", c.name, got, c.want)
		}
	}
}

// A period is converted to days whatever its size: a node may answer
// votingPeriod() with any uint256, and one past 2^63 blocks must not
// wrap to a small or negative number of days.
func TestPeriodDays(t *testing.T) {
	if got := periodDays(big.NewInt(7200), 12); got != 1 {
		t.Errorf("7200 blocks of 12 s: %v days; want 1", got)
	}
	huge := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(7200))
	if got, want := periodDays(huge, 12), math.Ldexp(1, 64)*12/86400; math.Abs(got-want) > want*1e-12 {
		t.Errorf("2^64+7200 blocks: %v days; want %v", got, want)
	}
}

func TestReadSinceMatchesFullRead(t *testing.T) {
	n, _ := compoundNode(t, 14417075)
	// The first run ends at block 13960000: 79's vote is open, 80 is
	// pending, 81 does not exist yet.
	early := compoundConfig()
	early.ToBlock = 13960000
	d, err := n.start(t, early).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	prev := d.History
	if s79, s80 := findProposal(t, prev, "79").State, findProposal(t, prev, "80").State; s79 != history.Active || s80 != history.Pending {
		t.Fatalf("at block 13960000: 79 %s, 80 %s; want active and pending", s79, s80)
	}
	// 80's deadline is not mined yet: the head's time plus 12 s a block.
	wantEnd := time.Unix(int64(n.timeOf(13960000)+(13986993-13960000)*12), 0).UTC()
	if end := findProposal(t, prev, "80").End; !end.Equal(wantEnd) {
		t.Errorf("80 ends %s; want %s, extrapolated at block_seconds from the head", end, wantEnd)
	}
	src := n.start(t, compoundConfig())
	n.ranges = nil
	got, err := src.ReadSince(context.Background(), prev)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.ranges) == 0 || n.ranges[0][0] != 13960001 {
		t.Errorf("the update asked for logs from %v; want only the blocks after 13960000", n.ranges)
	}
	full, err := n.start(t, compoundConfig()).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := full.History
	for _, h := range []*history.History{prev, got, want} {
		if err := h.Validate(); err != nil {
			t.Fatalf("a history read is invalid: %v", err)
		}
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{{"proposals", got.Proposals, want.Proposals}, {"votes", got.Votes, want.Votes}, {"params", got.Params, want.Params},
		{"supply", got.Supply, want.Supply}, {"range", got.Provenance[0], want.Provenance[0]}} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s differ from a full read:\n got %+v\nwant %+v", f.name, f.got, f.want)
		}
	}
	// Nothing new: the history comes back as it was, no logs asked for.
	n.getLogs = 0
	again, err := src.ReadSince(context.Background(), got)
	if err != nil {
		t.Fatal(err)
	}
	if n.getLogs != 0 || !reflect.DeepEqual(again, got) {
		t.Errorf("an update with no new block asked for logs %d times or changed the history", n.getLogs)
	}
}

func TestReadSinceOtherHistoryReadsWhole(t *testing.T) {
	n, _ := compoundNode(t, 14417075)
	other := &history.History{DAO: "x", Provenance: []string{"governor 0x0000000000000000000000000000000000000001 (bravo) events: blocks 1-2"}}
	h, err := n.start(t, compoundConfig()).ReadSince(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	if n.ranges[0][0] != 12266840 || len(h.Proposals) != 3 {
		t.Errorf("a history of another governor must be read again from from_block: ranges %v", n.ranges)
	}
}

func TestReadSinceOZ(t *testing.T) {
	// At block 116 the vote is open with two votes cast; the update to
	// block 200 re-reads the proposal from the governor and adds the rest.
	n, _ := ozNode(t, 200)
	early := ozConfig()
	early.ToBlock = 116
	d, err := n.start(t, early).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := d.History.Proposals[0]; p.State != history.Active || p.Voters != 2 || p.For != 17 {
		t.Fatalf("at block 116: %+v", p)
	}
	got, err := n.start(t, ozConfig()).ReadSince(context.Background(), d.History)
	if err != nil {
		t.Fatal(err)
	}
	full, err := n.start(t, ozConfig()).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Proposals, full.History.Proposals) || !reflect.DeepEqual(got.Votes, full.History.Votes) ||
		!reflect.DeepEqual(got.Supply, full.History.Supply) || !reflect.DeepEqual(got.Params, full.History.Params) {
		t.Errorf("update differs from a full read:\n got %+v\nwant %+v", got.Proposals, full.History.Proposals)
	}
}

// An update whose new blocks hold no event asks the governor nothing
// about the proposals it decided before: no supply or quorum at their
// snapshots, no tallies, only what it holds at the new head. The result
// is the history it updated, but for the range read: its supply points
// and the note of how they were read stand (an update with no snapshot
// to read noted that the token has no getPastTotalSupply, beside the
// earlier note that it has).
func TestReadSinceAsksNothingOfDecidedProposals(t *testing.T) {
	n, _ := ozNode(t, 200)
	prev, err := n.start(t, ozConfig()).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	perProposal := map[string]int{}
	for _, f := range []struct {
		to  evm.Address
		sig string
	}{{ozToken, "getPastTotalSupply(uint256)"}, {ozGovernor, "quorum(uint256)"}, {ozGovernor, "proposalVotes(uint256)"},
		{ozGovernor, "proposalSnapshot(uint256)"}, {ozGovernor, "proposalDeadline(uint256)"}} {
		sel, _ := evm.Selector(f.sig)
		orig := n.fns[f.to][sel]
		n.fn(f.to, f.sig, func(args []byte, block uint64) ([]byte, *RPCError) {
			perProposal[f.sig]++
			return orig(args, block)
		})
	}
	n.head = 300
	got, err := n.start(t, ozConfig()).ReadSince(context.Background(), prev.History)
	if err != nil {
		t.Fatal(err)
	}
	if len(perProposal) != 0 {
		t.Errorf("the update asked %v about a proposal decided before", perProposal)
	}
	want := prev.History
	if !reflect.DeepEqual(got.Proposals, want.Proposals) || !reflect.DeepEqual(got.Votes, want.Votes) ||
		!reflect.DeepEqual(got.Supply, want.Supply) || !reflect.DeepEqual(got.Params, want.Params) ||
		!reflect.DeepEqual(got.Provenance[1:], want.Provenance[1:]) {
		t.Errorf("the update changed the history:\n got %+v\nwant %+v", got, want)
	}
	if !strings.Contains(got.Provenance[0], "blocks 1-300") {
		t.Errorf("provenance %q; want the range read up to 300", got.Provenance[0])
	}
}
