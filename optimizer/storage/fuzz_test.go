package storage

import (
	"math"
	"reflect"
	"testing"

	"github.com/c-bata/goptuna"
)

// FuzzDecodeParam feeds arbitrary stored text to the code that decodes a
// stored parameter (distribution JSON plus internal value) and to the trial
// state decoder. It must never panic, and whatever decodes must survive an
// encode/decode round trip.
func FuzzDecodeParam(f *testing.F) {
	for _, d := range allDistributions {
		text, err := encodeDistribution(d.dist)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text, d.internal, "COMPLETE")
	}
	f.Add(`{"name":"CategoricalDistribution","attributes":{"choices":[]}}`, 0.0, "RUNNING")
	f.Add(`{"name":"CategoricalDistribution","attributes":{"choices":["a"]}}`, 7.0, "WAITING")
	f.Add(`{"name":"StepIntUniformDistribution","attributes":{"low":0,"high":10,"step":0}}`, 3.0, "")
	f.Add(`{"name":"DiscreteUniformDistribution","attributes":{"low":0,"high":1,"q":0}}`, 0.5, "x")
	f.Add(`{"name":"IntUniformDistribution","attributes":{"low":1e300,"high":"x"}}`, math.Inf(1), "FAIL")
	f.Add(`{"name":"UniformDistribution","attributes":null}`, math.NaN(), "PRUNED")
	f.Add(`not json`, 0.0, "complete")
	f.Fuzz(func(t *testing.T, text string, ir float64, state string) {
		_, _ = textToState(state)
		var st Storage
		tr := newTrial()
		if err := st.addParam(tr, "p", ir, text); err != nil {
			return
		}
		d := tr.Distributions["p"]
		again, err := encodeDistribution(d)
		if err != nil {
			t.Fatalf("decoded %q to %#v, which does not encode: %v", text, d, err)
		}
		d2, err := decodeDistribution(again)
		if err != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("round trip of %q: %#v -> %q -> %#v, %v", text, d, again, d2, err)
		}
		if _, err := checkParam(d, ir); err != nil {
			t.Fatalf("decoded param (%q, %v) fails the write-side check: %v", text, ir, err)
		}
		_ = copyTrial(tr)
		_, _ = goptuna.DistributionIsSingle(d)
	})
}
