package oracle

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// MaxChartPanels is the largest number of objectives Chart draws; beyond
// it the image would be too tall to read.
const MaxChartPanels = 40

// Chart geometry, in pixels at chartDPI.
const (
	chartDPI        = 96
	chartWidthPx    = 800
	chartBasePx     = 200 // header, margins and the first panel's slack
	chartPanelPx    = 150 // per objective
	chartHeaderPx   = 64
	pxToPt          = 72.0 / chartDPI
	chartYCurrent   = 1.0
	chartYProposed  = 0.0
	chartYMin       = -0.7
	chartYMax       = 1.7
	chartPadFrac    = 0.08
	chartGlyphPt    = 4
	chartBarWidthPt = 1.5
)

var (
	colorCurrent     = color.RGBA{R: 110, G: 110, B: 110, A: 255}
	colorRecommended = color.RGBA{R: 0, G: 114, B: 178, A: 255}
)

// Chart renders rec.Effects as a PNG: one panel per objective, in order,
// each showing the mean under the current and the recommended parameters
// with their confidence intervals as error bars, on the objective's own
// scale (shares and fractions of supply in percent).
//
// The image is 800 pixels wide and 200+150·len(rec.Effects) pixels tall.
// Equal Recommendations give byte-identical PNGs. Chart returns an error
// wrapping ErrInvalidRecommendation when Effects is empty, longer than
// MaxChartPanels, or holds a NaN or infinite mean or bound.
func Chart(rec Recommendation) ([]byte, error) {
	return chart(rec, func(w, h vg.Length) vg.CanvasWriterTo {
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(chartDPI), vgimg.UseBackgroundColor(color.White))
		return vgimg.PngCanvas{Canvas: c}
	})
}

// ChartSVG is Chart drawn as SVG, for a page that shows the chart: the
// same panels, 600 by 150+112.5·len(rec.Effects) points, with a white
// background. Equal Recommendations give identical bytes.
func ChartSVG(rec Recommendation) ([]byte, error) {
	return chart(rec, func(w, h vg.Length) vg.CanvasWriterTo { return WhiteSVG(w, h) })
}

// WhiteSVG is a w×h point SVG canvas painted white, the background every
// SVG chart attune draws has (vgsvg's own is transparent).
func WhiteSVG(w, h vg.Length) *vgsvg.Canvas {
	c := vgsvg.New(w, h)
	c.SetColor(color.White)
	var bg vg.Path
	bg.Move(vg.Point{})
	bg.Line(vg.Point{X: w})
	bg.Line(vg.Point{X: w, Y: h})
	bg.Line(vg.Point{Y: h})
	bg.Close()
	c.Fill(bg)
	return c
}

// chart draws the chart of Chart on the canvas newCanvas makes.
func chart(rec Recommendation, newCanvas func(w, h vg.Length) vg.CanvasWriterTo) (out []byte, err error) {
	n := len(rec.Effects)
	if n == 0 {
		return nil, fmt.Errorf("%w: Effects is empty, nothing to chart", ErrInvalidRecommendation)
	}
	if n > MaxChartPanels {
		return nil, fmt.Errorf("%w: %d Effects, at most %d fit a chart", ErrInvalidRecommendation, n, MaxChartPanels)
	}
	var c finiteChecker
	for i, e := range rec.Effects {
		f := fmt.Sprintf("Effects[%d]", i)
		c.estimate(f+".Current", e.Current)
		c.estimate(f+".Recommended", e.Recommended)
		c.estimate(f+".Difference", e.Difference)
	}
	if c.err != nil {
		return nil, c.err
	}
	// gonum/plot reports some degenerate inputs by panicking; turn any
	// such panic into an error so that Chart never panics.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("oracle: chart: %v", r)
		}
	}()

	plots := make([][]*plot.Plot, n)
	var legendCur, legendRec *plotter.Scatter
	for i, e := range rec.Effects {
		p, cur, recd, err := effectPanel(e)
		if err != nil {
			return nil, fmt.Errorf("oracle: chart: Effects[%d] (%s): %w", i, e.Name, err)
		}
		plots[i] = []*plot.Plot{p}
		if i == 0 {
			legendCur, legendRec = cur, recd
		}
	}

	wPx, hPx := chartWidthPx, chartBasePx+chartPanelPx*n
	canvas := newCanvas(vg.Length(wPx)*pxToPt, vg.Length(hPx)*pxToPt)
	dc := draw.New(canvas)
	headerH := vg.Length(chartHeaderPx) * pxToPt
	drawHeader(draw.Crop(dc, 0, 0, dc.Max.Y-dc.Min.Y-headerH, 0), rec, legendCur, legendRec)

	body := draw.Crop(dc, 0, 0, 0, -headerH)
	tiles := draw.Tiles{
		Rows: n, Cols: 1,
		PadTop: 4, PadBottom: 8, PadLeft: 8, PadRight: 16, PadY: 14,
	}
	canvases := plot.Align(plots, tiles, body)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}

	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("oracle: chart: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// effectPanel builds one objective's panel and returns the two scatters
// for the legend.
func effectPanel(e Effect) (*plot.Plot, *plotter.Scatter, *plotter.Scatter, error) {
	scale, axis := chartAxis(e.Unit)
	p := plot.New()
	p.Title.Text = panelTitle(e)
	p.Title.TextStyle.Font.Size = 11
	p.Title.Padding = 4
	p.X.Label.Text = axis
	p.X.Label.TextStyle.Font.Size = 10
	p.X.Tick.Label.Font.Size = 9
	p.Y.Tick.Label.Font.Size = 10
	p.NominalY("recommended", "current")

	cur, curBars, err := estimateSeries(e.Current, scale, chartYCurrent, colorCurrent, draw.CircleGlyph{})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("current: %w", err)
	}
	recd, recBars, err := estimateSeries(e.Recommended, scale, chartYProposed, colorRecommended, draw.BoxGlyph{})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("recommended: %w", err)
	}
	ref, err := plotter.NewLine(plotter.XYs{
		{X: e.Current.Mean * scale, Y: chartYMin},
		{X: e.Current.Mean * scale, Y: chartYMax},
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reference line: %w", err)
	}
	ref.LineStyle.Color = color.RGBA{R: 190, G: 190, B: 190, A: 255}
	ref.LineStyle.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(plotter.NewGrid(), ref, curBars, recBars, cur, recd)

	lo, hi := chartRange(e, scale)
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = chartYMin, chartYMax
	return p, cur, recd, nil
}

// estimateSeries draws an Estimate as a glyph at its mean with horizontal
// error bars spanning its interval.
func estimateSeries(est Estimate, scale, y float64, c color.Color, g draw.GlyphDrawer) (*plotter.Scatter, *plotter.XErrorBars, error) {
	mean := est.Mean * scale
	xy := plotter.XYs{{X: mean, Y: y}}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, nil, err
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Shape = g
	s.GlyphStyle.Radius = vg.Points(chartGlyphPt)
	// An interval that does not contain its mean is drawn up to the mean.
	low := math.Max(0, mean-est.CI.Lo*scale)
	high := math.Max(0, est.CI.Hi*scale-mean)
	bars, err := plotter.NewXErrorBars(errorPoints{XYs: xy, XErrors: plotter.XErrors{{Low: low, High: high}}})
	if err != nil {
		return nil, nil, err
	}
	bars.LineStyle.Color = c
	bars.LineStyle.Width = vg.Points(chartBarWidthPt)
	bars.CapWidth = vg.Points(8)
	return s, bars, nil
}

// errorPoints pairs points with their horizontal errors.
type errorPoints struct {
	plotter.XYs
	plotter.XErrors
}

// chartRange returns the x range that shows both intervals, padded; a
// range of zero width is widened so the axis can be drawn.
func chartRange(e Effect, scale float64) (lo, hi float64) {
	vals := []float64{
		e.Current.Mean, e.Current.CI.Lo, e.Current.CI.Hi,
		e.Recommended.Mean, e.Recommended.CI.Lo, e.Recommended.CI.Hi,
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo = math.Min(lo, v*scale)
		hi = math.Max(hi, v*scale)
	}
	span := hi - lo
	if span == 0 || math.IsInf(span, 0) || math.IsNaN(span) {
		pad := math.Abs(hi) * 0.05
		if pad == 0 || math.IsInf(pad, 0) {
			pad = 1
		}
		return lo - pad, hi + pad
	}
	return lo - span*chartPadFrac, hi + span*chartPadFrac
}

// chartAxis returns the factor that puts a unit on the chart's axis and
// the axis label.
func chartAxis(unit string) (float64, string) {
	switch unit {
	case "fraction of supply":
		return 100, "% of supply"
	case "share":
		return 100, "%"
	case "":
		return 1, "value"
	}
	return 1, unit
}

// panelTitle names the objective, which way is better, and the verdict.
func panelTitle(e Effect) string {
	t := e.Name
	switch e.Better {
	case "maximize":
		t += " (higher is better)"
	case "minimize":
		t += " (lower is better)"
	}
	return t + ": " + e.Verdict()
}

// HeaderStyles are the text styles of a chart's title and subtitle, shared
// by attune's charts: the title black at 14 pt, the subtitle grey at 10 pt,
// both aligned to the top left.
func HeaderStyles() (title, sub text.Style) {
	title = text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, 14),
		XAlign:  draw.XLeft,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
	sub = title
	sub.Font = font.From(plot.DefaultFont, 10)
	sub.Color = color.RGBA{R: 70, G: 70, B: 70, A: 255}
	return title, sub
}

// drawHeader writes the chart title, a subtitle on the intervals and the
// legend into the header canvas c.
func drawHeader(c draw.Canvas, rec Recommendation, cur, recd *plotter.Scatter) {
	title, sub := HeaderStyles()

	x := c.Min.X + 8
	y := c.Max.Y - 8
	heading := "Objectives under current and recommended parameters"
	if rec.DAO != "" {
		heading = rec.DAO + ": " + heading
	}
	c.FillText(title, vg.Point{X: x, Y: y}, heading)

	level := "confidence"
	for _, e := range rec.Effects {
		if e.Current.CI.Level > 0 && e.Current.CI.Level < 1 {
			level = fmt.Sprintf("%g%%", math.Round(e.Current.CI.Level*1000)/10)
			break
		}
	}
	subtitle := fmt.Sprintf("Mean with %s interval", level)
	if rec.Method.Validation > 0 {
		subtitle += fmt.Sprintf(" over %d validation replications", rec.Method.Validation)
	}
	subtitle += "; dashed line: current mean"
	if rec.CycleID != "" {
		subtitle += "; cycle " + rec.CycleID
	}
	c.FillText(sub, vg.Point{X: x, Y: y - title.Height(heading) - 4}, subtitle)

	l := plot.NewLegend()
	l.TextStyle.Font.Size = 10
	l.Top = true
	l.Left = false
	l.Padding = 2
	l.Add("current", cur)
	l.Add("recommended", recd)
	l.Draw(draw.Crop(c, 0, -12, 0, -6))
}
