package oracle

import (
	"fmt"
	"math"
	"slices"
	"strconv"
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
	// Language is the ISO 639-1 code of the language the proposal is
	// written in (one of Languages; English when empty or unknown): its
	// headings, tables and fixed sentences, its numbers and units. The
	// prose is the drafter's and should be in the same language.
	Language string
}

// Separator divides a proposal's post from its appendix in Markdown.
const Separator = "\n---\n\n"

// Compose renders a proposal from rec and a drafter's prose: the post (the
// title, the prose, the current-to-recommended table, the on-chain
// specification, the next steps and a disclaimer) and the appendix (the
// method, calibration, assumptions, every outcome, guardrails, importance,
// track record and how to reproduce the cycle). Everything but the prose
// is rendered from rec, so the values a vote enacts never come from a
// drafter. opt.Language sets the language of everything Compose writes.
//
// Text that other parts of attune record in English and that Compose
// quotes as it is (the model's descriptions of its parameters and
// assumptions, the search's selection rule, guardrail details, the
// on-chain specification's notes, a poor fit, the track record's
// notes) is left out of a proposal in another language where the
// proposal already says it in words of its own, and quoted otherwise.
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
	c := composer{rec: rec, opt: opt, l: localeFor(opt.Language)}
	post := c.post(title, prose)
	appendix := c.appendix()
	return Proposal{Title: title, Post: post, Appendix: appendix,
		Markdown: post + Separator + appendix}, nil
}

type composer struct {
	rec Recommendation
	opt ComposeOptions
	l   *locale
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
	text = collapseSpace(text)
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
	rec, l := c.rec, c.l
	c.printf("# %s\n\n", title)
	c.paragraph("", prose.Opening)
	c.paragraph(l.msg("post.why"), prose.Motivation)
	c.paramTable()
	c.paragraph(l.msg("post.effects"), prose.Effects)
	c.paragraph(l.msg("post.trade_off"), prose.TradeOff)
	c.spec()
	c.nextSteps()
	level := l.pct("90")
	if lv := rec.Score.Difference.CI.Level; lv > 0 && lv < 1 {
		level = l.pct(sig(lv*100, 3))
	}
	votes := l.msg("post.votes.unnamed")
	if dao := daoName(rec.DAO); dao != "" {
		votes = l.f("post.votes.named", "dao", dao)
	}
	c.printf("_%s_\n", l.f("post.disclaimer", "votes", votes, "level", level, "chart", "`"+oneLine(c.opt.ChartFile)+"`"))
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
	m, l := c.rec.Method, c.l
	c.printf("| %s | %s | %s |\n|---|---:|---:|\n", l.msg("table.parameter"), l.msg("table.current"), l.msg("table.recommended"))
	for _, p := range rows {
		rv := p.Current
		if c.rec.Change {
			rv = p.Recommended
		}
		recCell := l.plainValue(m, rv, p.Unit, p.Integer)
		if rv == p.Current {
			recCell = l.msg("table.unchanged")
		}
		c.printf("| %s (%s) | %s | %s |\n", capital(l.name(p.Name)), code(p.Name),
			l.plainValue(m, p.Current, p.Unit, p.Integer), recCell)
	}
	c.printf("\n")
}

// spec writes the on-chain specification.
func (c *composer) spec() {
	rec, l := c.rec, c.l
	c.printf("**%s**", l.msg("spec.heading"))
	if !rec.Change || len(rec.Onchain) == 0 {
		c.printf(" %s\n\n", l.msg("spec.none"))
		return
	}
	c.printf("\n\n")
	for _, call := range rec.Onchain {
		name := capital(l.name(call.Param))
		if cl := call.Call(); cl != "" {
			c.printf("- %s\n", l.f("spec.call", "param", name, "call", code(cl), "contract", c.contract(call), "meaning", c.meaning(call)))
			continue
		}
		c.printf("- %s\n", l.f("spec.needs", "param", name, "value", c.meaning(call), "needs", sentence(c.needs(call))))
	}
	c.printf("\n")
}

// contract names a call's contract and its address.
func (c *composer) contract(call OnchainCall) string {
	on := oneLine(call.Contract)
	if a := oneLine(call.Address); a != "" {
		on += " " + code(a)
	}
	return on
}

// meaning says what a call's argument means: call.Meaning, which the
// loop writes in English, or in another language the same from the
// call's structured fields (the recommended value in the post's words
// when they are absent).
func (c *composer) meaning(call OnchainCall) string {
	l, m := c.l, c.rec.Method
	p, ok := c.param(call.Param)
	if l.en() || !ok {
		return strings.TrimSuffix(oneLine(call.Meaning), ".")
	}
	value := l.plainValue(m, p.Recommended, p.Unit, p.Integer)
	arg := oneLine(call.Arg)
	if arg == "" || strings.Trim(arg, "0123456789") != "" {
		return value
	}
	days := l.formatValue(p.Recommended, "days", false)
	pct := l.percent(p.Recommended)
	hundred := l.pct("100")
	switch call.ArgUnit {
	case "blocks":
		return l.f("meaning.blocks", "blocks", l.num(groupThousands(arg)), "days", days, "seconds", l.num(FormatValue(call.BlockSeconds, "", false)))
	case "seconds":
		return l.f("meaning.seconds", "seconds", l.num(groupThousands(arg)), "days", days)
	case "token_units":
		return l.f("meaning.token_units", "value", value, "decimals", itoa(call.TokenDecimals))
	case "quorum_numerator":
		return l.f("meaning.quorum_numerator", "pct", pct, "arg", arg, "denominator", strconv.FormatInt(call.QuorumDenominator, 10))
	case "pct_1e18":
		return l.f("meaning.pct_1e18", "pct", pct, "hundred", hundred)
	case "bps":
		return l.f("meaning.bps", "pct", pct, "ten_thousand", l.num("10,000"), "hundred", hundred)
	}
	return value
}

// needs says what a change no call makes needs: call.Needs, which the
// loop writes in English, or in another language the same from the
// call's structured fields and the recommendation.
func (c *composer) needs(call OnchainCall) string {
	l, rec := c.l, c.rec
	if l.en() {
		return call.Needs
	}
	switch {
	case call.Param == "participation_reward":
		s := l.msg("needs.reward")
		if spend, ok := recommendedMean(rec, "reward_spend_per_month"); ok {
			s += l.f("needs.reward_cost", "amount", l.num(groupThousands(strconv.FormatFloat(math.Round(spend), 'f', 0, 64)))+" "+l.symbolOr(rec.Method))
			if usd, ok := recommendedMean(rec, "reward_spend_usd_per_month"); ok && usd > 0 {
				s += l.f("needs.reward_usd", "usd", l.num(groupThousands(strconv.FormatFloat(math.Round(usd), 'f', 0, 64))))
			}
		}
		return s
	case call.Constant != "" && rec.Method.Governor == "aave-v2":
		return l.f("needs.aave", "constant", oneLine(call.Constant), "arg", oneLine(call.Arg))
	case call.Constant != "":
		return l.f("needs.constant", "constant", oneLine(call.Constant), "contract", oneLine(call.Contract), "arg", oneLine(call.Arg))
	}
	return l.msg("needs.upgrade")
}

// param returns the recommendation's parameter called name.
func (c *composer) param(name string) (ParamChange, bool) {
	for _, p := range c.rec.Params {
		if p.Name == name {
			return p, true
		}
	}
	return ParamChange{}, false
}

// recommendedMean is the recommended mean of the objective or outcome
// called name.
func recommendedMean(rec Recommendation, name string) (float64, bool) {
	for _, list := range [][]Effect{rec.Effects, rec.Outcomes} {
		for _, e := range list {
			if e.Name == name && !math.IsNaN(e.Recommended.Mean) && !math.IsInf(e.Recommended.Mean, 0) {
				return e.Recommended.Mean, true
			}
		}
	}
	return 0, false
}

// nextSteps dates the path from forum to chain from the cycle's date.
func (c *composer) nextSteps() {
	rec, l := c.rec, c.l
	day := func(offset int) string {
		if rec.Date.IsZero() {
			return l.f("next.day", "n", itoa(offset))
		}
		return rec.Date.UTC().AddDate(0, 0, offset).Format("2006-01-02")
	}
	d, t := c.opt.DiscussionDays, c.opt.TemperatureDays
	c.printf("**%s**", l.msg("next.heading"))
	if !rec.Change || len(changedParams(rec)) == 0 {
		c.printf(" %s\n\n", l.f("next.none", "date", day(d)))
		return
	}
	c.printf("\n\n")
	c.printf("1. %s\n", l.f("next.forum", "from", day(0), "to", day(d)))
	c.printf("2. %s\n", l.f("next.snapshot", "from", day(d), "to", day(d+t)))
	vote := l.f("next.vote", "date", day(d+t+1))
	for _, p := range rec.Params {
		if p.Name == "voting_period_days" && p.Unit == "days" {
			vote += l.f("next.vote_lasts", "value", l.plainValue(rec.Method, p.Current, p.Unit, p.Integer))
		}
	}
	c.printf("3. %s.\n\n", vote)
}

func (c *composer) appendix() string {
	rec, l := c.rec, c.l
	c.printf("## %s\n\n", l.msg("appendix.heading"))
	id := code(l.orUnknown(rec.CycleID))
	if rec.Date.IsZero() {
		c.printf("%s\n", l.f("appendix.cycle", "id", id))
	} else {
		c.printf("%s\n", l.f("appendix.cycle_run", "id", id, "date", date(rec.Date)))
	}
	c.method()
	c.parameters()
	c.extrapolation()
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

// section starts the appendix section whose heading is the message
// "section.<key>".
func (c *composer) section(key string) { c.printf("\n### %s\n\n", c.l.msg("section."+key)) }

// scoreDefinition says what the combined score is: each objective,
// signed so that higher is better, divided by its typical size and
// weighted, summed.
func (c *composer) scoreDefinition() string {
	l := c.l
	var terms []string
	for _, e := range c.rec.Effects {
		t := fmt.Sprintf("%s × %s", l.num(sig(e.Weight, 3)), l.name(e.Name))
		if e.Scale > 0 && e.Scale != 1 {
			scale := l.plainValue(c.rec.Method, e.Scale, e.Unit, false)
			if isFractionOfSupply(e.Unit) {
				scale = l.percent(e.Scale) + l.msg("unit.of_supply.other")
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
		return l.msg("score.def.none")
	}
	return l.f("score.def", "terms", strings.Join(terms, " "), "pct", l.pct("70"), "fraction", l.num("0.7"))
}

func (c *composer) method() {
	rec, m, l := c.rec, c.rec.Method, c.l
	c.section("method")
	gov := ""
	if m.Governor != "" {
		gov = l.f("method.governor", "governor", m.Governor)
		if m.Track != "" {
			gov += l.f("method.track", "track", m.Track)
		}
	}
	c.printf("%s ", l.f("method.fit", "model", l.orUnknown(m.Model), "governor", gov, "window", c.window()))
	searches := max(m.Searches, 1)
	c.printf("%s ", l.plural("method.search", searches, "trials", itoa(m.Trials), "searches", itoa(searches),
		"sampler", l.orUnknown(m.Sampler), "replications", itoa(m.Replications)))
	if m.Selection != "" && l.en() {
		// The loop writes the selection rule in English; another language
		// has the method without it.
		c.printf("%s ", l.f("method.selection", "selection", strings.TrimSuffix(m.Selection, ".")))
	}
	c.printf("%s ", l.msg("method.agree"))
	c.printf("%s\n\n", l.f("method.validate", "n", itoa(m.Validation), "risk", l.orUnknown(m.Risk)))
	c.printf("%s\n\n", c.scoreDefinition())
	d := rec.Score.Difference
	a, b := l.rangeDigits(d.CI.Lo, d.CI.Hi)
	c.printf("%s ", l.f("method.score", "lo", a, "hi", b, "level", l.levelWords(d.CI.Level)))
	switch rec.Basis {
	case BasisSignificant, BasisConstraint, BasisCandidateInfeasible, BasisCurrentBest:
		c.printf("%s\n", l.msg("basis."+rec.Basis))
	default:
		c.printf("%s\n", l.msg("basis.not_significant"))
	}
	// The reason is the loop's English summary of the verdict the
	// sentence above gives; another language has that sentence alone.
	if r := sentence(rec.Reason); r != "" && l.en() {
		c.printf("\n%s\n", l.f("method.detail", "reason", r))
	}
	if rec.PoorFit != "" {
		c.printf("\n**%s**%s%s\n", l.msg("method.poor_fit"), l.msg("punct.colon"), l.f("method.poor_fit_rest", "detail", strings.TrimSuffix(oneLine(rec.PoorFit), ".")))
	}
	if len(m.WarmStart) > 0 {
		c.printf("\n%s\n", l.f("method.warm_start", "studies", strings.Join(m.WarmStart, ", ")))
	}
	if !rec.Change {
		if cand := c.candidateText(); cand != "" {
			c.printf("\n%s\n", l.f("method.candidate", "values", cand))
		}
	}
}

// levelWords is "90%" for a level of 0.9, in English.
func levelWords(level float64) string { return localeFor("en").levelWords(level) }

// window writes the calibration window as dates in UTC.
func (c *composer) window() string {
	m := c.rec.Method
	return c.l.f("method.window", "from", c.l.date(m.WindowStart), "to", c.l.date(m.WindowEnd))
}

// candidateText lists the best candidate's values, in parameter order and
// then by name for any value that is not a parameter.
func (c *composer) candidateText() string {
	var parts []string
	seen := map[string]bool{}
	m, l := c.rec.Method, c.l
	for _, p := range c.rec.Params {
		v, ok := c.rec.Candidate[p.Name]
		if !ok || seen[p.Name] || v == p.Current {
			continue
		}
		seen[p.Name] = true
		parts = append(parts, l.name(p.Name)+" "+l.plainValue(m, v, p.Unit, p.Integer))
	}
	for _, k := range sortedKeys(c.rec.Candidate) {
		if seen[k] || slices.ContainsFunc(c.rec.Params, func(p ParamChange) bool { return p.Name == k }) {
			continue
		}
		parts = append(parts, l.name(k)+" "+l.num(sig(c.rec.Candidate[k], 3)))
	}
	return strings.Join(parts, ", ")
}

// parameters lists every parameter with what it means and why a held one
// stays.
func (c *composer) parameters() {
	c.section("parameters")
	m, l := c.rec.Method, c.l
	for _, p := range c.rec.Params {
		rv := p.Current
		if c.rec.Change {
			rv = p.Recommended
		}
		line := fmt.Sprintf("- %s (%s)%s%s", capital(l.name(p.Name)), code(p.Name), l.msg("punct.colon"), l.plainValue(m, p.Current, p.Unit, p.Integer))
		if rv != p.Current {
			line += " → " + l.plainValue(m, rv, p.Unit, p.Integer)
		}
		var notes []string
		// The model describes its parameters in English; another
		// language names them by their plain name and code name alone.
		if d := oneLine(p.Description); d != "" && l.en() {
			notes = append(notes, d)
		}
		switch {
		case rv != p.Current && p.Enactment == "upgrade":
			notes = append(notes, l.msg("param.upgrade"))
		case rv != p.Current:
		case !p.Searched && p.Held != "":
			notes = append(notes, l.f("param.not_searched_because", "why", l.held(p.Held)))
		case !p.Searched:
			notes = append(notes, l.msg("param.not_searched"))
		case p.Held != "":
			notes = append(notes, l.f("param.kept", "why", l.held(p.Held)))
		}
		if p.Range != nil && p.Range[0] != p.Range[1] {
			notes = append(notes, l.f("param.spanned", "lo", l.plainValue(m, p.Range[0], p.Unit, p.Integer), "hi", l.plainValue(m, p.Range[1], p.Unit, p.Integer)))
		}
		if len(notes) > 0 {
			line += l.msg("list.semicolon") + strings.Join(notes, l.msg("list.semicolon"))
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
	m, l := c.rec.Method, c.l
	var lines []string
	for _, p := range c.rec.Params {
		if p.Unrounded == nil || !p.Changed() {
			continue
		}
		from, to := l.plainValue(m, *p.Unrounded, p.Unit, false), l.plainValue(m, p.Recommended, p.Unit, p.Integer)
		if from == to {
			continue
		}
		lines = append(lines, "- "+l.f("rounding.item", "param", capital(l.name(p.Name)), "from", from, "to", to))
	}
	if len(lines) == 0 {
		return
	}
	c.section("rounding")
	c.printf("%s\n\n%s\n", l.msg("rounding.intro"), strings.Join(lines, "\n"))
}

func (c *composer) calibration() {
	m, l := c.rec.Method, c.l
	c.section("calibration")
	if len(m.Fit) == 0 {
		c.printf("%s\n", l.msg("calibration.none"))
		return
	}
	c.printf("| %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---:|\n",
		l.msg("table.metric"), l.msg("table.observed"), l.msg("table.simulated"), l.msg("table.miss"), l.msg("table.allowed"))
	for _, r := range m.Fit {
		name := capital(l.name(r.Metric))
		if r.Target {
			name = l.f("calibration.fitted", "name", name)
		}
		miss, allowed := l.rel(r.Error), ""
		if r.Absolute {
			miss = l.points(r.Error)
		}
		if r.Target && r.Allowed > 0 {
			allowed = "±" + strings.TrimPrefix(l.rel(r.Allowed), "+")
			if r.Absolute {
				allowed = "±" + strings.TrimPrefix(l.points(r.Allowed), "+")
			}
		}
		sim := r
		sim.Observed = r.Simulated
		c.printf("| %s | %s | %s | %s | %s |\n", name, l.observedValue(r), l.observedValue(sim), miss, allowed)
	}
	c.printf("\n%s", l.f("calibration.note", "tolerance", l.tolerance(m.FitTolerance), "level", l.pct("90")))
	var outside []string
	for _, r := range m.Fit {
		if r.Target && m.FitTolerance > 0 && math.Abs(r.Error) > max(m.FitTolerance, r.Allowed) {
			outside = append(outside, l.name(r.Metric))
		}
	}
	if len(outside) > 0 {
		c.printf(" %s", l.f("calibration.outside", "names", l.joinAnd(outside)))
	} else {
		c.printf(" %s", l.msg("calibration.within"))
	}
	if len(m.AtBound) > 0 {
		names := make([]string, len(m.AtBound))
		for i, n := range m.AtBound {
			names[i] = code(n)
		}
		c.printf(" %s", l.f("calibration.at_bound", "names", l.joinAnd(names)))
	}
	c.printf("\n")
}

func (c *composer) assumptions() {
	rec, m, l := c.rec, c.rec.Method, c.l
	if len(m.Assumptions) == 0 && len(rec.Sensitivity) == 0 {
		return
	}
	c.section("assumptions")
	if len(m.Assumptions) > 0 {
		intro := l.msg("assumptions.intro")
		if !l.en() {
			// The model describes its settings in English; a proposal in
			// another language names each and says where that is.
			intro += " " + l.msg("assumptions.where")
		}
		c.printf("%s\n\n", intro)
		for _, a := range m.Assumptions {
			if d := strings.TrimSuffix(oneLine(a.Description), "."); d != "" && l.en() {
				c.printf("- %s = %s: %s.\n", code(a.Name), l.formatValue(a.Value, "", false), d)
			} else {
				c.printf("- %s = %s.\n", code(a.Name), l.formatValue(a.Value, "", false))
			}
		}
	}
	if len(rec.Sensitivity) > 0 {
		var parts []string
		for _, sv := range rec.Sensitivity {
			parts = append(parts, l.f("assumptions.range", "name", code(sv.Name), "from", l.num(num3(sv.HoldsFrom)), "to", l.num(num3(sv.HoldsTo)), "value", l.num(num3(sv.Value))))
		}
		c.printf("\n%s", l.f("assumptions.holds", "list", l.joinAnd(parts)))
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
					c.printf(" %s", l.f("assumptions.rests", "name", code(ms), "value", l.num(num3(*at))))
				}
			}
		} else {
			c.printf(" %s", l.msg("assumptions.stable"))
		}
		c.printf("\n")
	}
}

func (c *composer) outcomes() {
	rec, l := c.rec, c.l
	c.section("outcomes")
	c.printf("%s", l.f("outcomes.intro", "n", itoa(rec.Method.Validation), "level", l.levelWords(rec.Score.Difference.CI.Level)))
	if !rec.Change {
		c.printf(" %s", l.msg("outcomes.no_change"))
	}
	c.printf(" %s\n\n", l.f("outcomes.chart", "chart", "`"+oneLine(c.opt.ChartFile)+"`"))
	c.printf("| %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---|\n",
		l.msg("table.outcome"), l.msg("table.current"), l.msg("table.recommended"), l.msg("table.change"), l.msg("table.verdict"))
	row := func(label string, e Effect) {
		c.printf("| %s | %s | %s | %s | %s |\n", label, l.formatValue(e.Current.Mean, e.Unit, false),
			l.formatValue(e.Recommended.Mean, e.Unit, false), l.changeCell(e), l.verdict(e))
	}
	for _, e := range rec.Effects {
		row(l.f("outcomes.objective", "name", capital(l.name(e.Name))), e)
	}
	row("**"+l.msg("outcomes.score")+"**", rec.Score)
	for _, e := range rec.Outcomes {
		row(capital(l.name(e.Name)), e)
	}
	c.printf("\n%s\n", l.msg("outcomes.note"))
}

// changeCell writes a difference and its interval, without repeating a
// value the interval collapses to: "+1.2 pp (+0.8 to +1.6)", "+3 days",
// "none".
func changeCell(e Effect) string { return localeFor("en").changeCell(e) }

// changeCell is changeCell in the language.
func (l *locale) changeCell(e Effect) string {
	d := e.Difference
	mean := l.formatDelta(d.Mean, e.Unit)
	m, _ := formatParts(d.Mean, e.Unit, false, true)
	lo, _ := formatParts(d.CI.Lo, e.Unit, false, true)
	hi, _ := formatParts(d.CI.Hi, e.Unit, false, true)
	zero := func(x string) bool {
		return isZeroDigits(strings.TrimLeft(strings.TrimSuffix(strings.TrimSuffix(x, " pp"), "%"), "+-"))
	}
	if zero(m) && zero(lo) && zero(hi) {
		return l.msg("change.none")
	}
	if lo == hi {
		return mean
	}
	// The mean carries the unit; the interval's bounds only their signs
	// (and a percent sign, which is part of the number).
	short := func(x string) string {
		if p, ok := strings.CutSuffix(x, " pp"); ok {
			return l.num(p)
		}
		if p, ok := strings.CutSuffix(x, "%"); ok {
			return l.pct(p)
		}
		return l.num(x)
	}
	return mean + " (" + l.f("range", "lo", short(lo), "hi", short(hi)) + ")"
}

func (c *composer) constraints() {
	if len(c.rec.Constraints) == 0 {
		return
	}
	l := c.l
	c.section("constraints")
	for _, k := range c.rec.Constraints {
		status := l.msg("constraint.holds")
		if !k.OK {
			status = "**" + l.msg("constraint.broken") + "**"
		}
		c.printf("- %s\n", l.f("constraint.item", "expr", code(k.Expr), "current", l.formatValue(k.Current, "", false), "recommended", l.formatValue(k.Recommended, "", false), "status", status))
	}
}

func (c *composer) guardrails() {
	if len(c.rec.Clamps) == 0 {
		return
	}
	l := c.l
	c.section("guardrails")
	binding := 0
	for _, k := range c.rec.Clamps {
		line := fmt.Sprintf("- %s%s%s", capital(l.name(k.Param)), l.msg("punct.colon"), code(k.Kind))
		if why, ok := l.msgs["clamp."+k.Kind]; ok {
			line += ", " + why
		}
		// The detail gives the ranges in the search's English words;
		// another language has the kind's explanation alone.
		if det := oneLine(k.Detail); det != "" && l.en() {
			line += " (" + strings.TrimSuffix(det, ".") + ")"
		}
		line += "."
		if k.Binding {
			binding++
			line += " **" + l.msg("guardrail.binding") + "**" + l.msg("punct.colon") + l.msg("guardrail.binding_note")
		}
		c.printf("%s\n", line)
	}
	if binding == 0 {
		c.printf("\n%s\n", l.msg("guardrails.none"))
		return
	}
	c.printf("\n%s\n", l.plural("guardrails.binding", binding, "n", itoa(binding)))
}

// importance lists how much each searched parameter moved the score.
func (c *composer) importance() {
	imp := c.rec.Importance
	if len(imp) == 0 {
		return
	}
	l := c.l
	c.section("importance")
	total := 0.0
	for _, i := range imp {
		total += i.Share
	}
	if total == 0 {
		c.printf("%s\n", l.msg("importance.flat"))
		return
	}
	c.printf("%s\n\n", l.msg("importance.intro"))
	for _, i := range imp {
		c.printf("- %s\n", l.f("importance.item", "param", code(i.Param), "share", l.pct0(i.Share), "lo", l.pct0(i.Lo), "hi", l.pct0(i.Hi)))
	}
}

// trackRecord quotes the model's backtest on this DAO's own history.
func (c *composer) trackRecord() {
	tr := c.rec.TrackRecord
	if tr == nil {
		return
	}
	l := c.l
	c.section("track_record")
	// The backtest writes its note and events in English; they are
	// quoted in every language.
	if tr.Note != "" {
		c.printf("%s.\n", strings.TrimSuffix(oneLine(tr.Note), "."))
	}
	if len(tr.Metrics) > 0 {
		c.printf("%s\n\n", l.f("track.intro", "days", itoa(tr.WindowDays), "level", l.pct0(tr.Level)))
		for _, m := range tr.Metrics {
			c.printf("- %s\n", l.f("track.item", "metric", code(m.Name), "inside", itoa(m.Inside), "windows", itoa(m.Windows),
				"error", l.num(strconv.FormatFloat(m.MeanAbsError*100, 'f', 2, 64))+l.msg("unit.pp")))
		}
		c.printf("\n%s\n", l.f("track.expected", "share", l.pct0(tr.ExpectedCoverage)))
	}
	if len(tr.Events) > 0 {
		c.printf("\n%s\n\n", l.msg("track.events"))
		for _, e := range tr.Events {
			c.printf("- %s\n", oneLine(e))
		}
	}
}

func (c *composer) reproduce() {
	m, l := c.rec.Method, c.l
	c.section("reproduce")
	cmd := strings.TrimSpace(m.Command)
	if cmd == "" {
		c.printf("%s\n", l.msg("reproduce.none"))
		return
	}
	if len(m.Inputs) > 0 {
		c.printf("%s\n\n", l.msg("reproduce.files"))
		for _, f := range m.Inputs {
			c.printf("- %s%s`%s`\n", code(f.Name), l.msg("punct.colon"), oneLine(f.SHA256))
		}
		c.printf("\n%s\n\n", l.f("reproduce.then", "version", l.orUnknown(m.Version)))
	} else {
		c.printf("%s\n\n", l.f("reproduce.with", "version", l.orUnknown(m.Version)))
	}
	fence := "```"
	for strings.Contains(cmd, fence) {
		fence += "`"
	}
	c.printf("%ssh\n%s\n%s\n", fence, cmd, fence)
	c.printf("\n%s\n", l.msg("reproduce.same"))
}

// extrapolation writes, for a proposal that changes parameters, whether
// each recommended value lies outside the values the DAO's history
// records (ParamChange.Seen; without it, the value in force is all the
// recommendation knows of), and how to revert each change: the same
// setter with the value in force, or the same route as enacting.
func (c *composer) extrapolation() {
	changed := changedParams(c.rec)
	if len(changed) == 0 {
		return
	}
	m, l := c.rec.Method, c.l
	calls := map[string]OnchainCall{}
	for _, call := range c.rec.Onchain {
		if _, dup := calls[call.Param]; !dup {
			calls[call.Param] = call
		}
	}
	var extrap, unknown, rollback []string
	for _, p := range changed {
		name := capital(l.name(p.Name))
		value := l.plainValue(m, p.Recommended, p.Unit, p.Integer)
		current := l.plainValue(m, p.Current, p.Unit, p.Integer)
		switch seen := p.Seen; {
		case seen == nil:
			unknown = append(unknown, l.f("extrap.item", "param", l.name(p.Name), "value", value, "current", current))
		case p.Recommended >= seen[0] && p.Recommended <= seen[1]:
			extrap = append(extrap, l.f("extrap.within", "param", name, "value", value,
				"lo", l.plainValue(m, seen[0], p.Unit, p.Integer), "hi", l.plainValue(m, seen[1], p.Unit, p.Integer)))
		case seen[0] == seen[1]:
			extrap = append(extrap, l.f("extrap.outside_one", "param", name, "value", value, "lo", l.plainValue(m, seen[0], p.Unit, p.Integer)))
		default:
			extrap = append(extrap, l.f("extrap.outside", "param", name, "value", value,
				"lo", l.plainValue(m, seen[0], p.Unit, p.Integer), "hi", l.plainValue(m, seen[1], p.Unit, p.Integer)))
		}
		if call, ok := calls[p.Name]; ok && call.Call() != "" {
			fn, _, _ := strings.Cut(call.Function, "(")
			rollback = append(rollback, l.f("rollback.call", "param", name, "function", code(fn), "contract", c.contract(call), "current", current))
		} else {
			rollback = append(rollback, l.f("rollback.route", "param", name, "current", current))
		}
	}
	if len(unknown) > 0 {
		extrap = append(extrap, capital(l.plural("extrap.unknown", len(unknown), "list", strings.Join(unknown, l.msg("list.semicolon")))))
	}
	c.section("extrapolation")
	c.printf("- **%s**%s%s\n", l.msg("extrap.label"), l.msg("punct.colon"), strings.Join(extrap, " "))
	c.printf("- **%s**%s%s\n", l.msg("rollback.label"), l.msg("punct.colon"), strings.Join(rollback, " "))
}
