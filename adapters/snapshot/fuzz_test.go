package snapshot

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/attune-dao/attune/adapters"
)

// FuzzDecode feeds the answer decoder arbitrary bodies as each query's
// answer: it must never panic, must give either data or an error, and
// the votes it decodes must map or be refused with an error.
func FuzzDecode(f *testing.F) {
	// Seeds: the fake hub's real-shaped answers and the hub's error shapes.
	hub, _ := ensHub(f)
	src := serve(f, hub, baseConfig("ens.eth"), adapters.Env{})
	if _, err := src.Read(context.Background()); err != nil {
		f.Fatal(err)
	}
	for _, r := range hub.log() {
		_, body := hub.answer(&r)
		f.Add(body[:min(len(body), 4000)])
	}
	for _, s := range []string{
		`{"errors":[{"message":"The ` + "`skip`" + ` argument must not be greater than 5000","locations":[{"line":2,"column":3}],"path":["votes"]}],"data":{"votes":null}}`,
		`{"errors":[{"message":"Cannot query field \"x\" on type \"Vote\".","locations":[{"line":1,"column":9}]}]}`,
		tooMany, badGateway, `{"data":null}`, `{"data":{"votes":[{"id":"0x1","voter":"0xa","created":1,"choice":{"1":2},"vp":null,"proposal":null}]}}`,
		`{"data":{"votes":[{"id":"0x1","voter":"0xa","created":1,"choice":1e0,"vp":1e308,"proposal":{"id":"p"}}]}}`,
		`{"data":{"proposals":[{"id":"p","scores":[1,null],"choices":["For",null],"created":-5}]}}`,
		`{"data":{"space":{"id":"ens.eth","voting":{"quorum":null}}}}`, ``, `[]`, `{"data":{"votes":[{"choice":-1},{"choice":"1"},{"choice":2.5}]}}`,
	} {
		f.Add([]byte(s))
	}
	m := &mapped{api: apiProposal{ID: "p"}, support: supports("basic", []string{"For", "Against", "Abstain"})}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(isNil bool, err error) {
			if (err == nil) == isNil {
				t.Fatalf("decode gave data %v and error %v; want exactly one", !isNil, err)
			}
		}
		s, err := decode[spaceData](200, body)
		check(s == nil, err)
		ps, err := decode[proposalsData](200, body)
		check(ps == nil, err)
		if err == nil && ps.Proposals != nil {
			for _, p := range *ps.Proposals {
				if mp, skip, err := classify(p); err == nil && skip == "" && mp.p.End.Compare(mp.p.Start) <= 0 {
					t.Fatalf("proposal %+v maps to an end not after its start", p)
				}
			}
		}
		vs, err := decode[votesData](200, body)
		check(vs == nil, err)
		if err == nil && vs.Votes != nil {
			for _, v := range *vs.Votes {
				hv, err := m.vote(&v)
				if err == nil && (!hv.Support.Valid() || hv.Weight < 0 || hv.Voter == "") {
					t.Fatalf("vote %+v maps to %+v", v, hv)
				}
			}
		}
		_ = hubErrors(body)
		var c choice
		if json.Unmarshal(body, &c) == nil && c.N < 0 {
			t.Fatalf("choice %d", c.N)
		}
	})
}
