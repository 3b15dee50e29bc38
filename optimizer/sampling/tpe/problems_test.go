package tpe

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// problem is one entry of the shared benchmark file (problems.json).
type problem struct {
	Name     string `json:"name"`
	Function string `json:"function"`
	Params   []struct {
		Name    string   `json:"name"`
		Type    string   `json:"type"`
		Low     float64  `json:"low"`
		High    float64  `json:"high"`
		Log     bool     `json:"log"`
		Choices []string `json:"choices"`
	} `json:"params"`
	Optimum   float64         `json:"optimum"`
	NoiseSD   float64         `json:"noise_sd"`
	Constants json.RawMessage `json:"constants"`
}

func loadProblems(path string) ([]*problem, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Problems []*problem `json:"problems"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return doc.Problems, nil
}

// space is the problem's goptuna search space.
func (p *problem) space() map[string]any {
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

// eval is the noise-free value at internal (goptuna) values.
func (p *problem) eval(v map[string]float64) float64 {
	x := make([]float64, len(p.Params))
	for i, q := range p.Params {
		x[i] = v[q.Name]
	}
	switch p.Function {
	case "sphere":
		s := 0.0
		for _, t := range x {
			s += t * t
		}
		return s
	case "rosenbrock":
		s := 0.0
		for i := 0; i+1 < len(x); i++ {
			s += 100*(x[i+1]-x[i]*x[i])*(x[i+1]-x[i]*x[i]) + (1-x[i])*(1-x[i])
		}
		return s
	case "rastrigin":
		s := 10 * float64(len(x))
		for _, t := range x {
			s += t*t - 10*math.Cos(2*math.Pi*t)
		}
		return s
	case "branin":
		var k struct{ A, B, C, R, S, T float64 }
		_ = json.Unmarshal(p.Constants, &k)
		x1, x2 := x[0], x[1]
		u := x2 - k.B*x1*x1 + k.C*x1 - k.R
		return k.A*u*u + k.S*(1-k.T)*math.Cos(x1) + k.S
	case "hartmann6":
		var k struct {
			Alpha []float64
			A, P  [][]float64
		}
		_ = json.Unmarshal(p.Constants, &k)
		tot := 0.0
		for i := range 4 {
			in := 0.0
			for j := range 6 {
				in += k.A[i][j] * (x[j] - k.P[i][j]) * (x[j] - k.P[i][j])
			}
			tot += k.Alpha[i] * math.Exp(-in)
		}
		return -tot
	case "styblinski_tang":
		s := 0.0
		for _, t := range x {
			s += t*t*t*t - 16*t*t + 5*t
		}
		return s / 2
	case "mixed":
		pen := []float64{0.1, 0, 0.3}[int(v["cat"])]
		n := v["n"]
		return (v["x1"]-0.3)*(v["x1"]-0.3) + (v["x2"]-0.7)*(v["x2"]-0.7) + (v["x3"]-0.5)*(v["x3"]-0.5) +
			((n-12)/20)*((n-12)/20) + (math.Log10(v["lr"])+2.5)*(math.Log10(v["lr"])+2.5)/4 + pen
	}
	panic("unknown function " + p.Function)
}

// objective suggests every parameter and returns the values it got.
func (p *problem) suggest(t goptuna.Trial) (map[string]float64, error) {
	v := map[string]float64{}
	for _, q := range p.Params {
		var err error
		switch {
		case q.Type == "float" && q.Log:
			v[q.Name], err = t.SuggestLogFloat(q.Name, q.Low, q.High)
		case q.Type == "float":
			v[q.Name], err = t.SuggestFloat(q.Name, q.Low, q.High)
		case q.Type == "int":
			var n int
			n, err = t.SuggestInt(q.Name, int(q.Low), int(q.High))
			v[q.Name] = float64(n)
		default:
			var c string
			c, err = t.SuggestCategorical(q.Name, q.Choices)
			for i, ch := range q.Choices {
				if ch == c {
					v[q.Name] = float64(i)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// run minimises the problem with the sampler for trials trials, trial 0
// being a random in-box point, and returns the gap of the best observed
// trial after each trial.
func (p *problem) run(s sampling.Sampler, trials int, seed uint64) ([]float64, error) {
	space := p.space()
	study, err := goptuna.CreateStudy(fmt.Sprintf("%s-%d", p.Name, seed),
		goptuna.StudyOptionDefineSearchSpace(space),
		goptuna.StudyOptionSampler(s),
		goptuna.StudyOptionRelativeSampler(s),
		goptuna.StudyOptionLogger(nil),
		goptuna.StudyOptionDirection(goptuna.StudyDirectionMinimize),
	)
	if err != nil {
		return nil, err
	}
	sp, err := sampling.NewSpace(space)
	if err != nil {
		return nil, err
	}
	r0 := rand.New(rand.NewPCG(seed, 0x62617365))
	u0 := make([]float64, len(sp))
	for i := range u0 {
		u0[i] = r0.Float64()
	}
	if err := study.EnqueueTrial(sp.Decode(u0)); err != nil {
		return nil, err
	}
	noise := rand.New(rand.NewPCG(seed, 1_000_003))
	gaps := make([]float64, 0, trials)
	bestObs, bestGap := math.Inf(1), math.Inf(1)
	err = study.Optimize(func(t goptuna.Trial) (float64, error) {
		v, err := p.suggest(t)
		if err != nil {
			return 0, err
		}
		f := p.eval(v)
		y := f
		if p.NoiseSD > 0 {
			y += p.NoiseSD * noise.NormFloat64()
		}
		if y < bestObs {
			bestObs, bestGap = y, f-p.Optimum
		}
		gaps = append(gaps, bestGap)
		return y, nil
	}, trials)
	return gaps, err
}
