package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/attune-dao/attune/config"
)

// attune init writes a config from a real DAO's history that loads,
// calibrates and searches what its governor lets a vote change.
func TestInitFromHistory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "compound.yaml")
	hist, _ := filepath.Abs("../../configs/examples/compound/history.json")
	code, stdout, stderr := run(t, "init", "--history", hist, "--file", file, "--ask=false")
	if code != exitOK || !strings.Contains(stdout, "calibration: ok") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	cfg, err := config.Load(config.LoadOptions{File: file})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DAO.Name != "Compound" || cfg.DAO.Governor != "bravo" || cfg.Current["proposal_threshold"] != 0.0025 || cfg.Current["quorum"] != 0.04 {
		t.Errorf("dao %+v current %v", cfg.DAO, cfg.Current)
	}
	// Bravo's quorum is a constant: not searched; its threshold and period are.
	if _, ok := cfg.Search["quorum"]; ok {
		t.Error("searches Bravo's constant quorum")
	}
	for _, p := range []string{"proposal_threshold", "voting_period_days"} {
		if _, ok := cfg.Search[p]; !ok {
			t.Errorf("does not search %s", p)
		}
	}
	// The history is named relative to the config, so the two can move.
	if strings.HasPrefix(cfg.Sources[0].Path, "/") {
		t.Errorf("source path %q is absolute", cfg.Sources[0].Path)
	}
	// A second init does not overwrite without --force.
	if code, _, stderr := run(t, "init", "--history", hist, "--file", file, "--ask=false"); code != exitUser || !strings.Contains(stderr, "--force") {
		t.Errorf("overwrite: exit %d, stderr %s", code, stderr)
	}
	if code, _, stderr := run(t, "init", "--history", hist, "--file", file, "--ask=false", "--force", "--no-calibrate", "--current", "quorum=abc"); code != exitUser || !strings.Contains(stderr, "want name=number") {
		t.Errorf("bad --current: exit %d, stderr %s", code, stderr)
	}
}

// minimalHistory is a history that names neither a governor nor any
// parameter in force.
const minimalHistory = `{"dao": "Tiny DAO", "token": {"symbol": "TNY"},
 "proposals": [{"id": "1", "created": "2021-01-01T00:00:00Z", "start": "2021-01-02T00:00:00Z", "end": "2021-01-03T00:00:00Z",
   "for": 1, "against": 0, "abstain": 0, "voters": 1, "state": "executed"}],
 "supply": [{"time": "2021-01-01T00:00:00Z", "total": 100}]}`

// Without a terminal, what the history lacks is a user error naming the
// flags to give; with answers, it is asked for.
func TestInitAsksForWhatTheHistoryLacks(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.json")
	if err := os.WriteFile(hist, []byte(minimalHistory), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "init", "--history", hist, "--file", filepath.Join(dir, "a.yaml"), "--ask=false", "--no-calibrate")
	if code != exitUser || !strings.Contains(stderr, "--governor is missing") {
		t.Errorf("no governor: exit %d, stderr %s", code, stderr)
	}
	code, _, stderr = run(t, "init", "--history", hist, "--governor", "oz", "--file", filepath.Join(dir, "a.yaml"), "--ask=false", "--no-calibrate")
	if code != exitUser || !strings.Contains(stderr, "--current quorum=VALUE") || !strings.Contains(stderr, "--current voting_period_days=VALUE") || strings.Contains(stderr, "support_required=VALUE") {
		t.Errorf("no values in force: exit %d, stderr %s", code, stderr)
	}

	s := starter{History: hist}
	var prompts bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetContext(context.Background())
	// governor; quorum; support (default); threshold; period; differential (default); reward (default)
	in := bufio.NewReader(strings.NewReader("oz\n0.04\n\n0.001\n7\n\n\n"))
	if err := s.complete(cmd, in, &prompts); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"quorum": 0.04, "support_required": 0.5, "proposal_threshold": 0.001, "voting_period_days": 7, "vote_differential": 0, "participation_reward": 0}
	for k, v := range want {
		if s.Current[k] != v {
			t.Errorf("%s = %v; want %v", k, s.Current[k], v)
		}
	}
	if s.Governor != "oz" || !strings.Contains(prompts.String(), "governor family") || !strings.Contains(prompts.String(), "value in force of quorum") {
		t.Errorf("governor %q, prompts %q", s.Governor, prompts.String())
	}
	file := filepath.Join(dir, "tiny.yaml")
	y, err := s.yaml(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, y, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{File: file})
	if err != nil {
		t.Fatalf("written config does not load: %v\n%s", err, y)
	}
	if len(cfg.Search) != 3 || cfg.Sources[0].Path != "h.json" {
		t.Errorf("search %v, source %q", cfg.Search, cfg.Sources[0].Path)
	}
}
