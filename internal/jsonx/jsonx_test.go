package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
)

func TestPrepare(t *testing.T) {
	cases := []struct {
		name, in       string
		key, path      string
		line, col      int
		wantDuplicate  bool
		wantBOMRemoved bool
	}{
		{name: "clean", in: `{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}`},
		{name: "top level", in: "{\"a\": 1,\n  \"a\": 2}", wantDuplicate: true, key: "a", line: 2, col: 3},
		{name: "nested", in: `{"a": {"x": 1, "y": [1, 2], "x": 3}}`, wantDuplicate: true, key: "x", path: "a", line: 1, col: 29},
		{name: "in array", in: `{"p": [{"id": 1}, {"id": 2, "id": 3}]}`, wantDuplicate: true, key: "id", path: "p[1]", line: 1, col: 29},
		{name: "value equal to key", in: `{"a": "a", "b": "a"}`},
		{name: "keys in sibling objects", in: `[{"a": 1}, {"a": 1}]`},
		{name: "bom", in: "\ufeff{\"a\": 1}", wantBOMRemoved: true},
		{name: "malformed is left to the decoder", in: `{"a": 1, "b"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Prepare([]byte(tc.in))
			var de *DuplicateKeyError
			if tc.wantDuplicate {
				if !errors.As(err, &de) {
					t.Fatalf("err %v; want a duplicate key error", err)
				}
				if de.Key != tc.key || de.Path != tc.path || de.Line != tc.line || de.Column != tc.col {
					t.Errorf("got %+v; want key %q path %q at %d:%d", *de, tc.key, tc.path, tc.line, tc.col)
				}
				return
			}
			if err != nil {
				t.Fatalf("err %v; want none", err)
			}
			if tc.wantBOMRemoved {
				if string(out) != `{"a": 1}` {
					t.Errorf("out %q; want the BOM removed", out)
				}
				var v map[string]int
				if err := json.Unmarshal(out, &v); err != nil {
					t.Errorf("prepared input does not decode: %v", err)
				}
			}
		})
	}
}

func FuzzPrepare(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `[{"a":{"b":[1,{"c":1,"c":2}]}}]`, "\ufeff{}", `{"a"`, `]]]`, `{"a":[}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Prepare(data)
		var de *DuplicateKeyError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("unexpected error type %T", err)
		}
		// A duplicate reported is one: the key occurs at least twice.
		if de != nil && bytes.Count(out, []byte(strconv.Quote(de.Key))) < 2 && !bytes.Contains(out, []byte(`\`)) {
			t.Fatalf("reported duplicate %q occurs once in %q", de.Key, out)
		}
	})
}
