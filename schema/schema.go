// Package schema defines the versioned JSON documents attune prints with
// --output json and writes into a cycle: one shape per kind of result
// (recommendation, simulation, calibration, backtest, sources, and the
// store's cycles, cycle, cycle diff and audit verification), shared by every
// command that produces that kind and by the service's API. Each document
// names its kind and version in a "schema" field, e.g.
// "attune.recommendation/v1"; a change that removes or retypes a field
// makes a new version.
//
// The JSON Schema (draft 2020-12) of each kind is embedded (Files) and
// kept in step with the Go types by a test; Validate checks a document
// against it.
package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/attune-dao/attune/oracle"
)

// The kinds of document, with their version.
const (
	Recommendation = "attune.recommendation/v1"
	Simulation     = "attune.simulation/v1"
	Calibration    = "attune.calibration/v1"
	Backtest       = "attune.backtest/v1"
	Sources        = "attune.sources/v1"
	Proposal       = oracle.DocumentSchema
	Publish        = "attune.publish/v1"
)

// Kinds lists every kind, in a stable order.
var Kinds = []string{Recommendation, Simulation, Calibration, Backtest, Proposal, Sources, Publish, Cycles, Cycle, CycleDiff, Audit, Trials}

// RecommendationDoc is a cycle's recommendation: what attune optimize and
// attune run print and what recommendation.json holds.
type RecommendationDoc struct {
	Schema string `json:"schema"`
	// Dir is where attune run wrote the cycle and Draft how its prose was
	// drafted; both absent elsewhere.
	Dir   string            `json:"dir,omitempty"`
	Draft *oracle.DraftMeta `json:"draft,omitempty"`
	oracle.Recommendation
}

// NewRecommendation wraps rec as a document, its empty lists as [].
func NewRecommendation(rec oracle.Recommendation) RecommendationDoc {
	return RecommendationDoc{Schema: Recommendation, Recommendation: rec.WithLists()}
}

// SimulationDoc is what attune simulate prints: each outcome's mean and
// interval under one parameter set.
type SimulationDoc struct {
	Schema       string             `json:"schema"`
	Model        string             `json:"model"`
	Params       map[string]float64 `json:"params"`
	Replications int                `json:"replications"`
	Outcomes     []Outcome          `json:"outcomes"`
}

// Outcome is one outcome's estimate: the same name and interval shape as a
// recommendation's effects.
type Outcome struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
	oracle.Estimate
}

// CalibrationDoc is what attune calibrate prints: the model's fit to the
// DAO's data, metric by metric, with the signed miss the recommendation
// also reports.
type CalibrationDoc struct {
	Schema       string             `json:"schema"`
	Model        string             `json:"model"`
	OK           bool               `json:"ok"`
	Source       string             `json:"source"`
	WindowStart  time.Time          `json:"window_start"`
	WindowEnd    time.Time          `json:"window_end"`
	Replications int                `json:"replications"`
	Tolerance    float64            `json:"tolerance"`
	Rows         []oracle.FitRow    `json:"calibration"`
	Latent       map[string]float64 `json:"latent"`
	AtBound      []string           `json:"at_bound,omitempty"`
}

// PublishDoc is what attune publish prints: what became of the cycle's
// proposal at each sink, or on a dry run what each would send.
type PublishDoc struct {
	Schema  string `json:"schema"`
	CycleID string `json:"cycle_id"`
	// Dir is the cycle's directory; Key the publication's key at every
	// destination ("attune:<cycle-id>").
	Dir    string `json:"dir"`
	Key    string `json:"key"`
	DryRun bool   `json:"dry_run"`
	// Approval is this act of publishing; absent on a dry run.
	Approval *Approval    `json:"approval,omitempty"`
	Sinks    []SinkResult `json:"sinks"`
}

// Approval is a steward's act of publishing a cycle, as the cycle's
// approval.json lists them: who, when, with which attune, to which sinks,
// and the SHA-256 of the proposal.json and recommendation.json approved.
type Approval struct {
	Approver             string    `json:"approver"`
	Time                 time.Time `json:"time"`
	Version              string    `json:"version"`
	Sinks                []string  `json:"sinks"`
	ProposalSHA256       string    `json:"proposal_sha256"`
	RecommendationSHA256 string    `json:"recommendation_sha256"`
}

// What became of a publication at a sink (SinkResult.Status).
const (
	// StatusPublished: sent now.
	StatusPublished = "published"
	// StatusAlreadyPublished: sent by an earlier publish, not again.
	StatusAlreadyPublished = "already_published"
	// StatusFound: an earlier attempt whose outcome was not recorded had
	// published it; the sink's Finder found it, and it was not sent again.
	StatusFound = "found"
	// StatusFailed: the sink failed; Error says why. Publish again to
	// retry it.
	StatusFailed = "failed"
	// StatusUnresolved: an earlier attempt may have published it and the
	// sink cannot tell; Error says how to resolve it.
	StatusUnresolved = "unresolved"
	// StatusDryRun: a dry run; Outgoing is what would be sent.
	StatusDryRun = "dry_run"
)

// SinkResult is one sink's outcome.
type SinkResult struct {
	// Name is the sink's name in the config, Type its type.
	Name   string `json:"name"`
	Type   string `json:"type"`
	Status string `json:"status"`
	// ID, URL and Files are the sink's receipt: the destination's id,
	// its address, the local files written.
	ID    string   `json:"id,omitempty"`
	URL   string   `json:"url,omitempty"`
	Files []string `json:"files,omitempty"`
	// PublishedAt is when it was published.
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Error       string     `json:"error,omitempty"`
	// Outgoing is what a dry run would send.
	Outgoing []Outgoing `json:"outgoing,omitempty"`
}

// Outgoing is one request or file a sink would send or write: where, as
// what, how many bytes, and the body when it is text.
type Outgoing struct {
	Target      string `json:"target"`
	ContentType string `json:"content_type"`
	Bytes       int    `json:"bytes"`
	Body        string `json:"body,omitempty"`
}

// SourcesDoc is what attune sources check prints: what each configured
// source returned when read on its own, or why it failed. OK is true
// when every source was read.
type SourcesDoc struct {
	Schema  string         `json:"schema"`
	OK      bool           `json:"ok"`
	Sources []SourceReport `json:"sources"`
}

// SourceReport is one source's check.
type SourceReport struct {
	// Key is the source's place in the config ("sources[0]"), Type its
	// type.
	Key  string `json:"key"`
	Type string `json:"type"`
	OK   bool   `json:"ok"`
	// Incremental is true for a source that can fetch only what changed
	// since the last run, which a cycle then does through the cache.
	Incremental bool `json:"incremental"`
	// Error says why the read failed; empty when OK.
	Error string `json:"error,omitempty"`
	// Data is what the source gave, "history" or "metrics"; empty when
	// the read failed.
	Data string `json:"data,omitempty"`
	// DAO is the DAO the data name, From where they say they came from.
	DAO  string `json:"dao,omitempty"`
	From string `json:"from,omitempty"`
	// Proposals is a history's proposals, or the decided proposals a
	// metrics file counts; Votes a history's individual votes.
	Proposals int `json:"proposals"`
	Votes     int `json:"votes"`
	// WindowStart and WindowEnd are the time the data cover: from a
	// history's first proposal to the end of its last vote, or a metrics
	// file's window.
	WindowStart *time.Time `json:"window_start,omitempty"`
	WindowEnd   *time.Time `json:"window_end,omitempty"`
	// SupplyPoints is how many supply values a history has over time.
	SupplyPoints int `json:"supply_points"`
	// Params names the parameters a history records over time, sorted.
	Params []string `json:"params,omitempty"`
	// Seconds is how long the read took.
	Seconds float64 `json:"seconds"`
}

//go:embed *.schema.json
var files embed.FS

// File returns the JSON Schema of kind.
func File(kind string) ([]byte, error) {
	name, err := fileName(kind)
	if err != nil {
		return nil, err
	}
	return files.ReadFile(name)
}

// ID is the $id of kind's schema.
func ID(kind string) string {
	name, err := fileName(kind)
	if err != nil {
		return ""
	}
	return "https://github.com/attune-dao/attune/schema/" + name
}

// fileName is the embedded schema file of kind: "recommendation.v1.schema.json".
func fileName(kind string) (string, error) {
	rest, ok := strings.CutPrefix(kind, "attune.")
	name, version, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || name == "" || version == "" {
		return "", fmt.Errorf("schema: %q is not a document kind; want one of %s", kind, strings.Join(Kinds, ", "))
	}
	return name + "." + version + ".schema.json", nil
}

// Validate checks data, one JSON document, against the schema its own
// "schema" field names, and returns an error listing every violation.
func Validate(data []byte) error {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("schema: not a JSON object: %w", err)
	}
	raw, err := File(head.Schema)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("schema %s: %w", head.Schema, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(ID(head.Schema), doc); err != nil {
		return fmt.Errorf("schema %s: %w", head.Schema, err)
	}
	sch, err := c.Compile(ID(head.Schema))
	if err != nil {
		return fmt.Errorf("schema %s: %w", head.Schema, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("schema %s: %w", head.Schema, err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s: %w", head.Schema, err)
	}
	return nil
}
