package random

import (
	"testing"

	"github.com/c-bata/goptuna"
)

// Every integer of [1, 3] is drawn, the upper bound as often as the rest
// (goptuna's random sampler drew 146/154/0 on 300 draws).
func TestIntegersReachTheUpperBound(t *testing.T) {
	s := New(7)
	counts := map[float64]int{}
	space := map[string]any{"n": goptuna.IntUniformDistribution{Low: 1, High: 3}}
	for i := range 3000 {
		p, err := s.SampleRelative(nil, goptuna.FrozenTrial{Number: i}, space)
		if err != nil {
			t.Fatal(err)
		}
		counts[p["n"]]++
	}
	for v := 1.0; v <= 3; v++ {
		if c := counts[v]; c < 900 || c > 1100 {
			t.Errorf("n = %v drawn %d times of 3000", v, c)
		}
	}
	a, _ := s.Sample(nil, goptuna.FrozenTrial{Number: 4}, "n", space["n"])
	b, _ := New(7).Sample(nil, goptuna.FrozenTrial{Number: 4}, "n", space["n"])
	if a != b {
		t.Error("same seed and trial, different draws")
	}
}
