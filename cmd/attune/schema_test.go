package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/attune-dao/attune/adapters/sinktest"
	"github.com/attune-dao/attune/schema"
)

// Every command's --output json is a versioned document that its JSON
// Schema accepts, and --output yaml carries the same data.
func TestOutputsFollowTheirSchemas(t *testing.T) {
	fast(t)
	out := t.TempDir()
	cycle := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureCycle, "  - {type: markdown, dir: posts}\n")
	dsn := seeded(t, "sqlite:"+filepath.Join(t.TempDir(), "attune.db"))
	for _, c := range []struct {
		kind string
		args []string
	}{
		{schema.Simulation, []string{"simulate", "--set", "proposal_threshold=0"}},
		{schema.Calibration, []string{"calibrate"}},
		{schema.Sources, []string{"sources", "check"}},
		{schema.Recommendation, []string{"optimize"}},
		{schema.Recommendation, []string{"run", "--out", out, "--no-track-record"}},
		{schema.Publish, []string{"publish", cycle, "--dry-run"}},
		{schema.Backtest, []string{"backtest", "--config", "../../configs/examples/lido/attune.yaml", "--windows", "2", "--replications", "8"}},
		{schema.Cycles, []string{"cycles", "list", "--store", dsn}},
		{schema.Cycles, []string{"proposals", "list", "--dao", "Nobody", "--store", dsn}},
		{schema.Cycle, []string{"cycles", "show", "1", "--store", dsn}},
		{schema.Cycle, []string{"proposals", "show", "2", "--store", dsn}},
		{schema.CycleDiff, []string{"cycles", "diff", "1", "2", "--store", dsn}},
		{schema.Audit, []string{"audit", "verify", "--store", dsn}},
	} {
		code, stdout, stderr := run(t, append(c.args, "--output", "json")...)
		if code != exitOK {
			t.Errorf("%v: exit %d: %s", c.args, code, stderr)
			continue
		}
		var head struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal([]byte(stdout), &head); err != nil || head.Schema != c.kind {
			t.Errorf("%v: schema %q (%v); want %s", c.args, head.Schema, err, c.kind)
		}
		if err := schema.Validate([]byte(stdout)); err != nil {
			t.Errorf("%v: %v", c.args, err)
		}
		if c.args[0] == "run" || c.args[0] == "backtest" {
			continue // one YAML comparison per kind is enough
		}
		code, ystdout, stderr := run(t, append(c.args, "--output", "yaml")...)
		if code != exitOK {
			t.Errorf("%v yaml: exit %d: %s", c.args, code, stderr)
			continue
		}
		var fromJSON, fromYAML any
		json.Unmarshal([]byte(stdout), &fromJSON)
		if err := yaml.Unmarshal([]byte(ystdout), &fromYAML); err != nil {
			t.Errorf("%v: the YAML does not parse: %v", c.args, err)
		}
		// Compare through JSON so that YAML's int/float typing does not
		// differ from JSON's numbers.
		a, _ := json.Marshal(fromJSON)
		b, _ := json.Marshal(fromYAML)
		var x, y any
		json.Unmarshal(a, &x)
		json.Unmarshal(b, &y)
		if c.kind == schema.Sources {
			// Each run times its reads anew.
			untimed(x)
			untimed(y)
		}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("%v: --output yaml differs from --output json", c.args)
		}
	}
}

// untimed drops the read times of an attune.sources document.
func untimed(doc any) {
	m, _ := doc.(map[string]any)
	srcs, _ := m["sources"].([]any)
	for _, s := range srcs {
		if r, ok := s.(map[string]any); ok {
			delete(r, "seconds")
		}
	}
}
