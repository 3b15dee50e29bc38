package storage

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c-bata/goptuna"
)

// TestConcurrentTrials has goroutines on two Storage handles (standing for
// two processes) create, enqueue, pop and finish trials in one study, and
// checks that trial numbers are unique and gap-free and that every enqueued
// trial was popped exactly once.
func TestConcurrentTrials(t *testing.T) {
	const (
		handles    = 2
		goroutines = 4 // per handle
		perG       = 12
		enqueued   = 10
	)
	for _, b := range sqlBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			var st [handles]*Storage
			for i := range st {
				st[i] = openT(t, dsn)
			}
			study := must(st[0].CreateNewStudy("concurrent"))(t)
			for range enqueued {
				must(st[1].CloneTrial(study, goptuna.FrozenTrial{
					State: goptuna.TrialStateWaiting, DatetimeStart: time.Now(),
					SystemAttrs: map[string]string{"fixed_params": `{"x":0.5}`},
				}))(t)
			}
			var popped atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, handles*goroutines)
			for h := range handles {
				for g := range goroutines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := worker(st[h], study, perG, &popped); err != nil {
							errs <- fmt.Errorf("handle %d goroutine %d: %w", h, g, err)
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := popped.Load(); n != enqueued {
				t.Errorf("%d enqueued trials popped, want %d", n, enqueued)
			}
			total := enqueued + handles*goroutines*perG
			var views [handles][]goptuna.FrozenTrial
			for h := range handles {
				views[h] = must(st[h].GetAllTrials(study))(t)
				seen := make(map[int]int)
				for _, tr := range views[h] {
					seen[tr.Number]++
					if tr.State != goptuna.TrialStateComplete {
						t.Errorf("handle %d: trial %d is %v", h, tr.Number, tr.State)
					}
				}
				for n := range total {
					if seen[n] != 1 {
						t.Errorf("handle %d: trial number %d appears %d times", h, n, seen[n])
					}
				}
				if len(views[h]) != total {
					t.Errorf("handle %d: %d trials, want %d", h, len(views[h]), total)
				}
			}
			if !reflect.DeepEqual(views[0], views[1]) {
				t.Error("the two handles see different trials")
			}
		})
	}
}

// worker pops waiting trials while there are any, then creates and
// finishes n trials, checking GetAllTrials' invariants along the way.
func worker(st *Storage, study, n int, popped *atomic.Int64) error {
	finish := func(id int, v float64) error {
		if err := st.SetTrialParam(id, "x", 0.5, goptuna.UniformDistribution{Low: 0, High: 1}); err != nil {
			return err
		}
		if err := st.SetTrialValue(id, v); err != nil {
			return err
		}
		return st.SetTrialState(id, goptuna.TrialStateComplete)
	}
	for {
		trials, err := st.GetAllTrials(study)
		if err != nil {
			return err
		}
		got := -1
		for _, tr := range trials {
			if tr.State != goptuna.TrialStateWaiting {
				continue
			}
			err := st.SetTrialState(tr.ID, goptuna.TrialStateRunning)
			if err == goptuna.ErrTrialCannotBeUpdated {
				continue // another worker popped it
			}
			if err != nil {
				return err
			}
			got = tr.ID
			break
		}
		if got < 0 {
			break
		}
		popped.Add(1)
		if err := finish(got, 1); err != nil {
			return err
		}
	}
	for i := range n {
		id, err := st.CreateNewTrial(study)
		if err != nil {
			return err
		}
		if err := finish(id, float64(i)); err != nil {
			return err
		}
		trials, err := st.GetAllTrials(study)
		if err != nil {
			return err
		}
		for j, tr := range trials {
			if tr.Number != j {
				return fmt.Errorf("GetAllTrials: position %d holds trial number %d", j, tr.Number)
			}
		}
	}
	return nil
}

// TestCacheSeesOtherHandles checks that GetAllTrials through handle A
// reflects writes made through handle B (another process), including
// trials finished, enqueued and popped by B, and a study deleted by B.
func TestCacheSeesOtherHandles(t *testing.T) {
	for _, b := range sqlBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			a, bb := openT(t, dsn), openT(t, dsn)
			study := must(a.CreateNewStudy("cache"))(t)
			t0 := must(a.CreateNewTrial(study))(t)
			check(t, a.SetTrialValue(t0, 1))
			check(t, a.SetTrialState(t0, goptuna.TrialStateComplete))
			t1 := must(a.CreateNewTrial(study))(t)

			all := must(a.GetAllTrials(study))(t) // caches t0, t1 pending
			if len(all) != 2 || all[1].State != goptuna.TrialStateRunning {
				t.Fatalf("initial view: %+v", all)
			}
			// B finishes t1, adds t2 (running) and t3 (waiting).
			check(t, bb.SetTrialParam(t1, "c", 1, goptuna.CategoricalDistribution{Choices: []string{"a", "b"}}))
			check(t, bb.SetTrialUserAttr(t1, "by", "b"))
			check(t, bb.SetTrialIntermediateValue(t1, 0, 0.5))
			check(t, bb.SetTrialValue(t1, 2))
			check(t, bb.SetTrialState(t1, goptuna.TrialStateComplete))
			t2 := must(bb.CreateNewTrial(study))(t)
			t3 := must(bb.CloneTrial(study, goptuna.FrozenTrial{State: goptuna.TrialStateWaiting, DatetimeStart: time.Now()}))(t)

			all = must(a.GetAllTrials(study))(t)
			if len(all) != 4 {
				t.Fatalf("A sees %d trials, want 4", len(all))
			}
			want1 := must(bb.GetTrial(t1))(t)
			if !reflect.DeepEqual(all[1], want1) {
				t.Errorf("A's view of t1:\n%+v\nB's:\n%+v", all[1], want1)
			}
			if all[2].ID != t2 || all[2].State != goptuna.TrialStateRunning || all[3].ID != t3 || all[3].State != goptuna.TrialStateWaiting {
				t.Errorf("A's view of t2, t3: %+v", all[2:])
			}
			if best := must(a.GetBestTrial(study))(t); best.ID != t0 {
				t.Errorf("best trial %d, want %d", best.ID, t0)
			}
			// B pops t3, writes to t2; A sees both changes.
			check(t, bb.SetTrialState(t3, goptuna.TrialStateRunning))
			check(t, bb.SetTrialSystemAttr(t2, "k", "v"))
			check(t, bb.SetTrialValue(t2, -1))
			all = must(a.GetAllTrials(study))(t)
			if all[3].State != goptuna.TrialStateRunning || all[2].SystemAttrs["k"] != "v" {
				t.Errorf("A missed B's updates: %+v", all[2:])
			}
			// A pops nothing: t3 is taken.
			if err := a.SetTrialState(t3, goptuna.TrialStateRunning); err != goptuna.ErrTrialCannotBeUpdated {
				t.Errorf("A popping B's trial: %v", err)
			}
			check(t, bb.SetTrialState(t2, goptuna.TrialStateComplete))
			if best := must(a.GetBestTrial(study))(t); best.ID != t2 {
				t.Errorf("best trial %d, want %d", best.ID, t2)
			}
			if got := must(a.GetTrial(t2))(t); got.State != goptuna.TrialStateComplete || got.Value != -1 {
				t.Errorf("A's GetTrial(t2) = %+v", got)
			}
			// B deletes the study; A's cache must not hide that.
			check(t, bb.DeleteStudy(study))
			if _, err := a.GetAllTrials(study); err != goptuna.ErrInvalidStudyID {
				t.Errorf("GetAllTrials of a study deleted elsewhere: %v", err)
			}
			if _, err := a.GetTrial(t0); err != goptuna.ErrInvalidTrialID {
				t.Errorf("GetTrial of a trial deleted elsewhere: %v", err)
			}
			if _, err := a.GetBestTrial(study); err != goptuna.ErrInvalidStudyID {
				t.Errorf("GetBestTrial of a study deleted elsewhere: %v", err)
			}
		})
	}
}

// TestReopen checks durability: everything written through one handle is
// there after closing it and opening the database again.
func TestReopen(t *testing.T) {
	for _, b := range sqlBackends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			st, err := Open(t.Context(), dsn)
			check(t, err)
			study, err := goptuna.CreateStudy("durable", goptuna.StudyOptionStorage(st), goptuna.StudyOptionLogger(nil),
				goptuna.StudyOptionDirection(goptuna.StudyDirectionMaximize),
				goptuna.StudyOptionSampler(goptuna.NewRandomSampler(goptuna.RandomSamplerOptionSeed(1))))
			check(t, err)
			check(t, study.SetUserAttr("owner", "attune"))
			check(t, study.SetSystemAttr("sys", "1"))
			check(t, study.Optimize(objective6, 12))
			check(t, study.EnqueueTrial(map[string]float64{"x": 0}))
			running := must(st.CreateNewTrial(study.ID))(t)
			check(t, st.SetTrialIntermediateValue(running, 2, 0.25))
			before := must(st.GetAllTrials(study.ID))(t)
			check(t, st.Close())

			st2 := openT(t, dsn)
			id := must(st2.GetStudyIDFromName("durable"))(t)
			if id != study.ID {
				t.Errorf("study ID %d after reopening, want %d", id, study.ID)
			}
			after := must(st2.GetAllTrials(id))(t)
			if !reflect.DeepEqual(after, before) {
				t.Errorf("trials after reopening differ:\n%+v\n%+v", after, before)
			}
			if len(after) != 14 || after[12].State != goptuna.TrialStateWaiting || after[13].IntermediateValues[2] != 0.25 {
				t.Errorf("unexpected trials: %d, %+v", len(after), after[12:])
			}
			if d := must(st2.GetStudyDirection(id))(t); d != goptuna.StudyDirectionMaximize {
				t.Errorf("direction %s", d)
			}
			if a := must(st2.GetStudyUserAttrs(id))(t); a["owner"] != "attune" {
				t.Errorf("user attrs %v", a)
			}
			// The study continues: the enqueued trial 12 is popped, then
			// trial 14 is created (13 stays running).
			loaded := must(goptuna.LoadStudy("durable", goptuna.StudyOptionStorage(st2), goptuna.StudyOptionLogger(nil)))(t)
			check(t, loaded.Optimize(objective6, 2))
			trials := must(loaded.GetTrials())(t)
			if len(trials) != 15 || trials[12].State != goptuna.TrialStateComplete || trials[12].Params["x"] != 0.0 ||
				trials[13].State != goptuna.TrialStateRunning || trials[14].State != goptuna.TrialStateComplete {
				t.Errorf("resumed study: %d trials", len(trials))
			}
			if _, err := st2.GetStudyIDFromName("missing"); !errors.Is(err, ErrStudyNotFound) {
				t.Errorf("missing study: %v", err)
			}
		})
	}
}
