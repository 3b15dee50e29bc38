package backtest

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/attune-dao/attune/metrics"
	"github.com/attune-dao/attune/oracle"
)

// ErrNothingToChart is returned by Chart when no window was evaluated.
var ErrNothingToChart = errors.New("backtest: no evaluated window to chart")

// Chart geometry, in pixels at chartDPI.
const (
	chartDPI      = 96
	chartWidthPx  = 800
	chartHeaderPx = 64
	chartPanelPx  = 230
	chartFootPx   = 24
	pxToPt        = 72.0 / chartDPI
)

var (
	colorPredicted = color.RGBA{R: 0, G: 114, B: 178, A: 255}
	colorRealised  = color.RGBA{R: 213, G: 94, B: 0, A: 255}
	colorMiss      = color.RGBA{R: 200, G: 0, B: 0, A: 255}
)

// Chart renders the report's windows as a PNG: one panel per metric of
// Metrics that was predicted, windows oldest first along the x axis
// (labelled by the predicted window's dates), the predicted mean with its
// 90% predictive interval as error bars and the realised value beside it
// (filled when inside the interval, a cross when outside). Rates and
// turnout are drawn in percent. Equal reports give byte-identical PNGs.
func Chart(r *Report) (out []byte, err error) {
	type series struct {
		name  string
		preds []Prediction
		cov   Coverage
	}
	var panels []series
	var labels []string
	var evaluated []WindowResult
	for i := len(r.Windows) - 1; i >= 0; i-- { // oldest first
		if w := r.Windows[i]; len(w.Predictions) > 0 {
			evaluated = append(evaluated, w)
			labels = append(labels, fmt.Sprintf("pair %d\n%s\n–%s", w.Pair, w.Next.Start.Format(time.DateOnly), w.Next.End.Format(time.DateOnly)))
		}
	}
	if len(evaluated) == 0 {
		return nil, ErrNothingToChart
	}
	for _, name := range r.Metrics {
		s := series{name: name}
		for _, c := range r.Coverage {
			if c.Metric == name {
				s.cov = c
			}
		}
		found := false
		for _, w := range evaluated {
			p := Prediction{Metric: name, Mean: math.NaN()}
			for _, q := range w.Predictions {
				if q.Metric == name {
					p, found = q, true
				}
			}
			s.preds = append(s.preds, p)
		}
		if found {
			panels = append(panels, s)
		}
	}
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("backtest: chart: %v", v)
		}
	}()
	plots := make([][]*plot.Plot, len(panels))
	var legendPred, legendIn, legendOut plot.Thumbnailer
	for i, s := range panels {
		p := plot.New()
		title := s.name
		if s.cov.Coverage != nil {
			title += fmt.Sprintf(": %d of %d realised values inside", s.cov.Inside, s.cov.Windows)
		}
		p.Title.Text = title
		p.Title.TextStyle.Font.Size = 11
		p.Y.Label.Text = "% of proposals"
		if s.name == metrics.TurnoutPower {
			p.Y.Label.Text = "% of supply"
		}
		p.Y.Label.TextStyle.Font.Size = 10
		p.Y.Tick.Label.Font.Size = 9
		p.X.Tick.Label.Font.Size = 8
		p.NominalX(labels...)
		var pred, in, miss plotter.XYs
		var bars plotter.XYs
		var errs plotter.YErrors
		lo, hi := math.Inf(1), math.Inf(-1)
		for j, q := range s.preds {
			if math.IsNaN(q.Mean) {
				continue
			}
			x := float64(j)
			pred = append(pred, plotter.XY{X: x - 0.08, Y: 100 * q.Mean})
			bars = append(bars, plotter.XY{X: x - 0.08, Y: 100 * q.Mean})
			errs = append(errs, struct{ Low, High float64 }{100 * (q.Mean - math.Min(q.Lo, q.Mean)), 100 * (math.Max(q.Hi, q.Mean) - q.Mean)})
			pt := plotter.XY{X: x + 0.08, Y: 100 * q.Realised}
			if q.Inside {
				in = append(in, pt)
			} else {
				miss = append(miss, pt)
			}
			lo = math.Min(lo, 100*math.Min(q.Lo, q.Realised))
			hi = math.Max(hi, 100*math.Max(q.Hi, q.Realised))
		}
		p.Add(plotter.NewGrid())
		eb, err := plotter.NewYErrorBars(errorPoints{XYs: bars, YErrors: errs})
		if err != nil {
			return nil, fmt.Errorf("backtest: chart %s: %w", s.name, err)
		}
		eb.LineStyle.Color, eb.LineStyle.Width, eb.CapWidth = colorPredicted, vg.Points(1.5), vg.Points(8)
		p.Add(eb)
		sc, err := scatter(pred, colorPredicted, draw.CircleGlyph{})
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		legendPred = sc
		if len(in) > 0 {
			si, err := scatter(in, colorRealised, draw.BoxGlyph{})
			if err != nil {
				return nil, err
			}
			p.Add(si)
		}
		if len(miss) > 0 {
			so, err := scatter(miss, colorMiss, draw.CrossGlyph{})
			if err != nil {
				return nil, err
			}
			so.GlyphStyle.Radius = vg.Points(5)
			p.Add(so)
		}
		if legendIn == nil {
			legendIn, _ = scatter(plotter.XYs{{}}, colorRealised, draw.BoxGlyph{})
			so, _ := scatter(plotter.XYs{{}}, colorMiss, draw.CrossGlyph{})
			so.GlyphStyle.Radius = vg.Points(5)
			legendOut = so
		}
		pad := (hi - lo) * 0.12
		if pad == 0 {
			pad = math.Max(math.Abs(hi)*0.05, 0.5)
		}
		p.Y.Min, p.Y.Max = math.Max(0, lo-pad), hi+pad
		p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
		plots[i] = []*plot.Plot{p}
	}

	wPx, hPx := chartWidthPx, chartHeaderPx+chartFootPx+chartPanelPx*len(panels)
	canvas := vgimg.NewWith(
		vgimg.UseWH(vg.Length(wPx)*pxToPt, vg.Length(hPx)*pxToPt),
		vgimg.UseDPI(chartDPI),
		vgimg.UseBackgroundColor(color.White),
	)
	dc := draw.New(canvas)
	headerH := vg.Length(chartHeaderPx) * pxToPt
	header := draw.Crop(dc, 0, 0, dc.Max.Y-dc.Min.Y-headerH, 0)
	drawHeader(header, r, legendPred, legendIn, legendOut)
	body := draw.Crop(dc, 0, 0, vg.Length(chartFootPx)*pxToPt, -headerH)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: 4, PadBottom: 8, PadLeft: 8, PadRight: 16, PadY: 14}
	canvases := plot.Align(plots, tiles, body)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("backtest: chart: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

func scatter(xy plotter.XYs, c color.Color, g draw.GlyphDrawer) (*plotter.Scatter, error) {
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, fmt.Errorf("backtest: chart: %w", err)
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Shape = g
	s.GlyphStyle.Radius = vg.Points(4)
	return s, nil
}

// errorPoints pairs points with their vertical errors.
type errorPoints struct {
	plotter.XYs
	plotter.YErrors
}

// drawHeader writes the title, a subtitle and the legend.
func drawHeader(c draw.Canvas, r *Report, pred, in, out plot.Thumbnailer) {
	title, sub := oracle.HeaderStyles()
	x, y := c.Min.X+8, c.Max.Y-8
	heading := fmt.Sprintf("%s: backtest of %s, %d-day windows", r.DAO, r.Model, r.WindowDays)
	c.FillText(title, vg.Point{X: x, Y: y}, heading)
	subtitle := fmt.Sprintf("predicted mean with %g%% predictive interval (%d replications) vs realised; seed %d",
		math.Round(r.Level*1000)/10, r.Replications, r.Seed)
	c.FillText(sub, vg.Point{X: x, Y: y - title.Height(heading) - 4}, subtitle)
	l := plot.NewLegend()
	l.TextStyle.Font.Size = 10
	l.Top, l.Left, l.Padding = true, false, 2
	l.Add("predicted", pred)
	l.Add("realised, inside", in)
	l.Add("realised, outside", out)
	l.Draw(draw.Crop(c, 0, -12, 0, -6))
}
