package oracle

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// documentSchema compiles schema/proposal.v1.schema.json.
func documentSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "schema", "proposal.v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("proposal.v1.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("proposal.v1.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// validateDocument checks d's JSON against the schema.
func validateDocument(t *testing.T, sch *jsonschema.Schema, d any) {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the document breaks the schema: %v\n%s", err, raw)
	}
}

func TestDocument(t *testing.T) {
	rec := bravoFixture()
	p := draftOK(t, rec)
	d := Document(p, rec)
	if d.Schema != DocumentSchema || d.CycleID != rec.CycleID || d.Date != "2024-03-01" || d.Title != p.Title {
		t.Errorf("header %q %q %q %q", d.Schema, d.CycleID, d.Date, d.Title)
	}
	if d.Post != p.Post || d.Appendix != p.Appendix || d.Drafter.Drafter != "template" {
		t.Error("the document's Markdown or drafter differs from the proposal's")
	}
	// The rows are the post's table's, in its order, with its text.
	rows := tableRows(t, p.Post, "| Parameter | Current | Recommended |")
	if len(d.Parameters) != len(rows) {
		t.Fatalf("%d parameters; the post's table has %d rows", len(d.Parameters), len(rows))
	}
	for i, r := range rows {
		dp := d.Parameters[i]
		if r[0] != dp.PlainName+" (`"+dp.Name+"`)" || r[1] != dp.CurrentText {
			t.Errorf("row %d: table %q, document %+v", i, r, dp)
		}
		if r[2] != "unchanged" && r[2] != dp.RecommendedText {
			t.Errorf("row %d: table says %q, document %q", i, r[2], dp.RecommendedText)
		}
		if dp.Changed != (r[2] != "unchanged") {
			t.Errorf("row %d: changed %v, table %q", i, dp.Changed, r[2])
		}
	}
	var vp *DocumentParam
	for i := range d.Parameters {
		if d.Parameters[i].Name == "voting_period_days" {
			vp = &d.Parameters[i]
		}
	}
	if vp == nil || vp.Recommended != 9 || vp.Enacted == nil || vp.Enacted.Arg != "64800" || vp.Enacted.Function != "_setVotingPeriod(uint256)" {
		t.Errorf("voting period row %+v; want 9 days enacted as _setVotingPeriod(64800)", vp)
	}
	for _, dp := range d.Parameters {
		if dp.Name == "quorum" && dp.Enacted != nil {
			t.Error("the quorum needs an upgrade, yet the document gives it a setter")
		}
	}
	if len(d.Onchain) != len(rec.Onchain) {
		t.Errorf("%d on-chain calls; want %d", len(d.Onchain), len(rec.Onchain))
	}
	if len(d.Effects) != len(rec.Effects)+len(rec.Outcomes) || !d.Effects[0].Objective || d.Effects[len(d.Effects)-1].Objective {
		t.Errorf("effects: %d (want objectives then outcomes, %d)", len(d.Effects), len(rec.Effects)+len(rec.Outcomes))
	}
	e, want := d.Effects[0], rec.Effects[0]
	if e.Name != want.Name || e.Difference != want.Difference.Mean || e.Interval != want.Difference.CI || e.Verdict != want.Verdict() {
		t.Errorf("effect %+v; want %+v", e, want)
	}
	validateDocument(t, documentSchema(t), d)
}

func TestDocumentNoChange(t *testing.T) {
	rec := noChangeFixture()
	d := Document(draftOK(t, rec), rec)
	if d.Change || len(d.Onchain) != 0 {
		t.Errorf("no change, yet change %v and %d calls", d.Change, len(d.Onchain))
	}
	for _, p := range d.Parameters {
		if p.Changed || p.Recommended != p.Current {
			t.Errorf("no change, yet %+v", p)
		}
	}
	validateDocument(t, documentSchema(t), d)
}

// TestDocumentSchemaRejects checks that the schema is not vacuous: a
// document that lost a required part, or gained an unknown one, fails.
func TestDocumentSchemaRejects(t *testing.T) {
	rec := bravoFixture()
	raw, err := json.Marshal(Document(draftOK(t, rec), rec))
	if err != nil {
		t.Fatal(err)
	}
	sch := documentSchema(t)
	for name, edit := range map[string]func(map[string]any){
		"no post":       func(m map[string]any) { delete(m, "post") },
		"other schema":  func(m map[string]any) { m["schema"] = "attune.proposal/v2" },
		"unknown field": func(m map[string]any) { m["extra"] = 1 },
		"bad arg": func(m map[string]any) {
			m["onchain"].([]any)[1].(map[string]any)["arg"] = "64,800"
		},
		"bad verdict": func(m map[string]any) {
			m["effects"].([]any)[0].(map[string]any)["verdict"] = "certain"
		},
	} {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		if sch.Validate(inst) == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}

// A proposal's document names parameters and writes values as its post
// does, in its language.
func TestDocumentInTheProposalsLanguage(t *testing.T) {
	rec := bravoFixture()
	p, err := Template{Language: "fr"}.Draft(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	d := Document(p, rec)
	validateDocument(t, documentSchema(t), d)
	if d.Drafter.Language != "fr" || d.Score.PlainName != "Score combiné" {
		t.Errorf("language %q, score %q", d.Drafter.Language, d.Score.PlainName)
	}
	q := d.Parameters[0]
	if q.PlainName != "Quorum" || q.CurrentText != "4\u00a0% (400\u00a0000 COMP)" || !strings.Contains(p.Post, "| "+q.CurrentText+" |") {
		t.Errorf("quorum row %+v", q)
	}
	if v := d.Parameters[1]; v.PlainName != "Durée du vote" || v.RecommendedText != "9 jours" {
		t.Errorf("voting period row %+v", v)
	}
}
