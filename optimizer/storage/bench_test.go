package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/c-bata/goptuna"
)

// historySampler is goptuna's random sampler plus one read of the whole
// history per trial, the way model-based samplers (TPE, CMA-ES) work.
type historySampler struct {
	inner *goptuna.RandomSampler
}

func (s historySampler) Sample(study *goptuna.Study, trial goptuna.FrozenTrial, name string, d any) (float64, error) {
	if name == "x" { // the first parameter of objective6
		if _, err := study.GetTrials(); err != nil {
			return 0, err
		}
	}
	return s.inner.Sample(study, trial, name, d)
}

// BenchmarkStudy1000 runs a 1000-trial study (six parameters, trivial
// objective, random sampling) through goptuna on each storage and reports
// the time per trial over the whole study (ns/trial) and over its last
// 100 trials (ns/trial@1000, the cost once the history is long). "random" reads the whole history once per trial
// (goptuna's Study does, to pop enqueued trials); "history" twice, like a
// model-based sampler. The storage's own cost is the difference to
// inmemory.
//
//	go test -run '^$' -bench Study1000 -benchtime 1x ./optimizer/storage/
func BenchmarkStudy1000(b *testing.B) {
	const trials = 1000
	stores := []struct {
		name string
		open func(b *testing.B) goptuna.Storage
	}{
		{"inmemory", func(*testing.B) goptuna.Storage { return goptuna.NewInMemoryStorage() }},
		{"sqlite", func(b *testing.B) goptuna.Storage {
			return openT(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
		}},
		{"postgres", func(b *testing.B) goptuna.Storage {
			if os.Getenv(pgEnv) == "" {
				b.Skipf("%s not set", pgEnv)
			}
			return openT(b, pgDSN(b))
		}},
	}
	for _, sampler := range []string{"random", "history"} {
		for _, st := range stores {
			b.Run(sampler+"/"+st.name, func(b *testing.B) {
				var elapsed, tail time.Duration
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					storage := st.open(b)
					var smp goptuna.Sampler = goptuna.NewRandomSampler(goptuna.RandomSamplerOptionSeed(int64(i)))
					if sampler == "history" {
						smp = historySampler{goptuna.NewRandomSampler(goptuna.RandomSamplerOptionSeed(int64(i)))}
					}
					study, err := goptuna.CreateStudy(fmt.Sprintf("bench-%d", i),
						goptuna.StudyOptionStorage(storage),
						goptuna.StudyOptionSampler(smp),
						goptuna.StudyOptionLogger(nil))
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					start := time.Now()
					if err := study.Optimize(objective6, trials-100); err != nil {
						b.Fatal(err)
					}
					mid := time.Now()
					if err := study.Optimize(objective6, 100); err != nil {
						b.Fatal(err)
					}
					elapsed += time.Since(start)
					tail += time.Since(mid)
				}
				b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*trials), "ns/trial")
				b.ReportMetric(float64(tail.Nanoseconds())/float64(b.N*100), "ns/trial@1000")
			})
		}
	}
}
