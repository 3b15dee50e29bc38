package tpe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/attune-dao/attune/optimizer/sampling"
	_ "github.com/attune-dao/attune/optimizer/sampling/random"
)

// optunaTPE holds Optuna 3.1 TPE's median best gaps at 100 and 200 trials
// over 20 seeds (/work/shared/bench/optuna-3.1-summary.md).
var optunaTPE = map[string][2]float64{
	"sphere5":                {0.36, 0.0929},
	"rosenbrock4":            {3.98, 2.33},
	"rastrigin6":             {31.6, 23.9},
	"branin":                 {0.0121, 0.003},
	"hartmann6":              {0.254, 0.1},
	"styblinski_tang8":       {77.8, 61},
	"mixed":                  {0.0198, 0.00495},
	"sphere5_noisy":          {2.88, 2.08},
	"rosenbrock4_noisy":      {41.9, 31.7},
	"rastrigin6_noisy":       {45.4, 32.5},
	"branin_noisy":           {0.768, 0.777},
	"hartmann6_noisy":        {0.496, 0.372},
	"styblinski_tang8_noisy": {95.9, 74.4},
	"mixed_noisy":            {0.0784, 0.0355},
}

// TestExperiment runs the benchmark problems with the TPE sampler and
// prints the median best gaps beside Optuna 3.1 TPE's. It is for tuning by
// hand and runs only when ATTUNE_TPE_EXPERIMENT=1. Other variables:
// ATTUNE_TPE_SEEDS (default 10), ATTUNE_TPE_ONLY (comma-separated problem
// names), ATTUNE_TPE_SETTINGS (JSON overlaid on Defaults),
// ATTUNE_TPE_PROBLEMS (path of problems.json), ATTUNE_TPE_OPTUNA (path of
// Optuna's raw JSON lines, for Mann-Whitney tests), ATTUNE_TPE_WORKERS.
func TestExperiment(t *testing.T) {
	if os.Getenv("ATTUNE_TPE_EXPERIMENT") != "1" {
		t.Skip("set ATTUNE_TPE_EXPERIMENT=1 to run")
	}
	path := envOr("ATTUNE_TPE_PROBLEMS", "/work/shared/bench/problems.json")
	probs, err := loadProblems(path)
	if err != nil {
		t.Fatal(err)
	}
	seeds, _ := strconv.Atoi(envOr("ATTUNE_TPE_SEEDS", "10"))
	workers, _ := strconv.Atoi(envOr("ATTUNE_TPE_WORKERS", "2"))
	set := Defaults()
	if js := os.Getenv("ATTUNE_TPE_SETTINGS"); js != "" {
		if err := json.Unmarshal([]byte(js), &set); err != nil {
			t.Fatal(err)
		}
	}
	only := map[string]bool{}
	for n := range strings.SplitSeq(os.Getenv("ATTUNE_TPE_ONLY"), ",") {
		if n != "" {
			only[n] = true
		}
	}
	optuna := loadOptuna(envOr("ATTUNE_TPE_OPTUNA", "/tmp/optuna/optuna-3.1.jsonl"))
	sampler := envOr("ATTUNE_TPE_SAMPLER", "tpe")

	type job struct {
		p    *problem
		seed uint64
	}
	results := map[string][][]float64{}
	var mu sync.Mutex
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for j := range jobs {
				var s sampling.Sampler = NewWithSettings(j.seed, set)
				if sampler != "tpe" {
					s, err = sampling.New(sampler, sampling.Config{Seed: j.seed})
					if err != nil {
						panic(err)
					}
				}
				gaps, err := j.p.run(s, 200, j.seed)
				if err != nil {
					t.Error(j.p.Name, err)
					continue
				}
				mu.Lock()
				results[j.p.Name] = append(results[j.p.Name], gaps)
				mu.Unlock()
			}
		})
	}
	for _, p := range probs {
		if len(only) > 0 && !only[p.Name] {
			continue
		}
		for seed := range uint64(seeds) {
			jobs <- job{p, seed}
		}
	}
	close(jobs)
	wg.Wait()

	fmt.Printf("settings %+v\n", set)
	fmt.Printf("%-24s %10s %10s %10s %6s | %10s %10s %6s  %s\n", "problem", "n=50", "n=100", "optuna100", "p100", "n=200", "optuna200", "p200", "")
	var logRatio float64
	var wins, losses, cells int
	for _, p := range probs {
		rs := results[p.Name]
		if len(rs) == 0 {
			continue
		}
		at := func(n int) []float64 {
			v := make([]float64, len(rs))
			for i, g := range rs {
				v[i] = g[n-1]
			}
			return v
		}
		o := optunaTPE[p.Name]
		line := fmt.Sprintf("%-24s %10.4g", p.Name, median(at(50)))
		for i, n := range []int{100, 200} {
			m := median(at(n))
			pv := math.NaN()
			if ref := optuna[p.Name+"/"+strconv.Itoa(n)]; len(ref) >= 5 {
				pv = mannWhitneyLess(at(n), ref)
				if pv < 0.05 {
					wins++
				} else if mannWhitneyLess(ref, at(n)) < 0.05 {
					losses++
				}
			}
			cells++
			logRatio += math.Log(math.Max(m, 1e-12) / o[i])
			if i == 0 {
				line += fmt.Sprintf(" %10.4g %10.4g %6.3f |", m, o[i], pv)
			} else {
				line += fmt.Sprintf(" %10.4g %10.4g %6.3f", m, o[i], pv)
			}
		}
		fmt.Println(line)
	}
	fmt.Printf("geometric mean ratio to Optuna TPE medians: %.3f over %d cells; significantly better %d, worse %d\n",
		math.Exp(logRatio/float64(max(cells, 1))), cells, wins, losses)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// loadOptuna reads Optuna's raw TPE rows: best gaps by "problem/trials".
func loadOptuna(path string) map[string][]float64 {
	out := map[string][]float64{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			Problem, Sampler string
			Trials           int
			BestGap          float64 `json:"best_gap"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Sampler != "tpe" {
			continue
		}
		k := r.Problem + "/" + strconv.Itoa(r.Trials)
		out[k] = append(out[k], r.BestGap)
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// mannWhitneyLess is the one-sided p-value of the Mann-Whitney U test that
// a tends to be smaller than b (normal approximation with tie correction).
func mannWhitneyLess(a, b []float64) float64 {
	type obs struct {
		v float64
		a bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	n := len(all)
	ranks := make([]float64, n)
	tie := 0.0
	for i := 0; i < n; {
		j := i
		for j < n && all[j].v == all[i].v {
			j++
		}
		r := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			ranks[k] = r
		}
		t := float64(j - i)
		tie += t*t*t - t
		i = j
	}
	ra := 0.0
	for i, o := range all {
		if o.a {
			ra += ranks[i]
		}
	}
	n1, n2 := float64(len(a)), float64(len(b))
	u := ra - n1*(n1+1)/2
	mean := n1 * n2 / 2
	sd := math.Sqrt(n1 * n2 / 12 * ((n1 + n2 + 1) - tie/((n1+n2)*(n1+n2-1))))
	if sd == 0 {
		return 0.5
	}
	z := (u - mean + 0.5) / sd // continuity correction
	return phi(z)
}
