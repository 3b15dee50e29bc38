package oracle

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateFacts = flag.Bool("update-facts", false, "rewrite the oracle's fact-sheet golden files")

// goldenRecs loads the recommendations of the bundled examples.
func goldenRecs(t testing.TB) map[string]Recommendation {
	t.Helper()
	paths, err := filepath.Glob("../loop/testdata/golden/*/recommendation.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden recommendations found: %v", err)
	}
	out := map[string]Recommendation{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var rec Recommendation
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(filepath.Dir(p))] = rec
	}
	return out
}

func TestFactsFixture(t *testing.T) {
	fs := Facts(fixture())
	want := map[string]string{
		"param.quorum.current":                    "4.00% of supply",
		"param.quorum.recommended":                "5.00% of supply",
		"param.quorum.change":                     "+1.00 pp of supply",
		"param.quorum.change_pct":                 "+25.0%",
		"param.voting_period_days.current":        "7 days",
		"param.voting_period_days.recommended":    "9 days",
		"param.voting_period_days.change":         "+2 days",
		"param.proposal_threshold.recommended":    "250,000 tokens",
		"params.changed_count":                    "2",
		"effect.turnout.diff":                     "+1.2 pp",
		"effect.turnout.diff_lo":                  "+0.8 pp",
		"effect.turnout.diff_hi":                  "+1.6 pp",
		"effect.turnout.current":                  "8.1%",
		"effect.attack_success_rate.diff":         "+0.6 pp",
		"effect.proposals_passed.diff_lo":         "-0.5 proposals",
		"score.diff":                              "+0.042",
		"observed.turnout":                        "7.9%",
		"observed.pass_rate":                      "72.0%",
		"calibration.proposals_per_month.error":   "+8.0%",
		"calibration.tolerance":                   "10.0%",
		"method.validation_replications":          "200",
		"method.ci_level":                         "90%",
		"window.days":                             "180 days",
		"window.start":                            "2025-01-01",
		"window.end":                              "2025-06-30",
		"constraint.reward_spend_per_month.limit": "50,000",
		"clamp.voting_period_days.max_change.5":   "30%",
	}
	for id, text := range want {
		f, ok := fs.Fact(id)
		if !ok {
			t.Errorf("no fact %s", id)
			continue
		}
		if f.Text != text {
			t.Errorf("%s: text %q, want %q", id, f.Text, text)
		}
		if f.About == "" {
			t.Errorf("%s: no About", id)
		}
	}
	// Values are in the recommendation's own units.
	if f, _ := fs.Fact("param.quorum.recommended"); f.Value != 0.05 || f.Unit != "fraction of supply" {
		t.Errorf("quorum fact %+v", f)
	}
	// Parameters: what the proposal does to each.
	changes := map[string]string{}
	for _, p := range fs.Params {
		changes[p.Code] = p.Change + "/" + p.Plain
	}
	for code, want := range map[string]string{"quorum": "raise/quorum", "voting_period_days": "raise/voting period", "proposal_threshold": "keep/proposal threshold"} {
		if changes[code] != want {
			t.Errorf("param %s: %q, want %q", code, changes[code], want)
		}
	}
	dirs := map[string]string{}
	for _, e := range fs.Effects {
		dirs[e.Code] = e.Direction
	}
	for code, want := range map[string]string{"turnout": "rises", "attack_success_rate": "rises", "proposals_passed": "unclear", "score": "rises"} {
		if dirs[code] != want {
			t.Errorf("effect %s: direction %q, want %q", code, dirs[code], want)
		}
	}
	// No candidate facts when the proposal changes parameters.
	for _, f := range fs.Facts {
		if strings.HasPrefix(f.ID, "candidate.") {
			t.Errorf("candidate fact %s on a change", f.ID)
		}
	}
	if len(fs.Context) != 1 || fs.Context[0].Data != UntrustedOpen+"Example DAO"+UntrustedClose {
		t.Errorf("context %+v", fs.Context)
	}
}

func TestFactsNoChangeKeepsValuesInForce(t *testing.T) {
	fs := Facts(noChangeFixture())
	if f, _ := fs.Fact("param.quorum.recommended"); f.Text != "4.00% of supply" {
		t.Errorf("recommended quorum on no change: %q, want the value in force", f.Text)
	}
	if _, ok := fs.Fact("param.quorum.change"); ok {
		t.Error("a change fact on a no-change recommendation")
	}
	if f, ok := fs.Fact("candidate.quorum"); !ok || f.Text != "4.50% of supply" {
		t.Errorf("candidate.quorum = %+v, %v", f, ok)
	}
	if f, _ := fs.Fact("params.changed_count"); f.Value != 0 {
		t.Errorf("changed count %v", f.Value)
	}
	for _, p := range fs.Params {
		if p.Change != "keep" || p.Held == "" {
			t.Errorf("param %s: change %q held %q", p.Code, p.Change, p.Held)
		}
	}
}

func TestFactsSkipNonFinite(t *testing.T) {
	rec := fixture()
	rec.Effects[1].Difference.CI.Hi = math.NaN()
	rec.Params[0].Current = math.Inf(1)
	fs := Facts(rec)
	for _, id := range []string{"effect.turnout.diff_hi", "param.quorum.current"} {
		if _, ok := fs.Fact(id); ok {
			t.Errorf("fact %s holds a non-finite value", id)
		}
	}
	if _, err := fs.JSON(); err != nil {
		t.Errorf("JSON: %v", err)
	}
}

func TestFactIDsUniqueAndSafe(t *testing.T) {
	recs := goldenRecs(t)
	recs["fixture"] = fixture()
	recs["nochange"] = noChangeFixture()
	for name, rec := range recs {
		seen := map[string]bool{}
		for _, f := range Facts(rec).Facts {
			if seen[f.ID] {
				t.Errorf("%s: duplicate id %s", name, f.ID)
			}
			seen[f.ID] = true
			if strings.Trim(f.ID, "abcdefghijklmnopqrstuvwxyz0123456789_.") != "" {
				t.Errorf("%s: id %q has characters outside [a-z0-9_.]", name, f.ID)
			}
		}
	}
}

// TestFactsJSONGolden pins the sheet an LLM reads for the fixture; run
// with -update-facts to rewrite it.
func TestFactsJSONGolden(t *testing.T) {
	got, err := Facts(fixture()).JSON()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Facts(fixture()).JSON()
	if !bytes.Equal(got, again) {
		t.Fatal("fact sheet JSON differs between two calls")
	}
	path := filepath.Join("testdata", "facts_fixture.golden.json")
	if *updateFacts {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./oracle/ -run TestFactsJSONGolden -update-facts)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("fact sheet differs from %s (run with -update-facts if intended):\n%s", path, got)
	}
	if bytes.Contains(got, []byte(`\u003c`)) || bytes.Contains(got, []byte(`\u00ab`)) {
		t.Error("JSON escapes characters a model should read as written")
	}
}

// Every fact's own text passes the number check: what Render writes is
// never flagged, whatever the recommendation.
func TestFactTextsPassVerify(t *testing.T) {
	recs := goldenRecs(t)
	recs["fixture"] = fixture()
	recs["nochange"] = noChangeFixture()
	for name, rec := range recs {
		fs := Facts(rec)
		v := newVerifier(fs, rec)
		for _, f := range fs.Facts {
			for _, fd := range v.numbers("effects", "("+f.Text+")", nil, nil, nil) {
				t.Errorf("%s: fact %s text %q flagged: %+v", name, f.ID, f.Text, fd)
			}
		}
	}
}

func TestRender(t *testing.T) {
	fs := Facts(fixture())
	p := Prose{
		Title:   "Raise the quorum to {{ param.quorum.recommended }}",
		Opening: "From {{param.quorum.current}} to {{param.quorum.recommended}}.",
		Effects: "Turnout rises by {{effect.turnout.delta}}.",
	}
	got, findings := fs.Render(p)
	if got.Title != "Raise the quorum to 5.00% of supply" {
		t.Errorf("title %q", got.Title)
	}
	if got.Opening != "From 4.00% of supply to 5.00% of supply." {
		t.Errorf("opening %q", got.Opening)
	}
	if got.Effects != p.Effects {
		t.Errorf("an unknown reference was rewritten: %q", got.Effects)
	}
	if len(findings) != 1 || findings[0].Kind != FindingUnknownFact || findings[0].Field != "effects" ||
		!strings.Contains(findings[0].Detail, "effect.turnout.diff") {
		t.Errorf("findings %+v, want one unknown_fact in effects suggesting effect.turnout.diff", findings)
	}
}
