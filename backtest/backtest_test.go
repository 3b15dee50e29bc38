package backtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/config"
	"github.com/attune-dao/attune/governor"
	"github.com/attune-dao/attune/history"
	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/simulator"
	"github.com/attune-dao/attune/simulator/simtest"
)

// day parses a date (2024-10-01) or an RFC 3339 time as UTC.
func day(t testing.TB, s string) time.Time {
	t.Helper()
	layout := time.DateOnly
	if strings.Contains(s, "T") {
		layout = time.RFC3339
	}
	v, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// prop is a hand-made proposal: when its vote ended, its state, the
// power cast (For, or Against when defeated) and its track.
type prop struct {
	end   string
	state history.State
	cast  float64
	track string
}

// build makes a history whose first proposal (canceled, so never
// decided) is created at first, then the proposals ps, with a supply of
// 1000 tokens and the parameter changes params.
func build(t testing.TB, first string, ps []prop, params []history.ParamChange) *history.History {
	t.Helper()
	f := day(t, first)
	h := &history.History{DAO: "Test", Source: "hand-built", Token: history.Token{Symbol: "T"},
		Supply: []history.SupplyPoint{{Time: f, Total: 1000}}, Params: params}
	h.Proposals = append(h.Proposals, history.Proposal{ID: "0", Created: f, Start: f.Add(time.Hour), End: f.Add(72 * time.Hour), State: history.Canceled})
	for i, p := range ps {
		end := day(t, p.end)
		q := history.Proposal{ID: string(rune('a' + i)), Track: p.track, Created: end.Add(-96 * time.Hour), Start: end.Add(-72 * time.Hour), End: end, State: p.state, Voters: 3}
		if p.state.Passed() {
			q.For = p.cast
		} else {
			q.Against = p.cast
		}
		h.Proposals = append(h.Proposals, q)
	}
	return h
}

func passed(end string) prop   { return prop{end: end, state: history.Executed, cast: 100} }
func defeated(end string) prop { return prop{end: end, state: history.Defeated, cast: 100} }

// (b) Windowing on a hand-built history: the last decided vote ends on
// 2024-12-31, so 100-day windows end at 2024-12-31T00:00:01 and start on
// 09-22, 06-14 and 03-06; the one before would start on 2023-11-27, 35
// days before the history does, and cover 65 of 100 days: not formed.
func TestPlanWindows(t *testing.T) {
	ps := []prop{
		passed("2024-01-10"),
		// W2 [03-06, 06-14): three decided and one canceled.
		passed("2024-04-01"), defeated("2024-04-15"), passed("2024-05-01"),
		{end: "2024-05-15", state: history.Canceled},
		// W1 [06-14, 09-22): six.
		passed("2024-07-01"), passed("2024-07-15"), defeated("2024-08-01"), passed("2024-08-15"), passed("2024-09-01"), passed("2024-09-15"),
		// On W0's first second: in W0, not W1.
		passed("2024-09-22T00:00:01Z"),
		// W0 [09-22, 12-31T00:00:01): six more.
		passed("2024-10-01"), passed("2024-10-15"), defeated("2024-11-01"), passed("2024-11-15"), passed("2024-12-01"), passed("2024-12-31"),
		// Still active after the last decided vote: moves no boundary.
		{end: "2025-01-10", state: history.Active},
	}
	h := build(t, "2024-01-01", ps, nil)
	pairs, err := PlanWindows(h, "", 100, 4)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { return day(t, s+"T00:00:01Z") }
	want := []Pair{
		{Index: 1, Calibration: Span{Start: at("2024-06-14"), End: at("2024-09-22"), Days: 100, Proposals: 6},
			Next: Span{Start: at("2024-09-22"), End: at("2024-12-31"), Days: 100, Proposals: 7}},
		{Index: 2, Calibration: Span{Start: at("2024-03-06"), End: at("2024-06-14"), Days: 100, Proposals: 3},
			Next:    Span{Start: at("2024-06-14"), End: at("2024-09-22"), Days: 100, Proposals: 6},
			Skipped: "the calibration window has 3 decided proposals; a window needs 5"},
	}
	if len(pairs) != len(want) {
		t.Fatalf("got %d pairs, want %d: %+v", len(pairs), len(want), pairs)
	}
	for i := range want {
		if pairs[i] != want[i] {
			t.Errorf("pair %d:\n got %+v\nwant %+v", i+1, pairs[i], want[i])
		}
	}
	// At most n pairs.
	if one, _ := PlanWindows(h, "", 100, 1); len(one) != 1 || one[0] != want[0] {
		t.Errorf("n=1: %+v", one)
	}

	// 122-day windows: three would need 366 days; the history has 365
	// and a second, so the oldest, ending on 05-01, is cut at its start,
	// covering 121 days.
	pairs, err = PlanWindows(h, "", 122, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || pairs[0].Cut || !pairs[1].Cut {
		t.Fatalf("122 days: %+v", pairs)
	}
	if c := pairs[1].Calibration; !c.Start.Equal(day(t, "2024-01-01")) || !c.End.Equal(day(t, "2024-05-01T00:00:01Z")) || math.Abs(c.Days-(121+1.0/86400)) > 1e-9 {
		t.Errorf("cut window %+v", c)
	}

	// 200-day windows: the older would cover 165 of 200 days (< 90%).
	_, err = PlanWindows(h, "", 200, 4)
	if !errors.Is(err, ErrTooShort) {
		t.Fatalf("200 days: err = %v, want ErrTooShort", err)
	}
	for _, s := range []string{"spans 365.0 days", "2024-01-01", "2024-12-31", "200-day windows", "needs 400 days", "192 days or less"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}

	// A track counts only its own proposals: on track "x" nothing was
	// decided.
	if _, err := PlanWindows(h, "x", 100, 4); !errors.Is(err, ErrTooShort) || !strings.Contains(err.Error(), `track "x"`) {
		t.Errorf("track x: %v", err)
	}
}

// eventHistory has a parameter a (initial 0.2) of the fake model set to
// 0.3 on 02-01 and 0.8 on 07-01, b (initial 0.5) set on 08-01 and 12-20,
// a set again to 0.8 on 09-01, a change for another track, and a
// governor rule changed on 12-01. Around 07-01 the window before has 2
// passes in 5 at 10% turnout, the window after 4 in 5 at 5%.
func eventHistory(t testing.TB) *history.History {
	ps := []prop{
		passed("2024-01-10"), passed("2024-01-20"),
		// Before 07-01 (100 days: from 03-23): 2 of 5 passed.
		passed("2024-04-01"), defeated("2024-04-15"), passed("2024-05-01"), defeated("2024-05-15"), defeated("2024-06-01"),
		// After 07-01 (to 10-09): 4 of 5 passed, half the turnout.
		{end: "2024-07-10", state: history.Executed, cast: 50}, {end: "2024-07-20", state: history.Executed, cast: 50},
		{end: "2024-08-10", state: history.Executed, cast: 50}, {end: "2024-08-20", state: history.Executed, cast: 50},
		{end: "2024-09-10", state: history.Defeated, cast: 50},
		passed("2024-10-20"), passed("2024-11-10"), passed("2024-11-20"), passed("2024-12-10"), passed("2024-12-28"),
	}
	ch := func(at, name string, v float64, track, event string) history.ParamChange {
		return history.ParamChange{Time: day(t, at), Name: name, Value: v, Track: track, Event: event}
	}
	params := []history.ParamChange{
		ch("2024-01-01", simtest.FakeA, 0.2, "", "initial"),
		ch("2024-01-01", simtest.FakeB, 0.5, "", "initial"),
		ch("2024-01-01", "objection_phase_days", 0, "", "initial"),
		ch("2024-02-01", simtest.FakeA, 0.3, "", "SetA tx 0x1"),
		ch("2024-07-01", simtest.FakeA, 0.8, "", "SetA tx 0x2"),
		ch("2024-08-01", simtest.FakeB, 0.6, "", "SetB tx 0x3"),
		ch("2024-09-01", simtest.FakeA, 0.8, "", "SetA tx 0x4"),
		ch("2024-09-05", simtest.FakeA, 0.1, "x", "SetA on x tx 0x5"),
		ch("2024-12-01", "objection_phase_days", 1, "", "SetObjection tx 0x6"),
		ch("2024-12-20", simtest.FakeB, 0.7, "", "SetB tx 0x7"),
	}
	return build(t, "2024-01-01", ps, params)
}

func isFakeParam(name string) bool {
	switch name {
	case simtest.FakeA, simtest.FakeB, simtest.FakeInert, simtest.FakeN:
		return true
	}
	return false
}

// (c) The event logic on a hand-built history.
func TestPlanEvents(t *testing.T) {
	h := eventHistory(t)
	evs := PlanEvents(h, "", 100, isFakeParam)
	type want struct {
		at, skipped string
		changes     int
	}
	wants := []want{
		{"2024-02-01", "only 31 days of history before it (from 2024-01-01); a window needs 100", 1},
		{"2024-07-01", "", 1},
		{"2024-08-01", "the window after it has 4 decided proposals; a window needs 5", 1},
		{"2024-09-01", "no value changes on this track", 0},
		{"2024-12-01", "it changes no model parameter (objection_phase_days, a governor rule), and a calibrated model holds governor rules fixed", 1},
		{"2024-12-20", "only 8 days of history after it (to 2024-12-28); a window needs 100", 1},
	}
	if len(evs) != len(wants) {
		t.Fatalf("got %d events, want %d (the change on track x is not one): %+v", len(evs), len(wants), evs)
	}
	for i, w := range wants {
		e := evs[i]
		if !e.Time.Equal(day(t, w.at)) || e.Skipped != w.skipped || len(e.Changes) != w.changes {
			t.Errorf("event %d: got %s %q %d changes, want %s %q %d", i, e.Time.Format(time.DateOnly), e.Skipped, len(e.Changes), w.at, w.skipped, w.changes)
		}
	}
	e := evs[1]
	if c := e.Changes[0]; c.Name != simtest.FakeA || c.Kind != "parameter" || c.Old == nil || *c.Old != 0.3 || c.New != 0.8 || c.Event != "SetA tx 0x2" {
		t.Errorf("07-01 change %+v", c)
	}
	if e.Before != (Span{Start: day(t, "2024-03-23"), End: day(t, "2024-07-01"), Days: 100, Proposals: 5}) ||
		e.After != (Span{Start: day(t, "2024-07-01"), End: day(t, "2024-10-09"), Days: 100, Proposals: 5}) {
		t.Errorf("07-01 windows: before %+v after %+v", e.Before, e.After)
	}
	if c := evs[4].Changes[0]; c.Kind != "rule" || c.Arrow() != "0 → 1" {
		t.Errorf("rule change %+v %s", c, c.Arrow())
	}
	// With the proposals on track x, the change of 09-05 counts there.
	for i := range h.Proposals {
		h.Proposals[i].Track = "x"
	}
	onX := PlanEvents(h, "x", 100, isFakeParam)
	found := false
	for _, e := range onX {
		found = found || e.Time.Equal(day(t, "2024-09-05"))
	}
	if !found {
		t.Errorf("track x: the change of 09-05 is missing: %+v", onX)
	}
}

// (c) The whole event path with the fake model, whose paired differences
// are exact: pass_rate moves by 0.2·Δa and turnout by 0.02·Δa.
func TestEventEffectsOnTheFakeModel(t *testing.T) {
	simtest.RegisterFake()
	rules, _ := governor.Family("oz")
	spec := Spec{Model: simtest.FakeName, Rules: rules, Current: simulator.Params{simtest.FakeN: 5}, Tolerance: 0.1}
	for _, boots := range []int{0, 3} {
		t.Run(fmt.Sprintf("bootstraps %d", boots), func(t *testing.T) { testEventEffects(t, spec, boots) })
	}
}

func testEventEffects(t *testing.T, spec Spec, boots int) {
	rep, err := Run(context.Background(), eventHistory(t), spec, Options{WindowDays: 100, Replications: 8, Bootstraps: boots, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Horizon {
		t.Error("the fake model has no horizon option")
	}
	var ev *EventResult
	for i := range rep.Events {
		if rep.Events[i].Skipped == "" {
			if ev != nil {
				t.Fatalf("two events evaluated: %+v", rep.Events)
			}
			ev = &rep.Events[i]
		}
	}
	if ev == nil || !ev.Time.Equal(day(t, "2024-07-01")) {
		t.Fatalf("evaluated event: %+v", ev)
	}
	// What was in force before: a from the history, n from the config,
	// inert the model's default; the rule recorded.
	from := map[string]string{}
	for _, p := range ev.Old.Params {
		from[p.Name] = p.From
	}
	if from[simtest.FakeA] != "history" || from[simtest.FakeB] != "history" || from[simtest.FakeN] != "config" || from[simtest.FakeInert] != "model default" {
		t.Errorf("sources %v", from)
	}
	if len(ev.Old.Rules) != 1 || ev.Old.Rules[0].Name != "objection_phase_days" {
		t.Errorf("rules %+v", ev.Old.Rules)
	}
	if !strings.Contains(strings.Join(ev.Notes, "\n"), "b was also set to 0.6 on 2024-08-01, in the window after") ||
		!strings.Contains(strings.Join(ev.Notes, "\n"), "quorum_failure_rate: the model does not simulate it") {
		t.Errorf("notes %q", ev.Notes)
	}
	if len(ev.Effects) != 2 {
		t.Fatalf("effects %+v", ev.Effects)
	}
	want := map[string]struct{ predicted, realised float64 }{
		metrics.TurnoutPower: {0.02 * 0.5, 0.05 - 0.1},
		metrics.PassRateName: {0.2 * 0.5, 0.8 - 0.4},
	}
	for _, f := range ev.Effects {
		w := want[f.Metric]
		if math.Abs(f.Predicted-w.predicted) > 1e-12 || math.Abs(f.Lo-w.predicted) > 1e-12 || math.Abs(f.Hi-w.predicted) > 1e-12 || !f.Resolved {
			t.Errorf("%s: predicted %v [%v, %v], want exactly %v", f.Metric, f.Predicted, f.Lo, f.Hi, w.predicted)
		}
		if math.Abs(f.Realised-w.realised) > 1e-12 {
			t.Errorf("%s: realised %v, want %v", f.Metric, f.Realised, w.realised)
		}
		if f.Agrees != (f.Metric == metrics.PassRateName) {
			t.Errorf("%s: agrees %v", f.Metric, f.Agrees)
		}
		if f.After.Lo > f.After.Mean || f.After.Mean > f.After.Hi {
			t.Errorf("%s: after %+v", f.Metric, f.After)
		}
	}
	if a := rep.EventAgreement; len(a) != 3 || a[0].Events != 1 || a[0].Agree != 0 || a[1].Events != 0 || a[2].Agree != 1 {
		t.Errorf("agreement %+v", a)
	}
}

// (a) Coverage logic in closed form. Predictive takes the 5th and 95th
// percentiles by linear interpolation; Summarise counts and averages.
func TestPredictiveAndSummarise(t *testing.T) {
	xs := make([]float64, 21)
	for i := range xs {
		xs[20-i] = float64(i + 1) // 21..1, order does not matter
	}
	mean, lo, hi := Predictive(xs)
	if mean != 11 || lo != 2 || hi != 20 {
		t.Errorf("Predictive(1..21) = %v [%v, %v], want 11 [2, 20]", mean, lo, hi)
	}
	if m, l, h := Predictive([]float64{0.3}); m != 0.3 || l != 0.3 || h != 0.3 {
		t.Errorf("one value: %v %v %v", m, l, h)
	}
	p := predict("x", xs, 21)
	if p.Inside || p.Error != -10 {
		t.Errorf("predict %+v", p)
	}
	ws := []WindowResult{
		{Predictions: []Prediction{{Metric: metrics.TurnoutPower, Error: 0.01, Inside: true}, {Metric: metrics.PassRateName, Error: -0.2}}},
		{Skipped: "too few"},
		{Predictions: []Prediction{{Metric: metrics.TurnoutPower, Error: -0.03, Inside: false}, {Metric: metrics.PassRateName, Error: 0.1, Inside: true}}},
		{Predictions: []Prediction{{Metric: metrics.TurnoutPower, Error: 0.02, Inside: true}}},
	}
	got := Summarise(ws)
	check := func(c Coverage, n, in int, cov, mae, bias float64) {
		t.Helper()
		if c.Windows != n || c.Inside != in || c.Coverage == nil || math.Abs(*c.Coverage-cov) > 1e-12 ||
			math.Abs(*c.MeanAbsError-mae) > 1e-12 || math.Abs(*c.MeanError-bias) > 1e-12 {
			t.Errorf("%s: %+v", c.Metric, c)
		}
	}
	check(got[0], 3, 2, 2.0/3, 0.02, 0)
	check(got[2], 2, 1, 0.5, 0.15, -0.05)
	if c := got[1]; c.Metric != metrics.QuorumFailureRate || c.Windows != 0 || c.Coverage != nil || c.MeanAbsError != nil {
		t.Errorf("no window: %+v", c)
	}
}

// (a) When the realised value is one more draw from the distribution the
// replications come from (a perfect model), the R-run interval covers it
// with probability Level·(R−1)/(R+1) for a continuous metric: the k-th of
// R uniforms has mean k/(R+1), and the interval runs from order statistic
// 1+0.05·(R−1) to 1+0.95·(R−1).
func TestPerfectModelCoverage(t *testing.T) {
	const R, W = 64, 20000
	rng := rand.New(rand.NewPCG(1, 2))
	ws := make([]WindowResult, W)
	xs := make([]float64, R)
	for w := range ws {
		for i := range xs {
			xs[i] = rng.Float64()
		}
		ws[w].Predictions = []Prediction{predict(metrics.PassRateName, xs, rng.Float64())}
	}
	got := *Summarise(ws)[2].Coverage
	want := Level * (R - 1) / (R + 1)
	se := math.Sqrt(want * (1 - want) / W)
	if math.Abs(got-want) > 4*se {
		t.Errorf("coverage of a perfect model %.4f, want %.4f ± %.4f", got, want, 4*se)
	}
}

func lido(t testing.TB) *Input {
	t.Helper()
	cfg, err := config.Load(config.LoadOptions{File: "../configs/examples/lido/attune.yaml", Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// (a) End to end on the real Lido history, with few replications: the
// structure of the report, and the same JSON and chart on any number of
// workers.
func TestLidoEndToEnd(t *testing.T) {
	in := lido(t)
	if in.SourceWindowDays != 365 || in.Spec.Model != "tokenvote" || in.Spec.Rules.Family != "aragon" {
		t.Fatalf("input %+v", in.Spec)
	}
	opt := Options{Windows: 2, WindowDays: 180, Replications: 16, Seed: 42, Workers: 1}
	rep, err := Run(context.Background(), in.History, in.Spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Windows) != 2 || !rep.Horizon || rep.WindowDays != 180 || rep.DAO != "Lido" {
		t.Fatalf("report: %d windows, horizon %v, %d days", len(rep.Windows), rep.Horizon, rep.WindowDays)
	}
	for _, w := range rep.Windows {
		if w.Skipped != "" {
			t.Errorf("pair %d skipped: %s", w.Pair, w.Skipped)
			continue
		}
		if w.Calibration.Days != 180 || !w.Calibration.End.Equal(w.Next.Start) || w.Calibration.Proposals < MinProposals || w.Next.Proposals < MinProposals {
			t.Errorf("pair %d windows %+v %+v", w.Pair, w.Calibration, w.Next)
		}
		if w.Fit == nil || w.Calibrated == nil || len(w.Calibrated.Params) != 6 {
			t.Errorf("pair %d: fit %+v calibrated %+v", w.Pair, w.Fit, w.Calibrated)
		}
		if len(w.Predictions) != len(Metrics) {
			t.Fatalf("pair %d: predictions %+v", w.Pair, w.Predictions)
		}
		for i, p := range w.Predictions {
			if p.Metric != Metrics[i] || !(p.Lo <= p.Mean && p.Mean <= p.Hi) || p.Inside != (p.Lo <= p.Realised && p.Realised <= p.Hi) ||
				math.Abs(p.Error-(p.Mean-p.Realised)) > 1e-15 || p.Realised < 0 || p.Realised > 1 {
				t.Errorf("pair %d: %+v", w.Pair, p)
			}
		}
	}
	if !rep.Windows[0].Next.End.Equal(rep.HistoryEnd) || !rep.Windows[1].Next.End.Equal(rep.Windows[0].Calibration.End) {
		t.Errorf("windows are not consecutive from the end")
	}
	for _, c := range rep.Coverage {
		if c.Windows != 2 || c.Coverage == nil || *c.Coverage < 0 || *c.Coverage > 1 {
			t.Errorf("coverage %+v", c)
		}
	}
	// Lido's voting period went from 1 to 3 days on 2022-04-08: evaluated
	// with 180-day windows; the objection phase is a rule: skipped.
	if len(rep.Events) != 2 || rep.Events[0].Skipped != "" || len(rep.Events[0].Effects) != 3 || !strings.Contains(rep.Events[1].Skipped, "governor rule") {
		t.Fatalf("events %+v", rep.Events)
	}
	for _, f := range rep.Events[0].Effects {
		if !(f.Lo <= f.Predicted && f.Predicted <= f.Hi) || f.SpreadLo > f.SpreadHi {
			t.Errorf("effect %+v", f)
		}
	}

	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	png, err := Chart(rep)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("chart: %v", err)
	}
	opt.Workers = 4
	again, err := Run(context.Background(), in.History, in.Spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	js2, _ := again.JSON()
	if !bytes.Equal(js, js2) {
		t.Errorf("JSON differs between 1 and 4 workers")
	}
	if png2, _ := Chart(again); !bytes.Equal(png, png2) {
		t.Errorf("chart differs between runs")
	}
	opt.Seed = 43
	other, err := Run(context.Background(), in.History, in.Spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	if js3, _ := other.JSON(); bytes.Equal(js, js3) {
		t.Errorf("another seed gave the same report")
	}
}

// Nothing to chart without an evaluated window.
func TestChartNeedsAWindow(t *testing.T) {
	if _, err := Chart(&Report{Metrics: Metrics, Windows: []WindowResult{{Skipped: "x"}}}); !errors.Is(err, ErrNothingToChart) {
		t.Errorf("err = %v", err)
	}
}

// A config whose source is not a history names the key. (The embedded
// default reads Compound's history.)
func TestLoadNeedsAHistory(t *testing.T) {
	cfg, err := config.Load(config.LoadOptions{File: "../configs/examples/attune.yaml", Env: []string{}}) // reads a metrics file
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(context.Background(), cfg)
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "sources[0].type: is \"file\": precomputed metrics") {
		t.Errorf("err = %v", err)
	}
}

// A backtest reads every source, merged, as a cycle does: the same
// history listed twice gives the history once, and a history handed in
// by the cycle is used as it is.
func TestLoadMergesSources(t *testing.T) {
	one := lido(t)
	cfg, err := config.Load(config.LoadOptions{File: "../configs/examples/lido/attune.yaml", Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sources = append(cfg.Sources, cfg.Sources[0])
	two, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(two.History.Proposals) != len(one.History.Proposals) || len(two.History.Votes) != len(one.History.Votes) || two.SourceWindowDays != one.SourceWindowDays {
		t.Fatalf("two copies gave %d proposals, %d votes, window %d; one gave %d, %d, %d",
			len(two.History.Proposals), len(two.History.Votes), two.SourceWindowDays, len(one.History.Proposals), len(one.History.Votes), one.SourceWindowDays)
	}
	given, err := LoadWith(context.Background(), cfg, one.History)
	if err != nil || given.History != one.History {
		t.Fatalf("LoadWith did not use the history it was given: %v", err)
	}
}

// BenchmarkBacktestWindow calibrates on one 180-day window and predicts
// the next with 64 replications.
func BenchmarkBacktestWindow(b *testing.B) {
	for _, dao := range []string{"lido", "compound"} {
		b.Run(dao, func(b *testing.B) {
			cfg, err := config.Load(config.LoadOptions{File: "../configs/examples/" + dao + "/attune.yaml", Env: []string{}})
			if err != nil {
				b.Fatal(err)
			}
			in, err := Load(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			r, err := newRunner(in.History, in.Spec, Options{Windows: 1, WindowDays: 180, Replications: DefaultReplications, Seed: 42})
			if err != nil {
				b.Fatal(err)
			}
			pairs, err := PlanWindows(in.History, in.Spec.Track, 180, 1)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				w, err := r.window(context.Background(), pairs[0])
				if err != nil || len(w.Predictions) == 0 {
					b.Fatalf("window: %v %+v", err, w)
				}
			}
		})
	}
}

// The replications are spread over the bootstrap models in order, the
// remainder to the first.
func TestOwner(t *testing.T) {
	for _, c := range []struct {
		n, b int
		want []int // replications per instance
	}{{64, 8, []int{8, 8, 8, 8, 8, 8, 8, 8}}, {10, 3, []int{4, 3, 3}}, {5, 1, []int{5}}, {4, 4, []int{1, 1, 1, 1}}} {
		got := make([]int, c.b)
		last := 0
		for i := range c.n {
			o := owner(i, c.n, c.b)
			if o < last {
				t.Fatalf("n %d b %d: replication %d on %d after %d", c.n, c.b, i, o, last)
			}
			last = o
			got[o]++
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("n %d b %d: %v, want %v", c.n, c.b, got, c.want)
		}
	}
}

// A resample draws the window's decided proposals on the track with
// replacement, each copy under an id of its own with its votes, and
// leaves the history alone.
func TestResample(t *testing.T) {
	h := build(t, "2024-01-01", []prop{passed("2024-02-01"), defeated("2024-02-10"), passed("2024-03-01"),
		{end: "2024-03-05", state: history.Executed, cast: 50, track: "x"}, passed("2024-06-01")}, nil)
	for _, p := range h.Proposals {
		h.Votes = append(h.Votes, history.Vote{Proposal: p.ID, Voter: "v1", Support: history.For, Weight: 1},
			history.Vote{Proposal: p.ID, Voter: "v2", Support: history.Against, Weight: 2})
	}
	before := slices.Clone(h.Votes)
	w := Span{Start: day(t, "2024-01-15"), End: day(t, "2024-04-01")}
	orig := map[string]history.Proposal{}
	for _, p := range h.Proposals {
		orig[p.ID] = p
	}
	a := resample(h, w, "", 7)
	if len(a.Proposals) != 4 || len(a.Votes) != 8 || a.Supply[0] != h.Supply[0] {
		t.Fatalf("resample: %d proposals, %d votes", len(a.Proposals), len(a.Votes))
	}
	ids := map[string]bool{}
	for _, p := range a.Proposals {
		if ids[p.ID] || orig[p.ID].ID != "" {
			t.Errorf("id %q not unique", p.ID)
		}
		ids[p.ID] = true
		if !p.State.Decided() || p.End.Before(w.Start) || !p.End.Before(w.End) {
			t.Errorf("drew %+v", p)
		}
	}
	per := map[string]int{}
	for _, v := range a.Votes {
		per[v.Proposal]++
	}
	for id := range ids {
		if per[id] != 2 {
			t.Errorf("%s has %d votes", id, per[id])
		}
	}
	if x := resample(h, w, "x", 7); len(x.Proposals) != 1 || x.Proposals[0].For != 50 {
		t.Errorf("track x: %+v", x.Proposals)
	}
	b := resample(h, w, "", 7)
	if !slices.Equal(a.Proposals, b.Proposals) || !slices.Equal(a.Votes, b.Votes) {
		t.Error("the same seed gave another resample")
	}
	differs := false
	for s := range uint64(20) {
		c := resample(h, w, "", 100+s)
		differs = differs || !slices.Equal(a.Proposals, c.Proposals)
	}
	if !differs {
		t.Error("twenty seeds gave one resample")
	}
	if !slices.Equal(h.Votes, before) || len(h.Proposals) != 6 || h.Proposals[1].ID != "a" {
		t.Error("the history changed")
	}
}

// With bootstraps: the report says so, is the same on any number of
// workers, and differs from the one without; bootstraps beyond the
// replications are refused.
func TestBootstrapsDeterministic(t *testing.T) {
	in, hs := selfCheck(t)
	opt := Options{Windows: 2, WindowDays: selfCheckDays, Replications: 10, Bootstraps: 3, Seed: 5, Workers: 1}
	rep, err := Run(context.Background(), hs[0], in.Spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bootstraps != 3 {
		t.Errorf("bootstraps %d", rep.Bootstraps)
	}
	for _, w := range rep.Windows {
		if w.Skipped != "" || len(w.Predictions) != len(Metrics) || w.Fit == nil {
			t.Errorf("pair %d: %+v", w.Pair, w)
		}
	}
	js, _ := rep.JSON()
	opt.Workers = 4
	again, err := Run(context.Background(), hs[0], in.Spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	if js2, _ := again.JSON(); !bytes.Equal(js, js2) {
		t.Error("JSON differs between 1 and 4 workers")
	}
	opt.Bootstraps = 0
	plain, err := Run(context.Background(), hs[0], in.Spec, opt)
	if err != nil {
		t.Fatal(err)
	}
	js0, _ := plain.JSON()
	if bytes.Equal(js, js0) || bytes.Contains(js0, []byte(`"bootstraps"`)) {
		t.Error("without bootstraps: the same report, or a bootstraps field")
	}
	if plain.Windows[0].Fit.Error != rep.Windows[0].Fit.Error {
		t.Error("the window's own fit changed with bootstraps")
	}
	opt.Bootstraps = 11
	if _, err := Run(context.Background(), hs[0], in.Spec, opt); err == nil {
		t.Error("11 bootstraps of 10 replications accepted")
	}
}
