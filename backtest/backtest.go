// Package backtest checks a model against a DAO's own governance history,
// out of sample.
//
// Rolling windows: the history is cut into consecutive windows of
// WindowDays ending at the last decided proposal. For each pair of
// adjacent windows the model is calibrated on the older one under the
// parameters then in force and run, Replications times, for one window's
// worth of governance under the parameters in force at the start of the
// newer one; the spread of those runs gives a predictive interval for the
// newer window's turnout, quorum-failure rate and pass rate, which is
// compared with what the history records. Coverage is the share of
// windows whose realised value lies in its interval.
//
// Parameter changes: for each change recorded in the history, with a
// whole window of history on each side, the model is calibrated on the
// window before under the old values, and the old and the new values are
// run on the same seeds; the mean paired difference is the predicted
// effect, compared with the change between the windows before and after.
//
// A Report is deterministic for a seed: the same history, Spec and Options
// give the same Report, and the same JSON byte for byte, whatever the
// number of workers.
package backtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/attune-dao/attune/schema"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/loop"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
)

// Defaults and fixed settings.
const (
	// DefaultWindows is how many window pairs are formed at most.
	DefaultWindows = 4
	// DefaultWindowDays is the window length when neither the caller nor
	// the config's source gives one.
	DefaultWindowDays = 180
	// DefaultReplications is how many runs make one prediction.
	DefaultReplications = 64
	// MinProposals is the fewest decided proposals a window needs to be
	// calibrated on or predicted.
	MinProposals = 5
	// Level is the coverage of every interval: predictive intervals run
	// from the 5th to the 95th percentile of the replications.
	Level = 0.9
	// MinCover is the least share of WindowDays the oldest calibration
	// window may cover when it is cut at the history's first proposal: a
	// history starts when its first proposal was made, so a history of
	// two years is a few hours short of two 365-day windows. A cut
	// window's rates are measured over the days it covers.
	MinCover = 0.9
	// HorizonOption is the model option set to the window length, so
	// that one replication is one window's worth of proposals.
	HorizonOption = "horizon_days"
)

// Metrics are the metrics predicted, in report order.
var Metrics = []string{metrics.TurnoutPower, metrics.QuorumFailureRate, metrics.PassRateName}

// ErrTooShort is wrapped by the error Run returns when the history cannot
// hold one pair of windows.
var ErrTooShort = errors.New("history too short for a backtest")

// Salts separating the seeds of each use.
const (
	saltWindowCalibrate = 0x6277_6361_6c69_6201
	saltWindowRun       = 0x6277_7275_6e73_0002
	saltEventCalibrate  = 0x6265_6361_6c69_6203
	saltEventRun        = 0x6265_7275_6e73_0004
	saltResample        = 0x6272_6573_616d_7005
	saltBootCalibrate   = 0x6262_6361_6c69_6206
)

// Spec is the model a backtest runs and the DAO it stands for, as a cycle
// would build it (see Load).
type Spec struct {
	// Model is the registry name, e.g. "tokenvote".
	Model string
	// Options are the model's options (dao.options); HorizonOption is
	// replaced by the window length when the model has it.
	Options simulator.Options
	// Rules are the governor's rules; governor settings the history
	// records (voting_delay_days, objection_phase_days, ...) replace
	// them at each time.
	Rules governor.Rules
	// Track is the governor track ("" for the only one).
	Track string
	// TokenPrice is the token's price in USD, 0 if unknown.
	TokenPrice float64
	// Current holds the parameters in force at the end of the history
	// (config current): the fallback for parameters the history does
	// not record.
	Current simulator.Params
	// Tolerance is calibration.tolerance, for judging each calibration's
	// fit in the report.
	Tolerance float64
}

// Options shape a backtest.
type Options struct {
	// Windows is the most window pairs formed (DefaultWindows if 0).
	Windows int
	// WindowDays is the length of every window, in days
	// (DefaultWindowDays if 0).
	WindowDays int
	// Replications is the runs per prediction (DefaultReplications if 0);
	// at least 2.
	Replications int
	// Seed is the base seed (optimizer.seed); every calibration and run
	// seed is derived from it with simulator.SeedFor.
	Seed uint64
	// Bootstraps is how many bootstrap calibrations carry the
	// calibration's own uncertainty into the predictive intervals; 0
	// (the default) turns them off, and each prediction's replications
	// all run on the one model calibrated on the window. With B > 0 the
	// calibration window's decided proposals are resampled with
	// replacement B times (each copy with its votes), the model is
	// calibrated on each resample, and the Replications runs are spread
	// over the B calibrated models (Replications/B each, the remainder to
	// the first) and pooled. The window's own calibration still gives
	// the reported fit. Applies to the rolling windows and to the level
	// an event's new values predict for the window after it (Effect.After),
	// not to the paired predicted change. At most Replications.
	Bootstraps int
	// Workers bounds parallel calibrations and runs; 0 means GOMAXPROCS.
	// It does not change the result.
	Workers int
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Windows == 0 {
		o.Windows = DefaultWindows
	}
	if o.WindowDays == 0 {
		o.WindowDays = DefaultWindowDays
	}
	if o.Replications == 0 {
		o.Replications = DefaultReplications
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Input is what Load reads from a config: the history and the model
// spec, and the source's window_days (0 if it sets none).
type Input struct {
	History          *history.History
	Spec             Spec
	SourceWindowDays int
}

// Load checks cfg for a backtest and reads its history: the config must
// have one source, of type history; its model, options, rules and current
// parameters are checked as a cycle checks them. Config problems wrap
// config.ErrInvalid and name the key.
func Load(ctx context.Context, cfg *config.Config) (*Input, error) {
	return LoadWith(ctx, cfg, nil)
}

// LoadWith is Load with the history already read (by the cycle, say);
// a nil h reads cfg's sources (all of them, merged, through their cache)
// as a cycle does.
func LoadWith(ctx context.Context, cfg *config.Config, h *history.History) (*Input, error) {
	rules, err := loop.RulesOf(cfg)
	if err != nil {
		return nil, err
	}
	spec := Spec{
		Model: cfg.DAO.Model, Options: simulator.Options(maps.Clone(cfg.DAO.Options)), Rules: rules,
		Track: cfg.DAO.Track, TokenPrice: cfg.DAO.Token.PriceUSD,
		Current: simulator.Params(maps.Clone(cfg.Current)), Tolerance: cfg.Calibration.Tolerance,
	}
	m, err := simulator.New(spec.Model, simulator.Setup{Options: spec.Options, Rules: rules, Track: spec.Track, TokenPrice: spec.TokenPrice})
	if err != nil {
		key := "dao.model"
		if errors.Is(err, simulator.ErrInvalidParams) {
			key = "dao.options"
		}
		return nil, cfg.Problem(key, err.Error())
	}
	specs := m.Params()
	for _, name := range slices.Sorted(maps.Keys(cfg.Current)) {
		if _, ok := simulator.Spec(specs, name); !ok {
			return nil, cfg.Problem("current."+name, fmt.Sprintf("%s has no parameter %q; its parameters are %s", m.Name(), name, paramNames(specs)))
		}
	}
	if _, err := simulator.Complete(specs, spec.Current); err != nil {
		return nil, cfg.Problem("current", err.Error())
	}
	days := 0
	for _, s := range cfg.Sources {
		days = max(days, s.WindowDays)
	}
	if h == nil {
		h, days, err = loop.ReadSourcesHistory(ctx, cfg, loop.SourceOptions{})
		if err != nil {
			return nil, err
		}
	}
	return &Input{History: h, Spec: spec, SourceWindowDays: days}, nil
}

// Span is a window of the history: the proposals whose vote ended in
// [Start, End).
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Days is its length.
	Days float64 `json:"days"`
	// Proposals is how many proposals on the track were decided in it.
	Proposals int `json:"proposals"`
}

func (s Span) window() metrics.Window { return metrics.Window{Start: s.Start, End: s.End} }

// Pair is one calibration window and the window after it.
type Pair struct {
	// Index is 1 for the most recent pair, 2 for the one before, ...
	Index       int
	Calibration Span
	Next        Span
	// Cut reports that the calibration window was cut at the history's
	// start (see MinCover).
	Cut bool
	// Skipped says why the pair is not evaluated, "" if it is.
	Skipped string
}

// bounds returns the history's start (its first proposal's creation) and
// the end of its windows: just after the last decided proposal's vote on
// track.
func bounds(h *history.History, track string) (first, end time.Time, err error) {
	first, _ = h.Span()
	for _, p := range h.Proposals {
		if p.State.Decided() && onTrack(p, track) && p.End.After(end) {
			end = p.End
		}
	}
	if end.IsZero() {
		what := ""
		if track != "" {
			what = fmt.Sprintf(" on track %q", track)
		}
		return first, end, fmt.Errorf("%w: history %s has no decided proposal%s", ErrTooShort, h.Source, what)
	}
	return first, end.Add(time.Second), nil
}

func onTrack(p history.Proposal, track string) bool { return track == "" || p.Track == track }

// decided counts the proposals on track decided in [start, end), as
// metrics.FromHistory counts them.
func decided(h *history.History, start, end time.Time, track string) int {
	n := 0
	for _, p := range h.Proposals {
		if p.State.Decided() && onTrack(p, track) && !p.End.Before(start) && p.End.Before(end) {
			n++
		}
	}
	return n
}

func span(h *history.History, start, end time.Time, track string) Span {
	return Span{Start: start, End: end, Days: end.Sub(start).Hours() / 24, Proposals: decided(h, start, end, track)}
}

func inDays(d time.Duration) float64 { return d.Hours() / 24 }

// PlanWindows cuts h into consecutive windows of days days ending just
// after the last decided proposal on track, and returns up to n pairs of
// adjacent windows, the most recent first. The oldest window may be cut
// at the history's start when it still covers MinCover of its length. A
// pair with fewer than MinProposals decided proposals in either window is
// returned with its reason in Skipped. It returns an error wrapping
// ErrTooShort, naming the history's span and the window length, when not
// even one pair fits.
func PlanWindows(h *history.History, track string, days, n int) ([]Pair, error) {
	if days <= 0 || n <= 0 {
		return nil, fmt.Errorf("backtest: window days %d and pairs %d; want both positive", days, n)
	}
	first, end, err := bounds(h, track)
	if err != nil {
		return nil, err
	}
	type win struct {
		start, end time.Time
		cut        bool
	}
	var ws []win
	for k := 0; len(ws) < n+1; k++ {
		e := end.AddDate(0, 0, -k*days)
		s := e.AddDate(0, 0, -days)
		if !s.Before(first) {
			ws = append(ws, win{s, e, false})
			continue
		}
		if e.Sub(first).Hours()/24 >= MinCover*float64(days) {
			ws = append(ws, win{first, e, true})
		}
		break
	}
	if len(ws) < 2 {
		total := end.Sub(first).Hours() / 24
		fits := int(math.Floor(total / (1 + MinCover)))
		hint := fmt.Sprintf("a window of %d days or less fits", fits)
		if fits < 1 {
			hint = "no window fits"
		}
		return nil, fmt.Errorf("%w: history %s spans %.1f days (%s, its first proposal, to %s, the end of its last decided vote%s); one pair of %d-day windows needs %d days (%.0f with the older cut to %.0f%%): %s",
			ErrTooShort, h.Source, total, first.Format(time.DateOnly), end.Format(time.DateOnly), trackNote(track), days, 2*days,
			(1+MinCover)*float64(days), MinCover*100, hint)
	}
	pairs := make([]Pair, 0, len(ws)-1)
	for i := 0; i+1 < len(ws); i++ {
		cal, next := ws[i+1], ws[i]
		p := Pair{Index: i + 1, Calibration: span(h, cal.start, cal.end, track), Next: span(h, next.start, next.end, track), Cut: cal.cut}
		switch {
		case p.Calibration.Proposals < MinProposals:
			p.Skipped = fmt.Sprintf("the calibration window has %d decided proposals; a window needs %d", p.Calibration.Proposals, MinProposals)
		case p.Next.Proposals < MinProposals:
			p.Skipped = fmt.Sprintf("the predicted window has %d decided proposals; a window needs %d", p.Next.Proposals, MinProposals)
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

func trackNote(track string) string {
	if track == "" {
		return ""
	}
	return fmt.Sprintf(" on track %q", track)
}

// Change is one parameter set anew by an event.
type Change struct {
	Name string `json:"name"`
	// Kind is "parameter" for a model parameter, "rule" for a governor
	// setting (voting_delay_days, objection_phase_days, ...) and "other"
	// for a name neither knows.
	Kind string `json:"kind"`
	// Old is the value before, nil when the history does not record it.
	Old *float64 `json:"old"`
	New float64  `json:"new"`
	// Event names the event that made it (as the history records it).
	Event string `json:"event,omitempty"`
}

// Arrow formats the change as "old → new" ("? → new" when the old value
// is not recorded).
func (c Change) Arrow() string {
	old := "?"
	if c.Old != nil {
		old = fmt.Sprintf("%g", *c.Old)
	}
	return fmt.Sprintf("%s → %g", old, c.New)
}

// Event is the parameter changes the history records at one time, with
// the windows either side of it.
type Event struct {
	Time    time.Time
	Changes []Change
	Before  Span
	After   Span
	// Skipped says why the event is not evaluated, "" if it is.
	Skipped string
}

// PlanEvents lists the parameter changes of h that apply on track, other
// than the initial values, grouped by time (changes made together, such
// as a voting period and a voting delay set in one transaction, are one
// event), in time order, each with the window of days days before and
// after it. isParam reports whether a name is a model parameter. An event
// is skipped, with the reason, when no value changes on the track, when it
// changes no model parameter, when the value before it is not recorded,
// when there are not days days of history on each side, or when either
// window has fewer than MinProposals decided proposals.
func PlanEvents(h *history.History, track string, days int, isParam func(string) bool) []Event {
	first, end, err := bounds(h, track)
	if err != nil {
		return nil
	}
	var times []time.Time
	group := map[time.Time][]history.ParamChange{}
	for _, c := range h.Params {
		if c.Event == "initial" || !(c.Track == "" || (track != "" && c.Track == track)) {
			continue
		}
		t := c.Time.UTC()
		if _, ok := group[t]; !ok {
			times = append(times, t)
		}
		group[t] = append(group[t], c)
	}
	slices.SortFunc(times, time.Time.Compare)
	var out []Event
	for _, t := range times {
		before, after := h.ParamsAt(t.Add(-time.Nanosecond), track), h.ParamsAt(t, track)
		ev := Event{Time: t}
		missing := ""
		seen := map[string]bool{}
		for _, c := range group[t] {
			if seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			old, had := before[c.Name]
			nv := after[c.Name]
			if had && old == nv {
				continue
			}
			ch := Change{Name: c.Name, Kind: kindOf(c.Name, isParam), New: nv, Event: c.Event}
			if had {
				ch.Old = &old
			} else if ch.Kind == "parameter" && missing == "" {
				missing = c.Name
			}
			ev.Changes = append(ev.Changes, ch)
		}
		start, stop := t.AddDate(0, 0, -days), t.AddDate(0, 0, days)
		ev.Before, ev.After = span(h, start, t, track), span(h, t, stop, track)
		var params []string
		for _, c := range ev.Changes {
			if c.Kind == "parameter" {
				params = append(params, c.Name)
			}
		}
		switch {
		case len(ev.Changes) == 0:
			ev.Skipped = "no value changes on this track"
		case len(params) == 0:
			ev.Skipped = fmt.Sprintf("it changes no model parameter (%s), and a calibrated model holds governor rules fixed", changeNames(ev.Changes))
		case missing != "":
			ev.Skipped = fmt.Sprintf("the history does not record %s before it", missing)
		case start.Before(first):
			ev.Skipped = fmt.Sprintf("only %.0f days of history before it (from %s); a window needs %d", inDays(t.Sub(first)), first.Format(time.DateOnly), days)
		case stop.After(end):
			ev.Skipped = fmt.Sprintf("only %.0f days of history after it (to %s); a window needs %d", math.Max(0, inDays(end.Sub(t))), end.Format(time.DateOnly), days)
		case ev.Before.Proposals < MinProposals:
			ev.Skipped = fmt.Sprintf("the window before it has %d decided proposals; a window needs %d", ev.Before.Proposals, MinProposals)
		case ev.After.Proposals < MinProposals:
			ev.Skipped = fmt.Sprintf("the window after it has %d decided proposals; a window needs %d", ev.After.Proposals, MinProposals)
		}
		out = append(out, ev)
	}
	return out
}

func changeNames(cs []Change) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
		if c.Kind == "rule" {
			names[i] += ", a governor rule"
		}
	}
	return strings.Join(names, "; ")
}

// ruleFields are the governor settings a history may record over time.
var ruleFields = map[string]func(*governor.Rules) *float64{
	"voting_delay_days":          func(r *governor.Rules) *float64 { return &r.VotingDelayDays },
	"objection_phase_days":       func(r *governor.Rules) *float64 { return &r.ObjectionPhaseDays },
	"late_quorum_extension_days": func(r *governor.Rules) *float64 { return &r.LateQuorumExtensionDays },
	"timelock_days":              func(r *governor.Rules) *float64 { return &r.TimelockDays },
	"quorum_coefficient":         func(r *governor.Rules) *float64 { return &r.QuorumCoefficient },
	"quorum_max":                 func(r *governor.Rules) *float64 { return &r.QuorumMax },
}

func kindOf(name string, isParam func(string) bool) string {
	switch {
	case isParam(name):
		return "parameter"
	case ruleFields[name] != nil:
		return "rule"
	}
	return "other"
}

// Param is one value in force and where it came from.
type Param struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// From is "history" (the history records it), "config" (the config's
	// current, for a parameter the history does not record) or "model
	// default" (neither gives it).
	From string `json:"from"`
}

// Setting is what was in force at one time: the model's parameters, the
// governor settings the history records, and the names the history
// records that are neither (not used).
type Setting struct {
	At      time.Time `json:"at"`
	Params  []Param   `json:"params"`
	Rules   []Param   `json:"rules,omitempty"`
	Ignored []string  `json:"ignored,omitempty"`

	values simulator.Params
	rules  governor.Rules
}

// Prediction is one metric's predicted and realised value in a window.
type Prediction struct {
	Metric string `json:"metric"`
	// Mean is the mean over replications; Lo and Hi the 5th and 95th
	// percentiles (the 90% predictive interval).
	Mean float64 `json:"predicted"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	// Realised is the value the history records for the window.
	Realised float64 `json:"realised"`
	// Error is Mean − Realised.
	Error float64 `json:"error"`
	// Inside reports Lo <= Realised <= Hi.
	Inside bool `json:"inside"`
}

// FitSummary is how well a calibration reproduced its window, on the
// calibration's own runs (simulator.Fit).
type FitSummary struct {
	OK bool `json:"ok"`
	// Worst is the target that misses by the most for what it is
	// allowed, its error and its allowance (see simulator.Fit.Worst).
	Worst   string   `json:"worst"`
	Error   float64  `json:"error"`
	Allowed float64  `json:"allowed"`
	AtBound []string `json:"at_bound,omitempty"`
}

// WindowResult is one evaluated (or skipped) window pair.
type WindowResult struct {
	Pair        int    `json:"pair"`
	Calibration Span   `json:"calibration"`
	Next        Span   `json:"next"`
	Cut         bool   `json:"calibration_cut,omitempty"`
	Skipped     string `json:"skipped,omitempty"`
	// Calibrated is what was in force at the calibration window's end,
	// Simulated at the next window's start (the same instant, so they
	// differ only when a change falls on it).
	Calibrated  *Setting     `json:"calibrated,omitempty"`
	Simulated   *Setting     `json:"simulated,omitempty"`
	Fit         *FitSummary  `json:"fit,omitempty"`
	Predictions []Prediction `json:"predictions,omitempty"`
	// Empty counts replications with no proposal, left out of the rates.
	Empty int      `json:"empty_replications,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// Coverage sums up one metric over the evaluated windows.
type Coverage struct {
	Metric string `json:"metric"`
	// Windows is how many windows predicted the metric; Inside how many
	// realised values lay in their interval.
	Windows int `json:"windows"`
	Inside  int `json:"inside"`
	// Coverage is Inside / Windows; MeanAbsError the mean |error| and
	// MeanError the mean error (predicted − realised). Absent with no
	// window.
	Coverage     *float64 `json:"coverage,omitempty"`
	MeanAbsError *float64 `json:"mean_abs_error,omitempty"`
	MeanError    *float64 `json:"mean_error,omitempty"`
}

// Effect is one metric's predicted and realised change at an event.
type Effect struct {
	Metric string `json:"metric"`
	// Predicted is the mean paired difference new − old over the
	// replications; Lo and Hi its 90% confidence interval (Student-t on
	// the paired differences: simulation noise only).
	Predicted float64 `json:"predicted"`
	Lo        float64 `json:"lo"`
	Hi        float64 `json:"hi"`
	// SpreadLo and SpreadHi are the 5th and 95th percentiles of the
	// per-replication differences.
	SpreadLo float64 `json:"spread_lo"`
	SpreadHi float64 `json:"spread_hi"`
	// RealisedBefore and RealisedAfter are the metric in the windows
	// before and after; Realised their difference.
	RealisedBefore float64 `json:"realised_before"`
	RealisedAfter  float64 `json:"realised_after"`
	Realised       float64 `json:"realised"`
	// Agrees reports that the predicted and realised changes have the
	// same sign (zero counting as its own); Resolved that the predicted
	// change's interval excludes zero.
	Agrees   bool `json:"agrees"`
	Resolved bool `json:"resolved"`
	// After predicts the after window's level under the new values from
	// the runs of the new values, against RealisedAfter: with
	// Options.Bootstraps, from runs of the new values spread over the
	// bootstrap calibrations, as a window's prediction.
	After Prediction `json:"after"`
}

// EventResult is one evaluated (or skipped) parameter-change event.
type EventResult struct {
	Time    time.Time `json:"time"`
	Changes []Change  `json:"changes"`
	Before  Span      `json:"before"`
	After   Span      `json:"after"`
	Skipped string    `json:"skipped,omitempty"`
	// Old is what was in force just before the change (the calibration
	// and the old arm); the new arm differs in the changed parameters.
	Old     *Setting    `json:"old,omitempty"`
	Fit     *FitSummary `json:"fit,omitempty"`
	Effects []Effect    `json:"effects,omitempty"`
	Empty   int         `json:"empty_replications,omitempty"`
	Notes   []string    `json:"notes,omitempty"`
}

// Agreement sums up one metric over the evaluated events.
type Agreement struct {
	Metric string `json:"metric"`
	Events int    `json:"events"`
	// Agree is how many events' realised change had the predicted sign.
	Agree int `json:"agree"`
	// MeanAbsMiss is the mean |predicted − realised| change; absent with
	// no event.
	MeanAbsMiss *float64 `json:"mean_abs_miss,omitempty"`
}

// Report is a backtest's result.
type Report struct {
	// Schema names the document's kind and version, schema.Backtest.
	Schema       string    `json:"schema"`
	DAO          string    `json:"dao"`
	Source       string    `json:"source"`
	Model        string    `json:"model"`
	Track        string    `json:"track,omitempty"`
	HistoryStart time.Time `json:"history_start"`
	HistoryEnd   time.Time `json:"history_end"`
	WindowDays   int       `json:"window_days"`
	Replications int       `json:"replications"`
	// Bootstraps is Options.Bootstraps: the calibrated models the
	// replications are spread over (absent: one, the window's own).
	Bootstraps int     `json:"bootstraps,omitempty"`
	Seed       uint64  `json:"seed"`
	Level      float64 `json:"level"`
	// ExpectedCoverage is the coverage a perfect model would reach on
	// average with this many replications and a continuous metric:
	// Level·(R−1)/(R+1), since the interval is estimated from R runs.
	ExpectedCoverage float64 `json:"expected_coverage"`
	// Horizon reports whether the model's HorizonOption was set to the
	// window length (false: the model has no such option and each run
	// covers its own horizon).
	Horizon  bool           `json:"horizon_set"`
	Metrics  []string       `json:"metrics"`
	Windows  []WindowResult `json:"windows"`
	Coverage []Coverage     `json:"coverage"`
	Events   []EventResult  `json:"events"`
	// EventAgreement sums up the evaluated events per metric.
	EventAgreement []Agreement `json:"event_agreement"`
}

// JSON returns the report as indented JSON ending in a newline; the same
// Report gives the same bytes.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("backtest: encode report: %w", err)
	}
	return append(b, '\n'), nil
}

// runner holds what every window and event shares.
type runner struct {
	h       *history.History
	spec    Spec
	opt     Options
	specs   []simulator.ParamSpec
	horizon bool
	// current is spec.Current completed with the model's defaults.
	current  simulator.Params
	outcomes map[string]bool
	model0   string // the model's name
}

// Run backtests spec on h. It returns an error wrapping ErrTooShort when
// the history cannot hold one window pair, and an error for bad options
// or a model that cannot be built; a window or event that cannot be
// evaluated is reported as skipped, with the reason.
func Run(ctx context.Context, h *history.History, spec Spec, opt Options) (*Report, error) {
	r, err := newRunner(h, spec, opt)
	if err != nil {
		return nil, err
	}
	opt = r.opt
	pairs, err := PlanWindows(h, spec.Track, opt.WindowDays, opt.Windows)
	if err != nil {
		return nil, err
	}
	events := PlanEvents(h, spec.Track, opt.WindowDays, r.isParam)
	first, end, _ := bounds(h, spec.Track)
	rep := &Report{Schema: schema.Backtest,
		DAO: h.DAO, Source: h.Source, Model: r.model0, Track: spec.Track, HistoryStart: first, HistoryEnd: end,
		WindowDays: opt.WindowDays, Replications: opt.Replications, Bootstraps: opt.Bootstraps, Seed: opt.Seed, Level: Level,
		ExpectedCoverage: Level * float64(opt.Replications-1) / float64(opt.Replications+1),
		Horizon:          r.horizon, Metrics: slices.Clone(Metrics),
		Windows: make([]WindowResult, len(pairs)), Events: make([]EventResult, len(events)),
	}
	err = loop.Parallel(ctx, len(pairs)+len(events), opt.Workers, func(ctx context.Context, i int) error {
		if i < len(pairs) {
			w, err := r.window(ctx, pairs[i])
			rep.Windows[i] = w
			return err
		}
		j := i - len(pairs)
		e, err := r.event(ctx, events[j], j)
		rep.Events[j] = e
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.Coverage = Summarise(rep.Windows)
	rep.EventAgreement = summariseEvents(rep.Events)
	return rep, nil
}

// newRunner checks the options and the model and returns the runner.
func newRunner(h *history.History, spec Spec, opt Options) (*runner, error) {
	opt = opt.withDefaults()
	if opt.Windows < 1 || opt.WindowDays < 1 || opt.Replications < 2 {
		return nil, fmt.Errorf("backtest: windows %d, window days %d, replications %d; want at least 1, 1 and 2", opt.Windows, opt.WindowDays, opt.Replications)
	}
	if opt.Bootstraps < 0 || opt.Bootstraps > opt.Replications {
		return nil, fmt.Errorf("backtest: bootstraps %d; want 0 to the replications, %d", opt.Bootstraps, opt.Replications)
	}
	m, err := simulator.New(spec.Model, simulator.Setup{Options: spec.Options, Rules: spec.Rules, Track: spec.Track, TokenPrice: spec.TokenPrice})
	if err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	r := &runner{h: h, spec: spec, opt: opt, specs: m.Params(), outcomes: map[string]bool{}, model0: m.Name()}
	for _, o := range m.Outcomes() {
		r.outcomes[o.Name] = true
	}
	for _, o := range m.Options() {
		if o.Name != HorizonOption {
			continue
		}
		if d := float64(opt.WindowDays); d < o.Min || d > o.Max {
			return nil, fmt.Errorf("backtest: a window of %d days is outside the range of %s's %s, [%g, %g]: %w", opt.WindowDays, m.Name(), HorizonOption, o.Min, o.Max, simulator.ErrInvalidParams)
		}
		r.horizon = true
	}
	if r.current, err = simulator.Complete(r.specs, spec.Current); err != nil {
		return nil, fmt.Errorf("backtest: current parameters: %w", err)
	}
	return r, nil
}

func (r *runner) isParam(name string) bool {
	_, ok := simulator.Spec(r.specs, name)
	return ok
}

// inForce returns what was in force at t on the track: each model
// parameter from the history, else the config's current, else the
// model's default; the governor rules with the settings the history
// records at t.
func (r *runner) inForce(t time.Time) *Setting {
	hp := r.h.ParamsAt(t, r.spec.Track)
	s := &Setting{At: t, values: simulator.Params{}, rules: r.spec.Rules}
	for _, sp := range r.specs {
		p := Param{Name: sp.Name}
		if v, ok := hp[sp.Name]; ok {
			p.Value, p.From = v, "history"
		} else if v, ok := r.spec.Current[sp.Name]; ok {
			p.Value, p.From = v, "config"
		} else {
			p.Value, p.From = r.current[sp.Name], "model default"
		}
		s.Params = append(s.Params, p)
		s.values[sp.Name] = p.Value
	}
	for _, name := range slices.Sorted(maps.Keys(hp)) {
		switch {
		case r.isParam(name):
		case ruleFields[name] != nil:
			*ruleFields[name](&s.rules) = hp[name]
			s.Rules = append(s.Rules, Param{Name: name, Value: hp[name], From: "history"})
		default:
			s.Ignored = append(s.Ignored, name)
		}
	}
	return s
}

func sameSetting(a, b *Setting) bool {
	return maps.Equal(a.values, b.values) && slices.Equal(a.Rules, b.Rules)
}

// model builds the model under rules, its horizon set to the window
// length.
func (r *runner) model(rules governor.Rules) (simulator.Model, error) {
	opts := maps.Clone(r.spec.Options)
	if opts == nil {
		opts = simulator.Options{}
	}
	if r.horizon {
		opts[HorizonOption] = float64(r.opt.WindowDays)
	}
	return simulator.New(r.spec.Model, simulator.Setup{Options: opts, Rules: rules, Track: r.spec.Track, TokenPrice: r.spec.TokenPrice})
}

// calibrate fits the model to the window w of the history under s.
func (r *runner) calibrate(ctx context.Context, w Span, s *Setting, seed uint64) (simulator.Instance, *FitSummary, string, error) {
	return r.calibrateOn(ctx, r.h, w, s, seed)
}

// calibrateOn fits the model to the window w of h under s.
func (r *runner) calibrateOn(ctx context.Context, h *history.History, w Span, s *Setting, seed uint64) (simulator.Instance, *FitSummary, string, error) {
	if _, err := simulator.Complete(r.specs, s.values); err != nil {
		return nil, nil, fmt.Sprintf("the parameters in force at %s are outside the model's range: %v", s.At.Format(time.DateOnly), err), nil
	}
	obs, err := metrics.FromHistory(h, w.window(), s.rules, r.spec.Track)
	if err != nil {
		return nil, nil, fmt.Sprintf("no observation of the calibration window: %v", err), nil
	}
	m, err := r.model(s.rules)
	if err != nil {
		return nil, nil, fmt.Sprintf("the model cannot be built under the rules in force at %s: %v", s.At.Format(time.DateOnly), err), nil
	}
	inst, fit, err := m.Calibrate(ctx, obs, s.values, seed)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, "", ctx.Err()
		}
		return nil, nil, fmt.Sprintf("calibration failed: %v", err), nil
	}
	fit.Tolerance = r.spec.Tolerance
	fit.SetUncertainty(obs.Uncertainty)
	name, e, allowed := fit.Worst()
	return inst, &FitSummary{OK: fit.OK(), Worst: name, Error: e, Allowed: allowed, AtBound: fit.AtBound}, "", nil
}

// replicate runs p Replications times on the seeds derived from base, in
// parallel, and returns the outcomes in replication order. The runs are
// spread over ins in order (see owner).
func (r *runner) replicate(ctx context.Context, ins []simulator.Instance, p simulator.Params, base uint64) ([]metrics.Values, error) {
	out := make([]metrics.Values, r.opt.Replications)
	err := loop.Parallel(ctx, len(out), r.opt.Workers, func(ctx context.Context, i int) error {
		v, err := ins[owner(i, len(out), len(ins))].Run(ctx, p, simulator.SeedFor(base, i))
		if err != nil {
			return fmt.Errorf("replication %d: %w", i, err)
		}
		if name, ok := v.Finite(); !ok {
			return fmt.Errorf("replication %d: outcome %s is not finite under %v", i, name, p)
		}
		out[i] = v
		return nil
	})
	return out, err
}

// owner returns which of b instances runs replication i of n: the first
// n/b + n%b replications run on the first, the next n/b on the second,
// and so on.
func owner(i, n, b int) int {
	each := n / b
	first := each + n%b
	if i < first || each == 0 {
		return 0
	}
	return 1 + (i-first)/each
}

// resample returns a bootstrap resample of the window w of h: its
// decided proposals on track drawn with replacement, as many as it has,
// on the seed, each copy under an id of its own ("bootstrap-k") with the
// votes of the proposal it copies, in the order of the originals. Supply,
// parameters and holders are h's.
func resample(h *history.History, w Span, track string, seed uint64) *history.History {
	var picks []int
	for i, p := range h.Proposals {
		if p.State.Decided() && onTrack(p, track) && !p.End.Before(w.Start) && p.End.Before(w.End) {
			picks = append(picks, i)
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e37_79b9_7f4a_7c15))
	draws := make([]int, len(picks))
	for k := range draws {
		draws[k] = picks[rng.IntN(len(picks))]
	}
	slices.Sort(draws)
	votes := make(map[string][]history.Vote, len(picks))
	for _, i := range picks {
		votes[h.Proposals[i].ID] = nil
	}
	for _, v := range h.Votes {
		if vs, ok := votes[v.Proposal]; ok {
			votes[v.Proposal] = append(vs, v)
		}
	}
	out := &history.History{
		DAO: h.DAO, Source: h.Source, Governor: h.Governor, Token: h.Token,
		Supply: h.Supply, Params: h.Params, Holders: h.Holders,
		Proposals: make([]history.Proposal, 0, len(draws)),
	}
	for k, i := range draws {
		p := h.Proposals[i]
		id := fmt.Sprintf("bootstrap-%d", k)
		for _, v := range votes[p.ID] {
			v.Proposal = id
			out.Votes = append(out.Votes, v)
		}
		p.ID = id
		out.Proposals = append(out.Proposals, p)
	}
	return out
}

// bootstraps calibrates the model under s on Options.Bootstraps resamples
// of the window w, resample b on a seed derived from seed; nil with
// bootstraps off. A reason is returned when one cannot be calibrated.
func (r *runner) bootstraps(ctx context.Context, w Span, s *Setting, seed uint64) ([]simulator.Instance, string, error) {
	b := r.opt.Bootstraps
	if b == 0 {
		return nil, "", nil
	}
	ins := make([]simulator.Instance, b)
	whys := make([]string, b)
	err := loop.Parallel(ctx, b, r.opt.Workers, func(ctx context.Context, k int) error {
		h := resample(r.h, w, r.spec.Track, simulator.SeedFor(seed^saltResample, k))
		in, _, why, err := r.calibrateOn(ctx, h, w, s, simulator.SeedFor(seed^saltBootCalibrate, k))
		ins[k], whys[k] = in, why
		return err
	})
	if err != nil {
		return nil, "", err
	}
	for k, why := range whys {
		if why != "" {
			return nil, fmt.Sprintf("bootstrap calibration %d of %d: %s", k+1, b, why), nil
		}
	}
	return ins, "", nil
}

// empty reports whether a run submitted no proposal, so that its rates
// are undefined.
func empty(v metrics.Values) bool {
	n, ok := v[metrics.ProposalsPerMonth]
	return ok && n <= 0
}

// window evaluates one pair.
func (r *runner) window(ctx context.Context, p Pair) (WindowResult, error) {
	res := WindowResult{Pair: p.Index, Calibration: p.Calibration, Next: p.Next, Cut: p.Cut, Skipped: p.Skipped}
	if p.Cut {
		res.Notes = append(res.Notes, fmt.Sprintf("the calibration window is cut at the history's start: %.1f of %d days", p.Calibration.Days, r.opt.WindowDays))
	}
	if p.Skipped != "" {
		return res, nil
	}
	cal, sim := r.inForce(p.Calibration.End), r.inForce(p.Next.Start)
	res.Calibrated = cal
	if !sameSetting(cal, sim) {
		res.Simulated = sim
	}
	res.Notes = append(res.Notes, r.changesIn(p.Calibration, "calibration window", "calibrated at the values in force at its end")...)
	res.Notes = append(res.Notes, r.changesIn(p.Next, "predicted window", "simulated at the values in force at its start")...)
	log := r.opt.Logger.With("pair", p.Index)
	calSeed := simulator.SeedFor(r.opt.Seed^saltWindowCalibrate, p.Index)
	inst, fit, why, err := r.calibrate(ctx, p.Calibration, cal, calSeed)
	if err != nil {
		return res, err
	}
	if why != "" {
		res.Skipped = why
		log.Warn("backtest window skipped", "reason", why)
		return res, nil
	}
	res.Fit = fit
	ins := []simulator.Instance{inst}
	if boot, why, err := r.bootstraps(ctx, p.Calibration, cal, calSeed); err != nil {
		return res, err
	} else if why != "" {
		res.Skipped = why
		log.Warn("backtest window skipped", "reason", why)
		return res, nil
	} else if boot != nil {
		ins = boot
	}
	if _, err := simulator.Complete(r.specs, sim.values); err != nil {
		res.Skipped = fmt.Sprintf("the parameters in force at %s are outside the model's range: %v", sim.At.Format(time.DateOnly), err)
		return res, nil
	}
	runs, err := r.replicate(ctx, ins, sim.values, simulator.SeedFor(r.opt.Seed^saltWindowRun, p.Index))
	if err != nil {
		return res, fmt.Errorf("backtest pair %d: %w", p.Index, err)
	}
	realised, err := metrics.FromHistory(r.h, p.Next.window(), r.spec.Rules, r.spec.Track)
	if err != nil {
		return res, fmt.Errorf("backtest pair %d: %w", p.Index, err)
	}
	var kept []metrics.Values
	for _, v := range runs {
		if empty(v) {
			res.Empty++
			continue
		}
		kept = append(kept, v)
	}
	for _, name := range Metrics {
		obs, ok := realised.Metrics[name]
		switch {
		case !r.outcomes[name]:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: the model does not simulate it", name))
			continue
		case !ok:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: the history does not give it for the predicted window", name))
			continue
		case len(kept) == 0:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: no replication submitted a proposal", name))
			continue
		}
		res.Predictions = append(res.Predictions, predict(name, column(kept, name), obs))
	}
	log.Info("backtest window", "calibration", p.Calibration.Start.Format(time.DateOnly), "next", p.Next.Start.Format(time.DateOnly), "fit_ok", fit.OK)
	return res, nil
}

// changesIn lists the changes on the track strictly inside s (after its
// start, before its end), each as a note.
func (r *runner) changesIn(s Span, what, how string) []string {
	var out []string
	for _, c := range r.h.Params {
		if c.Event == "initial" || !(c.Track == "" || (r.spec.Track != "" && c.Track == r.spec.Track)) {
			continue
		}
		if c.Time.After(s.Start) && c.Time.Before(s.End) {
			out = append(out, fmt.Sprintf("%s was set to %g on %s, inside the %s; %s", c.Name, c.Value, c.Time.Format(time.DateOnly), what, how))
		}
	}
	return out
}

func column(vs []metrics.Values, name string) []float64 {
	xs := make([]float64, len(vs))
	for i, v := range vs {
		xs[i] = v[name]
	}
	return xs
}

// predict compares the replications xs of a metric with its realised
// value.
func predict(name string, xs []float64, realised float64) Prediction {
	mean, lo, hi := Predictive(xs)
	return Prediction{Metric: name, Mean: mean, Lo: lo, Hi: hi, Realised: realised, Error: mean - realised,
		Inside: lo <= realised && realised <= hi}
}

// Predictive returns the mean of xs and its central Level interval, from
// the (1−Level)/2 to the (1+Level)/2 quantile by linear interpolation
// between order statistics (Hyndman and Fan's type 7). xs must not be
// empty.
func Predictive(xs []float64) (mean, lo, hi float64) {
	s := slices.Sorted(slices.Values(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	return mean, quantile(s, (1-Level)/2), quantile(s, (1+Level)/2)
}

// quantile is the p quantile of the ascending values s, type 7.
func quantile(s []float64, p float64) float64 {
	pos := p * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// event evaluates one parameter-change event, the j-th of the history.
func (r *runner) event(ctx context.Context, ev Event, j int) (EventResult, error) {
	res := EventResult{Time: ev.Time, Changes: ev.Changes, Before: ev.Before, After: ev.After, Skipped: ev.Skipped}
	if res.Changes == nil {
		res.Changes = []Change{}
	}
	if ev.Skipped != "" {
		return res, nil
	}
	old := r.inForce(ev.Time.Add(-time.Nanosecond))
	res.Old = old
	nv := old.values.Clone()
	for _, c := range ev.Changes {
		switch c.Kind {
		case "parameter":
			nv[c.Name] = c.New
		case "rule":
			res.Notes = append(res.Notes, fmt.Sprintf("%s (a governor rule) changed too, %s; both arms hold it at its old value", c.Name, c.Arrow()))
		default:
			res.Notes = append(res.Notes, fmt.Sprintf("%s changed too, %s; the model has no such parameter", c.Name, c.Arrow()))
		}
	}
	for _, c := range r.h.Params {
		if c.Event == "initial" || c.Time.Equal(ev.Time) || !(c.Track == "" || (r.spec.Track != "" && c.Track == r.spec.Track)) {
			continue
		}
		if !c.Time.Before(ev.Before.Start) && c.Time.Before(ev.After.End) {
			where := "after"
			if c.Time.Before(ev.Time) {
				where = "before"
			}
			res.Notes = append(res.Notes, fmt.Sprintf("%s was also set to %g on %s, in the window %s: the realised change mixes both", c.Name, c.Value, c.Time.Format(time.DateOnly), where))
		}
	}
	log := r.opt.Logger.With("event", ev.Time.Format(time.DateOnly))
	calSeed := simulator.SeedFor(r.opt.Seed^saltEventCalibrate, j)
	inst, fit, why, err := r.calibrate(ctx, ev.Before, old, calSeed)
	if err != nil {
		return res, err
	}
	if why != "" {
		res.Skipped = why
		log.Warn("backtest event skipped", "reason", why)
		return res, nil
	}
	res.Fit = fit
	if _, err := simulator.Complete(r.specs, nv); err != nil {
		res.Skipped = fmt.Sprintf("the new values are outside the model's range: %v", err)
		return res, nil
	}
	base := simulator.SeedFor(r.opt.Seed^saltEventRun, j)
	oldRuns, err := r.replicate(ctx, []simulator.Instance{inst}, old.values, base)
	if err != nil {
		return res, fmt.Errorf("backtest event %s: %w", ev.Time.Format(time.DateOnly), err)
	}
	newRuns, err := r.replicate(ctx, []simulator.Instance{inst}, nv, base)
	if err != nil {
		return res, fmt.Errorf("backtest event %s: %w", ev.Time.Format(time.DateOnly), err)
	}
	// The level after the event, from the new values' runs: on the
	// bootstrap models when there are any.
	var afterRuns []metrics.Values
	boot, why, err := r.bootstraps(ctx, ev.Before, old, calSeed)
	if err != nil {
		return res, err
	}
	if why != "" {
		res.Skipped = why
		log.Warn("backtest event skipped", "reason", why)
		return res, nil
	}
	if boot != nil {
		runs, err := r.replicate(ctx, boot, nv, base)
		if err != nil {
			return res, fmt.Errorf("backtest event %s: %w", ev.Time.Format(time.DateOnly), err)
		}
		for _, v := range runs {
			if !empty(v) {
				afterRuns = append(afterRuns, v)
			}
		}
	}
	before, err := metrics.FromHistory(r.h, ev.Before.window(), r.spec.Rules, r.spec.Track)
	if err != nil {
		return res, fmt.Errorf("backtest event %s: %w", ev.Time.Format(time.DateOnly), err)
	}
	after, err := metrics.FromHistory(r.h, ev.After.window(), r.spec.Rules, r.spec.Track)
	if err != nil {
		return res, fmt.Errorf("backtest event %s: %w", ev.Time.Format(time.DateOnly), err)
	}
	var a, b []metrics.Values
	for i := range oldRuns {
		if empty(oldRuns[i]) || empty(newRuns[i]) {
			res.Empty++
			continue
		}
		a, b = append(a, oldRuns[i]), append(b, newRuns[i])
	}
	for _, name := range Metrics {
		rb, ok1 := before.Metrics[name]
		ra, ok2 := after.Metrics[name]
		switch {
		case !r.outcomes[name]:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: the model does not simulate it", name))
			continue
		case !ok1 || !ok2:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: the history does not give it on both sides", name))
			continue
		case len(a) < 2:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: fewer than two replications submitted a proposal under both", name))
			continue
		}
		f := effect(name, column(a, name), column(b, name), rb, ra)
		if len(afterRuns) > 0 {
			f.After = predict(name, column(afterRuns, name), ra)
		}
		res.Effects = append(res.Effects, f)
	}
	log.Info("backtest event", "changes", changeNames(ev.Changes), "fit_ok", fit.OK)
	return res, nil
}

// effect compares the paired runs old and new of a metric with the
// realised values before and after.
func effect(name string, old, nv []float64, before, after float64) Effect {
	d := make([]float64, len(old))
	for i := range d {
		d[i] = nv[i] - old[i]
	}
	mean, lo, hi := metrics.PairedCI(old, nv, Level)
	_, slo, shi := Predictive(d)
	realised := after - before
	return Effect{
		Metric: name, Predicted: mean, Lo: lo, Hi: hi, SpreadLo: slo, SpreadHi: shi,
		RealisedBefore: before, RealisedAfter: after, Realised: realised,
		Agrees: sign(mean) == sign(realised), Resolved: lo > 0 || hi < 0,
		After: predict(name, nv, after),
	}
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// Summarise returns, per metric of Metrics, the coverage and errors of
// the predictions in ws.
func Summarise(ws []WindowResult) []Coverage {
	out := make([]Coverage, 0, len(Metrics))
	for _, name := range Metrics {
		c := Coverage{Metric: name}
		var abs, sum float64
		for _, w := range ws {
			for _, p := range w.Predictions {
				if p.Metric != name {
					continue
				}
				c.Windows++
				if p.Inside {
					c.Inside++
				}
				abs += math.Abs(p.Error)
				sum += p.Error
			}
		}
		if c.Windows > 0 {
			n := float64(c.Windows)
			c.Coverage, c.MeanAbsError, c.MeanError = ptr(float64(c.Inside)/n), ptr(abs/n), ptr(sum/n)
		}
		out = append(out, c)
	}
	return out
}

func summariseEvents(es []EventResult) []Agreement {
	out := make([]Agreement, 0, len(Metrics))
	for _, name := range Metrics {
		a := Agreement{Metric: name}
		var miss float64
		for _, e := range es {
			for _, f := range e.Effects {
				if f.Metric != name {
					continue
				}
				a.Events++
				if f.Agrees {
					a.Agree++
				}
				miss += math.Abs(f.Predicted - f.Realised)
			}
		}
		if a.Events > 0 {
			a.MeanAbsMiss = ptr(miss / float64(a.Events))
		}
		out = append(out, a)
	}
	return out
}

func ptr(x float64) *float64 { return &x }

func paramNames(specs []simulator.ParamSpec) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
