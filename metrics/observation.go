package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/internal/jsonx"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error that reports bad metrics input, so
// callers can tell a user's mistake (errors.Is(err, ErrInvalid)) from an I/O
// failure.
var ErrInvalid = errors.New("invalid metrics")

// Window is the span of time an Observation covers.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Days returns the length of the window in days.
func (w Window) Days() float64 { return w.End.Sub(w.Start).Hours() / 24 }

// Observation holds a DAO's governance metrics observed over a data window:
// a small core (the DAO, where the data came from, the window) plus named
// values, so that models and sources add metrics without changing its
// type. (It is unrelated to the Snapshot voting platform.) Build one from a
// metrics file with Parse or Load, from a governance history with
// FromHistory, or by hand and call Validate.
type Observation struct {
	// DAO names the organisation the data describes.
	DAO string `json:"dao"`
	// Source says where the data came from (a file path, an adapter).
	Source string `json:"source,omitempty"`
	// Window is the period the data covers.
	Window Window `json:"window"`
	// Metrics holds the observed values by name (see the name constants).
	Metrics Values `json:"metrics"`
	// Electorate, when individual votes are known, lists every address that
	// voted in the window with its voting power and how often it voted.
	Electorate []Voter `json:"electorate,omitempty"`
	// Uncertainty holds, for metrics measured over the window's proposals,
	// the half-width of their 90% bootstrap interval (proposals resampled):
	// how precisely the data pin each one down.
	Uncertainty Values `json:"uncertainty,omitempty"`
}

// Voter is one address of an observed electorate.
type Voter struct {
	// Power is the median voting power of its votes, in tokens.
	Power float64 `json:"power"`
	// Votes is how many decided proposals of the window it voted on, of
	// the Eligible ones that ended between its first and its last vote
	// (its active span), of the window's Proposals.
	Votes     int `json:"votes"`
	Eligible  int `json:"eligible"`
	Proposals int `json:"proposals"`
}

// Get returns the metric name and whether it was observed.
func (o Observation) Get(name string) (float64, bool) {
	v, ok := o.Metrics[name]
	return v, ok
}

// PassRate returns the share of decided proposals that passed.
func (o Observation) PassRate() float64 {
	if v, ok := o.Metrics[PassRateName]; ok {
		return v
	}
	return PassRate(int(o.Metrics[ProposalsPassed]), int(o.Metrics[Proposals]))
}

// Values returns the metrics an Observation shares with simulated
// outcomes: its named values, with the pass rate and the proposals per
// month derived from the proposal counts when they are not given.
func (o Observation) Values() Values {
	v := Values{}
	for k, x := range o.Metrics {
		v[k] = x
	}
	if n, ok := o.Metrics[Proposals]; ok && n > 0 {
		if _, ok := v[PassRateName]; !ok {
			v[PassRateName] = o.Metrics[ProposalsPassed] / n
		}
		if _, ok := v[ProposalsPerMonth]; !ok && o.Window.Days() > 0 {
			v[ProposalsPerMonth] = n / o.Window.Days() * 30
		}
	}
	return v
}

// File is the precomputed metrics file (configs/examples/metrics.json): the
// aggregate figures of one DAO over one window, for DAOs whose history is
// not at hand.
type File struct {
	DAO    string `json:"dao"`
	Source string `json:"source,omitempty"`
	Window Window `json:"window"`
	// Holders is the number of addresses holding the governance token.
	Holders int `json:"holders"`
	// TotalSupply is the token supply that counts for quorum, in tokens.
	TotalSupply float64 `json:"total_supply"`
	// Gini is the Gini coefficient of holdings, in [0, 1).
	Gini float64 `json:"gini"`
	// Top10Share is the share of supply the ten largest holders hold.
	Top10Share float64 `json:"top10_share"`
	// DelegatedShare is the share of supply delegated to another address.
	DelegatedShare float64 `json:"delegated_share"`
	// Delegates is the number of addresses that hold delegated power.
	Delegates int `json:"delegates"`
	// Proposals is the number of proposals decided in the window.
	Proposals int `json:"proposals"`
	// ProposalsPassed is how many of those passed.
	ProposalsPassed int `json:"proposals_passed"`
	// TurnoutPower is the mean share of total supply cast per proposal.
	TurnoutPower float64 `json:"turnout_power"`
	// TurnoutCount is the mean share of holders voting per proposal.
	TurnoutCount float64 `json:"turnout_count"`
	// Nakamoto is the Nakamoto coefficient of cast voting power; 0 if unknown.
	Nakamoto int `json:"nakamoto,omitempty"`
}

// Observation returns the file's figures as an Observation.
func (o File) Observation() Observation {
	v := Values{
		Holders:         float64(o.Holders),
		TotalSupply:     o.TotalSupply,
		GiniName:        o.Gini,
		Top10ShareName:  o.Top10Share,
		DelegatedShare:  o.DelegatedShare,
		Delegates:       float64(o.Delegates),
		Proposals:       float64(o.Proposals),
		ProposalsPassed: float64(o.ProposalsPassed),
		TurnoutPower:    o.TurnoutPower,
		TurnoutCount:    o.TurnoutCount,
	}
	if o.Proposals > 0 {
		v[PassRateName] = PassRate(o.ProposalsPassed, o.Proposals)
		if d := o.Window.Days(); d > 0 {
			v[ProposalsPerMonth] = float64(o.Proposals) / d * 30
		}
	}
	if o.Nakamoto > 0 {
		v[NakamotoName] = float64(o.Nakamoto)
	}
	return Observation{DAO: o.DAO, Source: o.Source, Window: o.Window, Metrics: v}
}

// Validate checks the core (DAO, window), that every value is finite, that
// shares lie in [0, 1] and counts are not negative, and that the electorate
// is sane. It returns a *ValidationError listing every problem, or nil.
func (o Observation) Validate() error {
	var fs []FieldError
	add := func(field, format string, args ...any) {
		fs = append(fs, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(o.DAO) == "" {
		add("dao", "is empty; want the DAO's name")
	} else if n := utf8.RuneCountInString(o.DAO); n > history.MaxText {
		add("dao", "is %d characters long; want the DAO's name, at most %d", n, history.MaxText)
	}
	switch {
	case o.Window.Start.IsZero() || o.Window.End.IsZero():
		add("window", "needs both start and end as RFC 3339 times, e.g. 2026-05-01T00:00:00Z")
	case !o.Window.End.After(o.Window.Start):
		add("window", "end %s is not after start %s", o.Window.End.Format(time.RFC3339), o.Window.Start.Format(time.RFC3339))
	}
	for _, k := range o.Metrics.Names() {
		x := o.Metrics[k]
		kind := kindOf(k)
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			add(k, "is %v; want a finite number", x)
		case kind == shareKind && (x < 0 || x > 1):
			add(k, "is %g; want a share in [0, 1]", x)
		case kind != shareKind && x < 0:
			add(k, "is %g; want 0 or more", x)
		}
	}
	for i, v := range o.Electorate {
		if math.IsNaN(v.Power) || math.IsInf(v.Power, 0) || v.Power < 0 || v.Votes < 0 || v.Eligible < v.Votes || v.Proposals < v.Eligible {
			add(fmt.Sprintf("electorate[%d]", i), "power %v, %d votes of %d eligible of %d; want power >= 0 and 0 <= votes <= eligible <= proposals", v.Power, v.Votes, v.Eligible, v.Proposals)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return &ValidationError{Source: o.Source, Fields: fs}
}

type metricKind int

const (
	otherKind metricKind = iota
	shareKind
)

// kindOf says whether a metric name is a share in [0, 1].
func kindOf(name string) metricKind {
	switch name {
	case TurnoutPower, TurnoutCount, PassRateName, GiniName, Top10ShareName, DelegatedShare,
		QuorumFailureRate, TurnoutP10, TurnoutP50, TurnoutP90, TopVoterRegularity, GiniCast, Top10CastShare, ForShare, AbstainShare:
		return shareKind
	}
	return otherKind
}

// IsRate reports whether the metric name is a rate: a share of proposals
// or of voters' chances (pass rate, quorum-failure rate, regularity), whose
// fit is judged by absolute error. Other metrics (turnout, counts, sizes)
// are judged by relative error.
func IsRate(name string) bool {
	switch name {
	case PassRateName, QuorumFailureRate, TopVoterRegularity, ForShare, AbstainShare, "good_blocked_rate", "attack_success_rate", "decision_quality":
		return true
	}
	return false
}

// FieldError is one problem with one field of an Observation.
type FieldError struct {
	Field string // JSON name of the field
	Msg   string // what is wrong and what is allowed
}

func (e FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Msg) }

// ValidationError lists every problem found in an Observation, so a user can
// fix them all at once. It wraps ErrInvalid.
type ValidationError struct {
	Source string // where the observation came from, if known
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		fmt.Fprintf(&b, "metrics %s: ", e.Source)
	} else {
		b.WriteString("metrics: ")
	}
	if len(e.Fields) == 1 {
		b.WriteString(e.Fields[0].Error())
		return b.String()
	}
	fmt.Fprintf(&b, "%d problems:", len(e.Fields))
	for _, f := range e.Fields {
		b.WriteString("\n  - ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Validate checks ranges and consistency and returns a *ValidationError
// listing every problem, or nil.
func (o File) Validate() error {
	var fs []FieldError
	add := func(field, format string, args ...any) {
		fs = append(fs, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	share := func(field string, x float64, what string) {
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			add(field, "is %v; want %s, a number in [0, 1]", x, what)
		case x < 0 || x > 1:
			add(field, "is %g; want %s, a number in [0, 1]", x, what)
		}
	}
	if strings.TrimSpace(o.DAO) == "" {
		add("dao", "is empty; want the DAO's name")
	} else if n := utf8.RuneCountInString(o.DAO); n > history.MaxText {
		add("dao", "is %d characters long; want the DAO's name, at most %d", n, history.MaxText)
	}
	switch {
	case o.Window.Start.IsZero() || o.Window.End.IsZero():
		add("window", "needs both start and end as RFC 3339 times, e.g. 2026-05-01T00:00:00Z")
	case !o.Window.End.After(o.Window.Start):
		add("window", "end %s is not after start %s", o.Window.End.Format(time.RFC3339), o.Window.Start.Format(time.RFC3339))
	case o.Window.Days() < 7:
		add("window", "covers %.1f days; want at least 7 days of data", o.Window.Days())
	}
	if o.Holders < 10 {
		add("holders", "is %d; want the number of token holders, at least 10", o.Holders)
	}
	switch {
	case math.IsNaN(o.TotalSupply) || math.IsInf(o.TotalSupply, 0) || o.TotalSupply <= 0:
		add("total_supply", "is %v; want the token supply in tokens, a positive number", o.TotalSupply)
	case o.TotalSupply > MaxSupply:
		add("total_supply", "is %g, more than %g tokens; give the supply in whole tokens, not in the token's smallest unit (wei)", o.TotalSupply, float64(MaxSupply))
	}
	share("gini", o.Gini, "the Gini coefficient of holdings")
	if o.Gini >= 1 && !math.IsNaN(o.Gini) {
		add("gini", "is %g; a Gini of 1 means one holder has everything, want less than 1", o.Gini)
	}
	share("top10_share", o.Top10Share, "the share of supply held by the ten largest holders")
	share("delegated_share", o.DelegatedShare, "the share of supply delegated")
	share("turnout_power", o.TurnoutPower, "the mean share of supply cast per proposal")
	share("turnout_count", o.TurnoutCount, "the mean share of holders voting per proposal")
	if o.Delegates < 0 {
		add("delegates", "is %d; want a count, 0 or more", o.Delegates)
	} else if o.Holders >= 10 && o.Delegates > o.Holders {
		add("delegates", "is %d, more than the %d holders", o.Delegates, o.Holders)
	}
	if o.Proposals < 1 || o.Proposals > MaxProposals {
		add("proposals", "is %d; want the number of proposals decided in the window, from 1 to %d", o.Proposals, MaxProposals)
	}
	if o.ProposalsPassed < 0 {
		add("proposals_passed", "is %d; want a count, 0 or more", o.ProposalsPassed)
	} else if o.ProposalsPassed > o.Proposals && o.Proposals >= 1 {
		add("proposals_passed", "is %d, more than the %d proposals decided", o.ProposalsPassed, o.Proposals)
	}
	if o.Nakamoto < 0 {
		add("nakamoto", "is %d; want a count, or leave it out", o.Nakamoto)
	}
	if o.Holders >= 10 && o.TurnoutCount > 0 && o.TurnoutCount*float64(o.Holders) < 1 {
		add("turnout_count", "is %g, less than one voter among %d holders per proposal", o.TurnoutCount, o.Holders)
	}
	if len(fs) == 0 {
		return nil
	}
	return &ValidationError{Source: o.Source, Fields: fs}
}

// MaxSupply bounds a token supply, in whole tokens (see history.MaxSupply).
const MaxSupply = history.MaxSupply

// required lists the fields Parse insists on, in the order it reports them.
var required = []string{
	"dao", "window", "holders", "total_supply", "gini", "top10_share",
	"delegated_share", "delegates", "proposals", "proposals_passed",
	"turnout_power", "turnout_count",
}

// MaxProposals bounds the proposals a metrics file may report for its
// window: the simulator runs each one, and no DAO decides more than a few
// thousand a year.
const MaxProposals = 100000

// MaxBytes bounds the size of a metrics file: 64 MiB.
const MaxBytes = 64 << 20

// Parse decodes and validates one Observation from JSON. source names the
// input in errors (a path, an adapter). Unknown fields, missing required
// fields, wrong types, NaN and out-of-range values are all errors that wrap
// ErrInvalid and name the field.
func Parse(data []byte, source string) (Observation, error) {
	var o File
	where := "metrics"
	if source != "" {
		where = "metrics " + source
	}
	if len(data) > MaxBytes {
		return Observation{}, fmt.Errorf("%s: input is %d bytes; the limit is %d MiB: %w", where, len(data), MaxBytes>>20, ErrInvalid)
	}
	data, err := jsonx.Prepare(data)
	if err != nil {
		return Observation{}, fmt.Errorf("%s: %v: %w", where, err, ErrInvalid)
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(data, &present); err != nil {
		return Observation{}, fmt.Errorf("%s: %s: %w", where, describeJSONError(data, err), ErrInvalid)
	}
	var missing []FieldError
	for _, f := range required {
		if raw, ok := present[f]; !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			missing = append(missing, FieldError{Field: f, Msg: "is missing; see configs/examples/metrics.json for the format"})
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return Observation{}, fmt.Errorf("%s: %s: %w", where, windowTimeError(present["window"], pe), ErrInvalid)
		}
		return Observation{}, fmt.Errorf("%s: %s: %w", where, describeJSONError(data, err), ErrInvalid)
	}
	if dec.More() {
		return Observation{}, fmt.Errorf("%s: trailing data after the JSON object: %w", where, ErrInvalid)
	}
	if source != "" {
		o.Source = source // where it was actually read from
	}
	// Report the missing fields and every other problem together; a missing
	// field's zero value would only repeat that it is missing.
	fields := missing
	var ve *ValidationError
	if errors.As(o.Validate(), &ve) {
		for _, f := range ve.Fields {
			if !slices.ContainsFunc(missing, func(m FieldError) bool { return m.Field == f.Field }) {
				fields = append(fields, f)
			}
		}
	}
	if len(fields) > 0 {
		return Observation{}, &ValidationError{Source: source, Fields: fields}
	}
	return o.Observation(), nil
}

// Load reads and parses an Observation from a JSON file.
func Load(ctx context.Context, path string) (Observation, error) {
	if err := ctx.Err(); err != nil {
		return Observation{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Observation{}, fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return Observation{}, fmt.Errorf("metrics %s: read: %w", path, err)
	}
	if len(data) > MaxBytes {
		return Observation{}, fmt.Errorf("metrics %s: the file is larger than %d MiB, the limit; a metrics file is a few kilobytes: check the path: %w", path, MaxBytes>>20, ErrInvalid)
	}
	return Parse(data, path)
}

// describeJSONError turns a decoding error into a message with a line and
// column where the JSON says where the problem is.
func describeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		l, c := lineCol(data, se.Offset)
		hint := ""
		if rest := data[max(se.Offset-1, 0):]; bytes.HasPrefix(rest, []byte("NaN")) || bytes.HasPrefix(rest, []byte("Inf")) || bytes.HasPrefix(rest, []byte("-Inf")) {
			hint = "; NaN and Infinity are not numbers in JSON: give a finite value or leave an optional field out"
		}
		return fmt.Sprintf("line %d, column %d: invalid JSON: %v%s", l, c, se, hint)
	case errors.As(err, &te):
		l, c := lineCol(data, te.Offset)
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("line %d, column %d: field %q: got JSON %s, want %s", l, c, field, te.Value, jsonKind(te.Type.String()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated JSON; want one object like configs/examples/metrics.json"
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return "unknown " + strings.TrimPrefix(msg, "json: ") + "; check the spelling against configs/examples/metrics.json"
	}
	return strings.TrimPrefix(msg, "json: ")
}

func jsonKind(goType string) string {
	switch goType {
	case "int":
		return "a whole number"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "time.Time":
		return "an RFC 3339 time"
	}
	return goType
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:max(off, 0)] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// windowTimeError names the window field whose time does not parse and
// says what a time looks like; encoding/json reports neither.
func windowTimeError(raw json.RawMessage, pe *time.ParseError) string {
	var w map[string]json.RawMessage
	_ = json.Unmarshal(raw, &w)
	field := "window"
	for _, k := range []string{"start", "end"} {
		var t time.Time
		if v, ok := w[k]; ok && json.Unmarshal(v, &t) != nil {
			field = "window." + k
			break
		}
	}
	return fmt.Sprintf("field %q: %q is not a time; want RFC 3339 with a zone, e.g. \"2024-01-01T00:00:00Z\"", field, pe.Value)
}
