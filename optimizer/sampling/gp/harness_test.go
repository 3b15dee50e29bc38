package gp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// benchParam is one parameter of a benchmark problem.
type benchParam struct {
	name      string
	kind      string // float, int, cat
	low, high float64
	log       bool
	choices   []string
}

// benchProblem is one of the shared benchmark problems
// (/work/shared/bench/problems.json), implemented from problems.py.
type benchProblem struct {
	name    string
	params  []benchParam
	f       func(x map[string]float64) float64 // internal values (categorical: index)
	optimum float64
	noiseSD float64
}

func box(d int, lo, hi float64) []benchParam {
	out := make([]benchParam, d)
	for i := range out {
		out[i] = benchParam{name: fmt.Sprintf("x%d", i), kind: "float", low: lo, high: hi}
	}
	return out
}

func vec(x map[string]float64, d int) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = x[fmt.Sprintf("x%d", i)]
	}
	return v
}

var hartA = [4][6]float64{
	{10, 3, 17, 3.5, 1.7, 8},
	{0.05, 10, 17, 0.1, 8, 14},
	{3, 3.5, 1.7, 10, 17, 8},
	{17, 8, 0.05, 10, 0.1, 14},
}

var hartP = [4][6]float64{
	{1312e-4, 1696e-4, 5569e-4, 124e-4, 8283e-4, 5886e-4},
	{2329e-4, 4135e-4, 8307e-4, 3736e-4, 1004e-4, 9991e-4},
	{2348e-4, 1451e-4, 3522e-4, 2883e-4, 3047e-4, 6650e-4},
	{4047e-4, 8828e-4, 8732e-4, 5743e-4, 1091e-4, 381e-4},
}

func benchProblems() []benchProblem {
	sphere := func(x map[string]float64) float64 {
		s := 0.0
		for _, v := range vec(x, 5) {
			s += v * v
		}
		return s
	}
	rosen := func(x map[string]float64) float64 {
		v := vec(x, 4)
		s := 0.0
		for i := 0; i < 3; i++ {
			s += 100*(v[i+1]-v[i]*v[i])*(v[i+1]-v[i]*v[i]) + (1-v[i])*(1-v[i])
		}
		return s
	}
	rastrigin := func(x map[string]float64) float64 {
		s := 60.0
		for _, v := range vec(x, 6) {
			s += v*v - 10*math.Cos(2*math.Pi*v)
		}
		return s
	}
	branin := func(x map[string]float64) float64 {
		b, c, t := 5.1/(4*math.Pi*math.Pi), 5/math.Pi, 1/(8*math.Pi)
		x0, x1 := x["x0"], x["x1"]
		d := x1 - b*x0*x0 + c*x0 - 6
		return d*d + 10*(1-t)*math.Cos(x0) + 10
	}
	hartmann := func(x map[string]float64) float64 {
		v := vec(x, 6)
		alpha := []float64{1, 1.2, 3, 3.2}
		tot := 0.0
		for i := range 4 {
			in := 0.0
			for j := range 6 {
				in += hartA[i][j] * (v[j] - hartP[i][j]) * (v[j] - hartP[i][j])
			}
			tot += alpha[i] * math.Exp(-in)
		}
		return -tot
	}
	st := func(x map[string]float64) float64 {
		s := 0.0
		for _, v := range vec(x, 8) {
			s += v*v*v*v - 16*v*v + 5*v
		}
		return s / 2
	}
	mixed := func(x map[string]float64) float64 {
		pen := []float64{0.1, 0, 0.3}
		l := math.Log10(x["lr"]) + 2.5
		return (x["x1"]-0.3)*(x["x1"]-0.3) + (x["x2"]-0.7)*(x["x2"]-0.7) + (x["x3"]-0.5)*(x["x3"]-0.5) +
			((x["n"]-12)/20)*((x["n"]-12)/20) + l*l/4 + pen[int(x["cat"])]
	}
	mixedParams := []benchParam{
		{name: "x1", kind: "float", low: 0, high: 1},
		{name: "x2", kind: "float", low: 0, high: 1},
		{name: "x3", kind: "float", low: 0, high: 1},
		{name: "n", kind: "int", low: 1, high: 20},
		{name: "lr", kind: "float", low: 1e-4, high: 1, log: true},
		{name: "cat", kind: "cat", choices: []string{"a", "b", "c"}},
	}
	base := []benchProblem{
		{name: "sphere5", params: box(5, -5, 5), f: sphere, optimum: 0},
		{name: "rosenbrock4", params: box(4, -2, 2), f: rosen, optimum: 0},
		{name: "rastrigin6", params: box(6, -5.12, 5.12), f: rastrigin, optimum: 0},
		{name: "branin", params: []benchParam{{name: "x0", kind: "float", low: -5, high: 10}, {name: "x1", kind: "float", low: 0, high: 15}}, f: branin, optimum: 0.397887357729738},
		{name: "hartmann6", params: box(6, 0, 1), f: hartmann, optimum: -3.32236801141551},
		{name: "styblinski_tang8", params: box(8, -5, 5), f: st, optimum: -313.32932563017135},
		{name: "mixed", params: mixedParams, f: mixed, optimum: 0},
	}
	noise := map[string]float64{"sphere5": 4.08, "rosenbrock4": 107, "rastrigin6": 11.1, "branin": 3.49, "hartmann6": 0.322, "styblinski_tang8": 27, "mixed": 0.0855}
	out := append([]benchProblem(nil), base...)
	for _, p := range base {
		q := p
		q.name += "_noisy"
		q.noiseSD = noise[p.name]
		out = append(out, q)
	}
	return out
}

func (p benchProblem) space() map[string]any {
	s := make(map[string]any, len(p.params))
	for _, q := range p.params {
		switch {
		case q.kind == "cat":
			s[q.name] = goptuna.CategoricalDistribution{Choices: q.choices}
		case q.kind == "int":
			s[q.name] = goptuna.IntUniformDistribution{Low: int(q.low), High: int(q.high)}
		case q.log:
			s[q.name] = goptuna.LogUniformDistribution{Low: q.low, High: q.high}
		default:
			s[q.name] = goptuna.UniformDistribution{Low: q.low, High: q.high}
		}
	}
	return s
}

func (p benchProblem) randomPoint(r *rand.Rand) map[string]float64 {
	x := make(map[string]float64, len(p.params))
	for _, q := range p.params {
		switch {
		case q.kind == "cat":
			x[q.name] = float64(r.IntN(len(q.choices)))
		case q.kind == "int":
			x[q.name] = q.low + float64(r.IntN(int(q.high-q.low)+1))
		case q.log:
			x[q.name] = math.Exp(math.Log(q.low) + r.Float64()*(math.Log(q.high)-math.Log(q.low)))
		default:
			x[q.name] = q.low + r.Float64()*(q.high-q.low)
		}
	}
	return x
}

func (p benchProblem) suggest(t goptuna.Trial) (map[string]float64, error) {
	x := make(map[string]float64, len(p.params))
	for _, q := range p.params {
		var err error
		switch {
		case q.kind == "cat":
			var c string
			c, err = t.SuggestCategorical(q.name, q.choices)
			for i, v := range q.choices {
				if v == c {
					x[q.name] = float64(i)
				}
			}
		case q.kind == "int":
			var v int
			v, err = t.SuggestInt(q.name, int(q.low), int(q.high))
			x[q.name] = float64(v)
		case q.log:
			x[q.name], err = t.SuggestLogFloat(q.name, q.low, q.high)
		default:
			x[q.name], err = t.SuggestFloat(q.name, q.low, q.high)
		}
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

// runProblem minimises p with sampler s for trials trials, trial 0 being a
// random in-box point, and returns the noise-free gap of the trial with
// the lowest observed value after each of the checkpoints.
func runProblem(s sampling.Sampler, p benchProblem, seed uint64, trials int, checkpoints []int) ([]float64, error) {
	study, err := goptuna.CreateStudy("bench",
		goptuna.StudyOptionDirection(goptuna.StudyDirectionMinimize),
		goptuna.StudyOptionDefineSearchSpace(p.space()),
		goptuna.StudyOptionSampler(s),
		goptuna.StudyOptionRelativeSampler(s),
		goptuna.StudyOptionLogger(nil),
	)
	if err != nil {
		return nil, err
	}
	if err := study.EnqueueTrial(p.randomPoint(rand.New(rand.NewPCG(seed, 0x62617365)))); err != nil {
		return nil, err
	}
	noise := rand.New(rand.NewPCG(seed, 1_000_003))
	bestObs, bestGap := math.Inf(1), math.NaN()
	var gaps []float64
	var bestX map[string]float64
	count := 0
	err = study.Optimize(func(t goptuna.Trial) (float64, error) {
		x, err := p.suggest(t)
		if err != nil {
			return 0, err
		}
		f := p.f(x)
		y := f
		if p.noiseSD > 0 {
			y += p.noiseSD * noise.NormFloat64()
		}
		if y < bestObs {
			bestObs, bestGap = y, f-p.optimum
			bestX = x
		}
		count++
		for _, c := range checkpoints {
			if c == count {
				gaps = append(gaps, bestGap)
			}
		}
		return y, nil
	}, trials)
	if os.Getenv("ATTUNE_GP_BESTX") == "1" {
		fmt.Printf("    %s seed %d gap %.3g best %v\n", p.name, seed, bestGap, bestX)
	}
	return gaps, err
}
