package oracle

import (
	"slices"
	"strings"
	"testing"
)

// Every language has every English message, no other key, and the same
// placeholders as the English message.
func TestCatalogsMatchEnglish(t *testing.T) {
	for _, code := range Languages {
		l := locales[code]
		if l == nil {
			t.Fatalf("no locale for %s, one of Languages", code)
		}
		for key, en := range messagesEN {
			msg, ok := l.msgs[key]
			if !ok {
				t.Errorf("%s lacks %q", code, key)
				continue
			}
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s: %q is empty", code, key)
			}
			want, got := placeholders(en), placeholders(msg)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("%s: %q has placeholders %v; English has %v", code, key, got, want)
			}
		}
		for key := range l.msgs {
			if _, ok := messagesEN[key]; !ok {
				t.Errorf("%s has %q, which English does not", code, key)
			}
		}
	}
	if len(locales) != len(Languages) {
		t.Errorf("%d locales for %d languages", len(locales), len(Languages))
	}
}

// A placeholder written wrongly ("{Name}", "{ name}") is no placeholder:
// the check above would not see it, so no message may hold a brace that
// does not open one.
func TestCatalogBraces(t *testing.T) {
	for code, l := range locales {
		for key, msg := range l.msgs {
			open := strings.Count(msg, "{")
			if open != strings.Count(msg, "}") || open != len(placeholders(msg)) {
				t.Errorf("%s: %q has a brace that is no placeholder: %q", code, key, msg)
			}
		}
	}
}

// The English unit messages are the unit styles FormatValue writes, so
// that a language's units replace exactly those.
func TestEnglishUnitsAreFormatValues(t *testing.T) {
	for unit, st := range unitStyles {
		if st.key == "" {
			continue
		}
		if got := messagesEN["unit."+st.key+".other"]; got != st.suffix {
			t.Errorf("%s: unit.%s.other is %q; FormatValue writes %q", unit, st.key, got, st.suffix)
		}
		one := st.singular
		if one == "" {
			one = st.suffix
		}
		if got := messagesEN["unit."+st.key+".one"]; got != one {
			t.Errorf("%s: unit.%s.one is %q; FormatValue writes %q", unit, st.key, got, one)
		}
	}
}

func TestFill(t *testing.T) {
	for _, c := range []struct {
		tmpl string
		kv   []string
		want string
	}{
		{"{a} to {b}", []string{"a", "1", "b", "2"}, "1 to 2"},
		{"{b} bis {a}", []string{"a", "1", "b", "2"}, "2 bis 1"},
		{"{a}{a}", []string{"a", "x"}, "xx"},
		{"{missing} stays", []string{"a", "1"}, "{missing} stays"},
		{"{a}", []string{"a", "{b}", "b", "no"}, "{b}"}, // values are not templates
		{"{Not} {a b} {}", []string{"Not", "1"}, "{Not} {a b} {}"},
		{"odd {a", []string{"a", "1"}, "odd {a"},
		{"{a}", []string{"a"}, "{a}"}, // a name without a value
	} {
		if got := fill(c.tmpl, c.kv...); got != c.want {
			t.Errorf("fill(%q, %q) = %q; want %q", c.tmpl, c.kv, got, c.want)
		}
	}
}

func TestLocaleFor(t *testing.T) {
	for lang, want := range map[string]string{"": "en", "en": "en", "de": "de", "DE-at": "de", "pt-BR": "pt", "nl": "en", " fr ": "fr"} {
		if got := localeFor(lang).code; got != want {
			t.Errorf("localeFor(%q) = %s; want %s", lang, got, want)
		}
	}
	// A message missing from a language falls back to English, then to
	// the key.
	l := &locale{code: "xx", msgs: map[string]string{}, one: func(n int) bool { return n == 1 }}
	if got := l.msg("table.parameter"); got != "Parameter" {
		t.Errorf("fallback %q", got)
	}
	if got := l.msg("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key %q", got)
	}
}

func TestPluralRules(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		one  bool
	}{{"en", 1, true}, {"en", 0, false}, {"de", 2, false}, {"fr", 0, true}, {"fr", 1, true}, {"fr", 2, false}, {"pt", 0, true}, {"es", 0, false}} {
		if got := localeFor(c.lang).one(c.n); got != c.one {
			t.Errorf("%s: one(%d) = %v", c.lang, c.n, got)
		}
	}
}
