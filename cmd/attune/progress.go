package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/attune-dao/attune/optimizer"
)

// terminal shows a command's progress on a terminal: one line per stage
// (reading data, calibrating, searching, validating, drafting...) with the
// time since the command started, and below it a status line that the
// search rewrites in place. Both come through here so that a stage line
// never lands in the middle of the status line.
type terminal struct {
	mu     sync.Mutex
	w      io.Writer
	start  time.Time
	now    func() time.Time
	status bool // a status line is showing
}

func newTerminal(w io.Writer, now func() time.Time) *terminal {
	return &terminal{w: w, start: now(), now: now}
}

// term returns the app's terminal display, made on first use.
func (a *app) term() *terminal {
	if a.terminal == nil {
		a.terminal = newTerminal(a.stderr, time.Now)
	}
	return a.terminal
}

// line prints one stage line, clearing the status line first.
func (t *terminal) line(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status {
		fmt.Fprint(t.w, "\r\033[K")
		t.status = false
	}
	fmt.Fprintf(t.w, "%6.1fs  %s\n", t.now().Sub(t.start).Seconds(), s)
}

// setStatus replaces the status line.
func (t *terminal) setStatus(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "\r\033[K%s", s)
	t.status = true
}

// endStatus ends the status line, leaving its last text in place.
func (t *terminal) endStatus() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status {
		fmt.Fprintln(t.w)
		t.status = false
	}
}

// stageHandler is the slog handler on a terminal: an info record is a
// stage line ("calibrating model=tokenvote"), a warning or an error a
// line of its own marked as such; debug records are dropped.
type stageHandler struct {
	t     *terminal
	attrs []slog.Attr
}

func (h *stageHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *stageHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString("error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString("warning: ")
	}
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		if a.Equal(slog.Attr{}) {
			return true
		}
		v := a.Value.Resolve()
		s := v.String()
		if v.Kind() == slog.KindFloat64 {
			s = num(v.Float64())
		}
		fmt.Fprintf(&b, "  %s=%s", a.Key, s)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	h.t.line(b.String())
	return nil
}

func (h *stageHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &stageHandler{t: h.t, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

// WithGroup keeps a group's attributes flat: stage lines are for reading.
func (h *stageHandler) WithGroup(string) slog.Handler { return h }

// progressLine shows a search's progress as the terminal's status line.
type progressLine struct {
	t *terminal // nil: not a terminal, nothing shown
}

func (a *app) progress() *progressLine {
	if !a.interactive() {
		return &progressLine{}
	}
	return &progressLine{t: a.term()}
}

// update shows trials done, the best search score so far (before the
// finalists' re-evaluation, which the summary reports) and the search's
// remaining time at the measured cost per trial; the stages after the
// search are not in it, and the line says so.
func (p *progressLine) update(pr optimizer.Progress) {
	if p.t == nil {
		return
	}
	p.t.setStatus(statusText(pr))
}

func statusText(pr optimizer.Progress) string {
	s := fmt.Sprintf("searching: trials %d/%d  best search score %s (trial %d)  elapsed %s",
		pr.Done, pr.Total, num(pr.Best.Eval.Value), pr.Best.Number, pr.Elapsed.Round(100*time.Millisecond))
	if pr.Done > 0 && pr.Done < pr.Total {
		per := pr.Elapsed / time.Duration(pr.Done)
		s += fmt.Sprintf("  search eta %s (%s per trial; validation follows)", pr.ETA().Round(100*time.Millisecond), per.Round(time.Millisecond))
	}
	return s
}

func (p *progressLine) done() {
	if p.t != nil {
		p.t.endStatus()
	}
}
