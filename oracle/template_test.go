package oracle

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

func draftOK(t *testing.T, rec Recommendation) Proposal {
	t.Helper()
	p, err := Template{}.Draft(context.Background(), rec)
	if err != nil {
		t.Fatalf("Draft: %v", err)
	}
	return p
}

// section returns the Markdown from the "## name" heading to the next one.
func section(t *testing.T, md, name string) string {
	t.Helper()
	head := "\n## " + name + "\n"
	i := strings.Index(md, head)
	if i < 0 {
		t.Fatalf("no section %q in:\n%s", name, md)
	}
	rest := md[i+len(head):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// tableRows returns the cells of the table rows in s that follow header.
func tableRows(t *testing.T, s, header string) [][]string {
	t.Helper()
	i := strings.Index(s, header+"\n")
	if i < 0 {
		t.Fatalf("no table %q in:\n%s", header, s)
	}
	lines := strings.Split(s[i:], "\n")[2:] // skip header and delimiter
	var rows [][]string
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for k := range cells {
			cells[k] = strings.TrimSpace(cells[k])
		}
		rows = append(rows, cells)
	}
	return rows
}

const paramHeader = "| Parameter | Current | Recommended | Change |"

func TestDraftTitleAndDrafter(t *testing.T) {
	p := draftOK(t, fixture())
	if p.Drafter != "template" {
		t.Errorf("Drafter = %q", p.Drafter)
	}
	want := "Example DAO: Adjust quorum and voting period"
	if p.Title != want {
		t.Errorf("Title = %q, want %q", p.Title, want)
	}
	if !strings.HasPrefix(p.Markdown, "# "+want+"\n") {
		t.Errorf("Markdown does not start with the title line:\n%s", p.Markdown[:80])
	}
	for _, s := range []string{"Summary", "Proposed changes", "Expected effects", "Other outcomes", "Constraints",
		"Trade-offs", "Guardrails", "Method", "Calibration", "Reproduce", "Risks and rollback"} {
		if !strings.Contains(p.Markdown, "## "+s+"\n") && !strings.Contains(p.Markdown, "### "+s+"\n") {
			t.Errorf("missing section %q", s)
		}
	}
}

func TestDraftParamTable(t *testing.T) {
	rec := fixture()
	md := draftOK(t, rec).Markdown
	rows := tableRows(t, section(t, md, "Proposed changes"), paramHeader)
	want := [][]string{
		{"`quorum`", "4.00% of supply", "5.00% of supply", "+25.0%"},
		{"`voting_period_days`", "7 days", "9 days", "+28.6%"},
		{"`proposal_threshold`", "250,000 tokens", "250,000 tokens", "held"},
		{"`participation_reward`", "0 tokens per vote", "0 tokens per vote", "—"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d parameter rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	// Every value of every parameter appears, formatted by FormatValue.
	for _, p := range rec.Params {
		for _, v := range []float64{p.Current, p.Recommended} {
			if s := FormatValue(v, p.Unit, p.Integer); !strings.Contains(md, "| "+s+" |") {
				t.Errorf("%s value %q not in a table cell", p.Name, s)
			}
		}
	}
}

func TestDraftSummary(t *testing.T) {
	s := section(t, draftOK(t, fixture()).Markdown, "Summary")
	for _, want := range []string{
		"quorum from 4.00% of supply to 5.00% of supply",
		"voting period from 7 days to 9 days",
		"+0.042 (90% CI +0.018 to +0.066)",
		"interval lies above zero",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if n := strings.Count(strings.TrimSpace(s), ". "); n < 1 || n > 4 {
		t.Errorf("summary has %d sentence breaks, want 2-4 sentences:\n%s", n, s)
	}
}

func TestDraftNoChange(t *testing.T) {
	rec := noChangeFixture()
	// A stale Recommended must not leak into a "no change" proposal.
	rec.Params[0].Recommended = 0.07
	p := draftOK(t, rec)
	md := p.Markdown
	if p.Title != "Example DAO: Keep governance parameters unchanged" {
		t.Errorf("Title = %q", p.Title)
	}
	sum := section(t, md, "Summary")
	for _, want := range []string{"no significant improvement", "quorum 4.50% of supply", "voting period 8 days",
		"-0.01 to +0.018"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	params := section(t, md, "Parameters")
	rows := tableRows(t, params, paramHeader)
	if len(rows) != len(rec.Params) {
		t.Fatalf("got %d rows, want %d", len(rows), len(rec.Params))
	}
	for i, r := range rows {
		if r[1] != r[2] {
			t.Errorf("row %d: Recommended %q != Current %q", i, r[2], r[1])
		}
		if r[3] != "—" && r[3] != "held" {
			t.Errorf("row %d: Change = %q", i, r[3])
		}
	}
	cand := tableRows(t, params, "| Parameter | Current | Best candidate | Change |")
	if len(cand) != 3 || cand[0][2] != "4.50% of supply" || cand[2][0] != "`zeta_extra`" {
		t.Errorf("candidate rows = %q", cand)
	}
	if !strings.Contains(section(t, md, "Risks and rollback"), "nothing to roll back") {
		t.Error("no-change rollback should say there is nothing to roll back")
	}
}

func TestDraftEffects(t *testing.T) {
	md := draftOK(t, fixture()).Markdown
	eff := section(t, md, "Expected effects")
	if !strings.Contains(eff, "![Objectives under current and recommended parameters](objectives.png)") {
		t.Error("effects section lacks the chart link")
	}
	rows := tableRows(t, eff, "| Objective | Current | Recommended | Difference (90% CI) | Verdict |")
	if len(rows) != 3 {
		t.Fatalf("objective rows = %q", rows)
	}
	if !strings.HasPrefix(rows[1][0], "`turnout`") || rows[1][1] != "8.1%" || rows[1][4] != "better" {
		t.Errorf("turnout row = %q", rows[1])
	}
	out := tableRows(t, eff, "| Outcome | Current | Recommended | Difference (90% CI) | Verdict |")
	if len(out) != 2 || out[0][4] != "worse" || out[1][4] != "no clear change" {
		t.Errorf("outcome rows = %q", out)
	}
	p := draftOK(t, fixture())
	p2, err := Template{ChartFile: "charts/cycle 3.png"}.Draft(context.Background(), fixture())
	if err != nil {
		t.Fatal(err)
	}
	if p2.Markdown == p.Markdown || !strings.Contains(p2.Markdown, "](<charts/cycle 3.png>)") {
		t.Error("ChartFile is not used as the link target")
	}
}

func TestDraftTradeOffs(t *testing.T) {
	md := draftOK(t, fixture()).Markdown
	tr := section(t, md, "Trade-offs")
	worse, improves, _ := strings.Cut(tr, "What improves")
	if !strings.Contains(worse, "`attack_success_rate` gets worse") {
		t.Errorf("trade-offs do not name the worsened outcome:\n%s", tr)
	}
	if !strings.Contains(improves, "`decision_quality`") || !strings.Contains(improves, "`turnout`") {
		t.Errorf("trade-offs do not name what improves:\n%s", tr)
	}
	if strings.Contains(worse, "proposals_passed") && !strings.Contains(tr, "No clear change in `proposals_passed`") {
		t.Errorf("an unclear outcome is listed as worse:\n%s", tr)
	}
	risks := section(t, md, "Risks and rollback")
	if !strings.Contains(risks, "**Largest worsening.** `attack_success_rate`") {
		t.Errorf("risks do not name the largest worsening:\n%s", risks)
	}

	rec := fixture()
	rec.Outcomes = rec.Outcomes[1:] // drop the worsened outcome
	tr = section(t, draftOK(t, rec).Markdown, "Trade-offs")
	if !strings.Contains(tr, "None of the objectives or other outcomes gets measurably worse") {
		t.Errorf("trade-offs without a worsening should say so:\n%s", tr)
	}
}

func TestDraftConstraintsGuardrailsMethod(t *testing.T) {
	rec := fixture()
	md := draftOK(t, rec).Markdown
	c := tableRows(t, section(t, md, "Constraints"), "| Constraint | Current | Recommended | Status |")
	if len(c) != 1 || c[0][0] != "`reward_spend_per_month <= 50000`" || c[0][3] != "OK" {
		t.Errorf("constraint rows = %q", c)
	}
	rec.Constraints[0].OK = false
	rec.Constraints[0].Recommended = 62000
	c = tableRows(t, section(t, draftOK(t, rec).Markdown, "Constraints"), "| Constraint | Current | Recommended | Status |")
	if c[0][2] != "62,000" || c[0][3] != "**violated**" {
		t.Errorf("violated constraint row = %q", c[0])
	}

	g := section(t, md, "Guardrails")
	for _, l := range strings.Split(g, "\n") {
		if strings.HasPrefix(l, "- `voting_period_days` — `max_change`") && !strings.Contains(l, "may have gone further") {
			t.Errorf("binding clamp not flagged: %q", l)
		}
		if strings.HasPrefix(l, "- `quorum`") && strings.Contains(l, "Binding") {
			t.Errorf("non-binding clamp flagged: %q", l)
		}
	}
	if strings.Count(g, "\n- ") != 3 {
		t.Errorf("want 3 guardrails:\n%s", g)
	}

	m := section(t, md, "Method")
	for _, want := range []string{"2025-01-01 to 2025-06-30", "tpe", "Trials: 120", "Replications per trial: 32",
		"Validation replications: 200", "Seed: 20250701", "Risk measure: mean", "v0.4.1",
		"| `turnout` (target) | 0.079 | 0.081 | +2.5% |", "| `pass_rate` | 0.72 | 0.69 | -4.2% |", "±10.0%"} {
		if !strings.Contains(m, want) {
			t.Errorf("method lacks %q:\n%s", want, m)
		}
	}
	r := section(t, md, "Reproduce")
	if !strings.Contains(r, "```sh\n"+rec.Method.Command+"\n```") {
		t.Errorf("reproduce block wrong:\n%s", r)
	}
	rb := section(t, md, "Risks and rollback")
	for _, want := range []string{"`quorum`: 4.00% of supply", "`voting_period_days`: 7 days", "next tuning cycle", "+8.0% on `proposals_per_month`"} {
		if !strings.Contains(rb, want) {
			t.Errorf("risks lack %q:\n%s", want, rb)
		}
	}
	if strings.Contains(rb, "`proposal_threshold`:") {
		t.Error("rollback lists an unchanged parameter")
	}
	if !strings.Contains(md, "cycle `2025-q3`") || !strings.Contains(md, "drafted by the template drafter") {
		t.Error("footer missing")
	}
}

func TestDraftDeterministic(t *testing.T) {
	a := draftOK(t, fixture())
	for range 20 { // Candidate is a map: iteration order must not leak.
		b := draftOK(t, noChangeFixture())
		c := draftOK(t, noChangeFixture())
		if b != c {
			t.Fatal("two drafts of the same no-change recommendation differ")
		}
		if d := draftOK(t, fixture()); d != a {
			t.Fatal("two drafts of the same recommendation differ")
		}
	}
}

func TestDraftErrors(t *testing.T) {
	cases := map[string]struct {
		edit  func(*Recommendation)
		field string
	}{
		"no params":      {func(r *Recommendation) { r.Params = nil }, "Params is empty"},
		"NaN param":      {func(r *Recommendation) { r.Params[1].Recommended = math.NaN() }, "Params[1].Recommended"},
		"Inf effect":     {func(r *Recommendation) { r.Effects[0].Difference.CI.Hi = math.Inf(1) }, "Effects[0].Difference.CI.Hi"},
		"NaN score":      {func(r *Recommendation) { r.Score.Difference.Mean = math.NaN() }, "Score.Difference.Mean"},
		"NaN outcome":    {func(r *Recommendation) { r.Outcomes[0].Current.Mean = math.NaN() }, "Outcomes[0].Current.Mean"},
		"NaN constraint": {func(r *Recommendation) { r.Constraints[0].Current = math.NaN() }, "Constraints[0].Current"},
		"NaN fit":        {func(r *Recommendation) { r.Method.Fit[2].Error = math.NaN() }, "Method.Fit[2].Error"},
		"NaN candidate":  {func(r *Recommendation) { r.Candidate["quorum"] = math.NaN() }, `Candidate["quorum"]`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := fixture()
			tc.edit(&rec)
			p, err := Template{}.Draft(context.Background(), rec)
			if err == nil {
				t.Fatalf("no error; markdown:\n%s", p.Markdown)
			}
			if !errors.Is(err, ErrInvalidRecommendation) {
				t.Errorf("error %v does not wrap ErrInvalidRecommendation", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %q", err, tc.field)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Template{}).Draft(ctx, fixture()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestDraftOddInputsDoNotPanic(t *testing.T) {
	recs := []Recommendation{
		{Params: []ParamChange{{Name: "x"}}},
		{Change: true, Params: []ParamChange{{Name: "a|b`c", Unit: "weird unit", Current: 0, Recommended: 3}},
			Effects:     []Effect{{Name: "e|1"}},
			Clamps:      []Clamp{{Param: "a|b`c", Kind: "other", Binding: true}},
			Constraints: []ConstraintCheck{{Expr: "x | y"}},
			Method:      Method{Command: "echo ```", Fit: []FitRow{{Metric: "m", Target: true, Error: 0.5}}, FitTolerance: 0.1}},
	}
	for i, rec := range recs {
		var noCtx context.Context // a nil context must not panic
		p, err := Template{}.Draft(noCtx, rec)
		if err != nil {
			t.Fatalf("rec %d: %v", i, err)
		}
		if p.Markdown == "" {
			t.Fatalf("rec %d: empty markdown", i)
		}
	}
	p := draftOK(t, recs[1])
	if !strings.Contains(p.Markdown, "| ``a\\|b`c`` |") || !strings.Contains(p.Markdown, "````sh\necho ```\n````") {
		t.Errorf("escaping failed:\n%s", p.Markdown)
	}
	if !strings.Contains(p.Markdown, "| +3 weird unit (held) |") {
		t.Errorf("change from zero should be absolute:\n%s", p.Markdown)
	}
}

func TestAssumptionsAreListed(t *testing.T) {
	rec := fixture()
	rec.Method.Assumptions = []Assumption{{Name: "adversary_share", Value: 0.04, Description: "share of supply an attacking coalition controls"}}
	p, err := Template{}.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Markdown, "### Model assumptions") || !strings.Contains(p.Markdown, "| `adversary_share` | 0.04 | share of supply an attacking coalition controls |") {
		t.Errorf("assumptions missing:\n%s", p.Markdown)
	}
	rec.Method.Assumptions[0].Value = math.NaN()
	if _, err := (Template{}).Draft(context.Background(), rec); err == nil || !strings.Contains(err.Error(), "Assumptions[0]") {
		t.Errorf("NaN assumption: %v", err)
	}
}

func TestSummaryFollowsBasis(t *testing.T) {
	cases := []struct {
		basis  string
		change bool
		want   string
		not    string
	}{
		{BasisSignificant, true, "interval lies above zero", "constraint"},
		{BasisConstraint, true, "break a configured constraint", "lies above zero"},
		{BasisCandidateInfeasible, false, "best candidate breaks a configured constraint", "significant"},
		{BasisCurrentBest, false, "found nothing better", "significant"},
		{BasisNotSignificant, false, "no significant improvement", "lies above zero"},
	}
	for _, c := range cases {
		rec := fixture()
		if !c.change {
			rec = noChangeFixture()
		}
		rec.Basis, rec.Reason = c.basis, ""
		p := draftOK(t, rec)
		sum := p.Markdown[strings.Index(p.Markdown, "## Summary"):]
		sum = sum[:strings.Index(sum[2:], "\n## ")+2]
		if !strings.Contains(sum, c.want) || strings.Contains(sum, c.not) {
			t.Errorf("basis %s: summary %q; want %q and not %q", c.basis, sum, c.want, c.not)
		}
	}
}

func TestTokenAmountsAndExtrapolation(t *testing.T) {
	rec := fixture()
	rec.Method.Supply = 100_000_000
	p := draftOK(t, rec)
	if !strings.Contains(p.Markdown, "| 4.00% of supply (4,000,000 tokens) |") {
		t.Errorf("no token amount beside quorum:\n%s", p.Markdown)
	}
	if !strings.Contains(p.Markdown, "**Extrapolation.**") || !strings.Contains(p.Markdown, "simulation noise only") {
		t.Errorf("extrapolation or noise caveat missing:\n%s", p.Markdown)
	}
	rec.Method.Supply = math.Inf(1)
	if _, err := (Template{}).Draft(context.Background(), rec); err == nil || !strings.Contains(err.Error(), "Method.Supply") {
		t.Errorf("infinite supply: %v", err)
	}
}
