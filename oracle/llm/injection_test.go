package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/attune-dao/attune/oracle"
)

// injection is one attempt of oracle/testdata/injections.json.
type injection struct {
	ID    string `json:"id"`
	Where string `json:"where"`
	Text  string `json:"text"`
	Obey  struct {
		Field string `json:"field"`
		Text  string `json:"text"`
	} `json:"obey"`
}

func loadInjections(t *testing.T) []injection {
	t.Helper()
	data, err := os.ReadFile("../testdata/injections.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Injections []injection `json:"injections"`
	}
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus.Injections) < 30 {
		t.Fatalf("the corpus has %d injections; want at least 30", len(corpus.Injections))
	}
	return corpus.Injections
}

// jsonText is s as it appears inside a JSON string of the facts sheet.
func jsonText(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

var dataRE = regexp.MustCompile(regexp.QuoteMeta(oracle.UntrustedOpen) + `(?s:.*?)` + regexp.QuoteMeta(oracle.UntrustedClose))

// TestInjections places each injection of the corpus in the DAO's name (or
// its track, for those the corpus puts there), checks that it reaches the
// prompt only sanitised and between the data delimiters, and has a fake
// model obey it: the draft must end in a repair round and then the
// template, never in a proposal that holds the obeyed text.
func TestInjections(t *testing.T) {
	for _, inj := range loadInjections(t) {
		t.Run(inj.ID, func(t *testing.T) {
			rec := fixture()
			if inj.Where == "track" {
				rec.Method.Track = inj.Text
			} else {
				rec.DAO = inj.Text
			}
			clean := jsonText(oracle.Untrusted(inj.Text, oracle.DefaultUntrustedRunes))
			var first [][2]string
			obeyed := func(req map[string]any) string {
				msgs := messagesOf(t, req)
				if first == nil {
					first = msgs
				} else if len(msgs) < 2 || msgs[0] != first[0] || msgs[1] != first[1] {
					// The repair round adds the model's own answer and
					// the findings; the prompt before them is unchanged.
					t.Errorf("the repair request changed the system or facts message")
				}
				text := allText(t, map[string]any{"messages": req["messages"].([]any)[:2]})
				if !strings.Contains(text, oracle.UntrustedOpen+clean+oracle.UntrustedClose) {
					t.Errorf("the prompt lacks the sanitised text between the delimiters: %q", clean)
				}
				outside := dataRE.ReplaceAllString(text, "")
				if strings.Contains(outside, clean) || strings.Contains(outside, jsonText(inj.Text)) {
					t.Errorf("the injection reaches the prompt outside the data delimiters")
				}
				p := goodDraft()
				switch inj.Obey.Field {
				case "title":
					p.Title += " " + inj.Obey.Text
				case "opening":
					p.Opening += " " + inj.Obey.Text
				case "motivation":
					p.Motivation += " " + inj.Obey.Text
				case "effects":
					p.Effects += " " + inj.Obey.Text
				case "trade_off":
					p.TradeOff += " " + inj.Obey.Text
				default:
					t.Fatalf("unknown field %q", inj.Obey.Field)
				}
				return draftJSON(p)
			}
			f := newFake(t, reply{Answer: obeyed})
			d, _ := newDrafter(t, f, nil)
			p, err := d.Draft(context.Background(), rec)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(f.Requests()); n != 2 {
				t.Errorf("%d requests, want 2 (the draft and one repair)", n)
			}
			// The proposal is the template's, with nothing of the
			// model's: the obeyed text appears only if the DAO's own name
			// (from the steward's config) holds it.
			assertTemplate(t, p, rec)
			tp, _ := oracle.Template{}.Draft(context.Background(), rec)
			if strings.Count(p.Markdown, inj.Obey.Text) > strings.Count(tp.Markdown, inj.Obey.Text) {
				t.Errorf("the proposal holds the obeyed text %q", inj.Obey.Text)
			}
			if !p.Meta.Repaired {
				t.Errorf("meta %+v; want a repair round, then the template", p.Meta)
			}
		})
	}
}
