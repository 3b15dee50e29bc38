// Package jsonx prepares JSON input the way attune's YAML config is read:
// a UTF-8 byte order mark is dropped, and an object that names a key twice
// is refused (encoding/json keeps the last value silently), with the line
// and column of the second occurrence.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// BOM is the UTF-8 byte order mark some editors and spreadsheets write.
const BOM = "\ufeff"

// DuplicateKeyError reports a key named twice in one JSON object.
type DuplicateKeyError struct {
	// Path is the object's location, e.g. "proposals[3]" ("" for the top
	// level), and Key the repeated key.
	Path, Key string
	// Line and Column locate the second occurrence (1-based).
	Line, Column int
}

func (e *DuplicateKeyError) Error() string {
	where := "the top-level object"
	if e.Path != "" {
		where = e.Path
	}
	return fmt.Sprintf("line %d, column %d: key %q appears twice in %s; keep one (JSON readers disagree on which wins)", e.Line, e.Column, e.Key, where)
}

// Prepare returns data without a leading BOM and checks that no object in
// it repeats a key. It does not otherwise validate: malformed JSON is left
// for the caller's decoder to report, so Prepare returns nil for it.
func Prepare(data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte(BOM))
	return data, CheckDuplicates(data)
}

// CheckDuplicates returns a *DuplicateKeyError for the first object in data
// that names a key twice, and nil otherwise (malformed JSON included).
func CheckDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		path   string
		index  int
		// expectKey is true in an object when the next string is a key.
		expectKey bool
		key       string
	}
	var stack []*frame
	child := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			if f.path == "" {
				return f.key
			}
			return f.path + "." + f.key
		}
		return fmt.Sprintf("%s[%d]", f.path, f.index)
	}
	// afterValue moves the enclosing container past one value.
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		f := stack[len(stack)-1]
		if f.object {
			f.expectKey = true
		} else {
			f.index++
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // malformed: the caller's decoder says where
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, path: child(), expectKey: t == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
				f := stack[n-1]
				if f.keys[t] {
					line, col := lineCol(data, keyOffset(data, start))
					return &DuplicateKeyError{Path: f.path, Key: t, Line: line, Column: col}
				}
				f.keys[t] = true
				f.key = t
				f.expectKey = false
				continue
			}
			afterValue()
		default:
			afterValue()
		}
	}
}

// keyOffset skips the separators between the previous token's end and a
// key's opening quote.
func keyOffset(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
