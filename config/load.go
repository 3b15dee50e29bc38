package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/attune-dao/attune/configs"
)

// EnvPrefix starts the environment variables that set configuration keys:
// ATTUNE_ then the key in upper case with "." replaced by "_", e.g.
// ATTUNE_OPTIMIZER_TRIALS for optimizer.trials.
const EnvPrefix = "ATTUNE_"

// envKeyReplacer turns a dotted key into the middle of its variable name.
var envKeyReplacer = strings.NewReplacer(".", "_")

// LoadOptions says where Load reads the configuration from.
type LoadOptions struct {
	// File is the user's YAML config file; "" means the embedded default
	// only.
	File string
	// Overrides sets dotted keys from command-line flags, e.g.
	// "optimizer.seed": uint64(7) or "out": "dir". They take precedence
	// over everything else. A string value is parsed for the key's type
	// ("50" for a number, "[a, b]" for a list); a nil value is ignored.
	Overrides map[string]any
	// Env is the environment, in os.Environ form; nil means os.Environ().
	Env []string
}

// Load reads the configuration, layering, from lowest to highest
// precedence: the embedded default (configs/default.yaml), opts.File, the
// ATTUNE_* environment variables and opts.Overrides.
//
// Scalar settings (optimizer.*, risk.*, dao.name, out, ...) merge key by
// key. The map and list sections current, search, objectives,
// constraints, sources, sinks and dao.options are replaced wholesale by a
// file that sets them, so that a file written for another model does not
// inherit the default's parameters; an environment variable or override
// that sets a whole map or list replaces it too. A key set to null (or
// left empty) in the file leaves the default in place; write {} or [] to
// empty a section.
//
// The file is checked strictly: unknown keys, values of the wrong type and
// YAML syntax errors are reported with file:line, all of them at once,
// together with the problems Validate finds. Such errors are *Error and
// wrap ErrInvalid; an unreadable file gives the os error, naming the path.
func Load(opts LoadOptions) (*Config, error) {
	var ps problems
	def := decodeDocument(configs.Default(), configType, EmbeddedDefault, nil, &ps)
	if len(ps.list) > 0 {
		// The default is embedded at build time and tested.
		return nil, ps.errorOrNil(EmbeddedDefault)
	}
	if def == nil {
		def = map[string]any{}
	}

	src := &source{file: opts.File, lines: map[string]int{}, origins: map[string]string{}}
	file := map[string]any{}
	if opts.File != "" {
		data, err := readLimited(opts.File, MaxFileBytes)
		if err != nil {
			return nil, err
		}
		if m := decodeDocument(data, configType, "", src.lines, &ps); m != nil {
			file = m
		}
	}
	// The file replaces the default's map and list sections it sets.
	for _, r := range replacedSections {
		if _, ok := getPath(file, r); ok {
			deletePath(def, r)
		}
	}

	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	sets := envSettings(env, def, file, &ps)
	sets = append(sets, overrideSettings(opts.Overrides, &ps)...)

	v := viper.New()
	for _, s := range sets {
		// A mapping set for a map section (or an entry of one) replaces
		// what the layers below hold, as a file's does; one set for a
		// struct such as optimizer merges.
		for _, k := range replacedPaths(s.key, s.value) {
			deletePath(def, k)
			deletePath(file, k)
		}
	}
	if err := v.MergeConfigMap(def); err != nil {
		return nil, fmt.Errorf("%w: merge the embedded default: %v", ErrInvalid, err)
	}
	if err := v.MergeConfigMap(file); err != nil {
		return nil, fmt.Errorf("%w: merge %s: %v", ErrInvalid, opts.File, err)
	}
	for _, s := range sets {
		v.Set(s.key, s.value)
		recordOrigin(src.origins, s.key, s.value, s.origin)
	}

	c, err := decodeSettings(v.AllSettings())
	if err != nil {
		ps.add(Problem{Msg: "the layered settings do not form a config (" + err.Error() + "); this is a bug in attune, please report it with your config"})
		return nil, ps.errorOrNil(opts.File)
	}
	c.src = src
	for _, p := range c.validate() {
		if !coveredBy(p.Key, ps.list) {
			ps.add(p)
		}
	}
	if err := ps.errorOrNil(opts.File); err != nil {
		return nil, err
	}
	return c, nil
}

// replacedPaths lists the keys, at or within key, where value holds a
// mapping for a map section or an entry of one: those replace the layers
// below rather than merge with them.
func replacedPaths(key string, value any) []string {
	m, isMap := value.(map[string]any)
	if !isMap {
		return nil
	}
	if inReplacedSection(key) {
		return []string{key}
	}
	var out []string
	for k, v := range m {
		out = append(out, replacedPaths(key+"."+k, v)...)
	}
	return out
}

// recordOrigin notes where the value at key came from: the key itself
// when the value replaces what was there, each key it sets when it merges.
func recordOrigin(origins map[string]string, key string, value any, origin string) {
	m, isMap := value.(map[string]any)
	if !isMap || inReplacedSection(key) {
		origins[key] = origin
		return
	}
	for k, v := range m {
		recordOrigin(origins, key+"."+k, v, origin)
	}
}

// coveredBy reports whether a problem about key was already reported,
// about the key itself, an enclosing key or one inside it.
func coveredBy(key string, found []Problem) bool {
	for _, p := range found {
		if p.Key == "" {
			continue
		}
		if related(key, p.Key) {
			return true
		}
	}
	return false
}

func related(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || strings.HasPrefix(b, a+".") || strings.HasPrefix(b, a+"[")
}

// decodeSettings turns viper's merged settings into a Config, strictly.
func decodeSettings(all map[string]any) (*Config, error) {
	b, err := yaml.Marshal(all)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return &c, nil
}

// setting is one value from the environment or the command line.
type setting struct {
	key    string
	value  any
	origin string
}

// sortSettings orders settings so that enclosing keys are set before the
// keys inside them, which then refine them.
func sortSettings(s []setting) {
	sort.SliceStable(s, func(i, j int) bool {
		di, dj := strings.Count(s[i].key, "."), strings.Count(s[j].key, ".")
		if di != dj {
			return di < dj
		}
		return s[i].key < s[j].key
	})
}

// envSettings reads the ATTUNE_* variables that name configuration keys.
// Variables under a section's name that match no key (a typo such as
// ATTUNE_OPTIMIZER_TRAILS) are problems; other ATTUNE_* variables are not
// configuration and are ignored, as are empty values.
func envSettings(env []string, def, file map[string]any, ps *problems) []setting {
	vars := map[string]string{}
	var names []string
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		if _, dup := vars[name]; !dup {
			names = append(names, name)
		}
		vars[name] = val // the last definition wins, as with exec.Cmd
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	table := envTable(def, file)
	var out []setting
	for _, name := range names {
		val := vars[name]
		if val == "" {
			continue
		}
		origin := "env " + name
		keys := table[name]
		if len(keys) == 0 {
			keys = mapEntryKey(strings.TrimPrefix(name, EnvPrefix))
		}
		switch {
		case len(keys) > 1:
			ps.add(Problem{Key: keys[0], File: origin, Msg: fmt.Sprintf("matches the keys %s; set the value in the config file instead", strings.Join(keys, " and "))})
			continue
		case len(keys) == 0:
			if msg := unknownEnv(name, table); msg != "" {
				ps.add(Problem{File: origin, Msg: msg})
			}
			continue
		}
		key := keys[0]
		t, _ := typeAt(key)
		if v, ok := parseText(val, t, key, origin, ps); ok {
			out = append(out, setting{key: key, value: v, origin: origin})
		}
	}
	sortSettings(out)
	return out
}

// envName is the variable that sets key.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(envKeyReplacer.Replace(key))
}

// envTable maps variable names to the keys they may set: every key of the
// Config types, and every entry of current, search and dao.options that
// the default or the file defines.
func envTable(def, file map[string]any) map[string][]string {
	table := map[string][]string{}
	add := func(key string) {
		n := envName(key)
		if !slices.Contains(table[n], key) {
			table[n] = append(table[n], key)
		}
	}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range fieldsOf(t) {
			key := joinKey(prefix, f.name)
			add(key)
			ft := f.typ
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				walk(ft, key)
			case reflect.Map:
				for _, name := range entryNames(key, def, file) {
					ek := key + "." + name
					add(ek)
					if ft.Elem().Kind() == reflect.Struct {
						walk(ft.Elem(), ek)
					}
				}
			}
		}
	}
	walk(configType, "")
	return table
}

// entryNames lists, sorted, the entries of the map at key in def and file.
func entryNames(key string, def, file map[string]any) []string {
	var names []string
	for _, m := range []map[string]any{def, file} {
		v, _ := getPath(m, key)
		for name := range asMap(v) {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// mapEntryKey maps CURRENT_X and DAO_OPTIONS_X to current.x and
// dao.options.x, so that the environment can set parameters and options
// that neither the default nor the file lists.
func mapEntryKey(rest string) []string {
	for _, section := range []string{"current", "dao.options"} {
		p := strings.ToUpper(envKeyReplacer.Replace(section)) + "_"
		if name, ok := strings.CutPrefix(rest, p); ok {
			name = strings.ToLower(name)
			if nameRE.MatchString(name) {
				return []string{section + "." + name}
			}
		}
	}
	return nil
}

// unknownEnv explains an ATTUNE_ variable that looks meant for a section
// but names no key, or returns "" for variables that are not configuration.
func unknownEnv(name string, table map[string][]string) string {
	rest := strings.TrimPrefix(name, EnvPrefix)
	for _, f := range fieldsOf(configType) {
		sec := strings.ToUpper(f.name)
		if rest != sec && !strings.HasPrefix(rest, sec+"_") {
			continue
		}
		var known []string
		for n, keys := range table {
			if keys[0] == f.name || strings.HasPrefix(keys[0], f.name+".") {
				known = append(known, n)
			}
		}
		sort.Strings(known)
		if len(known) > 12 {
			known = append(known[:12], "...")
		}
		return fmt.Sprintf("no config key matches this variable; variables for %s: %s", f.name, strings.Join(known, ", "))
	}
	return ""
}

// typeAt returns the type of the value at a dotted key, e.g.
// "search.quorum.min"; ok is false for keys the Config types do not have.
func typeAt(key string) (t reflect.Type, ok bool) {
	t = configType
	if key == "" {
		return nil, false
	}
	for _, seg := range strings.Split(key, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			found := false
			for _, f := range fieldsOf(t) {
				if f.name == seg {
					t, found = f.typ, true
					break
				}
			}
			if !found {
				return nil, false
			}
		case reflect.Map:
			if !nameRE.MatchString(seg) {
				return nil, false
			}
			t = t.Elem()
		default:
			return nil, false
		}
	}
	return t, true
}

// parseText reads a value for key from text (an environment variable or a
// string flag): strings are taken as they are, anything else is parsed as
// YAML and checked against t ("50", "1e3", "true", "[a, b]", "{min: 1}").
// Problems are recorded under origin, without line numbers.
func parseText(text string, t reflect.Type, key, origin string, ps *problems) (any, bool) {
	bt := t
	for bt.Kind() == reflect.Pointer {
		bt = bt.Elem()
	}
	if bt.Kind() == reflect.String {
		return text, true
	}
	var sub problems
	d := newDecoder(origin, nil, &sub)
	root := d.parseDocument([]byte(text))
	var v any
	ok := false
	if root != nil {
		v, ok = d.value(root, t, key)
	}
	if !ok && len(sub.list) == 0 {
		sub.add(Problem{Key: key, File: origin, Msg: fmt.Sprintf("%s: want %s; got %q", key, want(t), text)})
	}
	for _, p := range sub.list {
		p.Line = 0
		if p.Key == "" {
			p.Key = key
		}
		if !strings.HasPrefix(p.Msg, key) {
			p.Msg = key + ": " + p.Msg
		}
		ps.add(p)
	}
	return v, ok && len(sub.list) == 0
}

// overrideSettings checks the command-line overrides against the Config
// types.
func overrideSettings(overrides map[string]any, ps *problems) []setting {
	var out []setting
	for _, key := range sortedKeys(overrides) {
		val := overrides[key]
		if val == nil {
			continue
		}
		key = strings.TrimSpace(key)
		t, ok := typeAt(key)
		if !ok {
			ps.add(Problem{Key: key, File: CommandLine, Msg: fmt.Sprintf("%s: unknown key; %s", key, allowedAt(key))})
			continue
		}
		text, isString := val.(string)
		if !isString {
			b, err := marshalValue(val)
			if err != nil {
				ps.add(Problem{Key: key, File: CommandLine, Msg: fmt.Sprintf("%s: cannot use a %T: %v; want %s", key, val, err, want(t))})
				continue
			}
			text = string(b)
		}
		if v, ok := parseText(text, t, key, CommandLine, ps); ok {
			out = append(out, setting{key: key, value: v, origin: CommandLine})
		}
	}
	sortSettings(out)
	return out
}

// marshalValue encodes a flag's value as YAML, turning a panic in the
// encoder (e.g. on a func or channel) into an error.
func marshalValue(v any) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return yaml.Marshal(v)
}

// allowedAt lists the keys allowed where key's last segment should be.
func allowedAt(key string) string {
	if strings.Contains(key, "[") {
		return "list entries cannot be set one at a time; set the whole list, e.g. objectives=[{name: turnout, weight: 1}]"
	}
	parent := parentKey(key)
	t := configType
	if parent != "" {
		var ok bool
		if t, ok = typeAt(parent); !ok {
			return "keys look like optimizer.trials or search.quorum.min"
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if parent == "" {
			return "allowed: " + fieldNames(fieldsOf(t))
		}
		return "allowed in " + parent + ": " + fieldNames(fieldsOf(t))
	case reflect.Map:
		return "names in " + parent + " must be lowercase letters, digits and _, starting with a letter"
	}
	return parent + " holds a single value or a whole list; set it as a whole"
}

// asMap returns v as a map, or nil.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// getPath returns the value at a dotted key in nested maps.
func getPath(m map[string]any, key string) (any, bool) {
	var cur any = m
	for _, seg := range strings.Split(key, ".") {
		mm := asMap(cur)
		if mm == nil {
			return nil, false
		}
		v, ok := mm[seg]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

// deletePath removes the value at a dotted key from nested maps.
func deletePath(m map[string]any, key string) {
	segs := strings.Split(key, ".")
	for _, seg := range segs[:len(segs)-1] {
		m = asMap(m[seg])
		if m == nil {
			return
		}
	}
	delete(m, segs[len(segs)-1])
}

// MaxFileBytes bounds a config file: 1 MiB, a hundred times the largest
// bundled example.
const MaxFileBytes = 1 << 20

// readLimited reads a config file of at most max bytes; a larger one is an
// ErrInvalid naming the limit, read no further.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: cannot read the config file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("config: cannot read the config file: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("config %s: the file is larger than %d KiB, the limit; a config is a few kilobytes: check the path: %w", path, max>>10, ErrInvalid)
	}
	return data, nil
}
