package cmaes

import (
	"fmt"
	"testing"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// BenchmarkSampleRelative measures one proposal after 1000 complete trials
// (6 and 8 dimensions, a sphere): "cached" with the sampler that ran the
// study, "replay" with a fresh sampler each time, which replays the whole
// history.
func BenchmarkSampleRelative(b *testing.B) {
	for _, dim := range []int{6, 8} {
		space := unitSpace(dim)
		s := New(sampling.Config{Seed: 1})
		study := newStudy(b, space, s)
		run(b, study, space, sphereAt(0.3), 1000)
		id, err := study.Storage.CreateNewTrial(study.ID)
		if err != nil {
			b.Fatal(err)
		}
		frozen, err := study.Storage.GetTrial(id)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"cached", "replay"} {
			b.Run(fmt.Sprintf("dim=%d/%s", dim, mode), func(b *testing.B) {
				for b.Loop() {
					sm := s
					if mode == "replay" {
						sm = New(sampling.Config{Seed: 1})
					}
					if _, err := sm.SampleRelative(study, frozen, space); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(fmt.Sprintf("dim=%d/GetTrials", dim), func(b *testing.B) {
			for b.Loop() {
				if _, err := study.GetTrials(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
