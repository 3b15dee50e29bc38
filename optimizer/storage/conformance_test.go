package storage

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/c-bata/goptuna"
)

// allDistributions has one of each of goptuna's six distribution types with
// a valid internal value, and the expected external value.
var allDistributions = []struct {
	name     string
	dist     any
	internal float64
	external any
}{
	{"uniform", goptuna.UniformDistribution{Low: -1.5, High: 2.5}, 0.25, 0.25},
	{"loguniform", goptuna.LogUniformDistribution{Low: 1e-5, High: 1}, 0.001, 0.001},
	{"int", goptuna.IntUniformDistribution{Low: -3, High: 7}, 4, 4},
	{"stepint", goptuna.StepIntUniformDistribution{Low: 0, High: 10, Step: 2}, 6, 6},
	{"discrete", goptuna.DiscreteUniformDistribution{Low: 0, High: 1, Q: 0.25}, 0.75, 0.75},
	{"categorical", goptuna.CategoricalDistribution{Choices: []string{"adam", "sgd", "rmsprop"}}, 1, "sgd"},
}

// TestConformance runs the same checks against InMemoryStorage (the
// reference), SQLite and PostgreSQL.
func TestConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Run("Study", func(t *testing.T) { testStudy(t, b) })
			t.Run("StudyErrors", func(t *testing.T) { testStudyErrors(t, b) })
			t.Run("TrialLifecycle", func(t *testing.T) { testTrialLifecycle(t, b) })
			t.Run("TrialErrors", func(t *testing.T) { testTrialErrors(t, b) })
			t.Run("Distributions", func(t *testing.T) { testDistributions(t, b) })
			t.Run("BestTrial", func(t *testing.T) { testBestTrial(t, b) })
			t.Run("CloneWaitingTrial", func(t *testing.T) { testCloneWaiting(t, b) })
			t.Run("CloneFinishedTrial", func(t *testing.T) { testCloneFinished(t, b) })
			t.Run("DeepCopies", func(t *testing.T) { testDeepCopies(t, b) })
			t.Run("Summaries", func(t *testing.T) { testSummaries(t, b) })
			t.Run("NaN", func(t *testing.T) { testNaN(t, b) })
		})
	}
}

func testStudy(t *testing.T, b backend) {
	s := b.open(t)
	id := must(s.CreateNewStudy("study-a"))(t)
	if got := must(s.GetStudyIDFromName("study-a"))(t); got != id {
		t.Errorf("GetStudyIDFromName = %d, want %d", got, id)
	}
	if got := must(s.GetStudyNameFromID(id))(t); got != "study-a" {
		t.Errorf("GetStudyNameFromID = %q", got)
	}
	if got := must(s.GetStudyDirection(id))(t); got != goptuna.StudyDirectionMinimize {
		t.Errorf("default direction = %q, want minimize", got)
	}
	check(t, s.SetStudyDirection(id, goptuna.StudyDirectionMaximize))
	if got := must(s.GetStudyDirection(id))(t); got != goptuna.StudyDirectionMaximize {
		t.Errorf("direction = %q, want maximize", got)
	}
	check(t, s.SetStudyUserAttr(id, "k", "v1"))
	check(t, s.SetStudyUserAttr(id, "k", "v2"))
	check(t, s.SetStudyUserAttr(id, "other", ""))
	check(t, s.SetStudySystemAttr(id, "sys", "x"))
	if got, want := must(s.GetStudyUserAttrs(id))(t), map[string]string{"k": "v2", "other": ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("user attrs = %v, want %v", got, want)
	}
	if got, want := must(s.GetStudySystemAttrs(id))(t), map[string]string{"sys": "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("system attrs = %v, want %v", got, want)
	}
	if trials := must(s.GetAllTrials(id))(t); len(trials) != 0 {
		t.Errorf("new study has %d trials", len(trials))
	}

	if !b.strict {
		return
	}
	// Several studies, unnamed studies, deletion.
	id2 := must(s.CreateNewStudy(""))(t)
	name2 := must(s.GetStudyNameFromID(id2))(t)
	if !strings.HasPrefix(name2, goptuna.DefaultStudyNamePrefix) || id2 == id {
		t.Errorf("unnamed study: id %d name %q", id2, name2)
	}
	id3 := must(s.CreateNewStudy(""))(t)
	if name3 := must(s.GetStudyNameFromID(id3))(t); name3 == name2 {
		t.Errorf("two unnamed studies share the name %q", name3)
	}
	tr := must(s.CreateNewTrial(id2))(t)
	check(t, s.SetTrialParam(tr, "x", 0.5, goptuna.UniformDistribution{Low: 0, High: 1}))
	check(t, s.SetStudyUserAttr(id2, "a", "b"))
	check(t, s.DeleteStudy(id2))
	if _, err := s.GetStudyNameFromID(id2); err != goptuna.ErrInvalidStudyID {
		t.Errorf("name of deleted study: err %v", err)
	}
	if _, err := s.GetAllTrials(id2); err != goptuna.ErrInvalidStudyID {
		t.Errorf("trials of deleted study: err %v", err)
	}
	if _, err := s.GetTrial(tr); err != goptuna.ErrInvalidTrialID {
		t.Errorf("trial of deleted study: err %v", err)
	}
	if err := s.DeleteStudy(id2); err != goptuna.ErrInvalidStudyID {
		t.Errorf("deleting twice: err %v", err)
	}
	if got := must(s.GetStudyIDFromName("study-a"))(t); got != id {
		t.Errorf("other study lost: %d", got)
	}
	// The name of a deleted study can be used again, with a new ID.
	id4 := must(s.CreateNewStudy(name2))(t)
	if id4 == id2 {
		t.Errorf("study ID %d reused", id4)
	}
}

func testStudyErrors(t *testing.T, b backend) {
	s := b.open(t)
	id := must(s.CreateNewStudy("errors"))(t)
	if _, err := s.GetStudyIDFromName("no such study"); err == nil {
		t.Error("GetStudyIDFromName(unknown): no error")
	} else if b.strict && !errors.Is(err, ErrStudyNotFound) {
		t.Errorf("GetStudyIDFromName(unknown): %v, want ErrStudyNotFound", err)
	}
	bad := id + 1000
	if err := s.SetStudyDirection(bad, goptuna.StudyDirectionMaximize); err != goptuna.ErrInvalidStudyID {
		t.Errorf("SetStudyDirection(bad): %v", err)
	}
	if _, err := s.GetStudyDirection(bad); err != goptuna.ErrInvalidStudyID {
		t.Errorf("GetStudyDirection(bad): %v", err)
	}
	if _, err := s.CreateNewTrial(bad); err != goptuna.ErrInvalidStudyID {
		t.Errorf("CreateNewTrial(bad): %v", err)
	}
	if _, err := s.CloneTrial(bad, goptuna.FrozenTrial{State: goptuna.TrialStateWaiting, DatetimeStart: time.Now()}); err != goptuna.ErrInvalidStudyID {
		t.Errorf("CloneTrial(bad): %v", err)
	}
	if _, err := s.GetBestTrial(bad); err != goptuna.ErrInvalidStudyID {
		t.Errorf("GetBestTrial(bad): %v", err)
	}
	if _, err := s.GetStudyNameFromID(bad); err == nil {
		t.Error("GetStudyNameFromID(bad): no error")
	}
	if err := s.DeleteStudy(bad); err != goptuna.ErrInvalidStudyID {
		t.Errorf("DeleteStudy(bad): %v", err)
	}
	if !b.strict {
		return // InMemoryStorage ignores the ID in the methods below
	}
	if _, err := s.CreateNewStudy("errors"); !errors.Is(err, ErrDuplicateStudyName) {
		t.Errorf("duplicate CreateNewStudy: %v", err)
	}
	if err := s.SetStudyDirection(id, "sideways"); err == nil {
		t.Error("SetStudyDirection(sideways): no error")
	}
	for name, f := range map[string]func() error{
		"SetStudyUserAttr":   func() error { return s.SetStudyUserAttr(bad, "k", "v") },
		"SetStudySystemAttr": func() error { return s.SetStudySystemAttr(bad, "k", "v") },
		"GetStudyUserAttrs": func() error {
			_, err := s.GetStudyUserAttrs(bad)
			return err
		},
		"GetStudySystemAttrs": func() error {
			_, err := s.GetStudySystemAttrs(bad)
			return err
		},
		"GetAllTrials": func() error {
			_, err := s.GetAllTrials(bad)
			return err
		},
		"GetStudyNameFromID": func() error {
			_, err := s.GetStudyNameFromID(bad)
			return err
		},
	} {
		if err := f(); err != goptuna.ErrInvalidStudyID {
			t.Errorf("%s(bad study): %v, want ErrInvalidStudyID", name, err)
		}
	}
}

func testTrialLifecycle(t *testing.T, b backend) {
	s := b.open(t)
	study := must(s.CreateNewStudy("lifecycle"))(t)
	before := time.Now()
	var ids []int
	for i := range 3 {
		id := must(s.CreateNewTrial(study))(t)
		ids = append(ids, id)
		if n := must(s.GetTrialNumberFromID(id))(t); n != i {
			t.Errorf("trial %d number = %d, want %d", id, n, i)
		}
		if got := must(s.GetStudyIDFromTrialID(id))(t); got != study {
			t.Errorf("GetStudyIDFromTrialID = %d, want %d", got, study)
		}
	}
	id := ids[1]
	tr := must(s.GetTrial(id))(t)
	if tr.ID != id || tr.Number != 1 || tr.State != goptuna.TrialStateRunning || tr.Value != 0 {
		t.Errorf("new trial = %+v", tr)
	}
	if b.strict && tr.StudyID != study {
		t.Errorf("StudyID = %d, want %d", tr.StudyID, study)
	}
	if tr.DatetimeStart.Before(before.Add(-time.Second)) || !tr.DatetimeComplete.IsZero() {
		t.Errorf("new trial times: start %v complete %v", tr.DatetimeStart, tr.DatetimeComplete)
	}
	for _, m := range []int{len(tr.Params), len(tr.InternalParams), len(tr.Distributions), len(tr.UserAttrs),
		len(tr.SystemAttrs), len(tr.IntermediateValues)} {
		if m != 0 {
			t.Errorf("new trial has non-empty maps: %+v", tr)
		}
	}
	if tr.Params == nil || tr.UserAttrs == nil || tr.IntermediateValues == nil {
		t.Errorf("new trial has nil maps: %+v", tr)
	}

	check(t, s.SetTrialParam(id, "x", 0.5, goptuna.UniformDistribution{Low: 0, High: 1}))
	check(t, s.SetTrialParam(id, "x", 0.75, goptuna.UniformDistribution{Low: 0, High: 1})) // replaces
	check(t, s.SetTrialParam(id, "n", 3, goptuna.IntUniformDistribution{Low: 0, High: 5}))
	check(t, s.SetTrialValue(id, 1.5))
	check(t, s.SetTrialValue(id, 2.5))
	check(t, s.SetTrialIntermediateValue(id, 0, 10))
	check(t, s.SetTrialIntermediateValue(id, 3, 7))
	if err := s.SetTrialIntermediateValue(id, 3, 8); err == nil {
		t.Error("duplicate step: no error")
	} else if b.strict && !errors.Is(err, ErrStepAlreadyExists) {
		t.Errorf("duplicate step: %v", err)
	}
	check(t, s.SetTrialUserAttr(id, "u", "1"))
	check(t, s.SetTrialUserAttr(id, "u", "2"))
	check(t, s.SetTrialSystemAttr(id, "s", "3"))

	if v := must(s.GetTrialParam(id, "x"))(t); v != 0.75 {
		t.Errorf("GetTrialParam(x) = %v", v)
	}
	if _, err := s.GetTrialParam(id, "missing"); err == nil {
		t.Error("GetTrialParam(missing): no error")
	} else if b.strict && !errors.Is(err, ErrParamNotFound) {
		t.Errorf("GetTrialParam(missing): %v", err)
	}
	if got, want := must(s.GetTrialParams(id))(t), map[string]any{"x": 0.75, "n": 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("GetTrialParams = %#v, want %#v", got, want)
	}
	if got, want := must(s.GetTrialUserAttrs(id))(t), map[string]string{"u": "2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GetTrialUserAttrs = %v", got)
	}
	if got, want := must(s.GetTrialSystemAttrs(id))(t), map[string]string{"s": "3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GetTrialSystemAttrs = %v", got)
	}
	running := must(s.GetTrial(id))(t)
	want := goptuna.FrozenTrial{
		ID: id, StudyID: running.StudyID, Number: 1, State: goptuna.TrialStateRunning, Value: 2.5,
		IntermediateValues: map[int]float64{0: 10, 3: 7},
		DatetimeStart:      running.DatetimeStart,
		InternalParams:     map[string]float64{"x": 0.75, "n": 3},
		Params:             map[string]any{"x": 0.75, "n": 3},
		Distributions: map[string]any{
			"x": goptuna.UniformDistribution{Low: 0, High: 1},
			"n": goptuna.IntUniformDistribution{Low: 0, High: 5},
		},
		UserAttrs:   map[string]string{"u": "2"},
		SystemAttrs: map[string]string{"s": "3"},
	}
	if !reflect.DeepEqual(running, want) {
		t.Errorf("GetTrial =\n%+v\nwant\n%+v", running, want)
	}

	// A running trial may be put back to waiting; finishing it freezes it.
	check(t, s.SetTrialState(id, goptuna.TrialStateWaiting))
	check(t, s.SetTrialState(id, goptuna.TrialStateRunning))
	check(t, s.SetTrialState(id, goptuna.TrialStateComplete))
	done := must(s.GetTrial(id))(t)
	if done.State != goptuna.TrialStateComplete || done.DatetimeComplete.IsZero() ||
		done.DatetimeComplete.Before(done.DatetimeStart) {
		t.Errorf("finished trial: %+v", done)
	}
	want.State, want.DatetimeComplete = goptuna.TrialStateComplete, done.DatetimeComplete
	if !reflect.DeepEqual(done, want) {
		t.Errorf("finished trial =\n%+v\nwant\n%+v", done, want)
	}
	for name, f := range map[string]func() error{
		"SetTrialValue":             func() error { return s.SetTrialValue(id, 9) },
		"SetTrialIntermediateValue": func() error { return s.SetTrialIntermediateValue(id, 9, 9) },
		"SetTrialParam":             func() error { return s.SetTrialParam(id, "x", 0.1, goptuna.UniformDistribution{Low: 0, High: 1}) },
		"SetTrialState":             func() error { return s.SetTrialState(id, goptuna.TrialStateFail) },
		"SetTrialStateRunning":      func() error { return s.SetTrialState(id, goptuna.TrialStateRunning) },
		"SetTrialUserAttr":          func() error { return s.SetTrialUserAttr(id, "u", "9") },
		"SetTrialSystemAttr":        func() error { return s.SetTrialSystemAttr(id, "s", "9") },
	} {
		if err := f(); err != goptuna.ErrTrialCannotBeUpdated {
			t.Errorf("%s on finished trial: %v, want ErrTrialCannotBeUpdated", name, err)
		}
	}
	if again := must(s.GetTrial(id))(t); !reflect.DeepEqual(again, done) {
		t.Errorf("finished trial changed:\n%+v\n%+v", again, done)
	}
	// Other finished states.
	check(t, s.SetTrialState(ids[0], goptuna.TrialStatePruned))
	check(t, s.SetTrialState(ids[2], goptuna.TrialStateFail))
	all := must(s.GetAllTrials(study))(t)
	if len(all) != 3 {
		t.Fatalf("GetAllTrials: %d trials", len(all))
	}
	for i, tr := range all {
		if tr.Number != i || tr.ID != ids[i] {
			t.Errorf("trial %d: number %d id %d", i, tr.Number, tr.ID)
		}
	}
	if all[0].State != goptuna.TrialStatePruned || all[2].State != goptuna.TrialStateFail || !reflect.DeepEqual(all[1], done) {
		t.Errorf("GetAllTrials = %+v", all)
	}
	if b.strict {
		// A running trial cannot be set to running again (only waiting ones).
		id4 := must(s.CreateNewTrial(study))(t)
		if err := s.SetTrialState(id4, goptuna.TrialStateRunning); err != goptuna.ErrTrialCannotBeUpdated {
			t.Errorf("running -> running: %v", err)
		}
	}
}

func testTrialErrors(t *testing.T, b backend) {
	s := b.open(t)
	study := must(s.CreateNewStudy("trial-errors"))(t)
	real := must(s.CreateNewTrial(study))(t)
	if _, err := s.GetBestTrial(study); err != goptuna.ErrNoCompletedTrials {
		t.Errorf("GetBestTrial without completed trials: %v", err)
	}
	for _, bad := range []int{-1, real + 1000} {
		for name, f := range map[string]func() error{
			"SetTrialValue":             func() error { return s.SetTrialValue(bad, 1) },
			"SetTrialIntermediateValue": func() error { return s.SetTrialIntermediateValue(bad, 0, 1) },
			"SetTrialParam":             func() error { return s.SetTrialParam(bad, "x", 0.5, goptuna.UniformDistribution{Low: 0, High: 1}) },
			"SetTrialState":             func() error { return s.SetTrialState(bad, goptuna.TrialStateComplete) },
			"SetTrialUserAttr":          func() error { return s.SetTrialUserAttr(bad, "k", "v") },
			"SetTrialSystemAttr":        func() error { return s.SetTrialSystemAttr(bad, "k", "v") },
			"GetTrialNumberFromID":      func() error { _, err := s.GetTrialNumberFromID(bad); return err },
			"GetTrialParam":             func() error { _, err := s.GetTrialParam(bad, "x"); return err },
			"GetTrial":                  func() error { _, err := s.GetTrial(bad); return err },
			"GetTrialParams":            func() error { _, err := s.GetTrialParams(bad); return err },
			"GetTrialUserAttrs":         func() error { _, err := s.GetTrialUserAttrs(bad); return err },
			"GetTrialSystemAttrs":       func() error { _, err := s.GetTrialSystemAttrs(bad); return err },
		} {
			if err := f(); err != goptuna.ErrInvalidTrialID {
				t.Errorf("%s(%d): %v, want ErrInvalidTrialID", name, bad, err)
			}
		}
		if _, err := s.GetStudyIDFromTrialID(bad); err == nil {
			t.Errorf("GetStudyIDFromTrialID(%d): no error", bad)
		} else if b.strict && err != goptuna.ErrInvalidTrialID {
			t.Errorf("GetStudyIDFromTrialID(%d): %v", bad, err)
		}
	}
	if !b.strict {
		return // InMemoryStorage panics or accepts these
	}
	if err := s.SetTrialParam(real, "x", 0.5, &goptuna.UniformDistribution{Low: 0, High: 1}); !errors.Is(err, goptuna.ErrUnknownDistribution) {
		t.Errorf("pointer distribution: %v", err)
	}
	if err := s.SetTrialParam(real, "c", 5, goptuna.CategoricalDistribution{Choices: []string{"a"}}); err == nil {
		t.Error("categorical index out of range: no error")
	}
	if err := s.SetTrialParam(real, "c", 0, goptuna.CategoricalDistribution{}); err == nil {
		t.Error("categorical without choices: no error")
	}
	if err := s.SetTrialState(real, goptuna.TrialState(42)); err == nil {
		t.Error("unknown state: no error")
	}
	if _, err := s.CloneTrial(study, goptuna.FrozenTrial{InternalParams: map[string]float64{"x": 1}}); err == nil {
		t.Error("CloneTrial without distribution: no error")
	}
	if trials := must(s.GetAllTrials(study))(t); len(trials) != 1 || len(trials[0].Params) != 0 {
		t.Errorf("failed writes left traces: %+v", trials)
	}
}

func testDistributions(t *testing.T, b backend) {
	s := b.open(t)
	study := must(s.CreateNewStudy("distributions"))(t)
	id := must(s.CreateNewTrial(study))(t)
	for _, d := range allDistributions {
		check(t, s.SetTrialParam(id, d.name, d.internal, d.dist))
	}
	verify := func(tr goptuna.FrozenTrial) {
		t.Helper()
		for _, d := range allDistributions {
			if got := tr.Distributions[d.name]; !reflect.DeepEqual(got, d.dist) {
				t.Errorf("%s: distribution %#v, want %#v", d.name, got, d.dist)
			}
			if got := tr.InternalParams[d.name]; got != d.internal {
				t.Errorf("%s: internal %v, want %v", d.name, got, d.internal)
			}
			if got := tr.Params[d.name]; !reflect.DeepEqual(got, d.external) {
				t.Errorf("%s: external %#v (%T), want %#v (%T)", d.name, got, got, d.external, d.external)
			}
		}
	}
	verify(must(s.GetTrial(id))(t))
	params := must(s.GetTrialParams(id))(t)
	for _, d := range allDistributions {
		if !reflect.DeepEqual(params[d.name], d.external) {
			t.Errorf("GetTrialParams[%s] = %#v, want %#v", d.name, params[d.name], d.external)
		}
	}
	check(t, s.SetTrialState(id, goptuna.TrialStateComplete))
	verify(must(s.GetTrial(id))(t))
	verify(must(s.GetAllTrials(study))(t)[0])
	verify(must(s.GetAllTrials(study))(t)[0]) // from the cache
}

func testBestTrial(t *testing.T, b backend) {
	for _, dir := range []goptuna.StudyDirection{goptuna.StudyDirectionMinimize, goptuna.StudyDirectionMaximize} {
		t.Run(string(dir), func(t *testing.T) {
			s := b.open(t)
			study := must(s.CreateNewStudy("best-" + string(dir)))(t)
			check(t, s.SetStudyDirection(study, dir))
			values := []float64{5, 1, 9, 1, 9, 3}
			states := []goptuna.TrialState{goptuna.TrialStateComplete, goptuna.TrialStateComplete,
				goptuna.TrialStateComplete, goptuna.TrialStateComplete, goptuna.TrialStateComplete, goptuna.TrialStateComplete}
			var ids []int
			for i, v := range values {
				id := must(s.CreateNewTrial(study))(t)
				ids = append(ids, id)
				check(t, s.SetTrialValue(id, v))
				check(t, s.SetTrialState(id, states[i]))
			}
			// Better values in unfinished, failed and pruned trials do not count.
			for _, st := range []goptuna.TrialState{goptuna.TrialStateFail, goptuna.TrialStatePruned, goptuna.TrialStateRunning} {
				id := must(s.CreateNewTrial(study))(t)
				check(t, s.SetTrialValue(id, map[goptuna.StudyDirection]float64{"minimize": -100, "maximize": 100}[dir]))
				if st != goptuna.TrialStateRunning {
					check(t, s.SetTrialState(id, st))
				}
			}
			best := must(s.GetBestTrial(study))(t)
			wantID := ids[1] // first of the two 1s
			if dir == goptuna.StudyDirectionMaximize {
				wantID = ids[2] // first of the two 9s
			}
			if best.ID != wantID {
				t.Errorf("best trial %d (value %v), want %d", best.ID, best.Value, wantID)
			}
		})
	}
}

// testCloneWaiting does what goptuna's Study.EnqueueTrial does: clone a
// waiting trial whose fixed_params system attribute holds the parameters.
func testCloneWaiting(t *testing.T, b backend) {
	s := b.open(t)
	study := must(s.CreateNewStudy("clone-waiting"))(t)
	first := must(s.CreateNewTrial(study))(t)
	check(t, s.SetTrialState(first, goptuna.TrialStateComplete))
	fixed, _ := json.Marshal(map[string]float64{"x": 0.25, "c": 1})
	base := goptuna.FrozenTrial{
		ID: -1, StudyID: study, Number: -1,
		State:              goptuna.TrialStateWaiting,
		IntermediateValues: map[int]float64{},
		DatetimeStart:      time.Now(),
		InternalParams:     map[string]float64{},
		Params:             map[string]any{},
		Distributions:      map[string]any{},
		UserAttrs:          map[string]string{},
		SystemAttrs:        map[string]string{"fixed_params": string(fixed)},
	}
	id := must(s.CloneTrial(study, base))(t)
	got := must(s.GetTrial(id))(t)
	if got.State != goptuna.TrialStateWaiting || got.Number != 1 || got.SystemAttrs["fixed_params"] != string(fixed) ||
		!got.DatetimeStart.Equal(base.DatetimeStart) || !got.DatetimeComplete.IsZero() {
		t.Errorf("cloned waiting trial = %+v", got)
	}
	all := must(s.GetAllTrials(study))(t)
	if len(all) != 2 || all[1].ID != id || all[1].State != goptuna.TrialStateWaiting {
		t.Errorf("GetAllTrials after clone = %+v", all)
	}
	// Popping it: waiting -> running; then it is an ordinary running trial.
	check(t, s.SetTrialState(id, goptuna.TrialStateRunning))
	if b.strict {
		if err := s.SetTrialState(id, goptuna.TrialStateRunning); err != goptuna.ErrTrialCannotBeUpdated {
			t.Errorf("popping twice: %v", err)
		}
	}
	check(t, s.SetTrialParam(id, "x", 0.25, goptuna.UniformDistribution{Low: 0, High: 1}))
	check(t, s.SetTrialValue(id, 3))
	check(t, s.SetTrialState(id, goptuna.TrialStateComplete))
	all = must(s.GetAllTrials(study))(t)
	if all[1].State != goptuna.TrialStateComplete || all[1].Params["x"] != 0.25 || all[1].Value != 3 {
		t.Errorf("finished enqueued trial = %+v", all[1])
	}
	if n := must(s.CreateNewTrial(study))(t); must(s.GetTrialNumberFromID(n))(t) != 2 {
		t.Error("numbering after clone is not contiguous")
	}
}

func testCloneFinished(t *testing.T, b backend) {
	s := b.open(t)
	study := must(s.CreateNewStudy("clone-finished"))(t)
	start := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)
	base := goptuna.FrozenTrial{
		State:              goptuna.TrialStateComplete,
		Value:              -4.5,
		IntermediateValues: map[int]float64{1: 2, 5: -1},
		DatetimeStart:      start,
		DatetimeComplete:   start.Add(90 * time.Second),
		InternalParams:     map[string]float64{},
		Params:             map[string]any{},
		Distributions:      map[string]any{},
		UserAttrs:          map[string]string{"note": "imported"},
		SystemAttrs:        map[string]string{"origin": "csv"},
	}
	for _, d := range allDistributions {
		base.InternalParams[d.name] = d.internal
		base.Params[d.name] = d.external
		base.Distributions[d.name] = d.dist
	}
	id := must(s.CloneTrial(study, base))(t)
	got := must(s.GetTrial(id))(t)
	if !got.DatetimeStart.Equal(base.DatetimeStart) || !got.DatetimeComplete.Equal(base.DatetimeComplete) {
		t.Errorf("times: %v %v", got.DatetimeStart, got.DatetimeComplete)
	}
	got.DatetimeStart, got.DatetimeComplete = base.DatetimeStart, base.DatetimeComplete
	want := base
	want.ID, want.Number, want.StudyID = id, 0, got.StudyID
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cloned trial =\n%+v\nwant\n%+v", got, want)
	}
	if err := s.SetTrialValue(id, 1); err != goptuna.ErrTrialCannotBeUpdated {
		t.Errorf("cloned finished trial is writable: %v", err)
	}
}

func testDeepCopies(t *testing.T, b backend) {
	if !b.strict {
		t.Skip("InMemoryStorage returns shared maps")
	}
	s := b.open(t)
	study := must(s.CreateNewStudy("copies"))(t)
	id := must(s.CreateNewTrial(study))(t)
	cat := goptuna.CategoricalDistribution{Choices: []string{"a", "b"}}
	check(t, s.SetTrialParam(id, "c", 1, cat))
	check(t, s.SetTrialUserAttr(id, "u", "1"))
	// An unfinished trial from GetAllTrials is the caller's copy; a
	// finished one shares its maps with the cache (documented, as
	// goptuna's InMemoryStorage does), so only GetTrial and GetBestTrial
	// are mutated once the trial is finished.
	mutate := func(tr goptuna.FrozenTrial) {
		tr.Params["c"] = "zzz"
		tr.UserAttrs["u"] = "mutated"
		tr.IntermediateValues[1] = 1
		tr.InternalParams["c"] = 0
		tr.Distributions["c"].(goptuna.CategoricalDistribution).Choices[0] = "mutated"
		tr.SystemAttrs["x"] = "y"
	}
	mutate(must(s.GetAllTrials(study))(t)[0])
	check(t, s.SetTrialState(id, goptuna.TrialStateComplete))
	for round := 1; round < 3; round++ {
		var tr goptuna.FrozenTrial
		switch round {
		case 1:
			tr = must(s.GetTrial(id))(t)
		case 2:
			tr = must(s.GetBestTrial(study))(t)
		}
		mutate(tr)
	}
	for _, tr := range []goptuna.FrozenTrial{must(s.GetAllTrials(study))(t)[0], must(s.GetTrial(id))(t)} {
		if tr.Params["c"] != "b" || tr.UserAttrs["u"] != "1" || len(tr.IntermediateValues) != 0 ||
			tr.InternalParams["c"] != 1 || !reflect.DeepEqual(tr.Distributions["c"], cat) || len(tr.SystemAttrs) != 0 {
			t.Errorf("cache was mutated through a returned trial: %+v", tr)
		}
	}
}

func testSummaries(t *testing.T, b backend) {
	s := b.open(t)
	study := must(s.CreateNewStudy("summaries"))(t)
	check(t, s.SetStudyDirection(study, goptuna.StudyDirectionMaximize))
	check(t, s.SetStudyUserAttr(study, "u", "1"))
	check(t, s.SetStudySystemAttr(study, "s", "2"))
	var firstStart time.Time
	for i, v := range []float64{1, 3, 2} {
		id := must(s.CreateNewTrial(study))(t)
		if i == 0 {
			firstStart = must(s.GetTrial(id))(t).DatetimeStart
		}
		check(t, s.SetTrialValue(id, v))
		check(t, s.SetTrialState(id, goptuna.TrialStateComplete))
	}
	var other int
	if b.strict {
		other = must(s.CreateNewStudy("summaries-other"))(t)
	}
	sums := must(s.GetAllStudySummaries())(t)
	var found bool
	for _, sum := range sums {
		switch sum.ID {
		case study:
			found = true
			if sum.Name != "summaries" || sum.Direction != goptuna.StudyDirectionMaximize ||
				!reflect.DeepEqual(sum.UserAttrs, map[string]string{"u": "1"}) ||
				!reflect.DeepEqual(sum.SystemAttrs, map[string]string{"s": "2"}) ||
				sum.BestTrial.Value != 3 || sum.BestTrial.Number != 1 || !sum.DatetimeStart.Equal(firstStart) {
				t.Errorf("summary = %+v", sum)
			}
		case other:
			if b.strict && (sum.Name != "summaries-other" || sum.BestTrial.ID != 0 || !sum.DatetimeStart.IsZero()) {
				t.Errorf("empty study summary = %+v", sum)
			}
		}
	}
	if !found || (b.strict && len(sums) != 2) {
		t.Errorf("summaries = %+v", sums)
	}
}

func testNaN(t *testing.T, b backend) {
	s := b.open(t)
	study := must(s.CreateNewStudy("nan"))(t)
	id := must(s.CreateNewTrial(study))(t)
	check(t, s.SetTrialIntermediateValue(id, 0, math.NaN()))
	check(t, s.SetTrialIntermediateValue(id, 1, math.Inf(-1)))
	check(t, s.SetTrialValue(id, math.NaN()))
	check(t, s.SetTrialState(id, goptuna.TrialStateComplete))
	tr := must(s.GetAllTrials(study))(t)[0]
	if !math.IsNaN(tr.Value) || !math.IsNaN(tr.IntermediateValues[0]) || !math.IsInf(tr.IntermediateValues[1], -1) {
		t.Errorf("NaN/Inf round trip: %+v", tr)
	}
}
