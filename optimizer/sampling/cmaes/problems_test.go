package cmaes

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/c-bata/goptuna"
)

// The benchmark problems of /work/shared/bench/problems.json, for the
// experiment harness (experiment_test.go).

type benchParam struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Low     float64  `json:"low"`
	High    float64  `json:"high"`
	Log     bool     `json:"log"`
	Choices []string `json:"choices"`
}

type benchProblem struct {
	Name        string          `json:"name"`
	Function    string          `json:"function"`
	Params      []benchParam    `json:"params"`
	Optimum     float64         `json:"optimum"`
	NoiseSD     float64         `json:"noise_sd"`
	Constants   json.RawMessage `json:"constants"`
	CheckPoints []struct {
		Params map[string]any `json:"params"`
		F      float64        `json:"f"`
	} `json:"check_points"`

	f func(x map[string]any) float64
}

func loadProblems(path string) ([]*benchProblem, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Problems []*benchProblem `json:"problems"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	for _, p := range doc.Problems {
		if err := p.build(); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		for _, c := range p.CheckPoints {
			if got := p.f(c.Params); math.Abs(got-c.F) > 1e-9*(1+math.Abs(c.F)) {
				return nil, fmt.Errorf("%s: f(%v) = %g, want %g", p.Name, c.Params, got, c.F)
			}
		}
	}
	return doc.Problems, nil
}

func num(v any) float64 {
	switch t := v.(type) {
	case float64:
		return t
	case int:
		return float64(t)
	}
	return math.NaN()
}

func (p *benchProblem) build() error {
	vec := func(x map[string]any) []float64 {
		v := make([]float64, len(p.Params))
		for i, q := range p.Params {
			v[i] = num(x[q.Name])
		}
		return v
	}
	var g func([]float64) float64
	switch p.Function {
	case "sphere":
		g = func(x []float64) float64 {
			s := 0.0
			for _, v := range x {
				s += v * v
			}
			return s
		}
	case "rosenbrock":
		g = func(x []float64) float64 {
			s := 0.0
			for i := 0; i+1 < len(x); i++ {
				s += 100*math.Pow(x[i+1]-x[i]*x[i], 2) + math.Pow(1-x[i], 2)
			}
			return s
		}
	case "rastrigin":
		g = func(x []float64) float64 {
			s := 10 * float64(len(x))
			for _, v := range x {
				s += v*v - 10*math.Cos(2*math.Pi*v)
			}
			return s
		}
	case "styblinski_tang":
		g = func(x []float64) float64 {
			s := 0.0
			for _, v := range x {
				s += v*v*v*v - 16*v*v + 5*v
			}
			return s / 2
		}
	case "branin":
		var k struct{ A, B, C, R, S, T float64 }
		if err := json.Unmarshal(p.Constants, &k); err != nil {
			return err
		}
		g = func(x []float64) float64 {
			return k.A*math.Pow(x[1]-k.B*x[0]*x[0]+k.C*x[0]-k.R, 2) + k.S*(1-k.T)*math.Cos(x[0]) + k.S
		}
	case "hartmann6":
		var k struct {
			Alpha []float64
			A, P  [][]float64
		}
		if err := json.Unmarshal(p.Constants, &k); err != nil {
			return err
		}
		g = func(x []float64) float64 {
			s := 0.0
			for i := range k.Alpha {
				in := 0.0
				for j := range x {
					in += k.A[i][j] * math.Pow(x[j]-k.P[i][j], 2)
				}
				s += k.Alpha[i] * math.Exp(-in)
			}
			return -s
		}
	case "mixed":
		var k struct {
			Target     map[string]float64 `json:"target"`
			NDiv       float64            `json:"n_div"`
			LrDiv      float64            `json:"lr_div"`
			CatPenalty map[string]float64 `json:"cat_penalty"`
		}
		if err := json.Unmarshal(p.Constants, &k); err != nil {
			return err
		}
		p.f = func(x map[string]any) float64 {
			t := k.Target
			s := 0.0
			for _, n := range []string{"x1", "x2", "x3"} {
				s += math.Pow(num(x[n])-t[n], 2)
			}
			s += math.Pow((num(x["n"])-t["n"])/k.NDiv, 2)
			s += math.Pow(math.Log10(num(x["lr"]))-t["log10_lr"], 2) / k.LrDiv
			return s + k.CatPenalty[x["cat"].(string)]
		}
		return nil
	default:
		return fmt.Errorf("unknown function %q", p.Function)
	}
	p.f = func(x map[string]any) float64 { return g(vec(x)) }
	return nil
}

// searchSpace is the problem's goptuna search space.
func (p *benchProblem) searchSpace() map[string]any {
	s := map[string]any{}
	for _, q := range p.Params {
		switch {
		case q.Type == "float" && q.Log:
			s[q.Name] = goptuna.LogUniformDistribution{Low: q.Low, High: q.High}
		case q.Type == "float":
			s[q.Name] = goptuna.UniformDistribution{Low: q.Low, High: q.High}
		case q.Type == "int":
			s[q.Name] = goptuna.IntUniformDistribution{Low: int(q.Low), High: int(q.High)}
		default:
			s[q.Name] = goptuna.CategoricalDistribution{Choices: q.Choices}
		}
	}
	return s
}

// suggest asks the trial for every parameter.
func (p *benchProblem) suggest(tr goptuna.Trial) (map[string]any, error) {
	x := map[string]any{}
	for _, q := range p.Params {
		var err error
		switch {
		case q.Type == "float" && q.Log:
			x[q.Name], err = tr.SuggestLogFloat(q.Name, q.Low, q.High)
		case q.Type == "float":
			x[q.Name], err = tr.SuggestFloat(q.Name, q.Low, q.High)
		case q.Type == "int":
			var v int
			v, err = tr.SuggestInt(q.Name, int(q.Low), int(q.High))
			x[q.Name] = float64(v)
		default:
			x[q.Name], err = tr.SuggestCategorical(q.Name, q.Choices)
		}
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

// randomInternal is a uniform point of the box in goptuna's internal
// representation (the index for a categorical).
func (p *benchProblem) randomInternal(r *rand.Rand) map[string]float64 {
	x := map[string]float64{}
	for _, q := range p.Params {
		switch {
		case q.Type == "float" && q.Log:
			x[q.Name] = math.Exp(math.Log(q.Low) + r.Float64()*(math.Log(q.High)-math.Log(q.Low)))
		case q.Type == "float":
			x[q.Name] = q.Low + r.Float64()*(q.High-q.Low)
		case q.Type == "int":
			x[q.Name] = q.Low + float64(r.IntN(int(q.High-q.Low)+1))
		default:
			x[q.Name] = float64(r.IntN(len(q.Choices)))
		}
	}
	return x
}

// runResult is the best gaps of one run after each prefix of its trials.
type runResult struct {
	gapAt func(n int) float64
}

// runProblem minimises p with a sampler built by mk: trial 0 a random
// point of the box (enqueued), then the sampler's trials. The best trial
// after n trials is the argmin of the observed values, scored noise-free.
func runProblem(t testing.TB, p *benchProblem, seed uint64, trials int, s *Sampler) runResult {
	noise := rand.New(rand.NewPCG(seed, 1_000_003))
	study, err := goptuna.CreateStudy("bench",
		goptuna.StudyOptionDefineSearchSpace(p.searchSpace()),
		goptuna.StudyOptionSampler(s),
		goptuna.StudyOptionRelativeSampler(s),
		goptuna.StudyOptionLogger(nil),
		goptuna.StudyOptionDirection(goptuna.StudyDirectionMinimize),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := study.EnqueueTrial(p.randomInternal(rand.New(rand.NewPCG(seed, 0x62617365)))); err != nil {
		t.Fatal(err)
	}
	var trueF, obs []float64
	err = study.Optimize(func(tr goptuna.Trial) (float64, error) {
		x, err := p.suggest(tr)
		if err != nil {
			return 0, err
		}
		f := p.f(x)
		y := f
		if p.NoiseSD > 0 {
			y += p.NoiseSD * noise.NormFloat64()
		}
		trueF = append(trueF, f)
		obs = append(obs, y)
		return y, nil
	}, trials)
	if err != nil {
		t.Fatal(err)
	}
	return runResult{gapAt: func(n int) float64 {
		best := 0
		for i := 1; i < n && i < len(obs); i++ {
			if obs[i] < obs[best] {
				best = i
			}
		}
		return trueF[best] - p.Optimum
	}}
}

func problemByName(ps []*benchProblem, name string) *benchProblem {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}
