package snapshot

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/attune-dao/attune/adapters"
)

// BenchmarkRead100kVotes reads a space of 100 proposals holding 100,000
// votes (1,000 each, cast 20 a second) from the local fake hub: 102
// requests, past skip 5000 by the created cursor. The hub answers from a
// cache filled before the timer starts, so the figures are the source's:
// requests, decoding, mapping and validation.
func BenchmarkRead100kVotes(b *testing.B) {
	rng := rand.New(rand.NewPCG(100, 100))
	hub := newFakeHub(b)
	hub.spaces["bench.eth"] = &fakeSpace{ID: "bench.eth", Name: "Bench", Symbol: "BNC", Network: "1"}
	votes := make([]int, 100)
	for i := range votes {
		votes[i] = 1000
	}
	ps, vs := genSpace(rng, "bench.eth", votes, 20)
	hub.add(ps, vs)
	hub.cache = map[string][]byte{}
	src := serve(b, hub, baseConfig("bench.eth"), adapters.Env{})
	ctx := context.Background()
	data, err := src.Read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if len(data.History.Votes) != 100_000 {
		b.Fatalf("%d votes", len(data.History.Votes))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := src.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(hub.count())/float64(b.N+1), "requests/op")
}
