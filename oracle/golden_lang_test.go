package oracle

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateLang = flag.Bool("update-lang", false, "rewrite the oracle's proposal golden files in each language")

// TestLanguageGoldens pins the template's proposal, post and appendix,
// in every language but English (whose proposal for the bundled examples
// is loop's golden): for the Compound example's recommendation, which
// changes nothing, and for a change with its on-chain specification
// (bravoFixture, in English too). Regenerate with
//
//	go test ./oracle/ -run LanguageGoldens -update-lang
func TestLanguageGoldens(t *testing.T) {
	recs := map[string]Recommendation{"compound": goldenRecs(t)["compound"], "change": bravoFixture()}
	for name, rec := range recs {
		for _, lang := range Languages {
			if lang == "en" && name == "compound" {
				continue
			}
			p, err := Template{Language: lang}.Draft(t.Context(), rec)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+"."+lang+".md")
			if *updateLang {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(p.Markdown), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./oracle/ -run LanguageGoldens -update-lang)", err)
			}
			if string(want) != p.Markdown {
				t.Errorf("%s differs from the proposal drafted in %s (run go test ./oracle/ -run LanguageGoldens -update-lang if the change is intended)", path, lang)
			}
		}
	}
}
