package oracle

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Verify checks a draft's prose against the facts of rec and says what is
// wrong, in words a repair round can show the model.
//
// p may be raw (numbers as {{fact-id}} references) or already rendered by
// Render: Verify renders it itself, so a reference's text is right by
// construction and an unknown reference is a FindingUnknownFact. Then, on
// the rendered text of each field:
//
//   - Numbers. Every literal number the draft wrote itself (digits with
//     sign, thousands separators, decimals, %, "pp", "percent", k/M/bn,
//     spelled-out numbers before a unit word) must match a fact within the
//     rounding the draft wrote it with (0.80 pp may be written "0.8 pp",
//     9.64% "9.6%", 250,000 tokens "250k tokens"; a number with one
//     significant digit, like "4%" or "10", must be the fact as shown,
//     trailing zeros aside, so "1" cannot stand for 0.7): the same kind (a
//     percentage is not percentage points), the same unit word when the
//     draft writes one (days, tokens, proposals, voters, holders), the
//     same sign when one is written, and, when the clause names
//     parameters or outcomes, a figure of one of them (turnout's interval
//     in a sentence about attacks is a FindingChangedValue, for references
//     too). A number within half of a fact's
//     value is a FindingChangedValue naming the fact and its value, any
//     other a FindingUnknownNumber. Dates (2025-06-30, June 30, 2025, June
//     2025) must be a date fact (the window's ends, the cycle's date) or
//     its month; a bare year from 1900 to 2100 passes when it is the year
//     of a date fact. Ordinals are numbers like the others ("10th
//     percentile" passes when an outcome is that percentile, e.g.
//     turnout_p10). The DAO's name and track are masked first, so a
//     name with digits ("1inch") may be quoted.
//     Digits are read in the convention of fs.Language (see FactsIn): in
//     English "1,234.5"; in de, es, fr, it and pt "1.234,5", "1 234,5" or
//     "1\u00a0234,5" and "12,5 %" or "12,5%", where "1.234" is 1234 and
//     "1,234" is 1.234. In those languages a number with a point before
//     digits that are no thousands group ("12.5%", the English
//     "1,234.5") is a FindingMalformed, even when it would match a fact
//     read in English: a draft writes numbers one way. Digits the two
//     conventions write alike ("12%", "9 days") pass as in English.
//   - Names. A snake_case name that is no parameter, outcome, assumption,
//     metric or constraint of rec, or a governance parameter's plain name
//     ("timelock", "voting delay") that rec does not hold, is a
//     FindingUnknownParam. A parameter the proposal changes that no field
//     names (by code or plain name) is a FindingMissingParam.
//   - Directions. A direction word ("rises", "lower", "fewer",
//     "improves"...) is attached to the nearest parameter or outcome named
//     in its clause (a weak word like "more" or "lower" only within two
//     words); a claim against the parameter's change or the outcome's
//     interval is a FindingDirection, and a claimed change of an outcome
//     whose interval spans zero, unless hedged ("may", "might", "not
//     clear"...), a FindingCertainty. Negated claims ("does not rise") are
//     not judged.
//   - Certainty. "will", "guarantees", "ensures", "certainly",
//     "definitely" and the like in a clause about a simulated outcome, or
//     anywhere in the effects and trade_off fields, are a
//     FindingCertainty.
//   - Form. An empty field, one longer than its limit (MaxTitleRunes...),
//     a title with a line break, control or format characters, HTML tags,
//     links, URLs, headings, tables or pipes, code fences, HTML entities,
//     @mentions, data delimiters, fact ids without braces and references
//     left unrendered are a FindingMalformed.
//
// Verification.Passed is true when there are no findings. Verify never
// panics, whatever the prose.
func Verify(p Prose, fs FactSheet, rec Recommendation) Verification {
	v := newVerifier(fs, rec)
	var findings []Finding
	var all []string
	for _, f := range fieldsOf(p) {
		rendered, spans, fnd := renderField(f.name, f.text, v.byID, fs)
		findings = append(findings, fnd...)
		findings = append(findings, v.form(f, rendered)...)
		toks := v.tokenize(rendered)
		ms, covered := v.findMentions(toks)
		findings = append(findings, v.numbers(f.name, rendered, spans, toks, ms)...)
		findings = append(findings, v.words(f.name, rendered, toks, ms, covered)...)
		all = append(all, rendered)
	}
	findings = append(findings, v.missing(all)...)
	findings = dedupe(findings)
	return Verification{Passed: len(findings) == 0, Findings: findings}
}

// verifier holds what Verify derives once from the facts.
type verifier struct {
	voc     *vocab // the words of the draft's language (fs.Language)
	fs      FactSheet
	rec     Recommendation
	byID    map[string]Fact
	nums    []factNum
	dates   []Fact
	masks   []*regexp.Regexp // names quoted verbatim (DAO, track)
	phrases []phrase
	subject map[string]*subject
	// scoreSubject is the combined score.
	scoreSubject *subject
	pctl         map[string]bool // "10" when an outcome is turnout_p10
}

// factNum is the number a fact's Text shows.
type factNum struct {
	fact    Fact
	kind    numKind
	text    float64 // as shown, sign included
	shown   string
	trueV   float64 // Value on the same scale as text
	unit    string  // unit word after the number, if any
	isZero  bool
	hasSign bool
}

// subject is a parameter or outcome prose can name.
type subject struct {
	code, plain string
	param       bool
	// For a parameter: "raise", "lower" or "keep". For an outcome:
	// "rises", "falls" or "unclear", and better.
	dir, better string
	effect      *Effect
	changed     bool
	mentioned   bool
}

// phrase is a name prose may use: a subject, or another known name.
type phrase struct {
	words []string
	subj  *subject // nil for a known name that is no subject
}

func newVerifier(fs FactSheet, rec Recommendation) *verifier {
	v := &verifier{voc: vocabOf(fs.Language), fs: fs, rec: rec, byID: fs.index(), subject: map[string]*subject{}, pctl: map[string]bool{}}
	l := localeFor(fs.Language)
	for _, f := range fs.Facts {
		if f.Unit == "date" {
			v.dates = append(v.dates, f)
			continue
		}
		lits := scanNumbersIn(f.Text, fs.Language)
		if len(lits) == 0 || lits[0].kind == numDate {
			continue
		}
		l := lits[0]
		scale := 1.0
		if l.kind != numPlain {
			scale = 100
		}
		v.nums = append(v.nums, factNum{fact: f, kind: l.kind, text: l.value, shown: l.text, trueV: f.Value * scale,
			unit: l.unitWord, isZero: isZeroDigits(strings.TrimLeft(l.text, "+-$")) || l.value == 0, hasSign: l.signed})
	}
	for _, name := range []string{fs.DAO, rec.DAO, rec.Method.Track} {
		if name = Untrusted(name, DefaultUntrustedRunes); name != "" {
			v.masks = append(v.masks, regexp.MustCompile(`(?i)`+regexp.QuoteMeta(name)))
		}
	}
	// Subjects: parameters, then the score and outcomes.
	addPhrase := func(text string, s *subject) {
		words := v.tokenWords(text)
		if len(words) == 0 {
			return
		}
		v.phrases = append(v.phrases, phrase{words: words, subj: s})
	}
	for _, p := range rec.Params {
		if v.subject["p:"+p.Name] != nil {
			continue
		}
		dir := direction(rec, p)
		s := &subject{code: p.Name, plain: plainName(p.Name), param: true, dir: dir, changed: dir != "keep"}
		v.subject["p:"+p.Name] = s
		if v.subject["p:#"+factKey(p.Name)] == nil {
			v.subject["p:#"+factKey(p.Name)] = s
		}
		addPhrase(p.Name, s)
		addPhrase(s.plain, s)
		addPhrase(strings.ReplaceAll(p.Name, "_", " "), s)
		if !l.en() {
			addPhrase(l.name(p.Name), s)
		}
	}
	effects := append([]Effect{rec.Score}, rec.Effects...)
	effects = append(effects, rec.Outcomes...)
	for i := range effects {
		e := &effects[i]
		if v.subject["e:"+e.Name] != nil {
			continue
		}
		dir := "unclear"
		switch {
		case e.Difference.CI.Lo > 0:
			dir = "rises"
		case e.Difference.CI.Hi < 0:
			dir = "falls"
		}
		s := &subject{code: e.Name, plain: effectLabel(e.Name), dir: dir, better: e.Better, effect: e}
		v.subject["e:"+e.Name] = s
		if v.subject["e:#"+factKey(e.Name)] == nil {
			v.subject["e:#"+factKey(e.Name)] = s
		}
		if i == 0 {
			v.scoreSubject = s
			s.plain = "combined score"
			addPhrase("combined score", s)
			addPhrase("overall score", s)
			addPhrase("score", s)
			if !l.en() {
				addPhrase(l.name("score"), s)
				for _, a := range v.voc.aliases["score"] {
					addPhrase(a, s)
				}
			}
			continue
		}
		addPhrase(e.Name, s)
		addPhrase(s.plain, s)
		if !l.en() {
			addPhrase(l.name(e.Name), s)
		}
		for _, a := range effectAliases[e.Name] {
			addPhrase(a, s)
		}
		if !l.en() {
			for _, a := range v.voc.aliases[e.Name] {
				addPhrase(a, s)
			}
		}
		if k, ok := strings.CutPrefix(e.Name, "turnout_p"); ok {
			v.pctl[k] = true
		}
	}
	// Other known names: no subjects, but not unknown either.
	var known []string
	for _, a := range rec.Method.Assumptions {
		known = append(known, a.Name)
	}
	for _, r := range rec.Method.Fit {
		known = append(known, r.Metric)
		if k, ok := strings.CutPrefix(r.Metric, "turnout_p"); ok {
			v.pctl[k] = true
		}
	}
	for _, s := range rec.Sensitivity {
		known = append(known, s.Name)
	}
	for _, c := range rec.Constraints {
		known = append(known, identRE.FindAllString(c.Expr, -1)...)
	}
	for _, c := range rec.Clamps {
		known = append(known, c.Param)
	}
	for _, i := range rec.Importance {
		known = append(known, i.Param)
	}
	for k := range rec.Candidate {
		known = append(known, k)
	}
	slices.Sort(known)
	for _, k := range slices.Compact(known) {
		addPhrase(k, nil)
		addPhrase(strings.ReplaceAll(k, "_", " "), nil)
		if trimmed, ok := strings.CutSuffix(k, "_days"); ok {
			addPhrase(strings.ReplaceAll(trimmed, "_", " "), nil)
		}
	}
	// Longest phrases first, so "quorum failure rate" beats "quorum".
	slices.SortStableFunc(v.phrases, func(a, b phrase) int { return len(b.words) - len(a.words) })
	return v
}

var identRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// --- form -------------------------------------------------------------

var formChecks = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`<\s*/?\s*[A-Za-z!?][^>]*>|<\|`), "HTML or chat-role tags"},
	{regexp.MustCompile(`!?\[[^\]]*\]\([^)]*\)|^\s*\[[^\]]+\]:`), "Markdown links or images"},
	{regexp.MustCompile(`(?i)\b(https?|ftp)://|\bwww\.|\bmailto:`), "URLs"},
	{regexp.MustCompile(`(?m)^\s{0,3}#{1,6}(\s|$)|(?m)^\s*(=+|-{3,})\s*$`), "Markdown headings or rules"},
	{regexp.MustCompile(`\|`), "a table or a pipe character"},
	{regexp.MustCompile("```|~~~"), "code fences"},
	{regexp.MustCompile(`&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z]+);`), "HTML entities"},
	{regexp.MustCompile(`(^|[\s(])@[A-Za-z0-9_]`), "an @mention, which notifies forum users"},
	{regexp.MustCompile(`«|»`), "data delimiters or guillemets"},
	{regexp.MustCompile(`\{\{|\}\}`), "a reference that was not rendered"},
	{regexp.MustCompile(`\b(param|params|effect|score|observed|calibration|importance|clamp|constraint|method|window|cycle|candidate)\.[a-z0-9_]+\b`), "a fact id without braces; write {{fact-id}}"},
}

func (v *verifier) form(f proseField, text string) []Finding {
	var out []Finding
	add := func(offending, detail string) {
		out = append(out, Finding{Field: f.name, Kind: FindingMalformed, Text: truncate(offending, 80), Detail: detail})
	}
	if strings.TrimSpace(text) == "" {
		add("", "the field is empty; write "+f.help)
		return out
	}
	if n := utf8.RuneCountInString(text); n > f.max {
		add(truncate(text, 40), fmt.Sprintf("the field is %d characters once rendered, more than the %d allowed; shorten it", n, f.max))
	}
	if f.name == "title" && strings.ContainsAny(text, "\r\n") {
		add(text, "the title must be one line")
	}
	for i, r := range text {
		if r == '\n' || r == '\t' {
			continue
		}
		if badRune(r) || r == utf8.RuneError {
			add(fmt.Sprintf("%U", r), fmt.Sprintf("control or format character %U at byte %d; write plain text", r, i))
			break
		}
	}
	for _, c := range formChecks {
		if m := c.re.FindString(text); m != "" {
			add(m, "the field holds "+c.what+"; write plain sentences (the post's tables, links and headings are added by attune)")
		}
	}
	return out
}

// --- numbers ----------------------------------------------------------

func (v *verifier) numbers(field, text string, spans []span, toks []token, ms []mention) []Finding {
	var out []Finding
	work := []byte(text)
	blank := func(a, b int) {
		for i := max(a, 0); i < b && i < len(work); i++ {
			work[i] = ' '
		}
	}
	for _, s := range spans {
		blank(s.start, s.end)
		// A reference is right by construction, but it may be cited about
		// the wrong parameter or outcome.
		if about := clauseSubjects(toks, ms, s.start, s.end); len(about) > 0 {
			if subj := v.factSubject(s.id); misattributed(subj, about) && v.hasFigureLike(about, v.kindOf(s.id), v.unitOf(s.id)) {
				out = append(out, Finding{Field: field, Kind: FindingChangedValue, Text: text[s.start:s.end],
					Detail: fmt.Sprintf("{{%s}} is a figure of %s, but it is cited in a clause about %s; cite that one's own fact", s.id, subj.plain, subjectNames(about))})
			}
		}
	}
	for _, m := range v.masks {
		for _, loc := range m.FindAllStringIndex(text, -1) {
			blank(loc[0], loc[1])
		}
	}
	for _, lit := range scanNumbersIn(string(work), v.fs.Language) {
		if lit.foreign {
			out = append(out, Finding{Field: field, Kind: FindingMalformed, Text: text[lit.start:min(lit.end, len(text))],
				Detail: fmt.Sprintf("the number mixes a decimal point with the %s convention; cite the fact as {{fact-id}}, or write it with a decimal comma as the facts are written", v.fs.Language)})
			continue
		}
		about := clauseSubjects(toks, ms, lit.start, lit.end)
		if f, ok := v.checkLiteral(lit, string(work), about); !ok {
			f.Field, f.Text = field, text[lit.start:min(lit.end, len(text))]
			out = append(out, f)
		}
	}
	return out
}

// clauseSubjects returns the subjects named in the clause of the text at
// [start, end).
func clauseSubjects(toks []token, ms []mention, start, end int) []*subject {
	clause := -1
	for _, t := range toks {
		if t.end > start && t.start < max(end, start+1) {
			clause = t.clause
			break
		}
	}
	if clause < 0 {
		return nil
	}
	var out []*subject
	for _, m := range ms {
		if toks[m.first].clause == clause && !slices.Contains(out, m.subj) {
			out = append(out, m.subj)
		}
	}
	return out
}

func subjectNames(ss []*subject) string {
	var n []string
	for _, s := range ss {
		n = append(n, s.plain)
	}
	return joinAnd(n)
}

// factSubject returns the parameter or outcome a fact is a figure of, or
// nil for a fact about the method, the window or the proposal as a whole.
func (v *verifier) factSubject(id string) *subject {
	kind, rest, _ := strings.Cut(id, ".")
	name, _, _ := strings.Cut(rest, ".")
	switch kind {
	case "param", "candidate", "clamp":
		return v.subjectByKey("p:", name)
	case "importance":
		return v.subjectByKey("p:", strings.TrimSuffix(strings.TrimSuffix(name, "_lo"), "_hi"))
	case "effect", "observed", "calibration":
		return v.subjectByKey("e:", name)
	case "score":
		return v.scoreSubject
	}
	return nil
}

func (v *verifier) subjectByKey(prefix, key string) *subject {
	return v.subject[prefix+"#"+key]
}

// checkLiteral judges one number written in a clause about the given
// subjects; ok false comes with the finding.
func (v *verifier) checkLiteral(lit literal, text string, about []*subject) (Finding, bool) {
	if lit.kind == numDate {
		for _, d := range v.dates {
			fd := int(d.Value)
			if lit.date == fd || lit.date%100 == 0 && lit.date/100 == fd/100 {
				return Finding{}, true
			}
		}
		return Finding{Kind: FindingUnknownNumber, Detail: "this date is none of the facts' dates (" + v.dateList() + "); cite a date fact or remove it"}, false
	}
	if lit.year {
		for _, d := range v.dates {
			if int(lit.value) == int(d.Value)/10000 {
				return Finding{}, true
			}
		}
	}
	if v.nextToPercentile(text, lit) && v.pctl[strconv.FormatFloat(math.Abs(lit.value), 'f', -1, 64)] {
		return Finding{}, true
	}
	var other *factNum // a match that is a figure of a subject the clause does not name
	for i, fn := range v.nums {
		if !v.matches(lit, fn, true) {
			continue
		}
		if !misattributed(v.factSubject(fn.fact.ID), about) || !v.hasFigureLike(about, fn.kind, lit.unitWord) {
			return Finding{}, true
		}
		if other == nil {
			other = &v.nums[i]
		}
	}
	if other != nil {
		return Finding{Kind: FindingChangedValue, Detail: fmt.Sprintf("this is the value of %s (%s), but the clause is about %s; cite %s's own fact",
			other.fact.ID, other.fact.About, subjectNames(about), subjectNames(about))}, false
	}
	// Not a fact: say what it is nearest to. A wrong sign first.
	if lit.signed {
		for _, fn := range v.nums {
			flipped := lit
			flipped.signed = false
			if fn.kind == lit.kind && !fn.isZero && v.matches(flipped, fn, true) {
				return Finding{Kind: FindingChangedValue, Detail: fmt.Sprintf("the sign is wrong: the fact %s (%s) is %s; cite it as {{%s}}",
					fn.fact.ID, fn.fact.About, fn.fact.Text, fn.fact.ID)}, false
			}
		}
	}
	// The right value written as the wrong kind (a percentage for
	// percentage points); a number followed by a unit word is no
	// percentage.
	if lit.unitWord == "" {
		for _, fn := range v.nums {
			if fn.kind != lit.kind && fn.unit == "" && !misattributed(v.factSubject(fn.fact.ID), about) && v.matches(lit, fn, false) {
				return Finding{Kind: FindingChangedValue, Detail: fmt.Sprintf("written as %s, but the fact %s (%s) is %s, in %s; cite it as {{%s}}",
					kindName(lit.kind), fn.fact.ID, fn.fact.About, fn.fact.Text, kindName(fn.kind), fn.fact.ID)}, false
			}
		}
	}
	if fn, ok := v.nearestFact(lit, about, 0.5, true); ok {
		return changedValue(fn), false
	}
	if fn, ok := v.nearestFact(lit, about, 0.1, false); ok {
		return changedValue(fn), false
	}
	return Finding{Kind: FindingUnknownNumber, Detail: "no fact has this value within its rounding; every number must be a reference {{fact-id}} to a fact in the sheet, or be removed"}, false
}

// matches reports whether lit shows fn's number within the rounding lit
// is written with; sameKind false ignores the kind and the unit word.
func (v *verifier) matches(lit literal, fn factNum, sameKind bool) bool {
	if sameKind {
		if fn.kind != lit.kind {
			return false
		}
		if lit.unitWord != fn.unit && lit.unitWord != "" {
			return false
		}
	}
	if lit.value == 0 && !fn.isZero {
		return false
	}
	if lit.signed && !fn.isZero && (lit.value < 0) != (fn.text < 0) {
		return false
	}
	a := math.Abs(lit.value)
	if math.Abs(a-math.Abs(fn.text)) <= 1e-9*math.Max(1, a) {
		return true // the number as the fact shows it, trailing zeros aside
	}
	if lit.sig < 2 {
		return false // "1" for 0.7 or 1.4 rounds away everything the fact says
	}
	tol := lit.half*(1+1e-9) + 1e-12
	for _, t := range []float64{fn.text, fn.trueV} {
		if math.Abs(a-math.Abs(t)) <= tol+1e-12*math.Abs(t) {
			return true
		}
	}
	return false
}

// nearestFact returns the fact of the same kind nearest to lit, within
// limit of its value: among the subjects the clause names when scoped.
func (v *verifier) nearestFact(lit literal, about []*subject, limit float64, scoped bool) (factNum, bool) {
	if scoped && len(about) == 0 {
		return factNum{}, false
	}
	a := math.Abs(lit.value)
	best, bestD := -1, math.Inf(1)
	for i, fn := range v.nums {
		if fn.kind != lit.kind || fn.isZero || lit.unitWord != "" && fn.unit != lit.unitWord {
			continue
		}
		if scoped && !slices.Contains(about, v.factSubject(fn.fact.ID)) {
			continue
		}
		t := math.Abs(fn.text)
		if d := math.Abs(a-t) / t; d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 || bestD > limit {
		return factNum{}, false
	}
	return v.nums[best], true
}

// nextToPercentile reports whether lit numbers a percentile: "10th
// percentile", "10. Perzentil", "10e centile", "10° percentile",
// "percentil 10".
func (v *verifier) nextToPercentile(text string, lit literal) bool {
	after := text[min(lit.end, len(text)):]
	if lit.ordinal || strings.HasPrefix(after, ".") {
		after = strings.TrimPrefix(after, ".")
	} else {
		for _, mark := range []string{"º", "°", "ᵉ", "e", "o", "a"} {
			if rest, ok := strings.CutPrefix(after, mark); ok && (rest == "" || rest[0] == ' ') {
				after = rest
				break
			}
		}
	}
	if v.voc.isPercentile(firstWord(after)) {
		return true
	}
	before := strings.TrimRight(text[:max(0, min(lit.start, len(text)))], " \u00a0")
	word := before
	if i := strings.LastIndexFunc(before, func(r rune) bool { return !unicode.IsLetter(r) }); i >= 0 {
		_, n := utf8.DecodeRuneInString(before[i:])
		word = before[i+n:]
	}
	return !lit.signed && v.voc.isPercentile(word)
}

func changedValue(fn factNum) Finding {
	return Finding{Kind: FindingChangedValue, Detail: fmt.Sprintf("no fact has this value; the nearest is %s (%s) = %s: cite it as {{%s}} if that is what is meant, or remove the number",
		fn.fact.ID, fn.fact.About, fn.fact.Text, fn.fact.ID)}
}

// hasFigureLike reports whether one of the subjects has a fact shown as
// a number of this kind and unit word: only then can a figure in their
// clause be theirs ("from 7 to 9 days" in a clause about turnout is not
// turnout's, whatever it is).
func (v *verifier) hasFigureLike(about []*subject, kind numKind, unit string) bool {
	for _, fn := range v.nums {
		if fn.kind == kind && fn.unit == unit && slices.Contains(about, v.factSubject(fn.fact.ID)) {
			return true
		}
	}
	return false
}

func (v *verifier) kindOf(id string) numKind {
	for _, fn := range v.nums {
		if fn.fact.ID == id {
			return fn.kind
		}
	}
	return numDate
}

func (v *verifier) unitOf(id string) string {
	for _, fn := range v.nums {
		if fn.fact.ID == id {
			return fn.unit
		}
	}
	return ""
}

// misattributed reports whether a figure of subj is cited in a clause
// that names other parameters or outcomes and not subj: turnout's
// difference in a sentence about attacks.
func misattributed(subj *subject, about []*subject) bool {
	return subj != nil && len(about) > 0 && !slices.Contains(about, subj)
}

func kindName(k numKind) string {
	switch k {
	case numPercent:
		return "a percentage"
	case numPoints:
		return "percentage points"
	}
	return "a plain number"
}

func (v *verifier) dateList() string {
	if len(v.dates) == 0 {
		return "the facts hold no dates"
	}
	var s []string
	for _, d := range v.dates {
		s = append(s, d.ID+" = "+d.Text)
	}
	return strings.Join(s, ", ")
}

// --- words: names, directions, certainty --------------------------------

// token is one word of prose, lower case, with its clause.
type token struct {
	w          string
	start, end int
	clause     int
}

// clauseWords end a clause: contrasts and joins.
var clauseWords = map[string]bool{"but": true, "while": true, "whereas": true, "although": true, "though": true,
	"however": true, "yet": true, "and": true, "or": true, "because": true, "so": true, "which": true, "whilst": true}

// tokenize splits s into words (letters, digits, underscores and inner
// apostrophes) and numbers clauses: a clause ends at . ; : ! ? , (not at
// parentheses, which hold an interval of the clause) and at the
// language's clause words ("but", "and", "aber"...). Where the language
// elides articles (French, Italian), an apostrophe ends a word: "l'affluenza"
// is "l" and "affluenza".
func (v *verifier) tokenize(s string) []token {
	var out []token
	clause := 0
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			j := i + n
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if isWordRune(r2) {
					j += n2
					continue
				}
				if (r2 == '\'' || r2 == '’') && v.voc.elision {
					break
				}
				if (r2 == '\'' || r2 == '’' || r2 == '.' && j > i && isDigit(s[j-1])) && j+n2 < len(s) {
					r3, _ := utf8.DecodeRuneInString(s[j+n2:])
					if isWordRune(r3) {
						j += n2
						continue
					}
				}
				// A decimal comma ("1,2") is part of the number, not the
				// end of a clause.
				if r2 == ',' && v.voc.decimalComma && j > i && isDigit(s[j-1]) && j+1 < len(s) && isDigit(s[j+1]) {
					j++
					continue
				}
				break
			}
			w := strings.ToLower(strings.ReplaceAll(s[i:j], "’", "'"))
			if v.voc.clause[w] {
				clause++
			} else {
				out = append(out, token{w: w, start: i, end: j, clause: clause})
			}
			i = j
			continue
		}
		// The point of an abbreviation ("Pp.", "p. p.", "z. B.") ends
		// no clause.
		abbrev := r == '.' && len(out) > 0 && out[len(out)-1].end == i && v.voc.abbrevs[out[len(out)-1].w]
		if strings.ContainsRune(".;:!?,", r) && !abbrev {
			clause++
		}
		i += n
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// tokenWords returns the lower-case words of a name.
func (v *verifier) tokenWords(s string) []string {
	var out []string
	for _, t := range v.tokenize(s) {
		out = append(out, t.w)
	}
	return out
}

// mention is a name found in prose.
type mention struct {
	first, last int // token indexes
	subj        *subject
}

// findMentions matches the longest known names at each token, a plural
// "s" allowed on the last word.
func (v *verifier) findMentions(toks []token) (ms []mention, covered []bool) {
	covered = make([]bool, len(toks))
	for i := 0; i < len(toks); {
		matched := false
		for _, ph := range v.phrases {
			n := len(ph.words)
			if i+n > len(toks) || toks[i+n-1].clause != toks[i].clause {
				continue
			}
			ok := true
			for k, w := range ph.words {
				t := toks[i+k].w
				if t != w && !(k == n-1 && (t == w+"s" || t == w+"es")) {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for k := i; k < i+n; k++ {
				covered[k] = true
			}
			if ph.subj != nil {
				ms = append(ms, mention{first: i, last: i + n - 1, subj: ph.subj})
			}
			i += n
			matched = true
			break
		}
		if !matched {
			i++
		}
	}
	return ms, covered
}

// paramVocabulary is plain names of governance parameters that some DAO
// has: naming one the recommendation does not hold is a FindingUnknownParam.
var paramVocabulary = [][]string{
	{"quorum"}, {"proposal", "threshold"}, {"voting", "period"}, {"voting", "delay"}, {"timelock"}, {"time", "lock"},
	{"execution", "delay"}, {"grace", "period"}, {"support", "required"}, {"approval", "threshold"},
	{"support", "threshold"}, {"vote", "differential"}, {"participation", "reward"}, {"voting", "reward"},
	{"quorum", "floor"}, {"quorum", "ceiling"}, {"late", "quorum"}, {"vote", "extension"}, {"veto", "threshold"},
	{"delegation", "threshold"}, {"proposal", "deposit"}, {"proposal", "fee"}, {"cooldown", "period"},
	{"queue", "period"}, {"voting", "power", "cap"},
}

type dirWord struct {
	dir    string // "up", "down", "better", "worse"
	strong bool
}

var directionWords = func() map[string]dirWord {
	m := map[string]dirWord{}
	add := func(dir string, strong bool, words string) {
		for _, w := range strings.Fields(words) {
			m[w] = dirWord{dir, strong}
		}
	}
	add("up", true, "increase increases increased increasing rise rises rose rising risen grow grows grew growing grown raise raises raised raising boost boosts boosted boosting climb climbs climbed climbing lift lifts lifted lifting lengthen lengthens lengthened lengthening extend extends extended extending double doubles doubled doubling")
	add("up", false, "higher more greater larger longer up")
	add("down", true, "decrease decreases decreased decreasing fall falls fell falling fallen drop drops dropped dropping decline declines declined declining reduce reduces reduced reducing reduction cut cuts cutting shrink shrinks shrank shrinking lowers lowered lowering shorten shortens shortened shortening halve halves halved dip dips dipped")
	add("down", false, "lower fewer less smaller shorter down")
	add("better", true, "improve improves improved improving improvement")
	add("better", false, "better")
	add("worse", true, "worsen worsens worsened worsening deteriorate deteriorates deteriorated degrade degrades degraded")
	add("worse", false, "worse")
	return m
}()

var negations = map[string]bool{"not": true, "no": true, "never": true, "without": true, "nor": true, "neither": true,
	"doesn't": true, "don't": true, "isn't": true, "aren't": true, "won't": true, "didn't": true, "cannot": true, "can't": true, "hardly": true}

var hedges = map[string]bool{"may": true, "might": true, "could": true, "would": true, "possibly": true, "perhaps": true,
	"unclear": true, "uncertain": true, "noise": true, "inconclusive": true, "candidate": true, "zero": true, "if": true}

var certaintyWords = map[string]bool{"will": true, "won't": true, "guarantee": true, "guarantees": true, "guaranteed": true,
	"guaranteeing": true, "certainly": true, "ensure": true, "ensures": true, "ensured": true, "ensuring": true,
	"definitely": true, "undoubtedly": true, "surely": true, "inevitably": true, "always": true, "proven": true,
	"proves": true, "assured": true, "assures": true}

func (v *verifier) words(field, text string, toks []token, ms []mention, covered []bool) []Finding {
	var out []Finding
	// Unknown names.
	for i, t := range toks {
		if covered[i] {
			continue
		}
		if strings.Contains(t.w, "_") && strings.IndexFunc(t.w, unicode.IsLetter) >= 0 {
			out = append(out, Finding{Field: field, Kind: FindingUnknownParam, Text: text[t.start:t.end],
				Detail: "no parameter, outcome or metric of this recommendation is called that; the parameters are " + v.paramList()})
		}
	}
	for i := 0; i < len(toks); i++ {
		for _, voc := range v.paramNames() {
			n := len(voc)
			if i+n > len(toks) {
				continue
			}
			ok := true
			for k, w := range voc {
				if covered[i+k] || toks[i+k].w != w && toks[i+k].w != w+"s" {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, Finding{Field: field, Kind: FindingUnknownParam, Text: text[toks[i].start:toks[i+n-1].end],
					Detail: "this recommendation holds no such parameter; the parameters are " + v.paramList()})
				i += n - 1
				break
			}
		}
	}
	for _, m := range ms {
		m.subj.mentioned = true
	}
	// Directions and certainty, clause by clause.
	for i, t := range toks {
		if v.voc.certainty[t.w] || v.future(toks, i) {
			e := v.effectInClause(ms, toks, t.clause)
			if e == nil && (field == "effects" || field == "trade_off") {
				e = &subject{plain: "the simulated effects"} // what these fields are about
			}
			if e != nil {
				out = append(out, Finding{Field: field, Kind: FindingCertainty, Text: v.clauseText(text, toks, t.clause),
					Detail: fmt.Sprintf("%q claims certainty about %s, a simulated estimate; write \"is expected to\" or give the interval", t.w, e.plain)})
			}
		}
		dw, ok := v.voc.directions[t.w]
		if v.voc.inverters[t.w] && i+1 < len(toks) && toks[i+1].clause == t.clause && v.voc.directions[toks[i+1].w].dir != "" {
			continue // "moins élevé": the next word says the direction
		}
		if i > 0 && v.voc.inverters[toks[i-1].w] && toks[i-1].clause == t.clause && !v.voc.inverters[t.w] {
			dw.dir = map[string]string{"up": "down", "down": "up", "better": "worse", "worse": "better"}[dw.dir]
		}
		if !ok || v.negated(toks, i) {
			continue
		}
		s, dist := nearest(ms, toks, i)
		if s == nil || !dw.strong && dist > 2 {
			continue
		}
		if f, bad := v.judgeDirection(field, text, toks, i, dw, s); bad {
			out = append(out, f)
		}
	}
	return out
}

// judgeDirection checks a direction word attached to s.
func (v *verifier) judgeDirection(field, text string, toks []token, i int, dw dirWord, s *subject) (Finding, bool) {
	claim := dw.dir
	if s.param {
		if claim == "better" || claim == "worse" || v.hedged(toks, toks[i].clause) {
			return Finding{}, false
		}
		want := map[string]string{"raise": "up", "lower": "down"}[s.dir]
		if claim == want {
			return Finding{}, false
		}
		cur := v.byID["param."+factKey(s.code)+".current"].Text
		rec := v.byID["param."+factKey(s.code)+".recommended"].Text
		what := fmt.Sprintf("the proposal keeps %s at %s", s.plain, cur)
		if s.dir != "keep" {
			what = fmt.Sprintf("the proposal moves %s from %s to %s (%s)", s.plain, cur, rec, s.dir)
		}
		return Finding{Field: field, Kind: FindingDirection, Text: v.clauseText(text, toks, toks[i].clause),
			Detail: fmt.Sprintf("%q says %s goes %s, but %s", toks[i].w, s.plain, claim, what)}, true
	}
	switch claim {
	case "better", "worse":
		switch s.better {
		case "maximize":
			claim = map[string]string{"better": "up", "worse": "down"}[claim]
		case "minimize":
			claim = map[string]string{"better": "down", "worse": "up"}[claim]
		default:
			return Finding{}, false
		}
	}
	want := map[string]string{"rises": "up", "falls": "down"}[s.dir]
	if claim == want {
		return Finding{}, false
	}
	interval := v.intervalText(s)
	if s.dir == "unclear" {
		if v.hedged(toks, toks[i].clause) {
			return Finding{}, false
		}
		return Finding{Field: field, Kind: FindingCertainty, Text: v.clauseText(text, toks, toks[i].clause),
			Detail: fmt.Sprintf("%q claims %s goes %s, but its interval (%s) includes zero: say there is no clear change", toks[i].w, s.plain, claim, interval)}, true
	}
	return Finding{Field: field, Kind: FindingDirection, Text: v.clauseText(text, toks, toks[i].clause),
		Detail: fmt.Sprintf("%q says %s goes %s, but its interval (%s) says it %s", toks[i].w, s.plain, claim, interval, s.dir)}, true
}

func (v *verifier) intervalText(s *subject) string {
	pre := "effect." + factKey(s.code)
	if s.plain == "combined score" {
		pre = "score"
	}
	lo, hi := v.byID[pre+".diff_lo"], v.byID[pre+".diff_hi"]
	if lo.ID == "" || hi.ID == "" {
		return "no interval recorded"
	}
	return fmt.Sprintf("%s to %s, {{%s}} to {{%s}}", lo.Text, hi.Text, lo.ID, hi.ID)
}

// nearest returns the subject named nearest to token i in its clause,
// and the distance in words; on a tie the one after wins ("raising the
// quorum lowers turnout").
func nearest(ms []mention, toks []token, i int) (*subject, int) {
	var best *subject
	bestD := math.MaxInt
	for _, m := range ms {
		if toks[m.first].clause != toks[i].clause {
			continue
		}
		var d int
		after := m.first > i
		switch {
		case after:
			d = m.first - i
		case m.last < i:
			d = i - m.last
		default:
			continue // the direction word is inside the name ("lower" in a name)
		}
		if d < bestD || d == bestD && after {
			best, bestD = m.subj, d
		}
	}
	return best, bestD
}

func (v *verifier) negated(toks []token, i int) bool {
	for k := max(0, i-3); k < i; k++ {
		if toks[k].clause == toks[i].clause && (v.voc.negations[toks[k].w] || strings.HasSuffix(toks[k].w, "n't")) {
			return true
		}
	}
	return false
}

func (v *verifier) hedged(toks []token, clause int) bool {
	for _, t := range toks {
		if t.clause == clause && v.voc.hedges[t.w] {
			return true
		}
	}
	return false
}

// future reports whether token i is a future auxiliary ("wird") that,
// with an infinitive of direction in its clause ("steigen") and nothing
// that softens it ("voraussichtlich"), claims certainty: "die
// Wahlbeteiligung wird steigen" is "turnout will rise".
func (v *verifier) future(toks []token, i int) bool {
	if !v.voc.futureAux[toks[i].w] {
		return false
	}
	verb := false
	for _, t := range toks {
		if t.clause != toks[i].clause {
			continue
		}
		if v.voc.softeners[t.w] || v.voc.hedges[t.w] {
			return false
		}
		verb = verb || v.voc.futureVerbs[t.w]
	}
	return verb
}

// paramNames are the governance parameters' plain names the verifier
// knows: English's, and the draft's language's.
func (v *verifier) paramNames() [][]string {
	if v.voc == vocabs["en"] {
		return paramVocabulary
	}
	return append(slices.Clone(paramVocabulary), v.voc.params...)
}

// effectInClause returns an outcome (not a parameter) named in the clause.
func (v *verifier) effectInClause(ms []mention, toks []token, clause int) *subject {
	for _, m := range ms {
		if !m.subj.param && toks[m.first].clause == clause {
			return m.subj
		}
	}
	for _, t := range toks {
		if t.clause != clause {
			continue
		}
		for _, p := range v.voc.effectWords {
			if strings.HasPrefix(t.w, p) {
				return &subject{plain: "the simulated effects"}
			}
		}
	}
	return nil
}

// clauseText returns the clause's text for a finding.
func (v *verifier) clauseText(text string, toks []token, clause int) string {
	first, last := -1, -1
	for k, t := range toks {
		if t.clause == clause {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if first < 0 {
		return ""
	}
	return truncate(text[toks[first].start:toks[last].end], 120)
}

func (v *verifier) paramList() string {
	var s []string
	for _, p := range v.rec.Params {
		s = append(s, fmt.Sprintf("%s (%s)", plainName(p.Name), p.Name))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// missing reports the changed parameters no field names.
func (v *verifier) missing(fields []string) []Finding {
	var out []Finding
	for _, p := range v.rec.Params {
		s := v.subject["p:"+p.Name]
		if s == nil || !s.changed || s.mentioned {
			continue
		}
		out = append(out, Finding{Field: "", Kind: FindingMissingParam, Text: p.Name,
			Detail: fmt.Sprintf("the proposal changes %s (%s) from %s to %s, but no field names it; say so, citing {{param.%s.current}} and {{param.%s.recommended}}",
				s.plain, p.Name, v.byID["param."+factKey(p.Name)+".current"].Text, v.byID["param."+factKey(p.Name)+".recommended"].Text, factKey(p.Name), factKey(p.Name))})
	}
	return out
}

// dedupe drops repeated findings, keeping the first.
func dedupe(fs []Finding) []Finding {
	seen := map[Finding]bool{}
	var out []Finding
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
