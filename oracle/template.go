package oracle

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultChartFile is the chart file a proposal names when its ChartFile
// is empty.
const DefaultChartFile = "objectives.png"

// Template is the deterministic Drafter: it writes its own prose (see
// Prose) and composes the proposal with Compose, needs no network, and
// gives byte-identical output for equal Recommendations.
//
// ChartFile is the file name of the objectives chart (see Chart) that the
// post asks a steward to attach; it defaults to DefaultChartFile.
// Language is the ISO 639-1 code of the language the whole proposal is
// written in (one of Languages; English when empty or unknown).
type Template struct {
	ChartFile string
	Language  string
}

// Draft writes the proposal for rec: Compose(rec, t.Prose(rec), ...), with
// Meta.Drafter "template".
//
// It returns an error wrapping ErrInvalidRecommendation when rec has no
// Params or holds a NaN or infinite number (see Recommendation.Validate),
// and the context's error when ctx is already done. When rec.Change is
// false the proposal keeps every parameter at its value in force, whatever
// Params' Recommended say.
func (t Template) Draft(ctx context.Context, rec Recommendation) (Proposal, error) {
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return Proposal{}, fmt.Errorf("oracle: template draft: %w", err)
		}
	}
	if err := rec.Validate(); err != nil {
		return Proposal{}, err
	}
	p, err := Compose(rec, t.Prose(rec), ComposeOptions{ChartFile: t.ChartFile, Language: t.Language})
	if err != nil {
		return Proposal{}, err
	}
	p.Drafter = "template"
	p.Meta.Drafter = "template"
	// English is the default and goes unrecorded, as it always has.
	if lang := baseLanguage(t.Language); lang != "en" {
		p.Meta.Language = lang
	}
	return p, nil
}

// num3 formats x with three significant digits.
func num3(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

// formatPoints formats an absolute difference of two shares in
// percentage points, signed.
func formatPoints(x float64) string {
	return fmt.Sprintf("%+.1f pp", x*100)
}

// joinAnd joins items as "a", "a and b" or "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// sentence trims s to one line and ends it with a full stop.
func sentence(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}

// oneLine collapses whitespace so text cannot break a table or a list
// (no-break spaces stay), and escapes the pipes that would split a table
// cell.
func oneLine(s string) string {
	s = collapseSpace(s)
	return strings.ReplaceAll(s, "|", `\|`)
}

// code writes s as inline code safe in a table cell.
func code(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "—"
	}
	s = strings.ReplaceAll(s, "|", `\|`)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func orUnknown(s string) string {
	if s = oneLine(s); s == "" {
		return "not recorded"
	}
	return s
}

// date writes t as YYYY-MM-DD in UTC, or "unknown" for the zero time.
func date(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02")
}

// tolerance writes a relative tolerance as a percentage ("10.0%").
func tolerance(tol float64) string {
	return strconv.FormatFloat(tol*100, 'f', 1, 64) + "%"
}
