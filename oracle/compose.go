package oracle

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// ComposeOptions shape the parts of a proposal that are not prose.
type ComposeOptions struct {
	// ChartFile is the file name of the objectives chart (see Chart) that
	// a steward uploads with the post; DefaultChartFile when empty.
	ChartFile string
	// DiscussionDays is how long the forum discussion runs before the
	// Snapshot temperature check (7 when 0), and TemperatureDays how long
	// the check runs (5 when 0).
	DiscussionDays, TemperatureDays int
}

// Separator divides a proposal's post from its appendix in Markdown.
const Separator = "\n---\n\n"

// Compose renders a proposal from rec and a drafter's prose: the post (the
// title, the prose, the current-to-recommended table, the on-chain
// specification, the next steps and a disclaimer) and the appendix (the
// method, calibration, assumptions, every outcome, guardrails, importance,
// track record and how to reproduce the cycle). Everything but the prose
// is rendered from rec, so the values a vote enacts never come from a
// drafter.
//
// It returns an error wrapping ErrInvalidRecommendation when rec cannot be
// drafted (see Recommendation.Validate) or when prose has no title.
func Compose(rec Recommendation, prose Prose, opt ComposeOptions) (Proposal, error) {
	if err := rec.Validate(); err != nil {
		return Proposal{}, err
	}
	title := oneLine(prose.Title)
	if title == "" {
		return Proposal{}, fmt.Errorf("%w: the prose has no title", ErrInvalidRecommendation)
	}
	if opt.ChartFile == "" {
		opt.ChartFile = DefaultChartFile
	}
	if opt.DiscussionDays <= 0 {
		opt.DiscussionDays = 7
	}
	if opt.TemperatureDays <= 0 {
		opt.TemperatureDays = 5
	}
	c := composer{rec: rec, opt: opt}
	post := c.post(title, prose)
	appendix := c.appendix()
	return Proposal{Title: title, Post: post, Appendix: appendix,
		Markdown: post + Separator + appendix}, nil
}

type composer struct {
	rec Recommendation
	opt ComposeOptions
	b   strings.Builder
}

func (c *composer) printf(format string, args ...any) { fmt.Fprintf(&c.b, format, args...) }

// take returns what was written and starts afresh.
func (c *composer) take() string {
	s := c.b.String()
	c.b.Reset()
	return s
}

// paragraph writes one paragraph of prose, collapsed to a line.
func (c *composer) paragraph(label, text string) {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return
	}
	if label != "" {
		c.printf("**%s** %s\n\n", label, text)
		return
	}
	c.printf("%s\n\n", text)
}

func (c *composer) post(title string, prose Prose) string {
	rec := c.rec
	c.printf("# %s\n\n", title)
	c.paragraph("", prose.Opening)
	c.paragraph("Why.", prose.Motivation)
	c.paramTable()
	c.paragraph("Expected effects.", prose.Effects)
	c.paragraph("Trade-off.", prose.TradeOff)
	c.spec()
	c.nextSteps()
	level := "90%"
	if l := rec.Score.Difference.CI.Level; l > 0 && l < 1 {
		level = sig(l*100, 3) + "%"
	}
	c.printf("_These are estimates from a simulation of %s votes, with %s ranges for simulation noise; they are not guarantees. The appendix below gives the method, the calibration and every outcome. Chart: `%s` (attach it to the post)._\n",
		possessive(rec.DAO), level, oneLine(c.opt.ChartFile))
	return c.take()
}

// postParams are the rows of the post's table: the changed parameters,
// then the others the search could move.
func (c *composer) postParams() []ParamChange {
	var changed, kept []ParamChange
	for _, p := range c.rec.Params {
		switch {
		case c.rec.Change && p.Changed():
			changed = append(changed, p)
		case p.Searched:
			kept = append(kept, p)
		}
	}
	return append(changed, kept...)
}

func (c *composer) paramTable() {
	rows := c.postParams()
	if len(rows) == 0 {
		return
	}
	m := c.rec.Method
	c.printf("| Parameter | Current | Recommended |\n|---|---:|---:|\n")
	for _, p := range rows {
		rv := p.Current
		if c.rec.Change {
			rv = p.Recommended
		}
		recCell := m.plainValue(rv, p.Unit, p.Integer)
		if rv == p.Current {
			recCell = "unchanged"
		}
		c.printf("| %s (%s) | %s | %s |\n", capital(plainName(p.Name)), code(p.Name),
			m.plainValue(p.Current, p.Unit, p.Integer), recCell)
	}
	c.printf("\n")
}

// spec writes the on-chain specification.
func (c *composer) spec() {
	rec := c.rec
	c.printf("**On-chain specification.**")
	if !rec.Change || len(rec.Onchain) == 0 {
		c.printf(" None: nothing changes on chain.\n\n")
		return
	}
	c.printf("\n\n")
	for _, call := range rec.Onchain {
		name := capital(plainName(call.Param))
		on := oneLine(call.Contract)
		if a := oneLine(call.Address); a != "" {
			on += " " + code(a)
		}
		if cl := call.Call(); cl != "" {
			c.printf("- %s: %s on %s: %s.\n", name, code(cl), on, strings.TrimSuffix(oneLine(call.Meaning), "."))
			continue
		}
		c.printf("- %s (%s): %s\n", name, strings.TrimSuffix(oneLine(call.Meaning), "."), sentence(call.Needs))
	}
	c.printf("\n")
}

// nextSteps dates the path from forum to chain from the cycle's date.
func (c *composer) nextSteps() {
	rec := c.rec
	day := func(offset int) string {
		if rec.Date.IsZero() {
			return fmt.Sprintf("day %d", offset)
		}
		return rec.Date.UTC().AddDate(0, 0, offset).Format("2006-01-02")
	}
	d, t := c.opt.DiscussionDays, c.opt.TemperatureDays
	c.printf("**Next steps.**")
	if !rec.Change || len(changedParams(rec)) == 0 {
		c.printf(" No vote is needed. Comments are welcome here until %s; the next tuning cycle revisits these settings with newer data.\n\n", day(d))
		return
	}
	c.printf("\n\n")
	c.printf("1. Forum discussion: %s to %s.\n", day(0), day(d))
	c.printf("2. Snapshot temperature check: %s to %s.\n", day(d), day(d+t))
	vote := "On-chain vote: proposed from " + day(d+t+1) + " if the check passes"
	for _, p := range rec.Params {
		if p.Name == "voting_period_days" && p.Unit == "days" {
			vote += "; voting lasts " + rec.Method.plainValue(p.Current, p.Unit, p.Integer) + " under the current rules"
		}
	}
	c.printf("3. %s.\n\n", vote)
}

func (c *composer) appendix() string {
	rec := c.rec
	c.printf("## Appendix\n\n")
	c.printf("Cycle %s", code(orUnknown(rec.CycleID)))
	if !rec.Date.IsZero() {
		c.printf(", run on %s", date(rec.Date))
	}
	c.printf(".\n")
	c.method()
	c.parameters()
	c.rounding()
	c.calibration()
	c.assumptions()
	c.outcomes()
	c.constraints()
	c.guardrails()
	c.importance()
	c.trackRecord()
	c.reproduce()
	return c.take()
}

func (c *composer) section(name string) { c.printf("\n### %s\n\n", name) }

// scoreDefinition says what the combined score is: each objective,
// signed so that higher is better, divided by its typical size and
// weighted, summed.
func (c *composer) scoreDefinition() string {
	var terms []string
	for _, e := range c.rec.Effects {
		t := fmt.Sprintf("%s × %s", sig(e.Weight, 3), plainName(e.Name))
		if e.Scale > 0 && e.Scale != 1 {
			scale := c.rec.Method.plainValue(e.Scale, e.Unit, false)
			if isFractionOfSupply(e.Unit) {
				scale = percent(e.Scale) + " of supply"
			}
			t += " ÷ " + scale
		}
		if e.Better == "minimize" {
			t = "− " + t
		} else if len(terms) > 0 {
			t = "+ " + t
		}
		terms = append(terms, t)
	}
	if len(terms) == 0 {
		return "The combined score is the configured objectives' weighted sum; higher is better."
	}
	return "The combined score adds up the objectives, each divided by a typical size and weighted: " +
		strings.Join(terms, " ") + ", shares counted as fractions (70% is 0.7). Higher is better."
}

func (c *composer) method() {
	rec, m := c.rec, c.rec.Method
	c.section("How this was worked out")
	gov := ""
	if m.Governor != "" {
		gov = fmt.Sprintf(", counting votes by the rules of the %s governor", m.Governor)
		if m.Track != "" {
			gov += fmt.Sprintf(" (%s track)", m.Track)
		}
	}
	c.printf("A simulation of the DAO's votes (model %s%s) was fitted to its record from %s. ",
		orUnknown(m.Model), gov, c.window())
	searches := max(m.Searches, 1)
	c.printf("A search then tried %d settings in %d independent %s (sampler %s), each setting simulated %d times on the same random draws, so differences come from the settings, not luck. ",
		m.Trials, searches, pluralVerb(searches, "run", "runs"), orUnknown(m.Sampler), m.Replications)
	if m.Selection != "" {
		c.printf("Each run's winner was %s. ", strings.TrimSuffix(m.Selection, "."))
	}
	c.printf("A parameter moves only when the runs agree on its direction, and only the changes that matter are kept. ")
	c.printf("The result was then checked against the settings in force on %d fresh simulations the search never saw (risk measure %s).\n\n", m.Validation, orUnknown(m.Risk))
	c.printf("%s\n\n", c.scoreDefinition())
	d := rec.Score.Difference
	a, b := rangeDigits(d.CI.Lo, d.CI.Hi)
	c.printf("On those fresh simulations the combined score changes by %s to %s (%s range). ", a, b, levelWords(d.CI.Level))
	switch rec.Basis {
	case BasisSignificant:
		c.printf("The whole range is above zero, so the change is recommended.\n")
	case BasisConstraint:
		c.printf("The change is recommended because the settings in force break a configured constraint that the new ones meet.\n")
	case BasisCandidateInfeasible:
		c.printf("The best candidate breaks a configured constraint, so nothing changes.\n")
	case BasisCurrentBest:
		c.printf("Nothing the search tried beat the settings in force, so nothing changes.\n")
	default:
		c.printf("The range includes zero, so nothing changes.\n")
	}
	if r := sentence(rec.Reason); r != "" {
		c.printf("\nIn detail: %s\n", r)
	}
	if rec.PoorFit != "" {
		c.printf("\n**Warning: the model does not reproduce this DAO's data**: %s. Every figure rests on that model.\n", strings.TrimSuffix(oneLine(rec.PoorFit), "."))
	}
	if len(m.WarmStart) > 0 {
		c.printf("\nWarm start: each run first evaluated the best trials of an earlier cycle (%s).\n", strings.Join(m.WarmStart, ", "))
	}
	if !rec.Change {
		if cand := c.candidateText(); cand != "" {
			c.printf("\nThe best candidate found, not adopted: %s.\n", cand)
		}
	}
}

// levelWords is "90%" for a level of 0.9.
func levelWords(level float64) string {
	if !(level > 0 && level < 1) {
		return "confidence"
	}
	return sig(level*100, 3) + "%"
}

// window writes the calibration window as dates in UTC.
func (c *composer) window() string {
	m := c.rec.Method
	return fmt.Sprintf("%s to %s (UTC)", date(m.WindowStart), date(m.WindowEnd))
}

// candidateText lists the best candidate's values, in parameter order and
// then by name for any value that is not a parameter.
func (c *composer) candidateText() string {
	var parts []string
	seen := map[string]bool{}
	m := c.rec.Method
	for _, p := range c.rec.Params {
		v, ok := c.rec.Candidate[p.Name]
		if !ok || seen[p.Name] || v == p.Current {
			continue
		}
		seen[p.Name] = true
		parts = append(parts, plainName(p.Name)+" "+m.plainValue(v, p.Unit, p.Integer))
	}
	for _, k := range sortedKeys(c.rec.Candidate) {
		if seen[k] || slices.ContainsFunc(c.rec.Params, func(p ParamChange) bool { return p.Name == k }) {
			continue
		}
		parts = append(parts, plainName(k)+" "+sig(c.rec.Candidate[k], 3))
	}
	return strings.Join(parts, ", ")
}

// parameters lists every parameter with what it means and why a held one
// stays.
func (c *composer) parameters() {
	c.section("Parameters")
	m := c.rec.Method
	for _, p := range c.rec.Params {
		rv := p.Current
		if c.rec.Change {
			rv = p.Recommended
		}
		line := fmt.Sprintf("- %s (%s): %s", capital(plainName(p.Name)), code(p.Name), m.plainValue(p.Current, p.Unit, p.Integer))
		if rv != p.Current {
			line += " → " + m.plainValue(rv, p.Unit, p.Integer)
		}
		var notes []string
		if d := oneLine(p.Description); d != "" {
			notes = append(notes, d)
		}
		switch {
		case rv != p.Current && p.Enactment == "upgrade":
			notes = append(notes, "an ordinary vote cannot enact it (see the specification)")
		case rv != p.Current:
		case !p.Searched && p.Held != "":
			notes = append(notes, "not searched: "+heldText(p.Held))
		case !p.Searched:
			notes = append(notes, "not searched")
		case p.Held != "":
			notes = append(notes, "searched, kept: "+heldText(p.Held))
		}
		if p.Range != nil && p.Range[0] != p.Range[1] {
			notes = append(notes, "the runs' best values spanned "+m.plainValue(p.Range[0], p.Unit, p.Integer)+" to "+m.plainValue(p.Range[1], p.Unit, p.Integer))
		}
		if len(notes) > 0 {
			line += "; " + strings.Join(notes, "; ")
		}
		c.printf("%s.\n", line)
	}
}

// rounding says where rounding to an enactable value moved a
// recommendation.
func (c *composer) rounding() {
	if !c.rec.Change {
		return
	}
	m := c.rec.Method
	var lines []string
	for _, p := range c.rec.Params {
		if p.Unrounded == nil || !p.Changed() {
			continue
		}
		from, to := m.plainValue(*p.Unrounded, p.Unit, false), m.plainValue(p.Recommended, p.Unit, p.Integer)
		if from == to {
			continue
		}
		lines = append(lines, fmt.Sprintf("- %s: the search's %s became %s.", capital(plainName(p.Name)), from, to))
	}
	if len(lines) == 0 {
		return
	}
	c.section("Rounding")
	c.printf("Recommended values are rounded to what the governor can enact and a proposal can state (whole hours, two significant digits, then the contract's units); the effects above were simulated at the rounded values.\n\n%s\n", strings.Join(lines, "\n"))
}

func (c *composer) calibration() {
	m := c.rec.Method
	c.section("Calibration: observed and simulated")
	if len(m.Fit) == 0 {
		c.printf("No calibration figures were recorded.\n")
		return
	}
	c.printf("| Metric | Observed | Simulated | Miss | Allowed |\n|---|---:|---:|---:|---:|\n")
	for _, r := range m.Fit {
		name := capital(plainName(r.Metric))
		if r.Target {
			name += " (fitted)"
		}
		miss, allowed := formatRel(r.Error), ""
		if r.Absolute {
			miss = formatPoints(r.Error)
		}
		if r.Target && r.Allowed > 0 {
			allowed = "±" + strings.TrimPrefix(formatRel(r.Allowed), "+")
			if r.Absolute {
				allowed = "±" + strings.TrimPrefix(formatPoints(r.Allowed), "+")
			}
		}
		sim := r
		sim.Observed = r.Simulated
		c.printf("| %s | %s | %s | %s | %s |\n", name, observedValue(r), observedValue(sim), miss, allowed)
	}
	c.printf("\nA miss is relative for sizes and in percentage points (pp) for rates. A fitted figure is allowed the tolerance (±%s) or, when larger, the data's own 90%% uncertainty about it.", tolerance(m.FitTolerance))
	var outside []string
	for _, r := range m.Fit {
		if r.Target && m.FitTolerance > 0 && math.Abs(r.Error) > max(m.FitTolerance, r.Allowed) {
			outside = append(outside, plainName(r.Metric))
		}
	}
	if len(outside) > 0 {
		c.printf(" Outside it: %s.", joinAnd(outside))
	} else {
		c.printf(" Every fitted figure is within it.")
	}
	if len(m.AtBound) > 0 {
		names := make([]string, len(m.AtBound))
		for i, n := range m.AtBound {
			names[i] = code(n)
		}
		c.printf(" Fitted at an end of its allowed range, so forced rather than found: %s.", joinAnd(names))
	}
	c.printf("\n")
}

func (c *composer) assumptions() {
	rec, m := c.rec, c.rec.Method
	if len(m.Assumptions) == 0 && len(rec.Sensitivity) == 0 {
		return
	}
	c.section("Assumptions and how far they can move")
	if len(m.Assumptions) > 0 {
		c.printf("Settings of the model that the data do not determine; they shape every figure.\n\n")
		for _, a := range m.Assumptions {
			c.printf("- %s = %s: %s.\n", code(a.Name), FormatValue(a.Value, "", false), strings.TrimSuffix(oneLine(a.Description), "."))
		}
	}
	if len(rec.Sensitivity) > 0 {
		var parts []string
		for _, sv := range rec.Sensitivity {
			parts = append(parts, fmt.Sprintf("%s from %s to %s (assumed %s)", code(sv.Name), num3(sv.HoldsFrom), num3(sv.HoldsTo), num3(sv.Value)))
		}
		c.printf("\nEach varied alone on fresh simulations, the verdict holds for %s.", joinAnd(parts))
		if ms := rec.MostSensitive; ms != "" {
			for _, sv := range rec.Sensitivity {
				if sv.Name != ms {
					continue
				}
				at := sv.FlipsAbove
				if at == nil || (sv.FlipsBelow != nil && math.Abs(*sv.FlipsBelow-sv.Value) < math.Abs(*at-sv.Value)) {
					at = sv.FlipsBelow
				}
				if at != nil {
					c.printf(" It rests most on %s: at %s it changes.", code(ms), num3(*at))
				}
			}
		} else {
			c.printf(" No value tried changes it.")
		}
		c.printf("\n")
	}
}

func (c *composer) outcomes() {
	rec := c.rec
	c.section("Every outcome")
	c.printf("Means over %d fresh simulations under the settings in force and under the recommendation; the change is paired simulation by simulation, with its %s range.", rec.Method.Validation, levelWords(rec.Score.Difference.CI.Level))
	if !rec.Change {
		c.printf(" Nothing changes, so the Recommended column is the best candidate found, for information.")
	}
	c.printf(" Chart: `%s`.\n\n", oneLine(c.opt.ChartFile))
	c.printf("| Outcome | Current | Recommended | Change | Verdict |\n|---|---:|---:|---:|---|\n")
	row := func(label string, e Effect) {
		c.printf("| %s | %s | %s | %s | %s |\n", label, FormatValue(e.Current.Mean, e.Unit, false),
			FormatValue(e.Recommended.Mean, e.Unit, false), changeCell(e), e.Verdict())
	}
	for _, e := range rec.Effects {
		row(capital(plainName(e.Name))+" (objective)", e)
	}
	row("**Combined score**", rec.Score)
	for _, e := range rec.Outcomes {
		row(capital(plainName(e.Name)), e)
	}
	c.printf("\nThe ranges measure simulation noise only, not error in the model or its calibration; with this many outcomes, a verdict or two may be chance.\n")
}

// changeCell writes a difference and its interval, without repeating a
// value the interval collapses to: "+1.2 pp (+0.8 to +1.6)", "+3 days",
// "none".
func changeCell(e Effect) string {
	d := e.Difference
	mean := formatDelta(d.Mean, e.Unit)
	m, _ := formatParts(d.Mean, e.Unit, false, true)
	lo, _ := formatParts(d.CI.Lo, e.Unit, false, true)
	hi, _ := formatParts(d.CI.Hi, e.Unit, false, true)
	zero := func(x string) bool {
		return isZeroDigits(strings.TrimLeft(strings.TrimSuffix(strings.TrimSuffix(x, " pp"), "%"), "+-"))
	}
	if zero(m) && zero(lo) && zero(hi) {
		return "none"
	}
	if lo == hi {
		return mean
	}
	// The mean carries the unit; the interval's bounds only their signs.
	short := func(x string) string { return strings.TrimSuffix(x, " pp") }
	return mean + " (" + short(lo) + " to " + short(hi) + ")"
}

func (c *composer) constraints() {
	if len(c.rec.Constraints) == 0 {
		return
	}
	c.section("Constraints")
	for _, k := range c.rec.Constraints {
		status := "holds"
		if !k.OK {
			status = "**broken**"
		}
		c.printf("- %s: %s now, %s recommended; %s.\n", code(k.Expr), FormatValue(k.Current, "", false), FormatValue(k.Recommended, "", false), status)
	}
}

// clampKinds explains each kind of guardrail.
var clampKinds = map[string]string{
	"bounds":          "the range was cut to the model's limits",
	"max_change":      "the range was cut to the allowed relative change per cycle",
	"max_step":        "the range was cut to the allowed step per cycle",
	"frozen":          "held at its value in force",
	"widened":         "the range was widened to include the value in force",
	"needs_upgrade":   "held: only an upgrade or a separate programme changes it",
	"not_enactable":   "held: the governor cannot change it",
	"log_zero_linear": "searched linearly: its value in force is 0",
}

func (c *composer) guardrails() {
	if len(c.rec.Clamps) == 0 {
		return
	}
	c.section("Guardrails")
	binding := 0
	for _, k := range c.rec.Clamps {
		line := fmt.Sprintf("- %s: %s", capital(plainName(k.Param)), code(k.Kind))
		if why, ok := clampKinds[k.Kind]; ok {
			line += ", " + why
		}
		if det := oneLine(k.Detail); det != "" {
			line += " (" + strings.TrimSuffix(det, ".") + ")"
		}
		line += "."
		if k.Binding {
			binding++
			line += " **Binding**: the best candidate sits on this limit."
		}
		c.printf("%s\n", line)
	}
	switch binding {
	case 0:
		c.printf("\nNo guardrail is binding.\n")
	case 1:
		c.printf("\n1 guardrail is binding: without it the search might have gone further.\n")
	default:
		c.printf("\n%d guardrails are binding: without them the search might have gone further.\n", binding)
	}
}

// importance lists how much each searched parameter moved the score.
func (c *composer) importance() {
	imp := c.rec.Importance
	if len(imp) == 0 {
		return
	}
	c.section("Which parameters mattered")
	total := 0.0
	for _, i := range imp {
		total += i.Share
	}
	if total == 0 {
		c.printf("The combined score did not vary with any searched parameter over the trials.\n")
		return
	}
	c.printf("Share of the variation in the combined score over the trials that each searched parameter explains (permutation importance on a random forest; the range is the 5th to 95th percentile over its trees). One that explains little could be left alone.\n\n")
	for _, i := range imp {
		c.printf("- %s: %.0f%% (%.0f%% to %.0f%%)\n", code(i.Param), i.Share*100, i.Lo*100, i.Hi*100)
	}
}

// trackRecord quotes the model's backtest on this DAO's own history.
func (c *composer) trackRecord() {
	tr := c.rec.TrackRecord
	if tr == nil {
		return
	}
	c.section("Track record on this DAO's history")
	if tr.Note != "" {
		c.printf("%s.\n", strings.TrimSuffix(oneLine(tr.Note), "."))
	}
	if len(tr.Metrics) > 0 {
		c.printf("Fitted on one %d-day window and asked to predict the next, the model's %.0f%% ranges held the value that came to pass in:\n\n", tr.WindowDays, tr.Level*100)
		for _, m := range tr.Metrics {
			c.printf("- %s: %d of %d windows (mean error %.2f pp)\n", code(m.Name), m.Inside, m.Windows, m.MeanAbsError*100)
		}
		c.printf("\nA perfect model would hold about %.0f%% of them; with this few windows the record is an indication.\n", tr.ExpectedCoverage*100)
	}
	if len(tr.Events) > 0 {
		c.printf("\nParameter changes in the history, predicted against what happened:\n\n")
		for _, e := range tr.Events {
			c.printf("- %s\n", oneLine(e))
		}
	}
}

func (c *composer) reproduce() {
	m := c.rec.Method
	c.section("Reproduce")
	cmd := strings.TrimSpace(m.Command)
	if cmd == "" {
		c.printf("The command was not recorded.\n")
		return
	}
	if len(m.Inputs) > 0 {
		c.printf("Put these files from the cycle's directory in one folder and check their SHA-256 (`sha256sum`):\n\n")
		for _, f := range m.Inputs {
			c.printf("- %s: `%s`\n", code(f.Name), oneLine(f.SHA256))
		}
		c.printf("\nThen run, with attune %s:\n\n", orUnknown(m.Version))
	} else {
		c.printf("With attune %s:\n\n", orUnknown(m.Version))
	}
	fence := "```"
	for strings.Contains(cmd, fence) {
		fence += "`"
	}
	c.printf("%ssh\n%s\n%s\n", fence, cmd, fence)
	c.printf("\nThe same files, seed and version give the same figures, byte for byte.\n")
}
