// Package bench runs attune's optimizer on the standard test problems of
// ../shared/bench/problems.json, the file Optuna's reference results were
// measured on, so the two can be compared seed by seed.
//
// A problem names its function (sphere, rosenbrock, rastrigin, branin,
// hartmann6, styblinski_tang, mixed), its parameters, its optimum and
// check points with exact values; noisy variants add Gaussian noise of a
// stated standard deviation to each evaluation, and the best trial is the
// one with the lowest observed value, scored on the noise-free function.
package bench

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/attune-dao/attune/optimizer"
)

// ErrProblem is wrapped by errors about a problems file or a problem.
var ErrProblem = errors.New("invalid benchmark problem")

// File is a problems file.
type File struct {
	Version  int       `json:"version"`
	Sense    string    `json:"sense"`
	Problems []Problem `json:"problems"`
}

// Param is one parameter of a problem.
type Param struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"` // float, int or categorical
	Low     float64  `json:"low"`
	High    float64  `json:"high"`
	Log     bool     `json:"log"`
	Step    float64  `json:"step"`
	Choices []string `json:"choices"`
}

// CheckPoint is a point with the function's exact value there.
type CheckPoint struct {
	Params map[string]any `json:"params"`
	F      float64        `json:"f"`
}

// Problem is one minimisation problem.
type Problem struct {
	Name        string          `json:"name"`
	Function    string          `json:"function"`
	Params      []Param         `json:"params"`
	Optimum     float64         `json:"optimum"`
	NoiseSD     float64         `json:"noise_sd"`
	Noisy       bool            `json:"noisy"`
	Constants   json.RawMessage `json:"constants"`
	CheckPoints []CheckPoint    `json:"check_points"`

	f func(x map[string]float64) float64
}

// Functions lists the functions a problem may name.
var Functions = []string{"branin", "hartmann6", "mixed", "rastrigin", "rosenbrock", "sphere", "styblinski_tang"}

// Load reads and checks a problems file: every problem's function is
// implemented here, its parameters are well formed, and its check points
// evaluate to their stated values.
func Load(r io.Reader) (*File, error) {
	var f File
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("bench: problems file: %w: %w", err, ErrProblem)
	}
	if f.Sense != "" && f.Sense != "minimize" {
		return nil, fmt.Errorf("bench: problems file: sense %q; only minimize is supported: %w", f.Sense, ErrProblem)
	}
	if len(f.Problems) == 0 {
		return nil, fmt.Errorf("bench: problems file lists no problems: %w", ErrProblem)
	}
	seen := map[string]bool{}
	for i := range f.Problems {
		p := &f.Problems[i]
		if p.Name == "" {
			return nil, fmt.Errorf("bench: problems[%d]: no name: %w", i, ErrProblem)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("bench: problems[%d]: name %q used twice: %w", i, p.Name, ErrProblem)
		}
		seen[p.Name] = true
		if err := p.prepare(); err != nil {
			return nil, fmt.Errorf("bench: problem %s (problems[%d]): %w", p.Name, i, err)
		}
		if err := p.Check(); err != nil {
			return nil, fmt.Errorf("bench: problem %s (problems[%d]): %w", p.Name, i, err)
		}
	}
	return &f, nil
}

//go:embed problems.json
var defaultProblems []byte

// Default is the problems file attune ships: a copy of
// ../shared/bench/problems.json, the problems Optuna 3.1's reference
// results were measured on.
func Default() (*File, error) { return Load(bytes.NewReader(defaultProblems)) }

// LoadFile reads a problems file from disk.
func LoadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer fh.Close()
	f, err := Load(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Problem returns the named problem.
func (f *File) Problem(name string) (*Problem, error) {
	names := make([]string, 0, len(f.Problems))
	for i := range f.Problems {
		if f.Problems[i].Name == name {
			return &f.Problems[i], nil
		}
		names = append(names, f.Problems[i].Name)
	}
	return nil, fmt.Errorf("bench: no problem %q; have %v: %w", name, names, ErrProblem)
}

func (p *Problem) prepare() error {
	if !(p.NoiseSD >= 0) || math.IsInf(p.NoiseSD, 0) {
		return fmt.Errorf("noise_sd %g must be finite and >= 0: %w", p.NoiseSD, ErrProblem)
	}
	if math.IsNaN(p.Optimum) || math.IsInf(p.Optimum, 0) {
		return fmt.Errorf("optimum %g must be finite: %w", p.Optimum, ErrProblem)
	}
	if len(p.Params) == 0 {
		return fmt.Errorf("no params: %w", ErrProblem)
	}
	names := map[string]bool{}
	for i, q := range p.Params {
		if q.Name == "" || names[q.Name] {
			return fmt.Errorf("params[%d]: name %q is empty or repeated: %w", i, q.Name, ErrProblem)
		}
		names[q.Name] = true
		switch q.Type {
		case "float", "int":
			if !(q.Low <= q.High) || math.IsInf(q.Low, 0) || math.IsInf(q.High, 0) {
				return fmt.Errorf("params[%d] %s: range [%g, %g] is empty or infinite: %w", i, q.Name, q.Low, q.High, ErrProblem)
			}
			if q.Log && !(q.Low > 0) {
				return fmt.Errorf("params[%d] %s: log scale needs low > 0, have %g: %w", i, q.Name, q.Low, ErrProblem)
			}
			if q.Type == "int" && (q.Low != math.Trunc(q.Low) || q.High != math.Trunc(q.High) || q.High-q.Low > 1e9 || (q.Step != 0 && q.Step != 1) || q.Log) {
				return fmt.Errorf("params[%d] %s: int needs whole bounds less than 1e9 apart, step 1 and no log scale: %w", i, q.Name, ErrProblem)
			}
		case "categorical":
			if len(q.Choices) == 0 {
				return fmt.Errorf("params[%d] %s: categorical with no choices: %w", i, q.Name, ErrProblem)
			}
		default:
			return fmt.Errorf("params[%d] %s: type %q; want float, int or categorical: %w", i, q.Name, q.Type, ErrProblem)
		}
	}
	f, err := build(p)
	if err != nil {
		return err
	}
	p.f = f
	return nil
}

// Check evaluates the problem at each check point and compares with the
// stated value.
func (p *Problem) Check() error {
	if p.f == nil {
		if err := p.prepare(); err != nil {
			return err
		}
	}
	for i, c := range p.CheckPoints {
		x, err := p.Internal(c.Params)
		if err != nil {
			return fmt.Errorf("check_points[%d]: %w", i, err)
		}
		got := p.f(x)
		if math.Abs(got-c.F) > 1e-9*math.Max(1, math.Abs(c.F)) {
			return fmt.Errorf("check_points[%d]: f = %.17g here, the file says %.17g: %w", i, got, c.F, ErrProblem)
		}
	}
	return nil
}

// Space is the problem's search space: float parameters on their scale,
// int parameters whole, categorical ones as the index of their choice.
func (p *Problem) Space() optimizer.Space {
	var s optimizer.Space
	for _, q := range p.Params {
		switch q.Type {
		case "float":
			k := optimizer.Float
			if q.Log {
				k = optimizer.Log
			}
			s = append(s, optimizer.Param{Name: q.Name, Kind: k, Low: q.Low, High: q.High})
		case "int":
			s = append(s, optimizer.Param{Name: q.Name, Kind: optimizer.Int, Low: q.Low, High: q.High})
		case "categorical":
			cs := make([]float64, len(q.Choices))
			for i := range cs {
				cs[i] = float64(i)
			}
			s = append(s, optimizer.Param{Name: q.Name, Kind: optimizer.Categorical, Choices: cs})
		}
	}
	return s
}

// Internal converts parameters as the file writes them (numbers, choice
// strings) to the search's values (a categorical by its index).
func (p *Problem) Internal(params map[string]any) (map[string]float64, error) {
	x := make(map[string]float64, len(p.Params))
	for _, q := range p.Params {
		v, ok := params[q.Name]
		if !ok {
			return nil, fmt.Errorf("param %s missing: %w", q.Name, ErrProblem)
		}
		switch q.Type {
		case "categorical":
			s, ok := v.(string)
			i := slices.Index(q.Choices, s)
			if !ok || i < 0 {
				return nil, fmt.Errorf("param %s: %v is not one of %v: %w", q.Name, v, q.Choices, ErrProblem)
			}
			x[q.Name] = float64(i)
		default:
			f, ok := v.(float64)
			if !ok {
				return nil, fmt.Errorf("param %s: %v is not a number: %w", q.Name, v, ErrProblem)
			}
			x[q.Name] = f
		}
	}
	return x, nil
}

// External converts the search's values to the file's representation.
func (p *Problem) External(x map[string]float64) map[string]any {
	out := make(map[string]any, len(p.Params))
	for _, q := range p.Params {
		v := x[q.Name]
		switch q.Type {
		case "categorical":
			i := min(max(int(v), 0), len(q.Choices)-1)
			out[q.Name] = q.Choices[i]
		case "int":
			out[q.Name] = int(math.Round(v))
		default:
			out[q.Name] = v
		}
	}
	return out
}

// F is the noise-free value at x (the search's values).
func (p *Problem) F(x map[string]float64) float64 { return p.f(x) }
