package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxValues bounds how many values a document may hold once aliases are
// expanded, so that a small file cannot make Load do unbounded work. A
// config holds hundreds.
const maxValues = 1 << 17

// nameRE is what parameter and option names (the keys of current, search
// and dao.options) must look like.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// syntaxLineRE picks the line out of a yaml.v3 syntax error.
var syntaxLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

var configType = reflect.TypeFor[Config]()

// decoder checks a YAML document against the Config types and converts it
// into the generic maps viper layers: map[string]any for structs and maps,
// []any for lists, and int, uint64, float64, string or bool. Every problem
// is recorded with its line; the parts in error are left out.
type decoder struct {
	// where is Problem.File for the problems found ("" for the user's file).
	where string
	// lines, when not nil, receives the line of every setting by path.
	lines map[string]int
	ps    *problems
	// budget counts down the values visited, aliases expanded.
	budget int
	// active holds alias targets being expanded; merging holds mappings
	// whose merge keys (<<) are being expanded. Both catch cycles.
	active, merging map[*yaml.Node]bool
}

func newDecoder(where string, lines map[string]int, ps *problems) *decoder {
	return &decoder{
		where: where, lines: lines, ps: ps, budget: maxValues,
		active: map[*yaml.Node]bool{}, merging: map[*yaml.Node]bool{},
	}
}

// fail records a problem at line with msg as given.
func (d *decoder) fail(key string, line int, msg string) {
	d.ps.add(Problem{Key: key, Line: line, Msg: msg, File: d.where})
}

// failKey records a problem whose message starts with the key.
func (d *decoder) failKey(key string, line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + ": " + msg
	}
	d.fail(key, line, msg)
}

func (d *decoder) line(key string, line int) {
	if d.lines != nil && key != "" {
		if _, ok := d.lines[key]; !ok {
			d.lines[key] = line
		}
	}
}

// spend takes one value from the budget and reports whether any was left.
func (d *decoder) spend(key string, n *yaml.Node) bool {
	d.budget--
	if d.budget == -1 {
		d.failKey(key, n.Line, "the document holds more than %d values, counting each use of an alias; simplify it", maxValues)
	}
	return d.budget >= 0
}

// parseDocument parses data as one YAML document and returns its root, or
// nil when the document is empty. Syntax errors are recorded as problems.
func (d *decoder) parseDocument(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		d.syntaxError(err, data)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.fail("", extra.Line, "a second YAML document starts here (after ---); put all settings in one document")
		return nil
	case !errors.Is(err, io.EOF):
		d.syntaxError(err, data)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// unknownAnchorRE picks the anchor out of yaml.v3's "unknown anchor"
// error, which carries no line.
var unknownAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

func (d *decoder) syntaxError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := syntaxLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if m := unknownAnchorRE.FindStringSubmatch(err.Error()); m != nil {
		line = aliasLine(data, m[1])
		d.fail("", line, fmt.Sprintf("alias *%s names no anchor; define &%s before using it", m[1], m[1]))
		return
	}
	d.fail("", line, "YAML syntax error: "+msg+"; check the indentation (spaces, not tabs) and quote values that contain \": \" or \" #\"")
}

// aliasLine is the line of the first use of alias *name in data that
// is not inside a comment, or 0.
func aliasLine(data []byte, name string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if c := strings.Index(l, " #"); c >= 0 {
			l = l[:c]
		}
		for rest := l; ; {
			j := strings.Index(rest, "*"+name)
			if j < 0 {
				break
			}
			end := j + 1 + len(name)
			if end == len(rest) || strings.ContainsRune(" ,]}\t\r", rune(rest[end])) {
				return i + 1
			}
			rest = rest[end:]
		}
	}
	return 0
}

// isNull reports whether n is an empty value or ~ or null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// resolveAlias follows an alias to its anchor's node; n itself otherwise.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// value converts n, checked against t, into the generic form. ok is false
// when n is null (meaning: not set) or in error (already recorded).
func (d *decoder) value(n *yaml.Node, t reflect.Type, key string) (v any, ok bool) {
	if !d.spend(key, n) {
		return nil, false
	}
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if target == nil {
			d.failKey(key, n.Line, "alias *%s names no anchor; define &%s before using it", n.Value, n.Value)
			return nil, false
		}
		if d.active[target] {
			d.failKey(key, n.Line, "alias *%s refers to the value that contains it; remove the cycle", n.Value)
			return nil, false
		}
		d.active[target] = true
		defer delete(d.active, target)
		return d.value(target, t, key)
	}
	if isNull(n) {
		return nil, false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Interface:
		return d.generic(n, key)
	case reflect.Struct:
		return d.structValue(n, t, key)
	case reflect.Map:
		return d.mapValue(n, t, key)
	case reflect.Slice:
		return d.sliceValue(n, t, key)
	default:
		return d.scalar(n, t, key)
	}
}

// pair is one key and value of a mapping; merged marks those that came
// through a merge key (<<), which explicit keys override.
type pair struct {
	k, v   *yaml.Node
	merged bool
}

// pairs lists the entries of the mapping n, explicit keys first, then
// those brought in by merge keys (<<: *anchor) that no earlier entry set.
func (d *decoder) pairs(n *yaml.Node, key string) []pair {
	if !d.spend(key, n) {
		return nil
	}
	if d.merging[n] {
		d.failKey(key, n.Line, "merge key << brings in the mapping that contains it; remove the cycle")
		return nil
	}
	d.merging[n] = true
	defer delete(d.merging, n)
	var out []pair
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		out = append(out, pair{k: k, v: v})
	}
	if len(merges) == 0 {
		return out
	}
	have := map[string]bool{}
	for _, p := range out {
		have[p.k.Value] = true
	}
	for _, m := range merges {
		for _, src := range d.mergeSources(m, key) {
			for _, p := range d.pairs(src, key) {
				if !d.spend(key, p.k) {
					return out
				}
				if have[p.k.Value] {
					continue
				}
				have[p.k.Value] = true
				out = append(out, pair{k: p.k, v: p.v, merged: true})
			}
		}
	}
	return out
}

// mergeSources returns the mappings a merge key's value names: a mapping
// or a list of mappings, possibly through aliases.
func (d *decoder) mergeSources(m *yaml.Node, key string) []*yaml.Node {
	m = resolveAlias(m)
	switch m.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{m}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, it := range m.Content {
			it = resolveAlias(it)
			if it.Kind != yaml.MappingNode {
				d.failKey(key, it.Line, "merge key << wants a mapping or a list of mappings, got %s", describe(it))
				continue
			}
			out = append(out, it)
		}
		return out
	}
	d.failKey(key, m.Line, "merge key << wants a mapping or a list of mappings, got %s", describe(m))
	return nil
}

// describe names what a node holds, for "got ..." in messages.
func describe(n *yaml.Node) string {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	}
	return "nothing"
}

// field is a settable key of a struct.
type field struct {
	name string
	typ  reflect.Type
}

// fieldsOf lists t's keys in declaration order.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || opts == "inline" {
			continue
		}
		out = append(out, field{name: name, typ: f.Type})
	}
	return out
}

func fieldNames(fs []field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

func joinKey(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func (d *decoder) structValue(n *yaml.Node, t reflect.Type, key string) (any, bool) {
	fs := fieldsOf(t)
	if n.Kind != yaml.MappingNode {
		what := "the config"
		if key != "" {
			what = key
		}
		d.fail(key, n.Line, fmt.Sprintf("%s: want a mapping (key: value) with keys %s; got %s", what, fieldNames(fs), describe(n)))
		return nil, false
	}
	out := map[string]any{}
	seen := map[string]int{}
	for _, p := range d.pairs(n, key) {
		if d.budget < 0 {
			break
		}
		if p.k.Kind != yaml.ScalarNode {
			d.failKey(key, p.k.Line, "keys must be plain names, got %s", describe(p.k))
			continue
		}
		name := p.k.Value
		ck := joinKey(key, name)
		if first, dup := seen[name]; dup {
			d.failKey(ck, p.k.Line, "set twice (first at line %d); keep one", first)
			continue
		}
		seen[name] = p.k.Line
		var f *field
		for i := range fs {
			if fs[i].name == name {
				f = &fs[i]
				break
			}
		}
		if f == nil && hasInline(t) {
			d.line(ck, p.k.Line)
			if v, ok := d.generic(p.v, ck); ok {
				out[name] = v
			}
			continue
		}
		if f == nil {
			d.fail(ck, p.k.Line, unknownKey(name, key, fs))
			continue
		}
		if !p.merged {
			d.line(ck, p.k.Line)
		} else {
			d.line(ck, p.v.Line)
		}
		if v, ok := d.value(p.v, f.typ, ck); ok {
			out[name] = v
		}
	}
	return out, true
}

// hasInline reports whether t has an inline map (yaml:",inline") that
// takes the keys its fields do not name: a section whose keys another
// package decodes.
func hasInline(t reflect.Type) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if _, opts, _ := strings.Cut(f.Tag.Get("yaml"), ","); opts == "inline" && f.Type.Kind() == reflect.Map {
			return true
		}
	}
	return false
}

// generic converts n into the generic form without a type to check it
// against: map[string]any, []any, or the scalar yaml.v3 resolves (int,
// float64, bool, string). Aliases, merge keys and the value budget are
// handled as for typed values.
func (d *decoder) generic(n *yaml.Node, key string) (any, bool) {
	if !d.spend(key, n) {
		return nil, false
	}
	switch n.Kind {
	case yaml.AliasNode:
		return d.value(n, reflect.TypeFor[any](), key)
	case yaml.MappingNode:
		out := map[string]any{}
		for _, p := range d.pairs(n, key) {
			if p.k.Kind != yaml.ScalarNode {
				d.failKey(key, p.k.Line, "keys must be plain names, got %s", describe(p.k))
				continue
			}
			ck := joinKey(key, p.k.Value)
			if _, dup := out[p.k.Value]; dup && !p.merged {
				d.failKey(ck, p.k.Line, "set twice; keep one")
				continue
			}
			d.line(ck, p.k.Line)
			if v, ok := d.generic(p.v, ck); ok {
				out[p.k.Value] = v
			}
		}
		return out, true
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, it := range n.Content {
			v, ok := d.generic(it, indexKey(key, i))
			if !ok {
				v = nil
			}
			out = append(out, v)
		}
		return out, true
	case yaml.ScalarNode:
		if isNull(n) {
			return nil, false
		}
		var v any
		if err := n.Decode(&v); err != nil {
			d.failKey(key, n.Line, "%v", err)
			return nil, false
		}
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			d.failKey(key, n.Line, "%s is not a finite number", n.Value)
			return nil, false
		}
		return v, true
	}
	return nil, false
}

// unknownKey explains an unknown key and lists the allowed ones.
func unknownKey(name, parent string, fs []field) string {
	in := ""
	if parent != "" {
		in = " in " + parent
	}
	msg := fmt.Sprintf("unknown key %q%s; allowed: %s", name, in, fieldNames(fs))
	best, bestD := "", max(1, len(name)/3)+1
	for _, f := range fs {
		if dist := editDistance(strings.ToLower(name), f.name); dist < bestD {
			best, bestD = f.name, dist
		}
	}
	if best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	}
	return msg
}

// editDistance is the Levenshtein distance between a and b, in bytes,
// capped for long inputs.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// placeholder stands in for an entry in error so that the entries after it
// keep their index and the checks that follow do not report it again.
func placeholder(t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return map[string]any{}
	case reflect.Slice:
		return []any{}
	}
	return reflect.Zero(t).Interface()
}

func (d *decoder) mapValue(n *yaml.Node, t reflect.Type, key string) (any, bool) {
	elem := t.Elem()
	if n.Kind != yaml.MappingNode {
		d.failKey(key, n.Line, "want a mapping of names to %s; got %s", wantPlural(elem), describe(n))
		return nil, false
	}
	out := map[string]any{}
	seen := map[string]int{}
	for _, p := range d.pairs(n, key) {
		if d.budget < 0 {
			break
		}
		if p.k.Kind != yaml.ScalarNode {
			d.failKey(key, p.k.Line, "keys must be plain names, got %s", describe(p.k))
			continue
		}
		name := p.k.Value
		ck := joinKey(key, name)
		if p.k.ShortTag() != "!!str" || !nameRE.MatchString(name) {
			msg := fmt.Sprintf("name %q must be lowercase letters, digits and _, starting with a letter", name)
			if l := strings.ToLower(name); l != name && nameRE.MatchString(l) {
				msg += fmt.Sprintf(" (write %q)", l)
			}
			d.failKey(ck, p.k.Line, "%s", msg)
			continue
		}
		if first, dup := seen[name]; dup {
			d.failKey(ck, p.k.Line, "set twice (first at line %d); keep one", first)
			continue
		}
		seen[name] = p.k.Line
		if !p.merged {
			d.line(ck, p.k.Line)
		} else {
			d.line(ck, p.v.Line)
		}
		if isNull(resolveAlias(p.v)) {
			d.failKey(ck, p.v.Line, "no value; give %s or delete the line", want(elem))
			out[name] = placeholder(elem)
			continue
		}
		v, ok := d.value(p.v, elem, ck)
		if !ok {
			v = placeholder(elem)
		}
		out[name] = v
	}
	return out, true
}

func (d *decoder) sliceValue(n *yaml.Node, t reflect.Type, key string) (any, bool) {
	elem := t.Elem()
	if n.Kind != yaml.SequenceNode {
		d.failKey(key, n.Line, "want a list of %s (lines starting with \"- \", or [a, b]); got %s", wantPlural(elem), describe(n))
		return nil, false
	}
	out := make([]any, 0, len(n.Content))
	for i, it := range n.Content {
		if d.budget < 0 {
			break
		}
		ck := indexKey(key, i)
		d.line(ck, it.Line)
		if isNull(resolveAlias(it)) {
			d.failKey(ck, it.Line, "empty list entry; give %s or delete the line", want(elem))
			out = append(out, placeholder(elem))
			continue
		}
		v, ok := d.value(it, elem, ck)
		if !ok {
			v = placeholder(elem)
		}
		out = append(out, v)
	}
	return out, true
}

// want names the values of type t for "want ..." in messages.
func want(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number >= 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Struct:
		return "a mapping with keys " + fieldNames(fieldsOf(t))
	case reflect.Map:
		return "a mapping of names to " + wantPlural(t.Elem())
	case reflect.Slice:
		return "a list of " + wantPlural(t.Elem())
	}
	return t.String()
}

// wantPlural names the values of type t in the plural, "numbers".
func wantPlural(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "whole numbers"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole numbers >= 0"
	case reflect.Float32, reflect.Float64:
		return "numbers"
	case reflect.String:
		return "strings"
	case reflect.Struct:
		return "mappings with keys " + fieldNames(fieldsOf(t))
	}
	return "values of " + want(t)
}

// scalar converts a scalar node to t's kind.
func (d *decoder) scalar(n *yaml.Node, t reflect.Type, key string) (any, bool) {
	if n.Kind != yaml.ScalarNode {
		d.failKey(key, n.Line, "want %s; got %s", want(t), describe(n))
		return nil, false
	}
	var x any
	if err := n.Decode(&x); err != nil {
		d.failKey(key, n.Line, "want %s; got %s (%s)", want(t), describe(n), strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, false
	}
	v, err := convertScalar(x, n.Value, t)
	if err != nil {
		d.failKey(key, n.Line, "%v", err)
		return nil, false
	}
	return v, true
}

// convertScalar converts a value yaml.v3 resolved (int, uint64, float64,
// bool, string, ...) from the text raw to t's kind, refusing to lose
// anything: 1.5 is not an int, -1 not a uint64.
func convertScalar(x any, raw string, t reflect.Type) (any, error) {
	got := strconv.Quote(raw)
	if len(raw) > 40 {
		got = strconv.Quote(raw[:40] + "...")
	}
	bad := fmt.Errorf("want %s; got %s", want(t), got)
	switch t.Kind() {
	case reflect.String:
		if s, ok := x.(string); ok {
			return s, nil
		}
		return raw, nil
	case reflect.Bool:
		if b, ok := x.(bool); ok {
			return b, nil
		}
		return nil, bad
	case reflect.Int, reflect.Int64:
		switch x := x.(type) {
		case int:
			return x, nil
		case int64:
			return int(x), nil
		case uint64:
			if x <= math.MaxInt64 {
				return int(x), nil
			}
			return nil, fmt.Errorf("%s is too large; want a whole number up to %d", got, math.MaxInt64)
		case float64:
			if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
				return int(x), nil
			}
			return nil, bad
		}
		return nil, bad
	case reflect.Uint64:
		switch x := x.(type) {
		case int:
			if x >= 0 {
				return uint64(x), nil
			}
		case int64:
			if x >= 0 {
				return uint64(x), nil
			}
		case uint64:
			return x, nil
		case float64:
			if x == math.Trunc(x) && x >= 0 && x < 1<<64 {
				return uint64(x), nil
			}
		}
		return nil, bad
	case reflect.Float64:
		switch x := x.(type) {
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case uint64:
			return float64(x), nil
		case float64:
			if x == 0 {
				return 0.0, nil // -0 reads as 0, as it prints
			}
			return x, nil
		}
		return nil, bad
	}
	return nil, fmt.Errorf("cannot set a value of type %s", t)
}

// decodeDocument checks the YAML in data against t and converts it. The
// result is nil when the document is empty or its root is in error.
func decodeDocument(data []byte, t reflect.Type, where string, lines map[string]int, ps *problems) map[string]any {
	d := newDecoder(where, lines, ps)
	root := d.parseDocument(data)
	if root == nil {
		return nil
	}
	v, ok := d.value(root, t, "")
	if !ok || d.budget < 0 {
		return nil
	}
	m, _ := v.(map[string]any)
	return m
}
