package oracle

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	const nb = "\u00a0" // no-break space, French groups
	cases := []struct {
		lang   string
		x      float64
		digits int
		want   string
	}{
		{"en", 1234567.891, 2, "1,234,567.89"},
		{"en", -0.5, 1, "-0.5"},
		{"de", 1234567.891, 2, "1.234.567,89"},
		{"de", 0.0507, 4, "0,0507"},
		{"es", 1234.5, 1, "1.234,5"},
		{"es", -12.25, 1, "-12,2"},
		{"fr", 1234567.891, 2, "1" + nb + "234" + nb + "567,89"},
		{"fr", 3.5, 0, "4"},
		{"it", 50000, 0, "50.000"},
		{"it", 0.125, 3, "0,125"},
		{"pt", 1234.5, 2, "1.234,50"},
		{"pt", 7, 1, "7,0"},
		// A value that rounds to zero has no sign.
		{"de", -0.0004, 2, "0,00"},
		{"en", -0.0004, 2, "0.00"},
		// Digits outside 0..15 are brought into range.
		{"de", 2.7, -3, "3"},
		// Rounded as strconv rounds the binary value: 1.015 is a little
		// under 1.015, so 1.01 as in English; 0.125 is exact, half to even.
		{"de", 1.015, 2, "1,01"},
		{"en", 1.015, 2, "1.01"},
		{"it", 0.125, 2, "0,12"},
		// An unknown language is English.
		{"not a language", 1234.5, 1, "1,234.5"},
		{"ar", 1234.5, 1, "1,234.5"},
		{"pt-BR", 1234.5, 1, "1.234,5"},
		{"de", math.NaN(), 2, "NaN"},
		{"fr", math.Inf(-1), 2, "-Inf"},
	}
	for _, c := range cases {
		if got := FormatNumber(c.lang, c.x, c.digits); got != c.want {
			t.Errorf("FormatNumber(%q, %v, %d) = %q; want %q", c.lang, c.x, c.digits, got, c.want)
		}
	}
}

// TestFormatValueIn checks that another language writes its own
// separators, percent sign and unit words around English's digits, and
// that English is FormatValue's text.
func TestFormatValueIn(t *testing.T) {
	cases := []struct {
		lang, unit string
		v          float64
		integer    bool
		want       string
	}{
		{"de", "fraction of supply", 0.04, false, "4,00\u00a0% der Gesamtmenge"},
		{"es", "tokens per month", 50000, false, "50.000 tokens al mes"},
		{"fr", "tokens per month", 50000, false, "50\u00a0000 jetons par mois"},
		{"fr", "share", 0.125, false, "12,5\u00a0%"},
		{"it", "share", 0.125, false, "12,5%"},
		{"pt", "days", 2.5, false, "2,5 dias"},
		{"pt-BR", "days", 1, true, "1 dia"},
		// days are not grouped in English, so not in German either.
		{"de", "days", 1234, true, "1234 Tage"},
		{"de", "", 1.23e-5, false, "1,23e-05"},
		{"es", "proposals", 1, true, "1 propuesta"},
		{"it", "holders", 3, true, "3 detentori"},
		// A unit attune does not know is written as given.
		{"de", "furlongs", 2.5, false, "2,50 furlongs"},
	}
	for _, c := range cases {
		if got := FormatValueIn(c.lang, c.v, c.unit, c.integer); got != c.want {
			t.Errorf("FormatValueIn(%q, %v, %q) = %q; want %q", c.lang, c.v, c.unit, got, c.want)
		}
	}
	// English is FormatValue, byte for byte, over every unit.
	for unit := range unitStyles {
		for _, v := range []float64{0, 0.0507, 1, 4.74, 1234.5, 2.5e6, -3} {
			for _, lang := range []string{"", "en", "en-GB"} {
				if got, want := FormatValueIn(lang, v, unit, false), FormatValue(v, unit, false); got != want {
					t.Errorf("FormatValueIn(%q, %v, %q) = %q; FormatValue gives %q", lang, v, unit, got, want)
				}
			}
			// In every other language the same number comes out, read in
			// that language: its value, its kind and its rounding.
			en := scanNumbers(FormatValue(v, unit, false))
			for _, lang := range []string{"de", "es", "fr", "it", "pt"} {
				got := FormatValueIn(lang, v, unit, false)
				read := scanNumbersIn(got, lang)
				if len(read) != len(en) {
					t.Errorf("FormatValueIn(%q, %v, %q) = %q reads as %d numbers; English as %d", lang, v, unit, got, len(read), len(en))
					continue
				}
				for k := range read {
					if read[k].value != en[k].value || read[k].kind != en[k].kind || read[k].half != en[k].half || read[k].unitWord != en[k].unitWord {
						t.Errorf("FormatValueIn(%q, %v, %q) = %q reads %+v; English %+v", lang, v, unit, got, read[k], en[k])
					}
				}
			}
		}
	}
}

// TestFormatNumberAgreesWithEnglish checks FormatNumber against the
// English path's own rounding and grouping (strconv and groupThousands),
// and German against English with the separators swapped.
func TestFormatNumberAgreesWithEnglish(t *testing.T) {
	swap := strings.NewReplacer(",", ".", ".", ",")
	for _, x := range []float64{0, 0.004999, 0.005, 0.015, 1.005, 1.015, 2.675, 999.995, 1234.5, 98765.4321, 1e9 + 0.5, 123456789012.25} {
		for d := 0; d <= 4; d++ {
			en := FormatNumber("en", x, d)
			if want := groupThousands(strconv.FormatFloat(x, 'f', d, 64)); en != want {
				t.Errorf("FormatNumber(en, %v, %d) = %q; the English path writes %q", x, d, en, want)
			}
			if de := FormatNumber("de", x, d); de != swap.Replace(en) {
				t.Errorf("FormatNumber(de, %v, %d) = %q; want %q", x, d, de, swap.Replace(en))
			}
		}
	}
}

// FuzzFormatValueIn checks that any value in any unit and language is
// written without a panic, never empty, and with English's digits.
func FuzzFormatValueIn(f *testing.F) {
	f.Add(0.04, "fraction of supply", "de", false)
	f.Add(50000.0, "tokens per month", "fr", false)
	f.Add(1.23e-5, "", "es", false)
	f.Add(-2.5e17, "holders", "pt", true)
	f.Add(math.NaN(), "share", "it", false)
	f.Fuzz(func(t *testing.T, v float64, unit, lang string, integer bool) {
		got := FormatValueIn(lang, v, unit, integer)
		if got == "" {
			t.Fatalf("empty for %v %q %q", v, unit, lang)
		}
		digitsOf := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, s)
		}
		if en := FormatValue(v, unit, integer); digitsOf(got) != digitsOf(en) {
			t.Errorf("%q in %q has other digits than English %q", got, lang, en)
		}
	})
}
