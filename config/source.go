package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// replacedSections are the map- and list-valued settings that a file
// replaces wholesale when it sets them; every other setting merges key by
// key.
var replacedSections = []string{"current", "search", "objectives", "constraints", "sources", "sinks", "dao.options"}

// source records where a loaded Config's settings came from.
type source struct {
	// file is the user's config file, or "" when there was none.
	file string
	// lines maps the dotted path of every setting in file to its line.
	lines map[string]int
	// origins maps keys set by environment variables or flags to
	// "env ATTUNE_..." or CommandLine.
	origins map[string]string
}

// fileName is the user's config file, "" when there was none.
func (c *Config) fileName() string {
	if c == nil || c.src == nil {
		return ""
	}
	return c.src.file
}

// Line says where the setting key (a dotted path such as
// "search.quorum.min" or "objectives[1].weight") was set: the user's file
// and the line of the key, or of its nearest enclosing entry when the key
// is absent from a section the file replaced. Settings from the embedded
// default give (EmbeddedDefault, 0), environment variables
// ("env ATTUNE_...", 0), flags (CommandLine, 0). A Config not made by Load
// gives ("", 0).
func (c *Config) Line(key string) (file string, line int) {
	if c == nil || c.src == nil {
		return "", 0
	}
	s := c.src
	for k := key; k != ""; k = parentKey(k) {
		if o, ok := s.origins[k]; ok {
			return o, 0
		}
	}
	if n, ok := s.lines[key]; ok {
		return s.file, n
	}
	for k := parentKey(key); k != ""; k = parentKey(k) {
		n, ok := s.lines[k]
		if !ok {
			continue
		}
		if inReplacedSection(k) {
			return s.file, n
		}
		break
	}
	return EmbeddedDefault, 0
}

// inReplacedSection reports whether key is one of replacedSections or
// lies inside one.
func inReplacedSection(key string) bool {
	for _, r := range replacedSections {
		if key == r || strings.HasPrefix(key, r+".") || strings.HasPrefix(key, r+"[") {
			return true
		}
	}
	return false
}

// parentKey strips the last element of a dotted path: "a.b[2]" -> "a.b",
// "a.b" -> "a", "a" -> "".
func parentKey(k string) string {
	i := strings.LastIndexAny(k, ".[")
	if i < 0 {
		return ""
	}
	return k[:i]
}

// indexKey is the path of a list element, "objectives[1]".
func indexKey(list string, i int) string {
	return list + "[" + strconv.Itoa(i) + "]"
}

// Problem returns an *Error (wrapping ErrInvalid) about one setting, with
// the file:line of key as Line reports it, so that checks made outside this
// package (e.g. against a model's parameters) read like Load's:
//
//	config my.yaml:14: search.quorm: unknown parameter; tokenvote has quorum, ...
func (c *Config) Problem(key, msg string) error {
	return &Error{File: c.fileName(), Problems: []Problem{c.problem(key, msg)}}
}

// problem builds the Problem about key, its message prefixed with the key.
func (c *Config) problem(key, msg string) Problem {
	file, line := c.Line(key)
	if key != "" {
		msg = key + ": " + msg
	}
	if file != "" && file == c.fileName() {
		file = "" // the Error's File
	}
	return Problem{Key: key, Line: line, Msg: msg, File: file}
}

// YAML returns the configuration as YAML, map keys sorted. Loading the
// result as a file gives back an equal configuration.
func (c *Config) YAML() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("config: encode as YAML: %w", err)
	}
	// dao.options is omitempty; write an empty map explicitly, so that
	// loading the output does not bring back the default's options.
	if len(c.DAO.Options) == 0 {
		if dao := mappingValue(&n, "dao"); dao != nil && mappingValue(dao, "options") == nil {
			dao.Content = append(dao.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "options"},
				&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle})
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("config: encode as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("config: encode as YAML: %w", err)
	}
	return b.Bytes(), nil
}

// mappingValue returns the value of key in the mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Hash identifies the configuration's content: the hex SHA-256 of its
// canonical JSON encoding (map keys sorted; empty and absent maps and lists
// alike). Equal configurations have equal hashes wherever they were loaded
// from.
func (c *Config) Hash() string {
	n := *c
	n.src = nil
	if n.Current == nil {
		n.Current = map[string]float64{}
	}
	if n.Search == nil {
		n.Search = map[string]SearchParam{}
	}
	if n.DAO.Options == nil {
		n.DAO.Options = map[string]float64{}
	}
	if n.Objectives == nil {
		n.Objectives = []Objective{}
	}
	if n.Constraints == nil {
		n.Constraints = []string{}
	}
	if n.Sources == nil {
		n.Sources = []Source{}
	}
	if n.Sinks == nil {
		n.Sinks = []Sink{}
	}
	b, err := json.Marshal(&n)
	if err != nil {
		// JSON has no NaN or Inf; such a config is invalid but still
		// deserves a stable identity. yaml.v3 sorts map keys too.
		y, yerr := yaml.Marshal(&n)
		if yerr != nil {
			y = []byte(yerr.Error())
		}
		b = append([]byte("yaml\n"), y...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DecodeSection decodes settings, the keys of the section at key (a
// source's or sink's own keys, "sources[1]"), strictly into into, a
// pointer to a struct whose yaml tags name the keys. Problems (an unknown
// key, a value of the wrong type) come back as an *Error whose lines are
// those of the config file, as Load's are.
func (c *Config) DecodeSection(key string, settings map[string]any, into any) error {
	t := reflect.TypeOf(into)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: DecodeSection(%s) needs a pointer to a struct, got %T", key, into)
	}
	if settings == nil {
		settings = map[string]any{}
	}
	data, err := yaml.Marshal(settings)
	if err != nil {
		return c.Problem(key, fmt.Sprintf("cannot encode the section: %v", err))
	}
	ps := &problems{}
	gen := decodeDocument(data, t.Elem(), "", nil, ps)
	if len(ps.list) > 0 {
		e := &Error{File: c.fileName()}
		for _, p := range ps.list {
			full := key
			if p.Key != "" {
				full = key + "." + p.Key
			}
			msg := strings.TrimPrefix(p.Msg, p.Key+": ")
			e.Problems = append(e.Problems, c.problem(full, msg))
		}
		return e
	}
	if gen == nil {
		gen = map[string]any{}
	}
	data, err = yaml.Marshal(gen)
	if err != nil {
		return c.Problem(key, fmt.Sprintf("cannot encode the section: %v", err))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil && !errors.Is(err, io.EOF) {
		return c.Problem(key, err.Error())
	}
	return nil
}
