package oracle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The longest each Prose field may be once rendered, in runes: together
// about 400 words, the post's budget beside its table and specification.
// ParseDraft allows twice as much in a draft's raw fields, where
// references are longer than the text they stand for.
const (
	MaxTitleRunes      = 100
	MaxOpeningRunes    = 300
	MaxMotivationRunes = 700
	MaxEffectsRunes    = 900
	MaxTradeOffRunes   = 600
)

// MaxDraftBytes is the most content ParseDraft reads.
const MaxDraftBytes = 64 << 10

// proseField is one field of a Prose, by its JSON name.
type proseField struct {
	name string
	max  int
	text string
	help string
}

// fieldsOf returns p's fields in order.
func fieldsOf(p Prose) []proseField {
	return []proseField{
		{"title", MaxTitleRunes, p.Title, "the proposal's title, one line, plain words"},
		{"opening", MaxOpeningRunes, p.Opening, "one sentence: what the proposal changes and why"},
		{"motivation", MaxMotivationRunes, p.Motivation, "from the data, what the change addresses (for example the share of proposals that failed to reach quorum)"},
		{"effects", MaxEffectsRunes, p.Effects, "the two or three effects that matter, with their intervals in plain words"},
		{"trade_off", MaxTradeOffRunes, p.TradeOff, "what the change gives up or makes worse, or that nothing measured gets worse"},
	}
}

// setField sets the field of p with the given JSON name.
func setField(p *Prose, name, text string) {
	switch name {
	case "title":
		p.Title = text
	case "opening":
		p.Opening = text
	case "motivation":
		p.Motivation = text
	case "effects":
		p.Effects = text
	case "trade_off":
		p.TradeOff = text
	}
}

// refRE matches a reference to a fact: {{fact-id}}, spaces allowed inside
// the braces.
var refRE = regexp.MustCompile(`\{\{\s*([^{}\s]{1,120})\s*\}\}`)

// span is a byte range of rendered text that came from a fact.
type span struct {
	start, end int
	id         string
}

// Render replaces every reference {{fact-id}} in p with the fact's Text.
// A reference to an id the sheet does not hold is left as written and
// reported as a FindingUnknownFact, with the ids it may have meant.
func (fs FactSheet) Render(p Prose) (Prose, []Finding) {
	byID := fs.index()
	var out Prose
	var findings []Finding
	for _, f := range fieldsOf(p) {
		text, _, fnd := renderField(f.name, f.text, byID, fs)
		setField(&out, f.name, text)
		findings = append(findings, fnd...)
	}
	return out, findings
}

func (fs FactSheet) index() map[string]Fact {
	m := make(map[string]Fact, len(fs.Facts))
	for _, f := range fs.Facts {
		if _, dup := m[f.ID]; !dup {
			m[f.ID] = f
		}
	}
	return m
}

// renderField renders one field and returns the spans that came from
// facts.
func renderField(field, text string, byID map[string]Fact, fs FactSheet) (string, []span, []Finding) {
	var b strings.Builder
	var spans []span
	var findings []Finding
	last := 0
	for _, m := range refRE.FindAllStringSubmatchIndex(text, -1) {
		id := text[m[2]:m[3]]
		b.WriteString(text[last:m[0]])
		last = m[1]
		f, ok := byID[id]
		if !ok {
			b.WriteString(text[m[0]:m[1]])
			findings = append(findings, Finding{Field: field, Kind: FindingUnknownFact, Text: text[m[0]:m[1]],
				Detail: "no fact has the id " + quoteID(id) + suggestIDs(id, fs)})
			continue
		}
		start := b.Len()
		b.WriteString(f.Text)
		spans = append(spans, span{start: start, end: b.Len(), id: f.ID})
	}
	b.WriteString(text[last:])
	return b.String(), spans, findings
}

func quoteID(id string) string { return fmt.Sprintf("%q", id) }

// suggestIDs lists up to five ids sharing the most leading segments with
// id, for a repair round.
func suggestIDs(id string, fs FactSheet) string {
	seg := strings.Split(id, ".")
	type cand struct {
		id    string
		score int
	}
	var cs []cand
	for _, f := range fs.Facts {
		fseg := strings.Split(f.ID, ".")
		n := 0
		for n < len(seg) && n < len(fseg) && seg[n] == fseg[n] {
			n++
		}
		// A shared name anywhere counts too (effect.turnout vs observed.turnout).
		for _, s := range seg[min(1, len(seg)):] {
			if len(fseg) > 1 && fseg[1] == s {
				n++
				break
			}
		}
		if n > 0 {
			cs = append(cs, cand{f.ID, n})
		}
	}
	if len(cs) == 0 {
		return "; cite only ids listed in the facts"
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].score > cs[j].score })
	var ids []string
	for i := 0; i < len(cs) && i < 5; i++ {
		ids = append(ids, cs[i].id)
	}
	return "; did you mean " + strings.Join(ids, ", ") + "?"
}

// DraftSchema returns the JSON Schema of the draft object an LLM returns:
// an object with the string fields title, opening, motivation, effects
// and trade_off, every one required, no others. It suits OpenAI's
// structured output in strict mode (response_format {type: json_schema,
// json_schema: {name, strict: true, schema}}); the length limits, which
// strict mode does not enforce, are stated in each field's description
// and checked by ParseDraft.
func DraftSchema() json.RawMessage {
	type prop struct {
		Type        string `json:"type"`
		Description string `json:"description"`
	}
	props := map[string]prop{}
	var required []string
	for _, f := range fieldsOf(Prose{}) {
		props[f.name] = prop{Type: "string", Description: fmt.Sprintf(
			"%s. At most %d characters once references are rendered. Write numbers only as references {{fact-id}}; plain text, no Markdown headings, links, tables or HTML.", sentenceCase(f.help), f.max)}
		required = append(required, f.name)
	}
	schema := struct {
		Type                 string          `json:"type"`
		Properties           map[string]prop `json:"properties"`
		Required             []string        `json:"required"`
		AdditionalProperties bool            `json:"additionalProperties"`
	}{"object", props, required, false}
	out, err := json.Marshal(schema)
	if err != nil {
		// The schema is a constant shape of strings; Marshal cannot fail.
		return json.RawMessage(`{}`)
	}
	return out
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// ErrDraft is wrapped by every error ParseDraft returns.
var ErrDraft = errors.New("oracle: draft")

// ParseDraft decodes an LLM's draft: a JSON object with exactly the
// string fields title, opening, motivation, effects and trade_off (see
// DraftSchema).
//
// It is lenient about what surrounds the object, for endpoints without
// structured output: leading prose, a Markdown code fence and trailing
// text are skipped (the first '{' that starts a JSON object is used). It
// is strict about the object: a duplicate, unknown or missing field, a
// value that is not a string, a field longer than twice its limit (see
// MaxTitleRunes and the others), invalid UTF-8, control characters (a
// line break is allowed outside the title), zero-width or bidi format
// characters each give an error wrapping ErrDraft that names the field.
// Content over MaxDraftBytes is refused.
func ParseDraft(content []byte) (Prose, error) {
	if len(content) > MaxDraftBytes {
		return Prose{}, fmt.Errorf("%w: content is %d bytes, more than the %d allowed", ErrDraft, len(content), MaxDraftBytes)
	}
	obj, err := findObject(content)
	if err != nil {
		return Prose{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // the '{'
		return Prose{}, fmt.Errorf("%w: %w", ErrDraft, err)
	}
	limits := map[string]int{}
	for _, f := range fieldsOf(Prose{}) {
		limits[f.name] = f.max
	}
	var p Prose
	seen := map[string]bool{}
	var unknown []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Prose{}, fmt.Errorf("%w: reading a field name: %w", ErrDraft, err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Prose{}, fmt.Errorf("%w: field %q: %w", ErrDraft, key, err)
		}
		limit, known := limits[key]
		if !known {
			unknown = append(unknown, fmt.Sprintf("%q", truncate(key, 40)))
			continue
		}
		if seen[key] {
			return Prose{}, fmt.Errorf("%w: field %q appears twice", ErrDraft, key)
		}
		seen[key] = true
		var s string
		if len(raw) == 0 || raw[0] != '"' {
			return Prose{}, fmt.Errorf("%w: field %q must be a string, not %s", ErrDraft, key, jsonKind(raw))
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return Prose{}, fmt.Errorf("%w: field %q: %w", ErrDraft, key, err)
		}
		if err := checkText(key, s, 2*limit); err != nil {
			return Prose{}, err
		}
		setField(&p, key, s)
	}
	if len(unknown) > 0 {
		return Prose{}, fmt.Errorf("%w: unknown field %s: the draft has only title, opening, motivation, effects and trade_off", ErrDraft, strings.Join(unknown, ", "))
	}
	var missing []string
	for _, f := range fieldsOf(Prose{}) {
		if !seen[f.name] {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Prose{}, fmt.Errorf("%w: missing field %s", ErrDraft, strings.Join(missing, ", "))
	}
	return p, nil
}

// findObject returns the first JSON object in content, skipping leading
// prose and code fences; it tries at most 32 opening braces.
func findObject(content []byte) ([]byte, error) {
	if !utf8.Valid(content) {
		return nil, fmt.Errorf("%w: content is not valid UTF-8", ErrDraft)
	}
	var firstErr error
	from := 0
	for tries := 0; tries < 32; tries++ {
		i := bytes.IndexByte(content[from:], '{')
		if i < 0 {
			break
		}
		i += from
		dec := json.NewDecoder(bytes.NewReader(content[i:]))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == nil {
			return raw, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		from = i + 1
	}
	if firstErr != nil {
		return nil, fmt.Errorf("%w: no valid JSON object in the content: %w", ErrDraft, firstErr)
	}
	return nil, fmt.Errorf("%w: the content holds no JSON object (%s)", ErrDraft, truncate(strings.TrimSpace(string(content)), 60))
}

// checkText checks one field's text: length, control and format
// characters.
func checkText(field, s string, limit int) error {
	if n := utf8.RuneCountInString(s); n > limit {
		return fmt.Errorf("%w: field %q is %d characters, more than the %d allowed", ErrDraft, field, n, limit)
	}
	for i, r := range s {
		if r == utf8.RuneError {
			return fmt.Errorf("%w: field %q holds invalid UTF-8 at byte %d", ErrDraft, field, i)
		}
		if r == '\n' && field != "title" {
			continue
		}
		if badRune(r) {
			return fmt.Errorf("%w: field %q holds the control or format character %U at byte %d", ErrDraft, field, r, i)
		}
	}
	return nil
}

// badRune reports a character that has no place in a post's prose:
// controls (tab and line break aside, which the caller decides on), format
// characters (zero-width, bidi), private use, noncharacters.
func badRune(r rune) bool {
	return r != '\t' && dropRune(r) || r == '\u2028' || r == '\u2029'
}

func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
