package server

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/attune-dao/attune/oracle"
	"github.com/attune-dao/attune/schema"
)

// errNoData says a chart has nothing to draw; the page says so instead.
var errNoData = errors.New("nothing to draw")

// The desk's chart colours (Okabe-Ito, readable by the colour-blind).
var (
	colBlue   = color.RGBA{R: 0, G: 114, B: 178, A: 255}
	colOrange = color.RGBA{R: 230, G: 159, B: 0, A: 255}
	colGreen  = color.RGBA{R: 0, G: 158, B: 115, A: 255}
	colRed    = color.RGBA{R: 213, G: 94, B: 0, A: 255}
	colGrey   = color.RGBA{R: 150, G: 150, B: 150, A: 255}
	colLight  = color.RGBA{R: 200, G: 200, B: 200, A: 255}
	searchCol = []color.Color{colBlue, colOrange, colGreen, color.RGBA{R: 204, G: 121, B: 167, A: 255}, color.RGBA{R: 86, G: 180, B: 233, A: 255}}
)

// renderSVG draws p on a w×h point SVG with a white background. gonum's
// panics on degenerate input become errors.
func renderSVG(p *plot.Plot, w, h vg.Length) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart: %v", r)
		}
	}()
	c := oracle.WhiteSVG(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return b.Bytes(), nil
}

// newPlot is a plot with the desk's title and axis sizes.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 12
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = 10
	p.Y.Label.TextStyle.Font.Size = 10
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = 9
	p.X.Tick.Marker = preciseTicks{}
	p.Y.Tick.Marker = preciseTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// preciseTicks are gonum's default ticks labelled with as many decimals
// as their spacing needs, so that close values (scores of 2.155 and 2.16)
// do not share a label.
type preciseTicks struct{}

func (preciseTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	step := math.Inf(1)
	prev := math.NaN()
	for _, t := range ts {
		if t.Label == "" {
			continue
		}
		if !math.IsNaN(prev) && t.Value-prev > 0 {
			step = math.Min(step, t.Value-prev)
		}
		prev = t.Value
	}
	if math.IsInf(step, 1) {
		return ts
	}
	dec := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', min(dec, 12), 64)
		}
	}
	return ts
}

// pad widens an axis by a share of its span on both sides, so that marks
// at the ends are not cut; a zero span is widened by 1.
func pad(a *plot.Axis, share float64) {
	span := a.Max - a.Min
	if span <= 0 || !finite(span) {
		a.Min, a.Max = a.Min-1, a.Max+1
		return
	}
	a.Min, a.Max = a.Min-share*span, a.Max+share*span
}

// finite reports whether every x is a finite number.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// convergenceChart draws each search's trials in the order run: every
// trial's combined score (constraint-breaking ones hollow) and the best
// feasible score so far, against the parameters in force (trial 0).
func convergenceChart(d schema.TrialsDoc) ([]byte, error) {
	p := newPlot("Convergence: combined score by trial", "trial (in the order run)", "combined score (higher is better)")
	points := 0
	baseline := math.NaN()
	for i, s := range d.Searches {
		col := searchCol[i%len(searchCol)]
		var feasible, broken, best plotter.XYs
		bestSoFar := math.Inf(-1)
		for j, t := range s.Trials {
			if t.Score == nil || !finite(*t.Score) {
				continue
			}
			x, y := float64(j), *t.Score
			if i == 0 && j == 0 {
				baseline = y
			}
			if t.Violation > 0 {
				broken = append(broken, plotter.XY{X: x, Y: y})
				continue
			}
			feasible = append(feasible, plotter.XY{X: x, Y: y})
			if y > bestSoFar {
				bestSoFar = y
			}
			best = append(best, plotter.XY{X: x, Y: bestSoFar})
		}
		points += len(feasible) + len(broken)
		name := fmt.Sprintf("search %d", i+1)
		if len(feasible) > 0 {
			sc, _ := plotter.NewScatter(feasible)
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(1.8), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			ln, _ := plotter.NewLine(stairs(best))
			ln.LineStyle.Color, ln.LineStyle.Width = col, vg.Points(1.5)
			p.Add(ln)
			p.Legend.Add(name+": best so far", ln)
		}
		if len(broken) > 0 {
			sc, _ := plotter.NewScatter(broken)
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(2), Shape: draw.RingGlyph{}}
			p.Add(sc)
			if i == 0 {
				p.Legend.Add("breaks a constraint", sc)
			}
		}
	}
	if points == 0 {
		return nil, errNoData
	}
	if finite(baseline) {
		ref := plotter.NewFunction(func(float64) float64 { return baseline })
		ref.LineStyle.Color, ref.LineStyle.Dashes = colGrey, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(ref)
		p.Legend.Add("parameters in force", ref)
	}
	p.Legend.Left = false
	p.Legend.Top = false
	p.Legend.YOffs = vg.Points(14)
	pad(&p.X, 0.02)
	pad(&p.Y, 0.06)
	return renderSVG(p, 540, 300)
}

// stairs turns best-so-far points into a step line.
func stairs(xy plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, 0, 2*len(xy))
	for i, pt := range xy {
		if i > 0 {
			out = append(out, plotter.XY{X: pt.X, Y: xy[i-1].Y})
		}
		out = append(out, pt)
	}
	return out
}

// tradeoffChart draws the trials on the first two objectives (each
// oriented so that higher is better and divided by its typical size),
// the non-dominated ones joined as the Pareto front, with the parameters
// in force and each search's winner marked.
func tradeoffChart(d schema.TrialsDoc) ([]byte, error) {
	if len(d.Objectives) < 2 {
		return nil, errNoData
	}
	var all, front plotter.XYs
	var base, winners plotter.XYs
	for si, s := range d.Searches {
		for j, t := range s.Trials {
			if len(t.Objectives) < 2 || !finite(t.Objectives[0], t.Objectives[1]) || t.Violation > 0 {
				continue
			}
			pt := plotter.XY{X: t.Objectives[0], Y: t.Objectives[1]}
			all = append(all, pt)
			if si == 0 && j == 0 {
				base = append(base, pt)
			}
			if j == s.Best {
				winners = append(winners, pt)
			}
		}
	}
	if len(all) == 0 {
		return nil, errNoData
	}
	front = pareto(all)
	title := fmt.Sprintf("Trade-off: %s against %s", d.Objectives[1], d.Objectives[0])
	p := newPlot(title, d.Objectives[0]+" (scaled, higher is better)", d.Objectives[1]+" (scaled, higher is better)")
	sc, _ := plotter.NewScatter(all)
	sc.GlyphStyle = draw.GlyphStyle{Color: colLight, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
	p.Add(sc)
	p.Legend.Add("feasible trials", sc)
	ln, _ := plotter.NewLine(front)
	ln.LineStyle.Color, ln.LineStyle.Width = colBlue, vg.Points(1.5)
	p.Add(ln)
	p.Legend.Add("Pareto front", ln)
	if len(base) > 0 {
		b, _ := plotter.NewScatter(base)
		b.GlyphStyle = draw.GlyphStyle{Color: colGrey, Radius: vg.Points(4), Shape: draw.SquareGlyph{}}
		p.Add(b)
		p.Legend.Add("parameters in force", b)
	}
	if len(winners) > 0 {
		w, _ := plotter.NewScatter(winners)
		w.GlyphStyle = draw.GlyphStyle{Color: colRed, Radius: vg.Points(4), Shape: draw.TriangleGlyph{}}
		p.Add(w)
		p.Legend.Add("each search's winner", w)
	}
	p.Legend.Left = true
	p.Legend.Top = false
	pad(&p.X, 0.05)
	pad(&p.Y, 0.08)
	return renderSVG(p, 540, 340)
}

// pareto returns the points no other beats on both coordinates (higher
// is better), by increasing X.
func pareto(pts plotter.XYs) plotter.XYs {
	s := slices.Clone(pts)
	sort.Slice(s, func(i, j int) bool {
		if s[i].X != s[j].X {
			return s[i].X > s[j].X
		}
		return s[i].Y > s[j].Y
	})
	var out plotter.XYs
	bestY := math.Inf(-1)
	for _, pt := range s {
		if pt.Y > bestY {
			out = append(out, pt)
			bestY = pt.Y
		}
	}
	slices.Reverse(out)
	return out
}

// rowChart is a chart with one row per name: a point at each value with
// an optional interval, on a nominal y axis, first name on top.
type row struct {
	name   string
	value  float64
	lo, hi float64 // the interval; equal to value for none
	col    color.Color
}

func rowChart(title, xLabel string, rows []row, ref *float64, refLabel string, xRange *[2]float64) ([]byte, error) {
	if len(rows) == 0 {
		return nil, errNoData
	}
	p := newPlot(title, xLabel, "")
	names := make([]string, len(rows))
	for i, r := range rows {
		if !finite(r.value, r.lo, r.hi) {
			return nil, fmt.Errorf("chart %s: %s is not finite", title, r.name)
		}
		y := float64(len(rows) - 1 - i)
		names[len(rows)-1-i] = r.name
		xy := plotter.XYs{{X: r.value, Y: y}}
		sc, _ := plotter.NewScatter(xy)
		sc.GlyphStyle = draw.GlyphStyle{Color: r.col, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
		if r.lo != r.value || r.hi != r.value {
			bars, err := plotter.NewXErrorBars(struct {
				plotter.XYs
				plotter.XErrors
			}{xy, plotter.XErrors{{Low: math.Max(0, r.value-r.lo), High: math.Max(0, r.hi-r.value)}}})
			if err == nil {
				bars.LineStyle.Color, bars.LineStyle.Width = r.col, vg.Points(1.5)
				p.Add(bars)
			}
		}
		p.Add(sc)
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.7, float64(len(rows))-0.3
	if ref != nil {
		p.X.Min, p.X.Max = math.Min(p.X.Min, *ref), math.Max(p.X.Max, *ref)
	}
	pad(&p.X, 0.05)
	if xRange != nil {
		p.X.Min, p.X.Max = xRange[0], xRange[1]
	}
	if ref != nil {
		v := *ref
		l, _ := plotter.NewLine(plotter.XYs{{X: v, Y: -0.7}, {X: v, Y: float64(len(rows)) - 0.3}})
		l.LineStyle.Color, l.LineStyle.Dashes = colGrey, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l)
		if refLabel != "" {
			p.Legend.Add(refLabel, l)
			p.Legend.Top = false
		}
	}
	return renderSVG(p, 540, vg.Length(90+22*len(rows)))
}

// importanceChart draws each searched parameter's share of the score's
// variation with its range over the forest's trees.
func importanceChart(rec oracle.Recommendation) ([]byte, error) {
	rows := make([]row, 0, len(rec.Importance))
	for _, im := range rec.Importance {
		rows = append(rows, row{name: im.Param, value: 100 * im.Share, lo: 100 * im.Lo, hi: 100 * im.Hi, col: colBlue})
	}
	return rowChart("Parameter importance", "share of the score's variation, % (5th-95th percentile over trees)", rows, nil, "", nil)
}

// calibrationChart draws each calibration metric's miss: in percentage
// points for a rate, in percent for a size; a fitted target with the
// miss allowed.
func calibrationChart(rec oracle.Recommendation) ([]byte, error) {
	rows := make([]row, 0, len(rec.Method.Fit))
	for _, f := range rec.Method.Fit {
		r := row{name: f.Metric, value: 100 * f.Error, col: colGrey}
		r.lo, r.hi = r.value, r.value
		if f.Target {
			r.col = colBlue
			if f.Allowed > 0 {
				// The bar is the miss allowed around a perfect fit.
				r.lo, r.hi = math.Min(r.value, -100*f.Allowed), math.Max(r.value, 100*f.Allowed)
			}
			if math.Abs(f.Error) > f.Allowed && f.Allowed > 0 {
				r.col = colRed
			}
		}
		rows = append(rows, r)
	}
	zero := 0.0
	return rowChart("Calibration: simulated minus observed", "miss (pp for rates, % for sizes); bar: allowed for a fitted target", rows, &zero, "perfect fit", nil)
}

// backtestChart draws, per metric, how often the model's interval held
// the value observed next, against what a perfect model would reach.
func backtestChart(tr *oracle.TrackRecord) ([]byte, error) {
	if tr == nil || len(tr.Metrics) == 0 {
		return nil, errNoData
	}
	rows := make([]row, 0, len(tr.Metrics))
	for _, m := range tr.Metrics {
		if m.Windows <= 0 {
			continue
		}
		v := 100 * float64(m.Inside) / float64(m.Windows)
		rows = append(rows, row{name: fmt.Sprintf("%s (%d/%d)", m.Name, m.Inside, m.Windows), value: v, lo: v, hi: v, col: colBlue})
	}
	exp := 100 * tr.ExpectedCoverage
	return rowChart(fmt.Sprintf("Backtest: coverage over %d-day windows", tr.WindowDays), "windows whose outcome fell inside the interval, %", rows, &exp, "a perfect model's coverage", &[2]float64{-3, 103})
}
