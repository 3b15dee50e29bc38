package oracle

import (
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// FormatNumber writes x with digits decimals (0 to 15; outside that range
// the nearest) in the convention of lang, an ISO 639-1 code: a decimal
// point and comma groups for en ("1,234.5"), a decimal comma and point
// groups for de, es, it and pt ("1.234,5"), a decimal comma and
// no-break-space groups for fr ("1 234,5"), as CLDR gives them through
// golang.org/x/text. A region is ignored ("pt-BR" is pt), and a language
// attune does not draft in is written as en.
// A value that rounds to zero has no sign; NaN and infinities are written
// as "NaN", "+Inf" and "-Inf".
func FormatNumber(lang string, x float64, digits int) string {
	return formatNumber(lang, x, digits, true)
}

// formatNumber is FormatNumber with the thousands grouping optional.
func formatNumber(lang string, x float64, digits int, group bool) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return formatSpecial(x)
	}
	digits = min(max(digits, 0), 15)
	// Round as FormatValue does (strconv, on the binary value), then let
	// x/text write the rounded decimal: it would otherwise round the
	// shortest decimal, half to even, and 1.015 (a little under, in
	// binary) would become 1.02 here and 1.01 in English.
	r := strconv.FormatFloat(x, 'f', digits, 64)
	if isZeroDigits(strings.TrimPrefix(r, "-")) {
		r = "0" // no "-0,0"
	}
	x, _ = strconv.ParseFloat(r, 64)
	opts := []number.Option{number.Scale(digits)}
	if !group {
		opts = append(opts, number.NoSeparator())
	}
	return printerFor(lang).Sprint(number.Decimal(x, opts...))
}

// numberLanguages are the languages attune drafts in (config.Languages)
// and so writes numbers for.
var numberLanguages = map[string]language.Tag{
	"de": language.German, "en": language.English, "es": language.Spanish,
	"fr": language.French, "it": language.Italian, "pt": language.Portuguese,
}

// printerFor returns the message printer of lang's base language; English
// for a language attune does not draft in.
func printerFor(lang string) *message.Printer {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	tag, ok := numberLanguages[base]
	if !ok {
		tag = language.English
	}
	return message.NewPrinter(tag)
}

// FormatValueIn is FormatValue in lang (one of Languages; English for
// "" or any other): its numbers in the convention of lang (see
// FormatNumber), and the percent sign and the words of the units attune
// knows in lang ("4,00 % der Gesamtmenge" and "50.000 Token pro Monat"
// in de, "4,00 % de l'offre" in fr). The digits, the rounding and the
// grouping are FormatValue's, and en gives FormatValue's own text. An
// unknown unit is written as given.
func FormatValueIn(lang string, v float64, unit string, integer bool) string {
	return localeFor(lang).formatValue(v, unit, integer)
}

// localizeNumerals rewrites each number that FormatValue's English
// convention wrote in s (digits with "," groups and a "." decimal point)
// in lang's convention, with the same decimals and grouped only where the
// English was.
func localizeNumerals(lang string, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && (isDigit(s[j]) || (s[j] == ',' || s[j] == '.') && j+1 < len(s) && isDigit(s[j+1])) {
			j++
		}
		run := s[i:j]
		grouped := strings.Contains(run, ",")
		plain := strings.ReplaceAll(run, ",", "")
		decimals := 0
		if _, frac, ok := strings.Cut(plain, "."); ok {
			decimals = len(frac)
		}
		if x, err := strconv.ParseFloat(plain, 64); err == nil && strings.Count(plain, ".") <= 1 {
			b.WriteString(formatNumber(lang, x, decimals, grouped))
		} else {
			b.WriteString(run)
		}
		i = j
		// An exponent ("e-05") is copied as it is.
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			k := i + 1
			if k < len(s) && (s[k] == '+' || s[k] == '-') {
				k++
			}
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			b.WriteString(s[i:k])
			i = k
		}
	}
	return b.String()
}
