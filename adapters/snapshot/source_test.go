package snapshot

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/history"
)

func TestRegistered(t *testing.T) {
	c, ok := adapters.NewSourceConfig("snapshot")
	if _, isOurs := c.(*Config); !ok || !isOurs {
		t.Fatalf("type snapshot gives %T, %v; want *snapshot.Config", c, ok)
	}
}

// TestReadENS reads the real ENS proposals through the fake hub and
// checks every field of the history against the hub's records.
func TestReadENS(t *testing.T) {
	hub, d := ensHub(t)
	src := serve(t, hub, baseConfig("ens.eth"), adapters.Env{})
	data, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := data.History
	if err := h.Validate(); err != nil { // the loop refuses an invalid history
		t.Fatalf("the history read is invalid: %v", err)
	}
	if h.DAO != "ENS" || h.Token.Symbol != "ENS" || h.Source != "snapshot:ens.eth" {
		t.Errorf("dao %q, symbol %q, source %q", h.DAO, h.Token.Symbol, h.Source)
	}
	if len(h.Proposals) != len(d.Proposals) {
		t.Fatalf("%d proposals; want %d", len(h.Proposals), len(d.Proposals))
	}
	if !slices.IsSortedFunc(h.Proposals, func(a, b history.Proposal) int { return a.Created.Compare(b.Created) }) {
		t.Error("proposals are not in creation order")
	}
	byID := map[string]apiProposal{}
	for _, p := range d.Proposals {
		byID[p.ID] = p
	}
	perProposal := map[string][3]float64{}
	counts := map[string]int{}
	for _, v := range h.Votes {
		k := map[history.Support]int{history.For: 0, history.Against: 1, history.Abstain: 2}[v.Support]
		s := perProposal[v.Proposal]
		s[k] += v.Weight
		perProposal[v.Proposal] = s
		counts[v.Proposal]++
	}
	for _, p := range h.Proposals {
		a := byID[p.ID]
		if p.For != a.Scores[0] || p.Against != a.Scores[1] || p.Abstain != a.Scores[2] {
			t.Errorf("%s: tally %v/%v/%v; want the hub's scores %v", p.ID, p.For, p.Against, p.Abstain, a.Scores)
		}
		if p.Voters != a.Votes || counts[p.ID] != a.Votes {
			t.Errorf("%s: voters %d, %d votes; want %d", p.ID, p.Voters, counts[p.ID], a.Votes)
		}
		for k, s := range perProposal[p.ID] {
			if math.Abs(s-a.Scores[k]) > 1e-6*a.Scores[k] {
				t.Errorf("%s: votes for choice %d weigh %v; want %v", p.ID, k+1, s, a.Scores[k])
			}
		}
		if p.State != history.Succeeded { // For beats Against and the quorum is 0
			t.Errorf("%s: state %s; want succeeded", p.ID, p.State)
		}
		if p.Created.Unix() != a.Created || p.End.Unix() != a.End || p.Title != a.Title || p.Proposer != a.Author {
			t.Errorf("%s: %+v does not carry the hub's fields", p.ID, p)
		}
		if want := max(a.Start, a.Created); p.Start.Unix() != want {
			t.Errorf("%s: start %d; want %d (the later of start %d and created %d)", p.ID, p.Start.Unix(), want, a.Start, a.Created)
		}
	}
	if len(h.Supply) != 1 || h.Supply[0].Total != 1e8 || !h.Supply[0].Time.Equal(h.Proposals[0].Created) {
		t.Errorf("supply %+v; want one point of 1e8 at the first proposal", h.Supply)
	}
	// Every proposal has quorum 0: one change sets it.
	if len(h.Params) != 1 || h.Params[0].Name != "quorum" || h.Params[0].Value != 0 || !h.Params[0].Time.Equal(h.Proposals[0].Start) {
		t.Errorf("params %+v; want quorum 0 from the first proposal's start", h.Params)
	}
	if h.Provenance[0] != "snapshot hub "+src.s.url+", space ens.eth, all proposals" || !strings.Contains(h.Provenance[1], "network 1") {
		t.Errorf("provenance %q", h.Provenance)
	}
	// One space, one proposals page, three pages of the 2,799 votes.
	reqs := hub.log()
	if len(reqs) != 5 {
		t.Fatalf("%d requests; want 5", len(reqs))
	}
	for i, op := range []string{"Space", "Proposals", "Votes", "Votes", "Votes"} {
		if reqs[i].OperationName != op {
			t.Errorf("request %d is %s; want %s", i+1, reqs[i].OperationName, op)
		}
		if reqs[i].Header.Get("Content-Type") != "application/json" || reqs[i].Header.Get("X-Api-Key") != "" {
			t.Errorf("request %d headers %v", i+1, reqs[i].Header)
		}
	}
	if got := src.opts.PerMinute; got != 100 {
		t.Errorf("the client's rate limit is %v a minute; want the configured 100", got)
	}
}
