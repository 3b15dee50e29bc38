package gp

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// BenchmarkSampleRelative measures one proposal (loading the history,
// fitting the process, maximising the acquisition) in a 6-dimensional
// space after 200 and 1000 complete trials of the Hartmann function.
func BenchmarkSampleRelative(b *testing.B) {
	p := benchProblems()[4] // hartmann6
	for _, n := range []int{200, 1000} {
		b.Run(fmt.Sprintf("trials=%d", n), func(b *testing.B) {
			s := New(sampling.Config{Seed: 1})
			space := p.space()
			study, err := goptuna.CreateStudy("bench",
				goptuna.StudyOptionDefineSearchSpace(space),
				goptuna.StudyOptionSampler(s),
				goptuna.StudyOptionRelativeSampler(s),
				goptuna.StudyOptionLogger(nil),
			)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			for range n {
				id, err := study.Storage.CreateNewTrial(study.ID)
				if err != nil {
					b.Fatal(err)
				}
				x := p.randomPoint(r)
				for name, v := range x {
					if err := study.Storage.SetTrialParam(id, name, v, space[name]); err != nil {
						b.Fatal(err)
					}
				}
				if err := study.Storage.SetTrialValue(id, p.f(x)); err != nil {
					b.Fatal(err)
				}
				if err := study.Storage.SetTrialState(id, goptuna.TrialStateComplete); err != nil {
					b.Fatal(err)
				}
			}
			id, err := study.Storage.CreateNewTrial(study.ID)
			if err != nil {
				b.Fatal(err)
			}
			trial, err := study.Storage.GetTrial(id)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := s.SampleRelative(study, trial, space); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
