package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns exit code, stdout, stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// fast makes cycles small enough for the race detector.
func fast(t *testing.T) {
	t.Setenv("ATTUNE_OPTIMIZER_TRIALS", "16")
	t.Setenv("ATTUNE_OPTIMIZER_REPLICATIONS", "3")
	t.Setenv("ATTUNE_OPTIMIZER_VALIDATION", "6")
	t.Setenv("ATTUNE_DAO_OPTIONS_MAX_AGENTS", "2000")
}

func TestRunWritesTheCycle(t *testing.T) {
	fast(t)
	out := t.TempDir()
	code, stdout, stderr := run(t, "run", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, want := range []string{"parameter", "quorum", "->", "objective", "decision_quality", "[", "wrote "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stdout, "CHANGE RECOMMENDED") && !strings.Contains(stdout, "NO CHANGE") {
		t.Errorf("summary has no verdict:\n%s", stdout)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "proposal.md"))
	if len(dirs) != 1 {
		t.Fatalf("want one proposal under %s, found %v", out, dirs)
	}
	md, _ := os.ReadFile(dirs[0])
	if !strings.Contains(string(md), "| Parameter | Current | Recommended |") || !strings.Contains(string(md), "objectives.png") {
		t.Errorf("proposal.md lacks the parameter table or chart link")
	}
	// Logs go to stderr (not a terminal here) with slog.
	if !strings.Contains(stderr, "level=INFO") || !strings.Contains(stderr, "search done") {
		t.Errorf("no structured logs on stderr: %s", stderr)
	}
}

func TestRunJSONAndSeed(t *testing.T) {
	fast(t)
	code, stdout, stderr := run(t, "run", "--out", t.TempDir(), "--output", "json", "--seed", "5", "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Dir            string `json:"dir"`
		Recommendation struct {
			Method struct {
				Seed   uint64 `json:"seed"`
				Trials int    `json:"trials"`
			} `json:"method"`
			Params []struct{ Name string } `json:"params"`
		} // the document is the recommendation itself, with dir and draft
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if err := json.Unmarshal([]byte(stdout), &got.Recommendation); err != nil {
		t.Fatal(err)
	}
	if got.Recommendation.Method.Seed != 5 || got.Recommendation.Method.Trials != 16 || len(got.Recommendation.Params) != 6 {
		t.Errorf("json = %+v", got)
	}
	if !strings.Contains(stderr, `"level":"INFO"`) {
		t.Errorf("--log-format json did not log JSON: %s", stderr)
	}
}

func TestSimulateAndCalibrate(t *testing.T) {
	fast(t)
	code, stdout, stderr := run(t, "simulate", "--set", "quorum=0.05", "--replications", "4")
	if code != 0 || !strings.Contains(stdout, "quorum=0.05") || !strings.Contains(stdout, "attack_success_rate") {
		t.Fatalf("simulate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "simulate", "--output", "json", "--replications", "4")
	var sim struct {
		Outcomes []struct {
			Outcome string `json:"name"`
			Mean    float64
			CI      struct{ Lo, Hi float64 }
		}
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &sim) != nil || len(sim.Outcomes) < 10 {
		t.Fatalf("simulate json: exit %d %s", code, stdout)
	}
	for _, o := range sim.Outcomes {
		if o.CI.Lo > o.Mean || o.CI.Hi < o.Mean {
			t.Errorf("%s: interval %v does not hold mean %v", o.Outcome, o.CI, o.Mean)
		}
	}
	code, stdout, stderr = run(t, "calibrate")
	if code != 0 || !strings.Contains(stdout, "observed") || !strings.Contains(stdout, "turnout") || !strings.Contains(stdout, "target") {
		t.Fatalf("calibrate: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestConfigShowLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	os.WriteFile(file, []byte("optimizer:\n  trials: 77\n  replications: 5\n"), 0o644)
	t.Setenv("ATTUNE_OPTIMIZER_REPLICATIONS", "6")
	code, stdout, stderr := run(t, "config", "show", "--config", file, "--seed", "9")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"trials: 77", "replications: 6", "seed: 9", "model: tokenvote"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("config show lacks %q:\n%s", want, stdout)
		}
	}
}

func TestUserErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	badKey := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badKey, []byte("optimizer:\n  tirals: 10\n"), 0o644)
	badMetrics := filepath.Join(dir, "m.yaml")
	os.WriteFile(badMetrics, []byte("sources:\n  - {type: file, path: "+filepath.Join(dir, "m.json")+"}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "m.json"), []byte(`{"dao": "x", "gini": NaN}`), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--config", badKey}, "tirals"},
		{[]string{"run", "--config", filepath.Join(dir, "none.yaml")}, "none.yaml"},
		{[]string{"run", "--config", badMetrics}, "m.json"},
		{[]string{"run", "--bogus"}, "bogus"},
		{[]string{"run", "extra"}, "no arguments"},
		{[]string{"simulate", "--set", "quorum"}, "name=number"},
		{[]string{"simulate", "--set", "speed=3"}, "speed"},
		{[]string{"version", "--output", "xml"}, "text, json or yaml"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", c.args, code, stderr, c.want)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := run(t, "version")
	if code != 0 || !strings.Contains(stdout, "attune") || !strings.Contains(stdout, "tokenvote") {
		t.Errorf("version: %d %q", code, stdout)
	}
}

func TestInterruptedRunWritesNothing(t *testing.T) {
	fast(t)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := execute(ctx, []string{"run", "--out", out}, &stdout, &stderr)
	if code != 130 || !strings.HasSuffix(stderr.String(), "\nattune: interrupted; nothing was written\n") || strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("interrupted run wrote %d entries", len(entries))
	}
}

func TestPoorFitStopsRunUnlessAccepted(t *testing.T) {
	fast(t)
	cfg, dir := poorFitConfig(t)
	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, "run", "--config", cfg, "--out", out)
	if code != 3 || !strings.Contains(stderr, "calibration outside tolerance") {
		t.Fatalf("exit %d; want 3 with the miss named\nstderr: %s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a poor fit wrote %s", out)
	}
	code, stdout, stderr := run(t, "run", "--config", cfg, "--out", out, "--accept-poor-fit")
	if code != 0 {
		t.Fatalf("exit %d with --accept-poor-fit\nstderr: %s", code, stderr)
	}
	if !strings.HasPrefix(strings.SplitN(stdout, "\n\n", 2)[1], "WARNING: the model does not reproduce") {
		t.Errorf("summary does not open with the miss:\n%s", stdout)
	}
	mds, _ := filepath.Glob(filepath.Join(out, "*", "proposal.md"))
	if len(mds) != 1 {
		t.Fatalf("proposals %v", mds)
	}
	md, _ := os.ReadFile(mds[0])
	if !strings.Contains(string(md), "**Why.** Warning: the model does not reproduce this DAO's data") {
		t.Errorf("the proposal's motivation does not open with the miss")
	}
}

func TestRunQuotesTheTrackRecord(t *testing.T) {
	fast(t)
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--no-track-record"}, false},
	} {
		out := t.TempDir()
		args := append([]string{"run", "--config", "../../configs/examples/lido/attune.yaml", "--out", out}, c.args...)
		code, _, stderr := run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", c.args, code, stderr)
		}
		mds, _ := filepath.Glob(filepath.Join(out, "*", "proposal.md"))
		if len(mds) != 1 {
			t.Fatalf("proposals %v", mds)
		}
		md, _ := os.ReadFile(mds[0])
		has := strings.Contains(string(md), "### Track record on this DAO's history") &&
			strings.Contains(string(md), "`quorum_failure_rate`: ")
		if has != c.want {
			t.Errorf("%v: track record quoted %v, want %v", c.args, has, c.want)
		}
	}
}
