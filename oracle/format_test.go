package oracle

import (
	"math"
	"strings"
	"testing"
)

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v       float64
		unit    string
		integer bool
		want    string
	}{
		{0.04, "fraction of supply", false, "4.00% of supply"},
		{0.05, "fraction of supply", false, "5.00% of supply"},
		{0.1234, "fraction of supply", false, "12.3% of supply"},
		{0.000542, "fraction of supply", false, "0.0542% of supply"},
		{0.00396, "fraction of supply", false, "0.396% of supply"},
		{0.04, "fraction of supply", false, "4.00% of supply"},
		{7, "days", true, "7 days"},
		{6.6, "days", true, "7 days"},
		{1, "days", true, "1 day"},
		{7.25, "days", false, "7.2 days"},
		{9, "days", false, "9 days"},
		{0, "tokens per vote", false, "0 tokens per vote"},
		{1.5, "tokens per vote", false, "1.50 tokens per vote"},
		{1, "tokens per vote", false, "1 token per vote"},
		{50000, "tokens per month", false, "50,000 tokens per month"},
		{1234567.891, "tokens", false, "1,234,568 tokens"},
		{12.345, "tokens", false, "12.3 tokens"},
		{12395.83, "tokens per month", false, "12,396 tokens per month"},
		{250000, "tokens", true, "250,000 tokens"},
		{-1500, "tokens", false, "-1,500 tokens"},
		{0.081, "share", false, "8.1%"},
		{12, "proposals", true, "12 proposals"},
		{14.25, "proposals", false, "14.2 proposals"},
		{12000, "holders", true, "12,000 holders"},
		{0, "", false, "0"},
		{0.612, "", false, "0.612"},
		{0.0420, "", false, "0.042"},
		{4.5, "", false, "4.50"},
		{123.45, "", false, "123.5"},
		{98765.4, "", false, "98,765"},
		{0.00001234, "", false, "1.23e-05"},
		{-0.0001, "fraction of supply", false, "-0.0100% of supply"},
		{-0.00001, "fraction of supply", false, "-0.00100% of supply"},
		{0, "fraction of supply", false, "0% of supply"},
		{3, "votes", true, "3 votes"},
		{2.5, "votes", false, "2.50 votes"},
		{math.NaN(), "days", false, "NaN days"},
		{math.Inf(1), "", false, "+Inf"},
		{math.Inf(-1), "tokens", false, "-Inf tokens"},
		{1e20, "tokens", false, "1e+20 tokens"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v, tt.unit, tt.integer); got != tt.want {
			t.Errorf("FormatValue(%v, %q, %v) = %q, want %q", tt.v, tt.unit, tt.integer, got, tt.want)
		}
	}
}

func TestFormatInterval(t *testing.T) {
	tests := []struct {
		ci   Interval
		unit string
		want string
	}{
		{Interval{Lo: 0.035, Hi: 0.062, Level: 0.9}, "fraction of supply", "3.50% to 6.20% of supply"},
		{Interval{Lo: 6, Hi: 8}, "days", "6 to 8 days"},
		{Interval{Lo: 0, Hi: 1}, "days", "0 to 1 days"},
		{Interval{Lo: 0.012, Hi: 0.034}, "", "0.012 to 0.034"},
		{Interval{Lo: -1200, Hi: 3400}, "tokens", "-1,200 to 3,400 tokens"},
	}
	for _, tt := range tests {
		if got := FormatInterval(tt.ci, tt.unit); got != tt.want {
			t.Errorf("FormatInterval(%+v, %q) = %q, want %q", tt.ci, tt.unit, got, tt.want)
		}
	}
}

func TestFormatDelta(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{0.01, "fraction of supply", "+1.00 pp of supply"},
		{-0.006, "share", "-0.6 pp"},
		{2, "days", "+2 days"},
		{0, "", "0"},
		{0.036, "", "+0.036"},
	}
	for _, tt := range tests {
		if got := formatDelta(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatDelta(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
	if got, want := FormatDelta(0.01, "fraction of supply"), "+1.00 pp of supply"; got != want {
		t.Errorf("FormatDelta = %q, want %q", got, want)
	}
	if got, want := FormatDeltaInterval(Interval{Lo: -0.005, Hi: 0.012}, "share"), "-0.5 pp to +1.2 pp"; got != want {
		t.Errorf("FormatDeltaInterval = %q, want %q", got, want)
	}
	if got, want := formatDeltaInterval(Interval{Lo: -0.01, Hi: 0.018}, ""), "-0.01 to +0.018"; got != want {
		t.Errorf("formatDeltaInterval = %q, want %q", got, want)
	}
	if got, want := formatRel(0.25), "+25.0%"; got != want {
		t.Errorf("formatRel(0.25) = %q, want %q", got, want)
	}
	if got, want := formatRel(-2.0/7), "-28.6%"; got != want {
		t.Errorf("formatRel(-2/7) = %q, want %q", got, want)
	}
}

func TestGroupThousands(t *testing.T) {
	for in, want := range map[string]string{
		"1": "1", "999": "999", "1000": "1,000", "123456": "123,456",
		"1234567.25": "1,234,567.25", "12345.6": "12,345.6",
	} {
		if got := groupThousands(in); got != want {
			t.Errorf("groupThousands(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFormatValue(f *testing.F) {
	units := []string{"fraction of supply", "days", "tokens per vote", "tokens per month",
		"share", "proposals", "holders", "tokens", "", "votes"}
	f.Add(0.04, uint8(0), false)
	f.Add(7.0, uint8(1), true)
	f.Add(-1234567.5, uint8(7), false)
	f.Add(math.MaxFloat64, uint8(0), true)
	f.Add(-math.SmallestNonzeroFloat64, uint8(8), false)
	f.Add(math.NaN(), uint8(4), false)
	f.Add(math.Inf(-1), uint8(2), true)
	f.Fuzz(func(t *testing.T, v float64, u uint8, integer bool) {
		unit := units[int(u)%len(units)]
		got := FormatValue(v, unit, integer)
		if got == "" {
			t.Fatalf("FormatValue(%v, %q, %v) is empty", v, unit, integer)
		}
		if strings.HasPrefix(got, "-0") && !strings.ContainsAny(got, "123456789eE") {
			t.Fatalf("FormatValue(%v, %q, %v) = %q, a negative zero", v, unit, integer, got)
		}
		if FormatInterval(Interval{Lo: v, Hi: -v}, unit) == "" {
			t.Fatalf("FormatInterval empty for %v", v)
		}
	})
}

func TestVerdictOfANeutralOutcome(t *testing.T) {
	eff := func(better string, lo, hi float64) Effect {
		return Effect{Better: better, Difference: Estimate{CI: Interval{Lo: lo, Hi: hi}}}
	}
	for _, c := range []struct {
		e    Effect
		want string
	}{
		{eff("neutral", 0.1, 0.2), "higher"},
		{eff("neutral", -0.2, -0.1), "lower"},
		{eff("neutral", -0.1, 0.1), "no clear change"},
		{eff("maximize", 0.1, 0.2), "better"},
		{eff("minimize", 0.1, 0.2), "worse"},
	} {
		if got := c.e.Verdict(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}
