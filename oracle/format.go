package oracle

import (
	"math"
	"strconv"
	"strings"
)

// unitStyle says how values of one unit are written.
type unitStyle struct {
	scale     float64 // the value is multiplied by scale before printing
	decimals  int     // digits after the point for a non-integer value
	pre       string  // glued to the number, e.g. "%"
	deltaPre  string  // replaces pre for a difference, e.g. " pp"
	suffix    string  // unit words after the number
	singular  string  // suffix for a value printed as exactly 1
	thousands bool    // group the integer part in threes
	dropWhole bool    // print whole values without decimals
	sig3      bool    // below 1,000, three significant digits instead of decimals
	// key names the unit's words in the messages: "unit.<key>.one" and
	// "unit.<key>.other" are suffix and singular in each language.
	key string
}

// unitStyles holds the units attune reports. Any other unit is written as
// a plain number followed by the unit.
var unitStyles = map[string]unitStyle{
	"fraction of supply": {scale: 100, decimals: 2, pre: "%", deltaPre: " pp", suffix: " of supply", sig3: true, key: "of_supply"},
	"share":              {scale: 100, decimals: 1, pre: "%", deltaPre: " pp"},
	"days":               {scale: 1, decimals: 1, suffix: " days", singular: " day", dropWhole: true, key: "days"},
	"tokens per vote":    {scale: 1, decimals: 2, suffix: " tokens per vote", singular: " token per vote", thousands: true, dropWhole: true, key: "tokens_per_vote"},
	"tokens per month":   {scale: 1, suffix: " tokens per month", singular: " token per month", thousands: true, dropWhole: true, sig3: true, key: "tokens_per_month"},
	"tokens":             {scale: 1, suffix: " tokens", singular: " token", thousands: true, dropWhole: true, sig3: true, key: "tokens"},
	"proposals":          {scale: 1, decimals: 1, suffix: " proposals", singular: " proposal", thousands: true, dropWhole: true, key: "proposals"},
	"holders":            {scale: 1, decimals: 1, suffix: " holders", singular: " holder", thousands: true, dropWhole: true, key: "holders"},
}

// FormatValue writes v for a reader, in the given unit.
//
// Fractions of supply and shares are written as percentages ("4.00% of
// supply", "12.5%"), token amounts and counts with thousands separators
// ("50,000 tokens per month"), and integer values without decimals ("7
// days"). An unknown unit is appended to a plain number; the empty unit
// gives a plain number with about three significant digits. NaN and
// infinities are written as "NaN", "+Inf" and "-Inf". The result is never
// empty.
func FormatValue(v float64, unit string, integer bool) string {
	num, suffix := formatParts(v, unit, integer, false)
	return num + suffix
}

// FormatInterval writes a confidence interval as "lo to hi" in the given
// unit, e.g. "3.50% to 6.20% of supply"; the level is not included, so the
// caller labels it (e.g. "90% CI").
func FormatInterval(ci Interval, unit string) string {
	lo, _ := formatParts(ci.Lo, unit, false, false)
	hi, _ := formatParts(ci.Hi, unit, false, false)
	return lo + " to " + hi + unitStyleOf(unit).suffix
}

// FormatDelta writes a difference with an explicit sign, in the given
// unit; percentages of a whole become percentage points ("+1.00 pp of
// supply").
func FormatDelta(v float64, unit string) string { return formatDelta(v, unit) }

// FormatDeltaInterval writes the interval of a difference with signs, as
// "lo to hi" in the unit of FormatDelta ("-0.50 pp to +1.20 pp of
// supply"); the level is not included.
func FormatDeltaInterval(ci Interval, unit string) string { return formatDeltaInterval(ci, unit) }

// formatDelta writes a difference with an explicit sign; percentages of a
// whole become percentage points ("+1.00 pp of supply").
func formatDelta(v float64, unit string) string {
	num, suffix := formatParts(v, unit, false, true)
	return num + suffix
}

// formatDeltaInterval writes the interval of a difference with signs.
func formatDeltaInterval(ci Interval, unit string) string {
	lo, _ := formatParts(ci.Lo, unit, false, true)
	hi, _ := formatParts(ci.Hi, unit, false, true)
	return lo + " to " + hi + unitStyleOf(unit).suffix
}

// formatRel writes a relative change as a signed percentage ("+25.0%").
func formatRel(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return formatSpecial(r)
	}
	s := strconv.FormatFloat(math.Abs(r*100), 'f', 1, 64)
	return signOf(r, s, true) + s + "%"
}

// unitStyleOf returns the style of a known unit, or a generic style that
// writes the unit after a plain number.
func unitStyleOf(unit string) unitStyle {
	if st, ok := unitStyles[unit]; ok {
		return st
	}
	st := unitStyle{scale: 1}
	if unit != "" {
		st.suffix = " " + unit
	}
	return st
}

// formatParts returns the number (with sign and any "%") and the unit
// suffix, singular when the number reads exactly 1.
func formatParts(v float64, unit string, integer, signed bool) (num, suffix string) {
	st, known := unitStyles[unit]
	if !known {
		st = unitStyleOf(unit)
	}
	suffix = st.suffix
	pre := st.pre
	if signed && st.deltaPre != "" {
		pre = st.deltaPre
	}
	x := v * st.scale
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return formatSpecial(x), suffix
	}
	var digits string
	switch {
	case math.Abs(x) >= 1e15:
		// Too large for grouped digits to help anyone.
		digits = strconv.FormatFloat(math.Abs(x), 'g', 4, 64)
	case !known:
		digits = genericDigits(math.Abs(x), integer)
	default:
		dec := st.decimals
		if integer && st.scale == 1 {
			x = math.Round(x)
			dec = 0
		} else if st.dropWhole && x == math.Trunc(x) {
			dec = 0
		}
		if st.sig3 && !(integer && st.scale == 1) && !(st.dropWhole && x == math.Trunc(x)) {
			dec = sigDecimals(math.Abs(x))
		}
		digits = strconv.FormatFloat(math.Abs(x), 'f', dec, 64)
		if st.thousands {
			digits = groupThousands(digits)
		}
	}
	if digits == "1" && st.singular != "" {
		suffix = st.singular
	}
	return signOf(x, digits, signed) + digits + pre, suffix
}

// sigDecimals returns the decimals that show a with three significant
// digits, and none at or above 1,000.
func sigDecimals(a float64) int {
	if a == 0 || a >= 1000 {
		return 0
	}
	return max(0, 2-int(math.Floor(math.Log10(a))))
}

// genericDigits writes |x| with about three significant digits, grouping
// thousands; whole and integer values get no decimals.
func genericDigits(a float64, integer bool) string {
	if integer {
		a = math.Round(a)
	}
	switch {
	case a == 0:
		return "0"
	case a >= 1000 || a == math.Trunc(a):
		return groupThousands(strconv.FormatFloat(a, 'f', 0, 64))
	case a >= 100:
		return strconv.FormatFloat(a, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(a, 'f', 2, 64)
	case a >= 0.001:
		dec := 2 - int(math.Floor(math.Log10(a)))
		s := strings.TrimRight(strconv.FormatFloat(a, 'f', dec, 64), "0")
		return strings.TrimSuffix(s, ".")
	}
	return strconv.FormatFloat(a, 'g', 3, 64)
}

// signOf returns the sign to print before digits (the absolute value of
// x): "-" for a negative value, "+" for a positive one when signed, and
// nothing when the digits read as zero.
func signOf(x float64, digits string, signed bool) string {
	if isZeroDigits(digits) {
		return ""
	}
	if x < 0 {
		return "-"
	}
	if signed {
		return "+"
	}
	return ""
}

// isZeroDigits reports whether a formatted number reads as zero.
func isZeroDigits(s string) bool {
	if strings.ContainsAny(s, "eE") {
		return false
	}
	return strings.Trim(s, "0.,") == ""
}

// formatSpecial writes NaN and infinities.
func formatSpecial(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return "NaN"
}

// groupThousands inserts commas into the integer part of an unsigned
// decimal number.
func groupThousands(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) <= 3 || strings.ContainsAny(intPart, "eE+-") {
		return s
	}
	var b strings.Builder
	lead := len(intPart) % 3
	if lead > 0 {
		b.WriteString(intPart[:lead])
	}
	for i := lead; i < len(intPart); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(intPart[i : i+3])
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
