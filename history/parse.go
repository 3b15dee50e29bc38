package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/attune-dao/attune/internal/jsonx"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBytes bounds the size of a JSON history and of each CSV file: 256 MiB,
// room for a few million votes.
const MaxBytes = 256 << 20

// Parse decodes a history from JSON (see docs/history.schema.json) and
// validates it. source names the input in errors and becomes the history's
// Source.
//
// Decoding is strict: field names must match exactly, unknown and repeated
// fields, null, values of the wrong type, whole numbers written with a
// fraction or exponent, numbers out of range, times that are not RFC 3339
// and data after the object are errors; the first one is reported as a
// *DecodeError with its line, column and field path. A history that decodes
// is then validated: missing required fields and every problem Validate
// finds are reported together as one *ValidationError. Both wrap ErrInvalid.
//
// Times are converted to UTC, and empty lists (votes, params, provenance)
// to nil, so that Parse of json.Marshal of a parsed history gives it back.
func Parse(data []byte, source string) (*History, error) {
	if len(data) > MaxBytes {
		return nil, &DecodeError{Source: source, Msg: fmt.Sprintf("input is %d bytes; the limit is %d MiB", len(data), MaxBytes>>20)}
	}
	data, err := jsonx.Prepare(data)
	var dup *jsonx.DuplicateKeyError
	if errors.As(err, &dup) {
		field := dup.Key
		if dup.Path != "" {
			field = dup.Path + "." + dup.Key
		}
		return nil, &DecodeError{Source: source, Line: dup.Line, Column: dup.Column, Field: field,
			Msg: "appears twice in one object; keep one (JSON readers disagree on which wins)"}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &DecodeError{Source: source, Msg: "input is empty; want one JSON object (see docs/history.schema.json)"}
	}
	w := &walker{data: data, source: source, dec: json.NewDecoder(bytes.NewReader(data)), types: map[reflect.Type][]jsonField{}}
	w.dec.UseNumber()
	if err := w.value(reflect.TypeFor[History](), "", "", -1, ""); err != nil {
		return nil, err
	}
	end := w.skipSpace(int(w.dec.InputOffset()))
	if end < len(data) {
		return nil, w.errAt(end, "", "trailing data after the JSON object; want one object")
	}

	var h History
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		// The walk above accepts only what decodes; this is a safety net.
		return nil, &DecodeError{Source: source, Msg: strings.TrimPrefix(err.Error(), "json: ")}
	}
	h.Source = source
	h.normalize()

	ps := w.missing
	missing := keys(w.missing)
	for _, p := range h.problems(jsonLocator) {
		if !missing[p.key()] {
			ps = append(ps, p)
		}
	}
	if len(ps) > 0 {
		return nil, &ValidationError{Source: source, Problems: place(&h, ps, jsonLocator)}
	}
	return &h, nil
}

// key identifies the field a problem is about.
func (p problem) key() string { return fmt.Sprintf("%s\x00%d\x00%s", p.sec, p.idx, p.field) }

// keys returns the set of the fields problems are about: problems that
// were reported first (a field missing, a cell that does not parse), so
// that what validation finds of the zero value left in its place is not
// reported again.
func keys(ps []problem) map[string]bool {
	m := make(map[string]bool, len(ps))
	for _, p := range ps {
		m[p.key()] = true
	}
	return m
}

// normalize puts times in UTC and empty lists to nil.
func (h *History) normalize() {
	if len(h.Provenance) == 0 {
		h.Provenance = nil
	}
	if len(h.Votes) == 0 {
		h.Votes = nil
	}
	if len(h.Params) == 0 {
		h.Params = nil
	}
	for i := range h.Proposals {
		p := &h.Proposals[i]
		p.Created, p.Start, p.End = utc(p.Created), utc(p.Start), utc(p.End)
	}
	for i := range h.Votes {
		h.Votes[i].Time = utc(h.Votes[i].Time)
	}
	for i := range h.Supply {
		h.Supply[i].Time = utc(h.Supply[i].Time)
	}
	for i := range h.Params {
		h.Params[i].Time = utc(h.Params[i].Time)
	}
	if h.Holders != nil {
		h.Holders.Time = utc(h.Holders.Time)
	}
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// walker checks JSON against the Go types of a History, token by token,
// before it is decoded, so that every error can name its line, column and
// field path. It follows the types, so it never nests deeper than they do.
type walker struct {
	data    []byte
	source  string
	dec     *json.Decoder
	types   map[reflect.Type][]jsonField
	missing []problem // required fields left out, for the ValidationError
}

type jsonField struct {
	name     string
	typ      reflect.Type
	required bool // no omitempty or omitzero
}

// isTime reports whether t is time.Time, which JSON writes as a string.
func isTime(t reflect.Type) bool { return t == reflect.TypeFor[time.Time]() }

// fields lists the JSON fields of a struct type.
func (w *walker) fields(t reflect.Type) []jsonField {
	if fs, ok := w.types[t]; ok {
		return fs
	}
	fs := jsonFields(t)
	w.types[t] = fs
	return fs
}

func jsonFields(t reflect.Type) []jsonField {
	var fs []jsonField
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		required := true
		for o := range strings.SplitSeq(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				required = false
			}
		}
		fs = append(fs, jsonField{name: name, typ: f.Type, required: required})
	}
	return fs
}

// value checks the next JSON value against type t. path is its JSON path
// for errors; sec and idx the record it belongs to and field its name in
// the record, for missing-field problems.
func (w *walker) value(t reflect.Type, path, sec string, idx int, field string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	at := w.skipSpace(int(w.dec.InputOffset()))
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(err, at)
	}
	if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
		// Token reports a closing delimiter here only for malformed JSON
		// such as [1,] or {"a":}: say what is expected.
		return w.errAt(at, path, fmt.Sprintf("invalid JSON: unexpected %q; want a value", string(d)))
	}
	wrong := func() error {
		return w.errAt(at, path, fmt.Sprintf("got JSON %s, want %s", jsonKind(tok), want(t)))
	}
	switch {
	case isTime(t):
		s, ok := tok.(string)
		if !ok {
			return wrong()
		}
		var tm time.Time
		if err := tm.UnmarshalText([]byte(s)); err != nil {
			return w.errAt(at, path, fmt.Sprintf("%q is not an RFC 3339 time; want e.g. 2021-04-01T00:00:00Z", s))
		}
	case t.Kind() == reflect.String:
		if _, ok := tok.(string); !ok {
			return wrong()
		}
	case t.Kind() == reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			return wrong()
		}
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return w.errAt(at, path, fmt.Sprintf("number %s is out of range; want a finite number", n))
		}
	case t.Kind() == reflect.Int:
		n, ok := tok.(json.Number)
		if !ok {
			return wrong()
		}
		if _, err := strconv.ParseInt(string(n), 10, strconv.IntSize); err != nil {
			return w.errAt(at, path, fmt.Sprintf("number %s is not a whole number in range; want a count written without fraction or exponent", n))
		}
	case t.Kind() == reflect.Slice:
		if tok != json.Delim('[') {
			return wrong()
		}
		elemSec := sec
		if sec == "" && field != "" {
			elemSec = field // proposals, votes, supply, params
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i), elemSec, i, ""); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return w.syntax(err, w.skipSpace(int(w.dec.InputOffset())))
		}
	case t.Kind() == reflect.Struct:
		if tok != json.Delim('{') {
			return wrong()
		}
		// Fields of the record: those of a nested object (token) are named
		// with its prefix; holders is a record of its own.
		recSec, recIdx, prefix := sec, idx, ""
		switch {
		case sec == "" && field == "holders":
			recSec, recIdx = "holders", -1
		case field != "":
			prefix = field + "."
		}
		fs := w.fields(t)
		seen := make(map[string]bool, len(fs))
		for w.dec.More() {
			kat := w.skipSpace(int(w.dec.InputOffset()))
			ktok, err := w.dec.Token()
			if err != nil {
				return w.syntax(err, kat)
			}
			key, ok := ktok.(string)
			if !ok { // cannot happen: Token checks keys are strings
				return w.errAt(kat, path, "invalid JSON: want a field name")
			}
			kpath := key
			if path != "" {
				kpath = path + "." + key
			}
			i := fieldIndex(fs, key)
			if i < 0 {
				return w.errAt(kat, path, fmt.Sprintf("unknown field %q; want one of %s", key, names(fs)))
			}
			if seen[key] {
				return w.errAt(kat, kpath, "appears twice in the same object; want it once")
			}
			seen[key] = true
			if err := w.value(fs[i].typ, kpath, recSec, recIdx, prefix+key); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return w.syntax(err, w.skipSpace(int(w.dec.InputOffset())))
		}
		for _, f := range fs {
			if f.required && !seen[f.name] {
				w.missing = append(w.missing, problem{sec: recSec, idx: recIdx, field: prefix + f.name,
					msg: fmt.Sprintf("is missing; want %s (see docs/history.schema.json)", want(f.typ))})
			}
		}
	default:
		return w.errAt(at, path, fmt.Sprintf("cannot decode into Go type %s", t))
	}
	return nil
}

func fieldIndex(fs []jsonField, name string) int {
	for i, f := range fs {
		if f.name == name {
			return i
		}
	}
	return -1
}

func names(fs []jsonField) string {
	ns := make([]string, len(fs))
	for i, f := range fs {
		ns[i] = f.name
	}
	return strings.Join(ns, ", ")
}

// want describes the JSON a Go type takes.
func want(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case isTime(t):
		return "an RFC 3339 time string"
	case t == reflect.TypeFor[State]():
		return "a state string (" + stateList() + ")"
	case t == reflect.TypeFor[Support]():
		return "a support string (for, against or abstain)"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Float64:
		return "a number"
	case reflect.Int:
		return "a whole number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// jsonKind names the kind of JSON value a token starts.
func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case json.Delim:
		if v == '{' {
			return "object"
		}
		return "array"
	}
	return fmt.Sprintf("%T", tok)
}

// skipSpace returns the offset of the next byte that is not white space or
// a separator (':' or ',') from off.
func (w *walker) skipSpace(off int) int {
	for off < len(w.data) {
		switch w.data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// syntax reports a decoder error: malformed or truncated JSON.
func (w *walker) syntax(err error, at int) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The offsets of the Decoder's syntax errors are not always those
		// of the input; Unmarshal checks the whole input first, and its
		// are.
		var full *json.SyntaxError
		if errors.As(json.Unmarshal(w.data, &struct{}{}), &full) {
			se = full
		}
	}
	switch {
	case se != nil:
		off := int(se.Offset)
		if off > 0 {
			off-- // the offset is after the offending byte
		}
		msg := se.Error()
		if rest := w.data[min(off, len(w.data)):]; bytes.HasPrefix(rest, []byte("NaN")) || bytes.HasPrefix(rest, []byte("Inf")) || bytes.HasPrefix(rest, []byte("-Inf")) {
			msg += "; NaN and Infinity are not numbers in JSON: give a finite value"
		}
		return w.errAt(off, "", "invalid JSON: "+msg)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return w.errAt(len(w.data), "", "the JSON ends too early; want one complete object")
	}
	return w.errAt(at, "", "invalid JSON: "+strings.TrimPrefix(err.Error(), "json: "))
}

func (w *walker) errAt(off int, path, msg string) error {
	l, c := lineCol(w.data, off)
	return &DecodeError{Source: w.source, Line: l, Column: c, Field: path, Msg: msg}
}

// lineCol converts a byte offset to a 1-based line and column (in
// characters).
func lineCol(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(data[start:off])
}
