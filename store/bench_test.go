package store

import (
	"fmt"
	"testing"
)

// auditEntries is the size of the log the audit benchmarks build.
const auditEntries = 10_000

// fill appends n entries (n/4 cycles taken from fetching to failed, one
// entry per change) through the store's own changes.
func fill(b *testing.B, s Store, n int, prefix string) {
	b.Helper()
	for i := range n / changesPerCycle {
		c, err := s.CreateCycle(ctx, NewCycle{Actor: "bench", DAO: "Compound", ConfigHash: "cfg"})
		if err != nil {
			b.Fatal(err)
		}
		for _, st := range []struct {
			to State
			ch Change
		}{
			{Calibrating, Change{Actor: "bench", InputsHash: fmt.Sprintf("%s-%d", prefix, i)}},
			{Optimizing, Change{Actor: "bench"}},
			{Failed, Change{Actor: "bench", Error: "bench"}},
		} {
			if _, err := s.Advance(ctx, c.ID, st.to, st.ch); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkAudit appends 10,000 audit entries (one per change, each in
// its own transaction) and then verifies the chain; ns/op is the whole.
func BenchmarkAudit(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name+"/append-10k", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s := openT(b, be.dsn(b))
				b.StartTimer()
				fill(b, s, auditEntries, "a")
			}
			b.ReportMetric(float64(auditEntries*b.N)/b.Elapsed().Seconds(), "entries/s")
		})
		b.Run(be.name+"/verify-10k", func(b *testing.B) {
			s := openT(b, be.dsn(b))
			fill(b, s, auditEntries, "v")
			b.ResetTimer()
			for b.Loop() {
				v, err := s.Verify(ctx)
				if err != nil || v.Err() != nil || v.Entries != auditEntries {
					b.Fatalf("%+v %v", v, err)
				}
			}
			b.ReportMetric(float64(auditEntries*b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkTransition moves cycles from state to state: one op is one
// checked transition with its audit entry, in its own transaction.
func BenchmarkTransition(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := openT(b, be.dsn(b))
			path := []State{Calibrating, Optimizing, Drafting, Failed}
			var c Cycle
			var err error
			n := 0
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := i % len(path)
				if k == 0 {
					b.StopTimer()
					if c, err = s.CreateCycle(ctx, NewCycle{Actor: "bench", DAO: "Compound", ConfigHash: "cfg"}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				ch := Change{Actor: "bench", Error: "bench"}
				if k == 0 {
					ch.InputsHash = fmt.Sprint("t-", i)
				}
				if _, err := s.Advance(ctx, c.ID, path[k], ch); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "transitions/s")
		})
	}
}
