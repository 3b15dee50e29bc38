package oracle

import (
	"fmt"
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
// every number comes from rec.
func (t Template) Prose(rec Recommendation) Prose {
	m := rec.Method
	p := Prose{Title: proseTitle(rec)}
	changed := changedParams(rec)

	// Opening.
	switch {
	case len(changed) > 0:
		moves := make([]string, len(changed))
		for i, c := range changed {
			moves[i] = fmt.Sprintf("%s %s from %s to %s", moveVerb(c), theName(c.Name),
				m.plainValue(c.Current, c.Unit, c.Integer), m.plainValue(c.Recommended, c.Unit, c.Integer))
		}
		p.Opening = "We propose to " + joinAnd(moves) + "."
	case rec.Change:
		p.Opening = "We propose to keep every governance parameter at its value in force."
	default:
		p.Opening = fmt.Sprintf("We propose to keep %s governance parameters as they are: no change tried by the search was clearly better.", possessive(rec.DAO))
	}

	// Motivation: the observed figures behind the objectives.
	p.Motivation = motivation(rec)

	// Effects.
	if len(changed) == 0 {
		d := rec.Score.Difference.CI
		a, b := rangeDigits(d.Lo, d.Hi)
		p.Effects = fmt.Sprintf("Nothing changes, so nothing is expected to move. The best alternative found changed the overall score (defined in the appendix) by %s to %s, a range that includes no change.", a, b)
		if a == b {
			p.Effects = "Nothing changes, so nothing is expected to move. The best alternative found scored the same as the current settings."
		}
		if rec.Basis == BasisCurrentBest {
			p.Effects = "Nothing changes, so nothing is expected to move: no setting the search tried scored better than the ones in force."
		}
	} else {
		var parts []string
		for _, e := range mainEffects(rec, 3) {
			if ph, ok := m.changePhrase(e); ok {
				parts = append(parts, plainName(e.Name)+" is expected to "+ph)
			}
		}
		if len(parts) == 0 {
			p.Effects = "No single outcome improves clearly in the simulation; the change is recommended on the overall score (defined in the appendix)."
		} else {
			p.Effects = capital(strings.Join(parts, "; ")) + "."
		}
	}

	// Trade-off.
	worse := worsened(rec)
	switch {
	case len(changed) == 0:
		p.TradeOff = "Keeping the settings costs nothing new, and leaves the figures above as they are."
	case len(worse) == 0:
		p.TradeOff = "Nothing measured gets worse: no outcome's range lies on the wrong side of no change."
	default:
		e := worse[0]
		ph, _ := m.changePhrase(e)
		p.TradeOff = fmt.Sprintf("The cost: %s is expected to %s.", plainName(e.Name), ph)
		if len(worse) > 1 {
			names := make([]string, 0, len(worse)-1)
			for _, w := range worse[1:] {
				names = append(names, plainName(w.Name))
			}
			p.TradeOff += fmt.Sprintf(" %s also %s worse (see the appendix).", capital(joinAnd(names)), pluralVerb(len(names), "gets", "get"))
		}
	}
	return p
}

// proseTitle is the post's title: "Compound: Lower the proposal threshold
// to 15,000 COMP", "Adjust the quorum and the voting period" or "Keep
// governance parameters unchanged".
func proseTitle(rec Recommendation) string {
	changed := changedParams(rec)
	var t string
	switch len(changed) {
	case 0:
		t = "Keep governance parameters unchanged"
	case 1:
		c := changed[0]
		t = fmt.Sprintf("%s %s to %s", capital(moveVerb(c)), theName(c.Name), rec.Method.plainValue(c.Recommended, c.Unit, c.Integer))
	default:
		names := make([]string, len(changed))
		for i, c := range changed {
			names[i] = theName(c.Name)
		}
		t = "Adjust " + joinAnd(names)
	}
	if dao := daoName(rec.DAO); dao != "" {
		t = dao + ": " + t
	}
	return t
}

// moveVerb says which way a change goes: "lengthen" or "shorten" for a
// period, "raise" or "lower" otherwise.
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

// possessive is "Compound's", or "the DAO's" without a name.
func possessive(dao string) string {
	if dao = daoName(dao); dao == "" {
		return "the DAO's"
	}
	return dao + "'s"
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
// order, with how each reads.
var motivationMetrics = []struct {
	metric, text string
}{
	{"quorum_failure_rate", "%s of decided proposals failed to reach quorum"},
	{"turnout", "turnout averaged %s"},
	{"pass_rate", "%s of decided proposals passed"},
	{"proposals_per_month", "about %s proposals came up a month"},
}

// motivation names, from the calibration's observed values, the problem
// the change addresses: the quorum-failure rate and turnout first.
func motivation(rec Recommendation) string {
	m := rec.Method
	obs := map[string]FitRow{}
	for _, r := range m.Fit {
		obs[r.Metric] = r
	}
	var parts []string
	for _, mm := range motivationMetrics {
		r, ok := obs[mm.metric]
		if !ok || len(parts) == 2 {
			continue
		}
		parts = append(parts, fmt.Sprintf(mm.text, observedValue(r)))
	}
	when := "Over the data window"
	if !m.WindowStart.IsZero() && !m.WindowEnd.IsZero() {
		when = fmt.Sprintf("From %s to %s", date(m.WindowStart), date(m.WindowEnd))
	}
	var s string
	if len(parts) == 0 {
		s = when + ", the DAO's votes were simulated to find settings that serve its objectives better."
	} else {
		s = when + ", " + joinAnd(parts) + "."
	}
	if obj := objectiveNames(rec); obj != "" {
		s += " The search looked for settings that " + obj + "."
	}
	if rec.PoorFit != "" {
		s = "Warning: the model does not reproduce this DAO's data (" + strings.TrimSuffix(oneLine(rec.PoorFit), ".") + "); read every figure as a sketch. " + s
	}
	return s
}

// objectiveNames says what the search aimed at, most heavily weighted
// first: "raise decision quality and turnout and lower the attack success
// rate".
func objectiveNames(rec Recommendation) string {
	effs := slices.Clone(rec.Effects)
	slices.SortStableFunc(effs, func(a, b Effect) int { return cmpSize(b.Weight, a.Weight) })
	var up, down []string
	for _, e := range effs {
		switch e.Better {
		case "minimize":
			down = append(down, plainName(e.Name))
		default:
			up = append(up, plainName(e.Name))
		}
	}
	var parts []string
	if len(up) > 0 {
		parts = append(parts, "raise "+joinAnd(up))
	}
	if len(down) > 0 {
		parts = append(parts, "lower "+joinAnd(down))
	}
	return strings.Join(parts, " and ")
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
