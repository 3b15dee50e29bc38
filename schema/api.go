package schema

import (
	"encoding/json"
	"time"

	"github.com/attune-dao/attune/oracle"
)

// The kinds of document the service's API returns besides the cycle's
// own (recommendation, proposal): lists and whole cycles from the store,
// the audit log's verification, the difference between two cycles and a
// cycle's trials.
const (
	Cycles       = "attune.cycles/v1"
	Cycle        = "attune.cycle/v1"
	Verification = "attune.verification/v1"
	Diff         = "attune.diff/v1"
	Trials       = "attune.trials/v1"
)

// CyclesDoc is a page of cycles, newest first: what GET /api/v1/cycles
// and GET /api/v1/proposals return.
type CyclesDoc struct {
	Schema string         `json:"schema"`
	Cycles []CycleSummary `json:"cycles"`
	// Next, when set, is the "before" that fetches the next page.
	Next int64 `json:"next,omitempty"`
}

// CycleSummary is one cycle as a list shows it: its state and review,
// without its documents.
type CycleSummary struct {
	ID  int64  `json:"id"`
	DAO string `json:"dao"`
	// State is where the cycle is in its life (store.State).
	State string `json:"state" jsonschema:"enum=fetching,enum=calibrating,enum=optimizing,enum=drafting,enum=pending_review,enum=approved,enum=rejected,enum=published,enum=failed"`
	// Title and Change are the proposal's, once there is one.
	Title  string `json:"title,omitempty"`
	Change bool   `json:"change"`
	// Error is why the cycle failed.
	Error      string    `json:"error,omitempty"`
	ConfigHash string    `json:"config_hash"`
	InputsHash string    `json:"inputs_hash,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	// Review is the steward's decision, once made.
	Review *Review `json:"review,omitempty"`
}

// Review is a steward's decision on a cycle's proposal.
type Review struct {
	Verdict  string    `json:"verdict" jsonschema:"enum=approved,enum=rejected"`
	Reviewer string    `json:"reviewer"`
	Comment  string    `json:"comment"`
	Time     time.Time `json:"time"`
}

// CycleDoc is one cycle whole: what GET /api/v1/cycles/{id} returns and
// what approving or rejecting it answers.
type CycleDoc struct {
	Schema string `json:"schema"`
	CycleSummary
	// Recommendation and Proposal are the cycle's documents, once
	// written.
	Recommendation *RecommendationDoc       `json:"recommendation,omitempty"`
	Proposal       *oracle.ProposalDocument `json:"proposal,omitempty"`
	// Publications are what each sink published, once approved.
	Publications []Publication `json:"publications"`
}

// Publication is what one sink published for a cycle.
type Publication struct {
	// Sink is the sink's name in the config.
	Sink string `json:"sink"`
	// Receipt is the sink's receipt: its id, and where it has them a URL
	// and the files it wrote.
	Receipt json.RawMessage `json:"receipt" jsonschema:"type=object"`
	Time    time.Time       `json:"time"`
}

// VerificationDoc is the audit log's hash chain walked: what GET
// /api/v1/audit/verify returns. OK is true when no entry was edited,
// inserted or deleted; Problem names the first that was.
type VerificationDoc struct {
	Schema  string `json:"schema"`
	OK      bool   `json:"ok"`
	Entries int64  `json:"entries"`
	// Head is the last entry's number and hash: keep it elsewhere and
	// compare later.
	Head    AuditHead     `json:"head"`
	Problem *AuditProblem `json:"problem,omitempty"`
}

// AuditHead is an audit log entry's number and hash.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash" jsonschema:"pattern=^([0-9a-f]{64})?$"`
}

// AuditProblem is the first break in the audit log's chain.
type AuditProblem struct {
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind" jsonschema:"enum=edited,enum=inserted,enum=deleted"`
	Detail string `json:"detail"`
}

// DiffDoc is what changed between two cycles of a DAO: their verdicts,
// the parameters each recommended and the effects each expected. From is
// the earlier cycle.
type DiffDoc struct {
	Schema string   `json:"schema"`
	DAO    string   `json:"dao"`
	From   DiffSide `json:"from"`
	To     DiffSide `json:"to"`
	// Params are the parameters either cycle holds, in the later cycle's
	// order, then those only the earlier one has.
	Params []ParamDiff `json:"params"`
	// Score is the combined score; Effects are the objectives, in the
	// same order as Params.
	Score   EffectDiff   `json:"score"`
	Effects []EffectDiff `json:"effects"`
}

// DiffSide is one of the two cycles compared: its number in the store,
// its cycle ID (the data window's end and a hash of its inputs) and its
// verdict.
type DiffSide struct {
	Cycle   int64  `json:"cycle"`
	CycleID string `json:"cycle_id"`
	Change  bool   `json:"change"`
	Basis   string `json:"basis"`
}

// ParamDiff is one parameter in two cycles; From or To is absent where
// that cycle does not hold the parameter.
type ParamDiff struct {
	Name string      `json:"name"`
	Unit string      `json:"unit"`
	From *ParamValue `json:"from,omitempty"`
	To   *ParamValue `json:"to,omitempty"`
	// Moved says the value in force or the recommendation differs
	// between the two.
	Moved bool `json:"moved"`
}

// ParamValue is a parameter's value in force and its recommended value
// in one cycle.
type ParamValue struct {
	Current     float64 `json:"current"`
	Recommended float64 `json:"recommended"`
}

// EffectDiff is one objective in two cycles; From or To is absent where
// that cycle does not have it.
type EffectDiff struct {
	Name string       `json:"name"`
	Unit string       `json:"unit"`
	From *EffectValue `json:"from,omitempty"`
	To   *EffectValue `json:"to,omitempty"`
}

// EffectValue is the difference a cycle's recommendation was expected to
// make to an objective, with its interval and verdict.
type EffectValue struct {
	Difference float64         `json:"difference"`
	Interval   oracle.Interval `json:"interval"`
	Verdict    string          `json:"verdict"`
}

// TrialsDoc is a cycle's searches trial by trial, as its trials.json
// holds them: what the desk's convergence and trade-off plots draw.
type TrialsDoc struct {
	Schema  string `json:"schema"`
	CycleID string `json:"cycle_id"`
	// Objectives names the entries of each trial's Objectives, in order.
	Objectives []string       `json:"objectives"`
	Searches   []SearchTrials `json:"searches"`
}

// SearchTrials is one search's trials in the order they were run;
// Trials[0] is the baseline, the parameters in force.
type SearchTrials struct {
	// Best indexes the search's winner in Trials.
	Best   int           `json:"best" jsonschema:"minimum=0"`
	Trials []TrialRecord `json:"trials"`
}

// TrialRecord is one trial: the parameters tried and how they scored.
type TrialRecord struct {
	Number int                `json:"number"`
	Params map[string]float64 `json:"params"`
	// Score is the combined score (higher is better), null when it was
	// not finite.
	Score *float64 `json:"score" jsonschema:"nullable"`
	// Violation is 0 when every constraint held.
	Violation float64 `json:"violation"`
	// Objectives are each objective's value, oriented so that higher is
	// better and divided by its scale; absent when one was not finite.
	Objectives []float64 `json:"objectives,omitempty"`
}
