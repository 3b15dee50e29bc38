package snapshot

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/history"
)

func TestSupports(t *testing.T) {
	F, A, X := history.For, history.Against, history.Abstain
	cases := []struct {
		typ     string
		choices []string
		want    []history.Support
	}{
		{"basic", []string{"For", "Against", "Abstain"}, []history.Support{F, A, X}},
		{"basic", []string{"Yes please", "No", "Meh"}, []history.Support{F, A, X}}, // basic maps by position
		{"basic", []string{"For", "Against"}, []history.Support{F, A}},             // abstain hidden
		{"basic", []string{"For"}, nil},
		{"single-choice", []string{"No", "Yes"}, []history.Support{A, F}},
		{"single-choice", []string{" Approve ", "DENY", "abstain"}, []history.Support{F, A, X}},
		{"", []string{"Yes", "No"}, []history.Support{F, A}}, // proposals from before voting types
		{"single-choice", []string{"Yes", "No", "Maybe"}, nil},
		{"single-choice", []string{"Yes", "Yea"}, nil}, // two For choices
		{"single-choice", []string{"Alice", "Bob", "Carol", "David"}, nil},
		{"single-choice", []string{"For", "Against", "Abstain", "Abstain"}, nil},
		{"approval", []string{"For", "Against"}, nil},
		{"weighted", []string{"For", "Against"}, nil},
		{"quadratic", []string{"For", "Against"}, nil},
		{"ranked-choice", []string{"For", "Against"}, nil},
	}
	for _, c := range cases {
		if got := supports(c.typ, c.choices); !slices.Equal(got, c.want) {
			t.Errorf("supports(%q, %q) = %v; want %v", c.typ, c.choices, got, c.want)
		}
	}
}

// TestClassify checks each decision: which proposals are kept, their
// state, tallies and times.
func TestClassify(t *testing.T) {
	base := apiProposal{
		ID: "0x01", Created: 1000, Start: 2000, End: 9000, State: "closed", ScoresState: "final",
		Type: "basic", Choices: []string{"For", "Against", "Abstain"}, QuorumType: "default",
	}
	with := func(f func(*apiProposal)) apiProposal {
		p := base
		p.Scores = []float64{60, 30, 10}
		p.ScoresTotal = 100
		f(&p)
		return p
	}
	cases := []struct {
		name    string
		p       apiProposal
		state   history.State
		skip    string
		counted bool
	}{
		{"for beats against, quorum met", with(func(p *apiProposal) { p.Quorum = 100 }), history.Succeeded, "", true},
		{"quorum missed by the power cast", with(func(p *apiProposal) { p.Quorum = 100.5 }), history.Defeated, "", true},
		{"abstain counts towards quorum", with(func(p *apiProposal) { p.Quorum = 95 }), history.Succeeded, "", true},
		{"a tie does not pass", with(func(p *apiProposal) { p.Scores = []float64{40, 40, 20} }), history.Defeated, "", true},
		{"against wins", with(func(p *apiProposal) { p.Scores = []float64{30, 60, 10} }), history.Defeated, "", true},
		{"rejection quorum not reached passes", with(func(p *apiProposal) {
			p.QuorumType, p.Quorum, p.Scores = "rejection", 70, []float64{10, 70, 20}
		}), history.Succeeded, "", true},
		{"rejection quorum exceeded fails", with(func(p *apiProposal) {
			p.QuorumType, p.Quorum, p.Scores = "rejection", 70, []float64{90, 70.5, 0}
		}), history.Defeated, "", true},
		{"single-choice No/Yes", with(func(p *apiProposal) {
			p.Type, p.Choices, p.Scores = "single-choice", []string{"No", "Yes"}, []float64{30, 70}
		}), history.Succeeded, "", true},
		{"closed, scores pending", with(func(p *apiProposal) { p.ScoresState = "pending" }), history.Active, "", false},
		{"active", with(func(p *apiProposal) { p.State, p.ScoresState = "active", "pending" }), history.Active, "", false},
		{"pending", with(func(p *apiProposal) { p.State, p.Scores = "pending", nil }), history.Pending, "", false},
		{"weighted", with(func(p *apiProposal) { p.Type = "weighted" }), "", "weighted votes that are not For/Against(/Abstain)", false},
		{"legacy single-choice among options", with(func(p *apiProposal) { p.Type, p.Choices = "", []string{"A", "B", "C"} }),
			"", "single-choice votes that are not For/Against(/Abstain)", false},
		{"ends before it was created", with(func(p *apiProposal) { p.Start, p.End = 500, 900 }), "", "votes that end before they start or before the proposal was created", false},
	}
	for _, c := range cases {
		m, skip, err := classify(c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if skip != c.skip {
			t.Errorf("%s: skip %q; want %q", c.name, skip, c.skip)
			continue
		}
		if skip != "" {
			if m != nil {
				t.Errorf("%s: skipped but mapped", c.name)
			}
			continue
		}
		if m.p.State != c.state || m.counted != c.counted {
			t.Errorf("%s: state %s, counted %v; want %s, %v", c.name, m.p.State, m.counted, c.state, c.counted)
		}
		var want [3]float64
		for i, s := range m.support[:min(len(m.support), len(c.p.Scores))] {
			want[map[history.Support]int{history.For: 0, history.Against: 1, history.Abstain: 2}[s]] = c.p.Scores[i]
		}
		if len(c.p.Scores) > 0 && [3]float64{m.p.For, m.p.Against, m.p.Abstain} != want {
			t.Errorf("%s: tally %v/%v/%v; want %v", c.name, m.p.For, m.p.Against, m.p.Abstain, want)
		}
	}
	// Times: a start set before the proposal existed becomes its creation.
	m, _, _ := classify(with(func(p *apiProposal) { p.Start = 400 }))
	if m.p.Start.Unix() != 1000 || m.p.Created.Unix() != 1000 || m.p.End.Unix() != 9000 {
		t.Errorf("times %v %v %v; want start = created = 1000", m.p.Created, m.p.Start, m.p.End)
	}
	if _, _, err := classify(with(func(p *apiProposal) { p.State = "open" })); err == nil || !strings.Contains(err.Error(), `state "open"`) {
		t.Errorf("err %v; want an unknown state refused", err)
	}
}

func TestParams(t *testing.T) {
	ps := []apiProposal{
		{ID: "a", Created: 10, Start: 100, Quorum: 1e6},
		{ID: "b", Created: 20, Start: 50, Quorum: 1e6},                           // starts first
		{ID: "c", Created: 30, Start: 300, Quorum: 1e6},                          // same quorum: no change
		{ID: "d", Created: 40, Start: 400, Quorum: 2e6},                          // a change
		{ID: "e", Created: 50, Start: 500, Quorum: 9e6, QuorumType: "rejection"}, // not a quorum
	}
	var params []history.ParamChange
	for _, p := range ps {
		if c, ok := quorumParam(p, 1e8); ok {
			params = append(params, c)
		}
	}
	got := compact(params)
	if len(got) != 2 || got[0].Event != "snapshot proposal b" || got[0].Value != 0.01 || got[1].Event != "snapshot proposal d" || got[1].Value != 0.02 {
		t.Fatalf("params %+v; want 0.01 from b's start, 0.02 from d's", got)
	}
}

// TestReadSkipsAndCounts reads a space holding every kind of proposal.
func TestReadSkipsAndCounts(t *testing.T) {
	hub, d := ensHub(t)
	rng := rand.New(rand.NewPCG(5, 5))
	extra := []apiProposal{
		{ID: hexID(rng, 64), Title: "Which charity?", Type: "single-choice", Choices: []string{"Coin Center", "Gitcoin", "India Covid Relief"},
			Created: 1650500000, Start: 1650500000, End: 1650900000, State: "closed", ScoresState: "final", Scores: []float64{5, 3, 2}, ScoresTotal: 10, Votes: 3},
		{ID: hexID(rng, 64), Title: "Spam", Type: "basic", Choices: []string{"For", "Against", "Abstain"},
			Created: 1650600000, Start: 1650600000, End: 1650900000, State: "closed", ScoresState: "final", Scores: []float64{1, 0, 0}, ScoresTotal: 1, Votes: 1},
		{ID: hexID(rng, 64), Title: "Still open", Type: "basic", Choices: []string{"For", "Against", "Abstain"},
			Created: 1650700000, Start: 1650700000, End: 1951000000, State: "active", ScoresState: "pending", Scores: []float64{8, 1, 0}, ScoresTotal: 9, Votes: 2},
	}
	var fps []fakeProposal
	var fvs []fakeVote
	for i, p := range extra {
		fps = append(fps, fakeProposal{apiProposal: p, Space: "ens.eth", Flagged: i == 1})
		fvs = append(fvs, synthVotes(rng, "ens.eth", p)...)
	}
	hub.add(fps, fvs)
	src := serve(t, hub, baseConfig("ens.eth"), adapters.Env{})
	data, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := data.History
	if len(h.Proposals) != len(d.Proposals)+1 {
		t.Fatalf("%d proposals; want the %d counted and the open one", len(h.Proposals), len(d.Proposals)+1)
	}
	open := h.Proposals[len(h.Proposals)-1]
	if open.ID != extra[2].ID || open.State != history.Active || open.Voters != 2 || open.For != 8 {
		t.Errorf("open proposal %+v", open)
	}
	for _, v := range h.Votes {
		if v.Proposal == extra[2].ID {
			t.Fatal("votes on an open proposal were read")
		}
	}
	for _, r := range hub.log() {
		if r.OperationName == "Votes" && strings.Contains(string(mustJSON(r.Variables)), extra[2].ID) {
			t.Fatal("the votes of an open proposal were asked for")
		}
	}
}

// TestReadSince brings a read up to date and checks it against a whole
// read of the same hub.
func TestReadSince(t *testing.T) {
	hub, _ := ensHub(t)
	rng := rand.New(rand.NewPCG(11, 11))
	open := apiProposal{ID: hexID(rng, 64), Title: "Open at first", Type: "basic", Choices: []string{"For", "Against", "Abstain"},
		Created: 1650600000, Start: 1650600000, End: 1651200000, State: "active", ScoresState: "pending",
		Scores: []float64{9, 0, 1}, ScoresTotal: 10, Votes: 2}
	hub.add([]fakeProposal{{apiProposal: open, Space: "ens.eth"}}, nil)
	src := serve(t, hub, baseConfig("ens.eth"), adapters.Env{})
	ctx := context.Background()
	first, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prev := first.History
	keep := clone(t, prev)

	// Nothing new: one request, the same history.
	before := hub.count()
	same, err := src.ReadSince(ctx, prev)
	if err != nil {
		t.Fatal(err)
	}
	if n := hub.count() - before; n != 2 { // the proposals page, the open proposal again
		t.Errorf("%d requests to find nothing new; want 2", n)
	}
	if !reflect.DeepEqual(same, prev) {
		t.Error("an update with nothing new changed the history")
	}

	// The open proposal closes and a new one is made; prev stays as it was.
	hub.mu.Lock()
	for i := range hub.proposals {
		if hub.proposals[i].ID == open.ID {
			p := &hub.proposals[i]
			p.State, p.ScoresState, p.Votes = "closed", "final", 40
			p.Scores, p.ScoresTotal = []float64{900, 100, 0}, 1000
			hub.mu.Unlock()
			hub.add(nil, synthVotes(rng, "ens.eth", p.apiProposal))
			hub.mu.Lock()
			break
		}
	}
	hub.mu.Unlock()
	fresh := apiProposal{ID: hexID(rng, 64), Title: "New", Type: "single-choice", Choices: []string{"Yes", "No"},
		Created: 1650800000, Start: 1650800000, End: 1651400000, State: "closed", ScoresState: "final",
		Scores: []float64{100, 300}, ScoresTotal: 400, Votes: 25, Quorum: 2e6}
	hub.add([]fakeProposal{{apiProposal: fresh, Space: "ens.eth"}}, synthVotes(rng, "ens.eth", fresh))

	before = hub.count()
	updated, err := src.ReadSince(ctx, prev)
	if err != nil {
		t.Fatal(err)
	}
	if err := updated.Validate(); err != nil { // the loop refuses an invalid history
		t.Fatalf("the updated history is invalid: %v", err)
	}
	if !reflect.DeepEqual(prev, keep) {
		t.Fatal("ReadSince changed prev")
	}
	incremental := hub.log()[before:]
	whole, err := src.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(updated, whole.History) {
		t.Fatalf("the update differs from a whole read:\n%s\n%s", mustJSON(updated), mustJSON(whole.History))
	}
	// The update asked for the proposals page, the open one, and one
	// page of votes on the two it had to count, nothing else.
	var asked []string
	for _, r := range incremental {
		asked = append(asked, r.OperationName)
		if r.OperationName == "Votes" {
			ids, _ := r.Variables["proposals"].([]any)
			if len(ids) != 2 {
				t.Errorf("votes asked on %v; want the two counted since", ids)
			}
		}
	}
	if !slices.Equal(asked, []string{"Proposals", "ProposalsByID", "Votes"}) {
		t.Errorf("requests %v", asked)
	}
	if p := updated.Proposals[len(updated.Proposals)-1]; p.ID != fresh.ID || p.State != history.Defeated || p.For != 100 || p.Against != 300 {
		t.Errorf("new proposal %+v", p)
	}
	if last := updated.Params[len(updated.Params)-1]; last.Value != 0.02 || last.Event != "snapshot proposal "+fresh.ID {
		t.Errorf("params %+v; want the new proposal's quorum", updated.Params)
	}

	// A history of another space or since is read again whole.
	other := clone(t, prev)
	other.Provenance[0] = "snapshot hub elsewhere, space ens.eth, all proposals"
	before = hub.count()
	again, err := src.ReadSince(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if hub.log()[before].OperationName != "Space" || !reflect.DeepEqual(again, whole.History) {
		t.Error("a history of another origin was not read again whole")
	}

	// A failure returns nothing and leaves prev alone.
	hub.before = on("Votes", always(500, nil, "boom"))
	got, err := src.ReadSince(ctx, prev)
	if err == nil || got != nil || !reflect.DeepEqual(prev, keep) {
		t.Fatalf("failed update: %v, %v; prev changed: %v", got, err, !reflect.DeepEqual(prev, keep))
	}
}

func clone(t *testing.T, h *history.History) *history.History {
	t.Helper()
	var c history.History
	if err := json.Unmarshal(mustJSON(h), &c); err != nil {
		t.Fatal(err)
	}
	c.Source = h.Source
	return &c
}

func TestCheck(t *testing.T) {
	ok := baseConfig("ens.eth")
	if errs := ok.Check(); len(errs) != 0 {
		t.Fatalf("a valid config: %v", errs)
	}
	cases := []struct {
		field string
		set   func(*Config)
	}{
		{"space", func(c *Config) { c.Space = "" }},
		{"space", func(c *Config) { c.Space = "ens eth" }},
		{"base_url", func(c *Config) { c.BaseURL = "hub.snapshot.org/graphql" }},
		{"base_url", func(c *Config) { c.BaseURL = "ftp://hub/graphql" }},
		{"api_key", func(c *Config) { c.APIKey = adapters.Secret{Env: "K", File: "k"} }},
		{"per_minute", func(c *Config) { c.PerMinute = -1 }},
		{"per_minute", func(c *Config) { c.PerMinute = 101 }},
		{"page_size", func(c *Config) { c.PageSize = 1001 }},
		{"page_size", func(c *Config) { c.PageSize = -1 }},
		{"max_votes", func(c *Config) { c.MaxVotes = -5 }},
		{"since", func(c *Config) { c.Since = "last year" }},
		{"supply", func(c *Config) { c.Supply = 0 }},
		{"symbol", func(c *Config) { c.Symbol = "EN\nS" }},
		{"timeout", func(c *Config) { c.Timeout = "30" }},
		{"timeout", func(c *Config) { c.Timeout = "1h" }},
	}
	for _, c := range cases {
		cfg := ok
		c.set(&cfg)
		errs := cfg.Check()
		if len(errs) != 1 || errs[0].Field != c.field || errs[0].Msg == "" {
			t.Errorf("%+v: %v; want one problem with %s", cfg, errs, c.field)
		}
		if _, err := cfg.NewSource(adapters.Env{}); err == nil || !strings.Contains(err.Error(), c.field+":") {
			t.Errorf("NewSource(%+v) = %v; want the problem with %s", cfg, err, c.field)
		}
	}
	keyed := ok
	keyed.APIKey, keyed.PerMinute = adapters.Secret{Env: "K"}, 500
	if errs := keyed.Check(); len(errs) != 0 {
		t.Errorf("a keyed config may ask for 500 a minute: %v", errs)
	}
	// Defaults.
	s, err := ok.resolve()
	if err != nil || s.url != DefaultBaseURL || s.pageSize != 1000 || s.maxVotes != DefaultMaxVotes || s.timeout != DefaultTimeout || s.since != 0 {
		t.Errorf("defaults %+v, %v", s, err)
	}
	ok.PerMinute = 0
	if s, _ := ok.resolve(); s.perMinute != DefaultPerMinute {
		t.Errorf("per_minute default %v", s.perMinute)
	}
	ok.Since = "2024-01-01"
	if s, _ := ok.resolve(); s.since != 1704067200 {
		t.Errorf("since %d", s.since)
	}
}

// TestSince reads only the proposals created since the configured time.
func TestSince(t *testing.T) {
	hub, d := ensHub(t)
	cfg := baseConfig("ens.eth")
	cfg.Since = "2022-03-15T00:00:00Z" // after EP8 and EP7.x, before EP9
	data, err := serve(t, hub, cfg, adapters.Env{}).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, p := range d.Proposals {
		if p.Created >= 1647302400 {
			want++
		}
	}
	if len(data.History.Proposals) != want || want != 3 {
		t.Fatalf("%d proposals; want the %d created since", len(data.History.Proposals), want)
	}
	if !strings.HasSuffix(data.History.Provenance[0], "proposals created since 2022-03-15T00:00:00Z") {
		t.Errorf("provenance %q", data.History.Provenance[0])
	}
}
