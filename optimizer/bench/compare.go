package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// ReadRows reads JSON lines of results (attune's or the Optuna baseline's).
// Blank lines are skipped; a malformed line is an error naming it.
func ReadRows(r io.Reader) ([]Row, error) {
	var rows []Row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(trimSpace(line)) == 0 {
			continue
		}
		var row Row
		if err := json.Unmarshal(line, &row); err != nil {
			return nil, fmt.Errorf("bench: line %d: %w", n, err)
		}
		if row.Problem == "" || row.Sampler == "" || row.Trials < 1 || math.IsNaN(row.BestGap) {
			return nil, fmt.Errorf("bench: line %d: needs problem, sampler, trials >= 1 and best_gap", n)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return rows, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Summary is the best gaps of one sampler on one problem at one budget.
type Summary struct {
	N                int
	Median, P25, P75 float64
	gaps             []float64
	Problem, Sampler string
	Trials           int
}

// Summarise groups rows by problem, sampler and budget.
func Summarise(rows []Row) map[[3]string]*Summary {
	out := map[[3]string]*Summary{}
	for _, r := range rows {
		k := [3]string{r.Problem, r.Sampler, fmt.Sprint(r.Trials)}
		s := out[k]
		if s == nil {
			s = &Summary{Problem: r.Problem, Sampler: r.Sampler, Trials: r.Trials}
			out[k] = s
		}
		s.gaps = append(s.gaps, r.BestGap)
	}
	for _, s := range out {
		sort.Float64s(s.gaps)
		s.N = len(s.gaps)
		s.Median = quantile(s.gaps, 0.5)
		s.P25 = quantile(s.gaps, 0.25)
		s.P75 = quantile(s.gaps, 0.75)
	}
	return out
}

// quantile is the p-quantile of sorted xs as numpy computes it by default:
// linear interpolation at position (n-1)p, so that the median of an even
// count is the mean of the middle two, as in the Optuna summary.
func quantile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	h := float64(len(xs)-1) * p
	i := int(math.Floor(h))
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-float64(i))*(xs[i+1]-xs[i])
}

// MannWhitney is the two-sided Mann-Whitney U test of a against b, by the
// normal approximation with a correction for ties and for continuity. U
// counts the pairs in which a's value is below b's (ties count a half), so
// U > len(a)*len(b)/2 means a tends lower: for best gaps, better.
func MannWhitney(a, b []float64) (u, p float64) {
	n1, n2 := float64(len(a)), float64(len(b))
	if n1 == 0 || n2 == 0 {
		return math.NaN(), math.NaN()
	}
	type obs struct {
		v    float64
		from int
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, 0})
	}
	for _, v := range b {
		all = append(all, obs{v, 1})
	}
	slices.SortFunc(all, func(x, y obs) int { return cmpFloat(x.v, y.v) })
	// Ranks, averaged over ties.
	ranks := make([]float64, len(all))
	tieTerm := 0.0
	for i := 0; i < len(all); {
		j := i
		for j+1 < len(all) && all[j+1].v == all[i].v {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			ranks[k] = r
		}
		t := float64(j - i + 1)
		tieTerm += t*t*t - t
		i = j + 1
	}
	ra := 0.0
	for i, o := range all {
		if o.from == 0 {
			ra += ranks[i]
		}
	}
	// U for "a above b" is ra - n1(n1+1)/2; a below b is the complement.
	uAbove := ra - n1*(n1+1)/2
	u = n1*n2 - uAbove
	mean := n1 * n2 / 2
	n := n1 + n2
	variance := n1 * n2 / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	if variance <= 0 {
		return u, 1
	}
	z := (math.Abs(u-mean) - 0.5) / math.Sqrt(variance)
	if z < 0 {
		z = 0
	}
	p = 2 * distuv.UnitNormal.Survival(z)
	return u, math.Min(p, 1)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Verdict compares two samplers' best gaps on one problem and budget.
type Verdict struct {
	Problem      string
	Trials       int
	Ours, Theirs *Summary
	U, P         float64
	// Outcome is "better", "worse" or "tie" (p >= Alpha).
	Outcome string
}

// Alpha is the significance level of a verdict.
const Alpha = 0.05

// Compare sets each (problem, budget) of ours against the same of theirs.
func Compare(ours, theirs map[[3]string]*Summary, oursName, theirsName string) []Verdict {
	var out []Verdict
	for k, o := range ours {
		if k[1] != oursName {
			continue
		}
		t, ok := theirs[[3]string{k[0], theirsName, k[2]}]
		if !ok {
			continue
		}
		u, p := MannWhitney(o.gaps, t.gaps)
		v := Verdict{Problem: k[0], Trials: o.Trials, Ours: o, Theirs: t, U: u, P: p, Outcome: "tie"}
		if p < Alpha {
			v.Outcome = "worse"
			if u > float64(len(o.gaps)*len(t.gaps))/2 {
				v.Outcome = "better"
			}
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Trials != out[j].Trials {
			return out[i].Trials < out[j].Trials
		}
		return out[i].Problem < out[j].Problem
	})
	return out
}
