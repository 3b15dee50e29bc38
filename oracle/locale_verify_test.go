package oracle

import (
	"reflect"
	"strings"
	"testing"
)

// spanishDraft is a draft of the fixture in Spanish: references, and
// literal numbers written as Spanish writes them.
func spanishDraft() Prose {
	return Prose{
		Title:      "Subir el quorum a {{param.quorum.recommended}} y el voting period a {{param.voting_period_days.recommended}}",
		Opening:    "Esta propuesta sube el quorum del 4,00 % al 5,00 % y alarga el periodo de votación (voting_period_days) de 7 a 9 días.",
		Motivation: "Entre {{window.start}} y {{window.end}} la participación media fue del 7,9 % del suministro; el umbral de propuesta sigue en 250.000 tokens.",
		Effects:    "En {{method.validation_replications}} simulaciones nuevas, la participación podría subir {{effect.turnout.diff}} (de +0,8 a +1,6 pp).",
		TradeOff:   "El éxito de los ataques podría pasar del 1,2 % al 1,8 %, +0,6 pp.",
	}
}

// germanDraft is a draft of the fixture in German.
func germanDraft() Prose {
	return Prose{
		Title:      "Quorum auf {{param.quorum.recommended}}, voting period auf {{param.voting_period_days.recommended}}",
		Opening:    "Der Vorschlag hebt das Quorum von 4,00 % auf 5,00 % und verlängert die Abstimmungsdauer (voting_period_days) von 7 auf 9 Tage.",
		Motivation: "Die Beteiligung lag bei 7,9%; die Schwelle bleibt bei 250.000 Token, die Ausgabengrenze bei 50.000.",
		Effects:    "Die Entscheidungsqualität könnte um {{effect.decision_quality.diff}} steigen, die Beteiligung um 1,2 pp.",
		TradeOff:   "Der Angriffserfolg könnte von 1,2 % auf 1,8 % steigen (+0,6 pp).",
	}
}

func TestFactsInEnglishIsFacts(t *testing.T) {
	rec := fixture()
	for _, lang := range []string{"en", "EN-us", "", "nl"} {
		if got := FactsIn(rec, lang); !reflect.DeepEqual(got, Facts(rec)) {
			t.Errorf("FactsIn(%q) differs from Facts", lang)
		}
	}
	if fs := Facts(rec); fs.Language != "" {
		t.Errorf("English sheet has Language %q", fs.Language)
	}
	js, err := Facts(rec).JSON()
	if err != nil || strings.Contains(string(js), `"language"`) {
		t.Errorf("English sheet's JSON names a language (err %v)", err)
	}
}

// Every localized fact keeps the English fact's id, value and unit, and
// its Text, read in its language, shows the number the English Text shows.
func TestFactsInLocalizesNumbers(t *testing.T) {
	rec := fixture()
	en := Facts(rec)
	for _, lang := range []string{"de", "es", "fr", "it", "pt-BR"} {
		fs := FactsIn(rec, lang)
		if want, _, _ := strings.Cut(lang, "-"); fs.Language != want {
			t.Errorf("%s: Language %q", lang, fs.Language)
		}
		js, _ := fs.JSON()
		if !strings.Contains(string(js), `"language": "`+fs.Language+`"`) {
			t.Errorf("%s: JSON does not name the language", lang)
		}
		if len(fs.Facts) != len(en.Facts) {
			t.Fatalf("%s: %d facts, English has %d", lang, len(fs.Facts), len(en.Facts))
		}
		for i, f := range fs.Facts {
			e := en.Facts[i]
			if f.ID != e.ID || f.Value != e.Value || f.Unit != e.Unit || f.About != e.About {
				t.Errorf("%s: fact %d is %+v, English %+v", lang, i, f, e)
			}
			got, want := scanNumbersIn(f.Text, fs.Language), scanNumbers(e.Text)
			if len(got) != len(want) {
				t.Errorf("%s %s: %q reads as %d numbers, English %q as %d", lang, f.ID, f.Text, len(got), e.Text, len(want))
				continue
			}
			for k := range got {
				if got[k].value != want[k].value || got[k].kind != want[k].kind || got[k].half != want[k].half || got[k].foreign {
					t.Errorf("%s %s: %q reads %+v, English %q %+v", lang, f.ID, f.Text, got[k], e.Text, want[k])
				}
			}
		}
	}
	de := FactsIn(rec, "de")
	for id, want := range map[string]string{
		"param.quorum.current":                 "4,00\u00a0% der Gesamtmenge",
		"param.quorum.change":                  "+1,00 Pp. der Gesamtmenge",
		"param.quorum.change_pct":              "+25,0\u00a0%",
		"param.proposal_threshold.current":     "250.000 Token",
		"param.voting_period_days.recommended": "9 Tage",
		"effect.turnout.diff_lo":               "+0,8 Pp.",
		"effect.proposals_passed.diff_lo":      "-0,5 Vorschläge",
		"calibration.tolerance":                "10,0\u00a0%",
		"window.end":                           "2025-06-30",
	} {
		if f, _ := de.Fact(id); f.Text != want {
			t.Errorf("de %s: %q, want %q", id, f.Text, want)
		}
	}
}

func TestScanNumbersInLocale(t *testing.T) {
	for _, c := range []struct {
		lang, text string
		value      float64
		kind       numKind
		foreign    bool
	}{
		{"de", "1.234,5", 1234.5, numPlain, false},
		{"de", "1.234", 1234, numPlain, false}, // a group, not a decimal
		{"de", "1,234", 1.234, numPlain, false},
		{"es", "12,5 %", 12.5, numPercent, false},
		{"es", "12,5\u00a0%", 12.5, numPercent, false},
		{"fr", "1\u202f234,5", 1234.5, numPlain, false},
		{"fr", "1\u00a0234\u00a0567", 1234567, numPlain, false},
		{"it", "1 234,5", 1234.5, numPlain, false},
		{"pt", "+1,20 pp", 1.2, numPoints, false},
		{"es", "12.5%", 12, numPercent, true}, // read to the point, marked
		{"es", "1,234.5", 1.234, numPlain, true},
		{"en", "1,234.5", 1234.5, numPlain, false},
		{"en", "12,5 %", 12, numPlain, false}, // English: "12" then "5 %"
	} {
		lits := scanNumbersIn(c.text, c.lang)
		if len(lits) == 0 {
			t.Errorf("%s %q: no number", c.lang, c.text)
			continue
		}
		l := lits[0]
		if l.value != c.value || l.kind != c.kind || l.foreign != c.foreign {
			t.Errorf("%s %q: value %v kind %v foreign %v, want %v %v %v", c.lang, c.text, l.value, l.kind, l.foreign, c.value, c.kind, c.foreign)
		}
	}
	// A range word of the language carries the second end's kind.
	for lang, text := range map[string]string{"es": "de +0,8 a +1,6 pp", "de": "+0,8 bis +1,6 pp", "fr": "+0,8 à +1,6 pp"} {
		if lits := scanNumbersIn(text, lang); len(lits) != 2 || lits[0].kind != numPoints {
			t.Errorf("%s %q: %+v", lang, text, lits)
		}
	}
	if lits := scanNumbersIn("+0.8 a +1.6 pp", "en"); len(lits) != 2 || lits[0].kind != numPlain {
		t.Errorf("English range with a: %+v", lits)
	}
	// Mixed separators are no group: "1.234 567" is 1234 and 567.
	if lits := scanNumbersIn("1.234 567", "de"); len(lits) != 2 || lits[0].value != 1234 {
		t.Errorf("mixed separators: %+v", lits)
	}
}

func TestVerifyLocaleDrafts(t *testing.T) {
	rec := fixture()
	for lang, draft := range map[string]Prose{"es": spanishDraft(), "de": germanDraft()} {
		fs := FactsIn(rec, lang)
		if v := Verify(draft, fs, rec); !v.Passed {
			t.Errorf("%s draft failed:\n%s", lang, findingsText(v.Findings))
		}
		rendered, findings := fs.Render(draft)
		if len(findings) != 0 {
			t.Fatalf("%s render: %+v", lang, findings)
		}
		if v := Verify(rendered, fs, rec); !v.Passed {
			t.Errorf("%s rendered draft failed:\n%s", lang, findingsText(v.Findings))
		}
		// Read as English, the same draft's numbers are wrong.
		if v := Verify(draft, Facts(rec), rec); v.Passed {
			t.Errorf("%s draft passed against the English sheet", lang)
		}
	}
}

func TestVerifyLocaleFindings(t *testing.T) {
	rec := fixture()
	es, de := FactsIn(rec, "es"), FactsIn(rec, "de")
	set := func(p Prose, field string, f func(string) string) Prose {
		switch field {
		case "opening":
			p.Opening = f(p.Opening)
		case "motivation":
			p.Motivation = f(p.Motivation)
		case "effects":
			p.Effects = f(p.Effects)
		case "trade_off":
			p.TradeOff = f(p.TradeOff)
		}
		return p
	}
	for _, c := range []struct {
		name  string
		fs    FactSheet
		draft Prose
		kind  string
		text  string
	}{
		{"es changed percent", es, set(spanishDraft(), "motivation", replace("7,9 %", "8,2 %")), FindingChangedValue, "8,2 %"},
		{"es changed points", es, set(spanishDraft(), "trade_off", replace("+0,6 pp", "+0,65 pp")), FindingChangedValue, "+0,65 pp"},
		{"de changed tokens", de, set(germanDraft(), "motivation", replace("250.000 Token", "260.000 Token")), FindingChangedValue, "260.000"},
		{"de changed decimals", de, set(germanDraft(), "opening", replace("auf 5,00 %", "auf 5,25 %")), FindingChangedValue, "5,25 %"},
		// Rule: a draft writes numbers in its language. An English decimal
		// point is malformed even when, read in English, it matches a fact.
		{"es English decimal", es, set(spanishDraft(), "motivation", replace("7,9 %", "7.9%")), FindingMalformed, "7.9%"},
		{"es English grouping", es, set(spanishDraft(), "motivation", replace("250.000 tokens", "250,000.0 tokens")), FindingMalformed, "250,000.0"},
		// "250,000" in Spanish is 250 with three decimals: no fact.
		{"es English thousands", es, set(spanishDraft(), "motivation", replace("250.000 tokens", "250,000 tokens")), FindingUnknownNumber, "250,000"},
	} {
		v := Verify(c.draft, c.fs, rec)
		found := false
		for _, f := range v.Findings {
			if f.Kind == c.kind && strings.Contains(f.Text, c.text) {
				found = true
			}
		}
		if v.Passed || !found {
			t.Errorf("%s: want %s on %q, got:\n%s", c.name, c.kind, c.text, findingsText(v.Findings))
		}
	}
}
