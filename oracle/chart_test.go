package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"strings"
	"testing"
)

func TestChartPNG(t *testing.T) {
	rec := fixture()
	b, err := Chart(rec)
	if err != nil {
		t.Fatalf("Chart: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if wantH := 200 + 150*len(rec.Effects); w != 800 || h != wantH {
		t.Errorf("size = %dx%d, want 800x%d", w, h, wantH)
	}
	// The image is not blank: some pixels are in the recommended colour.
	found := false
	for y := 0; y < h && !found; y++ {
		for x := range w {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == uint32(colorRecommended.R) && g>>8 == uint32(colorRecommended.G) && bl>>8 == uint32(colorRecommended.B) {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no pixel in the recommended colour")
	}
}

func TestChartDeterministic(t *testing.T) {
	a, err := Chart(fixture())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := Chart(fixture())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("two charts of the same recommendation differ")
		}
	}
	rec := fixture()
	rec.Effects[0].Recommended.Mean += 0.005
	c, err := Chart(rec)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Error("chart does not depend on the effects")
	}
}

func TestChartErrors(t *testing.T) {
	rec := fixture()
	rec.Effects = nil
	if _, err := Chart(rec); !errors.Is(err, ErrInvalidRecommendation) {
		t.Errorf("empty effects: err = %v", err)
	}
	rec = fixture()
	rec.Effects[1].Recommended.CI.Lo = math.NaN()
	if _, err := Chart(rec); !errors.Is(err, ErrInvalidRecommendation) {
		t.Errorf("NaN: err = %v", err)
	}
	rec = fixture()
	rec.Effects = make([]Effect, MaxChartPanels+1)
	if _, err := Chart(rec); err == nil {
		t.Error("too many effects: no error")
	}
}

func TestChartDegenerateInputs(t *testing.T) {
	for name, e := range map[string]Effect{
		"zero":        {Name: "z"},
		"equal":       {Name: "eq", Unit: "days", Current: Estimate{Mean: 5}, Recommended: Estimate{Mean: 5}},
		"inverted CI": {Name: "inv", Current: Estimate{Mean: 1, CI: Interval{Lo: 2, Hi: 0}}, Recommended: Estimate{Mean: 2}},
		"huge":        {Name: "huge", Unit: "share", Current: Estimate{Mean: -1e300, CI: Interval{Lo: -1.7e308, Hi: 1.7e308}}},
	} {
		rec := Recommendation{Effects: []Effect{e}}
		b, err := Chart(rec)
		if err != nil {
			t.Logf("%s: error (allowed): %v", name, err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: decode: %v", name, err)
		}
	}
}

// ChartSVG draws the same chart as SVG: sized as Chart's in points, on
// white, with every effect's panel title and the recommended colour, and
// the same bytes for the same recommendation.
func TestChartSVG(t *testing.T) {
	rec := fixture()
	b, err := ChartSVG(rec)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	wantH := (200 + 150*len(rec.Effects)) * 3 / 4
	if !bytes.HasPrefix(b, []byte("<?xml")) || !strings.Contains(s, fmt.Sprintf(`viewBox="0 0 600 %d"`, wantH)) {
		t.Errorf("not a 600x%d SVG: %.300s", wantH, s)
	}
	if !strings.Contains(s, "fill:#FFFFFF") || !strings.Contains(s, "#0072B2") {
		t.Error("no white background or no mark in the recommended colour")
	}
	for _, e := range rec.Effects {
		if !strings.Contains(s, htmlEscape(panelTitle(e))) {
			t.Errorf("no panel titled %q", panelTitle(e))
		}
	}
	again, _ := ChartSVG(rec)
	if !bytes.Equal(b, again) {
		t.Error("two SVG charts of the same recommendation differ")
	}
	if _, err := ChartSVG(Recommendation{}); !errors.Is(err, ErrInvalidRecommendation) {
		t.Errorf("no effects: %v", err)
	}
}
