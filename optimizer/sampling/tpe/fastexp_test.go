package tpe

import (
	"math"
	"testing"
)

func TestFastFunctions(t *testing.T) {
	for x := -37.0; x <= 0; x += 0.001 {
		if got, want := fastExp(x), math.Exp(x); math.Abs(got-want) > 2e-7*want {
			t.Fatalf("fastExp(%v) = %v, want %v", x, got, want)
		}
	}
	for z := -9.0; z <= 9; z += 0.0007 {
		if got, want := fastPhi(z), phi(z); math.Abs(got-want) > 1e-5 {
			t.Fatalf("fastPhi(%v) = %v, want %v", z, got, want)
		}
	}
	if v := logSumExp([]float64{math.Inf(-1), math.Log(2), math.Log(3)}); math.Abs(v-math.Log(5)) > 1e-6 {
		t.Errorf("logSumExp = %v, want log 5", v)
	}
	if v := logSumExp([]float64{1000, 1000}); math.Abs(v-(1000+math.Ln2)) > 1e-9 {
		t.Errorf("logSumExp of large terms = %v", v)
	}
}
