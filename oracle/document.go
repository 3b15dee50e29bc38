package oracle

// DocumentSchema names the version of the JSON proposal document; its
// JSON Schema is schema/proposal.v1.schema.json, generated from
// ProposalDocument by the schema package's tests.
const DocumentSchema = "attune.proposal/v1"

// ProposalDocument is a proposal as one JSON document, for tools (a forum
// bot, a dashboard, a Snapshot or Tally front end) that want the proposal's
// parts without parsing its Markdown: the prose as Markdown, and the
// parameter table, the on-chain calls and the effects as data.
//
// Every value in it comes from the Recommendation or the Proposal it was
// made from; the text cells (CurrentText, RecommendedText) read as the
// post's table does.
type ProposalDocument struct {
	// Schema is DocumentSchema.
	Schema  string `json:"schema"`
	CycleID string `json:"cycle_id"`
	DAO     string `json:"dao"`
	// Date is the day the cycle ran, YYYY-MM-DD; "" when not recorded.
	Date  string `json:"date" jsonschema:"pattern=^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"`
	Title string `json:"title"`
	// Change says whether the proposal changes anything; Basis why (one
	// of the Basis* constants).
	Change bool   `json:"change"`
	Basis  string `json:"basis" jsonschema:"enum=significant,enum=constraint,enum=not_significant,enum=candidate_infeasible,enum=current_best"`
	// Drafter records how the prose was written and verified.
	Drafter DraftMeta `json:"drafter"`
	// Post and Appendix are the proposal's two parts in Markdown.
	Post     string `json:"post"`
	Appendix string `json:"appendix"`
	// Parameters are the rows of the post's table: the changed
	// parameters, then the others the search could move.
	Parameters []DocumentParam `json:"parameters"`
	// Onchain is the on-chain specification, one call (or what a change
	// needs instead) per changed parameter.
	Onchain []OnchainCall `json:"onchain"`
	// Score is the combined score's effect; Effects those on the
	// objectives, then every other outcome.
	Score   DocumentEffect   `json:"score"`
	Effects []DocumentEffect `json:"effects"`
}

// DocumentParam is one row of a proposal's parameter table.
type DocumentParam struct {
	// Name is the code name ("voting_period_days") and PlainName the
	// words the post uses ("Voting period").
	Name      string `json:"name"`
	PlainName string `json:"plain_name"`
	// Unit is the unit of Current and Recommended ("fraction of supply",
	// "days"...).
	Unit        string  `json:"unit"`
	Current     float64 `json:"current"`
	Recommended float64 `json:"recommended"`
	// CurrentText and RecommendedText are the values as the post writes
	// them ("0.25% (25,000 COMP)", "3 days"); where the post's table
	// says "unchanged", RecommendedText repeats the value.
	CurrentText     string `json:"current_text"`
	RecommendedText string `json:"recommended_text"`
	Changed         bool   `json:"changed"`
	// Held says why an unchanged parameter stays (one of the Held*
	// constants); Enactment how the governor changes it ("vote",
	// "upgrade" or "").
	Held      string `json:"held,omitempty" jsonschema:"enum=not_searched,enum=frozen,enum=not_enactable,enum=needs_upgrade,enum=direction_unstable,enum=searches_kept_it,enum=not_significant,enum=rounded_away"`
	Enactment string `json:"enactment,omitempty" jsonschema:"enum=vote,enum=upgrade"`
	// Enacted is the recommended value in the governor's own units, when
	// a call enacts it: the setter's integer argument ("64800") and what
	// it means ("64,800 blocks, 9 days at 12 s per block").
	Enacted *EnactedValue `json:"enacted,omitempty"`
}

// EnactedValue is a recommended value as the governor's setter takes it.
type EnactedValue struct {
	Function string `json:"function"`
	Arg      string `json:"arg" jsonschema:"pattern=^-?[0-9]+$"`
	Meaning  string `json:"meaning"`
}

// DocumentEffect is one outcome under the settings in force and under the
// recommendation, with the paired difference and its interval.
type DocumentEffect struct {
	Name      string `json:"name"`
	PlainName string `json:"plain_name"`
	Unit      string `json:"unit"`
	// Better is "maximize", "minimize" or "neutral"; Objective says the
	// outcome is one of the search's objectives (with Weight).
	Better    string  `json:"better" jsonschema:"enum=maximize,enum=minimize,enum=neutral,enum="`
	Objective bool    `json:"objective"`
	Weight    float64 `json:"weight"`
	// Current and Recommended are means over the validation
	// replications; Difference is their paired difference with its
	// confidence interval (simulation noise only).
	Current     float64  `json:"current"`
	Recommended float64  `json:"recommended"`
	Difference  float64  `json:"difference"`
	Interval    Interval `json:"interval"`
	// Replications is how many paired simulations the difference rests on.
	Replications int `json:"replications"`
	// Verdict is Effect.Verdict: better, worse, higher, lower or no clear
	// change.
	Verdict string `json:"verdict" jsonschema:"enum=better,enum=worse,enum=higher,enum=lower,enum=no clear change"`
}

// Document returns p, drafted from rec, as a ProposalDocument. Its
// plain names and value texts are in the proposal's language
// (p.Meta.Language; English when empty).
func Document(p Proposal, rec Recommendation) ProposalDocument {
	l := localeFor(p.Meta.Language)
	d := ProposalDocument{
		Schema:     DocumentSchema,
		CycleID:    rec.CycleID,
		DAO:        rec.DAO,
		Title:      p.Title,
		Change:     rec.Change,
		Basis:      rec.Basis,
		Drafter:    p.Meta,
		Post:       p.Post,
		Appendix:   p.Appendix,
		Parameters: []DocumentParam{},
		Onchain:    []OnchainCall{},
		Score:      documentEffect(l, rec.Score, true),
		Effects:    []DocumentEffect{},
	}
	d.Score.PlainName = l.msg("outcomes.score")
	if d.Drafter.Drafter == "" {
		d.Drafter.Drafter = p.Drafter
	}
	if !rec.Date.IsZero() {
		d.Date = rec.Date.UTC().Format("2006-01-02")
	}
	calls := map[string]OnchainCall{}
	if rec.Change {
		d.Onchain = append(d.Onchain, rec.Onchain...)
		for _, c := range rec.Onchain {
			calls[c.Param] = c
		}
	}
	c := composer{rec: rec}
	m := rec.Method
	for _, pc := range c.postParams() {
		recommended := pc.Current
		if rec.Change {
			recommended = pc.Recommended
		}
		row := DocumentParam{
			Name: pc.Name, PlainName: capital(l.name(pc.Name)), Unit: pc.Unit,
			Current: pc.Current, Recommended: recommended,
			CurrentText:     l.plainValue(m, pc.Current, pc.Unit, pc.Integer),
			RecommendedText: l.plainValue(m, recommended, pc.Unit, pc.Integer),
			Changed:         recommended != pc.Current,
			Held:            pc.Held, Enactment: pc.Enactment,
		}
		if call, ok := calls[pc.Name]; ok && call.Call() != "" {
			row.Enacted = &EnactedValue{Function: call.Function, Arg: call.Arg, Meaning: call.Meaning}
		}
		d.Parameters = append(d.Parameters, row)
	}
	for _, e := range rec.Effects {
		d.Effects = append(d.Effects, documentEffect(l, e, true))
	}
	for _, e := range rec.Outcomes {
		d.Effects = append(d.Effects, documentEffect(l, e, false))
	}
	return d
}

func documentEffect(l *locale, e Effect, objective bool) DocumentEffect {
	return DocumentEffect{
		Name: e.Name, PlainName: capital(l.name(e.Name)), Unit: e.Unit,
		Better: e.Better, Objective: objective, Weight: e.Weight,
		Current: e.Current.Mean, Recommended: e.Recommended.Mean,
		Difference: e.Difference.Mean, Interval: e.Difference.CI,
		Replications: e.Difference.N, Verdict: e.Verdict(),
	}
}
