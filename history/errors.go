package history

import (
	"fmt"
	"strings"
)

// DecodeError reports input that could not be read as a history at all:
// malformed JSON, a value of the wrong type, an unknown field or input that
// is too large. It names the place in the input and wraps ErrInvalid.
type DecodeError struct {
	Source string // where the input came from, if known
	Line   int    // 1-based line of the problem; 0 if not known
	Column int    // 1-based column (in characters) of the problem; 0 if not known
	Field  string // path of the field in the JSON, e.g. proposals[3].for; "" if none
	Msg    string // what is wrong and what is allowed
}

// Error formats the error as
// history SOURCE: line L, column C: field "PATH": MESSAGE.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString(prefix(e.Source))
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *DecodeError) Unwrap() error { return ErrInvalid }

// Problem is one thing wrong with a history.
type Problem struct {
	// Where names the record: proposals[3] (id "43") for JSON,
	// proposals.csv:5 (id "43") for CSV, "" for the history as a whole.
	Where string
	// Field names the field of that record (its JSON name, or a CSV column
	// or meta.csv key), "" if the problem concerns the whole record.
	Field string
	// Msg says what is wrong and what is allowed.
	Msg string
}

// Error formats the problem as WHERE: FIELD MESSAGE.
func (p Problem) Error() string {
	var b strings.Builder
	if p.Where != "" {
		b.WriteString(p.Where)
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(" ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// maxListed bounds the problems ValidationError.Error lists; all of them
// stay in Problems.
const maxListed = 100

// ValidationError lists every problem found in a history, so that all of
// them can be fixed at once. It wraps ErrInvalid.
type ValidationError struct {
	Source   string // where the history came from, if known
	Problems []Problem
}

// Error lists the problems, one a line after the first when there are
// several (at most 100; the count of the others follows).
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(prefix(e.Source))
	switch len(e.Problems) {
	case 0:
		b.WriteString("invalid (no problem recorded)")
		return b.String()
	case 1:
		b.WriteString(e.Problems[0].Error())
		return b.String()
	}
	fmt.Fprintf(&b, "%d problems:", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxListed)
			break
		}
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func prefix(source string) string {
	if source == "" {
		return "history: "
	}
	return "history " + source + ": "
}

// problem is a Problem before it is placed: sec is the section ("" for the
// top level, "proposals", "votes", "supply", "params", "holders") and idx
// the record's index in it (-1 for none). Placing it names the record in
// the terms of the input (a JSON path or a CSV file and line).
type problem struct {
	sec   string
	idx   int
	field string
	msg   string
}

// locator names a record for a reader: where it is and, possibly renamed,
// the field.
type locator func(sec string, idx int, field string) (where, fieldName string)

// jsonLocator names records by their JSON path: proposals[3].
func jsonLocator(sec string, idx int, field string) (string, string) {
	if idx < 0 {
		return sec, field
	}
	return fmt.Sprintf("%s[%d]", sec, idx), field
}

// place turns problems into Problems, naming each record with loc and, when
// the history has it, the record's identity (id, proposal and voter, ...).
func place(h *History, ps []problem, loc locator) []Problem {
	out := make([]Problem, 0, len(ps))
	for _, p := range ps {
		where, field := loc(p.sec, p.idx, p.field)
		if h != nil {
			where += identity(h, p.sec, p.idx)
		}
		out = append(out, Problem{Where: where, Field: field, Msg: p.msg})
	}
	return out
}

// identity returns " (id \"43\")" and the like for a record, or "".
func identity(h *History, sec string, idx int) string {
	switch sec {
	case "proposals":
		if idx >= 0 && idx < len(h.Proposals) && h.Proposals[idx].ID != "" {
			return fmt.Sprintf(" (id %q)", clip(h.Proposals[idx].ID))
		}
	case "votes":
		if idx >= 0 && idx < len(h.Votes) {
			v := h.Votes[idx]
			return fmt.Sprintf(" (proposal %q, voter %q)", clip(v.Proposal), clip(v.Voter))
		}
	case "params":
		if idx >= 0 && idx < len(h.Params) && h.Params[idx].Name != "" {
			return fmt.Sprintf(" (name %q)", clip(h.Params[idx].Name))
		}
	}
	return ""
}
