package oracle

import (
	"strings"
	"testing"
)

// langDrafts are drafts of the fixture (quorum 4% to 5%, voting period 7
// to 9 days; turnout and decision quality rise; attack success rises,
// which is worse) in every language, as an LLM should write them:
// numbers as references, directions the intervals support. Each names
// the parameters by its language's plain name.
var langDrafts = map[string]Prose{
	"en": goodDraft(),
	"de": {
		Title:      "Quorum und Abstimmungsdauer anheben",
		Opening:    "Der Vorschlag hebt das Quorum von {{param.quorum.current}} auf {{param.quorum.recommended}} an und verlängert die Abstimmungsdauer auf {{param.voting_period_days.recommended}}.",
		Motivation: "Von {{window.start}} bis {{window.end}} lag die Wahlbeteiligung im Mittel bei {{observed.turnout}}; das Quorum wird deshalb auf {{param.quorum.recommended}} erhöht.",
		Effects:    "In {{method.validation_replications}} neuen Simulationen dürfte die Wahlbeteiligung um {{effect.turnout.diff}} steigen, die Entscheidungsqualität um {{effect.decision_quality.diff}}.",
		TradeOff:   "Im Gegenzug dürfte die Erfolgsquote von Angriffen um {{effect.attack_success_rate.diff}} steigen; sie sinkt nicht.",
	},
	"fr": {
		Title:      "Relever le quorum et prolonger la durée du vote",
		Opening:    "La proposition relève le quorum de {{param.quorum.current}} à {{param.quorum.recommended}} et prolonge la durée du vote jusqu'à {{param.voting_period_days.recommended}}.",
		Motivation: "Du {{window.start}} au {{window.end}}, la participation a été en moyenne de {{observed.turnout}}.",
		Effects:    "Sur {{method.validation_replications}} nouvelles simulations, la participation devrait augmenter de {{effect.turnout.diff}}, la qualité des décisions de {{effect.decision_quality.diff}}.",
		TradeOff:   "En contrepartie, la simulation donne un taux de réussite des attaques plus élevé de {{effect.attack_success_rate.diff}} ; il n'augmente pas au-delà.",
	},
	"es": {
		Title:      "Subir el quórum y alargar el período de votación",
		Opening:    "La propuesta sube el quórum de {{param.quorum.current}} a {{param.quorum.recommended}} y alarga el período de votación a {{param.voting_period_days.recommended}}.",
		Motivation: "Del {{window.start}} al {{window.end}}, la participación promedió un {{observed.turnout}}.",
		Effects:    "En {{method.validation_replications}} simulaciones nuevas, se espera que la participación suba {{effect.turnout.diff}} y que la calidad de las decisiones mejore {{effect.decision_quality.diff}}.",
		TradeOff:   "A cambio, se espera que la tasa de éxito de los ataques suba {{effect.attack_success_rate.diff}}.",
	},
	"it": {
		Title:      "Alzare il quorum e allungare la durata della votazione",
		Opening:    "La proposta alza il quorum da {{param.quorum.current}} a {{param.quorum.recommended}} e allunga la durata della votazione a {{param.voting_period_days.recommended}}.",
		Motivation: "Dal {{window.start}} al {{window.end}}, l'affluenza è stata in media del {{observed.turnout}}.",
		Effects:    "Su {{method.validation_replications}} nuove simulazioni, l'affluenza dovrebbe aumentare di {{effect.turnout.diff}} e la qualità delle decisioni dovrebbe migliorare di {{effect.decision_quality.diff}}.",
		TradeOff:   "In cambio, il tasso di successo degli attacchi dovrebbe aumentare di {{effect.attack_success_rate.diff}}.",
	},
	"pt": {
		Title:      "Aumentar o quórum e prolongar o período de votação",
		Opening:    "A proposta aumenta o quórum de {{param.quorum.current}} para {{param.quorum.recommended}} e prolonga o período de votação para {{param.voting_period_days.recommended}}.",
		Motivation: "De {{window.start}} a {{window.end}}, a participação foi em média de {{observed.turnout}}.",
		Effects:    "Em {{method.validation_replications}} novas simulações, a participação deve subir {{effect.turnout.diff}} e a qualidade das decisões deve melhorar {{effect.decision_quality.diff}}.",
		TradeOff:   "Em troca, a taxa de sucesso dos ataques deve subir {{effect.attack_success_rate.diff}}.",
	},
}

// Every language's good draft passes against its own facts sheet, raw and
// rendered.
func TestVerifyLanguageDraftsPass(t *testing.T) {
	rec := fixture()
	for _, lang := range Languages {
		draft, ok := langDrafts[lang]
		if !ok {
			t.Fatalf("no draft in %s", lang)
		}
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
	}
}

// A wrong direction or a claim of certainty is caught in every language
// as in English; a right one, a negated one and a hedged one pass.
func TestVerifyLanguageDirections(t *testing.T) {
	rec := fixture()
	cases := []struct {
		lang, name, field, from, to string
		kind                        string // "" passes
	}{
		{"en", "turnout falls", "effects", "turnout is expected to rise", "turnout is expected to fall", FindingDirection},
		{"en", "quorum lowered", "opening", "raises the quorum", "lowers the quorum", FindingDirection},
		{"en", "turnout will rise", "effects", "turnout is expected to rise", "turnout will rise", FindingCertainty},
		{"en", "attacks fall", "trade_off", "the attack success rate rises", "the attack success rate falls", FindingDirection},
		{"en", "attacks do not fall", "trade_off", "the attack success rate rises", "the attack success rate does not fall", ""},

		{"de", "turnout falls", "effects", "Wahlbeteiligung um {{effect.turnout.diff}} steigen", "Wahlbeteiligung um {{effect.turnout.diff}} sinken", FindingDirection},
		{"de", "quorum lowered", "opening", "hebt das Quorum", "senkt das Quorum", FindingDirection},
		{"de", "turnout will rise", "effects", "dürfte die Wahlbeteiligung", "wird die Wahlbeteiligung", FindingCertainty},
		{"de", "turnout will likely rise", "effects", "dürfte die Wahlbeteiligung", "wird die Wahlbeteiligung voraussichtlich", ""},
		{"de", "guaranteed", "effects", "dürfte die Wahlbeteiligung", "garantiert die Wahlbeteiligung", FindingCertainty},
		{"de", "attacks fall", "trade_off", "Angriffen um {{effect.attack_success_rate.diff}} steigen", "Angriffen um {{effect.attack_success_rate.diff}} sinken", FindingDirection},
		{"de", "decision quality worse", "effects", "Entscheidungsqualität um", "Entscheidungsqualität verschlechtert sich um", FindingDirection},

		{"fr", "turnout falls", "effects", "la participation devrait augmenter", "la participation devrait baisser", FindingDirection},
		{"fr", "quorum lowered", "opening", "relève le quorum", "abaisse le quorum", FindingDirection},
		{"fr", "turnout will rise", "effects", "la participation devrait augmenter", "la participation augmentera", FindingCertainty},
		{"fr", "attacks less high", "trade_off", "attaques plus élevé", "attaques moins élevé", FindingDirection},
		{"fr", "turnout does not fall", "effects", "la participation devrait augmenter", "la participation ne devrait pas baisser", ""},

		{"es", "turnout falls", "effects", "que la participación suba", "que la participación baje", FindingDirection},
		{"es", "quorum lowered", "opening", "sube el quórum", "baja el quórum", FindingDirection},
		{"es", "turnout will rise", "effects", "se espera que la participación suba", "la participación subirá", FindingCertainty},
		{"es", "decision quality worse", "effects", "calidad de las decisiones mejore", "calidad de las decisiones empeore", FindingDirection},

		{"it", "turnout falls", "effects", "l'affluenza dovrebbe aumentare", "l'affluenza dovrebbe diminuire", FindingDirection},
		{"it", "quorum lowered", "opening", "alza il quorum", "abbassa il quorum", FindingDirection},
		{"it", "turnout will rise", "effects", "l'affluenza dovrebbe aumentare", "l'affluenza aumenterà", FindingCertainty},
		{"it", "attacks fall", "trade_off", "dovrebbe aumentare", "dovrebbe diminuire", FindingDirection},

		{"pt", "turnout falls", "effects", "a participação deve subir", "a participação deve cair", FindingDirection},
		{"pt", "quorum lowered", "opening", "aumenta o quórum", "reduz o quórum", FindingDirection},
		{"pt", "turnout will rise", "effects", "a participação deve subir", "a participação aumentará", FindingCertainty},
		{"pt", "turnout does not fall", "effects", "a participação deve subir", "a participação não deve cair", ""},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		draft := langDrafts[c.lang]
		field := map[string]*string{"opening": &draft.Opening, "effects": &draft.Effects, "trade_off": &draft.TradeOff}[c.field]
		if !strings.Contains(*field, c.from) {
			t.Fatalf("%s %s: the draft's %s lacks %q", c.lang, c.name, c.field, c.from)
		}
		*field = strings.Replace(*field, c.from, c.to, 1)
		v := Verify(draft, FactsIn(rec, c.lang), rec)
		if c.kind == "" {
			if !v.Passed {
				t.Errorf("%s %s: failed:\n%s", c.lang, c.name, findingsText(v.Findings))
			}
			continue
		}
		seen[c.lang+" "+c.kind] = true
		found := false
		for _, f := range v.Findings {
			found = found || f.Kind == c.kind && f.Field == c.field
		}
		if v.Passed || !found {
			t.Errorf("%s %s: want a %s finding in %s, got:\n%s", c.lang, c.name, c.kind, c.field, findingsText(v.Findings))
		}
	}
	for _, lang := range Languages {
		for _, kind := range []string{FindingDirection, FindingCertainty} {
			if !seen[lang+" "+kind] {
				t.Errorf("no %s case in %s", kind, lang)
			}
		}
	}
}
