package oracle

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func draftOK(t *testing.T, rec Recommendation) Proposal {
	t.Helper()
	p, err := Template{}.Draft(context.Background(), rec)
	if err != nil {
		t.Fatalf("Draft: %v", err)
	}
	return p
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

// bravoFixture is fixture as a GovernorBravo DAO whose recommendation
// carries its on-chain specification: a vote calls _setVotingPeriod, the
// quorum is a constant, and a reward needs a programme.
func bravoFixture() Recommendation {
	rec := fixture()
	rec.Date = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	rec.Method.Supply = 10_000_000
	rec.Method.TokenSymbol = "COMP"
	rec.Method.Governor = "bravo"
	rec.Method.Command = "attune run --config config.yaml"
	rec.Method.Inputs = []InputFile{{Name: "config.yaml", SHA256: strings.Repeat("ab", 32)}, {Name: "history.json", SHA256: strings.Repeat("cd", 32)}}
	rec.Params[0].Enactment = "upgrade"
	rec.Params[1].Enactment = "vote"
	rec.Params[3].Recommended = 4.7
	unrounded := 0.0507
	rec.Params[0].Recommended, rec.Params[0].Unrounded = 0.051, &unrounded
	rec.Onchain = []OnchainCall{
		{Param: "quorum", Contract: "GovernorBravo", Address: "0xc0Da02939E1441F497fd74F78cE7Decb17B66529",
			Meaning: "5.1% of supply (510,000 COMP)", Needs: "quorumVotes is a constant of the GovernorBravo contract: enacting quorumVotes = 510000000000000000000000 needs a new implementation",
			Constant: "quorumVotes", Arg: "510000000000000000000000", ArgUnit: "token_units", TokenDecimals: 18},
		{Param: "voting_period_days", Contract: "GovernorBravo", Address: "0xc0Da02939E1441F497fd74F78cE7Decb17B66529",
			Function: "_setVotingPeriod(uint256)", Arg: "64800", Meaning: "64,800 blocks, 9 days at 12 s per block", ArgUnit: "blocks", BlockSeconds: 12},
		{Param: "participation_reward", Contract: "GovernorBravo", Meaning: "4.7 tokens per vote",
			Needs: "the governor holds no reward: paying it needs a separate programme with its own funding source, costing about 12,000 COMP a month"},
	}
	return rec
}

func TestDraftShape(t *testing.T) {
	p := draftOK(t, bravoFixture())
	if p.Drafter != "template" || p.Meta.Drafter != "template" {
		t.Errorf("Drafter %q, Meta.Drafter %q", p.Drafter, p.Meta.Drafter)
	}
	if p.Markdown != p.Post+Separator+p.Appendix {
		t.Error("Markdown is not the post, the separator and the appendix")
	}
	if !strings.HasPrefix(p.Post, "# "+p.Title+"\n\n") || p.Title != "Example DAO: Adjust the quorum, the voting period and the participation reward" {
		t.Errorf("title %q; post starts %q", p.Title, p.Post[:60])
	}
	for _, s := range []string{"**Why.**", "| Parameter | Current | Recommended |", "**Expected effects.**", "**Trade-off.**",
		"**On-chain specification.**", "**Next steps.**", "not guarantees"} {
		if !strings.Contains(p.Post, s) {
			t.Errorf("the post lacks %q", s)
		}
	}
	for _, s := range []string{"How this was worked out", "Parameters", "Rounding", "Calibration: observed and simulated",
		"Every outcome", "Constraints", "Guardrails", "Reproduce"} {
		if !strings.Contains(p.Appendix, "\n### "+s+"\n") {
			t.Errorf("the appendix lacks the section %q", s)
		}
	}
}

// The post fits one screen, its tables fit a forum's width, it names each
// parameter in words with its code name once, and it has no jargon.
func TestPostIsShortAndPlain(t *testing.T) {
	for name, rec := range map[string]Recommendation{"change": bravoFixture(), "no change": noChangeFixture(), "fixture": fixture()} {
		p := draftOK(t, rec)
		if n := len(strings.Fields(p.Post)); n > 400 {
			t.Errorf("%s: the post has %d words, more than 400", name, n)
		}
		for _, l := range strings.Split(p.Markdown, "\n") {
			if strings.HasPrefix(l, "|") && utf8.RuneCountInString(l) > 120 {
				t.Errorf("%s: table line of %d characters: %s", name, utf8.RuneCountInString(l), l)
			}
		}
		for _, jargon := range []string{" pp", "logit", "tpe", "paired replications", "combined score", "CI"} {
			if strings.Contains(p.Post, jargon) {
				t.Errorf("%s: the post says %q", name, jargon)
			}
		}
		for _, pc := range rec.Params {
			if n := strings.Count(p.Post, "`"+pc.Name+"`"); n > 1 {
				t.Errorf("%s: the post names %s in code %d times", name, pc.Name, n)
			}
		}
		if strings.Contains(p.Post, "voting_period_days") && !strings.Contains(p.Post, "Voting period (`voting_period_days`)") {
			t.Errorf("%s: the code name appears without its plain name", name)
		}
	}
	// The appendix defines the combined score it uses.
	if a := draftOK(t, fixture()).Appendix; !strings.Contains(a, "The combined score adds up the objectives, each divided by a typical size and weighted: 0.6 × decision quality + 0.4 × turnout") {
		t.Errorf("the combined score is not defined:\n%s", a)
	}
}

func TestPostTableShowsEnactedValues(t *testing.T) {
	p := draftOK(t, bravoFixture())
	rows := tableRows(t, p.Post, "| Parameter | Current | Recommended |")
	want := [][]string{
		{"Quorum (`quorum`)", "4% (400,000 COMP)", "5.1% (510,000 COMP)"},
		{"Voting period (`voting_period_days`)", "7 days", "9 days"},
		{"Participation reward (`participation_reward`)", "0 COMP per vote", "4.7 COMP per vote"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q; want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	// The appendix says where rounding moved a value.
	if !strings.Contains(p.Appendix, "- Quorum: the search's 5.07% (507,000 COMP) became 5.1% (510,000 COMP).") {
		t.Errorf("no rounding note:\n%s", p.Appendix)
	}
}

// The specification gives each call with its argument, and says what a
// change no call can make needs instead.
func TestSpecification(t *testing.T) {
	p := draftOK(t, bravoFixture())
	for _, want := range []string{
		"- Voting period: `_setVotingPeriod(64800)` on GovernorBravo `0xc0Da02939E1441F497fd74F78cE7Decb17B66529`: 64,800 blocks, 9 days at 12 s per block.",
		"- Quorum (5.1% of supply (510,000 COMP)): quorumVotes is a constant of the GovernorBravo contract: enacting quorumVotes = 510000000000000000000000 needs a new implementation.",
		"- Participation reward (4.7 tokens per vote): the governor holds no reward: paying it needs a separate programme with its own funding source, costing about 12,000 COMP a month.",
	} {
		if !strings.Contains(p.Post, want) {
			t.Errorf("the specification lacks %q:\n%s", want, p.Post)
		}
	}
	if !strings.Contains(draftOK(t, noChangeFixture()).Post, "**On-chain specification.** None: nothing changes on chain.") {
		t.Error("a no-change post does not say nothing changes on chain")
	}
}

func TestNextStepsAreDated(t *testing.T) {
	p := draftOK(t, bravoFixture())
	for _, want := range []string{
		"1. Forum discussion: 2024-03-01 to 2024-03-08.",
		"2. Snapshot temperature check: 2024-03-08 to 2024-03-13.",
		"3. On-chain vote: proposed from 2024-03-14 if the check passes; voting lasts 7 days under the current rules.",
	} {
		if !strings.Contains(p.Post, want) {
			t.Errorf("next steps lack %q:\n%s", want, p.Post)
		}
	}
	rec := noChangeFixture()
	rec.Date = time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC)
	if p := draftOK(t, rec); !strings.Contains(p.Post, "No vote is needed. Comments are welcome here until 2025-01-06") {
		t.Errorf("no-change next steps:\n%s", p.Post)
	}
	p, err := Compose(bravoFixture(), Template{}.Prose(bravoFixture()), ComposeOptions{DiscussionDays: 3, TemperatureDays: 2})
	if err != nil || !strings.Contains(p.Post, "2. Snapshot temperature check: 2024-03-04 to 2024-03-06.") {
		t.Errorf("custom durations: %v\n%s", err, p.Post)
	}
}

func TestProseFromTheData(t *testing.T) {
	rec := fixture()
	rec.Method.Fit = append(rec.Method.Fit, FitRow{Metric: "quorum_failure_rate", Observed: 0.151, Absolute: true, Target: true})
	pr := Template{}.Prose(rec)
	if !strings.Contains(pr.Motivation, "From 2025-01-01 to 2025-06-30, 15.1% of decided proposals failed to reach quorum and turnout averaged 7.9% of supply.") {
		t.Errorf("motivation %q", pr.Motivation)
	}
	if !strings.Contains(pr.Motivation, "raise decision quality and turnout") {
		t.Errorf("motivation does not name the aims: %q", pr.Motivation)
	}
	if pr.Opening != "We propose to raise the quorum from 4% to 5% and lengthen the voting period from 7 days to 9 days." {
		t.Errorf("opening %q", pr.Opening)
	}
	if pr.Effects != "Decision quality is expected to rise by about 0.021 to 0.051; turnout is expected to rise by about 0.8 to 1.6 percentage points." {
		t.Errorf("effects %q", pr.Effects)
	}
	if pr.TradeOff != "The cost: attack success rate is expected to rise by about 0.2 to 1.0 percentage points." {
		t.Errorf("trade-off %q", pr.TradeOff)
	}
	// Nothing worse: the trade-off says so.
	rec.Outcomes = rec.Outcomes[1:]
	if pr := (Template{}).Prose(rec); pr.TradeOff != "Nothing measured gets worse: no outcome's range lies on the wrong side of no change." {
		t.Errorf("trade-off without a worsening: %q", pr.TradeOff)
	}
}

// A difference whose interval collapses to its mean is written once, and
// one that is zero throughout as "none".
func TestChangeCell(t *testing.T) {
	e := Effect{Unit: "days", Difference: Estimate{Mean: 3, CI: Interval{Lo: 3, Hi: 3, Level: 0.9}}}
	if got := changeCell(e); got != "+3 days" {
		t.Errorf("collapsed interval: %q", got)
	}
	e = Effect{Unit: "fraction of supply", Difference: Estimate{Mean: 0, CI: Interval{Lo: 0, Hi: 0}}}
	if got := changeCell(e); got != "none" {
		t.Errorf("zero: %q", got)
	}
	e = Effect{Unit: "share", Difference: Estimate{Mean: 0.012, CI: Interval{Lo: 0.008, Hi: 0.016}}}
	if got := changeCell(e); got != "+1.2 pp (+0.8 to +1.6)" {
		t.Errorf("interval: %q", got)
	}
}

// Reproduction names every file by its hash and no local path.
func TestReproduceByHash(t *testing.T) {
	a := draftOK(t, bravoFixture()).Appendix
	for _, want := range []string{"- `config.yaml`: `" + strings.Repeat("ab", 32) + "`", "- `history.json`: `" + strings.Repeat("cd", 32) + "`",
		"```sh\nattune run --config config.yaml\n```"} {
		if !strings.Contains(a, want) {
			t.Errorf("reproduce lacks %q:\n%s", want, a)
		}
	}
}

// Compose takes any drafter's prose but renders the table and the
// specification from the recommendation.
func TestComposeKeepsNumbersFromTheRecommendation(t *testing.T) {
	rec := bravoFixture()
	p, err := Compose(rec, Prose{Title: "T", Opening: "O.", Motivation: "M.", Effects: "E.", TradeOff: "X."}, ComposeOptions{ChartFile: "chart.png"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# T\n\nO.\n\n**Why.** M.", "| Voting period (`voting_period_days`) | 7 days | 9 days |", "`_setVotingPeriod(64800)`", "`chart.png`"} {
		if !strings.Contains(p.Post, want) {
			t.Errorf("post lacks %q:\n%s", want, p.Post)
		}
	}
	if _, err := Compose(rec, Prose{Title: " \n"}, ComposeOptions{}); !errors.Is(err, ErrInvalidRecommendation) {
		t.Errorf("no title: %v", err)
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
		"Inf supply":     {func(r *Recommendation) { r.Method.Supply = math.Inf(1) }, "Method.Supply"},
		"NaN assumption": {func(r *Recommendation) { r.Method.Assumptions = []Assumption{{Name: "a", Value: math.NaN()}} }, "Assumptions[0]"},
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
		{Change: true, Params: []ParamChange{{Name: "a|b`c", Unit: "weird unit", Current: 0, Recommended: 3, Searched: true}},
			Effects:     []Effect{{Name: "e|1"}},
			Clamps:      []Clamp{{Param: "a|b`c", Kind: "other", Binding: true}},
			Constraints: []ConstraintCheck{{Expr: "x | y"}},
			Onchain: []OnchainCall{{Param: "a|b`c", Contract: "C|D", Function: "f(", Arg: "1"},
				{Param: "a|b`c", Constant: "K|`", Arg: "12x", ArgUnit: "blocks"}, {Param: "zz", ArgUnit: "bps", Arg: "99999999999999999999999"}},
			Method: Method{Command: "echo ```", Fit: []FitRow{{Metric: "m", Target: true, Error: 0.5}}, FitTolerance: 0.1}},
		{Change: true, Params: []ParamChange{{Name: "quorum", Unit: "fraction of supply", Current: 0.04, Recommended: 0.05, Seen: &[2]float64{0.06, 0.01}}},
			Onchain: []OnchainCall{{Param: "quorum", Function: "g(uint256)", Arg: "5", ArgUnit: "quorum_numerator"}}},
	}
	for i, rec := range recs {
		for _, lang := range append(Languages, "", "xx") {
			var noCtx context.Context // a nil context must not panic
			p, err := Template{Language: lang}.Draft(noCtx, rec)
			if err != nil {
				t.Fatalf("rec %d %s: %v", i, lang, err)
			}
			if p.Markdown == "" {
				t.Fatalf("rec %d %s: empty markdown", i, lang)
			}
		}
	}
	p := draftOK(t, recs[1])
	if !strings.Contains(p.Markdown, "| A\\|b`c (``a\\|b`c``) |") || !strings.Contains(p.Markdown, "````sh\necho ```\n````") {
		t.Errorf("escaping failed:\n%s", p.Markdown)
	}
	// No table row is broken by a pipe.
	for _, l := range strings.Split(p.Markdown, "\n") {
		if strings.HasPrefix(l, "|") && len(regexp.MustCompile(`[^\\]\|`).FindAllString(l, -1)) < 3 {
			t.Errorf("broken row %q", l)
		}
	}
}

// A DAO name carrying markup or control characters reaches the proposal
// as plain text.
func TestDAONameIsPlainText(t *testing.T) {
	rec := fixture()
	rec.DAO = "Evil <script>alert(1)</script>\u202e DAO\x1b[2J"
	p, err := Template{}.Draft(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "\u202e", "\x1b"} {
		if strings.Contains(p.Markdown, bad) || strings.Contains(p.Title, bad) {
			t.Errorf("proposal carries %q", bad)
		}
	}
	if !strings.Contains(p.Title, "Evil ‹script›alert(1)‹/script›") {
		t.Errorf("title %q", p.Title)
	}
}

// The appendix says, for each change, whether its value lies outside the
// values the history records, and how to revert it; a recommendation
// that changes nothing has neither.
func TestExtrapolationAndRollback(t *testing.T) {
	rec := bravoFixture()
	rec.Params[0].Seen = &[2]float64{0.04, 0.04} // quorum: only 4% ever
	rec.Params[1].Seen = &[2]float64{3, 14}      // voting period: 9 days is within
	rec.Params[3].Seen = &[2]float64{0, 0.5}     // reward: 4.7 is outside 0 to 0.5
	p := draftOK(t, rec)
	_, sec, ok := strings.Cut(p.Appendix, "### Extrapolation and rollback\n\n")
	if !ok {
		t.Fatalf("no extrapolation section:\n%s", p.Appendix)
	}
	sec, _, _ = strings.Cut(sec, "\n\n")
	for _, want := range []string{
		"- **Extrapolation**: Quorum: the DAO's history records only 4% (400,000 COMP); the recommended 5.1% (510,000 COMP) lies outside it",
		"Voting period: the recommended 9 days lies within the values the DAO's history records (3 days to 14 days).",
		"Participation reward: the recommended 4.7 COMP per vote lies outside the values the DAO's history records (0 COMP per vote to 0.5 COMP per vote)",
		"- **Rollback**: Quorum: back to 4% (400,000 COMP) by the same route as enacting",
		"Voting period: a later vote calls `_setVotingPeriod` on GovernorBravo `0xc0Da02939E1441F497fd74F78cE7Decb17B66529` with the value in force, 7 days",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("the section lacks %q:\n%s", want, sec)
		}
	}
	// Without Seen, the value in force is all the recommendation knows.
	rec.Params[1].Seen = nil
	p = draftOK(t, rec)
	if !strings.Contains(p.Appendix, "The recommendation records no value but the one in force, so this recommended value lies outside what the data show, and the figures for it rest on the model alone: voting period 9 days, now 7 days.") {
		t.Errorf("no history, no range:\n%s", p.Appendix)
	}
	if p := draftOK(t, noChangeFixture()); strings.Contains(p.Appendix, "Extrapolation") || strings.Contains(p.Appendix, "Rollback") {
		t.Errorf("a recommendation that changes nothing has an extrapolation section")
	}
}
