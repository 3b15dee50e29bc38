package oracle

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// plainName is name in English words ("voting period"); a name attune
// does not know is written with spaces for underscores.
func plainName(name string) string {
	if p, ok := messagesEN["name."+name]; ok {
		return p
	}
	return strings.ReplaceAll(oneLine(name), "_", " ")
}

// capital upper-cases the first letter of s.
func capital(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// sig writes x with n significant digits, without an exponent, trailing
// zeros trimmed and thousands grouped.
func sig(x float64, n int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return formatSpecial(x)
	}
	if x == 0 {
		return "0"
	}
	dec := n - 1 - int(math.Floor(math.Log10(math.Abs(x))))
	if dec < 0 {
		p := math.Pow(10, float64(-dec))
		x = math.Round(x/p) * p
		dec = 0
	}
	s := strconv.FormatFloat(math.Abs(x), 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	s = groupThousands(s)
	if x < 0 && !isZeroDigits(s) {
		s = "-" + s
	}
	return s
}

// isFractionOfSupply reports whether unit is a fraction of a supply.
func isFractionOfSupply(unit string) bool { return strings.HasPrefix(unit, "fraction of") }

// isShare reports whether unit is a share of something (a percentage).
func isShare(unit string) bool { return unit == "share" || strings.HasPrefix(unit, "share of") }

// rangeDigits writes lo and hi with the same decimals, two significant
// digits of the larger.
func rangeDigits(lo, hi float64) (string, string) {
	big := max(math.Abs(lo), math.Abs(hi))
	dec := 0
	if big > 0 {
		dec = max(0, 1-int(math.Floor(math.Log10(big))))
	}
	f := func(x float64) string {
		s := strconv.FormatFloat(x, 'f', dec, 64)
		if isZeroDigits(s) {
			return "0"
		}
		return groupThousands(s)
	}
	return f(lo), f(hi)
}
