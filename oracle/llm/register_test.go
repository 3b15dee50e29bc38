package llm

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/attune-dao/attune/oracle"
)

// germanDraft is an LLM's draft of the fixture in German, citing the
// facts by reference.
func germanDraft() oracle.Prose {
	return oracle.Prose{
		Title:      "Quorum und Abstimmungsdauer anheben",
		Opening:    "Der Vorschlag hebt das Quorum von {{param.quorum.current}} auf {{param.quorum.recommended}} an und verlängert die Abstimmungsdauer auf {{param.voting_period_days.recommended}}.",
		Motivation: "Von {{window.start}} bis {{window.end}} lag die Wahlbeteiligung im Mittel bei {{observed.turnout}}.",
		Effects:    "In {{method.validation_replications}} neuen Simulationen dürfte die Wahlbeteiligung um {{effect.turnout.diff}} steigen, die Entscheidungsqualität um {{effect.decision_quality.diff}}.",
		TradeOff:   "Im Gegenzug dürfte die Erfolgsquote von Angriffen um {{effect.attack_success_rate.diff}} steigen.",
	}
}

// The drafter registers itself as "openai"; built by name from the
// config's fields, it drafts in the configured language, and so does its
// fallback.
func TestRegisteredDrafter(t *testing.T) {
	if names := oracle.Drafters(); !slices.Contains(names, "openai") || !slices.Contains(names, "template") {
		t.Fatalf("registered drafters %v; want openai and template", names)
	}
	f := newFake(t, ok(draftJSON(germanDraft())), reply{Status: http.StatusInternalServerError, Body: serverBody})
	s := &sleeper{}
	temperature := 0.0
	cfg := oracle.DrafterConfig{Language: "de", BaseURL: f.BaseURL(), Model: "gpt-4o-mini", APIKeyEnv: "LLM_KEY",
		Getenv: func(k string) string { return map[string]string{"LLM_KEY": "sk-test"}[k] }, Temperature: &temperature,
		MaxRetries: 1, Sleep: s.sleep, Seed: 7}
	d, err := oracle.NewDrafter("openai", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(*Drafter); !ok {
		t.Fatalf("drafter %T", d)
	}
	rec := fixture()
	p, err := d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Meta.FellBack || p.Meta.Language != "de" || !strings.Contains(p.Post, "Der Vorschlag hebt das Quorum von 4,00\u00a0% der Gesamtmenge auf 5,00\u00a0% der Gesamtmenge an") {
		t.Errorf("meta %+v; post:\n%s", p.Meta, p.Post)
	}
	tp, _ := oracle.Template{Language: "de"}.Draft(context.Background(), rec)
	if p.Appendix != tp.Appendix || !strings.Contains(p.Appendix, "## Anhang") {
		t.Errorf("the appendix is not the German template's:\n%s", p.Appendix)
	}
	// The endpoint fails from now on: the fallback is the German template.
	rec.CycleID = "2025-q4" // another input, so the cache is not read
	p, err = d.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ = oracle.Template{Language: "de"}.Draft(context.Background(), rec)
	if !p.Meta.FellBack || p.Post != tp.Post || p.Meta.Language != "de" {
		t.Errorf("fallback meta %+v; post:\n%s", p.Meta, p.Post)
	}
	if req := f.Requests()[0].Body; req["seed"] != float64(7) {
		t.Errorf("seed %v; want the cycle's", req["seed"])
	}
}

// A field the client refuses, or a key that is not set, is a
// *oracle.ConfigError naming the config key.
func TestRegisteredDrafterConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  oracle.DrafterConfig
		key  string
	}{
		{"unset key", oracle.DrafterConfig{BaseURL: "http://localhost:11434/v1", Model: "llama3.1", APIKeyEnv: "NOT_SET_ANYWHERE", Getenv: func(string) string { return "" }}, "api_key_env"},
		{"credentials in the URL", oracle.DrafterConfig{BaseURL: "https://user:pw@api.openai.com/v1", Model: "gpt-4o-mini"}, "base_url"},
		{"no model", oracle.DrafterConfig{BaseURL: "http://localhost:8000/v1"}, "model"},
		{"language", oracle.DrafterConfig{BaseURL: "http://localhost:8000/v1", Model: "m", Language: "nl"}, "language"},
	} {
		_, err := oracle.NewDrafter("openai", c.cfg)
		var ce *oracle.ConfigError
		if !errors.As(err, &ce) || ce.Key != c.key {
			t.Errorf("%s: %v; want a config error on %s", c.name, err, c.key)
		}
	}
}
