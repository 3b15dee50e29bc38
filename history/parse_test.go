package history

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// base is a small valid document whose lines and columns the decode error
// tests count on.
const base = `{
  "dao": "D",
  "token": {"symbol": "T"},
  "proposals": [
    {"id": "1", "created": "2021-01-01T00:00:00Z", "start": "2021-01-02T00:00:00Z", "end": "2021-01-03T00:00:00Z",
     "for": 1, "against": 0, "abstain": 0, "voters": 1, "state": "executed"}
  ],
  "supply": [{"time": "2021-01-01T00:00:00Z", "total": 100}]
}`

func TestParseBase(t *testing.T) {
	if _, err := Parse([]byte(base), "base"); err != nil {
		t.Fatalf("base document: %v", err)
	}
}

// TestParseRoundTrip: a history encoded with json.Marshal parses back to
// itself, with Source set from the argument.
func TestParseRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		h    *History
	}{
		{"sample", sample(t)},
		{"minimal", minimal(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := json.MarshalIndent(c.h, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(data, "mem")
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, data)
			}
			want := *c.h
			want.Source = "mem"
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v", got, &want)
			}
		})
	}
}

// TestParseNormalizes: times are converted to UTC, empty lists to nil.
func TestParseNormalizes(t *testing.T) {
	doc := strings.Replace(base, `"created": "2021-01-01T00:00:00Z"`, `"created": "2021-01-01T02:00:00+02:00"`, 1)
	doc = strings.Replace(doc, `"dao": "D",`, `"dao": "D", "votes": [], "params": [], "provenance": [],`, 1)
	h, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if c := h.Proposals[0].Created; c != at(t, "2021-01-01") {
		t.Errorf("created = %v (%v); want 2021-01-01T00:00:00Z in UTC", c, c.Location())
	}
	if h.Votes != nil || h.Params != nil || h.Provenance != nil {
		t.Errorf("empty lists not nil: votes %#v params %#v provenance %#v", h.Votes, h.Params, h.Provenance)
	}
}

func TestLoadJSONAndCSV(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{"testdata/sample.json", "testdata/sample-csv"} {
		t.Run(path, func(t *testing.T) {
			got, err := Load(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			want := sample(t)
			want.Source = path
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load(%s) =\n %+v\nwant\n %+v", path, got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name, path string
		ctx        context.Context
		invalid    bool // wraps ErrInvalid
		want       string
	}{
		{"no such file", filepath.Join(dir, "nope.json"), context.Background(), false, "no such file"},
		{"not json", "testdata/sample-csv/meta.csv", context.Background(), true, "want a .json file or a directory of CSV files"},
		{"csv dir without files", dir, context.Background(), true, `proposals.csv: is missing`},
		{"canceled", "testdata/sample.json", canceled, false, "context canceled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.ctx, c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrInvalid) != c.invalid {
				t.Errorf("Load error = %v; want one containing %q, wrapping ErrInvalid: %v", err, c.want, c.invalid)
			}
		})
	}
}

// TestParseDecodeErrors: input that is not a history is reported with its
// line, column and field, as a *DecodeError wrapping ErrInvalid.
func TestParseDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		name     string
		old, new string // replace old by new in base
		doc      string // or this document
		raw      []byte // or these bytes
		want     string
	}{
		{name: "string for a number", old: `"for": 1`, new: `"for": "1"`,
			want: `history f.json: line 6, column 13: field "proposals[0].for": got JSON string, want a number`},
		{name: "unknown top-level field", old: `"dao"`, new: `"daoo"`,
			want: `line 2, column 3: unknown field "daoo"; want one of dao, governor, token`},
		{name: "field names are case-sensitive", old: `"dao"`, new: `"DAO"`,
			want: `line 2, column 3: unknown field "DAO"`},
		{name: "unknown nested field", old: `"voters": 1`, new: `"voter": 1`,
			want: `line 6, column 44: field "proposals[0]": unknown field "voter"`},
		{name: "unknown token field", old: `{"symbol": "T"}`, new: `{"symbol": "T", "decimals": 18}`,
			want: `line 3, column 28: field "token": unknown field "decimals"; want one of symbol, address, price_usd`},
		{name: "repeated field", old: `"dao": "D",`, new: `"dao": "D", "dao": "E",`,
			want: `line 2, column 15: field "dao": appears twice`},
		{name: "null", old: `"dao": "D"`, new: `"dao": null`,
			want: `line 2, column 10: field "dao": got JSON null, want a string`},
		{name: "bad time", old: `"start": "2021-01-02T00:00:00Z"`, new: `"start": "2021-01-02"`,
			want: `field "proposals[0].start": "2021-01-02" is not an RFC 3339 time`},
		{name: "fraction in a count", old: `"voters": 1`, new: `"voters": 1.0`,
			want: `field "proposals[0].voters": number 1.0 is not a whole number`},
		{name: "number out of range", old: `"total": 100`, new: `"total": 1e999`,
			want: `line 8, column 56: field "supply[0].total": number 1e999 is out of range`},
		{name: "bad state type", old: `"state": "executed"`, new: `"state": 7`,
			want: `field "proposals[0].state": got JSON number, want a state string (pending, active,`},
		{name: "object for array", old: `"supply": [{"time": "2021-01-01T00:00:00Z", "total": 100}]`, new: `"supply": {}`,
			want: `line 8, column 13: field "supply": got JSON object, want an array`},
		{name: "NaN", old: `"for": 1`, new: `"for": NaN`,
			want: `line 6, column 13: invalid JSON: invalid character 'N' looking for beginning of value; NaN and Infinity are not numbers in JSON`},
		{name: "trailing comma", old: `"state": "executed"}`, new: `"state": "executed",}`,
			want: `line 6, column 77: invalid JSON: invalid character '}' looking for beginning of object key string`},
		{name: "trailing data", doc: base + "\n{}",
			want: `line 10, column 1: trailing data after the JSON object`},
		{name: "truncated", doc: base[:40], want: `the JSON ends too early`},
		{name: "empty", doc: " \n", want: `input is empty`},
		{name: "array at the top", doc: `[]`, want: `line 1, column 1: got JSON array, want an object`},
		{name: "too large", raw: make([]byte, MaxBytes+1), want: `the limit is 256 MiB`},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.raw
			if data == nil && c.doc != "" {
				data = []byte(c.doc)
			} else if data == nil {
				if !strings.Contains(base, c.old) {
					t.Fatalf("%q not in base", c.old)
				}
				data = []byte(strings.Replace(base, c.old, c.new, 1))
			}
			h, err := Parse(data, "f.json")
			var de *DecodeError
			if h != nil || !errors.As(err, &de) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, %v; want a *DecodeError wrapping ErrInvalid", h, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error\n %s\nwant it to contain\n %s", err, c.want)
			}
		})
	}
}

// TestParseMissingFields: required fields left out are reported with the
// other problems, once each, naming the record.
func TestParseMissingFields(t *testing.T) {
	doc := strings.Replace(base, `"for": 1, `, ``, 1)
	doc = strings.Replace(doc, `"created": "2021-01-01T00:00:00Z", `, ``, 1)
	doc = strings.Replace(doc, `"dao": "D",`, `"dao": " ",`, 1)
	doc = strings.Replace(doc, `"token": {"symbol": "T"},`, `"token": {},`, 1)
	_, err := Parse([]byte(doc), "f.json")
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Parse error = %v; want a *ValidationError wrapping ErrInvalid", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"history f.json: 4 problems:",
		`- token.symbol is missing; want a string`,
		`- proposals[0] (id "1"): created is missing; want an RFC 3339 time string`,
		`- proposals[0] (id "1"): for is missing; want a number`,
		`- dao is empty; want the DAO's name`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error\n%s\nlacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "zero") {
		t.Errorf("error repeats a missing field as zero:\n%s", msg)
	}
}

// TestParseDuplicateKeysAndBOM: a key named twice is refused with its line
// and field, as the YAML config does; a UTF-8 BOM is accepted, as it is in
// YAML and CSV.
func TestParseDuplicateKeysAndBOM(t *testing.T) {
	dup := strings.Replace(base, `"for": 1,`, `"for": 1, "for": 500,`, 1)
	_, err := Parse([]byte(dup), "dup.json")
	var de *DecodeError
	if !errors.As(err, &de) || de.Line != 6 || de.Field != "proposals[0].for" || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("err %v; want a decode error at line 6 naming proposals[0].for", err)
	}
	if _, err := Parse([]byte("\ufeff"+base), "bom.json"); err != nil {
		t.Fatalf("a BOM is refused: %v", err)
	}
}
