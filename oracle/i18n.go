package oracle

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Languages are the prose languages attune drafts in, by ISO 639-1 code:
// the same list as config.Languages. Each has every message of the
// English catalog (a test checks the keys and their placeholders).
var Languages = []string{"de", "en", "es", "fr", "it", "pt"}

// locale is one prose language: its messages and its plural rule.
//
// A message is a template with named placeholders, "{name}", filled by
// f: word order is the language's own, and every language has the same
// keys with the same placeholders. Numbers are written by the helpers
// below in English first (sig, rangeDigits, FormatValue's rules) and
// then put in the language's convention (localizeNumerals), so the
// digits and the rounding are the same in every language.
type locale struct {
	code string
	msgs map[string]string
	// one reports whether n takes a message's ".one" form (CLDR's plural
	// category "one"; every other count takes ".other").
	one func(n int) bool
}

// locales holds the languages by code.
var locales = map[string]*locale{
	"en": {code: "en", msgs: messagesEN, one: func(n int) bool { return n == 1 }},
	"de": {code: "de", msgs: messagesDE, one: func(n int) bool { return n == 1 }},
	"es": {code: "es", msgs: messagesES, one: func(n int) bool { return n == 1 }},
	"fr": {code: "fr", msgs: messagesFR, one: func(n int) bool { return n == 0 || n == 1 }},
	"it": {code: "it", msgs: messagesIT, one: func(n int) bool { return n == 1 }},
	"pt": {code: "pt", msgs: messagesPT, one: func(n int) bool { return n == 0 || n == 1 }},
}

// localeFor returns the locale of lang, an ISO 639-1 code with an
// optional region ("pt-BR" is pt); English for "" and for a language
// attune does not draft in.
func localeFor(lang string) *locale {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(lang)), "-")
	if l, ok := locales[base]; ok {
		return l
	}
	return locales["en"]
}

// baseLanguage returns lang's base code when attune drafts in it ("de"
// for "de-AT"), "en" otherwise.
func baseLanguage(lang string) string { return localeFor(lang).code }

func (l *locale) en() bool { return l.code == "en" }

// msg returns the message key, the English one when the language lacks
// it (a test keeps that from happening), or the key itself.
func (l *locale) msg(key string) string {
	if s, ok := l.msgs[key]; ok {
		return s
	}
	if s, ok := messagesEN[key]; ok {
		return s
	}
	return key
}

// f fills the message key's placeholders from kv, pairs of a name and a
// value. A placeholder without a value is left as written; values are
// inserted as they are, never read as templates.
func (l *locale) f(key string, kv ...string) string { return fill(l.msg(key), kv...) }

// plural is f of key+".one" or key+".other", as n takes.
func (l *locale) plural(key string, n int, kv ...string) string {
	if l.one(n) {
		return l.f(key+".one", kv...)
	}
	return l.f(key+".other", kv...)
}

// fill replaces each {name} of tmpl with its value in kv.
func fill(tmpl string, kv ...string) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	var b strings.Builder
	for i := 0; i < len(tmpl); {
		if tmpl[i] == '{' {
			if j := strings.IndexByte(tmpl[i:], '}'); j > 1 && isPlaceholder(tmpl[i+1:i+j]) {
				name := tmpl[i+1 : i+j]
				if v, ok := lookup(kv, name); ok {
					b.WriteString(v)
					i += j + 1
					continue
				}
			}
		}
		b.WriteByte(tmpl[i])
		i++
	}
	return b.String()
}

func lookup(kv []string, name string) (string, bool) {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == name {
			return kv[i+1], true
		}
	}
	return "", false
}

// isPlaceholder reports whether s is a placeholder's name: lower-case
// letters and underscores.
func isPlaceholder(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return s != ""
}

// placeholders returns the names of tmpl's placeholders, in order.
func placeholders(tmpl string) []string {
	var out []string
	for i := 0; i < len(tmpl); i++ {
		if tmpl[i] != '{' {
			continue
		}
		if j := strings.IndexByte(tmpl[i:], '}'); j > 1 && isPlaceholder(tmpl[i+1:i+j]) {
			out = append(out, tmpl[i+1:i+j])
			i += j
		}
	}
	return out
}

// num writes the English-convention numbers of s in the language's
// convention.
func (l *locale) num(s string) string {
	if l.en() {
		return s
	}
	return localizeNumerals(l.code, s)
}

// itoa writes a count: digits only, no grouping, in every language.
func itoa(n int) string { return strconv.Itoa(n) }

// pct writes English digits as a percentage: "12.5%", "12,5 %" in de.
func (l *locale) pct(digits string) string { return l.num(digits) + l.msg("unit.percent") }

// percent writes a fraction as a percentage with up to three significant
// digits: 0.04 is "4%", 0.0025 is "0.25%".
func (l *locale) percent(v float64) string { return l.pct(sig(v*100, 3)) }

// pct0 writes a share as a whole percentage.
func (l *locale) pct0(x float64) string { return l.pct(strconv.FormatFloat(x*100, 'f', 0, 64)) }

// points writes an absolute difference of two shares in percentage
// points, signed: "+1.2 pp".
func (l *locale) points(x float64) string {
	return l.num(strings.TrimSuffix(formatPoints(x), " pp")) + l.msg("unit.pp")
}

// rel writes a relative change as a signed percentage ("+25.0%").
func (l *locale) rel(r float64) string {
	s := formatRel(r)
	if d, ok := strings.CutSuffix(s, "%"); ok {
		return l.pct(d)
	}
	return s
}

// tolerance writes a relative tolerance as a percentage ("10.0%").
func (l *locale) tolerance(tol float64) string {
	return l.pct(strings.TrimSuffix(tolerance(tol), "%"))
}

// levelWords is "90%" for a level of 0.9, and the word for "confidence"
// when the level is not a probability.
func (l *locale) levelWords(level float64) string {
	if !(level > 0 && level < 1) {
		return l.msg("word.confidence")
	}
	return l.pct(sig(level*100, 3))
}

// joinAnd joins items as "a", "a and b" or "a, b and c".
func (l *locale) joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + l.msg("list.and") + " " + items[len(items)-1]
}

// date writes t as YYYY-MM-DD in UTC, or the word for "unknown".
func (l *locale) date(t time.Time) string {
	if t.IsZero() {
		return l.msg("word.unknown")
	}
	return date(t)
}

// orUnknown is s on one line, or the words for "not recorded".
func (l *locale) orUnknown(s string) string {
	if s = oneLine(s); s == "" {
		return l.msg("word.not_recorded")
	}
	return s
}

// name is a parameter's or outcome's plain name in the language ("voting
// period"); a name attune does not know is written with spaces for
// underscores.
func (l *locale) name(code string) string {
	if s, ok := l.msgs["name."+code]; ok {
		return s
	}
	return plainName(code)
}

// the is the name as a sentence's subject or object: "the voting
// period", "die Abstimmungsdauer". English writes outcomes bare
// ("turnout is expected to rise"); a name attune does not know is bare
// in every language.
func (l *locale) the(code string) string {
	if s, ok := l.msgs["the."+code]; ok {
		return s
	}
	return l.name(code)
}

// held says in words why a parameter was left alone.
func (l *locale) held(reason string) string {
	if s, ok := l.msgs["held."+reason]; ok {
		return s
	}
	return strings.ReplaceAll(reason, "_", " ")
}

// verdict is an Effect's verdict in words.
func (l *locale) verdict(e Effect) string {
	v := e.Verdict()
	return l.msg("verdict." + strings.ReplaceAll(v, " ", "_"))
}

// formatValue is FormatValue in the language: its numbers in the
// language's convention, its unit words and percent sign the language's.
func (l *locale) formatValue(v float64, unit string, integer bool) string {
	num, suffix := l.formatParts(v, unit, integer, false)
	return num + suffix
}

// formatDelta is formatDelta in the language.
func (l *locale) formatDelta(v float64, unit string) string {
	num, suffix := l.formatParts(v, unit, false, true)
	return num + suffix
}

// formatParts is formatParts in the language.
func (l *locale) formatParts(v float64, unit string, integer, signed bool) (num, suffix string) {
	num, suffix = formatParts(v, unit, integer, signed)
	if l.en() {
		return num, suffix
	}
	st, known := unitStyles[unit]
	if !known {
		if key, ok := otherUnits[unit]; ok {
			if strings.TrimPrefix(num, "-") == "1" {
				return l.num(num), l.msg("unit." + key + ".one")
			}
			return l.num(num), l.msg("unit." + key + ".other")
		}
		return l.num(num), suffix
	}
	switch {
	case signed && st.deltaPre != "":
		num = l.num(strings.TrimSuffix(num, st.deltaPre)) + l.msg("unit.pp")
	case st.pre == "%":
		num = l.pct(strings.TrimSuffix(num, "%"))
	default:
		num = l.num(num)
	}
	if st.key != "" {
		if suffix == st.singular && st.singular != "" {
			suffix = l.msg("unit." + st.key + ".one")
		} else {
			suffix = l.msg("unit." + st.key + ".other")
		}
	}
	return num, suffix
}

// otherUnits are units the models report that FormatValue writes as a
// plain number and the unit ("4.75 voters"): another language writes its
// own words for them, the messages "unit.<key>.one" and ".other".
var otherUnits = map[string]string{"voters": "voters", "USD per month": "usd_per_month"}

// symbolOr is the token's symbol, or the word for tokens when it is
// unknown.
func (l *locale) symbolOr(m Method) string {
	if s := oneLine(m.TokenSymbol); s != "" {
		return s
	}
	return l.msg("word.tokens")
}

// tokens writes an amount of tokens with its symbol: "15,000 COMP".
func (l *locale) tokens(m Method, x float64) string {
	var n string
	if math.Abs(x) >= 100 {
		n = groupThousands(strconv.FormatFloat(math.Round(math.Abs(x)), 'f', 0, 64))
		if x < 0 {
			n = "-" + n
		}
	} else {
		n = sig(x, 3)
	}
	return l.num(n) + " " + l.symbolOr(m)
}

// plainValue writes a parameter value for the post's table: "0.25%
// (25,000 COMP)", "3 days", "50%", "4.7 COMP per vote".
func (l *locale) plainValue(m Method, v float64, unit string, integer bool) string {
	switch {
	case isFractionOfSupply(unit):
		out := l.percent(v)
		if unit != "fraction of supply" {
			out += l.msg("unit.of") + strings.TrimPrefix(unit, "fraction of ")
		}
		if m.Supply > 0 && v != 0 && unit == "fraction of supply" {
			out += " (" + l.tokens(m, v*m.Supply) + ")"
		}
		return out
	case isShare(unit):
		return l.percent(v)
	case unit == "days":
		if integer {
			v = math.Round(v)
		}
		if v == 1 {
			return l.num("1") + l.msg("unit.days.one")
		}
		return l.num(sig(v, 3)) + l.msg("unit.days.other")
	case unit == "tokens per vote":
		return l.num(sig(v, 3)) + " " + l.symbolOr(m) + l.msg("unit.per_vote")
	case unit == "tokens":
		return l.tokens(m, v)
	}
	return l.formatValue(v, unit, integer)
}

// deltaUnit returns the scale and the words of a difference in unit:
// points of supply for a fraction of supply, percentage points for a
// share.
func (l *locale) deltaUnit(m Method, unit string) (scale float64, words string) {
	switch {
	case unit == "fraction of supply":
		return 100, l.msg("delta.points_of_supply")
	case isFractionOfSupply(unit):
		return 100, l.f("delta.points_of", "what", strings.TrimPrefix(unit, "fraction of "))
	case isShare(unit):
		return 100, l.msg("delta.points")
	case unit == "tokens":
		return 1, l.symbolOr(m)
	case unit == "tokens per month":
		return 1, l.symbolOr(m) + l.msg("unit.per_month")
	case unit == "USD per month":
		return 1, l.msg("delta.usd_month")
	}
	if st, ok := unitStyles[unit]; ok && st.key != "" && !l.en() {
		return 1, strings.TrimSpace(l.msg("unit." + st.key + ".other"))
	}
	return 1, unit
}

// rangeDigits is rangeDigits with the numbers in the language's
// convention.
func (l *locale) rangeDigits(lo, hi float64) (string, string) {
	a, b := rangeDigits(lo, hi)
	return l.num(a), l.num(b)
}

// changePhrase says in words how an effect's difference moves: "rise by
// about 0.4 to 0.9 points of supply", "fall by about 2 percentage
// points"; ok is false when its interval spans zero.
func (l *locale) changePhrase(m Method, e Effect) (string, bool) {
	lo, hi := e.Difference.CI.Lo, e.Difference.CI.Hi
	key := "change.rise"
	switch {
	case lo > 0:
	case hi < 0:
		key, lo, hi = "change.fall", -hi, -lo
	default:
		return "", false
	}
	scale, words := l.deltaUnit(m, e.Unit)
	a, b := l.rangeDigits(lo*scale, hi*scale)
	amount := l.f("amount.range", "lo", a, "hi", b)
	if a == b {
		amount = a
	}
	if words != "" {
		amount += " " + words
	}
	return l.f(key, "amount", amount), true
}

// observedValue writes an observed calibration value in words: rates as
// percentages, turnout as a percentage of supply.
func (l *locale) observedValue(r FitRow) string {
	switch {
	case strings.HasPrefix(r.Metric, "turnout"):
		return l.percent(r.Observed) + l.msg("unit.of_supply.other")
	case r.Absolute || strings.HasSuffix(r.Metric, "_rate") || strings.HasSuffix(r.Metric, "_share"):
		return l.percent(r.Observed)
	}
	return l.num(sig(r.Observed, 3))
}

// collapseSpace joins the words of s with single spaces, as strings.Fields
// would, but keeps no-break spaces (U+00A0, U+2007, U+202F), which bind a
// number to its unit or its groups ("12,5 %", "1 234" in fr).
func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, breakingSpace), " ")
}

func breakingSpace(r rune) bool {
	return unicode.IsSpace(r) && r != '\u00a0' && r != '\u2007' && r != '\u202f'
}
