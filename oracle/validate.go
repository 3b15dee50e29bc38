package oracle

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrInvalidRecommendation is the error a drafter or Chart wraps when a
// Recommendation cannot be written up; test for it with errors.Is. The
// wrapping message names the offending field, e.g. "Params[1].Current is
// NaN".
var ErrInvalidRecommendation = errors.New("oracle: invalid recommendation")

// Validate checks that the Recommendation can be drafted: it has at least
// one parameter and every number in it is finite. The error wraps
// ErrInvalidRecommendation and names the first bad field.
func (r Recommendation) Validate() error {
	if len(r.Params) == 0 {
		return fmt.Errorf("%w: Params is empty", ErrInvalidRecommendation)
	}
	var c finiteChecker
	c.effect("Score", r.Score)
	for i, p := range r.Params {
		f := fmt.Sprintf("Params[%d]", i)
		c.num(f+".Current", p.Current)
		c.num(f+".Recommended", p.Recommended)
		if p.RelChange != nil {
			c.num(f+".RelChange", *p.RelChange)
		}
	}
	for i, e := range r.Effects {
		c.effect(fmt.Sprintf("Effects[%d]", i), e)
	}
	for i, e := range r.Outcomes {
		c.effect(fmt.Sprintf("Outcomes[%d]", i), e)
	}
	for i, k := range r.Constraints {
		f := fmt.Sprintf("Constraints[%d]", i)
		c.num(f+".Current", k.Current)
		c.num(f+".Recommended", k.Recommended)
	}
	for i, row := range r.Method.Fit {
		f := fmt.Sprintf("Method.Fit[%d]", i)
		c.num(f+".Observed", row.Observed)
		c.num(f+".Simulated", row.Simulated)
		c.num(f+".Error", row.Error)
	}
	c.num("Method.FitTolerance", r.Method.FitTolerance)
	c.num("Method.Supply", r.Method.Supply)
	for i, a := range r.Method.Assumptions {
		c.num(fmt.Sprintf("Method.Assumptions[%d].Value", i), a.Value)
	}
	for _, k := range sortedKeys(r.Candidate) {
		c.num(fmt.Sprintf("Candidate[%q]", k), r.Candidate[k])
	}
	return c.err
}

// finiteChecker records the first non-finite number it is shown.
type finiteChecker struct{ err error }

func (c *finiteChecker) num(field string, v float64) {
	if c.err != nil {
		return
	}
	switch {
	case math.IsNaN(v):
		c.err = fmt.Errorf("%w: %s is NaN", ErrInvalidRecommendation, field)
	case math.IsInf(v, 0):
		c.err = fmt.Errorf("%w: %s is %v", ErrInvalidRecommendation, field, v)
	}
}

func (c *finiteChecker) estimate(field string, e Estimate) {
	c.num(field+".Mean", e.Mean)
	c.num(field+".CI.Lo", e.CI.Lo)
	c.num(field+".CI.Hi", e.CI.Hi)
	c.num(field+".CI.Level", e.CI.Level)
}

func (c *finiteChecker) effect(field string, e Effect) {
	c.num(field+".Weight", e.Weight)
	c.estimate(field+".Current", e.Current)
	c.estimate(field+".Recommended", e.Recommended)
	c.estimate(field+".Difference", e.Difference)
}

// sortedKeys returns the keys of m in increasing order.
func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
