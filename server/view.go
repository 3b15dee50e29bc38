package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
	"github.com/attune-dao/attune/store"
)

// cycleView is what the cycle page shows.
type cycleView struct {
	Cycle store.Cycle
	// Proposal is nil for a cycle without one.
	Proposal *proposalView
	// CanReview and CanPublish say the visitor may act on it now.
	CanReview, CanPublish bool
	// NoChange, when set, says why the proposal is not approved: it
	// recommends no change (it may still be rejected).
	NoChange     string
	Publications []pubRow
	// Diff compares with the DAO's previous cycle, rendered; empty for
	// its first.
	Diff template.HTML
}

// proposalView is the part of the page made from the cycle's documents,
// which do not change once written: it is made once and cached.
type proposalView struct {
	Doc            oracle.ProposalDocument
	Rec            oracle.Recommendation
	Post, Appendix template.HTML
	Params         []paramRow
	Effects        []effectRow
	Level          string
	Charts         []chartRef
	Importance     []importanceRow
	Track          *oracle.TrackRecord
	Draft          oracle.DraftMeta
	// Main (the post to the draft's check) and AppendixHTML (the
	// appendix) are the page's parts rendered once.
	Main, AppendixHTML template.HTML
}

// partData is what the templates of a page's parts get: the cycle's ID
// and its documents' view.
type partData struct {
	ID int64
	*proposalView
}

type paramRow struct {
	Name, PlainName, Current, Recommended string
	Changed                               bool
	Held, Enactment, Call, Meaning        string
}

type effectRow struct {
	Name, Current, Recommended, Difference, Interval, Verdict string
	Objective, Score                                          bool
	Replications                                              int
}

type importanceRow struct {
	Param, Share, Range string
}

// chartRef is a chart the page shows, by name under
// /cycles/{id}/charts/.
type chartRef struct {
	Name, Title, Alt string
}

type pubRow struct {
	Sink, ID, URL, Time string
	Files               []string
}

type diffView struct {
	From, To             int64
	FromChange, ToChange bool
	Params               []diffParamRow
	Effects              []diffEffectRow
}

type diffParamRow struct {
	Name, From, To string
	Moved          bool
}

type diffEffectRow struct {
	Name, From, To string
}

// cycleView reads cycle id and makes its page.
func (s *Server) cycleView(ctx context.Context, id int64, v *visitor) (*cycleView, error) {
	c, err := s.readCycle(ctx, id)
	if err != nil {
		return nil, err
	}
	view := &cycleView{Cycle: c,
		CanReview:  v.Role == Steward && c.State == store.PendingReview,
		CanPublish: v.Role == Steward && c.State == store.Approved && s.opt.Publish != nil}
	if err := store.Approvable(c); view.CanReview && err != nil {
		view.NoChange = err.Error()
	}
	for _, p := range c.Publications {
		rc := readReceipt(p.Receipt)
		view.Publications = append(view.Publications, pubRow{Sink: p.Sink, ID: rc.ID, URL: rc.URL, Files: rc.Files, Time: fmtTime(p.Time)})
	}
	if c.Proposal == nil || c.Recommendation == nil {
		return view, nil
	}
	e, err := s.cache.entry(c, s.desk.part)
	if err != nil {
		return nil, err
	}
	view.Proposal = e.view
	if view.Diff, err = s.diffView(ctx, c, e); err != nil {
		return nil, err
	}
	return view, nil
}

// diffView compares c with the DAO's previous cycle, cached with c's
// entry while the previous cycle stays the same.
//
// Which cycle is the previous one is looked up again once diffTTL has
// passed: it changes only when an older cycle of the DAO gains a
// proposal after this one did.
func (s *Server) diffView(ctx context.Context, c store.Cycle, e *cycleEntry) (template.HTML, error) {
	now := s.opt.Now()
	e.mu.Lock()
	if !e.diffChecked.IsZero() && now.Sub(e.diffChecked) < diffTTL {
		h := e.diff
		e.mu.Unlock()
		return h, nil
	}
	e.mu.Unlock()
	prevs, err := s.opt.Store.Cycles(ctx, store.Filter{DAO: c.DAO, Before: c.ID, WithProposal: true, Limit: 1})
	if err != nil {
		return "", err
	}
	var h template.HTML
	var against int64
	if len(prevs) > 0 {
		against = prevs[0].ID
		e.mu.Lock()
		same := e.diffAgainst == against && e.diff != ""
		h = e.diff
		e.mu.Unlock()
		if !same {
			prev, err := s.readCycle(ctx, against)
			if err != nil {
				return "", err
			}
			var docs [2]schema.CycleDoc
			for i, cy := range []store.Cycle{prev, c} {
				if docs[i], err = store.DocumentOf(ctx, s.opt.Store, cy); err != nil {
					return "", err
				}
			}
			if h, err = s.desk.part("diff", makeDiffView(store.Diff(docs[0], docs[1]))); err != nil {
				return "", err
			}
		}
	}
	e.mu.Lock()
	e.diffChecked, e.diffAgainst, e.diff = now, against, h
	e.mu.Unlock()
	return h, nil
}

// diffTTL is how long a page trusts its idea of the previous cycle.
const diffTTL = 10 * time.Second

func makeDiffView(d schema.CycleDiffDoc) *diffView {
	dv := &diffView{From: d.A.ID, To: d.B.ID, FromChange: d.A.Change, ToChange: d.B.Change}
	side := func(p *schema.ParamSide, unit string) string {
		if p == nil {
			return "—"
		}
		if p.Current == p.Recommended {
			return oracle.FormatValue(p.Current, unit, false) + " (kept)"
		}
		return oracle.FormatValue(p.Current, unit, false) + " → " + oracle.FormatValue(p.Recommended, unit, false)
	}
	for _, p := range d.Params {
		dv.Params = append(dv.Params, diffParamRow{Name: p.Name, From: side(p.A, p.Unit), To: side(p.B, p.Unit),
			Moved: p.A == nil || p.B == nil || p.A.Current != p.B.Current || p.A.Recommended != p.B.Recommended})
	}
	eff := func(e *oracle.Estimate, unit string) string {
		if e == nil {
			return "—"
		}
		return oracle.FormatDelta(e.Mean, unit) + " (" + oracle.FormatDeltaInterval(e.CI, unit) + ")"
	}
	for _, e := range d.Effects {
		name := e.Name
		if name == "score" {
			name = "combined score"
		}
		dv.Effects = append(dv.Effects, diffEffectRow{Name: name, From: eff(e.A, e.Unit), To: eff(e.B, e.Unit)})
	}
	return dv
}

// label writes a code as words: "not_significant" is "not significant".
func label(code string) string { return strings.ReplaceAll(code, "_", " ") }

// makeProposalView makes the document part of a cycle's page.
func makeProposalView(c store.Cycle) (*proposalView, error) {
	doc, err := store.DecodeProposal(c.Proposal)
	if err != nil {
		return nil, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	recDoc, err := store.DecodeRecommendation(c.Recommendation)
	if err != nil {
		return nil, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	rec := recDoc.Recommendation
	post, appendix, err := oracle.HTMLParts(oracle.Proposal{Title: doc.Title, Post: doc.Post, Appendix: doc.Appendix, Meta: doc.Drafter})
	if err != nil {
		return nil, fmt.Errorf("cycle %d: %w", c.ID, err)
	}
	v := &proposalView{Doc: doc, Rec: rec, Track: rec.TrackRecord, Draft: doc.Drafter,
		// HTMLParts escapes raw HTML and drops unsafe links: its output
		// is safe to place as it is.
		Post: template.HTML(post), Appendix: template.HTML(appendix)} //nolint:gosec // sanitised by oracle.HTMLParts
	for _, p := range doc.Parameters {
		row := paramRow{Name: p.Name, PlainName: p.PlainName, Current: p.CurrentText, Recommended: p.RecommendedText,
			Changed: p.Changed, Held: label(p.Held), Enactment: p.Enactment}
		if p.Enacted != nil {
			row.Call = callText(p.Enacted.Function, p.Enacted.Arg)
			row.Meaning = p.Enacted.Meaning
		}
		v.Params = append(v.Params, row)
	}
	for i, e := range append([]oracle.DocumentEffect{doc.Score}, doc.Effects...) {
		if v.Level == "" && e.Interval.Level > 0 && e.Interval.Level < 1 {
			v.Level = percent(e.Interval.Level)
		}
		v.Effects = append(v.Effects, effectRow{
			Name: e.PlainName, Objective: e.Objective, Score: i == 0,
			Current:     oracle.FormatValue(e.Current, e.Unit, false),
			Recommended: oracle.FormatValue(e.Recommended, e.Unit, false),
			Difference:  oracle.FormatDelta(e.Difference, e.Unit),
			Interval:    oracle.FormatDeltaInterval(e.Interval, e.Unit),
			Verdict:     e.Verdict, Replications: e.Replications,
		})
	}
	for _, im := range rec.Importance {
		v.Importance = append(v.Importance, importanceRow{Param: im.Param,
			Share: percent(im.Share), Range: percent(im.Lo) + " to " + percent(im.Hi)})
	}
	return v, nil
}

// percent writes a fraction as a percentage with at most one decimal:
// 0.9 is "90%", 0.1234 is "12.3%".
func percent(x float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(100*x, 'f', 1, 64), ".0") + "%"
}

// callText writes a setter call as made: "_setVotingPeriod(21600)".
func callText(function, arg string) string {
	name, _, ok := strings.Cut(function, "(")
	if !ok || arg == "" {
		return function
	}
	return name + "(" + arg + ")"
}

// The charts a cycle page may show, in the order shown.
var chartList = []chartRef{
	{"effects", "Effects on the objectives", "Each objective under the parameters in force and as recommended, with intervals"},
	{"tradeoff", "Trade-off between the first two objectives", "The trials on the first two objectives, with the Pareto front, the parameters in force and each search's winner"},
	{"convergence", "Convergence of the searches", "Each trial's combined score in the order run, and the best so far, per search"},
	{"importance", "Parameter importance", "Each searched parameter's share of the variation in the score"},
	{"calibration", "Calibration", "Each calibration metric's miss, simulated minus observed, with the miss allowed"},
	{"backtest", "Backtest", "How often the model's interval held what happened next, per metric"},
}

// errNoChart: the chart name is not one of chartList.
var errNoChart = errors.New("no such chart")

// cycleEntry is a cached cycle's page parts, valid while its documents
// are the bytes it was made from.
type cycleEntry struct {
	rec, prop []byte
	view      *proposalView

	mu          sync.Mutex
	trials      *schema.TrialsDoc
	trialsErr   error
	trialsRead  bool
	charts      map[string][]byte
	diffChecked time.Time
	diffAgainst int64
	diff        template.HTML
}

// partRenderer renders one of the cycle page's parts.
type partRenderer func(name string, data any) (template.HTML, error)

// pageCache keeps the parts of recently shown cycle pages.
type pageCache struct {
	mu      sync.Mutex
	max     int
	entries map[int64]*cycleEntry
}

func newPageCache(max int) *pageCache {
	return &pageCache{max: max, entries: map[int64]*cycleEntry{}}
}

// entry returns c's cached entry, made anew when c's documents are not
// those it was made from; part renders the page's parts.
func (pc *pageCache) entry(c store.Cycle, part partRenderer) (*cycleEntry, error) {
	pc.mu.Lock()
	e, ok := pc.entries[c.ID]
	pc.mu.Unlock()
	if ok && bytes.Equal(e.rec, c.Recommendation) && bytes.Equal(e.prop, c.Proposal) {
		return e, nil
	}
	view, err := makeProposalView(c)
	if err != nil {
		return nil, err
	}
	e = &cycleEntry{rec: bytes.Clone(c.Recommendation), prop: bytes.Clone(c.Proposal), view: view, charts: map[string][]byte{}}
	// The charts whose data the cycle has.
	for _, ch := range chartList {
		if e.has(c, ch.Name) {
			view.Charts = append(view.Charts, ch)
		}
	}
	if view.Main, err = part("proposal-main", partData{c.ID, view}); err != nil {
		return nil, err
	}
	if view.AppendixHTML, err = part("proposal-appendix", partData{c.ID, view}); err != nil {
		return nil, err
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.entries) >= pc.max {
		for id := range pc.entries { // drop one, any
			delete(pc.entries, id)
			break
		}
	}
	pc.entries[c.ID] = e
	return e, nil
}

// has says whether the cycle has the data chart name draws.
func (e *cycleEntry) has(c store.Cycle, name string) bool {
	rec := e.view.Rec
	switch name {
	case "effects":
		return len(rec.Effects) > 0 && len(rec.Effects) <= oracle.MaxChartPanels
	case "tradeoff", "convergence":
		d, err := e.loadTrials(c)
		if err != nil {
			return false
		}
		if name == "tradeoff" {
			return len(d.Objectives) >= 2
		}
		return len(d.Searches) > 0
	case "importance":
		return len(rec.Importance) > 0
	case "calibration":
		return len(rec.Method.Fit) > 0
	case "backtest":
		return rec.TrackRecord != nil && len(rec.TrackRecord.Metrics) > 0
	}
	return false
}

// loadTrials reads the cycle's trials.json once.
func (e *cycleEntry) loadTrials(c store.Cycle) (*schema.TrialsDoc, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.trialsRead {
		d, err := readTrials(c)
		if err == nil {
			e.trials = &d
		}
		e.trialsErr, e.trialsRead = err, true
	}
	return e.trials, e.trialsErr
}

// chartSVG returns chart name of cycle id.
func (s *Server) chartSVG(ctx context.Context, id int64, name string) ([]byte, error) {
	known := false
	for _, ch := range chartList {
		known = known || ch.Name == name
	}
	if !known {
		return nil, errNoChart
	}
	c, err := s.readCycle(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Proposal == nil || c.Recommendation == nil {
		return nil, errNoData
	}
	e, err := s.cache.entry(c, s.desk.part)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	svg, ok := e.charts[name]
	e.mu.Unlock()
	if ok {
		return svg, nil
	}
	rec := e.view.Rec
	switch name {
	case "effects":
		svg, err = oracle.ChartSVG(rec)
	case "tradeoff", "convergence":
		var d *schema.TrialsDoc
		if d, err = e.loadTrials(c); err == nil {
			if name == "tradeoff" {
				svg, err = tradeoffChart(*d)
			} else {
				svg, err = convergenceChart(*d)
			}
		}
	case "importance":
		svg, err = importanceChart(rec)
	case "calibration":
		svg, err = calibrationChart(rec)
	case "backtest":
		svg, err = backtestChart(rec.TrackRecord)
	}
	var re *requestError
	if errors.As(err, &re) {
		return nil, errNoData
	}
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.charts[name] = svg
	e.mu.Unlock()
	return svg, nil
}
