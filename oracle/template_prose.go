package oracle

import (
	"math"
	"slices"
	"strings"
)

// Prose writes the template's prose for rec, deterministically: a title,
// a one-sentence opening, a motivation from the data (the figures the
// change addresses, as observed over the calibration window), the two or
// three effects that matter (the largest significant ones, objectives
// first) with their intervals in words, and the trade-off (what gets
// worse, or that nothing measured does). Parameters are named in words;
// every number comes from rec. The prose is in t.Language.
func (t Template) Prose(rec Recommendation) Prose {
	l := localeFor(t.Language)
	m := rec.Method
	p := Prose{Title: proseTitle(l, rec)}
	changed := changedParams(rec)

	// Opening.
	switch {
	case len(changed) > 0:
		moves := make([]string, len(changed))
		for i, c := range changed {
			moves[i] = l.f("open.move", "verb", l.msg("open.verb."+moveVerb(c)), "param", l.the(c.Name),
				"from", l.plainValue(m, c.Current, c.Unit, c.Integer), "to", l.plainValue(m, c.Recommended, c.Unit, c.Integer))
		}
		p.Opening = capital(l.f("open.change", "moves", l.joinAnd(moves)))
	case rec.Change:
		p.Opening = l.msg("open.keep_all")
	case daoName(rec.DAO) != "":
		p.Opening = l.f("open.keep.named", "dao", daoName(rec.DAO))
	default:
		p.Opening = l.msg("open.keep.unnamed")
	}

	// Motivation: the observed figures behind the objectives.
	p.Motivation = motivation(l, rec)

	// Effects.
	if len(changed) == 0 {
		d := rec.Score.Difference.CI
		a, b := l.rangeDigits(d.Lo, d.Hi)
		p.Effects = l.f("effects.none.range", "lo", a, "hi", b)
		if a == b {
			p.Effects = l.msg("effects.none.same")
		}
		if rec.Basis == BasisCurrentBest {
			p.Effects = l.msg("effects.none.current_best")
		}
	} else {
		var parts []string
		for _, e := range mainEffects(rec, 3) {
			if ph, ok := l.changePhrase(m, e); ok {
				parts = append(parts, l.f("effects.part", "name", l.the(e.Name), "change", ph))
			}
		}
		if len(parts) == 0 {
			p.Effects = l.msg("effects.score_only")
		} else {
			p.Effects = capital(strings.Join(parts, l.msg("list.semicolon"))) + "."
		}
	}

	// Trade-off.
	worse := worsened(rec)
	switch {
	case len(changed) == 0:
		p.TradeOff = l.msg("tradeoff.keep")
	case len(worse) == 0:
		p.TradeOff = l.msg("tradeoff.none")
	default:
		e := worse[0]
		ph, _ := l.changePhrase(m, e)
		p.TradeOff = capital(l.f("tradeoff.cost", "name", l.the(e.Name), "change", ph))
		if len(worse) > 1 {
			names := make([]string, 0, len(worse)-1)
			for _, w := range worse[1:] {
				names = append(names, l.the(w.Name))
			}
			p.TradeOff += " " + capital(l.plural("tradeoff.also", len(names), "names", l.joinAnd(names)))
		}
	}
	return p
}

// proseTitle is the post's title: "Compound: Lower the proposal threshold
// to 15,000 COMP", "Adjust the quorum and the voting period" or "Keep
// governance parameters unchanged".
func proseTitle(l *locale, rec Recommendation) string {
	changed := changedParams(rec)
	var t string
	switch len(changed) {
	case 0:
		t = l.msg("title.keep")
	case 1:
		c := changed[0]
		t = capital(l.f("title.one", "verb", l.msg("title.verb."+moveVerb(c)), "param", l.the(c.Name),
			"value", l.plainValue(rec.Method, c.Recommended, c.Unit, c.Integer)))
	default:
		names := make([]string, len(changed))
		for i, c := range changed {
			names[i] = l.the(c.Name)
		}
		t = capital(l.f("title.many", "params", l.joinAnd(names)))
	}
	if dao := daoName(rec.DAO); dao != "" {
		t = dao + ": " + t
	}
	return t
}

// moveVerb says which way a change goes, as the key of its verb:
// "lengthen" or "shorten" for a period, "raise" or "lower" otherwise.
func moveVerb(p ParamChange) string {
	up := p.Recommended > p.Current
	if p.Unit == "days" {
		if up {
			return "lengthen"
		}
		return "shorten"
	}
	if up {
		return "raise"
	}
	return "lower"
}

// changedParams are the parameters the proposal moves: none when the
// recommendation is "no change".
func changedParams(rec Recommendation) []ParamChange {
	if !rec.Change {
		return nil
	}
	var out []ParamChange
	for _, p := range rec.Params {
		if p.Changed() {
			out = append(out, p)
		}
	}
	return out
}

// motivationMetrics are the observed figures a motivation may quote, in
// order; each reads as the message "motive.<metric>".
var motivationMetrics = []string{"quorum_failure_rate", "turnout", "pass_rate", "proposals_per_month"}

// motivation names, from the calibration's observed values, the problem
// the change addresses: the quorum-failure rate and turnout first.
func motivation(l *locale, rec Recommendation) string {
	m := rec.Method
	obs := map[string]FitRow{}
	for _, r := range m.Fit {
		obs[r.Metric] = r
	}
	var parts []string
	for _, metric := range motivationMetrics {
		r, ok := obs[metric]
		if !ok || len(parts) == 2 {
			continue
		}
		parts = append(parts, l.f("motive."+metric, "value", l.observedValue(r)))
	}
	when := l.msg("motive.when_unknown")
	if !m.WindowStart.IsZero() && !m.WindowEnd.IsZero() {
		when = l.f("motive.when", "from", date(m.WindowStart), "to", date(m.WindowEnd))
	}
	var s string
	if len(parts) == 0 {
		s = capital(l.f("motive.none", "when", when))
	} else {
		s = capital(l.f("motive.sentence", "when", when, "facts", l.joinAnd(parts)))
	}
	if obj := objectiveNames(l, rec); obj != "" {
		s += " " + capital(l.f("motive.search", "goals", obj))
	}
	if rec.PoorFit != "" {
		s = l.f("motive.poor_fit", "detail", strings.TrimSuffix(oneLine(rec.PoorFit), ".")) + " " + s
	}
	return s
}

// objectiveNames says what the search aimed at, most heavily weighted
// first: "raise decision quality and turnout and lower the attack success
// rate".
func objectiveNames(l *locale, rec Recommendation) string {
	effs := slices.Clone(rec.Effects)
	slices.SortStableFunc(effs, func(a, b Effect) int { return cmpSize(b.Weight, a.Weight) })
	var up, down []string
	for _, e := range effs {
		switch e.Better {
		case "minimize":
			down = append(down, l.the(e.Name))
		default:
			up = append(up, l.the(e.Name))
		}
	}
	var parts []string
	if len(up) > 0 {
		parts = append(parts, l.f("goal.raise", "names", l.joinAnd(up)))
	}
	if len(down) > 0 {
		parts = append(parts, l.f("goal.lower", "names", l.joinAnd(down)))
	}
	return strings.Join(parts, " "+l.msg("list.and")+" ")
}

// mainEffects returns up to n effects that improve (their interval lies
// on the better side of zero): objectives first (heaviest first), then
// other outcomes by the size of the change relative to the current value.
// What gets worse is the trade-off's.
func mainEffects(rec Recommendation, n int) []Effect {
	var obj, other []Effect
	for _, e := range rec.Effects {
		if e.Verdict() == "better" {
			obj = append(obj, e)
		}
	}
	slices.SortStableFunc(obj, func(a, b Effect) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return 0
	})
	for _, e := range rec.Outcomes {
		if e.Verdict() == "better" {
			other = append(other, e)
		}
	}
	slices.SortStableFunc(other, func(a, b Effect) int { return cmpSize(relSize(b), relSize(a)) })
	out := append(obj, other...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// worsened returns the objectives and outcomes that get worse, the
// largest relative worsening first.
func worsened(rec Recommendation) []Effect {
	var out []Effect
	for _, e := range append(slices.Clone(rec.Effects), rec.Outcomes...) {
		if e.Verdict() == "worse" {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Effect) int { return cmpSize(relSize(b), relSize(a)) })
	return out
}

// relSize is an effect's change relative to its current mean (absolute
// when the mean is zero).
func relSize(e Effect) float64 {
	size := math.Abs(e.Difference.Mean)
	if e.Current.Mean != 0 {
		size /= math.Abs(e.Current.Mean)
	}
	return size
}

func cmpSize(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// daoName is the DAO's name as a proposal prints it: one line, with no
// control or bidi characters and no markup (angle brackets become ‹ ›),
// however the config or the data spelled it.
func daoName(s string) string { return oneLine(Untrusted(s, 200)) }
