package oracle

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// numKind is what a literal number is written as.
type numKind int

const (
	numPlain   numKind = iota // 9, 250,000, $31.20, 1.2M
	numPercent                // 5%, 5 percent
	numPoints                 // +1.2 pp, 1.2 percentage points
	numDate                   // 2025-06-30, June 30, 2025, June 2025
)

// literal is one number written in prose.
type literal struct {
	start, end int    // byte offsets of the literal in the text
	text       string // as written, suffix included
	// value is the number as written, sign and multiplier (k, M) applied;
	// half is half of the last written digit's place, multiplier applied:
	// the rounding the writer claims.
	value, half float64
	signed      bool // an explicit + or - was written
	kind        numKind
	ordinal     bool // 1st, 10th
	year        bool // a bare four-digit integer from 1900 to 2100
	spelled     bool // written as a word ("nine days")
	sig         int  // significant digits written (1 for "7", "0.7" and "700")
	// foreign is true when a number in a decimal-comma language also has
	// a point before digits that are no thousands group ("12.5", the
	// English "1,234.5"): it is written in neither convention.
	foreign  bool
	unitWord string
	// For a date: the date as YYYYMMDD, or YYYYMM00 for a month, or
	// YYYY0000 for a year; dateText is the text to quote.
	date int
}

var months = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
	"oct": 10, "nov": 11, "dec": 12,
}

const monthRE = `(?i:(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?)`

var (
	isoDateRE       = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`)
	monthDayYearRE  = regexp.MustCompile(`\b` + monthRE + `\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	dayMonthYearRE  = regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th)?\s+` + monthRE + `,?\s+(\d{4})\b`)
	monthYearRE     = regexp.MustCompile(`\b` + monthRE + `,?\s+(\d{4})\b`)
	spelledNumberRE = regexp.MustCompile(`(?i)\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](one|two|three|four|five|six|seven|eight|nine))?\s+(days?|weeks?|months?|years?|percent|per cent|percentage points?|tokens?|proposals?|voters?|holders?|replications?|trials?|searches|parameters?|outcomes?)\b`)
)

var spelledValues = map[string]float64{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
	"forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

// scanNumbers returns the numbers written in s, in order: dates first
// become single literals of kind numDate, then digits (with signs,
// thousands separators, decimals, exponents, %, pp, k/M/bn multipliers
// and ordinal endings), then spelled-out numbers followed by a unit word.
// Digits glued to a preceding letter or underscore ("p10", "v2", "ERC20")
// are part of a name, not numbers.
func scanNumbers(s string) []literal { return scanNumbersIn(s, "") }

// scanNumbersIn is scanNumbers reading digits in the convention of lang
// (see numberStyleOf); "" and en read English numbers.
func scanNumbersIn(s, lang string) []literal {
	st := numberStyleOf(lang)
	var out []literal
	taken := make([]bool, len(s))
	mark := func(a, b int) {
		for i := a; i < b; i++ {
			taken[i] = true
		}
	}
	free := func(a, b int) bool {
		for i := a; i < b; i++ {
			if taken[i] {
				return false
			}
		}
		return true
	}
	addDate := func(a, b, y, mo, d int) {
		if !free(a, b) || mo < 0 || mo > 12 || d < 0 || d > 31 {
			return
		}
		out = append(out, literal{start: a, end: b, text: s[a:b], kind: numDate, date: y*10000 + mo*100 + d})
		mark(a, b)
	}
	for _, m := range isoDateRE.FindAllStringSubmatchIndex(s, -1) {
		y, _ := strconv.Atoi(s[m[2]:m[3]])
		mo, _ := strconv.Atoi(s[m[4]:m[5]])
		d, _ := strconv.Atoi(s[m[6]:m[7]])
		if mo >= 1 && d >= 1 {
			addDate(m[0], m[1], y, mo, d)
		}
	}
	for _, m := range monthDayYearRE.FindAllStringSubmatchIndex(s, -1) {
		mo := months[strings.ToLower(s[m[2]:m[3]])]
		d, _ := strconv.Atoi(s[m[4]:m[5]])
		y, _ := strconv.Atoi(s[m[6]:m[7]])
		if d >= 1 {
			addDate(m[0], m[1], y, mo, d)
		}
	}
	for _, m := range dayMonthYearRE.FindAllStringSubmatchIndex(s, -1) {
		d, _ := strconv.Atoi(s[m[2]:m[3]])
		mo := months[strings.ToLower(s[m[4]:m[5]])]
		y, _ := strconv.Atoi(s[m[6]:m[7]])
		if d >= 1 {
			addDate(m[0], m[1], y, mo, d)
		}
	}
	for _, m := range monthYearRE.FindAllStringSubmatchIndex(s, -1) {
		mo := months[strings.ToLower(s[m[2]:m[3]])]
		y, _ := strconv.Atoi(s[m[4]:m[5]])
		addDate(m[0], m[1], y, mo, 0)
	}
	// The language's own written dates: group 1 is the date.
	if re := st.voc.dates.dayMonthYear; re != nil {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			d, _ := strconv.Atoi(s[m[4]:m[5]])
			mo := st.voc.months[strings.ToLower(s[m[6]:m[7]])]
			y, _ := strconv.Atoi(s[m[8]:m[9]])
			if d >= 1 && mo >= 1 {
				addDate(m[2], m[3], y, mo, d)
			}
		}
	}
	if re := st.voc.dates.monthYear; re != nil {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			mo := st.voc.months[strings.ToLower(s[m[4]:m[5]])]
			y, _ := strconv.Atoi(s[m[6]:m[7]])
			if mo >= 1 {
				addDate(m[2], m[3], y, mo, 0)
			}
		}
	}
	for i := 0; i < len(s); {
		if taken[i] {
			i++
			continue
		}
		lit, end, ok := scanDigits(s, i, st)
		if !ok {
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
			continue
		}
		if free(lit.start, end) {
			out = append(out, lit)
			mark(lit.start, end)
		}
		i = end
	}
	for _, m := range spelledNumberRE.FindAllStringSubmatchIndex(s, -1) {
		if !free(m[0], m[1]) {
			continue
		}
		v := spelledValues[strings.ToLower(s[m[2]:m[3]])]
		if m[4] >= 0 {
			v += spelledValues[strings.ToLower(s[m[4]:m[5]])]
		}
		unit := strings.ToLower(s[m[6]:m[7]])
		kind := numPlain
		switch {
		case strings.HasPrefix(unit, "percentage"):
			kind = numPoints
		case strings.HasPrefix(unit, "per"):
			kind = numPercent
		}
		out = append(out, literal{start: m[0], end: m[7], text: s[m[0]:m[7]], value: v, half: 0.5, kind: kind,
			spelled: true, unitWord: st.voc.unitOf(unit)})
		mark(m[0], m[1])
	}
	sortLiterals(out)
	// In a range ("+0.2 to +1.0 pp", "7-9 days", "between 5 and 6%", in
	// es "de +0,2 a +1,0 pp") the first number takes the second's kind and
	// unit word.
	for i := 0; i+1 < len(out); i++ {
		a, b := &out[i], &out[i+1]
		if a.kind != numPlain || b.kind == numDate || a.spelled || b.spelled || a.end > b.start {
			continue
		}
		switch between := strings.TrimSpace(s[a.end:b.start]); {
		case between == "to" || between == "-" || between == "–" || between == "—" || between == "and",
			slices.Contains(st.rangeWords, strings.ToLower(between)):
			if b.kind != numPlain && b.kind != numDate {
				a.kind = b.kind
			}
			if a.unitWord == "" {
				a.unitWord = b.unitWord
			}
		}
	}
	return out
}

func sortLiterals(ls []literal) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].start < ls[j-1].start; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// numberStyle is how a language writes the digits of a number.
type numberStyle struct {
	// comma is true for a decimal comma: then '.', a space, a no-break
	// space (U+00A0) or a narrow no-break space (U+202F) separates
	// thousands, '.' is never a decimal point, and a percent sign may
	// follow after a space ("12,5 %"). False is English: ',' separates
	// thousands and '.' is the decimal point.
	comma bool
	// rangeWords join the ends of a range besides English's "to" and
	// "and" and dashes ("bis", "und" in de).
	rangeWords []string
	// voc is the language's vocabulary: its unit, percentage and month
	// words.
	voc *vocab
}

// numberStyleOf returns the convention numbers are read in for lang, an
// ISO 639-1 code with an optional region: a decimal comma for de, es, fr,
// it and pt, English for en, "" and any other language (as FormatNumber
// writes them).
func numberStyleOf(lang string) numberStyle {
	voc := vocabOf(lang)
	switch base := baseLanguage(lang); base {
	case "de", "es", "fr", "it", "pt":
		return numberStyle{comma: true, rangeWords: voc.rangeWords, voc: voc}
	}
	return numberStyle{voc: voc}
}

// groupSep returns the byte length of the thousands separator at s[j] in
// st's convention, or 0 when there is none.
func (st numberStyle) groupSep(s string, j int) int {
	if !st.comma {
		if j < len(s) && s[j] == ',' {
			return 1
		}
		return 0
	}
	switch {
	case j < len(s) && (s[j] == '.' || s[j] == ' '):
		return 1
	case strings.HasPrefix(s[j:], "\u00a0"):
		return len("\u00a0")
	case strings.HasPrefix(s[j:], "\u202f"):
		return len("\u202f")
	}
	return 0
}

// decimalPoint is the byte st writes before decimals.
func (st numberStyle) decimalPoint() byte {
	if st.comma {
		return ','
	}
	return '.'
}

// scanDigits reads one number starting at s[i] (a digit, or in English a
// point before a digit), with the sign just before it, in st's
// convention. It returns the literal and the index just past it (past the
// whole glued word when it is part of a name, with ok false).
func scanDigits(s string, i int, st numberStyle) (literal, int, bool) {
	c := s[i]
	if !(isDigit(c) || !st.comma && c == '.' && i+1 < len(s) && isDigit(s[i+1])) {
		return literal{}, i, false
	}
	// Glued to a name: skip the whole word.
	if prev, _ := utf8.DecodeLastRuneInString(s[:i]); i > 0 && (unicode.IsLetter(prev) || prev == '_' || isDigit(byte(prev)) && prev < utf8.RuneSelf) {
		j := i
		for j < len(s) && (isWordByte(s[j]) || s[j] == '.' && j+1 < len(s) && isDigit(s[j+1])) {
			j++
		}
		return literal{}, max(j, i+1), false
	}
	if c == '.' && i > 0 && isDigit(s[i-1]) {
		return literal{}, i + 1, false
	}
	dp := st.decimalPoint()
	start := i
	signed, neg := false, false
	if i > 0 {
		prev, n := utf8.DecodeLastRuneInString(s[:i])
		if prev == '+' || prev == '-' || prev == '−' {
			before, _ := utf8.DecodeLastRuneInString(s[:i-n])
			if i-n == 0 || unicode.IsSpace(before) || strings.ContainsRune("([{\"'~≈:=", before) {
				signed, neg = true, prev != '+'
				start = i - n
			}
		}
		if !signed && prev == '$' {
			start = i - n
		}
	}
	j := i
	intDigits := 0
	for j < len(s) && isDigit(s[j]) {
		j++
		intDigits++
	}
	// Thousands groups: ",ddd" (in English) not followed by another
	// digit, every group with the same separator.
	num := strings.Builder{}
	num.WriteString(s[i:j])
	if intDigits >= 1 && intDigits <= 3 {
		sep := ""
		for {
			n := st.groupSep(s, j)
			if n == 0 || sep != "" && s[j:j+n] != sep {
				break
			}
			g := j + n
			if !(g+3 <= len(s) && isDigit(s[g]) && isDigit(s[g+1]) && isDigit(s[g+2]) && (g+3 == len(s) || !isDigit(s[g+3]))) {
				break
			}
			sep = s[j : j+n]
			num.WriteString(s[g : g+3])
			j = g + 3
		}
	}
	decimals := 0
	if j+1 < len(s) && s[j] == dp && isDigit(s[j+1]) {
		k := j + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		decimals = k - j - 1
		num.WriteString("." + s[j+1:k])
		j = k
	}
	// In a decimal-comma language a point before digits that are no
	// group is English ("12.5"): the literal runs on, marked foreign.
	foreign := false
	if st.comma && j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		foreign = true
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	exp := 0
	if j+1 < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			e0 := k
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			exp, _ = strconv.Atoi(strings.TrimPrefix(s[j+1:k], "+"))
			_ = e0
			j = k
		}
	}
	v, err := strconv.ParseFloat(num.String(), 64)
	if err != nil {
		return literal{}, max(j, i+1), false
	}
	exp = max(-300, min(300, exp))
	half := 0.5 * math.Pow(10, float64(exp-decimals))
	v *= math.Pow(10, float64(exp))
	lit := literal{start: start, value: v, half: half, signed: signed, sig: sigDigits(num.String()), foreign: foreign}
	// Suffixes: the language's words for percentage points and per
	// cent, then English's.
	rest := s[j:]
	if n, kind := st.voc.kindWord(rest); n > 0 {
		lit.kind = kind
		j += n
		rest = ""
	}
	switch {
	case rest == "":
	case strings.HasPrefix(rest, "%"):
		lit.kind = numPercent
		j++
	case st.comma && spacedPercent(rest) > 0:
		lit.kind = numPercent
		j += spacedPercent(rest)
	case hasWordPrefix(rest, " pp") || hasWordPrefix(rest, "pp") || hasWordPrefix(rest, " p.p."):
		lit.kind = numPoints
		j += len(rest) - len(strings.TrimLeft(rest, " ")) + 2
		if strings.HasPrefix(strings.TrimLeft(rest, " "), "p.p.") {
			j += 2
		}
	case hasWordPrefixFold(rest, " percentage point"):
		lit.kind = numPoints
		j += len(" percentage point")
		if j < len(s) && s[j] == 's' {
			j++
		}
	case hasWordPrefixFold(rest, " percent") || hasWordPrefixFold(rest, " per cent"):
		lit.kind = numPercent
		if hasWordPrefixFold(rest, " percent") {
			j += len(" percent")
		} else {
			j += len(" per cent")
		}
	case hasWordPrefix(rest, "k") || hasWordPrefix(rest, "K") || hasWordPrefixFold(rest, " thousand"):
		lit.value, lit.half = v*1e3, half*1e3
		if rest[0] == ' ' {
			j += len(" thousand")
		} else {
			j++
		}
	case hasWordPrefix(rest, "M") || hasWordPrefix(rest, "m") || hasWordPrefixFold(rest, " million") || hasWordPrefix(rest, "mn"):
		lit.value, lit.half = v*1e6, half*1e6
		switch {
		case rest[0] == ' ':
			j += len(" million")
		case strings.HasPrefix(rest, "mn"):
			j += 2
		default:
			j++
		}
	case hasWordPrefix(rest, "bn") || hasWordPrefix(rest, "B") || hasWordPrefixFold(rest, " billion"):
		lit.value, lit.half = v*1e9, half*1e9
		switch {
		case rest[0] == ' ':
			j += len(" billion")
		case rest[0] == 'b':
			j += 2
		default:
			j++
		}
	case hasWordPrefix(rest, "st") || hasWordPrefix(rest, "nd") || hasWordPrefix(rest, "rd") || hasWordPrefix(rest, "th"):
		lit.ordinal = true
		j += 2
	}
	if neg {
		lit.value = -lit.value
	}
	lit.year = !signed && lit.kind == numPlain && !lit.ordinal && decimals == 0 && exp == 0 && j-i == 4 && v >= 1900 && v <= 2100
	lit.end = j
	lit.text = s[start:j]
	lit.unitWord = st.voc.unitOf(firstWord(s[j:]))
	// A number glued to other letters ("9days", "2x") still counts.
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	return lit, j, true
}

// spacedPercent returns the length of a percent sign after one space,
// no-break space or narrow no-break space at the start of s ("\u00a0%"),
// or 0.
func spacedPercent(s string) int {
	for _, sp := range []string{" %", "\u00a0%", "\u202f%"} {
		if strings.HasPrefix(s, sp) {
			return len(sp)
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// hasWordPrefix reports whether s starts with p and p ends a word there.
func hasWordPrefix(s, p string) bool {
	if !strings.HasPrefix(s, p) {
		return false
	}
	rest := s[len(p):]
	return rest == "" || !isWordByte(rest[0])
}

func hasWordPrefixFold(s, p string) bool {
	if len(s) < len(p) || !strings.EqualFold(s[:len(p)], p) {
		return false
	}
	rest := s[len(p):]
	return rest == "" || !isWordByte(rest[0]) || rest[0] == 's'
}

// firstWord returns the first word (letters) of s after spaces, lower
// case.
func firstWord(s string) string {
	s = strings.TrimLeft(s, " \u00a0\u202f")
	end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(s)
	}
	return strings.ToLower(s[:end])
}

// kindWord returns the length of the language's word for percentage
// points or per cent at the start of s (after a space, which may be a
// no-break one) and the kind it makes a number, or 0.
func (vc *vocab) kindWord(s string) (int, numKind) {
	sp := 0
	for _, space := range []string{" ", "\u00a0", "\u202f"} {
		if strings.HasPrefix(s, space) {
			sp = len(space)
			break
		}
	}
	if sp == 0 {
		return 0, numPlain
	}
	for _, c := range []struct {
		words []string
		kind  numKind
	}{{vc.points, numPoints}, {vc.percent, numPercent}} {
		for _, w := range c.words {
			w = w[1:] // the list writes the space as " "
			rest := s[sp:]
			if len(rest) < len(w) || !strings.EqualFold(rest[:len(w)], w) {
				continue
			}
			after, _ := utf8.DecodeRuneInString(rest[len(w):])
			if len(rest) == len(w) || strings.HasSuffix(w, ".") || !unicode.IsLetter(after) && !unicode.IsDigit(after) {
				return sp + len(w), c.kind
			}
		}
	}
	return 0, numPlain
}

// sigDigits counts the significant digits of a plain decimal number:
// leading zeros do not count, nor do trailing zeros of a whole number.
func sigDigits(num string) int {
	intPart, frac, _ := strings.Cut(num, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	if frac == "" {
		digits = strings.TrimRight(digits, "0")
	}
	return max(1, len(digits))
}
