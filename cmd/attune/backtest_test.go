package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// (d) backtest on Lido in-process: exit 0, one JSON object with windows,
// coverage and events; with --out, the same JSON and a chart on disk.
func TestBacktestJSON(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, "backtest", "--config", "../../configs/examples/lido/attune.yaml", "--windows", "2", "--replications", "16", "--output", "json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, stderr)
	}
	var got struct {
		DAO          string  `json:"dao"`
		WindowDays   int     `json:"window_days"`
		Replications int     `json:"replications"`
		Seed         uint64  `json:"seed"`
		Level        float64 `json:"level"`
		Windows      []struct {
			Pair        int    `json:"pair"`
			Skipped     string `json:"skipped"`
			Calibration struct {
				Start, End string
				Days       float64
				Proposals  int
			} `json:"calibration"`
			Calibrated struct {
				Params []struct{ Name, From string }
			} `json:"calibrated"`
			Predictions []struct {
				Metric                             string
				Predicted, Lo, Hi, Realised, Error float64
				Inside                             bool
			} `json:"predictions"`
		} `json:"windows"`
		Coverage []struct {
			Metric   string   `json:"metric"`
			Windows  int      `json:"windows"`
			Coverage *float64 `json:"coverage"`
		} `json:"coverage"`
		Events []struct {
			Time    string `json:"time"`
			Skipped string `json:"skipped"`
			Changes []struct{ Name, Kind string }
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	// Lido's source reads 365 days; its history is 729 days long, so one
	// pair forms, the older window cut at the history's start.
	if got.DAO != "Lido" || got.WindowDays != 365 || got.Replications != 16 || got.Seed != 42 || got.Level != 0.9 {
		t.Errorf("header %+v", got)
	}
	if len(got.Windows) < 1 || len(got.Windows) > 2 {
		t.Fatalf("windows %+v", got.Windows)
	}
	for _, w := range got.Windows {
		if w.Skipped != "" || len(w.Predictions) != 3 || len(w.Calibrated.Params) != 6 {
			t.Errorf("window %+v", w)
		}
		for _, p := range w.Predictions {
			if !(p.Lo <= p.Predicted && p.Predicted <= p.Hi) {
				t.Errorf("%s: %v not in [%v, %v]", p.Metric, p.Predicted, p.Lo, p.Hi)
			}
		}
	}
	if len(got.Coverage) != 3 || got.Coverage[0].Metric != "turnout" || got.Coverage[0].Coverage == nil {
		t.Errorf("coverage %+v", got.Coverage)
	}
	// Both of Lido's changes are listed; neither has a 365-day window after
	// it, and the objection phase is a governor rule.
	if len(got.Events) != 2 || got.Events[0].Skipped == "" || got.Events[1].Changes[0].Kind != "rule" {
		t.Errorf("events %+v", got.Events)
	}
	file, err := os.ReadFile(filepath.Join(out, "backtest.json"))
	if err != nil || !bytes.Equal(file, []byte(stdout)) {
		t.Errorf("backtest.json differs from stdout (%v)", err)
	}
	if png, err := os.ReadFile(filepath.Join(out, "backtest.png")); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("backtest.png: %v", err)
	}
}

// Terminal problems exit 2 and name what to change; nothing is calibrated.
func TestBacktestUserErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		// Compound's 365-day source window does not fit its 612-day history twice.
		{[]string{"--config", "../../configs/examples/compound/attune.yaml"},
			[]string{"sources[0].window_days", "spans 612.5 days", "365-day windows", "322 days or less", "--window-days"}},
		{[]string{"--config", "../../configs/examples/compound/attune.yaml", "--window-days", "400"},
			[]string{"400-day windows", "322 days or less"}},
		// A metrics file cannot be cut into windows.
		{[]string{"--config", "../../configs/examples/attune.yaml"}, []string{"sources[0].type", "history"}},
		{[]string{"--replications", "1"}, []string{"--replications 1"}},
		{[]string{"--windows", "0"}, []string{"--windows 0"}},
		// The model's horizon is at least 14 days.
		{[]string{"--window-days", "7"}, []string{"horizon_days", "[14, 3650]"}},
	} {
		code, stdout, stderr := run(t, append([]string{"backtest"}, c.args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\nstdout: %s\nstderr: %s", c.args, code, stdout, stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, stderr)
			}
		}
	}
}
