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
	src, hub := benchSource(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := src.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(hub.count())/float64(b.N+1), "requests/op")
}

// BenchmarkReadSinceUnchanged brings the same 100,000-vote history up to
// date when nothing changed on the hub: one request (the proposals
// created since the newest), then the merge and the history's checks.
func BenchmarkReadSinceUnchanged(b *testing.B) {
	src, hub := benchSource(b)
	ctx := context.Background()
	prev, err := src.Read(ctx)
	if err != nil {
		b.Fatal(err)
	}
	before := hub.count()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h, err := src.ReadSince(ctx, prev.History)
		if err != nil || len(h.Votes) != 100_000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(hub.count()-before)/float64(b.N), "requests/op")
}

// benchSource is a source reading the benchmark's space from a fake hub
// whose answers are cached, after one read that fills the cache.
func benchSource(b *testing.B) (*served, *fakeHub) {
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
	return src, hub
}
