package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attune-dao/attune/configs"
)

// FuzzLoad feeds arbitrary content to Load as the user's file. Load must
// not panic, every error must wrap ErrInvalid and be an *Error whose
// problems all say something, and a config that loads must validate, hash
// and round-trip through YAML.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",
		"~",
		"---\n",
		string(configs.Default()),
		"optimizer:\n  trials: 50\n",
		"optimizer:\n  tirals: 5\n",
		"optimizer: {trials: abc, seed: -1, batch: 2.5, confidence: .nan}\n",
		"search:\n  quorum: {min: 0.3, max: 0.2}\n",
		"search:\n  q: {type: log, min: 0, max: 1}\n  r: {type: categorical, choices: []}\n",
		"current: {Quorum: 1, 1: 2, true: 3, ~: 4}\n",
		"objectives:\n  - ~\n  - {name: a, weight: -1}\n  - [1, 2]\n",
		"constraints: [\"x <= 1e400\", \"y => 2\", 5]\n",
		"dao: &d {name: x, <<: *d}\n",
		"search: &s\n  a: {<<: *s}\n",
		"a: &a [*a]\n",
		"x: &x\n  <<: [*x, *x]\n",
		"search:\n  a: &r {min: 1, max: 2}\n  b: {<<: [*r, {max_step: 1}], max: 3}\n",
		"dao: {name: [a, b], options: {x: {y: 1}}}\n",
		"optimizer:\n  trials: 5\n  trials: 6\n",
		"out: a\n---\nout: b\n",
		"? [a, b]\n: c\n",
		"{[a]: b}\n",
		"!!binary dao: x\n",
		"optimizer: {seed: 18446744073709551615, trials: 9223372036854775808}\n",
		"optimizer: {seed: 1e19, trials: 1e3}\n",
		"dao: {name: !!int x}\n",
		"\t- tab\n",
		"key: \"unterminated\n",
		"sources: [{type: file}]\nsinks: [{}]\n",
		"*unknown\n",
		"risk: {measure: cvar, alpha: 0}\n",
		"current: {a: .inf, b: -.inf}\ndao: {options: {z: .nan}}\n",
		"\xff\xfe",
		"a: b: c\n",
		"current: {a: -0.0, b: 9007199254740993}\nschedule: \"\\xff\\t\"\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(LoadOptions{File: p, Env: []string{}})
		// Load's work is bounded by a count, not a clock: the decoder
		// visits at most maxValues values, aliases expanded, plus at most
		// one per node of the document as it stops.
		if visited, nodes := decoderWork([]byte(content)); visited > maxValues+1+nodes {
			t.Fatalf("the decoder visited %d values of a document of %d nodes; the bound is %d", visited, nodes, maxValues+1+nodes)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("error is not an *Error with problems: %#v", err)
			}
			for _, pr := range e.Problems {
				if strings.TrimSpace(pr.Msg) == "" {
					t.Fatalf("empty problem in %v", err)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load returned a config that does not validate: %v", err)
		}
		if _, err := c.ParsedConstraints(); err != nil {
			t.Fatalf("Load returned unparsable constraints: %v", err)
		}
		b, err := c.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		back, err := Load(LoadOptions{File: p, Env: []string{}})
		if err != nil {
			t.Fatalf("YAML output does not load: %v\n%s", err, b)
		}
		if back.Hash() != c.Hash() {
			t.Fatalf("YAML round trip changed the config:\n%s", b)
		}
	})
}

// FuzzParseConstraint checks that ParseConstraint never panics, that its
// errors wrap ErrInvalid, and that what it accepts is well formed and
// prints back to itself.
func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{
		"reward_spend_per_month <= 50000", "x>=1", " a < -1e-3 ", "b > .5",
		"", "x", "x <", "x = 1", "x <= nan", "x <= inf", "x <= 1e400",
		"x <= 0x1p3", "x <= 1_0", "X <= 1", "x<=<1", "x <= 1 2", "é <= 1",
		"x\t<=\n1", "x <= -0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConstraint(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if c.Metric == "" || strings.Trim(c.Metric, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Fatalf("bad metric %q from %q", c.Metric, s)
		}
		switch c.Op {
		case "<=", ">=", "<", ">":
		default:
			t.Fatalf("bad op %q from %q", c.Op, s)
		}
		if math.IsNaN(c.Bound) || math.IsInf(c.Bound, 0) {
			t.Fatalf("non-finite bound from %q", s)
		}
		back, err := ParseConstraint(c.String())
		if err != nil || back != c {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, c, c.String(), back, err)
		}
		for _, v := range []float64{c.Bound, c.Bound - 1, c.Bound + 1, math.Inf(1), math.Inf(-1), math.NaN()} {
			viol := c.Violation(v)
			if c.Satisfied(v) != (viol == 0) || viol < 0 || math.IsNaN(viol) {
				t.Fatalf("%v at %v: satisfied %v, violation %v", c, v, c.Satisfied(v), viol)
			}
		}
	})
}
