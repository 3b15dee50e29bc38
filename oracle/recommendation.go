// Package oracle drafts a governance proposal from a Recommendation. The
// numbers in a draft come only from the Recommendation; a drafter writes the
// prose around them. The Template drafter is deterministic and needs no
// network; an LLM drafter (oracle/llm) cites the facts by id, and its draft
// must pass Verify or the template's prose replaces it.
package oracle

import (
	"context"
	"strings"
	"time"
)

// Interval is a two-sided confidence interval at Level (e.g. 0.90).
type Interval struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"`
}

// Contains reports whether x lies in the interval.
func (i Interval) Contains(x float64) bool { return i.Lo <= x && x <= i.Hi }

// Estimate is a mean estimated by simulation with its confidence interval.
type Estimate struct {
	Mean float64  `json:"mean"`
	CI   Interval `json:"ci"`
	N    int      `json:"n"` // replications behind it
}

// ParamChange is one parameter's value in force and recommended value.
type ParamChange struct {
	Name        string  `json:"name"`
	Unit        string  `json:"unit"`
	Description string  `json:"description,omitempty"`
	Current     float64 `json:"current"`
	Recommended float64 `json:"recommended"`
	// RelChange is (Recommended-Current)/|Current|; nil (JSON null) when
	// Current is 0, where no relative change is defined.
	RelChange *float64 `json:"rel_change" jsonschema:"nullable"`
	Integer   bool     `json:"integer,omitempty"`
	// Searched is false for a parameter held at its value in force.
	Searched bool `json:"searched"`
	// Held, when the recommendation leaves the parameter at its value in
	// force, says why: one of the Held* constants.
	Held string `json:"held,omitempty"`
	// Range is the lowest and highest value the independent searches' best
	// candidates took, for a searched parameter.
	Range *[2]float64 `json:"range,omitempty"`
	// Enactment says how the governor changes the parameter: "vote" (an
	// ordinary proposal calls a setter), "upgrade" (a contract upgrade or
	// a separate programme) or "" when it cannot be changed.
	Enactment string `json:"enactment,omitempty"`
	// Unrounded, when set, is the searches' value before Recommended was
	// rounded to what the governor can enact and a proposal can state.
	Unrounded *float64 `json:"unrounded,omitempty"`
	// Seen, when set, is the lowest and highest value the parameter has
	// had in force in the DAO's recorded history (the value in force
	// included): the proposal says whether Recommended lies outside it.
	// Nil when the data hold no history of the parameter.
	Seen *[2]float64 `json:"seen,omitempty"`
}

// OnchainCall is how one recommended change is enacted: the call an
// ordinary vote makes, or, when no call can make it, what it needs
// instead.
type OnchainCall struct {
	Param string `json:"param"`
	// Contract names the contract ("GovernorBravo") and Address is its
	// address ("" when the config does not give it).
	Contract string `json:"contract"`
	Address  string `json:"address,omitempty"`
	// Function is the setter's signature ("_setVotingPeriod(uint256)") and
	// Arg its integer argument in decimal; both empty when no vote can
	// make the change.
	Function string `json:"function,omitempty"`
	Arg      string `json:"arg,omitempty" jsonschema:"pattern=^-?[0-9]+$"`
	// Meaning says what Arg is in plain units ("3 days at 12 s per
	// block").
	Meaning string `json:"meaning"`
	// Needs says what the change needs when no call makes it: an upgrade
	// that replaces a constant, or a funded programme for a reward.
	Needs string `json:"needs,omitempty"`
	// Constant, when no call makes the change, names the constant or
	// immutable that holds the parameter ("quorumVotes"), and Arg is its
	// new value.
	Constant string `json:"constant,omitempty"`
	// ArgUnit says what Arg counts: "blocks", "seconds", "token_units",
	// "quorum_numerator", "pct_1e18" or "bps". BlockSeconds,
	// TokenDecimals and QuorumDenominator are the conversions the unit
	// needs. Meaning and Needs say the same in English words; these let
	// a proposal in another language say it in its own.
	ArgUnit           string  `json:"arg_unit,omitempty" jsonschema:"enum=blocks,enum=seconds,enum=token_units,enum=quorum_numerator,enum=pct_1e18,enum=bps"`
	BlockSeconds      float64 `json:"block_seconds,omitempty" jsonschema:"exclusiveMinimum=0"`
	TokenDecimals     int     `json:"token_decimals,omitempty" jsonschema:"minimum=0"`
	QuorumDenominator int64   `json:"quorum_denominator,omitempty" jsonschema:"minimum=1"`
}

// Call writes the call as it is made: "_setVotingPeriod(21600)"; "" when
// no call makes the change.
func (c OnchainCall) Call() string {
	name, _, ok := strings.Cut(c.Function, "(")
	if !ok || c.Arg == "" {
		return ""
	}
	return name + "(" + c.Arg + ")"
}

// InputFile names one of a cycle's inputs by its content.
type InputFile struct {
	// Name is the file's name as the cycle's config.yaml refers to it.
	Name string `json:"name"`
	// SHA256 is the hex SHA-256 of its bytes.
	SHA256 string `json:"sha256"`
}

// TrackRecord is the model's backtest on the DAO's own history, quoted in
// the proposal: how well it predicted what happened next.
type TrackRecord struct {
	// WindowDays is the length of each window; Level the intervals' level
	// and ExpectedCoverage what a perfect model would reach with these
	// replications.
	WindowDays       int     `json:"window_days"`
	Level            float64 `json:"level"`
	ExpectedCoverage float64 `json:"expected_coverage"`
	// Metrics sums up the rolling windows, one entry per metric.
	Metrics []TrackMetric `json:"metrics,omitempty"`
	// Events describes each parameter-change event evaluated, one line
	// each.
	Events []string `json:"events,omitempty"`
	// Note says why there is no track record, or what limits it.
	Note string `json:"note,omitempty"`
}

// TrackMetric is one metric's record over the rolling windows.
type TrackMetric struct {
	Name         string  `json:"name"`
	Windows      int     `json:"windows"`
	Inside       int     `json:"inside"`
	MeanAbsError float64 `json:"mean_abs_error"`
}

// Sensitivity is how far one assumption can move, others held, before the
// verdict changes.
type Sensitivity struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// HoldsFrom and HoldsTo are the farthest values tried on each side at
	// which the verdict still holds.
	HoldsFrom float64 `json:"holds_from"`
	HoldsTo   float64 `json:"holds_to"`
	// FlipsBelow and FlipsAbove are the nearest values tried at which it
	// changes; nil when it held at every value tried on that side.
	FlipsBelow *float64 `json:"flips_below,omitempty"`
	FlipsAbove *float64 `json:"flips_above,omitempty"`
	// Relative says the assumption is a size, swept by factors.
	Relative bool `json:"relative,omitempty"`
}

// Reasons a parameter is left at its value in force.
const (
	// HeldNotSearched: the config's search section does not name it.
	HeldNotSearched = "not_searched"
	// HeldFrozen: the config froze it, or guardrails left one value.
	HeldFrozen = "frozen"
	// HeldNotEnactable: the governor has no way to change it.
	HeldNotEnactable = "not_enactable"
	// HeldNeedsUpgrade: only a contract upgrade or a separate programme
	// changes it, and the config did not opt in.
	HeldNeedsUpgrade = "needs_upgrade"
	// HeldUnstable: independent searches moved it in opposite directions.
	HeldUnstable = "direction_unstable"
	// HeldUnmoved: most searches left it where it is.
	HeldUnmoved = "searches_kept_it"
	// HeldNotSignificant: putting it back does not make the combined score
	// significantly worse (the minimal change set).
	HeldNotSignificant = "not_significant"
	// HeldRoundedAway: rounded to what the governor can enact, the
	// recommended value is its value in force.
	HeldRoundedAway = "rounded_away"
)

// Changed reports whether the recommendation moves the parameter.
func (p ParamChange) Changed() bool { return p.Current != p.Recommended }

// Clamp records a guardrail that narrowed the search for one parameter.
type Clamp struct {
	Param string `json:"param"`
	// Kind is "bounds" (config range cut to the model's hard bounds),
	// "max_change" (range cut to the allowed relative change per cycle),
	// "max_step" (range cut to the allowed absolute change per cycle) or
	// "frozen".
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
	// Binding is true when the best candidate sits on the clamped edge: the
	// search may have gone further without the guardrail.
	Binding bool `json:"binding"`
}

// Effect is the expected effect of the recommendation on one objective (or
// on any outcome the model reports), estimated on paired replications.
type Effect struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	Better string  `json:"better"` // "maximize" or "minimize"
	Weight float64 `json:"weight"` // 0 for an outcome that is not an objective
	// Scale is what the combined score divides the objective by (its
	// typical size); 0 for an outcome that is not an objective.
	Scale float64 `json:"scale,omitempty"`
	// Current and Recommended are the outcome under each parameter set.
	Current     Estimate `json:"current"`
	Recommended Estimate `json:"recommended"`
	// Difference is Recommended - Current, paired by replication.
	Difference Estimate `json:"difference"`
}

// Verdict says how an Effect's paired difference reads: "better", "worse" or
// "no clear change"; for a neutral outcome, "higher", "lower" or "no clear
// change".
func (e Effect) Verdict() string {
	lo, hi := e.Difference.CI.Lo, e.Difference.CI.Hi
	if e.Better == "neutral" {
		// Neither direction is better: say which way it moves.
		switch {
		case lo > 0:
			return "higher"
		case hi < 0:
			return "lower"
		}
		return "no clear change"
	}
	if e.Better == "minimize" {
		lo, hi = -hi, -lo
	}
	switch {
	case lo > 0:
		return "better"
	case hi < 0:
		return "worse"
	}
	return "no clear change"
}

// ConstraintCheck is one constraint evaluated under both parameter sets.
type ConstraintCheck struct {
	Expr        string  `json:"expr"`
	Current     float64 `json:"current"`
	Recommended float64 `json:"recommended"`
	OK          bool    `json:"ok"` // satisfied under the recommendation
}

// FitRow is one metric of the calibration: observed vs simulated.
type FitRow struct {
	Metric    string  `json:"metric"`
	Observed  float64 `json:"observed"`
	Simulated float64 `json:"simulated"`
	// Error is the signed miss (simulator.MetricError): simulated −
	// observed for a rate (Absolute), relative for a size (a turnout
	// percentile relative to the observed mean turnout).
	Error    float64 `json:"error"`
	Absolute bool    `json:"absolute,omitempty"`
	Target   bool    `json:"target"`
	// Allowed is the largest |Error| accepted on a target: the tolerance,
	// or the observed value's own uncertainty when that is larger.
	Allowed float64 `json:"allowed,omitempty"`
}

// Assumption is one model setting in force, e.g. the share of supply an
// attacking coalition is assumed to control.
type Assumption struct {
	Name        string  `json:"name"`
	Value       float64 `json:"value"`
	Description string  `json:"description"`
}

// Importance is one searched parameter's share of the variation in the
// search's score: its permutation importance on a random forest fitted to
// the trials, with the 5th-95th percentile range over the forest's trees.
type Importance struct {
	Param string  `json:"param"`
	Share float64 `json:"share"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// Method records how the recommendation was produced, enough to reproduce it.
type Method struct {
	Model       string    `json:"model"`
	DataSource  string    `json:"data_source"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Sampler     string    `json:"sampler"`
	Trials      int       `json:"trials"`
	// Selection says how each search's winner was chosen among its trials.
	Selection string `json:"selection,omitempty"`
	// Preset is the rule that chose among trials when objectives pulled
	// apart: conservative, balanced or aggressive.
	Preset string `json:"preset,omitempty"`
	// Storage says where the searches' studies are kept ("memory" when
	// nowhere); WarmStart names the earlier studies whose best trials each
	// search evaluated first.
	Storage   string   `json:"storage,omitempty"`
	WarmStart []string `json:"warm_start,omitempty"`
	// Searches is how many independent searches shared the trials.
	Searches     int `json:"searches,omitempty"`
	Replications int `json:"replications"`
	// Validation is the number of fresh replications, on seeds the search
	// never saw, behind every effect and interval.
	Validation int    `json:"validation_replications"`
	Seed       uint64 `json:"seed"`
	Risk       string `json:"risk"` // e.g. "mean" or "cvar(0.1)"
	// Supply is the token supply that fractions of supply refer to.
	Supply float64 `json:"supply"`
	// Command reproduces the cycle from its directory (config.yaml and
	// Inputs side by side); it names no local path.
	Command string `json:"command"`
	// Inputs are the cycle's config.yaml and data files, by content hash.
	Inputs  []InputFile `json:"inputs,omitempty"`
	Version string      `json:"version"`
	Fit     []FitRow    `json:"calibration"`
	// Assumptions are the model's settings the data do not determine.
	Assumptions  []Assumption `json:"assumptions,omitempty"`
	FitTolerance float64      `json:"calibration_tolerance"`
	// AtBound names fitted latents that rest on an end of their range,
	// where the fit is forced rather than found.
	AtBound []string `json:"at_bound,omitempty"`
	// TokenSymbol and TokenPriceUSD value token amounts (0: unknown).
	TokenSymbol   string  `json:"token_symbol,omitempty"`
	TokenPriceUSD float64 `json:"token_price_usd,omitempty"`
	// Governor and Track name the rules votes were counted by.
	Governor string `json:"governor,omitempty"`
	Track    string `json:"track,omitempty"`
}

// The grounds a Recommendation's verdict rests on.
const (
	// BasisSignificant: the candidate's score beats the parameters in force
	// with a confidence interval above zero.
	BasisSignificant = "significant"
	// BasisConstraint: the parameters in force break a constraint that the
	// candidate meets; the score may be no better.
	BasisConstraint = "constraint"
	// BasisNotSignificant: the candidate's gain is not significant.
	BasisNotSignificant = "not_significant"
	// BasisCandidateInfeasible: the best candidate breaks a constraint on
	// the validation replications.
	BasisCandidateInfeasible = "candidate_infeasible"
	// BasisCurrentBest: the search found nothing better than the parameters
	// in force.
	BasisCurrentBest = "current_best"
)

// Recommendation is what a cycle concludes: parameter changes, their
// expected effects with intervals, guardrail clamps and the method.
type Recommendation struct {
	CycleID string `json:"cycle_id"`
	DAO     string `json:"dao"`
	// Date is the day the cycle ran (UTC, midnight); the proposal's next
	// steps are dated from it. Zero when not recorded.
	Date time.Time `json:"date"`
	// Change is true when the improvement over the parameters in force is
	// significant on paired replications; otherwise the recommendation is
	// "no change" and Params' Recommended equal Current.
	Change bool `json:"change"`
	// Basis says why: one of the Basis* constants.
	Basis  string `json:"basis"`
	Reason string `json:"reason"`
	// Score is the combined objective (weighted, higher is better) under
	// each parameter set and the paired difference.
	Score       Effect            `json:"score"`
	Params      []ParamChange     `json:"params"`
	Effects     []Effect          `json:"effects"`  // the objectives, in config order
	Outcomes    []Effect          `json:"outcomes"` // every other outcome, by name
	Constraints []ConstraintCheck `json:"constraints"`
	Clamps      []Clamp           `json:"clamps"`
	Method      Method            `json:"method"`
	// Candidate holds the best parameters the search found, even when
	// Change is false, for stewards who want to see what was tried.
	Candidate map[string]float64 `json:"candidate"`
	// Sensitivity is the one-at-a-time sweep of the model's assumptions:
	// how far each can move before the verdict changes.
	Sensitivity []Sensitivity `json:"sensitivity,omitempty"`
	// MostSensitive names the assumption the verdict rests on most.
	MostSensitive string `json:"most_sensitive,omitempty"`
	// Importance says how much each searched parameter moved the search's
	// score, most first.
	Importance []Importance `json:"importance,omitempty"`
	// TrackRecord is the model's backtest on this DAO's history, when one
	// was run.
	TrackRecord *TrackRecord `json:"track_record,omitempty"`
	// Onchain is the on-chain specification: one entry per changed
	// parameter, in Params order.
	Onchain []OnchainCall `json:"onchain,omitempty"`
	// PoorFit, when set, says which calibration target the model missed:
	// the cycle ran only because it was told to accept a poor fit, and
	// every figure rests on a model that does not reproduce the DAO.
	PoorFit string `json:"poor_fit,omitempty"`
}

// WithLists returns r with its lists empty rather than nil, so that JSON
// writes them as [], never null: the recommendation's schema wants
// arrays, and a config without constraints (or a search with no clamp)
// has none.
func (r Recommendation) WithLists() Recommendation {
	p := r
	if p.Params == nil {
		p.Params = []ParamChange{}
	}
	if p.Effects == nil {
		p.Effects = []Effect{}
	}
	if p.Outcomes == nil {
		p.Outcomes = []Effect{}
	}
	if p.Constraints == nil {
		p.Constraints = []ConstraintCheck{}
	}
	if p.Clamps == nil {
		p.Clamps = []Clamp{}
	}
	return p
}

// Proposal is a drafted proposal ready for review: a post a steward can
// paste into a forum and an appendix that holds the method and every
// figure.
type Proposal struct {
	Title string `json:"title"`
	// Post is what a steward pastes into the forum: at most a screen.
	Post string `json:"post"`
	// Appendix holds the method, calibration, every outcome and how to
	// reproduce the cycle.
	Appendix string `json:"appendix"`
	// Markdown is the whole proposal: the post, a separator, then the
	// appendix.
	Markdown string `json:"markdown"`
	// Drafter names what wrote the prose ("template", or an LLM model).
	Drafter string `json:"drafter"`
	// Meta records how the prose was drafted and verified.
	Meta DraftMeta `json:"meta"`
}

// Drafter writes a Proposal from a Recommendation.
type Drafter interface {
	Draft(ctx context.Context, rec Recommendation) (Proposal, error)
}
