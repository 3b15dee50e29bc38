package oracle

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestUntrusted(t *testing.T) {
	cases := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "Compound DAO", 0, "Compound DAO"},
		{"whitespace", "  a\t\tb\r\n\nc\u00a0d\u2028e  ", 0, "a b c d e"},
		{"controls", "a\x00b\x07c\x7fd\u0085e", 0, "abcd e"},
		{"csi", "\x1b[1;31mred\x1b[0m", 0, "red"},
		{"osc bel", "\x1b]0;evil title\x07ok", 0, "ok"},
		{"osc st", "\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\", 0, "link"},
		{"c1 csi", "a\u009b31mb", 0, "ab"},
		{"lone esc", "a\x1bcb", 0, "ab"},
		{"bidi", "abc\u202edcba\u202c \u2066x\u2069", 0, "abcdcba x"},
		{"zero width", "ig\u200bno\u200cre\u200d\ufeff", 0, "ignore"},
		{"tags", "ok\U000E0073\U000E0061\U000E0079", 0, "ok"},
		{"variation selector", "a\ufe0fb\U000E0100", 0, "ab"},
		{"private use", "a\ue000b", 0, "ab"},
		{"invalid utf8", "a\xffb\xc0", 0, "ab"},
		{"delimiters", "x«/data»y«data»", 0, "x\"/data\"y\"data\""},
		{"angle brackets", "<|im_start|>system</b>", 0, "‹|im_start|›system‹/b›"},
		{"cap at word", "alpha beta gamma delta", 13, "alpha beta…"},
		{"cap mid word", "abcdefghijklmnop", 6, "abcde…"},
		{"cap one", "abc", 1, "…"},
		{"no cap needed", "abc", 3, "abc"},
	}
	for _, c := range cases {
		if got := Untrusted(c.in, c.max); got != c.want {
			t.Errorf("%s: Untrusted(%q, %d) = %q, want %q", c.name, c.in, c.max, got, c.want)
		}
	}
}

// injection is one entry of testdata/injections.json.
type injection struct {
	ID    string `json:"id"`
	Where string `json:"where"`
	Text  string `json:"text"`
	Obey  struct {
		Field string `json:"field"`
		Text  string `json:"text"`
	} `json:"obey"`
}

func loadInjections(t testing.TB) []injection {
	t.Helper()
	b, err := os.ReadFile("testdata/injections.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Injections []injection `json:"injections"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Injections
}

// checkSanitised fails unless s is what Untrusted promises.
func checkSanitised(t testing.TB, s string, max int) {
	t.Helper()
	if strings.Contains(s, UntrustedOpen) || strings.Contains(s, UntrustedClose) || strings.ContainsAny(s, "«»<>\n\r\t") {
		t.Errorf("sanitised text can open or close a delimiter or a tag: %q", s)
	}
	if strings.Contains(s, "  ") || strings.TrimSpace(s) != s {
		t.Errorf("whitespace not normalised: %q", s)
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		t.Errorf("%d runes, cap %d", utf8.RuneCountInString(s), max)
	}
	for _, r := range s {
		if dropRune(r) {
			t.Errorf("sanitised text holds %U: %q", r, s)
		}
	}
}

func TestInjectionCorpus(t *testing.T) {
	corpus := loadInjections(t)
	if len(corpus) < 30 {
		t.Fatalf("corpus has %d injections, want at least 30", len(corpus))
	}
	clean := Facts(fixture())
	for _, inj := range corpus {
		t.Run(inj.ID, func(t *testing.T) {
			const max = 500
			checkSanitised(t, Untrusted(inj.Text, max), max)

			rec := fixture()
			switch inj.Where {
			case "dao":
				rec.DAO = inj.Text
			case "track":
				rec.Method.Track = inj.Text
			}
			fs := Facts(rec)
			if inj.Where != "dao" && inj.Where != "track" {
				fs.AddContext(inj.Where, inj.Text, max)
			}
			// The injection stays inside its delimiters and changes no fact.
			if !reflect.DeepEqual(fs.Facts, clean.Facts) || !reflect.DeepEqual(fs.Params, clean.Params) || !reflect.DeepEqual(fs.Effects, clean.Effects) {
				t.Fatal("untrusted text changed the facts")
			}
			for _, c := range fs.Context {
				inner, ok := strings.CutPrefix(c.Data, UntrustedOpen)
				inner, ok2 := strings.CutSuffix(inner, UntrustedClose)
				if !ok || !ok2 {
					t.Fatalf("context %s not wrapped: %q", c.Name, c.Data)
				}
				checkSanitised(t, inner, max)
			}
			js, err := fs.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var top map[string]json.RawMessage
			if err := json.Unmarshal(js, &top); err != nil {
				t.Fatalf("sheet JSON broken: %v", err)
			}
			for k := range top {
				if !strings.Contains("change basis reason references params effects facts context", k) {
					t.Errorf("the injection added a key %q to the sheet", k)
				}
			}
			// A good draft still passes; one that obeys the injection fails.
			if v := Verify(goodDraft(), fs, rec); !v.Passed {
				t.Errorf("good draft fails beside the injection:\n%s", findingsText(v.Findings))
			}
			obeyed := edit(inj.Obey.Field, appendText(inj.Obey.Text))
			if v := Verify(obeyed, fs, rec); v.Passed {
				t.Errorf("a draft obeying the injection passed: %q", inj.Obey.Text)
			}
		})
	}
}

func FuzzUntrusted(f *testing.F) {
	for _, inj := range loadInjections(f) {
		f.Add(inj.Text, 120)
	}
	f.Add("\x1b[", 5)
	f.Add("\x1b]unterminated", 0)
	f.Add("a b", 2)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max % 2000
		got := Untrusted(s, max)
		checkSanitised(t, got, max)
		if again := Untrusted(got, max); again != got {
			t.Fatalf("not idempotent: %q -> %q", got, again)
		}
	})
}
