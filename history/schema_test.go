package history

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaPath = "../docs/history.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://github.com/attune-dao/attune/docs/history.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return sch
}

// TestSchemaAgreesWithParse: documents Parse accepts the schema accepts, and
// documents that break what the schema can say both reject.
func TestSchemaAgreesWithParse(t *testing.T) {
	sch := compileSchema(t)
	sampleJSON, err := os.ReadFile("testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	marshal := func(h *History) string {
		data, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	// edit replaces old by new in the sample, which must hold old.
	edit := func(old, new string) string {
		if !strings.Contains(string(sampleJSON), old) {
			t.Fatalf("%q not in the sample", old)
		}
		return strings.Replace(string(sampleJSON), old, new, 1)
	}
	for _, c := range []struct {
		name  string
		doc   string
		valid bool
	}{
		{"testdata/sample.json", string(sampleJSON), true},
		{"sample, marshalled", marshal(sample(t)), true},
		{"minimal, marshalled", marshal(minimal(t)), true},
		{"time with an offset", edit(`"created": "2021-01-01T00:00:00Z"`, `"created": "2021-01-01T01:00:00+01:00"`), true},

		{"unknown top-level field", edit(`"dao":`, `"chain": "eth", "dao":`), false},
		{"unknown proposal field", edit(`"id": "3",`, `"id": "3", "quorum": 1,`), false},
		{"unknown holders field", edit(`"delegates": 300`, `"delegates": 300, "whales": 3`), false},
		{"unknown token field", edit(`"symbol": "ATN"`, `"symbol": "ATN", "decimals": 18`), false},
		{"missing required field", edit(`"voters": 12, `, ``), false},
		{"missing token symbol", edit(`"symbol": "ATN", `, ``), false},
		{"state not in the enum", edit(`"state": "succeeded"`, `"state": "passed"`), false},
		{"support not in the enum", edit(`"support": "abstain"`, `"support": "yes"`), false},
		{"negative weight", edit(`"weight": 10}`, `"weight": -10}`), false},
		{"fractional count", edit(`"delegates": 300`, `"delegates": 300.5`), false},
		{"gini of 1", edit(`"gini": 0.9`, `"gini": 1`), false},
		{"share above 1", edit(`"top10_share": 0.6`, `"top10_share": 1.2`), false},
		{"zero total supply", edit(`"total": 12000`, `"total": 0`), false},
		{"no proposals", `{"dao": "D", "token": {"symbol": "T"}, "proposals": [], "supply": [{"time": "2021-01-01T00:00:00Z", "total": 1}]}`, false},
		{"date without time", edit(`"time": "2021-03-01T00:00:00Z"`, `"time": "2021-03-01"`), false},
		{"null", edit(`"governor": "bravo"`, `"governor": null`), false},
		{"blank dao", edit(`"dao": "Attune Test DAO"`, `"dao": "  "`), false},
		{"string for a number", edit(`"value": 3,`, `"value": "3",`), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			serr := sch.Validate(inst)
			if (serr == nil) != c.valid {
				t.Errorf("schema: valid = %v (%v); want %v", serr == nil, serr, c.valid)
			}
			_, perr := Parse([]byte(c.doc), "doc")
			if (perr == nil) != c.valid {
				t.Errorf("Parse: valid = %v (%v); want %v", perr == nil, perr, c.valid)
			}
		})
	}
}

// TestSchemaMatchesTypes: the schema names exactly the JSON fields of the Go
// types, requires exactly those without omitempty or omitzero, and
// enumerates exactly the State and Support constants.
func TestSchemaMatchesTypes(t *testing.T) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v; want draft 2020-12", root["$schema"])
	}
	defs, _ := root["$defs"].(map[string]any)
	// resolve follows $ref to #/$defs/NAME.
	var resolve func(node map[string]any) map[string]any
	resolve = func(node map[string]any) map[string]any {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		def, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			t.Fatalf("unresolved $ref %s", ref)
		}
		return resolve(def)
	}
	strs := func(v any) []string {
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		slices.Sort(out)
		return out
	}
	var check func(path string, typ reflect.Type, node map[string]any)
	check = func(path string, typ reflect.Type, node map[string]any) {
		node = resolve(node)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch {
		case isTime(typ):
			if node["format"] != "date-time" {
				t.Errorf("%s: format %v; want date-time", path, node["format"])
			}
		case typ == reflect.TypeFor[State]() || typ == reflect.TypeFor[Support]():
			var want []string
			if typ == reflect.TypeFor[State]() {
				for _, s := range States() {
					want = append(want, string(s))
				}
			} else {
				want = []string{string(For), string(Against), string(Abstain)}
			}
			slices.Sort(want)
			if got := strs(node["enum"]); !slices.Equal(got, want) {
				t.Errorf("%s: enum %v; want %v", path, got, want)
			}
		case typ.Kind() == reflect.Slice:
			if node["type"] != "array" {
				t.Errorf("%s: type %v; want array", path, node["type"])
			}
			items, _ := node["items"].(map[string]any)
			check(path+"[]", typ.Elem(), items)
		case typ.Kind() == reflect.Struct:
			if node["type"] != "object" || node["additionalProperties"] != false {
				t.Errorf("%s: want type object with additionalProperties false", path)
			}
			props, _ := node["properties"].(map[string]any)
			var names, required []string
			for _, f := range jsonFields(typ) {
				names = append(names, f.name)
				if f.required {
					required = append(required, f.name)
				}
				sub, ok := props[f.name].(map[string]any)
				if !ok {
					t.Errorf("%s: no property %q", path, f.name)
					continue
				}
				check(path+"."+f.name, f.typ, sub)
			}
			slices.Sort(names)
			slices.Sort(required)
			var got []string
			for name := range props {
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, names) {
				t.Errorf("%s: properties %v; want %v", path, got, names)
			}
			if req := strs(node["required"]); !slices.Equal(req, required) {
				t.Errorf("%s: required %v; want %v", path, req, required)
			}
		case typ.Kind() == reflect.String:
			if node["type"] != "string" {
				t.Errorf("%s: type %v; want string", path, node["type"])
			}
		case typ.Kind() == reflect.Float64:
			if node["type"] != "number" {
				t.Errorf("%s: type %v; want number", path, node["type"])
			}
		case typ.Kind() == reflect.Int:
			if node["type"] != "integer" {
				t.Errorf("%s: type %v; want integer", path, node["type"])
			}
		default:
			t.Errorf("%s: Go type %s not checked", path, typ)
		}
	}
	check("history", reflect.TypeFor[History](), root)
}
