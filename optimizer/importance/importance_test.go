package importance

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// y depends strongly on a, weakly on b and not at all on c: the ranking
// and the shares must say so.
func TestImportanceRanksKnownEffects(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var x [][]float64
	var y []float64
	for range 120 {
		a, b, c := r.Float64(), r.Float64(), r.Float64()
		x = append(x, []float64{a, b, c})
		y = append(y, 10*a*a+2*b+0*c)
	}
	imp, err := Compute([]string{"a", "b", "c"}, x, y, 7)
	if err != nil {
		t.Fatal(err)
	}
	if imp[0].Param != "a" || imp[1].Param != "b" || imp[2].Param != "c" {
		t.Fatalf("order %v; want a, b, c", imp)
	}
	if imp[0].Share < 0.7 || imp[2].Share > 0.02 {
		t.Errorf("shares %+v; want a dominant and c near 0", imp)
	}
	sum := 0.0
	for _, i := range imp {
		sum += i.Share
		if !(i.Lo <= i.Share+1e-12 && i.Share <= i.Hi+1e-12) && i.Share > 0 {
			t.Errorf("%s: share %v outside its interval [%v, %v]", i.Param, i.Share, i.Lo, i.Hi)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("shares sum to %v", sum)
	}
	again, _ := Compute([]string{"a", "b", "c"}, x, y, 7)
	if !reflect.DeepEqual(imp, again) {
		t.Error("same seed, different importances")
	}
}

func TestImportanceDegenerateInputs(t *testing.T) {
	if _, err := Compute([]string{"a"}, [][]float64{{1}, {2}}, []float64{1, 2}, 1); !errors.Is(err, ErrTooFew) {
		t.Errorf("2 trials: %v", err)
	}
	var x [][]float64
	var y []float64
	for i := range 20 {
		x = append(x, []float64{float64(i % 3), math.NaN()})
		y = append(y, 1)
	}
	if _, err := Compute([]string{"a", "b"}, x, y, 1); !errors.Is(err, ErrTooFew) {
		t.Errorf("NaN coordinates left too few trials, yet: %v", err)
	}
	for i := range x {
		x[i][1] = 0.5
	}
	imp, err := Compute([]string{"a", "b"}, x, y, 1) // constant score
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range imp {
		if i.Share != 0 {
			t.Errorf("constant score gives %s a share %v", i.Param, i.Share)
		}
	}
	if _, err := Compute([]string{"a"}, [][]float64{{1, 2}}, []float64{1}, 1); err == nil {
		t.Error("mismatched coordinates accepted")
	}
}

func BenchmarkCompute(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var x [][]float64
	var y []float64
	for range 200 {
		p := []float64{r.Float64(), r.Float64(), r.Float64(), r.Float64(), r.Float64()}
		x = append(x, p)
		y = append(y, p[0]+p[1]*p[2])
	}
	names := []string{"a", "b", "c", "d", "e"}
	for b.Loop() {
		if _, err := Compute(names, x, y, 1); err != nil {
			b.Fatal(err)
		}
	}
}
