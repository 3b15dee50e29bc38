package gp

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestExperiment runs the benchmark problems and prints the median best
// gap at 50, 100 and 200 trials next to Optuna 3.1's. It runs only with
// ATTUNE_GP_EXPERIMENT=1; ATTUNE_GP_PROBLEMS (comma-separated names),
// ATTUNE_GP_SEEDS, ATTUNE_GP_TRIALS, ATTUNE_GP_WORKERS, ATTUNE_GP_WARP and
// ATTUNE_GP_STARTUP, ATTUNE_GP_FINAL and ATTUNE_GP_LOCALMAX adjust it;
// ATTUNE_GP_BESTX=1 prints each run's chosen point.
func TestExperiment(t *testing.T) {
	if os.Getenv("ATTUNE_GP_EXPERIMENT") != "1" {
		t.Log("set ATTUNE_GP_EXPERIMENT=1 to run the benchmark experiment")
		return
	}
	envInt := func(k string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return v
		}
		return def
	}
	seeds := envInt("ATTUNE_GP_SEEDS", 10)
	trials := envInt("ATTUNE_GP_TRIALS", 200)
	workers := envInt("ATTUNE_GP_WORKERS", 2)
	set := Defaults()
	if w := os.Getenv("ATTUNE_GP_WARP"); w != "" {
		set.Warp = w
	}
	set.Startup = envInt("ATTUNE_GP_STARTUP", set.Startup)
	envFloat := func(k string, def float64) float64 {
		if v, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
			return v
		}
		return def
	}
	set.NoisyBeta = envFloat("ATTUNE_GP_BETA", set.NoisyBeta)
	set.NoisyRatio = envFloat("ATTUNE_GP_RATIO", set.NoisyRatio)
	set.FinalFrac = envFloat("ATTUNE_GP_FINAL", set.FinalFrac)
	set.LocalMax = envFloat("ATTUNE_GP_LOCALMAX", set.LocalMax)
	want := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("ATTUNE_GP_PROBLEMS"), ",") {
		if n != "" {
			want[n] = true
		}
	}
	ref := optunaMedians("/work/shared/bench/optuna-3.1-summary.md")
	checkpoints := []int{50, 100, 200}
	for _, p := range benchProblems() {
		if len(want) > 0 && !want[p.name] {
			continue
		}
		gaps := make([][]float64, seeds)
		var wg sync.WaitGroup
		sem := make(chan struct{}, workers)
		start := time.Now()
		for seed := range seeds {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				smp := NewWithSettings(uint64(seed), set)
				smp.budget = trials
				g, err := runProblem(smp, p, uint64(seed), trials, checkpoints)
				if err != nil {
					t.Errorf("%s seed %d: %v", p.name, seed, err)
					return
				}
				gaps[seed] = g
			}()
		}
		wg.Wait()
		line := fmt.Sprintf("%-22s", p.name)
		for c := range checkpoints {
			if checkpoints[c] > trials {
				break
			}
			var v []float64
			for _, g := range gaps {
				if c < len(g) {
					v = append(v, g[c])
				}
			}
			m := median(v)
			r := ref[p.name+"/"+strconv.Itoa(checkpoints[c])]
			line += fmt.Sprintf(" | n=%d gp %.4g (tpe %s, cma %s)", checkpoints[c], m, r[0], r[1])
		}
		line += fmt.Sprintf(" | %.1fs", time.Since(start).Seconds())
		fmt.Println(line)
		if os.Getenv("ATTUNE_GP_RAW") == "1" {
			for s, g := range gaps {
				fmt.Printf("  %s seed %d %v\n", p.name, s, g)
			}
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// optunaMedians reads the medians of Optuna's TPE and CMA-ES from the
// baseline summary, keyed by "problem/trials".
func optunaMedians(path string) map[string][2]string {
	out := map[string][2]string{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer func() { _ = f.Close() }()
	row := regexp.MustCompile(`^\| (\S+) \| (tpe|cmaes) \| (\S+) \[[^|]*\| (\S+) \[[^|]*\| (\S+) \[`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		i := 0
		if m[2] == "cmaes" {
			i = 1
		}
		for k, n := range []string{"50", "100", "200"} {
			v := out[m[1]+"/"+n]
			v[i] = m[3+k]
			out[m[1]+"/"+n] = v
		}
	}
	return out
}
