package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer"
)

// Row is one seed's result, in the fields of the Optuna baseline's JSON
// lines (../shared/bench/optuna_baseline.py), so the two can be read by the
// same tools.
type Row struct {
	Problem         string         `json:"problem"`
	Sampler         string         `json:"sampler"`
	Seed            uint64         `json:"seed"`
	Trials          int            `json:"trials"`
	BestValue       float64        `json:"best_value"`
	BestGap         float64        `json:"best_gap"`
	BestParams      map[string]any `json:"best_params"`
	BestObserved    float64        `json:"best_observed"`
	BestTrialNumber int            `json:"best_trial_number"`
	WallS           float64        `json:"wall_s"`
	ObjectiveS      float64        `json:"objective_s"`
	OverheadS       float64        `json:"overhead_s_per_trial"`
	// Baseline is the random in-box point evaluated as trial 0, standing
	// for the parameters in force a real search starts from.
	Baseline map[string]any `json:"baseline"`
}

// Options configure a run.
type Options struct {
	Sampler string
	Trials  int
	Seed    uint64
	// Storage, when set, keeps the study there (to measure a storage's
	// cost); Study names it.
	Storage goptuna.Storage
	Study   string
}

// Run minimises the problem once: trial 0 is a point drawn uniformly from
// the box (the search's "parameters in force"; the box centre is the
// optimum of several problems, so it is not used), then Trials-1 trials
// proposed by the sampler, one at a time. A noisy problem's evaluations
// carry Gaussian noise from a stream of their own, so the noise a seed sees
// does not depend on the sampler. The best trial is the one with the
// lowest observed value, scored on the noise-free function.
func Run(ctx context.Context, p *Problem, o Options) (*Row, error) {
	if o.Trials < 1 {
		return nil, fmt.Errorf("bench: trials = %d; want at least 1: %w", o.Trials, ErrProblem)
	}
	space := p.Space()
	base := randomPoint(p, rand.New(rand.NewPCG(o.Seed, 0x62617365)))
	noise := rand.New(rand.NewPCG(o.Seed, 1_000_003))
	var mu sync.Mutex
	var objTime time.Duration
	obj := func(_ context.Context, x map[string]float64) (optimizer.Evaluation, error) {
		mu.Lock()
		defer mu.Unlock()
		t0 := time.Now()
		y := p.f(x)
		if p.NoiseSD > 0 {
			y += p.NoiseSD * noise.NormFloat64()
		}
		objTime += time.Since(t0)
		return optimizer.Evaluation{Value: -y}, nil
	}
	start := time.Now()
	res, err := optimizer.Search(ctx, space, base, obj, optimizer.Options{
		Sampler: o.Sampler, Trials: o.Trials, Batch: 1, Workers: 1, Seed: o.Seed,
		Storage: o.Storage, Study: o.Study,
	})
	wall := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", p.Name, err)
	}
	best := res.Trials[res.Best]
	f := p.f(best.Params)
	return &Row{
		Problem: p.Name, Sampler: o.Sampler, Seed: o.Seed, Trials: o.Trials,
		BestValue: f, BestGap: f - p.Optimum, BestParams: p.External(best.Params),
		BestObserved: -best.Eval.Value, BestTrialNumber: best.Number,
		WallS: wall.Seconds(), ObjectiveS: objTime.Seconds(),
		OverheadS: (wall - objTime).Seconds() / float64(o.Trials),
		Baseline:  p.External(base),
	}, nil
}

// randomPoint draws a point uniformly from the box (log-uniformly on a log
// scale, every level of an int or categorical equally likely).
func randomPoint(p *Problem, r *rand.Rand) map[string]float64 {
	x := make(map[string]float64, len(p.Params))
	for _, q := range p.Params {
		switch q.Type {
		case "float":
			if q.Log {
				x[q.Name] = math.Exp(math.Log(q.Low) + r.Float64()*(math.Log(q.High)-math.Log(q.Low)))
			} else {
				x[q.Name] = q.Low + r.Float64()*(q.High-q.Low)
			}
		case "int":
			x[q.Name] = q.Low + float64(r.IntN(int(q.High-q.Low)+1))
		case "categorical":
			x[q.Name] = float64(r.IntN(len(q.Choices)))
		}
	}
	return x
}
