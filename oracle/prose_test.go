package oracle

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const goodDraftJSON = `{"title":"Raise the quorum","opening":"This proposal raises the quorum.","motivation":"Turnout is low.","effects":"Turnout rises.","trade_off":"Attacks succeed a little more often."}`

func TestDraftSchemaIsStrict(t *testing.T) {
	raw := DraftSchema()
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if schema["type"] != "object" || schema["additionalProperties"] != false {
		t.Errorf("strict mode needs type object and additionalProperties false: %s", raw)
	}
	props, _ := schema["properties"].(map[string]any)
	req, _ := schema["required"].([]any)
	if len(props) != 5 || len(req) != len(props) {
		t.Fatalf("every property must be required: %d properties, %d required", len(props), len(req))
	}
	for _, r := range req {
		p, ok := props[r.(string)].(map[string]any)
		if !ok || p["type"] != "string" || p["description"] == "" {
			t.Errorf("property %v: %v", r, p)
		}
	}
	// The schema compiles, accepts a good draft and rejects an extra field.
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("draft.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("draft.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	good, _ := jsonschema.UnmarshalJSON(strings.NewReader(goodDraftJSON))
	if err := sch.Validate(good); err != nil {
		t.Errorf("good draft rejected: %v", err)
	}
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(goodDraftJSON, `{`, `{"extra":"x",`, 1)))
	if sch.Validate(bad) == nil {
		t.Error("an extra field passed the schema")
	}
	if _, err := ParseDraft([]byte(goodDraftJSON)); err != nil {
		t.Errorf("ParseDraft rejects what the schema accepts: %v", err)
	}
}

func TestParseDraft(t *testing.T) {
	want := Prose{Title: "Raise the quorum", Opening: "This proposal raises the quorum.", Motivation: "Turnout is low.",
		Effects: "Turnout rises.", TradeOff: "Attacks succeed a little more often."}
	ok := []struct{ name, in string }{
		{"plain", goodDraftJSON},
		{"fenced", "```json\n" + goodDraftJSON + "\n```"},
		{"leading prose", "Here is the draft you asked for:\n\n" + goodDraftJSON},
		{"leading brace in prose", "Numbers are written as {{fact-id}}. Draft: " + goodDraftJSON + "\nHope this helps."},
		{"reordered", `{"trade_off":"Attacks succeed a little more often.","effects":"Turnout rises.","motivation":"Turnout is low.","opening":"This proposal raises the quorum.","title":"Raise the quorum"}`},
	}
	for _, c := range ok {
		got, err := ParseDraft([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != want {
			t.Errorf("%s: got %+v", c.name, got)
		}
	}
	long := strings.Repeat("a", 2*MaxTitleRunes+1)
	bad := []struct{ name, in, field, says string }{
		{"unknown field", strings.Replace(goodDraftJSON, `{`, `{"summary":"x",`, 1), "summary", "unknown field"},
		{"missing field", `{"title":"t","opening":"o","motivation":"m","effects":"e"}`, "trade_off", "missing"},
		{"number", strings.Replace(goodDraftJSON, `"Turnout is low."`, `42`, 1), "motivation", "must be a string, not a number"},
		{"null", strings.Replace(goodDraftJSON, `"Turnout is low."`, `null`, 1), "motivation", "not null"},
		{"array", strings.Replace(goodDraftJSON, `"Turnout rises."`, `["a"]`, 1), "effects", "an array"},
		{"duplicate", strings.Replace(goodDraftJSON, `{`, `{"title":"x",`, 1), "title", "twice"},
		{"too long", strings.Replace(goodDraftJSON, `Raise the quorum`, long, 1), "title", "more than the"},
		{"control", strings.Replace(goodDraftJSON, `Turnout rises.`, `Turnout\u001b[31m rises.`, 1), "effects", "control or format"},
		{"bidi", strings.Replace(goodDraftJSON, `Turnout rises.`, "Turnout \u202erises.", 1), "effects", "U+202E"},
		{"newline in title", strings.Replace(goodDraftJSON, `Raise the quorum`, `Raise\nthe quorum`, 1), "title", "control"},
		{"no object", "I cannot help with that.", "", "no JSON object"},
		{"truncated", goodDraftJSON[:40], "", "no valid JSON object"},
		{"array top", "[" + goodDraftJSON + "]", "", ""},
		{"invalid utf8", "{\"title\":\"\xff\"}", "", "UTF-8"},
		{"too big", strings.Repeat(" ", MaxDraftBytes+1), "", "bytes"},
	}
	for _, c := range bad {
		_, err := ParseDraft([]byte(c.in))
		if err == nil {
			// "array top": the object inside the array is used; that is
			// the lenient reading, not an error.
			if c.name == "array top" {
				continue
			}
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !errors.Is(err, ErrDraft) {
			t.Errorf("%s: error does not wrap ErrDraft: %v", c.name, err)
		}
		if c.field != "" && !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error does not name the field %q: %v", c.name, c.field, err)
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.says)
		}
	}
	// A line break is fine in a body field.
	if _, err := ParseDraft([]byte(strings.Replace(goodDraftJSON, `Turnout rises.`, `Turnout rises.\n\nQuality too.`, 1))); err != nil {
		t.Errorf("line break in effects: %v", err)
	}
}

func FuzzParseDraft(f *testing.F) {
	for _, s := range []string{goodDraftJSON, "```json\n" + goodDraftJSON + "\n```", "{}", "{", `{"title":1}`,
		`{"title":"a","title":"b"}`, "text { more { text", "{\"title\":\"\\u202e\"}", "[{}]", "\xff{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParseDraft(in)
		if err != nil {
			if !errors.Is(err, ErrDraft) {
				t.Fatalf("error does not wrap ErrDraft: %v", err)
			}
			return
		}
		for _, fd := range fieldsOf(p) {
			if !utf8.ValidString(fd.text) || utf8.RuneCountInString(fd.text) > 2*fd.max {
				t.Fatalf("field %s accepted: %q", fd.name, fd.text)
			}
			for _, r := range fd.text {
				if r != '\n' && badRune(r) {
					t.Fatalf("field %s holds %U", fd.name, r)
				}
			}
		}
		// What was accepted round-trips.
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParseDraft(b)
		if err != nil || q != p {
			t.Fatalf("round trip: %v, %+v != %+v", err, q, p)
		}
	})
}
