package oracle

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// HTML renders p as one standalone HTML5 page: the title, a small inline
// stylesheet that reads on screen and in print, the post and then the
// appendix, from the proposal's Markdown (CommonMark with GFM tables,
// rendered by goldmark).
//
// Raw HTML in the Markdown never reaches the page: it is written out as
// escaped text, since the prose may come from an LLM that read untrusted
// governance text; links with a javascript:, vbscript:, file: or data:
// address are dropped by goldmark. When chartPNG is not empty, the chart
// is inlined as a data:image/png;base64 URI where the Markdown names the
// chart file (DefaultChartFile): an image whose address is that file
// takes the data URI, and the first paragraph that names the file in a
// code span is followed by the chart as a figure. Without a chart the page
// is whole and the file is only named.
//
// The same p and chartPNG give the same bytes.
func HTML(p Proposal, chartPNG []byte) ([]byte, error) {
	var chartURI string
	if len(chartPNG) > 0 {
		chartURI = "data:image/png;base64," + base64.StdEncoding.EncodeToString(chartPNG)
	}
	post, appendix := p.Post, p.Appendix
	if post == "" && appendix == "" {
		post = p.Markdown
	}
	l := localeFor(p.Meta.Language)
	r := &htmlRenderer{chartURI: chartURI, l: l}
	var b bytes.Buffer
	title := oneLine(p.Title)
	if title == "" {
		title = l.msg("html.title")
	}
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", htmlLang(p.Meta.Language))
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<meta name=\"generator\" content=\"attune (%s)\">\n", html.EscapeString(orUnknown(oneLine(p.Drafter))))
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", html.EscapeString(title), pageStyle)
	b.WriteString("<main>\n<article class=\"post\">\n")
	if err := r.render(&b, post, "post-"); err != nil {
		return nil, fmt.Errorf("render the proposal's post as HTML: %w", err)
	}
	b.WriteString("</article>\n")
	if strings.TrimSpace(appendix) != "" {
		b.WriteString("<section class=\"appendix\">\n")
		if err := r.render(&b, appendix, "appendix-"); err != nil {
			return nil, fmt.Errorf("render the proposal's appendix as HTML: %w", err)
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	return b.Bytes(), nil
}

// HTMLParts renders p's post and appendix as HTML fragments for another
// page to hold (the review desk), as HTML renders them: raw HTML in the
// Markdown written out as escaped text, unsafe links dropped, heading ids
// prefixed "post-" and "appendix-". The chart is named, not inlined.
// Either part is empty when p has none.
func HTMLParts(p Proposal) (post, appendix []byte, err error) {
	r := &htmlRenderer{l: localeFor(p.Meta.Language), alignAttr: true}
	var b bytes.Buffer
	if strings.TrimSpace(p.Post) != "" {
		if err := r.render(&b, p.Post, "post-"); err != nil {
			return nil, nil, fmt.Errorf("render the proposal's post as HTML: %w", err)
		}
		post = bytes.Clone(b.Bytes())
	}
	if strings.TrimSpace(p.Appendix) != "" {
		b.Reset()
		if err := r.render(&b, p.Appendix, "appendix-"); err != nil {
			return nil, nil, fmt.Errorf("render the proposal's appendix as HTML: %w", err)
		}
		appendix = bytes.Clone(b.Bytes())
	}
	return post, appendix, nil
}

// pageStyle is the page's stylesheet: a readable column on screen, tables
// that scroll rather than overflow, and print without the scrolling.
const pageStyle = `:root { color-scheme: light; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; background: #fff; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 1rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; margin: 1rem 0; display: block; overflow-x: auto; font-size: .92rem; }
th, td { border: 1px solid #c8c8c8; padding: .3rem .6rem; vertical-align: top; }
th { background: #f2f2f2; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f4f4f4; padding: 0 .2em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f4f4f4; padding: .75rem; overflow-x: auto; }
pre code { padding: 0; }
hr { border: 0; border-top: 1px solid #c8c8c8; margin: 2rem 0; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #555; }
.appendix { border-top: 2px solid #1b1b1b; margin-top: 2.5rem; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  table { display: table; overflow: visible; }
  tr, figure { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  .appendix { break-before: page; border-top: 0; }
  a { color: inherit; }
}
`

// htmlLang returns a language tag fit for the html element: lang when it
// is letters, digits and hyphens, "en" otherwise.
func htmlLang(lang string) string {
	if lang == "" || len(lang) > 35 {
		return "en"
	}
	for _, c := range lang {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "en"
		}
	}
	return lang
}

// htmlRenderer renders one proposal's Markdown with the chart inlined.
type htmlRenderer struct {
	chartURI string
	l        *locale // the language of the chart's caption
	placed   bool    // the chart figure has been placed
	// alignAttr aligns table cells with the align attribute instead of
	// an inline style.
	alignAttr bool
}

// render writes the HTML of one Markdown part; prefix keeps the heading
// ids of the post and the appendix apart.
func (r *htmlRenderer) render(w *bytes.Buffer, md, prefix string) error {
	src := []byte(md)
	var table goldmark.Extender = extension.Table
	if r.alignAttr {
		table = extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute))
	}
	gm := goldmark.New(
		goldmark.WithExtensions(table, extension.Strikethrough),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(escapeRawHTML{}, 100), util.Prioritized(chartRenderer{l: r.l}, 100)),
		),
	)
	ctx := parser.NewContext(parser.WithIDs(&prefixIDs{prefix: prefix, seen: map[string]int{}}))
	doc := gm.Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
	r.inlineChart(doc, src)
	return gm.Renderer().Render(w, src, doc)
}

// inlineChart points images of the chart file at the data URI and puts the
// chart, as a figure, after the first paragraph that names the file.
func (r *htmlRenderer) inlineChart(doc ast.Node, src []byte) {
	if r.chartURI == "" {
		return
	}
	var after ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			if string(n.Destination) == DefaultChartFile {
				n.Destination = []byte(r.chartURI)
				r.placed = true
			}
		case *ast.CodeSpan:
			if after == nil && !r.placed && codeSpanText(n, src) == DefaultChartFile {
				for p := n.Parent(); p != nil; p = p.Parent() {
					if p.Kind() == ast.KindParagraph {
						after = p
						break
					}
				}
			}
		}
		return ast.WalkContinue, nil
	})
	if after != nil && !r.placed {
		after.Parent().InsertAfter(after.Parent(), after, &chartFigure{uri: r.chartURI})
		r.placed = true
	}
}

// codeSpanText returns the text of a code span.
func codeSpanText(n *ast.CodeSpan, src []byte) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			b.Write(t.Segment.Value(src))
		}
	}
	return strings.TrimSpace(b.String())
}

// kindChartFigure is the AST kind of the inlined chart.
var kindChartFigure = ast.NewNodeKind("AttuneChartFigure")

// chartFigure is the chart inlined as a figure.
type chartFigure struct {
	ast.BaseBlock
	uri string
}

func (f *chartFigure) Kind() ast.NodeKind { return kindChartFigure }

func (f *chartFigure) Dump(source []byte, level int) { ast.DumpHelper(f, source, level, nil, nil) }

// chartRenderer writes a chartFigure, its text in l's language.
type chartRenderer struct{ l *locale }

func (c chartRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindChartFigure, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			fmt.Fprintf(w, "<figure class=\"chart\"><img src=\"%s\" alt=\"%s\"><figcaption>%s</figcaption></figure>\n",
				html.EscapeString(n.(*chartFigure).uri), html.EscapeString(c.l.msg("html.chart_alt")),
				html.EscapeString(c.l.f("html.chart_caption", "file", DefaultChartFile)))
		}
		return ast.WalkSkipChildren, nil
	})
}

// escapeRawHTML writes raw HTML (inline or a block) as escaped text, so
// that markup in a drafter's prose shows as what it is and never runs.
type escapeRawHTML struct{}

func (escapeRawHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := range segs.Len() {
				s := segs.At(i)
				_, _ = w.WriteString(html.EscapeString(string(s.Value(src))))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		_, _ = w.WriteString("<p>")
		lines := b.Lines()
		for i := range lines.Len() {
			s := lines.At(i)
			_, _ = w.WriteString(html.EscapeString(string(s.Value(src))))
		}
		if b.HasClosure() {
			_, _ = w.WriteString(html.EscapeString(string(b.ClosureLine.Value(src))))
		}
		_, _ = w.WriteString("</p>\n")
		return ast.WalkSkipChildren, nil
	})
}

// prefixIDs gives headings ids prefixed by the part they are in, made
// unique by a counter, so that the post's and the appendix's headings
// never share an id.
type prefixIDs struct {
	prefix string
	seen   map[string]int
}

func (p *prefixIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(string(value)) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	id := p.prefix + strings.TrimSuffix(b.String(), "-")
	if n := p.seen[id]; n > 0 {
		p.seen[id] = n + 1
		id = fmt.Sprintf("%s-%d", id, n)
	} else {
		p.seen[id] = 1
	}
	return []byte(id)
}

func (p *prefixIDs) Put(value []byte) { p.seen[string(value)]++ }
