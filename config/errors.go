package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Places that are not the user's config file, used as Problem.File.
const (
	// EmbeddedDefault names the embedded default configuration
	// (configs/default.yaml) as the place a value came from.
	EmbeddedDefault = "(embedded default)"
	// CommandLine names a value set by a command-line flag
	// (LoadOptions.Overrides).
	CommandLine = "(command line)"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Key is the dotted path of the offending setting, e.g.
	// "search.quorum.min" or "objectives[1].weight"; empty when the
	// problem concerns the file as a whole (e.g. a YAML syntax error).
	Key string
	// Line is the line of Key in File, or 0 when unknown.
	Line int
	// Msg says what is wrong and what to do; it starts with the key
	// when that helps to read it.
	Msg string
	// File is where the setting came from: the config file, an
	// environment variable ("env ATTUNE_OPTIMIZER_TRIALS"), CommandLine or
	// EmbeddedDefault. Empty means the Error's File.
	File string
}

// where renders the problem's place, "my.yaml:12", "env ATTUNE_X" or "".
func (p Problem) where(file string) string {
	if p.File != "" {
		file = p.File
	}
	if file == "" {
		return ""
	}
	if p.Line > 0 {
		return file + ":" + strconv.Itoa(p.Line)
	}
	return file
}

// MaxListed bounds the problems Error's message lists; Problems holds
// them all.
const MaxListed = 50

// Error reports every problem found in a configuration. It wraps ErrInvalid.
type Error struct {
	// File is the user's config file, or "" when there was none.
	File string
	// Problems lists what is wrong, in the order found.
	Problems []Problem
}

// Error lists the problems, one a line after the first, each with its
// file:line when known.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config")
	switch len(e.Problems) {
	case 0:
		if e.File != "" {
			b.WriteString(" " + e.File)
		}
		b.WriteString(": invalid")
	case 1:
		p := e.Problems[0]
		if w := p.where(e.File); w != "" {
			b.WriteString(" " + w)
		}
		b.WriteString(": " + p.Msg)
	default:
		if e.File != "" {
			b.WriteString(" " + e.File)
		}
		fmt.Fprintf(&b, ": %d problems:", len(e.Problems))
		for i, p := range e.Problems {
			if i == MaxListed {
				fmt.Fprintf(&b, "\n  ... and %d more; fix these first", len(e.Problems)-MaxListed)
				break
			}
			b.WriteString("\n  ")
			if w := p.where(e.File); w != "" {
				b.WriteString(w + ": ")
			}
			b.WriteString(p.Msg)
		}
	}
	return b.String()
}

// Unwrap returns ErrInvalid, so that errors.Is(err, ErrInvalid) holds.
func (e *Error) Unwrap() error { return ErrInvalid }

// problems collects Problems while a configuration is read or checked.
type problems struct {
	list []Problem
}

func (ps *problems) add(p Problem) { ps.list = append(ps.list, p) }

// errorOrNil returns an *Error holding the problems, or nil if there are none.
func (ps *problems) errorOrNil(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	return &Error{File: file, Problems: ps.list}
}
