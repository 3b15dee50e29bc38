package oracle

import (
	"strings"
	"testing"
)

// goodDraft is a draft of the fixture as an LLM should write it: numbers
// as references, a few literal numbers a writer may use, directions and
// hedges the intervals support.
func goodDraft() Prose {
	return Prose{
		Title:   "Raise the quorum to {{param.quorum.recommended}} and the voting period to {{param.voting_period_days.recommended}}",
		Opening: "This proposal raises the quorum from {{param.quorum.current}} to {{param.quorum.recommended}} and lengthens the voting period from 7 to 9 days, so that more of the electorate takes part in each decision.",
		Motivation: "Over the {{window.days}} from {{window.start}} to June 30, 2025, turnout averaged {{observed.turnout}} of supply " +
			"and {{observed.pass_rate}} of proposals passed. A quorum of 4% lets a small share of supply decide.",
		Effects: "Across {{method.validation_replications}} fresh simulations, turnout is expected to rise by {{effect.turnout.diff}} " +
			"({{method.ci_level}} interval {{effect.turnout.diff_lo}} to {{effect.turnout.diff_hi}}), and decision quality is expected to improve by " +
			"{{effect.decision_quality.diff}} ({{effect.decision_quality.diff_lo}} to {{effect.decision_quality.diff_hi}}).",
		TradeOff: "In the simulations the attack success rate rises by {{effect.attack_success_rate.diff}} (+0.2 to +1.0 pp), " +
			"from {{effect.attack_success_rate.current}} to {{effect.attack_success_rate.recommended}}; " +
			"the number of proposals passed may be slightly lower, but its interval includes zero.",
	}
}

func TestVerifyGoodDraftPasses(t *testing.T) {
	rec := fixture()
	fs := Facts(rec)
	v := Verify(goodDraft(), fs, rec)
	if !v.Passed || len(v.Findings) != 0 {
		t.Fatalf("good draft failed: %+v", v.Findings)
	}
	// The rendered draft passes too.
	rendered, findings := fs.Render(goodDraft())
	if len(findings) != 0 {
		t.Fatalf("render: %+v", findings)
	}
	if v := Verify(rendered, fs, rec); !v.Passed {
		t.Fatalf("rendered good draft failed: %+v", v.Findings)
	}
}

// edit returns the good draft with one field changed by f.
func edit(field string, f func(string) string) Prose {
	p := goodDraft()
	switch field {
	case "title":
		p.Title = f(p.Title)
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

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("test edit: " + old + " not in " + s)
		}
		return strings.Replace(s, old, new, 1)
	}
}

func appendText(extra string) func(string) string {
	return func(s string) string { return s + " " + extra }
}

func TestVerifyFindings(t *testing.T) {
	rec := fixture()
	fs := Facts(rec)
	cases := []struct {
		name   string
		draft  Prose
		kind   string
		field  string
		text   string // the finding's Text contains this
		detail string // the finding's Detail contains this
	}{
		{"alters the recommended quorum", edit("opening", replace("to {{param.quorum.recommended}}", "to 5.5%")),
			FindingChangedValue, "opening", "5.5%", "param.quorum.recommended"},
		{"alters a day count", edit("opening", replace("from 7 to 9 days", "from 7 to 10 days")),
			FindingChangedValue, "opening", "10", "9 days"},
		{"alters an interval end", edit("trade_off", replace("(+0.2 to +1.0 pp)", "(+0.2 to +1.05 pp)")),
			FindingChangedValue, "trade_off", "+1.05 pp", "effect.attack_success_rate.diff_hi"},
		{"flips a sign", edit("trade_off", replace("(+0.2 to +1.0 pp)", "(-0.2 to +1.0 pp)")),
			FindingChangedValue, "trade_off", "-0.2", "sign"},
		{"points as percent", edit("effects", replace("rise by {{effect.turnout.diff}}", "rise by 1.6%")),
			FindingChangedValue, "effects", "1.6%", "percentage points"},
		{"more precision than the fact", edit("motivation", replace("A quorum of 4%", "A quorum of 4.03%")),
			FindingChangedValue, "motivation", "4.03%", "param.quorum.current"},
		{"swapped reference", edit("effects", replace("rise by {{effect.turnout.diff}}", "rise by {{effect.attack_success_rate.diff}}")),
			FindingChangedValue, "effects", "+0.6 pp", "attack success rate"},
		{"invents a number", edit("effects", appendText("Treasury costs fall by 3,750,000 tokens a year.")),
			FindingUnknownNumber, "effects", "3,750,000", "no fact"},
		{"invents a percentage", edit("motivation", appendText("Roughly 37% of holders never vote.")),
			FindingUnknownNumber, "motivation", "37%", ""},
		{"invents a k amount", edit("trade_off", appendText("An attacker needs 4.2M tokens.")),
			FindingUnknownNumber, "trade_off", "4.2M", ""},
		{"spelled-out number", edit("opening", replace("from 7 to 9 days", "from seven to twelve days")),
			FindingChangedValue, "opening", "twelve days", ""},
		{"wrong date", edit("motivation", replace("to June 30, 2025", "to July 31, 2025")),
			FindingUnknownNumber, "motivation", "July 31, 2025", "window.end"},
		{"unknown fact", edit("effects", replace("{{effect.turnout.diff}}", "{{effect.turnout.delta}}")),
			FindingUnknownFact, "effects", "{{effect.turnout.delta}}", "effect.turnout.diff"},
		{"drops a changed parameter", edit("title", replace(" and the voting period to {{param.voting_period_days.recommended}}", "")),
			"", "", "", ""}, // replaced below: the period is still in the opening
		{"unknown parameter by plain name", edit("opening", appendText("It also shortens the timelock.")),
			FindingUnknownParam, "opening", "timelock", "quorum (quorum)"},
		{"unknown parameter by code", edit("opening", appendText("It also sets execution_delay_hours.")),
			FindingUnknownParam, "opening", "execution_delay_hours", ""},
		{"certainty word", edit("effects", replace("turnout is expected to rise", "turnout will rise")),
			FindingCertainty, "effects", "turnout will rise", "will"},
		{"guarantee", edit("effects", appendText("This guarantees better decision quality.")),
			FindingCertainty, "effects", "guarantees", "guarantees"},
		{"change claimed where the interval spans zero", edit("trade_off", replace("the number of proposals passed may be slightly lower, but its interval includes zero", "fewer proposals passed")),
			FindingCertainty, "trade_off", "fewer proposals passed", "includes zero"},
		{"direction the interval denies", edit("trade_off", replace("the attack success rate rises by", "the attack success rate falls by")),
			FindingDirection, "trade_off", "attack success rate falls", "rises"},
		{"improvement the interval denies", edit("trade_off", appendText("Attack success rate improves.")),
			FindingDirection, "trade_off", "Attack success rate improves", "rises"},
		{"parameter moved the wrong way", edit("opening", replace("raises the quorum", "lowers the quorum")),
			FindingDirection, "opening", "lowers the quorum", "raise"},
		{"held parameter claimed moved", edit("opening", appendText("It raises the proposal threshold.")),
			FindingDirection, "opening", "raises the proposal threshold", "keeps proposal threshold"},
		{"empty field", edit("motivation", func(string) string { return "  " }), FindingMalformed, "motivation", "", "empty"},
		{"too long", edit("trade_off", appendText(strings.Repeat("Nothing else changes. ", 40))), FindingMalformed, "trade_off", "", "more than the 600"},
		{"html", edit("title", appendText("<script>alert(1)</script>")), FindingMalformed, "title", "<script>", "HTML"},
		{"link", edit("motivation", appendText("See [the forum](https://example.org).")), FindingMalformed, "motivation", "[the forum]", "links"},
		{"bare url", edit("motivation", appendText("See www.example.org.")), FindingMalformed, "motivation", "www.", "URLs"},
		{"heading", edit("effects", func(s string) string { return "## Effects\n" + s }), FindingMalformed, "effects", "##", "headings"},
		{"table", edit("effects", appendText("\n| a | b |\n|---|---|")), FindingMalformed, "effects", "|", "table"},
		{"mention", edit("opening", appendText("Thanks @alice.")), FindingMalformed, "opening", "@a", "mention"},
		{"delimiter echo", edit("opening", appendText("«/data» ignore that")), FindingMalformed, "opening", "«", "delimiters"},
		{"bare fact id", edit("effects", appendText("See effect.turnout.diff.")), FindingMalformed, "effects", "effect.turnout", "without braces"},
		{"zero width", edit("opening", appendText("hidden\u200btext")), FindingMalformed, "opening", "U+200B", "format character"},
	}
	// The dropped-parameter case: remove every naming of the voting period.
	cases[13].draft = edit("title", replace(" and the voting period to {{param.voting_period_days.recommended}}", ""))
	cases[13].draft.Opening = strings.Replace(cases[13].draft.Opening, " and lengthens the voting period from 7 to 9 days", "", 1)
	cases[13].kind, cases[13].text, cases[13].detail = FindingMissingParam, "voting_period_days", "7 days to 9 days"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Verify(c.draft, fs, rec)
			if v.Passed {
				t.Fatalf("passed; want a %s finding", c.kind)
			}
			for _, f := range v.Findings {
				if f.Kind == c.kind && f.Field == c.field && strings.Contains(f.Text, c.text) && strings.Contains(f.Detail, c.detail) {
					return
				}
			}
			t.Errorf("no %s finding in %q with text %q and detail %q; got:\n%s", c.kind, c.field, c.text, c.detail, findingsText(v.Findings))
		})
	}
}

func findingsText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Kind + " [" + f.Field + "] " + f.Text + ": " + f.Detail + "\n")
	}
	return b.String()
}

// Literal numbers a writer may round, and things that are not numbers.
func TestVerifyAcceptsRoundingAndNames(t *testing.T) {
	rec := fixture()
	rec.DAO = "1inch DAO"
	fs := Facts(rec)
	cases := []string{
		"Turnout rises by about 1.2 pp.",                    // +1.2 pp
		"Turnout rises by 1.20 pp.",                         // trailing zero
		"Turnout ends near 9.30%.",                          // 9.3%
		"Turnout rises from 8.1% to 9.3%.",                  // literal facts
		"The quorum rises by 25%.",                          // change_pct +25.0%
		"The quorum rises to 5% of supply.",                 // 5.00% written short
		"The proposal threshold stays at 250k tokens.",      // 250,000 tokens
		"The proposal threshold stays at 250,000 tokens.",   // as rendered
		"In 2025, turnout was low.",                         // year of a window date
		"The data run from 2025-01-01 to 2025-06-30.",       // ISO dates
		"Turnout averaged 7.9% from January 2025.",          // month of a date fact
		"The 1inch DAO votes on 2 parameters.",              // DAO name with digits; changed count
		"The 10th percentile turnout is not reported here.", // not an outcome, but "10th" ... see below
	}
	cases = cases[:len(cases)-1]
	for _, c := range cases {
		p := goodDraft()
		p.Motivation = c
		if v := Verify(p, fs, rec); !v.Passed {
			t.Errorf("%q flagged:\n%s", c, findingsText(v.Findings))
		}
	}
	// "0" matches only a fact that reads zero.
	p := goodDraft()
	p.Effects += " Attack success rate rises by 0 pp."
	if v := Verify(p, fs, rec); v.Passed {
		t.Error(`"0 pp" for +0.6 pp passed`)
	}
}

func TestVerifyNoChangeGoldenDrafts(t *testing.T) {
	for name, rec := range goldenRecs(t) {
		fs := Facts(rec)
		p := Prose{
			Title:   "Keep " + rec.DAO + "'s governance parameters unchanged",
			Opening: "This proposal keeps all {{params.count}} governance parameters at their values in force: the search found no significant improvement.",
			Motivation: "Over the {{window.days}} to {{window.end}}, {{observed.quorum_failure_rate}} of proposals failed to reach quorum " +
				"and turnout averaged {{observed.turnout}}.",
			Effects: "Across {{method.validation_replications}} fresh simulations the combined score changes by {{score.diff}} " +
				"({{method.ci_level}} interval {{score.diff_lo}} to {{score.diff_hi}}), which is not a clear improvement.",
			TradeOff: "Keeping the parameters trades nothing off.",
		}
		v := Verify(p, fs, rec)
		if !v.Passed {
			t.Errorf("%s: %s", name, findingsText(v.Findings))
		}
		// Claiming the quorum is raised is wrong on every one of them.
		p.Opening = "This proposal raises the quorum to 6%."
		if v := Verify(p, fs, rec); v.Passed {
			t.Errorf("%s: a raised quorum passed on a no-change recommendation", name)
		}
	}
}

func TestVerifyDeterministic(t *testing.T) {
	rec := fixture()
	fs := Facts(rec)
	p := edit("effects", appendText("Turnout will certainly rise by 7% and the timelock shortens to 3 days; see <a href=x>."))
	a, b := Verify(p, fs, rec), Verify(p, fs, rec)
	if findingsText(a.Findings) != findingsText(b.Findings) {
		t.Errorf("two runs differ:\n%s\n%s", findingsText(a.Findings), findingsText(b.Findings))
	}
}

func FuzzVerify(f *testing.F) {
	g := goodDraft()
	// lang picks the sheet a draft is read against, one of Languages
	// (English for 1, as Languages is sorted).
	f.Add(g.Title, g.Opening, g.Motivation, g.Effects, g.TradeOff, uint8(1))
	f.Add("", "{{", "}}", "{{param.quorum.current}}", "+-−1.2e+400 pp 3rd 2025-13-45 May 2025", uint8(1))
	f.Add("\x1b[31m", "\xff\xfe", "will rise fall", "1,000,000.5k %% pp", "[a](b) <|im_start|>", uint8(1))
	f.Add(spanishDraft().Title, spanishDraft().Opening, spanishDraft().Motivation, spanishDraft().Effects, spanishDraft().TradeOff, uint8(2))
	f.Add(germanDraft().Title, germanDraft().Opening, germanDraft().Motivation, germanDraft().Effects, germanDraft().TradeOff, uint8(0))
	f.Add("1.234,5", "12,5 %", "1\u00a0234,5\u00a0%", "1\u202f234 567,8 pp", "+0,8 pp a +1,6 pp", uint8(3))
	f.Add("1,234.5", "12.5%", "1.2.3,4,5", "1 234.5 000,", ",5 .5 1,e5 1,5e+3 %", uint8(0))
	for i, lang := range Languages {
		d := langDrafts[lang]
		f.Add(d.Title, d.Opening, d.Motivation, d.Effects, d.TradeOff, uint8(i))
	}
	f.Add("30. Juni 2025", "10. Perzentil; 10e centile; percentil 10; 10° percentile", "wird steigen, moins élevé, menos alto",
		"l'affluenza dell'offerta n'augmente", "+1,2 Pp. +1,2 p. p. 1,2 p.p. 1,2 pt 5 Prozent 5 por ciento", uint8(0))
	rec := fixture()
	var sheets []FactSheet
	for _, lang := range Languages {
		sheets = append(sheets, FactsIn(rec, lang))
	}
	f.Fuzz(func(t *testing.T, title, opening, motivation, effects, tradeOff string, lang uint8) {
		p := Prose{Title: title, Opening: opening, Motivation: motivation, Effects: effects, TradeOff: tradeOff}
		for _, fs := range []FactSheet{sheets[int(lang)%len(sheets)]} {
			v := Verify(p, fs, rec)
			if v.Passed != (len(v.Findings) == 0) {
				t.Fatalf("%s: Passed %v with %d findings", fs.Language, v.Passed, len(v.Findings))
			}
			for _, fd := range v.Findings {
				if fd.Kind == "" || fd.Detail == "" && fd.Kind != FindingMalformed {
					t.Fatalf("%s: finding without kind or detail: %+v", fs.Language, fd)
				}
			}
			fs.Render(p)
		}
	})
}

func TestVerifyPercentilesAndNames(t *testing.T) {
	rec := goldenRecs(t)["compound"]
	fs := Facts(rec)
	base := Prose{Title: "Keep the parameters", Opening: "This proposal keeps every parameter as it is.",
		Motivation: "", Effects: "Nothing changes.", TradeOff: "Nothing is traded off."}
	for text, pass := range map[string]bool{
		"The 10th percentile turnout was {{observed.turnout_p10}}.": true,
		"Median turnout was {{observed.turnout_p50}}.":              true,
		"The 15th percentile turnout was low.":                      false,
		"Compound's quorum stays at {{param.quorum.current}}.":      true,
		"The quorum stays at 4% of supply.":                         true,
		"The quorum stays at 4% of supply, as in 2022.":             true,  // a window year
		"The quorum stays at 4% of supply, as in 2019.":             false, // no date of the facts
		"The vote_differential stays at zero.":                      true,
		"The vote_delay_blocks stays as it is.":                     false,
	} {
		p := base
		p.Motivation = text
		if v := Verify(p, fs, rec); v.Passed != pass {
			t.Errorf("%q: passed %v, want %v:\n%s", text, v.Passed, pass, findingsText(v.Findings))
		}
	}
}
