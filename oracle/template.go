package oracle

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultChartFile is the chart file a Template links to when its
// ChartFile is empty.
const DefaultChartFile = "objectives.png"

// Template is the deterministic Drafter: it fills a fixed Markdown layout
// with the numbers of a Recommendation, needs no network, and gives
// byte-identical output for equal Recommendations.
//
// ChartFile is the link target of the objectives chart (see Chart) in the
// draft, relative to where the proposal is posted; it defaults to
// DefaultChartFile.
type Template struct {
	ChartFile string
}

// Draft writes the proposal for rec as Discourse-flavoured Markdown with
// the sections Summary, Proposed changes, Expected effects, Constraints,
// Trade-offs, Guardrails, Method, Reproduce and Risks and rollback.
//
// It returns an error wrapping ErrInvalidRecommendation when rec has no
// Params or holds a NaN or infinite number (see Recommendation.Validate),
// and the context's error when ctx is already done. When rec.Change is
// false the draft recommends keeping every parameter at its value in
// force, whatever Params' Recommended say, and shows rec.Candidate for
// information.
func (t Template) Draft(ctx context.Context, rec Recommendation) (Proposal, error) {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return Proposal{}, fmt.Errorf("oracle: template draft: %w", err)
		}
	}
	if err := rec.Validate(); err != nil {
		return Proposal{}, err
	}
	chart := t.ChartFile
	if chart == "" {
		chart = DefaultChartFile
	}
	d := draft{rec: rec, chart: chart}
	title := d.title()
	if dao := oneLine(rec.DAO); dao != "" {
		title = dao + ": " + title
	}
	d.printf("# %s\n", title)
	d.summary()
	d.params()
	d.effects()
	d.constraints()
	d.tradeOffs()
	d.guardrails()
	d.method()
	d.reproduce()
	d.risks()
	d.footer()
	return Proposal{Title: title, Markdown: d.b.String(), Drafter: "template"}, nil
}

// draft accumulates the Markdown of one proposal.
type draft struct {
	rec   Recommendation
	chart string
	b     strings.Builder
}

func (d *draft) printf(format string, args ...any) { fmt.Fprintf(&d.b, format, args...) }

func (d *draft) section(name string) { d.printf("\n## %s\n\n", name) }

// recommended returns the value the proposal puts in force for p: its
// value in force when the recommendation is "no change".
func (d *draft) recommended(p ParamChange) float64 {
	if !d.rec.Change {
		return p.Current
	}
	return p.Recommended
}

// changed returns the parameters the proposal moves.
func (d *draft) changed() []ParamChange {
	var out []ParamChange
	if !d.rec.Change {
		return nil
	}
	for _, p := range d.rec.Params {
		if p.Changed() {
			out = append(out, p)
		}
	}
	return out
}

func (d *draft) title() string {
	if !d.rec.Change {
		return "Keep governance parameters unchanged"
	}
	ch := d.changed()
	if len(ch) == 0 {
		return "Adjust governance parameters"
	}
	labels := make([]string, len(ch))
	for i, p := range ch {
		labels[i] = paramLabel(p)
	}
	return "Adjust " + joinAnd(labels)
}

func (d *draft) summary() {
	rec := d.rec
	d.section("Summary")
	var s []string
	if rec.PoorFit != "" {
		s = append(s, "**Warning: the model does not reproduce this DAO's data**: "+rec.PoorFit+
			". Every figure below rests on that model; read them as a sketch, not a forecast.")
	}
	score := rec.Score.Difference
	scoreText := fmt.Sprintf("%s (%s %s)", formatDelta(score.Mean, rec.Score.Unit),
		formatLevel(score.CI.Level), formatDeltaInterval(score.CI, rec.Score.Unit))
	if rec.Change {
		ch := d.changed()
		var held []string
		for _, p := range rec.Params {
			if !p.Changed() {
				held = append(held, paramLabel(p))
			}
		}
		if len(ch) > 0 {
			moves := make([]string, len(ch))
			for i, p := range ch {
				moves[i] = fmt.Sprintf("%s from %s to %s", paramLabel(p),
					FormatValue(p.Current, p.Unit, p.Integer), FormatValue(p.Recommended, p.Unit, p.Integer))
			}
			line := "This proposal changes " + joinAnd(moves)
			if len(held) > 0 {
				line += "; " + joinAnd(held) + " " + pluralVerb(len(held), "stays", "stay") + " as " + pluralVerb(len(held), "it is", "they are")
			}
			s = append(s, line+".")
			var upgrade []string
			for _, p := range ch {
				if p.Enactment == "upgrade" {
					upgrade = append(upgrade, paramLabel(p))
				}
			}
			if len(upgrade) > 0 {
				s = append(s, "An ordinary governance vote cannot enact "+joinAnd(upgrade)+": "+pluralVerb(len(upgrade), "it needs", "they need")+" a contract upgrade or a separate programme (see Proposed changes).")
			}
		} else {
			s = append(s, "This proposal keeps every parameter at its value in force.")
		}
		s = append(s, fmt.Sprintf("%s the combined score changes by %s relative to the parameters in force.",
			d.replicationsPhrase(), scoreText))
		switch rec.Basis {
		case BasisSignificant:
			s = append(s, "That interval lies above zero, so under the configured objectives and weights the change is recommended.")
		case BasisConstraint:
			s = append(s, "The change is recommended because the parameters in force break a configured constraint that the recommended values meet; the score difference above is not the reason.")
		}
	} else {
		switch rec.Basis {
		case BasisCandidateInfeasible:
			s = append(s, "The search's best candidate breaks a configured constraint on fresh replications, so this proposal keeps the parameters in force.")
		case BasisCurrentBest:
			s = append(s, "The search found nothing better than the parameters in force, so this proposal keeps them unchanged.")
		default:
			s = append(s, "The search found no significant improvement over the parameters in force, so this proposal keeps them unchanged.")
		}
		if cand := d.candidateText(); cand != "" {
			s = append(s, fmt.Sprintf("The best candidate found (%s) changes the combined score by %s; it is shown below for information only.", cand, scoreText))
		} else {
			s = append(s, fmt.Sprintf("The combined score difference of the best candidate found is %s.", scoreText))
		}
	}
	if r := sentence(rec.Reason); r != "" {
		s = append(s, "Reason: "+r)
	}
	d.printf("%s\n", strings.Join(s, " "))
}

// replicationsPhrase opens a sentence about the validation replications.
func (d *draft) replicationsPhrase() string {
	n := d.rec.Score.Difference.N
	if n <= 0 {
		n = d.rec.Method.Validation
	}
	if n <= 0 {
		return "On paired validation replications"
	}
	return fmt.Sprintf("On %d paired validation replications", n)
}

// candidateText lists the best candidate's values, in parameter order and
// then by name for any value that is not a parameter.
func (d *draft) candidateText() string {
	var parts []string
	for _, c := range d.candidate() {
		parts = append(parts, c.label+" "+c.value)
	}
	return strings.Join(parts, ", ")
}

type candidateValue struct {
	name, label, value string
	param              *ParamChange
	v                  float64
}

func (d *draft) candidate() []candidateValue {
	var out []candidateValue
	seen := map[string]bool{}
	for i := range d.rec.Params {
		p := &d.rec.Params[i]
		v, ok := d.rec.Candidate[p.Name]
		if !ok || seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		out = append(out, candidateValue{name: p.Name, label: paramLabel(*p), value: FormatValue(v, p.Unit, p.Integer), param: p, v: v})
	}
	for _, k := range sortedKeys(d.rec.Candidate) {
		if seen[k] {
			continue
		}
		v := d.rec.Candidate[k]
		out = append(out, candidateValue{name: k, label: oneLine(k), value: FormatValue(v, "", false), v: v})
	}
	return out
}

// heldNames returns the parameters held at their value in force: not
// searched, or frozen by a guardrail.
func (d *draft) heldNames() map[string]bool {
	held := map[string]bool{}
	for _, p := range d.rec.Params {
		if !p.Searched {
			held[p.Name] = true
		}
	}
	for _, c := range d.rec.Clamps {
		if c.Kind == "frozen" {
			held[c.Param] = true
		}
	}
	return held
}

func (d *draft) params() {
	rec := d.rec
	held := d.heldNames()
	if rec.Change {
		d.section("Proposed changes")
	} else {
		d.section("Parameters")
		d.printf("No parameter changes: the recommended values are the values in force.\n\n")
	}
	d.printf("| Parameter | Current | Recommended | Change |\n|---|---:|---:|---:|\n")
	anyHeld := false
	for _, p := range rec.Params {
		recv := d.recommended(p)
		change := "—"
		switch {
		case recv != p.Current && p.Current != 0:
			change = formatRel((recv - p.Current) / math.Abs(p.Current))
		case recv != p.Current:
			change = formatDelta(recv-p.Current, p.Unit)
		case held[p.Name]:
			change = "held"
		}
		if held[p.Name] {
			anyHeld = true
			if recv != p.Current {
				change += " (held)"
			}
		}
		d.printf("| %s | %s | %s | %s |\n", code(p.Name), d.withTokens(p.Current, p),
			d.withTokens(recv, p), change)
	}
	if anyHeld {
		d.printf("\nParameters marked held were not searched and stay at their value in force.\n")
	}
	var left []string
	for _, p := range rec.Params {
		if p.Held != "" && p.Searched {
			left = append(left, fmt.Sprintf("%s (%s)", code(p.Name), heldText(p.Held)))
		}
	}
	if len(left) > 0 {
		d.printf("\nSearched but left alone: %s.\n", joinAnd(left))
	}
	var upgrade []string
	for _, p := range rec.Params {
		if p.Enactment == "upgrade" && d.recommended(p) != p.Current {
			upgrade = append(upgrade, code(p.Name))
		}
	}
	if len(upgrade) > 0 {
		gov := "this governor"
		if m := rec.Method.Governor; m != "" {
			gov = "the " + m + " governor"
		}
		d.printf("\n**Not enactable by an ordinary vote:** %s %s of %s (or, for a reward, a separate programme). Changing %s needs a contract upgrade or a new executor, approved by governance, and rolling back needs another.\n",
			joinAnd(upgrade), pluralVerb(len(upgrade), "is a constant", "are constants"), gov, pluralVerb(len(upgrade), "it", "them"))
	}
	var desc []string
	for _, p := range rec.Params {
		if t := oneLine(p.Description); t != "" {
			desc = append(desc, fmt.Sprintf("- %s: %s", code(p.Name), t))
		}
	}
	if len(desc) > 0 {
		d.printf("\n%s\n", strings.Join(desc, "\n"))
	}
	if !rec.Change {
		cand := d.candidate()
		if len(cand) == 0 {
			return
		}
		d.printf("\n### Best candidate found (for information)\n\n")
		d.printf("The search's best candidate, which this proposal does **not** adopt:\n\n")
		d.printf("| Parameter | Current | Best candidate | Change |\n|---|---:|---:|---:|\n")
		for _, c := range cand {
			cur, change := "—", "—"
			if c.param != nil {
				p := c.param
				cur = FormatValue(p.Current, p.Unit, p.Integer)
				switch {
				case c.v != p.Current && p.Current != 0:
					change = formatRel((c.v - p.Current) / math.Abs(p.Current))
				case c.v != p.Current:
					change = formatDelta(c.v-p.Current, p.Unit)
				}
			}
			d.printf("| %s | %s | %s | %s |\n", code(c.name), cur, c.value, change)
		}
	}
}

// withTokens writes a parameter value, adding the token amount for a
// fraction of supply when the supply is known: what a steward enacts.
func (d *draft) withTokens(v float64, p ParamChange) string {
	out := FormatValue(v, p.Unit, p.Integer)
	if p.Unit == "fraction of supply" && d.rec.Method.Supply > 0 && v != 0 {
		out += " (" + FormatValue(v*d.rec.Method.Supply, "tokens", false) + ")"
	}
	return out
}

func (d *draft) effects() {
	rec := d.rec
	d.section("Expected effects")
	d.printf("Expected outcomes under the parameters in force and under the recommended parameters, ")
	n := rec.Method.Validation
	if n > 0 {
		d.printf("each the mean of %d fresh replications on seeds the search never saw. ", n)
	} else {
		d.printf("each the mean of fresh replications on seeds the search never saw. ")
	}
	d.printf("Differences are paired by replication; the verdict is \"better\" or \"worse\" only when the interval of the difference excludes zero.")
	if !rec.Change {
		d.printf(" This proposal changes nothing, so the Recommended column is for information only: it is the parameter set the search compared with the values in force.")
	}
	d.printf("\n\n")
	d.printf("![Objectives under current and recommended parameters](%s)\n\n", linkTarget(d.chart))
	d.effectTable("Objective", rec.Effects, &rec.Score)
	d.printf("\n### Other outcomes\n\n")
	if len(rec.Outcomes) == 0 {
		d.printf("The model reports no other outcomes.\n")
		return
	}
	d.effectTable("Outcome", rec.Outcomes, nil)
	d.printf("\nThe intervals measure simulation noise only (Monte Carlo error over the paired replications), not error in the model or its calibration; and with this many outcomes at one confidence level, a verdict or two may be chance.\n")
}

func (d *draft) effectTable(kind string, effects []Effect, score *Effect) {
	level := levelOf(effects, score)
	if len(effects) == 0 && score == nil {
		return
	}
	d.printf("| %s | Current | Recommended | Difference (%s) | Verdict |\n|---|---:|---:|---:|---|\n", kind, level)
	for _, e := range effects {
		d.effectRow(code(e.Name)+effectNote(e), e)
	}
	if score != nil {
		d.effectRow("**Combined score**", *score)
	}
}

func (d *draft) effectRow(label string, e Effect) {
	d.printf("| %s | %s | %s | %s (%s) | %s |\n", label,
		FormatValue(e.Current.Mean, e.Unit, false), FormatValue(e.Recommended.Mean, e.Unit, false),
		formatDelta(e.Difference.Mean, e.Unit), formatDeltaInterval(e.Difference.CI, e.Unit), e.Verdict())
}

// levelOf labels the intervals of a table by the first level it finds.
func levelOf(effects []Effect, score *Effect) string {
	for _, e := range effects {
		if e.Difference.CI.Level > 0 {
			return formatLevel(e.Difference.CI.Level)
		}
	}
	if score != nil {
		return formatLevel(score.Difference.CI.Level)
	}
	return "CI"
}

// effectNote says which direction is better and the objective's weight.
func effectNote(e Effect) string {
	var parts []string
	switch e.Better {
	case "maximize":
		parts = append(parts, "higher is better")
	case "minimize":
		parts = append(parts, "lower is better")
	}
	if e.Weight != 0 {
		parts = append(parts, "weight "+strconv.FormatFloat(e.Weight, 'g', 4, 64))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func (d *draft) constraints() {
	d.section("Constraints")
	if len(d.rec.Constraints) == 0 {
		d.printf("No constraints were configured.\n")
		return
	}
	violated := 0
	d.printf("| Constraint | Current | Recommended | Status |\n|---|---:|---:|---|\n")
	for _, c := range d.rec.Constraints {
		status := "OK"
		if !c.OK {
			status = "**violated**"
			violated++
		}
		d.printf("| %s | %s | %s | %s |\n", code(c.Expr), FormatValue(c.Current, "", false),
			FormatValue(c.Recommended, "", false), status)
	}
	if violated == 0 {
		d.printf("\nEvery constraint holds under the recommendation.\n")
	} else {
		d.printf("\n%d of %d constraints are violated under the recommendation.\n", violated, len(d.rec.Constraints))
	}
}

// verdicts sorts the objectives and outcomes by verdict, objectives first.
func (d *draft) verdicts() (worse, better, unclear []Effect) {
	all := append(append([]Effect(nil), d.rec.Effects...), d.rec.Outcomes...)
	for _, e := range all {
		switch e.Verdict() {
		case "worse":
			worse = append(worse, e)
		case "better":
			better = append(better, e)
		default:
			unclear = append(unclear, e)
		}
	}
	return worse, better, unclear
}

// effectLine describes one effect: "1.20% → 1.80% (+0.60 pp, 90% CI …)".
func effectLine(e Effect) string {
	return fmt.Sprintf("%s → %s (%s, %s %s)", FormatValue(e.Current.Mean, e.Unit, false),
		FormatValue(e.Recommended.Mean, e.Unit, false), formatDelta(e.Difference.Mean, e.Unit),
		formatLevel(e.Difference.CI.Level), formatDeltaInterval(e.Difference.CI, e.Unit))
}

func (d *draft) tradeOffs() {
	d.section("Trade-offs")
	worse, better, unclear := d.verdicts()
	if !d.rec.Change {
		d.printf("This proposal changes nothing, so it trades nothing off. For information, the parameter set the search compared with the values in force reads as follows.\n\n")
	}
	if len(worse) == 0 {
		d.printf("None of the objectives or other outcomes gets measurably worse: no interval of a difference lies on the wrong side of zero.\n")
	} else {
		d.printf("What gets worse:\n\n")
		for _, e := range worse {
			d.printf("- %s gets worse: %s.\n", code(e.Name), effectLine(e))
		}
	}
	d.printf("\n")
	if len(better) == 0 {
		d.printf("Nothing improves measurably.\n")
	} else {
		d.printf("What improves:\n\n")
		for _, e := range better {
			d.printf("- %s improves: %s.\n", code(e.Name), effectLine(e))
		}
	}
	var moves []string
	var names []string
	for _, e := range unclear {
		switch e.Verdict() {
		case "higher", "lower":
			moves = append(moves, fmt.Sprintf("- %s is %s: %s.", code(e.Name), e.Verdict(), effectLine(e)))
		default:
			names = append(names, code(e.Name))
		}
	}
	if len(moves) > 0 {
		d.printf("\nWhat moves, neither better nor worse in itself (whether a higher pass rate is good depends on which proposals pass):\n\n%s\n", strings.Join(moves, "\n"))
	}
	if len(names) > 0 {
		d.printf("\nNo clear change in %s.\n", joinAnd(names))
	}
}

// clampKinds explains each kind of guardrail.
var clampKinds = map[string]string{
	"bounds":        "range cut to the model's hard bounds",
	"max_change":    "range cut to the allowed relative change per cycle",
	"max_step":      "range cut to the allowed absolute change per cycle",
	"frozen":        "held at its value in force",
	"widened":       "config range widened to include the value in force",
	"linear":        "searched on a linear scale",
	"needs_upgrade": "held: only a contract upgrade or a separate programme changes it",
	"not_enactable": "held: the governor cannot change it",
}

func (d *draft) guardrails() {
	d.section("Guardrails")
	if len(d.rec.Clamps) == 0 {
		d.printf("No guardrail narrowed the search.\n")
		return
	}
	binding := 0
	for _, c := range d.rec.Clamps {
		kind := code(c.Kind)
		if why, ok := clampKinds[c.Kind]; ok {
			kind += " (" + why + ")"
		}
		line := fmt.Sprintf("- %s — %s", code(c.Param), kind)
		if det := oneLine(c.Detail); det != "" {
			line += ": " + det
		}
		line = sentence(line)
		if c.Binding {
			binding++
			line += " **Binding**: the best candidate sits on this limit; the search may have gone further without it."
		}
		d.printf("%s\n", line)
	}
	switch binding {
	case 0:
		d.printf("\nNo guardrail is binding.\n")
	case 1:
		d.printf("\n1 guardrail is binding.\n")
	default:
		d.printf("\n%d guardrails are binding.\n", binding)
	}
}

// window writes the calibration window as dates in UTC.
func (d *draft) window() string {
	m := d.rec.Method
	return fmt.Sprintf("%s to %s (UTC)", date(m.WindowStart), date(m.WindowEnd))
}

func (d *draft) method() {
	m := d.rec.Method
	d.section("Method")
	d.printf("- Model: %s\n", orUnknown(m.Model))
	if m.Governor != "" {
		track := ""
		if m.Track != "" {
			track = fmt.Sprintf(", %s track", m.Track)
		}
		d.printf("- Governor rules: %s%s\n", m.Governor, track)
	}
	if m.TokenSymbol != "" || m.TokenPriceUSD > 0 {
		price := "no price given"
		if m.TokenPriceUSD > 0 {
			price = fmt.Sprintf("valued at %s USD", strconv.FormatFloat(m.TokenPriceUSD, 'g', 6, 64))
		}
		d.printf("- Token: %s, %s\n", orUnknown(m.TokenSymbol), price)
	}
	d.printf("- Data source: %s\n", orUnknown(m.DataSource))
	d.printf("- Calibration window: %s\n", d.window())
	d.printf("- Sampler: %s\n", orUnknown(m.Sampler))
	if m.Selection != "" {
		d.printf("- Winner of each search: %s\n", m.Selection)
	}
	if len(m.WarmStart) > 0 {
		d.printf("- Warm start: each search first evaluated the best trials of an earlier cycle (%s)\n", strings.Join(m.WarmStart, ", "))
	}
	d.printf("- Trials: %d\n", m.Trials)
	d.printf("- Replications per trial: %d\n", m.Replications)
	d.printf("- Validation replications: %d (fresh seeds)\n", m.Validation)
	d.printf("- Seed: %d\n", m.Seed)
	d.printf("- Risk measure: %s\n", orUnknown(m.Risk))
	d.printf("- attune version: %s\n", orUnknown(m.Version))
	if len(m.Assumptions) > 0 {
		d.printf("\n### Model assumptions\n\n")
		d.printf("Settings of the model that the data do not determine; they shape every number above.\n\n")
		d.printf("| Assumption | Value | Meaning |\n|---|---:|---|\n")
		for _, a := range m.Assumptions {
			d.printf("| %s | %s | %s |\n", code(a.Name), FormatValue(a.Value, "", false), oneLine(a.Description))
		}
	}
	d.printf("\n### Calibration\n\n")
	if len(m.Fit) == 0 {
		d.printf("No calibration metrics were recorded.\n")
		return
	}
	d.printf("| Metric | Observed | Simulated | Error | Allowed |\n|---|---:|---:|---:|---:|\n")
	for _, r := range m.Fit {
		name := code(r.Metric)
		if r.Target {
			name += " (target)"
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
		d.printf("| %s | %s | %s | %s | %s |\n", name, FormatValue(r.Observed, "", false),
			FormatValue(r.Simulated, "", false), miss, allowed)
	}
	targets, outside := 0, []string(nil)
	for _, r := range m.Fit {
		if !r.Target {
			continue
		}
		targets++
		if m.FitTolerance > 0 && math.Abs(r.Error) > max(m.FitTolerance, r.Allowed) {
			outside = append(outside, code(r.Metric))
		}
	}
	if slices.ContainsFunc(m.Fit, func(r FitRow) bool { return r.Absolute }) {
		d.printf("\nErrors are relative ((simulated − observed) / observed) for sizes, and absolute differences in percentage points (pp) for rates; a target is allowed the tolerance, or the data's own 90%% uncertainty about it when that is larger. ")
	} else {
		d.printf("\nErrors are relative ((simulated − observed) / observed). ")
	}
	switch {
	case m.FitTolerance <= 0:
		d.printf("No calibration tolerance was recorded.\n")
	case targets == 0:
		d.printf("Tolerance: ±%s; no metric was a calibration target.\n", tolerance(m.FitTolerance))
	case len(outside) == 0 && targets == 1:
		d.printf("Tolerance: ±%s; the target is within it.\n", tolerance(m.FitTolerance))
	case len(outside) == 0 && targets == 2:
		d.printf("Tolerance: ±%s; both targets are within it.\n", tolerance(m.FitTolerance))
	case len(outside) == 0:
		d.printf("Tolerance: ±%s; all %d targets are within it.\n", tolerance(m.FitTolerance), targets)
	default:
		d.printf("Tolerance: ±%s; %d of %d targets are outside it: %s.\n", tolerance(m.FitTolerance),
			len(outside), targets, joinAnd(outside))
	}
	d.importance()
	d.trackRecord()
	if len(m.AtBound) > 0 {
		names := make([]string, len(m.AtBound))
		for i, n := range m.AtBound {
			names[i] = code(n)
		}
		d.printf("\nFitted at an end of its allowed range, so forced rather than found: %s.\n", joinAnd(names))
	}
}

// importance lists how much each searched parameter moved the score.
func (d *draft) importance() {
	imp := d.rec.Importance
	if len(imp) == 0 {
		return
	}
	d.printf("\n### Which parameters mattered\n\n")
	total := 0.0
	for _, i := range imp {
		total += i.Share
	}
	if total == 0 {
		d.printf("The search's combined score did not vary with any searched parameter over its trials.\n")
		return
	}
	d.printf("Share of the variation in the search's combined score that each searched parameter explains (permutation importance on a random forest fitted to the trials; the range is the 5th to 95th percentile over its trees). A parameter that explains little could be left alone whatever its recommended value.\n\n")
	for _, i := range imp {
		d.printf("- %s: %.0f%% (%.0f%% to %.0f%%)\n", code(i.Param), i.Share*100, i.Lo*100, i.Hi*100)
	}
}

// trackRecord quotes the model's backtest on this DAO's own history.
func (d *draft) trackRecord() {
	tr := d.rec.TrackRecord
	if tr == nil {
		return
	}
	d.printf("\n### Track record on this DAO's history\n\n")
	if tr.Note != "" {
		d.printf("%s.\n", strings.TrimSuffix(tr.Note, "."))
	}
	if len(tr.Metrics) > 0 {
		d.printf("Calibrated on one %d-day window and asked to predict the next, the model's %.0f%% intervals held the realised value in:\n\n", tr.WindowDays, tr.Level*100)
		for _, m := range tr.Metrics {
			d.printf("- %s: %d of %d windows (mean error %.2f pp)\n", code(m.Name), m.Inside, m.Windows, m.MeanAbsError*100)
		}
		d.printf("\nA perfect model would hold about %.0f%% of them; with this few windows the record is an indication.\n", tr.ExpectedCoverage*100)
	}
	if len(tr.Events) > 0 {
		d.printf("\nParameter changes in the history, predicted against realised:\n\n")
		for _, e := range tr.Events {
			d.printf("- %s\n", e)
		}
	}
}

// num3 formats x with three significant digits.
func num3(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

// heldText says in words why a parameter was left alone.
func heldText(reason string) string {
	switch reason {
	case HeldUnstable:
		return "the independent searches moved it in opposite directions"
	case HeldUnmoved:
		return "most searches left it where it is"
	case HeldNotSignificant:
		return "putting it back does not make the outcome significantly worse"
	case HeldNeedsUpgrade:
		return "only a contract upgrade or a separate programme could change it"
	case HeldNotEnactable:
		return "the governor cannot change it"
	case HeldFrozen:
		return "frozen by the config"
	}
	return strings.ReplaceAll(reason, "_", " ")
}

// formatPoints formats an absolute difference of two shares in
// percentage points, signed.
func formatPoints(x float64) string {
	return fmt.Sprintf("%+.1f pp", x*100)
}

func (d *draft) reproduce() {
	d.section("Reproduce")
	cmd := strings.TrimSpace(d.rec.Method.Command)
	if cmd == "" {
		d.printf("The command was not recorded.\n")
		return
	}
	fence := "```"
	for strings.Contains(cmd, fence) {
		fence += "`"
	}
	d.printf("%ssh\n%s\n%s\n", fence, cmd, fence)
}

func (d *draft) risks() {
	rec := d.rec
	m := rec.Method
	d.section("Risks and rollback")
	model := fmt.Sprintf("- **Model risk.** The simulation is calibrated on one window of data, %s to %s from %s; behaviour outside that window, or a shift in who votes, may differ from what it predicts.",
		date(m.WindowStart), date(m.WindowEnd), orUnknown(m.DataSource))
	if worst, ok := largestFitError(m.Fit, true); ok {
		model += fmt.Sprintf(" The largest error on a calibration target is %s on %s", formatRel(worst.Error), code(worst.Metric))
		if m.FitTolerance > 0 {
			model += fmt.Sprintf(" (tolerance ±%s)", tolerance(m.FitTolerance))
		}
		model += "."
	}
	if other, ok := largestFitError(m.Fit, false); ok && m.FitTolerance > 0 && math.Abs(other.Error) > m.FitTolerance {
		model += fmt.Sprintf(" The model does not reproduce %s, which it was not fitted to (error %s).", code(other.Metric), formatRel(other.Error))
	}
	d.printf("%s\n", model)
	if len(rec.Sensitivity) > 0 {
		var parts []string
		for _, sv := range rec.Sensitivity {
			part := fmt.Sprintf("%s from %s to %s (assumed %s)", code(sv.Name), num3(sv.HoldsFrom), num3(sv.HoldsTo), num3(sv.Value))
			parts = append(parts, part)
		}
		verdict := "The verdict holds"
		line := fmt.Sprintf("- **Assumptions.** %s, each varied alone on fresh replications, for %s.", verdict, joinAnd(parts))
		if ms := rec.MostSensitive; ms != "" {
			for _, sv := range rec.Sensitivity {
				if sv.Name != ms {
					continue
				}
				at := sv.FlipsAbove
				if at == nil || (sv.FlipsBelow != nil && math.Abs(*sv.FlipsBelow-sv.Value) < math.Abs(*at-sv.Value)) {
					at = sv.FlipsBelow
				}
				line += fmt.Sprintf(" It rests most on %s: at %s it changes.", code(ms), num3(*at))
			}
		} else {
			line += " No value tried changes it."
		}
		d.printf("%s\n", line)
	}
	if rec.Change {
		var far []string
		for _, p := range d.changed() {
			if p.Current == 0 || math.Abs(d.recommended(p)-p.Current) > 0.25*math.Abs(p.Current) {
				far = append(far, code(p.Name))
			}
		}
		if len(far) > 0 {
			line := fmt.Sprintf("- **Extrapolation.** %s %s from 0 or by more than 25%%: the data show no variation there, so the predicted effect rests on the model's assumptions", joinAnd(far), pluralVerb(len(far), "moves", "move"))
			if len(m.Assumptions) > 0 {
				line += " (see Model assumptions under Method)"
			}
			d.printf("%s.\n", line)
		}
	}
	worse, _, _ := d.verdicts()
	if !rec.Change {
		d.printf("- **Largest worsening.** None: this proposal changes nothing.\n")
	} else if e, ok := largestWorsening(worse); ok {
		d.printf("- **Largest worsening.** %s: %s.\n", code(e.Name), effectLine(e))
	} else {
		d.printf("- **Largest worsening.** None: no objective or other outcome gets measurably worse.\n")
	}
	ch := d.changed()
	if len(ch) == 0 {
		d.printf("- **Rollback.** Nothing changes, so there is nothing to roll back.\n")
	} else {
		d.printf("- **Rollback.** To roll back, restore the values in force before this proposal:\n")
		for _, p := range ch {
			d.printf("  - %s: %s\n", code(p.Name), FormatValue(p.Current, p.Unit, p.Integer))
		}
	}
	revisit := "- **Revisit.** We suggest revisiting these parameters at the next tuning cycle, with data that includes the period after this decision"
	if e, ok := largestWorsening(worse); ok && rec.Change {
		revisit += fmt.Sprintf(", and rolling back earlier if %s moves beyond the worse end of its interval", code(e.Name))
	}
	d.printf("%s.\n", revisit)
}

// largestFitError returns the calibration row with the largest |Error|
// among the targets (target true) or among the other rows.
func largestFitError(fit []FitRow, target bool) (FitRow, bool) {
	var worst FitRow
	found := false
	for _, r := range fit {
		if r.Target != target {
			continue
		}
		if !found || math.Abs(r.Error) > math.Abs(worst.Error) {
			worst, found = r, true
		}
	}
	return worst, found
}

// largestWorsening returns the effect that worsens most relative to its
// current mean (in absolute terms when the current mean is zero).
func largestWorsening(worse []Effect) (Effect, bool) {
	var best Effect
	bestSize := -1.0
	for _, e := range worse {
		size := math.Abs(e.Difference.Mean)
		if e.Current.Mean != 0 {
			size /= math.Abs(e.Current.Mean)
		}
		if size > bestSize {
			best, bestSize = e, size
		}
	}
	return best, bestSize >= 0
}

func (d *draft) footer() {
	cycle := oneLine(d.rec.CycleID)
	if cycle == "" {
		cycle = "unknown"
	}
	d.printf("\n---\n\n_The numbers come from attune's simulation-based search (cycle %s); the text was drafted by the template drafter._\n", code(cycle))
}

// paramLabel is a parameter's name for prose: underscores become spaces
// and a trailing unit word ("_days") is dropped.
func paramLabel(p ParamChange) string {
	name := oneLine(p.Name)
	if first, _, _ := strings.Cut(p.Unit, " "); first != "" {
		if trimmed, ok := strings.CutSuffix(name, "_"+first); ok && trimmed != "" {
			name = trimmed
		}
	}
	return strings.ReplaceAll(name, "_", " ")
}

// joinAnd joins items as "a", "a and b" or "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func pluralVerb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sentence trims s to one line and ends it with a full stop.
func sentence(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}

// oneLine collapses whitespace so text cannot break a table or a list,
// and escapes the pipes that would split a table cell.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// code writes s as inline code safe in a table cell.
func code(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "—"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// linkTarget writes a link destination, in angle brackets when it holds
// characters that would end a bare one.
func linkTarget(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if strings.ContainsAny(s, " ()<>") {
		r := strings.NewReplacer("<", "%3C", ">", "%3E")
		return "<" + r.Replace(s) + ">"
	}
	return s
}

func orUnknown(s string) string {
	if s = oneLine(s); s == "" {
		return "not recorded"
	}
	return s
}

// date writes t as YYYY-MM-DD in UTC, or "unknown" for the zero time.
func date(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02")
}

// tolerance writes a relative tolerance as a percentage ("10.0%").
func tolerance(tol float64) string {
	return strconv.FormatFloat(tol*100, 'f', 1, 64) + "%"
}
