package bench

import (
	"encoding/json"
	"fmt"
	"math"
)

// build returns the problem's function of the search's values.
func build(p *Problem) (func(map[string]float64) float64, error) {
	names := make([]string, len(p.Params))
	for i, q := range p.Params {
		names[i] = q.Name
	}
	vec := func(x map[string]float64) []float64 {
		v := make([]float64, len(names))
		for i, n := range names {
			v[i] = x[n]
		}
		return v
	}
	allFloat := func() error {
		for _, q := range p.Params {
			if q.Type != "float" {
				return fmt.Errorf("function %s takes float params only; %s is %s: %w", p.Function, q.Name, q.Type, ErrProblem)
			}
		}
		return nil
	}
	switch p.Function {
	case "sphere", "rosenbrock", "rastrigin", "styblinski_tang":
		if err := allFloat(); err != nil {
			return nil, err
		}
		g := map[string]func([]float64) float64{"sphere": sphere, "rosenbrock": rosenbrock, "rastrigin": rastrigin, "styblinski_tang": styblinskiTang}[p.Function]
		if p.Function == "rosenbrock" && len(names) < 2 {
			return nil, fmt.Errorf("rosenbrock needs at least 2 params: %w", ErrProblem)
		}
		return func(x map[string]float64) float64 { return g(vec(x)) }, nil
	case "branin":
		if err := allFloat(); err != nil {
			return nil, err
		}
		if len(names) != 2 {
			return nil, fmt.Errorf("branin takes 2 params, have %d: %w", len(names), ErrProblem)
		}
		var k struct{ A, B, C, R, S, T *float64 }
		if err := constants(p, &k); err != nil {
			return nil, err
		}
		if k.A == nil || k.B == nil || k.C == nil || k.R == nil || k.S == nil || k.T == nil {
			return nil, fmt.Errorf("branin: constants need a, b, c, r, s and t: %w", ErrProblem)
		}
		a, b, c, r, s, t := *k.A, *k.B, *k.C, *k.R, *k.S, *k.T
		return func(x map[string]float64) float64 {
			v := vec(x)
			d := v[1] - b*v[0]*v[0] + c*v[0] - r
			return a*d*d + s*(1-t)*math.Cos(v[0]) + s
		}, nil
	case "hartmann6":
		if err := allFloat(); err != nil {
			return nil, err
		}
		var k struct {
			Alpha []float64   `json:"alpha"`
			A     [][]float64 `json:"A"`
			P     [][]float64 `json:"P"`
		}
		if err := constants(p, &k); err != nil {
			return nil, err
		}
		d := len(names)
		ok := len(k.Alpha) > 0 && len(k.A) == len(k.Alpha) && len(k.P) == len(k.Alpha)
		for i := 0; ok && i < len(k.A); i++ {
			ok = len(k.A[i]) == d && len(k.P[i]) == d
		}
		if !ok {
			return nil, fmt.Errorf("hartmann6: constants need alpha (m), A and P (m rows of %d): %w", d, ErrProblem)
		}
		return func(x map[string]float64) float64 {
			v := vec(x)
			tot := 0.0
			for i := range k.Alpha {
				inner := 0.0
				for j := range v {
					e := v[j] - k.P[i][j]
					inner += k.A[i][j] * e * e
				}
				tot += k.Alpha[i] * math.Exp(-inner)
			}
			return -tot
		}, nil
	case "mixed":
		return mixed(p)
	}
	return nil, fmt.Errorf("function %q is not implemented; want one of %v: %w", p.Function, Functions, ErrProblem)
}

func constants(p *Problem, into any) error {
	if len(p.Constants) == 0 {
		return fmt.Errorf("%s: constants missing: %w", p.Function, ErrProblem)
	}
	if err := json.Unmarshal(p.Constants, into); err != nil {
		return fmt.Errorf("%s: constants: %w: %w", p.Function, err, ErrProblem)
	}
	return nil
}

func mixed(p *Problem) (func(map[string]float64) float64, error) {
	var k struct {
		Target struct {
			X1, X2, X3, N *float64
			Log10LR       *float64 `json:"log10_lr"`
		} `json:"target"`
		NDiv       float64            `json:"n_div"`
		LRDiv      float64            `json:"lr_div"`
		CatPenalty map[string]float64 `json:"cat_penalty"`
	}
	if err := constants(p, &k); err != nil {
		return nil, err
	}
	t := k.Target
	if t.X1 == nil || t.X2 == nil || t.X3 == nil || t.N == nil || t.Log10LR == nil || k.NDiv == 0 || k.LRDiv == 0 {
		return nil, fmt.Errorf("mixed: constants need target x1, x2, x3, n, log10_lr and non-zero n_div, lr_div: %w", ErrProblem)
	}
	want := map[string]string{"x1": "float", "x2": "float", "x3": "float", "n": "int", "lr": "float", "cat": "categorical"}
	if len(p.Params) != len(want) {
		return nil, fmt.Errorf("mixed takes params x1, x2, x3 (float), n (int), lr (float, log) and cat (categorical): %w", ErrProblem)
	}
	var choices []string
	for _, q := range p.Params {
		if want[q.Name] != q.Type {
			return nil, fmt.Errorf("mixed: param %s of type %s; want x1, x2, x3 (float), n (int), lr (float, log), cat (categorical): %w", q.Name, q.Type, ErrProblem)
		}
		if q.Name == "lr" && !(q.Low > 0) {
			return nil, fmt.Errorf("mixed: lr needs low > 0: %w", ErrProblem)
		}
		if q.Name == "cat" {
			choices = q.Choices
		}
	}
	pen := make([]float64, len(choices))
	for i, c := range choices {
		v, ok := k.CatPenalty[c]
		if !ok {
			return nil, fmt.Errorf("mixed: no cat_penalty for choice %q: %w", c, ErrProblem)
		}
		pen[i] = v
	}
	return func(x map[string]float64) float64 {
		sq := func(v float64) float64 { return v * v }
		ci := min(max(int(x["cat"]), 0), len(pen)-1)
		return sq(x["x1"]-*t.X1) + sq(x["x2"]-*t.X2) + sq(x["x3"]-*t.X3) +
			sq((x["n"]-*t.N)/k.NDiv) + sq(math.Log10(x["lr"])-*t.Log10LR)/k.LRDiv + pen[ci]
	}, nil
}

func sphere(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return s
}

func rosenbrock(x []float64) float64 {
	s := 0.0
	for i := 0; i+1 < len(x); i++ {
		a, b := x[i+1]-x[i]*x[i], 1-x[i]
		s += 100*a*a + b*b
	}
	return s
}

func rastrigin(x []float64) float64 {
	s := 10 * float64(len(x))
	for _, v := range x {
		s += v*v - 10*math.Cos(2*math.Pi*v)
	}
	return s
}

func styblinskiTang(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v*v*v*v - 16*v*v + 5*v
	}
	return s / 2
}
