package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/storage"
)

// TestMain lets the test binary stand in for attune when a test starts it
// as a subprocess (ATTUNE_TEST_AS_MAIN=1), so a test can kill a real
// process.
func TestMain(m *testing.M) {
	if os.Getenv("ATTUNE_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// A run killed mid-search on a SQLite study and run again resumes it: the
// trials it finished stay as they were and are not run again, the trials
// it was running are run again once, and the study ends with its budget.
func TestKilledRunResumes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "studies.db")
	lido, _ := filepath.Abs("../../configs/examples/lido/attune.yaml")
	env := []string{
		"ATTUNE_OPTIMIZER_STORAGE=sqlite:" + db,
		"ATTUNE_OPTIMIZER_SEARCHES=1",
		"ATTUNE_OPTIMIZER_TRIALS=60",
		"ATTUNE_OPTIMIZER_BATCH=2",
		"ATTUNE_OPTIMIZER_REPLICATIONS=24",
		"ATTUNE_OPTIMIZER_VALIDATION=8",
	}
	cmd := exec.Command(os.Args[0], "run", "--config", lido, "--out", filepath.Join(dir, "out"), "--no-track-record")
	cmd.Env = append(append(os.Environ(), "ATTUNE_TEST_AS_MAIN=1"), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Kill it once the study holds some finished trials and some running,
	// counted in the database, not timed.
	var st *storage.Storage
	study := ""
	before := map[int]goptuna.FrozenTrial{}
	for polls := 0; ; polls++ {
		select {
		case err := <-exited:
			t.Fatalf("the run ended (%v) before it could be killed mid-search:\n%s", err, stderr.String())
		default:
		}
		if polls > 1_000_000 {
			t.Fatal("no trial finished")
		}
		if st == nil {
			if _, err := os.Stat(db); err != nil {
				continue
			}
			var err error
			if st, err = storage.Open(context.Background(), "sqlite:"+db); err != nil {
				t.Fatal(err)
			}
			defer st.Close()
		}
		sums, err := st.GetAllStudySummaries()
		if err != nil || len(sums) == 0 {
			continue
		}
		study = sums[0].Name
		trials, err := st.GetAllTrials(sums[0].ID)
		if err != nil {
			continue
		}
		complete, inFlight := 0, 0
		for _, tr := range trials {
			switch tr.State {
			case goptuna.TrialStateComplete:
				complete++
			case goptuna.TrialStateRunning:
				inFlight++
			}
		}
		if complete >= 10 && inFlight > 0 {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-exited
			break
		}
	}
	sid, err := st.GetStudyIDFromName(study)
	if err != nil {
		t.Fatal(err)
	}
	trials, _ := st.GetAllTrials(sid)
	running, evaluating := 0, 0
	for _, tr := range trials {
		switch tr.State {
		case goptuna.TrialStateComplete:
			before[tr.Number] = tr
		case goptuna.TrialStateRunning:
			running++
			// A trial killed before its parameters were all suggested
			// was never evaluated: it is failed, not run again.
			if len(tr.InternalParams) == 3 {
				evaluating++
			}
		}
	}
	if len(before) >= 60 {
		t.Fatalf("the run finished its %d trials before the kill", len(before))
	}

	// Run again to the end, in process, on the same config and data.
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	code, stdout, errOut := run(t, "run", "--config", lido, "--out", filepath.Join(dir, "out"), "--no-track-record", "--output", "json")
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, errOut)
	}
	trials, _ = st.GetAllTrials(sid)
	complete, failed, rerun := 0, 0, 0
	for _, tr := range trials {
		switch tr.State {
		case goptuna.TrialStateComplete:
			complete++
			// Enqueued trials carry fixed_params: the baseline (trial 0)
			// and each trial the kill left running, enqueued again.
			if _, ok := tr.SystemAttrs["fixed_params"]; ok && tr.Number > 0 {
				rerun++
			}
			if old, ok := before[tr.Number]; ok && (old.Value != tr.Value || fmt.Sprint(old.InternalParams) != fmt.Sprint(tr.InternalParams)) {
				t.Errorf("trial %d changed on resume", tr.Number)
			}
		case goptuna.TrialStateFail:
			failed++
		}
	}
	for n := range before {
		if tr := trials[n]; tr.State != goptuna.TrialStateComplete {
			t.Errorf("trial %d, finished before the kill, is %v after the resume", n, tr.State)
		}
	}
	if complete != 60 {
		t.Errorf("%d complete trials after the resume, want the budget, 60", complete)
	}
	if failed != running {
		t.Errorf("%d trials failed; the kill left %d running, each to be failed and run again once", failed, running)
	}
	if rerun != evaluating {
		t.Errorf("%d trials were run again; the kill left %d running with their parameters", rerun, evaluating)
	}
	t.Logf("killed after %d finished trials with %d running; resumed to %d", len(before), running, complete)
}

// A worker needs a shared storage and a study of its config's cycle; on a
// finished cycle it has nothing left to do and says so.
func TestWorker(t *testing.T) {
	fast(t)
	lido, _ := filepath.Abs("../../configs/examples/lido/attune.yaml")
	if code, _, stderr := run(t, "worker", "--config", lido); code != 2 || !strings.Contains(stderr, "a worker shares a study through sqlite:PATH or a postgres:// URL") {
		t.Errorf("worker on memory storage: exit %d: %s", code, stderr)
	}
	t.Setenv("ATTUNE_OPTIMIZER_STORAGE", "sqlite:"+filepath.Join(t.TempDir(), "s.db"))
	if code, _, stderr := run(t, "worker", "--config", lido, "--study", "Lido/x/y/search-1", "--wait", "1ms"); code != 2 || !strings.Contains(stderr, "is not a study of this config's cycle") {
		t.Errorf("worker on a foreign study: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "worker", "--config", lido, "--wait", "1ms"); code != 1 || !strings.Contains(stderr, "did not appear within 1ms") {
		t.Errorf("worker with no run: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := run(t, "run", "--config", lido, "--out", t.TempDir(), "--no-track-record"); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := run(t, "worker", "--config", lido, "--wait", "1ms")
	if code != 0 || !strings.Contains(stdout, "worked on 3 studies") {
		t.Errorf("worker after the run: exit %d: %s %s", code, stdout, stderr)
	}
}

// optimize --pareto prints trials none of which another beats on every
// objective, each with every objective's value.
func TestOptimizePareto(t *testing.T) {
	fast(t)
	lido, _ := filepath.Abs("../../configs/examples/lido/attune.yaml")
	code, stdout, stderr := run(t, "optimize", "--config", lido, "--pareto", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []struct {
		Search     int                `json:"search"`
		Objectives map[string]float64 `json:"objectives"`
		Score      float64            `json:"score"`
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(rows) == 0 {
		t.Fatal("empty Pareto set")
	}
	names := []string{"decision_quality", "turnout", "attack_success_rate"}
	for i, a := range rows {
		if len(a.Objectives) != len(names) {
			t.Fatalf("row %d objectives %v", i, a.Objectives)
		}
		for j, b := range rows {
			if i == j || a.Search != b.Search {
				continue
			}
			dominated, better := true, false
			for _, n := range names {
				dominated = dominated && b.Objectives[n] >= a.Objectives[n]
				better = better || b.Objectives[n] > a.Objectives[n]
			}
			if dominated && better {
				t.Errorf("row %d is dominated by row %d of the same search", i, j)
			}
		}
	}
	code, text, _ := run(t, "optimize", "--config", lido, "--pareto")
	if code != 0 || !strings.Contains(text, "Pareto set:") || !strings.Contains(text, "decision_quality") {
		t.Errorf("text output: %s", text)
	}
}
