package cmaes

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// TestExperiment is the quality experiment, not a check: it runs the
// sampler on the 14 benchmark problems and compares its best gaps at 100
// and 200 trials with Optuna 3.1's CmaEsSampler (one-sided Mann-Whitney,
// "worse" when p < 0.05). It does nothing unless ATTUNE_CMAES_EXPERIMENT=1.
//
//	ATTUNE_CMAES_EXPERIMENT=1 go test -run TestExperiment -v ./optimizer/sampling/cmaes/
//
// Knobs: ATTUNE_CMAES_SEEDS (20), ATTUNE_CMAES_SEED0 (0), ATTUNE_CMAES_PROBLEMS (comma list),
// ATTUNE_CMAES_WARM=1 (warm start from trial 0), ATTUNE_CMAES_OPTUNA
// (/tmp/optuna/optuna-3.1.jsonl), ATTUNE_CMAES_PROBLEMS_JSON
// (/work/shared/bench/problems.json).
func TestExperiment(t *testing.T) {
	if os.Getenv("ATTUNE_CMAES_EXPERIMENT") != "1" {
		return
	}
	env := func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	}
	seeds, _ := strconv.Atoi(env("ATTUNE_CMAES_SEEDS", "20"))
	seed0, _ := strconv.Atoi(env("ATTUNE_CMAES_SEED0", "0"))
	problems, err := loadProblems(env("ATTUNE_CMAES_PROBLEMS_JSON", "/work/shared/bench/problems.json"))
	if err != nil {
		t.Fatal(err)
	}
	if names := os.Getenv("ATTUNE_CMAES_PROBLEMS"); names != "" {
		var sel []*benchProblem
		for _, n := range strings.Split(names, ",") {
			if p := problemByName(problems, n); p != nil {
				sel = append(sel, p)
			}
		}
		problems = sel
	}
	var opts []Option
	if os.Getenv("ATTUNE_CMAES_WARM") == "1" {
		opts = append(opts, WithWarmStart(true))
	}
	sigma0, _ := strconv.ParseFloat(env("ATTUNE_CMAES_SIGMA0", "0"), 64)
	popsize, _ := strconv.Atoi(env("ATTUNE_CMAES_POPSIZE", "0"))
	opts = append(opts, WithPopulationSize(popsize), func(s *Sampler) {
		if sigma0 > 0 {
			s.sigma0 = sigma0
		}
	})
	optuna := readOptuna(t, env("ATTUNE_CMAES_OPTUNA", "/tmp/optuna/optuna-3.1.jsonl"))

	budgets := []int{100, 200}
	worse := map[int]int{}
	fmt.Printf("%-24s %6s %-32s %-32s %8s %s\n", "problem", "trials", "attune cmaes median [p25,p75]", "optuna cmaes median [p25,p75]", "p(worse)", "verdict")
	for _, p := range problems {
		gaps := map[int][]float64{}
		for seed := seed0; seed < seed0+seeds; seed++ {
			r := runProblem(t, p, uint64(seed), budgets[len(budgets)-1], New(sampling.Config{Seed: uint64(seed)}, opts...))
			for _, n := range budgets {
				gaps[n] = append(gaps[n], r.gapAt(n))
			}
		}
		for _, n := range budgets {
			ref := optuna[fmt.Sprint(p.Name, "/", n)]
			pw := math.NaN()
			verdict := "no reference"
			if len(ref) > 0 {
				pw = mannWhitneyGreater(gaps[n], ref)
				verdict = "ok"
				if pw < 0.05 {
					verdict = "WORSE"
					worse[n]++
				} else if mannWhitneyGreater(ref, gaps[n]) < 0.05 {
					verdict = "better"
				}
			}
			fmt.Printf("%-24s %6d %-32s %-32s %8.3g %s (n=%d/%d)\n", p.Name, n, quantiles(gaps[n]), quantiles(ref), pw, verdict, len(gaps[n]), len(ref))
		}
	}
	fmt.Printf("worse than Optuna: %v\n", worse)
}

func quantiles(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	q := func(p float64) float64 {
		x := p * float64(len(s)-1)
		i := int(x)
		if i+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[i] + (x-float64(i))*(s[i+1]-s[i])
	}
	return fmt.Sprintf("%.3g [%.3g, %.3g]", q(0.5), q(0.25), q(0.75))
}

// readOptuna reads the baseline's CMA-ES rows by "problem/trials".
func readOptuna(t *testing.T, path string) map[string][]float64 {
	out := map[string][]float64{}
	f, err := os.Open(path)
	if err != nil {
		t.Logf("no Optuna rows: %v", err)
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			Problem string  `json:"problem"`
			Sampler string  `json:"sampler"`
			Trials  int     `json:"trials"`
			BestGap float64 `json:"best_gap"`
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Sampler != "cmaes" {
			continue
		}
		k := fmt.Sprint(r.Problem, "/", r.Trials)
		out[k] = append(out[k], r.BestGap)
	}
	return out
}

// mannWhitneyGreater is the one-sided p-value of the Mann-Whitney U test
// that a tends to be greater than b (normal approximation with tie and
// continuity corrections).
func mannWhitneyGreater(a, b []float64) float64 {
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
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	n1, n2 := float64(len(a)), float64(len(b))
	n := n1 + n2
	ra, ties := 0.0, 0.0
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2
		tc := float64(j - i)
		ties += tc*tc*tc - tc
		for k := i; k < j; k++ {
			if all[k].a {
				ra += rank
			}
		}
		i = j
	}
	u := ra - n1*(n1+1)/2
	mean := n1 * n2 / 2
	sd := math.Sqrt(n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1))))
	if sd == 0 {
		return 0.5
	}
	z := (u - mean - 0.5) / sd
	return 0.5 * math.Erfc(z/math.Sqrt2)
}
