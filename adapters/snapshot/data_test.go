package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/attune-dao/attune/adapters"
	"github.com/attune-dao/attune/adapters/httpx"
)

// ensData is testdata/ens-proposals.json: six real ens.eth proposals as
// the hub answered them (see testdata/README.md).
type ensData struct {
	Space     fakeSpace     `json:"space"`
	Proposals []apiProposal `json:"proposals"`
}

func loadENS(t testing.TB) ensData {
	b, err := os.ReadFile("testdata/ens-proposals.json")
	if err != nil {
		t.Fatal(err)
	}
	var d ensData
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// hexID is a random 0x id of n hex digits, as the hub's vote and
// proposal ids (64) and addresses (40) are.
func hexID(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2+n)
	b[0], b[1] = '0', 'x'
	for i := 2; i < len(b); i++ {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

// synthVotes makes votes on p that match its real totals: p.Votes votes
// whose power adds up to each choice's score. How the voters split among
// the choices (in proportion to the square root of each score, at least
// one on every choice with power) and each vote's power (Pareto draws,
// shape 1.16, scaled to the score) are made up: the real votes are not
// in testdata. Times are uniform over the voting period.
func synthVotes(rng *rand.Rand, space string, p apiProposal) []fakeVote {
	n := p.Votes
	var roots, sum float64
	for _, s := range p.Scores {
		roots += math.Sqrt(s)
	}
	counts := make([]int, len(p.Scores))
	left := n
	for i, s := range p.Scores {
		if s <= 0 {
			continue
		}
		counts[i] = max(1, int(float64(n)*math.Sqrt(s)/roots))
		left -= counts[i]
	}
	counts[0] += left // the rest vote For
	var out []fakeVote
	for i, s := range p.Scores {
		if counts[i] == 0 {
			continue
		}
		w := make([]float64, counts[i])
		sum = 0
		for k := range w {
			w[k] = math.Pow(1-rng.Float64(), -1/1.16)
			sum += w[k]
		}
		for k := range w {
			vp := w[k] / sum * s
			out = append(out, fakeVote{
				ID: hexID(rng, 64), Voter: hexID(rng, 40), Proposal: p.ID, Space: space,
				Created: p.Start + rng.Int64N(p.End-p.Start), Choice: json.RawMessage(strconv.Itoa(i + 1)), VP: &vp,
			})
		}
	}
	return out
}

// ensHub is a fake hub holding the ENS space, its real proposals and
// votes made to match them.
func ensHub(t testing.TB) (*fakeHub, ensData) {
	d := loadENS(t)
	h := newFakeHub(t)
	sp := d.Space
	sp.QuorumType = "default"
	h.spaces[sp.ID] = &sp
	rng := rand.New(rand.NewPCG(1, 2))
	var ps []fakeProposal
	var vs []fakeVote
	for _, p := range d.Proposals {
		ps = append(ps, fakeProposal{apiProposal: p, Space: sp.ID})
		vs = append(vs, synthVotes(rng, sp.ID, p)...)
	}
	h.add(ps, vs)
	return h, d
}

// genSpace makes a space of n basic proposals with the given numbers of
// votes, cast at the given number a second (so that many share their
// second), with the tallies their votes add up to. Its shapes follow the
// real ones in testdata.
func genSpace(rng *rand.Rand, space string, votes []int, perSecond int) ([]fakeProposal, []fakeVote) {
	var ps []fakeProposal
	var vs []fakeVote
	t0 := int64(1_700_000_000)
	for i, nv := range votes {
		p := apiProposal{
			ID: hexID(rng, 64), Title: fmt.Sprintf("Proposal %d", i+1), Author: hexID(rng, 40),
			Created: t0 + int64(i)*3600, Type: "basic", Choices: []string{"For", "Against", "Abstain"},
			State: "closed", ScoresState: "final", Scores: make([]float64, 3), Votes: nv, QuorumType: "default",
		}
		p.Start = p.Created + 60
		p.End = p.Start + int64(nv/max(perSecond, 1)) + 7*86400
		for k := range nv {
			c := 1 + rng.IntN(3)
			vp := math.Round(math.Pow(1-rng.Float64(), -1/1.16)*1e6) / 1e6
			p.Scores[c-1] += vp
			vs = append(vs, fakeVote{
				ID: hexID(rng, 64), Voter: hexID(rng, 40), Proposal: p.ID, Space: space,
				Created: p.Start + int64(k/max(perSecond, 1)), Choice: json.RawMessage(strconv.Itoa(c)), VP: &vp,
			})
		}
		p.ScoresTotal = p.Scores[0] + p.Scores[1] + p.Scores[2]
		ps = append(ps, fakeProposal{apiProposal: p, Space: space})
	}
	return ps, vs
}

// served is a source reading a fake hub, with what its HTTP client was
// given and the waits it asked for.
type served struct {
	*Source
	opts  httpx.Options
	waits []time.Duration
}

// serve starts the fake hub and returns a source of cfg reading it. The
// client's retries do not wait (the waits asked for are recorded) and
// its rate limit is lifted (the options record the one configured), so
// that tests take no wall-clock time.
func serve(t testing.TB, h *fakeHub, cfg Config, env adapters.Env) *served {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/graphql"
	s := &served{}
	src, err := cfg.newSource(env, func(o *httpx.Options) {
		s.opts = *o
		o.PerMinute = 0
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			s.waits = append(s.waits, d)
			return ctx.Err()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Source = src
	return s
}

// baseConfig is a valid config for space, with the ENS supply of 100
// million tokens (the ENS token's fixed total supply).
func baseConfig(space string) Config {
	return Config{Space: space, Supply: 100_000_000, PerMinute: 100}
}

// always answers every request with status, header and body.
func always(status int, header http.Header, body string) func(int, http.ResponseWriter, *hubRequest) bool {
	return func(_ int, w http.ResponseWriter, _ *hubRequest) bool {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return true
	}
}
