package oracle

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

// pngStub is a byte string standing in for a chart; HTML does not decode it.
var pngStub = []byte("\x89PNG\r\n\x1a\nchart bytes")

func TestHTMLStructure(t *testing.T) {
	p := draftOK(t, bravoFixture())
	page, err := HTML(p, pngStub)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if !strings.HasPrefix(s, "<!DOCTYPE html>\n<html lang=\"en\">") || !strings.HasSuffix(s, "</html>\n") {
		t.Errorf("not a whole HTML5 page:\n%.200s", s)
	}
	for _, want := range []string{
		"<title>" + htmlEscape(p.Title) + "</title>",
		"<style>", "@media print",
		"<h1 id=\"post-", "<h2 id=\"appendix-appendix\">Appendix</h2>",
		"<table>", "<th style=\"text-align:right\">Current</th>",
		"<code>_setVotingPeriod(64800)</code>",
		`<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(pngStub) + `"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The post comes before the appendix, and the chart is in the post.
	post, appendix := strings.Index(s, `<article class="post">`), strings.Index(s, `<section class="appendix">`)
	img := strings.Index(s, "<img ")
	if post < 0 || appendix < post || img < post || img > appendix {
		t.Errorf("post at %d, appendix at %d, chart at %d: want the post, its chart, then the appendix", post, appendix, img)
	}
	if n := strings.Count(s, "<img "); n != 1 {
		t.Errorf("%d images; want the chart once", n)
	}
	// Every table row of the post's Markdown table is a row of the page.
	rows := tableRows(t, p.Post, "| Parameter | Current | Recommended |")
	if got := strings.Count(s[post:appendix], "<tr>"); got != len(rows)+1 {
		t.Errorf("%d rows in the post's HTML table; want %d and a header", got, len(rows))
	}
	// Heading ids are unique.
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(s, -1) {
		if seen[m[1]] {
			t.Errorf("id %q appears twice", m[1])
		}
		seen[m[1]] = true
	}
	again, _ := HTML(p, pngStub)
	if !bytes.Equal(page, again) {
		t.Error("two renderings of the same proposal differ")
	}
}

func TestHTMLWithoutChart(t *testing.T) {
	p := draftOK(t, noChangeFixture())
	page, err := HTML(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if strings.Contains(s, "<img") || strings.Contains(s, "data:") {
		t.Error("a page without a chart has an image")
	}
	if !strings.Contains(s, "<code>"+DefaultChartFile+"</code>") || !strings.HasSuffix(s, "</html>\n") {
		t.Error("the page without a chart does not name the chart file or is not whole")
	}
}

func TestHTMLChartImage(t *testing.T) {
	p := Proposal{Title: "T", Post: "# T\n\n![the chart](" + DefaultChartFile + ")\n\nChart: `" + DefaultChartFile + "`.\n"}
	s := string(mustHTML(t, p, pngStub))
	if n := strings.Count(s, "data:image/png;base64,"); n != 1 {
		t.Errorf("%d inlined charts; want the image pointed at the chart and no second figure:\n%s", n, s)
	}
	if !strings.Contains(s, `alt="the chart"`) {
		t.Errorf("the image lost its alt text:\n%s", s)
	}
}

// TestHTMLNoRawHTML checks that markup and dangerous links in a drafter's
// prose reach the page as text, never as markup.
func TestHTMLNoRawHTML(t *testing.T) {
	rec := bravoFixture()
	prose := Template{}.Prose(rec)
	prose.Opening = `We propose <script>alert("x")</script> a change <img src=x onerror=alert(1)> [click](javascript:alert(1)).`
	prose.Motivation = "<div onclick=\"steal()\">\nblock html\n</div>"
	prose.Title = `Title </title><script>alert(2)</script>`
	p, err := Compose(rec, prose, ComposeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(mustHTML(t, p, nil))
	for _, bad := range []string{"<script", "<img src=x", "javascript:", "<div onclick", "</title><"} {
		if strings.Contains(s, bad) {
			t.Errorf("the page carries %q from the prose", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;", "&lt;div onclick="} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks the escaped %q", want)
		}
	}
}

func TestHTMLLang(t *testing.T) {
	for lang, want := range map[string]string{"": "en", "es": "es", "pt-BR": "pt-BR", `en" onload="x`: "en"} {
		p := Proposal{Title: "T", Post: "# T\n", Meta: DraftMeta{Language: lang}}
		if s := string(mustHTML(t, p, nil)); !strings.Contains(s, `<html lang="`+want+`">`) {
			t.Errorf("language %q: want lang %q in %.80s", lang, want, s)
		}
	}
}

func mustHTML(t *testing.T, p Proposal, chart []byte) []byte {
	t.Helper()
	page, err := HTML(p, chart)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// The page of a German proposal has German around the proposal's own
// text: the chart's caption and alternative text, and the fallback title.
func TestHTMLInTheProposalsLanguage(t *testing.T) {
	p, err := Template{Language: "de"}.Draft(t.Context(), fixture())
	if err != nil {
		t.Fatal(err)
	}
	s := string(mustHTML(t, p, pngStub))
	for _, want := range []string{`<html lang="de">`, `alt="Ziele unter den geltenden Einstellungen und unter der Empfehlung"`,
		"<figcaption>objectives.png: jedes Ziel unter den geltenden Einstellungen und unter der Empfehlung.</figcaption>", ">Anhang</h2>"} {
		if !strings.Contains(s, want) {
			t.Errorf("the German page lacks %q", want)
		}
	}
	p.Title = ""
	if s := string(mustHTML(t, p, nil)); !strings.Contains(s, "<title>Vorschlag</title>") {
		t.Errorf("the German page's fallback title is not German")
	}
}

// HTMLParts gives the same post and appendix HTML as the page, without
// the page around them, and escapes raw HTML as the page does.
func TestHTMLParts(t *testing.T) {
	p := draftOK(t, bravoFixture())
	post, appendix, err := HTMLParts(p)
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ReplaceAll(string(mustHTML(t, p, nil)), ` style="text-align:right"`, ` align="right"`)
	if bytes.Contains(post, []byte("style=")) || !bytes.Contains(post, []byte(`<th align="right">Current</th>`)) {
		t.Error("the fragment's table cells are not aligned by attribute")
	}
	if len(post) == 0 || len(appendix) == 0 {
		t.Fatalf("empty part: post %d bytes, appendix %d bytes", len(post), len(appendix))
	}
	if !strings.Contains(page, "<article class=\"post\">\n"+string(post)+"</article>") {
		t.Error("the post fragment is not the page's post")
	}
	if !strings.Contains(page, "<section class=\"appendix\">\n"+string(appendix)+"</section>") {
		t.Error("the appendix fragment is not the page's appendix")
	}
	for _, part := range [][]byte{post, appendix} {
		if bytes.Contains(part, []byte("<html")) || bytes.Contains(part, []byte("<style")) {
			t.Errorf("a fragment carries page markup: %.100s", part)
		}
	}
	bad := Proposal{Post: "# T\n\n<script>alert(1)</script>\n"}
	post, appendix, err = HTMLParts(bad)
	if err != nil || bytes.Contains(post, []byte("<script")) || appendix != nil {
		t.Errorf("raw HTML reached the fragment, or an appendix appeared: %q %q %v", post, appendix, err)
	}
}
