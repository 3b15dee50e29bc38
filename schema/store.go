package schema

import (
	"time"

	"github.com/attune-dao/attune/oracle"
)

// The kinds of document the store's commands print.
const (
	Cycles    = "attune.cycles/v1"
	Cycle     = "attune.cycle/v1"
	CycleDiff = "attune.cyclediff/v1"
	Audit     = "attune.audit/v1"
)

// CyclesDoc is a list of cycles: what attune cycles list and attune
// proposals list print, newest first.
type CyclesDoc struct {
	Schema string         `json:"schema"`
	Cycles []CycleSummary `json:"cycles"`
}

// CycleSummary is a cycle as a list shows it.
type CycleSummary struct {
	ID    int64  `json:"id"`
	DAO   string `json:"dao"`
	State string `json:"state" jsonschema:"enum=fetching,enum=calibrating,enum=optimizing,enum=drafting,enum=pending_review,enum=approved,enum=rejected,enum=published,enum=failed"`
	// Title and Change come from the proposal, once there is one.
	Title  string `json:"title,omitempty"`
	Change bool   `json:"change"`
	// ConfigHash and InputsHash identify what the cycle decided from: at
	// most one pending cycle has a given pair for a DAO.
	ConfigHash string `json:"config_hash"`
	InputsHash string `json:"inputs_hash,omitempty"`
	// Dir is where the cycle's files are.
	Dir string `json:"dir,omitempty"`
	// Error is why the cycle failed.
	Error   string     `json:"error,omitempty"`
	Created time.Time  `json:"created"`
	Updated time.Time  `json:"updated"`
	Review  *ReviewDoc `json:"review,omitempty"`
}

// ReviewDoc is a steward's decision.
type ReviewDoc struct {
	Verdict  string    `json:"verdict" jsonschema:"enum=approved,enum=rejected"`
	Reviewer string    `json:"reviewer"`
	Comment  string    `json:"comment"`
	Time     time.Time `json:"time"`
}

// CycleDoc is one cycle whole: what attune cycles show, attune proposals
// show, approve and reject print.
type CycleDoc struct {
	Schema string       `json:"schema"`
	Cycle  CycleSummary `json:"cycle"`
	// Publications are what each sink published.
	Publications []PublicationDoc `json:"publications"`
	// History is the cycle's audit trail, oldest first.
	History []AuditEntryDoc `json:"history"`
	// Recommendation and Proposal are the cycle's documents, once made.
	Recommendation *oracle.Recommendation   `json:"recommendation,omitempty"`
	Proposal       *oracle.ProposalDocument `json:"proposal,omitempty"`
}

// PublicationDoc is what one sink published.
type PublicationDoc struct {
	Sink string `json:"sink"`
	// Receipt is the sink's receipt (id, url, files).
	Receipt map[string]any `json:"receipt"`
	Time    time.Time      `json:"time"`
}

// AuditEntryDoc is one audit log entry.
type AuditEntryDoc struct {
	Seq     int64          `json:"seq"`
	Time    time.Time      `json:"time"`
	Actor   string         `json:"actor"`
	Action  string         `json:"action" jsonschema:"enum=cycle.create,enum=cycle.advance,enum=cycle.review,enum=publication.record,enum=cycle.resume,enum=cycle.stop"`
	Subject string         `json:"subject"`
	Detail  map[string]any `json:"detail"`
	Hash    string         `json:"hash" jsonschema:"pattern=^[0-9a-f]{64}$"`
}

// CycleDiffDoc is what attune cycles diff prints: how two cycles'
// recommendations differ.
type CycleDiffDoc struct {
	Schema string       `json:"schema"`
	A      CycleSummary `json:"a"`
	B      CycleSummary `json:"b"`
	// SameConfig and SameInputs say whether the two decided from the same
	// config and the same data.
	SameConfig bool `json:"same_config"`
	SameInputs bool `json:"same_inputs"`
	// Params are the parameters of either, in A's order then B's.
	Params []ParamDiff `json:"params"`
	// Effects are the combined score and the objectives: the paired
	// difference (recommended - current) in each cycle.
	Effects []EffectDiff `json:"effects"`
}

// ParamDiff is one parameter in two cycles; a side is absent when that
// cycle has no recommendation or no such parameter.
type ParamDiff struct {
	Name string     `json:"name"`
	Unit string     `json:"unit"`
	A    *ParamSide `json:"a,omitempty"`
	B    *ParamSide `json:"b,omitempty"`
}

// ParamSide is a parameter's value in force and recommended value in one
// cycle.
type ParamSide struct {
	Current     float64 `json:"current"`
	Recommended float64 `json:"recommended"`
	Held        string  `json:"held,omitempty"`
}

// EffectDiff is one effect's paired difference in two cycles.
type EffectDiff struct {
	Name string           `json:"name"`
	Unit string           `json:"unit"`
	A    *oracle.Estimate `json:"a,omitempty"`
	B    *oracle.Estimate `json:"b,omitempty"`
}

// AuditDoc is what attune audit verify prints.
type AuditDoc struct {
	Schema string `json:"schema"`
	// OK is true when the chain is whole (and holds Checked, if given).
	OK      bool  `json:"ok"`
	Entries int64 `json:"entries"`
	// Head is the last entry as SEQ:HASH: keep it elsewhere and pass it to
	// a later attune audit verify --head to prove nothing before it
	// changed.
	Head string `json:"head" jsonschema:"pattern=^[0-9]+:[0-9a-f]{64}$"`
	// Checked is the earlier head compared (--head), when given.
	Checked string `json:"checked,omitempty"`
	// Problem is the first break found.
	Problem *AuditProblem `json:"problem,omitempty"`
}

// AuditProblem is a break in the audit log's chain.
type AuditProblem struct {
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind" jsonschema:"enum=edited,enum=inserted,enum=deleted,enum=rewritten"`
	Detail string `json:"detail"`
}
