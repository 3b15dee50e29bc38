// Package history holds a DAO's governance history: its proposals (times,
// tallies, voter counts, state, track), optionally the individual votes,
// the supply over time and the parameters in force over time with the
// events that changed them. Every source produces a History; metrics,
// calibration and backtests read it.
//
// A History is read from a JSON file (see docs/history.schema.json) or a
// set of CSV files (see Parse, ParseCSV and Load) and validated as a whole
// (Validate): every problem is reported at once, naming the record and the
// field. Amounts are in whole tokens (not wei); times are RFC 3339 in UTC.
//
// Window, SupplyAt, ParamsAt, Span, VotesByProposal and Tracks answer the
// questions metrics and calibration ask of a history.
package history

import (
	"errors"
	"time"
)

// ErrInvalid is wrapped by every error that reports a bad history.
var ErrInvalid = errors.New("invalid history")

// MaxSupply bounds a token supply, in whole tokens. The largest supplies
// of traded tokens are below 1e18 whole tokens; above 1e21 a figure is
// almost surely in the smallest unit (18 decimals), and a simulator's
// sums of squared balances would leave float64's range.
const MaxSupply = 1e21

// History is one DAO's governance record.
type History struct {
	// DAO names the organisation.
	DAO string `json:"dao"`
	// Source says where the history was read from; set by the reader.
	Source string `json:"-"`
	// Governor is the governor family ("bravo", "oz", ...) the DAO runs,
	// when the history knows it.
	Governor string `json:"governor,omitempty"`
	// Token describes the governance token.
	Token Token `json:"token"`
	// Provenance lists where the data came from (repositories, contracts,
	// block ranges), for the record.
	Provenance []string `json:"provenance,omitempty"`
	// Proposals in creation order.
	Proposals []Proposal `json:"proposals"`
	// Votes, optional: one per voter and proposal.
	Votes []Vote `json:"votes,omitempty"`
	// Supply over time, in time order; the value at a time is that of the
	// last point at or before it.
	Supply []SupplyPoint `json:"supply"`
	// Params are the parameters in force over time, in time order: each
	// change event sets one parameter (on one track, or all) from its time.
	Params []ParamChange `json:"params,omitempty"`
	// Holders, optional: the distribution of holdings at one time, for
	// models that build a population from it.
	Holders *Holders `json:"holders,omitempty"`
}

// Token is the governance token.
type Token struct {
	// Symbol is the token's ticker, e.g. COMP.
	Symbol string `json:"symbol"`
	// Address is the token contract, when on chain.
	Address string `json:"address,omitempty"`
	// Price, optional, in USD per token at the end of the history, so that
	// rewards and budgets can be compared across DAOs.
	Price float64 `json:"price_usd,omitempty"`
}

// State is the final state of a proposal, as OpenZeppelin Governor names
// them (Bravo, Aave and Aragon states map onto these).
type State string

// Proposal states.
const (
	Pending   State = "pending"   // Pending: created, vote not open yet.
	Active    State = "active"    // Active: the vote is open.
	Canceled  State = "canceled"  // Canceled: withdrawn before it was decided.
	Defeated  State = "defeated"  // Defeated: the vote failed.
	Succeeded State = "succeeded" // Succeeded: the vote passed.
	Queued    State = "queued"    // Queued: passed and queued for execution.
	Expired   State = "expired"   // Expired: passed, not executed in time.
	Executed  State = "executed"  // Executed: passed and executed.
)

// Decided reports whether the vote on a proposal in state s is over and
// counted: it passed or was defeated. Canceled proposals are not decided.
func (s State) Decided() bool { return s.Passed() || s == Defeated }

// Passed reports whether the vote passed (whatever happened after).
func (s State) Passed() bool {
	return s == Succeeded || s == Queued || s == Expired || s == Executed
}

// Proposal is one proposal and its tally.
type Proposal struct {
	// ID is the proposal's id as the governor numbers it, unique in the
	// history.
	ID string `json:"id"`
	// Track is the governor track the proposal ran on ("" for a governor
	// with one track).
	Track string `json:"track,omitempty"`
	// Proposer is the address that made the proposal, when known.
	Proposer string `json:"proposer,omitempty"`
	// Created is when the proposal was made.
	Created time.Time `json:"created"`
	// Start is when its vote opened: Created <= Start.
	Start time.Time `json:"start"`
	// End is when its vote closed: Start < End.
	End time.Time `json:"end"`
	// For, Against and Abstain are the power cast, in tokens.
	For     float64 `json:"for"`
	Against float64 `json:"against"`
	Abstain float64 `json:"abstain"`
	// Voters is the number of addresses that voted.
	Voters int `json:"voters"`
	// State is the proposal's final state.
	State State `json:"state"`
	// Title, optional, for people reading the history.
	Title string `json:"title,omitempty"`
}

// Support is a vote's choice.
type Support string

// Vote choices.
const (
	For     Support = "for"     // For the proposal.
	Against Support = "against" // Against the proposal.
	Abstain Support = "abstain" // Abstain: counted towards quorum only.
)

// Vote is one address's vote on one proposal.
type Vote struct {
	// Proposal is the ID of the proposal voted on.
	Proposal string `json:"proposal"`
	// Voter is the voting address; 0x addresses compare without regard
	// to case.
	Voter string `json:"voter"`
	// Support is the choice.
	Support Support `json:"support"`
	// Weight is the voting power cast, in tokens.
	Weight float64 `json:"weight"`
	// Time, optional, is when the vote was cast.
	Time time.Time `json:"time,omitzero"`
}

// SupplyPoint is the token supply from a time on.
type SupplyPoint struct {
	// Time is when the supply took these values.
	Time time.Time `json:"time"`
	// Total is the token supply, in tokens.
	Total float64 `json:"total"`
	// Votable is the supply that can vote (delegated), 0 if unknown.
	Votable float64 `json:"votable,omitempty"`
}

// ParamChange sets one parameter from a time on.
type ParamChange struct {
	// Time is when the change took effect.
	Time time.Time `json:"time"`
	// Name is a model parameter name (quorum, proposal_threshold,
	// voting_period_days, vote_differential, support_required).
	Name string `json:"name"`
	// Value is in the parameter's unit (fractions of supply, days).
	Value float64 `json:"value"`
	// Track is the track it applies to; "" applies to every track.
	Track string `json:"track,omitempty"`
	// Event names what changed it (an event and its transaction), or
	// "initial" for the value in force when the history starts.
	Event string `json:"event,omitempty"`
}

// Holders is a snapshot of the holdings distribution.
type Holders struct {
	// Time is when the snapshot was taken.
	Time time.Time `json:"time"`
	// Count is the number of addresses holding the token.
	Count int `json:"count"`
	// Gini is the Gini coefficient of holdings, in [0, 1).
	Gini float64 `json:"gini"`
	// Top10Share is the share of supply the ten largest holders hold.
	Top10Share float64 `json:"top10_share"`
	// DelegatedShare is the share of supply delegated.
	DelegatedShare float64 `json:"delegated_share"`
	// Delegates is the number of addresses with voting power delegated to
	// them.
	Delegates int `json:"delegates"`
}
