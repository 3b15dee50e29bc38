package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Constraint is a bound on one metric, parsed from a string such as
// "reward_spend_per_month <= 50000".
type Constraint struct {
	// Metric is the outcome's name, made of a-z, 0-9 and _.
	Metric string
	// Op is one of "<=", ">=", "<" and ">".
	Op string
	// Bound is the finite number the metric is compared with.
	Bound float64
}

var (
	constraintRE = regexp.MustCompile(`^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*$`)
	metricRE     = regexp.MustCompile(`^\s*([a-z0-9_]+)\s*`)
	opRE         = regexp.MustCompile(`^(<=|>=|<|>)\s*`)
)

// constraintExample shows the accepted form in error messages.
const constraintExample = `want METRIC OP NUMBER with OP one of <=, >=, <, >, e.g. "reward_spend_per_month <= 50000"`

// ParseConstraint parses "METRIC OP NUMBER", where METRIC is made of a-z,
// 0-9 and _, OP is one of <=, >=, < and >, and NUMBER is a finite decimal
// number, optionally in scientific notation (5e4). Spaces are optional.
// Errors wrap ErrInvalid.
func ParseConstraint(s string) (Constraint, error) {
	m := constraintRE.FindStringSubmatch(s)
	if m == nil {
		return Constraint{}, fmt.Errorf("%w: constraint %q: %s; %s", ErrInvalid, s, constraintDiagnosis(s), constraintExample)
	}
	b, err := strconv.ParseFloat(m[3], 64)
	if err != nil || math.IsInf(b, 0) || math.IsNaN(b) {
		return Constraint{}, fmt.Errorf("%w: constraint %q: bound %s is out of range; want a finite number", ErrInvalid, s, m[3])
	}
	return Constraint{Metric: m[1], Op: m[2], Bound: b}, nil
}

// constraintDiagnosis says which part of a constraint failed to parse.
func constraintDiagnosis(s string) string {
	m := metricRE.FindStringSubmatchIndex(s)
	if m == nil {
		return "it does not start with a metric name (a-z, 0-9, _)"
	}
	rest := s[m[1]:]
	o := opRE.FindStringSubmatchIndex(rest)
	if o == nil {
		if rest == "" {
			return "the operator and bound are missing"
		}
		return fmt.Sprintf("%q after the metric name is not an operator", rest)
	}
	num := rest[o[1]:]
	if num == "" {
		return "the bound is missing"
	}
	return fmt.Sprintf("bound %q is not a number", num)
}

// Satisfied reports whether v meets the constraint. NaN never does.
func (c Constraint) Satisfied(v float64) bool {
	switch c.Op {
	case "<=":
		return v <= c.Bound
	case "<":
		return v < c.Bound
	case ">=":
		return v >= c.Bound
	case ">":
		return v > c.Bound
	}
	return false
}

// Violation is 0 when v satisfies the constraint and otherwise the amount
// by which v misses the bound, always > 0: v-Bound for < and <=,
// Bound-v for > and >=. A value equal to a strict bound misses it by one
// unit in the last place of the bound; NaN misses by +Inf.
func (c Constraint) Violation(v float64) float64 {
	if c.Satisfied(v) {
		return 0
	}
	var d float64
	switch c.Op {
	case "<=", "<":
		d = v - c.Bound
	case ">=", ">":
		d = c.Bound - v
	default:
		return math.Inf(1)
	}
	if math.IsNaN(v) || math.IsNaN(c.Bound) {
		return math.Inf(1)
	}
	if !(d > 0) {
		a := math.Abs(c.Bound)
		d = math.Nextafter(a, math.Inf(1)) - a
		if !(d > 0) || math.IsInf(d, 0) {
			d = math.SmallestNonzeroFloat64
		}
	}
	return d
}

// String formats the constraint so that ParseConstraint reads it back.
func (c Constraint) String() string {
	return c.Metric + " " + c.Op + " " + strconv.FormatFloat(c.Bound, 'g', -1, 64)
}

// ParsedConstraints parses every entry of Constraints. The error, an
// *Error, names each bad entry with its file:line.
func (c *Config) ParsedConstraints() ([]Constraint, error) {
	out := make([]Constraint, 0, len(c.Constraints))
	var ps problems
	for i, s := range c.Constraints {
		k, err := ParseConstraint(s)
		if err != nil {
			ps.add(c.problem(indexKey("constraints", i), constraintProblem(s)))
			continue
		}
		out = append(out, k)
	}
	if err := ps.errorOrNil(c.fileName()); err != nil {
		return nil, err
	}
	return out, nil
}

// constraintProblem explains why s does not parse, without the ErrInvalid
// prefix.
func constraintProblem(s string) string {
	if m := constraintRE.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("constraint %q: bound %s is out of range; want a finite number", s, m[3])
	}
	return fmt.Sprintf("constraint %q: %s; %s", s, constraintDiagnosis(s), constraintExample)
}
