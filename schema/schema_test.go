package schema_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"

	"github.com/attune-dao/attune/backtest"
	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

var update = flag.Bool("update", false, "rewrite the schema files from the Go types")

// docTypes are the Go types each kind's schema describes.
var docTypes = map[string]any{
	schema.Recommendation: schema.RecommendationDoc{},
	schema.Simulation:     schema.SimulationDoc{},
	schema.Calibration:    schema.CalibrationDoc{},
	schema.Backtest:       backtest.Report{},
	schema.Sources:        schema.SourcesDoc{},
	schema.Proposal:       oracle.ProposalDocument{},
	schema.Publish:        schema.PublishDoc{},
	schema.Cycles:         schema.CyclesDoc{},
	schema.Cycle:          schema.CycleDoc{},
	schema.CycleDiff:      schema.CycleDiffDoc{},
	schema.Audit:          schema.AuditDoc{},
	schema.Trials:         schema.TrialsDoc{},
}

// generate reflects kind's Go type into a JSON Schema: every field the
// encoder always writes is required, omitempty ones are optional, and no
// field outside the type is allowed.
func generate(t *testing.T, kind string) []byte {
	t.Helper()
	r := &jsonschema.Reflector{ExpandedStruct: true, DoNotReference: false, RequiredFromJSONSchemaTags: false}
	s := r.Reflect(docTypes[kind])
	s.ID = jsonschema.ID(schema.ID(kind))
	s.Version = "https://json-schema.org/draft/2020-12/schema"
	s.Title = kind
	s.Properties.Set("schema", &jsonschema.Schema{Type: "string", Const: kind})
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// The committed schema files are what the Go types produce: a change to
// a document's type shows up as a change to its schema, to be reviewed
// (and versioned when it removes or retypes a field).
func TestSchemaFilesMatchTheTypes(t *testing.T) {
	for _, kind := range schema.Kinds {
		name := strings.ReplaceAll(strings.TrimPrefix(kind, "attune."), "/", ".") + ".schema.json"
		got := generate(t, kind)
		if *update {
			if err := os.WriteFile(name, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := schema.File(kind)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of step with the Go types; run go test ./schema -update and review the diff (a removed or retyped field needs a new version)", name)
		}
	}
}

// Validate accepts a real document and names what is wrong with a broken
// one.
func TestValidate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "loop", "testdata", "golden", "compound", "recommendation.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec oracle.Recommendation
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(schema.NewRecommendation(rec))
	if err := schema.Validate(good); err != nil {
		t.Fatalf("golden recommendation: %v", err)
	}
	var m map[string]any
	json.Unmarshal(good, &m)
	for name, mutate := range map[string]func(map[string]any){
		"missing field": func(m map[string]any) { delete(m, "params") },
		"wrong type":    func(m map[string]any) { m["change"] = "yes" },
		"unknown field": func(m map[string]any) { m["surprise"] = 1 },
		"wrong version": func(m map[string]any) { m["schema"] = "attune.recommendation/v9" },
	} {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		mutate(c)
		bad, _ := json.Marshal(c)
		if err := schema.Validate(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := schema.Validate([]byte(`{"schema": "attune.nothing/v1"}`)); err == nil {
		t.Error("unknown kind accepted")
	}
}

// A recommendation without constraints or clamps is a valid document.
func TestEmptyListsValidate(t *testing.T) {
	b, err := json.Marshal(schema.NewRecommendation(oracle.Recommendation{CycleID: "c"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"constraints":[]`) || !strings.Contains(string(b), `"schema":"attune.recommendation/v1"`) {
		t.Fatalf("document %s", b)
	}
}
