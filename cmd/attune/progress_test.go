package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/attune-dao/attune/optimizer"
)

// On a terminal every stage is a line with the time since the start, a
// warning is marked, and a stage line first clears the search's status
// line rather than landing in it.
func TestTerminalShowsEachStage(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	term := newTerminal(&out, now)
	log := slog.New(&stageHandler{t: term})
	clock = clock.Add(1500 * time.Millisecond)
	log.Info("calibrating", "model", "tokenvote")
	p := &progressLine{t: term}
	p.update(optimizer.Progress{Done: 10, Total: 40, Elapsed: 2 * time.Second})
	log.Warn("poor fit", "error", 0.123456)
	p.done()
	log.Debug("hidden")
	got := out.String()
	for _, want := range []string{
		"   1.5s  calibrating  model=tokenvote\n",
		"\r\033[Ksearching: trials 10/40",
		"search eta 6s (200ms per trial; validation follows)",
		"\r\033[K   1.5s  warning: poor fit  error=0.1235\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%q", want, got)
		}
	}
	if strings.Contains(got, "hidden") {
		t.Error("debug record shown")
	}
	if !log.Handler().Enabled(context.Background(), slog.LevelInfo) || log.Handler().Enabled(context.Background(), slog.LevelDebug) {
		t.Error("levels")
	}
	// The search's last status has no ETA: it is done.
	if s := statusText(optimizer.Progress{Done: 40, Total: 40, Elapsed: time.Second}); strings.Contains(s, "eta") {
		t.Errorf("finished search shows an ETA: %s", s)
	}
}
