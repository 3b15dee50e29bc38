package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/attune-dao/attune/configs"
)

// noEnv keeps the machine's ATTUNE_* variables out of a test.
var noEnv = []string{}

// writeFile writes content to name in a fresh directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// loadFile loads content as the user's file, without environment.
func loadFile(t *testing.T, content string) (*Config, string, error) {
	t.Helper()
	p := writeFile(t, "my.yaml", content)
	c, err := Load(LoadOptions{File: p, Env: noEnv})
	return c, p, err
}

// mustLoad loads content and fails the test on error.
func mustLoad(t *testing.T, content string) *Config {
	t.Helper()
	c, _, err := loadFile(t, content)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// asError checks that err is an *Error wrapping ErrInvalid.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("Load succeeded; want an error")
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v does not wrap ErrInvalid", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not an *Error", err, err)
	}
	return e
}

// problemFor returns the problem about key, failing if there is none.
func problemFor(t *testing.T, e *Error, key string) Problem {
	t.Helper()
	for _, p := range e.Problems {
		if p.Key == key {
			return p
		}
	}
	t.Fatalf("no problem about %q in:\n%v", key, e)
	return Problem{}
}

func TestDefaultLoadsAndValidates(t *testing.T) {
	c, err := Load(LoadOptions{Env: noEnv})
	if err != nil {
		t.Fatalf("Load(default): %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate(default): %v", err)
	}
	// Load must give what the embedded file says, decoded directly.
	var want Config
	dec := yaml.NewDecoder(strings.NewReader(string(configs.Default())))
	dec.KnownFields(true)
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if got, w := c.Hash(), want.Hash(); got != w {
		gy, _ := c.YAML()
		wy, _ := want.YAML()
		t.Errorf("loaded default differs from configs/default.yaml:\n%s\nwant\n%s", gy, wy)
	}
	if f, l := c.Line("optimizer.trials"); f != EmbeddedDefault || l != 0 {
		t.Errorf("Line(optimizer.trials) = %q, %d; want %q, 0", f, l, EmbeddedDefault)
	}
	if _, err := c.ParsedConstraints(); err != nil {
		t.Errorf("default constraints: %v", err)
	}
}

func TestFileMergesScalarsAndReplacesSections(t *testing.T) {
	def, err := Load(LoadOptions{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, `
dao:
  name: Other DAO
  options: {quorum_bias: 0.5}
optimizer:
  trials: 20
current:
  threshold: 3
search:
  threshold: {type: int, min: 1, max: 9}
`)
	if c.DAO.Name != "Other DAO" || c.Optimizer.Trials != 20 {
		t.Errorf("file scalars not applied: name %q, trials %d", c.DAO.Name, c.Optimizer.Trials)
	}
	// Scalars the file does not set keep the default.
	if c.DAO.Model != def.DAO.Model || c.Optimizer.Replications != def.Optimizer.Replications ||
		c.Optimizer.Seed != def.Optimizer.Seed || c.Risk != def.Risk {
		t.Errorf("unset scalars lost their defaults: %+v %+v", c.DAO, c.Optimizer)
	}
	// Map sections the file sets are replaced, not merged.
	if want := map[string]float64{"threshold": 3}; !reflect.DeepEqual(c.Current, want) {
		t.Errorf("current = %v; want %v (replaced wholesale)", c.Current, want)
	}
	if len(c.Search) != 1 || c.Search["threshold"].Type != "int" || *c.Search["threshold"].Max != 9 {
		t.Errorf("search = %v; want only threshold", c.Search)
	}
	if want := map[string]float64{"quorum_bias": 0.5}; !reflect.DeepEqual(c.DAO.Options, want) {
		t.Errorf("dao.options = %v; want %v", c.DAO.Options, want)
	}
	// Sections the file does not set keep the default.
	if !reflect.DeepEqual(c.Objectives, def.Objectives) || !reflect.DeepEqual(c.Constraints, def.Constraints) {
		t.Errorf("objectives/constraints changed though the file does not set them")
	}
}

func TestListSectionsReplaced(t *testing.T) {
	c := mustLoad(t, `
objectives:
  - {name: turnout, weight: 3, direction: maximize}
constraints: ["turnout >= 0.1"]
sinks: []
`)
	if len(c.Objectives) != 1 || c.Objectives[0] != (Objective{Name: "turnout", Weight: 3, Direction: "maximize"}) {
		t.Errorf("objectives = %+v", c.Objectives)
	}
	if !reflect.DeepEqual(c.Constraints, []string{"turnout >= 0.1"}) {
		t.Errorf("constraints = %q", c.Constraints)
	}
	if len(c.Sinks) != 0 {
		t.Errorf("sinks = %+v; want none", c.Sinks)
	}
}

func TestNullLeavesDefault(t *testing.T) {
	def, err := Load(LoadOptions{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, "search:\noptimizer: ~\ndao: {name: null}\n")
	if !reflect.DeepEqual(c.Search, def.Search) || c.Optimizer != def.Optimizer || c.DAO.Name != def.DAO.Name {
		t.Errorf("null values changed the defaults")
	}
}

func TestEnvOverridesFile(t *testing.T) {
	t.Setenv("ATTUNE_OPTIMIZER_TRIALS", "50")
	t.Setenv("ATTUNE_DAO_NAME", "Env DAO")
	t.Setenv("ATTUNE_CURRENT_QUORUM", "0.07")
	t.Setenv("ATTUNE_SEARCH_QUORUM_MAX", "0.15")
	t.Setenv("ATTUNE_CONFIG", "not-a-setting.yaml") // not configuration: ignored
	p := writeFile(t, "my.yaml", "optimizer:\n  trials: 20\n  batch: 4\ndao:\n  name: File DAO\n")
	c, err := Load(LoadOptions{File: p}) // Env nil: os.Environ()
	if err != nil {
		t.Fatal(err)
	}
	if c.Optimizer.Trials != 50 || c.DAO.Name != "Env DAO" {
		t.Errorf("env did not override the file: trials %d, name %q", c.Optimizer.Trials, c.DAO.Name)
	}
	if c.Optimizer.Batch != 4 {
		t.Errorf("batch = %d; want the file's 4", c.Optimizer.Batch)
	}
	if c.Current["quorum"] != 0.07 || *c.Search["quorum"].Max != 0.15 || *c.Search["quorum"].Min != 0.01 {
		t.Errorf("env did not set map entries: current %v, search.quorum %+v", c.Current, c.Search["quorum"])
	}
	if f, _ := c.Line("optimizer.trials"); f != "env ATTUNE_OPTIMIZER_TRIALS" {
		t.Errorf("Line(optimizer.trials) file = %q; want the variable", f)
	}
	if f, l := c.Line("optimizer.batch"); f != p || l != 3 {
		t.Errorf("Line(optimizer.batch) = %q:%d; want %s:3", f, l, p)
	}
}

func TestEnvSetsWholeSections(t *testing.T) {
	c, err := Load(LoadOptions{Env: []string{
		"ATTUNE_CURRENT={quorum: 0.1}",
		`ATTUNE_CONSTRAINTS=["turnout >= 0.2"]`,
		"ATTUNE_DAO_OPTIONS_NEW_OPTION=2",
		"ATTUNE_OPTIMIZER_SAMPLER=", // empty: ignored
		"PATH=/bin",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]float64{"quorum": 0.1}; !reflect.DeepEqual(c.Current, want) {
		t.Errorf("current = %v; want %v", c.Current, want)
	}
	if !reflect.DeepEqual(c.Constraints, []string{"turnout >= 0.2"}) {
		t.Errorf("constraints = %q", c.Constraints)
	}
	if c.DAO.Options["new_option"] != 2 || c.DAO.Options["horizon_days"] == 0 {
		t.Errorf("dao.options = %v; want new_option added to the default's", c.DAO.Options)
	}
	if c.Optimizer.Sampler == "" {
		t.Error("an empty variable cleared optimizer.sampler")
	}
}

func TestEnvMappingForStructMerges(t *testing.T) {
	def, err := Load(LoadOptions{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(LoadOptions{Env: []string{
		"ATTUNE_OPTIMIZER={trials: 6, batch: 1}",
		"ATTUNE_SEARCH_QUORUM={min: 0.02, max: 0.1}",
		"ATTUNE_DAO={name: Env DAO, options: {x: 1}}",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Optimizer.Trials != 6 || c.Optimizer.Batch != 1 || c.Optimizer.Sampler != def.Optimizer.Sampler {
		t.Errorf("optimizer = %+v; want trials and batch set, the rest default", c.Optimizer)
	}
	if q := c.Search["quorum"]; *q.Min != 0.02 || q.MaxChange != 0 || len(c.Search) != len(def.Search) {
		t.Errorf("search.quorum = %+v; want replaced, the other entries kept", q)
	}
	if c.DAO.Name != "Env DAO" || c.DAO.Model != def.DAO.Model || !reflect.DeepEqual(c.DAO.Options, map[string]float64{"x": 1}) {
		t.Errorf("dao = %+v; want name set, model kept, options replaced", c.DAO)
	}
	if f, _ := c.Line("optimizer.trials"); f != "env ATTUNE_OPTIMIZER" {
		t.Errorf("Line(optimizer.trials) file = %q", f)
	}
	if f, _ := c.Line("optimizer.seed"); f != EmbeddedDefault {
		t.Errorf("Line(optimizer.seed) file = %q; want the default", f)
	}
}

func TestOverridesBeatEnv(t *testing.T) {
	p := writeFile(t, "my.yaml", "optimizer: {seed: 1, trials: 10}\nout: file-out\n")
	c, err := Load(LoadOptions{
		File: p,
		Env:  []string{"ATTUNE_OPTIMIZER_SEED=3", "ATTUNE_OUT=env-out", "ATTUNE_OPTIMIZER_TRIALS=40"},
		Overrides: map[string]any{
			"optimizer.seed":   uint64(7),
			"out":              "dir",
			"optimizer.trials": "30", // strings are parsed for the key's type
			"current.quorum":   0.05,
			"schedule":         nil, // ignored
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Optimizer.Seed != 7 || c.Out != "dir" || c.Optimizer.Trials != 30 || c.Current["quorum"] != 0.05 {
		t.Errorf("overrides lost: seed %d, out %q, trials %d, current %v", c.Optimizer.Seed, c.Out, c.Optimizer.Trials, c.Current)
	}
	if c.Schedule == "" {
		t.Error("a nil override cleared schedule")
	}
	if f, _ := c.Line("optimizer.seed"); f != CommandLine {
		t.Errorf("Line(optimizer.seed) file = %q; want %q", f, CommandLine)
	}
}

func TestBadOverrides(t *testing.T) {
	_, err := Load(LoadOptions{Env: noEnv, Overrides: map[string]any{
		"optimizer.tirals": 3,
		"optimizer.seed":   -1,
		"objectives":       "not a list",
	}})
	e := asError(t, err)
	if p := problemFor(t, e, "optimizer.tirals"); !strings.Contains(p.Msg, "allowed in optimizer: sampler, searches, trials") {
		t.Errorf("unknown override: %q", p.Msg)
	}
	if p := problemFor(t, e, "optimizer.seed"); !strings.Contains(p.Msg, "want a whole number >= 0") || p.File != CommandLine {
		t.Errorf("negative seed: %+v", p)
	}
	problemFor(t, e, "objectives")
}

func TestUnknownKeyReportsLineAndAllowed(t *testing.T) {
	_, p, err := loadFile(t, "dao:\n  name: X\noptimizer:\n  sampler: tpe\n  tirals: 5\n")
	e := asError(t, err)
	want := `config ` + p + `:5: unknown key "tirals" in optimizer; allowed: sampler, searches, trials, replications, validation, finalists, preset, batch, seed, confidence, storage`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error\n%v\nwant prefix\n%s", err, want)
	}
	if !strings.Contains(err.Error(), `did you mean "trials"?`) {
		t.Errorf("error %v does not suggest trials", err)
	}
	if pr := problemFor(t, e, "optimizer.tirals"); pr.Line != 5 || e.File != p {
		t.Errorf("problem %+v in %q; want line 5 of %s", pr, e.File, p)
	}
}

func TestUnknownTopLevelKey(t *testing.T) {
	_, _, err := loadFile(t, "optimiser:\n  trials: 5\n")
	if e := asError(t, err); !strings.Contains(problemFor(t, e, "optimiser").Msg, `allowed: dao, current, search`) {
		t.Errorf("error %v does not list the top-level keys", err)
	}
}

func TestTypeErrorsNameLineAndKey(t *testing.T) {
	_, p, err := loadFile(t, `optimizer:
  trials: abc
  seed: -4
  confidence: [0.9]
  batch: 2.5
search:
  quorum: {min: low, max: 0.2}
objectives: {name: x}
`)
	e := asError(t, err)
	for _, c := range []struct {
		key  string
		line int
		msg  string
	}{
		{"optimizer.trials", 2, `optimizer.trials: want a whole number; got "abc"`},
		{"optimizer.seed", 3, "want a whole number >= 0"},
		{"optimizer.confidence", 4, "want a number; got a list"},
		{"optimizer.batch", 5, `got "2.5"`},
		{"search.quorum.min", 7, `want a number; got "low"`},
		{"objectives", 8, "want a list of mappings with keys name, weight, direction"},
	} {
		pr := problemFor(t, e, c.key)
		if pr.Line != c.line || !strings.Contains(pr.Msg, c.msg) {
			t.Errorf("%s: got line %d %q; want line %d containing %q", c.key, pr.Line, pr.Msg, c.line, c.msg)
		}
	}
	if !strings.Contains(err.Error(), p+":2: optimizer.trials") {
		t.Errorf("error does not render file:line: %v", err)
	}
	// The search entry in error is not reported again as missing min.
	for _, pr := range e.Problems {
		if pr.Key == "search.quorum" {
			t.Errorf("search.quorum reported twice: %q", pr.Msg)
		}
	}
}

func TestSyntaxErrorNamesLine(t *testing.T) {
	_, p, err := loadFile(t, "dao:\n  name: X\noptimizer:\n  trials: [1, 2\nout: x\n")
	e := asError(t, err)
	if len(e.Problems) == 0 || e.Problems[0].Line == 0 || !strings.Contains(e.Problems[0].Msg, "YAML syntax error") {
		t.Fatalf("syntax error without line: %v", err)
	}
	if !strings.Contains(err.Error(), p+":") {
		t.Errorf("error %v does not name the file", err)
	}
}

func TestDuplicateAndSecondDocument(t *testing.T) {
	_, _, err := loadFile(t, "optimizer:\n  trials: 5\n  trials: 6\n")
	if pr := problemFor(t, asError(t, err), "optimizer.trials"); pr.Line != 3 || !strings.Contains(pr.Msg, "first at line 2") {
		t.Errorf("duplicate key: %+v", pr)
	}
	_, _, err = loadFile(t, "out: a\n---\nout: b\n")
	if e := asError(t, err); e.Problems[0].Line != 2 || !strings.Contains(e.Problems[0].Msg, "second YAML document") {
		t.Errorf("second document: %v", err)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	c := mustLoad(t, `
search:
  a: &range {min: 1, max: 5, max_step: 1}
  b: {<<: *range, max: 9}
  c: *range
current: {a: 2, b: 3, c: 4}
`)
	if *c.Search["b"].Min != 1 || *c.Search["b"].Max != 9 || c.Search["b"].MaxStep != 1 || *c.Search["c"].Max != 5 {
		t.Errorf("anchors/merge keys: %+v %+v", c.Search["b"], c.Search["c"])
	}
	_, _, err := loadFile(t, "search: &s\n  a: {<<: *s}\n")
	asError(t, err)
}

func TestAliasExpansionIsBounded(t *testing.T) {
	var merges, wide strings.Builder
	merges.WriteString("m0: &m0 {min: 1}\n")
	for i := 1; i < 40; i++ { // 2^40 merges if expanded naively
		fmt.Fprintf(&merges, "m%d: &m%d {<<: [*m%d, *m%d]}\n", i, i, i-1, i-1)
	}
	merges.WriteString("search:\n  a: *m39\n")
	wide.WriteString("search:\n  a: &a {type: categorical, choices: [")
	wide.WriteString(strings.Repeat("1,", 3000) + "1]}\n")
	for i := range 3000 { // 9 million choices if expanded
		fmt.Fprintf(&wide, "  p%d: *a\n", i)
	}
	for name, content := range map[string]string{"merges": merges.String(), "wide": wide.String()} {
		_, _, err := loadFile(t, content)
		e := asError(t, err)
		if !slices.ContainsFunc(e.Problems, func(p Problem) bool { return strings.Contains(p.Msg, "counting each use of an alias") }) {
			t.Errorf("%s: error %v does not explain the limit", name, err)
		}
		// The work is bounded by a count, not a clock: the decoder stops
		// once it has visited maxValues values, give or take one per node
		// of the document on the path it was expanding.
		visited, nodes := decoderWork([]byte(content))
		if visited <= maxValues || visited > maxValues+1+nodes {
			t.Errorf("%s: the decoder visited %d values of a document of %d nodes; want the budget %d spent, and no more than %d", name, visited, nodes, maxValues, maxValues+1+nodes)
		}
	}
	// A config without aliases costs one visit per node, or less.
	if visited, nodes := decoderWork(configs.Default()); visited > nodes {
		t.Errorf("the default config: %d values visited for %d nodes", visited, nodes)
	}
}

// decoderWork decodes data as Load decodes a config file (decodeDocument)
// and returns the number of values the decoder visited, aliases expanded,
// which maxValues bounds, and the number of nodes in the document as
// written, aliases not followed.
func decoderWork(data []byte) (visited, nodes int) {
	var ps problems
	d := newDecoder("", map[string]int{}, &ps)
	root := d.parseDocument(data)
	if root == nil {
		return 0, 0
	}
	d.value(root, configType, "")
	var count func(*yaml.Node)
	count = func(n *yaml.Node) {
		nodes++
		for _, c := range n.Content {
			count(c)
		}
	}
	count(root)
	return maxValues - d.budget, nodes
}

func TestMinGreaterThanMaxWithLine(t *testing.T) {
	_, p, err := loadFile(t, "current: {quorum: 0.25}\nsearch:\n  quorum: {min: 0.3, max: 0.2}\n")
	e := asError(t, err)
	pr := problemFor(t, e, "search.quorum")
	if pr.Line != 3 || pr.Msg != "search.quorum: min 0.3 > max 0.2; want min <= max" {
		t.Errorf("problem %+v", pr)
	}
	if want := "config " + p + ":3: search.quorum: min 0.3 > max 0.2; want min <= max"; err.Error() != want {
		t.Errorf("error %q; want %q", err, want)
	}
}

func TestUnknownSampler(t *testing.T) {
	_, _, err := loadFile(t, "optimizer:\n  sampler: hyperband\n")
	pr := problemFor(t, asError(t, err), "optimizer.sampler")
	if pr.Line != 2 || !strings.Contains(pr.Msg, `"hyperband" is not a sampler; use one of auto, cmaes, gp, qmc, random, tpe`) {
		t.Errorf("problem %+v", pr)
	}
}

func TestSeveralProblemsTogether(t *testing.T) {
	_, _, err := loadFile(t, `optimizer:
  sampler: hyperband
  tirals: 5
  replications: 1
search:
  quorum: {min: 0.3, max: 0.2}
  threshold: {type: log, min: 0, max: 1}
objectives:
  - {name: turnout, weight: 1}
  - {name: turnout, weight: -1}
constraints: ["turnout => 3"]
risk: {measure: cvar, alpha: 1.5}
`)
	e := asError(t, err)
	keys := []string{
		"optimizer.sampler", "optimizer.tirals", "optimizer.replications",
		"search.quorum", "search.threshold.min", "objectives[1].name",
		"objectives[1].weight", "constraints[0]", "risk.alpha",
	}
	for _, k := range keys {
		problemFor(t, e, k)
	}
	if len(e.Problems) != len(keys) {
		t.Errorf("%d problems; want %d:\n%v", len(e.Problems), len(keys), err)
	}
	if !strings.Contains(err.Error(), "9 problems:") {
		t.Errorf("error does not count the problems: %v", err)
	}
}

func TestBadEnvNamesVariable(t *testing.T) {
	_, err := Load(LoadOptions{Env: []string{"ATTUNE_OPTIMIZER_TRIALS=abc", "ATTUNE_RISK_ALPHA=0.1x"}})
	e := asError(t, err)
	pr := problemFor(t, e, "optimizer.trials")
	if pr.File != "env ATTUNE_OPTIMIZER_TRIALS" || !strings.Contains(pr.Msg, `want a whole number; got "abc"`) {
		t.Errorf("problem %+v", pr)
	}
	if !strings.Contains(err.Error(), "env ATTUNE_OPTIMIZER_TRIALS: optimizer.trials:") ||
		!strings.Contains(err.Error(), "ATTUNE_RISK_ALPHA") {
		t.Errorf("error does not name the variables: %v", err)
	}
}

func TestEnvTypoInSection(t *testing.T) {
	_, err := Load(LoadOptions{Env: []string{"ATTUNE_OPTIMIZER_TRAILS=50", "ATTUNE_CONFIG=x.yaml", "ATTUNE_VERBOSE=1"}})
	e := asError(t, err)
	if len(e.Problems) != 1 || e.Problems[0].File != "env ATTUNE_OPTIMIZER_TRAILS" ||
		!strings.Contains(e.Problems[0].Msg, "ATTUNE_OPTIMIZER_TRIALS") {
		t.Errorf("error %v; want one problem naming ATTUNE_OPTIMIZER_TRAILS and listing ATTUNE_OPTIMIZER_TRIALS", err)
	}
}

func TestEnvInvalidValueValidated(t *testing.T) {
	_, err := Load(LoadOptions{Env: []string{"ATTUNE_OPTIMIZER_CONFIDENCE=1.5"}})
	if pr := problemFor(t, asError(t, err), "optimizer.confidence"); pr.File != "env ATTUNE_OPTIMIZER_CONFIDENCE" {
		t.Errorf("validation problem from env does not name the variable: %+v", pr)
	}
}

func TestMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := Load(LoadOptions{File: p, Env: noEnv})
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v; want a not-exist error naming %s, not ErrInvalid", err, p)
	}
}

func TestEmptyFileIsDefault(t *testing.T) {
	def, err := Load(LoadOptions{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"", "# just a comment\n", "---\n", "~\n"} {
		c, _, err := loadFile(t, content)
		if err != nil {
			t.Errorf("%q: %v", content, err)
			continue
		}
		if c.Hash() != def.Hash() {
			t.Errorf("%q does not load as the default", content)
		}
	}
}

func TestValidate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name   string
		mutate func(c *Config)
		key    string
		msg    string
	}{
		{"no name", func(c *Config) { c.DAO.Name = " " }, "dao.name", "is empty"},
		{"no model", func(c *Config) { c.DAO.Model = "" }, "dao.model", "is empty"},
		{"nan option", func(c *Config) { c.DAO.Options["x"] = math.NaN() }, "dao.options.x", "not a finite number"},
		{"inf current", func(c *Config) { c.Current["quorum"] = math.Inf(1) }, "current.quorum", "not a finite number"},
		{"bad type", func(c *Config) { c.Search["q"] = SearchParam{Type: "cube", Min: f(0), Max: f(1)} }, "search.q.type", `"cube" is not a search type`},
		{"min>max", func(c *Config) { c.Search["q"] = SearchParam{Min: f(2), Max: f(1)} }, "search.q", "min 2 > max 1; want min <= max"},
		{"no bounds", func(c *Config) { c.Search["q"] = SearchParam{} }, "search.q", "min and max are missing"},
		{"no max", func(c *Config) { c.Search["q"] = SearchParam{Min: f(1)} }, "search.q", "max is missing"},
		{"nan min", func(c *Config) { c.Search["q"] = SearchParam{Min: f(math.NaN()), Max: f(1)} }, "search.q.min", "not a finite number"},
		{"no choices", func(c *Config) { c.Search["q"] = SearchParam{Type: "categorical"} }, "search.q", "needs choices"},
		{"inf choice", func(c *Config) { c.Search["q"] = SearchParam{Type: "categorical", Choices: []float64{1, math.Inf(-1)}} }, "search.q.choices[1]", "not a finite number"},
		{"stray choices", func(c *Config) { c.Search["q"] = SearchParam{Min: f(0), Max: f(1), Choices: []float64{1}} }, "search.q.choices", "only to type categorical"},
		{"log min", func(c *Config) { c.Search["q"] = SearchParam{Type: "log", Min: f(0), Max: f(1)} }, "search.q.min", "needs min > 0"},
		{"int bound", func(c *Config) { c.Search["q"] = SearchParam{Type: "int", Min: f(1), Max: f(2.5)} }, "search.q.max", "whole-number"},
		{"max_change", func(c *Config) { c.Search["q"] = SearchParam{Min: f(0), Max: f(1), MaxChange: -0.1} }, "search.q.max_change", "negative"},
		{"max_step", func(c *Config) { c.Search["q"] = SearchParam{Min: f(0), Max: f(1), MaxStep: math.Inf(1)} }, "search.q.max_step", "not a finite number"},
		{"no objectives", func(c *Config) { c.Objectives = nil }, "objectives", "none given"},
		{"objective name", func(c *Config) { c.Objectives[0].Name = "" }, "objectives[0].name", "is empty"},
		{"objective weight", func(c *Config) { c.Objectives[1].Weight = 0 }, "objectives[1].weight", "> 0"},
		{"nan weight", func(c *Config) { c.Objectives[1].Weight = math.NaN() }, "objectives[1].weight", "> 0"},
		{"direction", func(c *Config) { c.Objectives[0].Direction = "up" }, "objectives[0].direction", "maximize or minimize"},
		{"duplicate objective", func(c *Config) { c.Objectives[2].Name = c.Objectives[0].Name }, "objectives[2].name", "listed twice (also objectives[0])"},
		{"constraint", func(c *Config) { c.Constraints = []string{"x = 1"} }, "constraints[0]", "not an operator"},
		{"risk measure", func(c *Config) { c.Risk.Measure = "max" }, "risk.measure", "mean or cvar"},
		{"cvar alpha", func(c *Config) { c.Risk = Risk{Measure: "cvar", Alpha: 0} }, "risk.alpha", "outside (0, 1]"},
		{"alpha nan", func(c *Config) { c.Risk.Alpha = math.NaN() }, "risk.alpha", "not a finite number"},
		{"sampler", func(c *Config) { c.Optimizer.Sampler = "" }, "optimizer.sampler", "not a sampler"},
		{"trials low", func(c *Config) { c.Optimizer.Trials = 0 }, "optimizer.trials", "between 1 and 100000"},
		{"trials high", func(c *Config) { c.Optimizer.Trials = 100001 }, "optimizer.trials", "between 1 and 100000"},
		{"replications", func(c *Config) { c.Optimizer.Replications = 1 }, "optimizer.replications", "at least 2"},
		{"validation", func(c *Config) { c.Optimizer.Validation = 1 }, "optimizer.validation", "at least 2"},
		{"batch", func(c *Config) { c.Optimizer.Batch = 0 }, "optimizer.batch", "at least 1"},
		{"confidence", func(c *Config) { c.Optimizer.Confidence = 1 }, "optimizer.confidence", "between 0 and 1"},
		{"confidence nan", func(c *Config) { c.Optimizer.Confidence = math.NaN() }, "optimizer.confidence", "between 0 and 1"},
		{"storage", func(c *Config) { c.Optimizer.Storage = "sqlite" }, "optimizer.storage", "use memory"},
		{"tolerance", func(c *Config) { c.Calibration.Tolerance = 0 }, "calibration.tolerance", "> 0"},
		{"calibration replications", func(c *Config) { c.Calibration.Replications = 0 }, "calibration.replications", "at least 1"},
		{"no sources", func(c *Config) { c.Sources = nil }, "sources", "none given"},
		{"source type", func(c *Config) { c.Sources = []Source{{}} }, "sources[0].type", "is empty"},
		{"file path", func(c *Config) { c.Sources = []Source{{Type: "file"}} }, "sources[0].path", "needs the path"},
		{"provider", func(c *Config) { c.Oracle.Provider = "gpt" }, "oracle.provider", "template"},
		{"frozen outside range", func(c *Config) {
			c.Search["proposal_threshold"] = SearchParam{Frozen: true, Min: ptr(0.003), Max: ptr(0.01)}
		}, "search.proposal_threshold", "frozen at the value in force"},
		{"current not a choice", func(c *Config) {
			c.Search["voting_period_days"] = SearchParam{Type: "categorical", Choices: []float64{5, 7}}
		}, "search.voting_period_days.choices", "do not include the value in force"},
		{"name too long", func(c *Config) { c.DAO.Name = strings.Repeat("n", 201) }, "dao.name", "at most 200"},
		{"replications high", func(c *Config) { c.Optimizer.Replications = 1e9 }, "optimizer.replications", "at most 1000"},
		{"validation high", func(c *Config) { c.Optimizer.Validation = 1001 }, "optimizer.validation", "at most 1000"},
		{"calibration replications high", func(c *Config) { c.Calibration.Replications = 1001 }, "calibration.replications", "at most 1000"},
		{"openai model", func(c *Config) { c.Oracle = Oracle{Provider: "openai", BaseURL: "http://localhost:11434/v1"} }, "oracle.model", "is empty"},
		{"openai base_url", func(c *Config) { c.Oracle = Oracle{Provider: "openai", Model: "m"} }, "oracle.base_url", "is empty"},
		{"openai base_url scheme", func(c *Config) { c.Oracle = Oracle{Provider: "openai", Model: "m", BaseURL: "ftp://x"} }, "oracle.base_url", "not an http(s) URL"},
		{"openai key is a key", func(c *Config) {
			c.Oracle = Oracle{Provider: "openai", Model: "m", BaseURL: "https://api.openai.com/v1", APIKeyEnv: "sk-abc123-xyz"}
		}, "oracle.api_key_env", "never the key itself"},
		{"language", func(c *Config) { c.Oracle.Language = "xx" }, "oracle.language", "not a language"},
		{"timeout", func(c *Config) { c.Oracle.Timeout = "soon" }, "oracle.timeout", "duration"},
		{"timeout negative", func(c *Config) { c.Oracle.Timeout = "-1s" }, "oracle.timeout", "duration"},
		{"max_retries", func(c *Config) { c.Oracle.MaxRetries = 11 }, "oracle.max_retries", "between 0 and 10"},
		{"max_tokens", func(c *Config) { c.Oracle.MaxTokens = -1 }, "oracle.max_tokens", "between 0"},
		{"temperature", func(c *Config) { c.Oracle.Temperature = 3 }, "oracle.temperature", "between 0 and 2"},
		{"budget tokens", func(c *Config) { c.Oracle.Budget.Tokens = -1 }, "oracle.budget.tokens", "0 (no bound)"},
		{"budget usd", func(c *Config) { c.Oracle.Budget.USD = math.Inf(1) }, "oracle.budget.usd", "not a finite"},
		{"price", func(c *Config) { c.Oracle.Price.PromptPer1K = -1 }, "oracle.price.prompt_per_1k", "0 or more"},
		{"structured_output", func(c *Config) { c.Oracle.StructuredOutput = "xml" }, "oracle.structured_output", "json_schema, json_object, prompt"},
		{"azure deployment", func(c *Config) { c.Oracle.Azure.Deployment = "a/b" }, "oracle.azure.deployment", "bare deployment"},
		{"azure api_version", func(c *Config) { c.Oracle.Azure.APIVersion = "latest" }, "oracle.azure.api_version", "2024-10-21"},
		{"budget usd without price", func(c *Config) { c.Oracle.Budget.USD = 1 }, "oracle.budget.usd", "oracle.price"},
		{"sink type", func(c *Config) { c.Sinks = []Sink{{Name: "x"}} }, "sinks[0].type", "is empty"},
		{"out", func(c *Config) { c.Out = "" }, "out", "is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(LoadOptions{Env: noEnv})
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(c)
			e := asError(t, c.Validate())
			if len(e.Problems) != 1 {
				t.Errorf("%d problems; want 1:\n%v", len(e.Problems), e)
			}
			if pr := problemFor(t, e, tc.key); !strings.Contains(pr.Msg, tc.msg) || !strings.HasPrefix(pr.Msg, tc.key+": ") {
				t.Errorf("problem %q; want it to start with %q and contain %q", pr.Msg, tc.key, tc.msg)
			}
		})
	}
}

func TestValidFrozenAndCategorical(t *testing.T) {
	mustLoad(t, `
current: {a: 1, b: 2, c: 3}
search:
  a: {frozen: true}
  b: {type: categorical, choices: [1, 2, 4]}
  c: {type: int, min: 1, max: 1e1}
`)
	// A range around the value in force needs no min or max.
	mustLoad(t, `
current: {a: 1, b: 2}
search:
  a: {max_change: 0.25}
  b: {min: 1, max_step: 2}
`)
}

func TestLineAndProblem(t *testing.T) {
	p := writeFile(t, "my.yaml", `dao:
  name: X
search:
  quorum:
    min: 0.01
    max: 0.2
objectives:
  - name: turnout
    weight: 1
  - {name: decision_quality, weight: 2}
`)
	c, err := Load(LoadOptions{File: p, Env: []string{"ATTUNE_CURRENT_QUORUM=0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		file string
		line int
	}{
		{"dao.name", p, 2},
		{"search.quorum", p, 4},
		{"search.quorum.max", p, 6},
		{"search.quorum.max_change", p, 4}, // absent from a replaced section: its entry
		{"search.other", p, 3},
		{"objectives[1]", p, 10},
		{"objectives[1].weight", p, 10},
		{"objectives[0].weight", p, 9},
		{"dao.model", EmbeddedDefault, 0}, // from the default
		{"optimizer.trials", EmbeddedDefault, 0},
		{"current.quorum", "env ATTUNE_CURRENT_QUORUM", 0},
	} {
		if f, l := c.Line(tc.key); f != tc.file || l != tc.line {
			t.Errorf("Line(%q) = %q:%d; want %q:%d", tc.key, f, l, tc.file, tc.line)
		}
	}
	err = c.Problem("search.quorum", "unknown parameter; tokenvote has quorum_share")
	if !errors.Is(err, ErrInvalid) || err.Error() != "config "+p+":4: search.quorum: unknown parameter; tokenvote has quorum_share" {
		t.Errorf("Problem: %v", err)
	}
	err = c.Problem("dao.model", "unknown model")
	if err.Error() != "config "+EmbeddedDefault+": dao.model: unknown model" {
		t.Errorf("Problem on a default key: %v", err)
	}
	var zero Config
	if f, l := zero.Line("out"); f != "" || l != 0 {
		t.Errorf("Line on a Config not from Load = %q:%d", f, l)
	}
}

func TestConstraintParsing(t *testing.T) {
	valid := []struct {
		in   string
		want Constraint
	}{
		{"reward_spend_per_month <= 50000", Constraint{"reward_spend_per_month", "<=", 50000}},
		{"x>=1", Constraint{"x", ">=", 1}},
		{"  turnout   <   0.5  ", Constraint{"turnout", "<", 0.5}},
		{"a1_b > -2.5e-3", Constraint{"a1_b", ">", -2.5e-3}},
		{"m <= 5E4", Constraint{"m", "<=", 5e4}},
		{"m<=+.5", Constraint{"m", "<=", 0.5}},
		{"m >= 7.", Constraint{"m", ">=", 7}},
		{"9lives<1", Constraint{"9lives", "<", 1}},
	}
	for _, tc := range valid {
		got, err := ParseConstraint(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseConstraint(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if back, err := ParseConstraint(got.String()); err != nil || back != got {
			t.Errorf("String %q does not parse back: %+v, %v", got.String(), back, err)
		}
	}
	invalid := []struct{ in, why string }{
		{"", "does not start with a metric"},
		{"Turnout <= 1", "does not start with a metric"},
		{"turnout", "operator and bound are missing"},
		{"turnout = 1", "not an operator"},
		{"turnout == 1", "not an operator"},
		{"turnout => 1", "not an operator"},
		{"turnout <= ", "bound is missing"},
		{"turnout <= abc", "not a number"},
		{"turnout <= 1 2", "not a number"},
		{"turnout <= NaN", "not a number"},
		{"turnout <= inf", "not a number"},
		{"turnout <= 0x10", "not a number"},
		{"turnout <= 1_000", "not a number"},
		{"turnout <= 1e400", "out of range"},
		{"turn-out <= 1", "not an operator"},
		{"turnout <=< 1", "not a number"},
	}
	for _, tc := range invalid {
		_, err := ParseConstraint(tc.in)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParseConstraint(%q) error %v; want ErrInvalid mentioning %q", tc.in, err, tc.why)
		}
	}
}

func TestConstraintSatisfiedAndViolation(t *testing.T) {
	for _, tc := range []struct {
		c    string
		v    float64
		ok   bool
		viol float64
	}{
		{"x <= 10", 9, true, 0},
		{"x <= 10", 10, true, 0},
		{"x <= 10", 12.5, false, 2.5},
		{"x < 10", 9, true, 0},
		{"x >= 10", 10, true, 0},
		{"x >= 10", 4, false, 6},
		{"x > 10", 11, true, 0},
		{"x > -1", -3, false, 2},
		{"x <= 10", math.Inf(1), false, math.Inf(1)},
		{"x <= 10", math.NaN(), false, math.Inf(1)},
	} {
		k, err := ParseConstraint(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.Satisfied(tc.v); got != tc.ok {
			t.Errorf("%s Satisfied(%v) = %v; want %v", tc.c, tc.v, got, tc.ok)
		}
		if got := k.Violation(tc.v); got != tc.viol {
			t.Errorf("%s Violation(%v) = %v; want %v", tc.c, tc.v, got, tc.viol)
		}
	}
	// Equality misses a strict bound by a positive amount.
	for _, s := range []string{"x < 10", "x > 10", "x < 0", "x > 0"} {
		k, _ := ParseConstraint(s)
		v := k.Bound
		if k.Satisfied(v) || !(k.Violation(v) > 0) || k.Violation(v) > 1e-10 {
			t.Errorf("%s at the bound: satisfied %v, violation %v; want unsatisfied by a tiny positive amount", s, k.Satisfied(v), k.Violation(v))
		}
	}
	if (Constraint{Metric: "x", Op: "=", Bound: 1}).Satisfied(1) {
		t.Error("an unknown operator is satisfied")
	}
}

func TestParsedConstraints(t *testing.T) {
	c := mustLoad(t, "constraints: [\"a <= 1\", \"b>2\"]\n")
	got, err := c.ParsedConstraints()
	if err != nil || !reflect.DeepEqual(got, []Constraint{{"a", "<=", 1}, {"b", ">", 2}}) {
		t.Errorf("ParsedConstraints = %+v, %v", got, err)
	}
	c.Constraints = append(c.Constraints, "c ~ 3")
	_, err = c.ParsedConstraints()
	if pr := problemFor(t, asError(t, err), "constraints[2]"); !strings.Contains(pr.Msg, `"c ~ 3"`) {
		t.Errorf("problem %+v", pr)
	}
}

func TestHash(t *testing.T) {
	a, err := Load(LoadOptions{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	b := mustLoad(t, "optimizer: {trials: 160}\n") // the default's value, from a file
	if a.Optimizer.Trials != 160 {
		t.Skip("default trials changed; update this test")
	}
	if a.Hash() != b.Hash() || len(a.Hash()) != 64 {
		t.Errorf("equal configs hash differently: %s %s", a.Hash(), b.Hash())
	}
	h := a.Hash()
	a.Optimizer.Seed++
	if a.Hash() == h {
		t.Error("Hash unchanged after changing the seed")
	}
	a.Optimizer.Seed--
	a.Current["quorum"] += 1e-12
	if a.Hash() == h {
		t.Error("Hash unchanged after changing current.quorum")
	}
	var x, y Config
	y.Current, y.Sinks = map[string]float64{}, []Sink{}
	if x.Hash() != y.Hash() {
		t.Error("nil and empty sections hash differently")
	}
	x.Risk.Alpha = math.NaN()
	if h1, h2 := x.Hash(), x.Hash(); h1 == y.Hash() || h1 != h2 {
		t.Error("a NaN config has no stable, distinct hash")
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	p := writeFile(t, "my.yaml", `
dao: {name: "Round: Trip", model: tokenvote, options: {}}
current: {quorum: 0.1, big: 1e300}
search:
  quorum: {min: 0.01, max: 0.3, max_change: 0.25}
  k: {type: categorical, choices: [1, 2.5]}
objectives: [{name: turnout, weight: 0.3, direction: minimize}]
sinks: []
schedule: ""
`)
	c, err := Load(LoadOptions{File: p, Env: []string{"ATTUNE_OPTIMIZER_TRIALS=77"},
		Overrides: map[string]any{"optimizer.seed": uint64(math.MaxUint64)}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := loadFile(t, string(b))
	if err != nil {
		t.Fatalf("YAML output does not load: %v\n%s", err, b)
	}
	if back.Hash() != c.Hash() {
		b2, _ := back.YAML()
		t.Errorf("round trip changed the config:\n%s\nbecame\n%s", b, b2)
	}
	if len(back.DAO.Options) != 0 || back.Optimizer.Seed != math.MaxUint64 || back.Optimizer.Trials != 77 {
		t.Errorf("round trip lost values: options %v seed %d trials %d", back.DAO.Options, back.Optimizer.Seed, back.Optimizer.Trials)
	}
	b2, _ := back.YAML()
	if string(b2) != string(b) {
		t.Error("YAML is not deterministic")
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{File: "f.yaml", Problems: []Problem{
		{Key: "a", Line: 3, Msg: "a: bad"},
		{Key: "b", Msg: "b: worse", File: "env ATTUNE_B"},
		{Key: "c", Msg: "c: worst"},
	}}
	want := "config f.yaml: 3 problems:\n  f.yaml:3: a: bad\n  env ATTUNE_B: b: worse\n  f.yaml: c: worst"
	if e.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", e.Error(), want)
	}
	if !errors.Is(e, ErrInvalid) {
		t.Error("*Error does not wrap ErrInvalid")
	}
}

func ptr(v float64) *float64 { return &v }

// A config file over MaxFileBytes is refused as too large, without reading
// the rest of it or echoing its keys.
func TestOversizedConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	big := strings.Repeat("unknown_key_that_is_long: 1\n", MaxFileBytes/20)
	if err := os.WriteFile(path, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(LoadOptions{File: path, Env: noEnv})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than 1024 KiB") || len(err.Error()) > 300 {
		t.Errorf("err %.300v", err)
	}
}
