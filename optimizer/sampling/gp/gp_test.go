package gp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/sampling"
	"github.com/attune-dao/attune/optimizer/sampling/random"
)

// proposals runs n trials of f over space with sampler s and returns the
// parameters of each trial in order.
func proposals(t testing.TB, s sampling.Sampler, space map[string]any, n int, f func(map[string]float64) float64) []map[string]float64 {
	t.Helper()
	study, err := goptuna.CreateStudy("t",
		goptuna.StudyOptionDirection(goptuna.StudyDirectionMinimize),
		goptuna.StudyOptionDefineSearchSpace(space),
		goptuna.StudyOptionSampler(s),
		goptuna.StudyOptionRelativeSampler(s),
		goptuna.StudyOptionLogger(nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]float64
	err = study.Optimize(func(tr goptuna.Trial) (float64, error) {
		x := map[string]float64{}
		for name, d := range space {
			switch d := d.(type) {
			case goptuna.UniformDistribution:
				v, err := tr.SuggestFloat(name, d.Low, d.High)
				if err != nil {
					return 0, err
				}
				x[name] = v
			case goptuna.IntUniformDistribution:
				v, err := tr.SuggestInt(name, d.Low, d.High)
				if err != nil {
					return 0, err
				}
				x[name] = float64(v)
			case goptuna.CategoricalDistribution:
				v, err := tr.SuggestCategorical(name, d.Choices)
				if err != nil {
					return 0, err
				}
				x[name] = float64(slices.Index(d.Choices, v))
			}
		}
		out = append(out, x)
		return f(x), nil
	}, n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var square2 = map[string]any{
	"a": goptuna.UniformDistribution{Low: -1, High: 1},
	"b": goptuna.UniformDistribution{Low: -1, High: 1},
}

func quad(x map[string]float64) float64 {
	return (x["a"]-0.3)*(x["a"]-0.3) + 2*(x["b"]+0.4)*(x["b"]+0.4)
}

func TestRegistered(t *testing.T) {
	s, err := sampling.New("gp", sampling.Config{Seed: 1, Startup: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(*Sampler).Settings().Startup; got != 7 {
		t.Errorf("startup %d, want 7", got)
	}
}

func TestReproducible(t *testing.T) {
	a := proposals(t, New(sampling.Config{Seed: 4}), square2, 12, quad)
	b := proposals(t, New(sampling.Config{Seed: 4}), square2, 12, quad)
	c := proposals(t, New(sampling.Config{Seed: 5}), square2, 12, quad)
	for i := range a {
		if fmt.Sprint(a[i]) != fmt.Sprint(b[i]) {
			t.Fatalf("trial %d: same seed, %v and %v", i, a[i], b[i])
		}
	}
	same := 0
	for i := range a {
		if fmt.Sprint(a[i]) == fmt.Sprint(c[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 4 and 5 agree on %d of %d trials", same, len(a))
	}
	// The same history gives the same proposal, whatever came before in
	// this process.
	h := history(t, 15, 2, func(u []float64) float64 { return u[0] + u[1] })
	s := New(sampling.Config{Seed: 9})
	p1, _ := s.Propose(h, 15)
	_, _ = s.Propose(h, 16)
	p2, _ := s.Propose(h, 15)
	if !slices.Equal(p1, p2) {
		t.Errorf("same history, different proposals %v and %v", p1, p2)
	}
}

// history is n complete trials at random points of the unit square (d
// dimensions) with losses f.
func history(t testing.TB, n, d int, f func([]float64) float64) sampling.History {
	t.Helper()
	space := make(sampling.Space, d)
	for i := range space {
		dim, err := sampling.NewDim(fmt.Sprintf("x%d", i), goptuna.UniformDistribution{Low: 0, High: 1})
		if err != nil {
			t.Fatal(err)
		}
		space[i] = dim
	}
	r := rand.New(rand.NewPCG(77, uint64(n)))
	h := sampling.History{Space: space}
	for i := range n {
		u := make([]float64, d)
		for k := range u {
			u[k] = r.Float64()
		}
		h.Complete = append(h.Complete, sampling.Observed{Number: i, U: u, Loss: f(u)})
	}
	return h
}

func TestBeatsRandom(t *testing.T) {
	p := benchProblems()[3] // branin
	if p.name != "branin" {
		t.Fatal(p.name)
	}
	var gpGaps, rndGaps []float64
	for seed := range uint64(5) {
		g, err := runProblem(New(sampling.Config{Seed: seed}), p, seed, 30, []int{30})
		if err != nil {
			t.Fatal(err)
		}
		r, err := runProblem(random.New(seed), p, seed, 30, []int{30})
		if err != nil {
			t.Fatal(err)
		}
		gpGaps, rndGaps = append(gpGaps, g[0]), append(rndGaps, r[0])
	}
	mg, mr := median(gpGaps), median(rndGaps)
	t.Logf("branin, 30 trials: median gap gp %.3g, random %.3g", mg, mr)
	if !(mg < mr/10) {
		t.Errorf("median gap gp %.3g, random %.3g: want gp below a tenth of random", mg, mr)
	}
}

func TestFitInterpolatesAndFindsIrrelevantDimension(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 30
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = []float64{r.Float64(), r.Float64()}
		y[i] = math.Sin(5 * x[i][0]) // does not depend on x[1]
	}
	st := newStandardiser(y, false)
	ys := make([]float64, n)
	for i := range y {
		ys[i] = st.apply(y[i])
	}
	s := New(sampling.Config{Seed: 1})
	h := s.fit(x, ys, []bool{false, false}, r)
	if !(h.InvLS[1] < h.InvLS[0]/5) {
		t.Errorf("inverse squared lengthscales %v: want the second (irrelevant) much smaller", h.InvLS)
	}
	post := newPosterior(x, ys, []bool{false, false}, h)
	kb, wb := make([]float64, n), make([]float64, n)
	for i := range x {
		m, v := post.predict(x[i], nil, nil, kb, wb)
		if math.Abs(m-ys[i]) > 1e-2 || v > 1e-3 {
			t.Errorf("point %d: mean %.4f (want %.4f), variance %.2g", i, m, ys[i], v)
		}
	}
	// And between training points it is close to the function.
	for _, u := range []float64{0.15, 0.5, 0.85} {
		m, _ := post.predict([]float64{u, 0.5}, nil, nil, kb, wb)
		if got, want := m*st.std+st.mean, math.Sin(5*u); math.Abs(got-want) > 0.05 {
			t.Errorf("at %.2f: predicted %.4f, want %.4f", u, got, want)
		}
	}
}

func TestLogEI(t *testing.T) {
	phi := func(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
	Phi := func(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
	for _, sigma := range []float64{0.01, 1, 30} {
		for z := -20.0; z <= 6; z += 0.25 {
			best := 1.0
			mu := best - z*sigma
			ei := sigma * (phi(z) + z*Phi(z))
			if ei < 1e-250 {
				continue
			}
			got := logEI(mu, sigma, best)
			// The direct formula loses precision to cancellation for
			// negative z; compare with a tolerance that allows for it.
			tol := 1e-9
			if z < -1 {
				tol = 1e-12 / (ei / sigma) * phi(z)
			}
			if math.Abs(got-math.Log(ei)) > math.Max(tol, 1e-9) {
				t.Errorf("z=%g sigma=%g: logEI %.12g, log(EI) %.12g", z, sigma, got, math.Log(ei))
			}
		}
	}
	// Where EI underflows, logEI is finite and still increasing in z.
	prev := math.Inf(-1)
	for _, z := range []float64{-1e12, -1e9, -1e8, -1e7, -1e5, -1e3, -100, -40, -38, -30} {
		v := logH(z)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("logH(%g) = %g", z, v)
		}
		if !(v > prev) {
			t.Errorf("logH(%g) = %g, not above logH at smaller z (%g)", z, v, prev)
		}
		prev = v
		if g := dLogH(z); math.IsNaN(g) || math.IsInf(g, 0) || g <= 0 {
			t.Errorf("dLogH(%g) = %g", z, g)
		}
	}
	// Asymptote: h(z) ≈ φ(z)/z² (1 - 3/z² + 15/z⁴).
	z := -50.0
	if want := -z*z/2 - halfLog2Pi - 2*math.Log(-z) + math.Log(1-3/(z*z)+15/(z*z*z*z)); math.Abs(logH(z)-want) > 1e-7 {
		t.Errorf("logH(-50) = %g, asymptote %g", logH(z), want)
	}
	if v := logPhi(-40); math.IsInf(v, 0) || math.Abs(v-(-40*40/2-halfLog2Pi-math.Log(40))) > 1e-2 {
		t.Errorf("logPhi(-40) = %g", v)
	}
}

func TestPendingChangesProposal(t *testing.T) {
	h := history(t, 15, 2, func(u []float64) float64 {
		return (u[0]-0.3)*(u[0]-0.3) + (u[1]-0.6)*(u[1]-0.6)
	})
	for seed := range uint64(3) {
		s := New(sampling.Config{Seed: seed})
		p1, err := s.Propose(h, 15)
		if err != nil {
			t.Fatal(err)
		}
		hp := h
		hp.Pending = []sampling.Observed{{Number: 15, U: p1, Loss: math.NaN()}}
		p2, err := s.Propose(hp, 16)
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Hypot(p1[0]-p2[0], p1[1]-p2[1]); d < 1e-3 {
			t.Errorf("seed %d: proposal %v with a trial pending at %v: want it elsewhere", seed, p2, p1)
		}
		// Without the pending trial, trial 16 would go to the same place.
		if p3, _ := s.Propose(h, 16); math.Hypot(p1[0]-p3[0], p1[1]-p3[1]) > 0.05 {
			t.Errorf("seed %d: trials 15 and 16 differ without pending trials (%v, %v), so the test proves nothing", seed, p1, p3)
		}
	}
}

func TestConstraints(t *testing.T) {
	// Minimise the distance to (0.8, 0.5) in the unit square subject to
	// a <= 0.5: half the box is infeasible and the optimum lies on its
	// edge.
	space := map[string]any{
		"a": goptuna.UniformDistribution{Low: 0, High: 1},
		"b": goptuna.UniformDistribution{Low: 0, High: 1},
	}
	n, feasible, after := 30, 0, 0
	for seed := range uint64(2) {
		s := New(sampling.Config{Seed: seed})
		study, err := goptuna.CreateStudy("c",
			goptuna.StudyOptionDefineSearchSpace(space),
			goptuna.StudyOptionSampler(s),
			goptuna.StudyOptionRelativeSampler(s),
			goptuna.StudyOptionLogger(nil),
		)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		err = study.Optimize(func(tr goptuna.Trial) (float64, error) {
			a, _ := tr.SuggestFloat("a", 0, 1)
			b, _ := tr.SuggestFloat("b", 0, 1)
			c, _ := json.Marshal([]float64{a - 0.5})
			if err := tr.SetSystemAttr(sampling.ConstraintsAttr, string(c)); err != nil {
				return 0, err
			}
			count++
			if count > s.startup(2) {
				after++
				if a <= 0.5 {
					feasible++
				}
			}
			return (a-0.8)*(a-0.8) + (b-0.5)*(b-0.5), nil
		}, n)
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d proposals after start-up feasible", feasible, after)
	if feasible < after*7/10 {
		t.Errorf("%d of %d proposals after start-up feasible; want most", feasible, after)
	}
}

func TestNoFeasibleYetSeeksFeasibility(t *testing.T) {
	h := history(t, 12, 2, func(u []float64) float64 { return u[0] })
	for i := range h.Complete {
		// Feasible only where u[1] > 0.9, which no trial reached.
		h.Complete[i].Constraints = []float64{0.9 - h.Complete[i].U[1]*0.95}
	}
	p, err := New(sampling.Config{Seed: 3}).Propose(h, 12)
	if err != nil {
		t.Fatal(err)
	}
	if p[1] < 0.8 {
		t.Errorf("proposal %v: want the second coordinate high, towards feasibility", p)
	}
}

func TestDegenerate(t *testing.T) {
	space := map[string]any{
		"a":    goptuna.UniformDistribution{Low: 0, High: 1},
		"one":  goptuna.UniformDistribution{Low: 2, High: 2},
		"int1": goptuna.IntUniformDistribution{Low: 3, High: 3},
		"cat1": goptuna.CategoricalDistribution{Choices: []string{"only"}},
		"cat":  goptuna.CategoricalDistribution{Choices: []string{"x", "y"}},
		"n":    goptuna.IntUniformDistribution{Low: 0, High: 4},
	}
	// All losses equal.
	ps := proposals(t, New(sampling.Config{Seed: 1}), space, 15, func(map[string]float64) float64 { return 3 })
	for _, p := range ps {
		if p["one"] != 2 || p["int1"] != 3 || p["cat1"] != 0 {
			t.Errorf("single-valued dims: %v", p)
		}
	}
	// Only single-valued dimensions.
	single := map[string]any{"one": goptuna.UniformDistribution{Low: 2, High: 2}, "c": goptuna.CategoricalDistribution{Choices: []string{"z"}}}
	proposals(t, New(sampling.Config{Seed: 1}), single, 12, func(map[string]float64) float64 { return 1 })

	// NaN and infinite losses, duplicate points, a 1-level categorical.
	sp, err := sampling.NewSpace(space)
	if err != nil {
		t.Fatal(err)
	}
	h := sampling.History{Space: sp}
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 20 {
		u := make([]float64, len(sp))
		for k := range u {
			u[k] = sp[k].Snap(r.Float64())
		}
		if i%3 == 1 {
			u = slices.Clone(h.Complete[len(h.Complete)-1].U) // duplicate point
		}
		loss := u[0]
		switch i % 5 {
		case 2:
			loss = math.Inf(1)
		case 3:
			loss = math.NaN()
		case 4:
			loss = math.Inf(-1)
		}
		h.Complete = append(h.Complete, sampling.Observed{Number: i, U: u, Loss: loss})
	}
	p, err := New(sampling.Config{Seed: 1}).Propose(h, 20)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p {
		if math.IsNaN(v) || v < 0 || v > 1 {
			t.Errorf("dim %s: %g", sp[k].Name, v)
		}
	}
	// Every trial at the same point with the same loss.
	for i := range h.Complete {
		h.Complete[i].U = slices.Clone(h.Complete[0].U)
		h.Complete[i].Loss = 1
	}
	if _, err := New(sampling.Config{Seed: 1}).Propose(h, 20); err != nil {
		t.Fatal(err)
	}
	// Huge and tiny losses together.
	for i := range h.Complete {
		h.Complete[i].Loss = math.Pow(10, float64(i%7*50-150))
	}
	if _, err := New(sampling.Config{Seed: 1}).Propose(h, 20); err != nil {
		t.Fatal(err)
	}
}

func TestSampleIndependent(t *testing.T) {
	s := New(sampling.Config{Seed: 1})
	v, err := s.Sample(nil, goptuna.FrozenTrial{Number: 3}, "p", goptuna.UniformDistribution{Low: 2, High: 5})
	if err != nil || v < 2 || v > 5 {
		t.Errorf("Sample = %g, %v", v, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	h := history(t, 12, 3, func(u []float64) float64 { return u[0]*u[1] + u[2] })
	s := New(sampling.Config{Seed: 6})
	want, err := s.Propose(h, 12)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []float64)
	for w := range 4 {
		go func() {
			if w%2 == 0 { // start-up points share the Sobol cache
				_, _ = s.Propose(sampling.History{Space: h.Space}, w)
			}
			p, _ := s.Propose(h, 12)
			done <- p
		}()
	}
	for range 4 {
		if p := <-done; !slices.Equal(p, want) {
			t.Errorf("concurrent proposal %v, want %v", p, want)
		}
	}
}
