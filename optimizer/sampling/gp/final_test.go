package gp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/attune-dao/attune/optimizer/sampling"
)

// The final phase is the last FinalFrac of a known budget, and never
// happens when the budget is unknown or the phase is turned off.
func TestFinalPhase(t *testing.T) {
	s := New(sampling.Config{Seed: 1, Budget: 100})
	if s.final(79) || !s.final(80) || !s.final(99) {
		t.Errorf("budget 100, FinalFrac 0.2: final(79)=%v final(80)=%v final(99)=%v, want false true true", s.final(79), s.final(80), s.final(99))
	}
	if u := New(sampling.Config{Seed: 1}); u.final(10_000) {
		t.Error("unknown budget: a final phase happened")
	}
	set := Defaults()
	set.FinalFrac = 0
	o := NewWithSettings(1, set)
	o.budget = 100
	if o.final(99) {
		t.Error("FinalFrac 0: a final phase happened")
	}
	if w := New(sampling.Config{Seed: 1, Budget: 10}); !w.final(8) || w.final(7) {
		t.Errorf("budget 10: final(7)=%v final(8)=%v, want false true", w.final(7), w.final(8))
	}
}

// Each trial's step: a noisy objective alternates the confidence bound and
// expected improvement before the final phase and takes the minimum of the
// posterior mean in it; a quiet one takes expected improvement, then
// alternates it with local steps; constraints or pending trials rule the
// local step out.
func TestStep(t *testing.T) {
	s := New(sampling.Config{Seed: 1, Budget: 100})
	cases := []struct {
		number         int
		noisy, localOK bool
		want           stepKind
	}{
		{10, false, true, stepEI},
		{11, false, true, stepEI},
		{10, true, true, stepLCB},
		{11, true, true, stepEI},
		{80, false, true, stepEI},
		{81, false, true, stepLocal},
		{80, true, true, stepMean},
		{81, true, true, stepMean},
		{81, true, false, stepMean},
		{80, false, false, stepEI},
	}
	for _, c := range cases {
		if got := s.step(c.number, c.noisy, c.localOK); got != c.want {
			t.Errorf("step(%d, noisy=%v, localOK=%v) = %d, want %d", c.number, c.noisy, c.localOK, got, c.want)
		}
	}
	set := Defaults()
	set.NoisyBeta = 0
	if got := NewWithSettings(1, set).step(10, true, true); got != stepEI {
		t.Errorf("NoisyBeta 0: step = %d, want expected improvement", got)
	}
}

// A local step proposes within LocalMax of the best observed point in
// every dimension, and declines when there are too few trials to fit.
func TestLocalStaysInTrustRegion(t *testing.T) {
	dims := []sampling.Dim{{Kind: sampling.Continuous}, {Kind: sampling.Continuous}, {Kind: sampling.Continuous}}
	f := newFeatures(dims)
	r := rand.New(rand.NewPCG(3, 4))
	var x [][]float64
	var y []float64
	for range 40 {
		p := []float64{r.Float64(), r.Float64(), r.Float64()}
		x = append(x, p)
		// A bowl whose minimum lies outside the trust region of the best
		// point, so an unbounded search would leave it.
		y = append(y, (p[0]-0.9)*(p[0]-0.9)+(p[1]-0.9)*(p[1]-0.9)+(p[2]-0.9)*(p[2]-0.9))
	}
	x = append(x, []float64{0.2, 0.2, 0.2})
	y = append(y, -1) // the best observed point
	inc := len(x) - 1
	s := New(sampling.Config{Seed: 5})
	for i := range 5 {
		z := s.local(f, x, y, inc, rand.New(rand.NewPCG(uint64(i), 9)))
		if z == nil {
			t.Fatal("local step declined with 41 trials")
		}
		for j := range z {
			if math.Abs(z[j]-x[inc][j]) > s.set.LocalMax+1e-12 {
				t.Fatalf("local step %v is more than %g from the best point %v", z, s.set.LocalMax, x[inc])
			}
		}
	}
	if z := s.local(f, x[:6], y[:6], 0, r); z != nil {
		t.Errorf("local step with 6 trials in 3 dimensions = %v, want none", z)
	}
}

// Settings out of range fall back to the defaults.
func TestFinalSettingsDefaults(t *testing.T) {
	set := Defaults()
	set.FinalFrac, set.LocalMax, set.LocalK = math.NaN(), 3, -2
	got := NewWithSettings(1, set).Settings()
	d := Defaults()
	if got.FinalFrac != d.FinalFrac || got.LocalMax != d.LocalMax || got.LocalK != 0 {
		t.Errorf("settings %+v, want FinalFrac %g LocalMax %g LocalK 0", got, d.FinalFrac, d.LocalMax)
	}
}
