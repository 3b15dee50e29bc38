package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestGiniHandComputed(t *testing.T) {
	cases := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1, 1, 1, 1}, 0},
		{[]float64{0, 0, 0, 1}, 0.75},  // (n-1)/n when one holds all
		{[]float64{1, 2, 3, 4}, 0.25},  // sum|xi-xj| = 20, / (2 n^2 mean) = 20/(2*16*2.5)
		{[]float64{3, 1, 2}, 2.0 / 9},  // order does not matter
		{[]float64{5, -1, 0}, 2.0 / 3}, // negatives count as 0
		{nil, 0}, {[]float64{0, 0}, 0},
	}
	for _, c := range cases {
		if got := Gini(c.xs); !near(got, c.want) {
			t.Errorf("Gini(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	xs := []float64{3, 1, 2}
	Gini(xs)
	if xs[0] != 3 || xs[1] != 1 {
		t.Errorf("Gini modified its input: %v", xs)
	}
}

func TestNakamoto(t *testing.T) {
	cases := []struct {
		xs   []float64
		want int
	}{
		{[]float64{50, 50}, 2}, // exactly half is not a majority
		{[]float64{51, 49}, 1},
		{[]float64{10, 10, 10, 10, 10}, 3}, // 30 > 25
		{[]float64{40, 30, 20, 10}, 2},
		{[]float64{}, 0}, {[]float64{0, 0}, 0},
	}
	for _, c := range cases {
		if got := Nakamoto(c.xs); got != c.want {
			t.Errorf("Nakamoto(%v) = %d, want %d", c.xs, got, c.want)
		}
	}
}

func TestTopKShareTurnoutPassRate(t *testing.T) {
	xs := []float64{40, 30, 20, 10}
	if got := TopKShare(xs, 2); !near(got, 0.7) {
		t.Errorf("TopKShare k=2 = %v, want 0.7", got)
	}
	if got := TopKShare(xs, 10); !near(got, 1) {
		t.Errorf("TopKShare k>n = %v, want 1", got)
	}
	if got := TopKShare(xs, 0); got != 0 {
		t.Errorf("TopKShare k=0 = %v, want 0", got)
	}
	if got := Turnout(8, 100); !near(got, 0.08) {
		t.Errorf("Turnout = %v", got)
	}
	if got := Turnout(8, 0); got != 0 {
		t.Errorf("Turnout with no eligible = %v, want 0", got)
	}
	if got := PassRate(28, 34); !near(got, 28.0/34) {
		t.Errorf("PassRate = %v", got)
	}
	if got := PassRate(0, 0); got != 0 {
		t.Errorf("PassRate(0,0) = %v", got)
	}
}

func TestMeanCI(t *testing.T) {
	m, lo, hi := MeanCI([]float64{1, 2, 3, 4, 5}, 0.9)
	// t(0.95, 4) = 2.131847; sd = 1.581139; half = 2.131847*1.581139/sqrt(5)
	half := 2.131846786 * 1.58113883 / math.Sqrt(5)
	if !near(m, 3) || math.Abs(lo-(3-half)) > 1e-6 || math.Abs(hi-(3+half)) > 1e-6 {
		t.Errorf("MeanCI = %v [%v, %v], want 3 ± %v", m, lo, hi, half)
	}
	m, lo, hi = PairedCI([]float64{1, 2, 3}, []float64{2, 3, 4}, 0.9)
	if m != 1 || lo != 1 || hi != 1 {
		t.Errorf("PairedCI of a constant difference = %v [%v, %v], want 1 [1, 1]", m, lo, hi)
	}
}

func exampleJSON(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseExample(t *testing.T) {
	o, err := Parse(exampleJSON(t), "example.json")
	if err != nil {
		t.Fatal(err)
	}
	if o.Metrics[Holders] != 8400 || o.Metrics[Proposals] != 34 || !near(o.PassRate(), 28.0/34) {
		t.Errorf("parsed %+v", o)
	}
	v := o.Values()
	if !near(v[ProposalsPerMonth], 34/o.Window.Days()*30) || v[NakamotoName] != 7 {
		t.Errorf("Values() = %v", v)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	base := string(exampleJSON(t))
	cases := []struct {
		name, in string
		want     []string
	}{
		{"missing field", strings.Replace(base, `"turnout_power": 0.082,`, "", 1), []string{`"turnout_power"`, "missing"}},
		{"negative count", strings.Replace(base, `"proposals": 34`, `"proposals": -3`, 1), []string{`"proposals"`, "-3"}},
		{"share out of range", strings.Replace(base, `"gini": 0.93`, `"gini": 1.7`, 1), []string{`"gini"`, "[0, 1]"}},
		{"NaN as string", strings.Replace(base, `"gini": 0.93`, `"gini": "NaN"`, 1), []string{`"gini"`, "line 6"}},
		{"unknown field", strings.Replace(base, `"holders"`, `"holderz"`, 1), []string{"holderz", "unknown"}},
		{"passed > proposals", strings.Replace(base, `"proposals_passed": 28`, `"proposals_passed": 40`, 1), []string{"proposals_passed", "more than"}},
		{"syntax", base[:40], []string{"example.json"}},
		{"name too long", strings.Replace(base, `"dao": "Example DAO"`, `"dao": "`+strings.Repeat("x", 5000)+`"`, 1), []string{`"dao"`, "5000 characters"}},
		{"supply in wei", strings.Replace(base, `"total_supply": 100000000`, `"total_supply": 1e308`, 1), []string{`"total_supply"`, "whole tokens"}},
		{"window reversed", strings.Replace(base, `"end": "2026-10-28T00:00:00Z"`, `"end": "2026-01-01T00:00:00Z"`, 1), []string{"window", "not after"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.in), "example.json")
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	o, err := Parse(exampleJSON(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	o.Metrics[Holders], o.Metrics[TotalSupply], o.Metrics[TurnoutPower] = -3, math.Inf(1), 1.5
	err = o.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) < 3 {
		t.Fatalf("want 3+ field errors, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"dao":"x"}`))
	f.Add([]byte(`{"holders": 1e400}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"window":{"start":"2026-01-01T00:00:00Z","end":"2025-01-01T00:00:00Z"}}`))
	if b, err := os.ReadFile("../configs/examples/metrics.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Parse(data, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("Parse accepted an observation Validate rejects: %v", err)
		}
		if name, ok := o.Values().Finite(); !ok {
			t.Fatalf("accepted observation has non-finite %s", name)
		}
	})
}

func TestPairedBootstrap(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	b := []float64{2, 3, 4, 5, 6, 7, 8, 9}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	p, lo, hi := PairedBootstrap(a, b, mean, 0.9, 500, 1)
	if p != 1 || lo != 1 || hi != 1 {
		t.Errorf("constant shift: %v [%v, %v], want 1 [1, 1]", p, lo, hi)
	}
	c := []float64{1, 5, 2, 8, 3, 9, 4, 7}
	p1, lo1, hi1 := PairedBootstrap(a, c, mean, 0.9, 500, 1)
	p2, lo2, hi2 := PairedBootstrap(a, c, mean, 0.9, 500, 1)
	if p1 != p2 || lo1 != lo2 || hi1 != hi2 {
		t.Error("same seed, different interval")
	}
	if !(lo1 < p1 && p1 < hi1) {
		t.Errorf("interval [%v, %v] does not hold %v", lo1, hi1, p1)
	}
	if p, _, _ := PairedBootstrap(a, b[:3], mean, 0.9, 10, 1); !math.IsNaN(p) {
		t.Error("unequal lengths should give NaN")
	}
}

// TestParseDuplicateKeysBOMAndSize: a metrics file that names a key twice
// is refused (encoding/json would keep the last silently), a UTF-8 BOM is
// accepted, and a file over MaxBytes is refused as too large rather than
// cut and reported as a syntax error.
func TestParseDuplicateKeysBOMAndSize(t *testing.T) {
	b, err := os.ReadFile("../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	huge := bytes.Replace(b, []byte(`"proposals": 34`), []byte(`"proposals": 1000000000`), 1)
	if _, err := Parse(huge, "huge.json"); err == nil || !strings.Contains(err.Error(), "from 1 to 100000") {
		t.Errorf("1e9 proposals: err %v", err)
	}
	dup := bytes.Replace(b, []byte(`"holders"`), []byte(`"holders": 1, "holders"`), 1)
	if _, err := Parse(dup, "dup.json"); err == nil || !strings.Contains(err.Error(), `key "holders" appears twice`) || !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate key: err %v", err)
	}
	if _, err := Parse(append([]byte("\ufeff"), b...), "bom.json"); err != nil {
		t.Errorf("BOM refused: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := Load(context.Background(), big); err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("oversized file: err %v", err)
	}
}

// A window time that does not parse names its field and shows a time that
// does, instead of Go's layout string.
func TestParseBadWindowTimeNamesField(t *testing.T) {
	b, err := os.ReadFile("../configs/examples/metrics.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"start", "end"} {
		for _, bad := range []string{"2024-01-01", "2024-13-01T00:00:00Z", "yesterday"} {
			w := maps.Clone(doc["window"].(map[string]any))
			w[field] = bad
			d := maps.Clone(doc)
			d["window"] = w
			data, _ := json.Marshal(d)
			_, err := Parse(data, "m.json")
			if err == nil || !strings.Contains(err.Error(), `field "window.`+field+`"`) || !strings.Contains(err.Error(), "2024-01-01T00:00:00Z") || strings.Contains(err.Error(), "2006-01-02") {
				t.Errorf("window.%s %q: err %v", field, bad, err)
			}
		}
	}
}
