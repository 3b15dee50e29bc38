package optimizer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/c-bata/goptuna"

	"github.com/attune-dao/attune/optimizer/storage"
)

// dsns are the shared storages a test can use: a SQLite file, and
// PostgreSQL when ATTUNE_TEST_POSTGRES_DSN names one.
func dsns(t testing.TB) map[string]string {
	out := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "studies.db")}
	if dsn := os.Getenv("ATTUNE_TEST_POSTGRES_DSN"); dsn != "" {
		out["postgres"] = dsn
	}
	return out
}

func open(t testing.TB, dsn string) *storage.Storage {
	t.Helper()
	st, err := storage.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A worker, on its own connection to the storage as another process would
// be, joins a study a search created: between them they evaluate exactly
// the study's budget, each trial once, and the creator's result holds all
// of them.
func TestWorkerSharesAStudy(t *testing.T) {
	for kind, dsn := range dsns(t) {
		t.Run(kind, func(t *testing.T) {
			name := fmt.Sprintf("workers/%s/%d-%d", t.Name(), os.Getpid(), time.Now().UnixNano())
			space := Space{{Name: "x", Kind: Float, Low: 0, High: 1}, {Name: "n", Kind: Int, Low: 1, High: 5}}
			var mu sync.Mutex
			seen := map[[2]float64]int{}
			workerFirst := make(chan struct{})
			var once sync.Once
			eval := func(who string) Objective {
				return func(_ context.Context, p map[string]float64) (Evaluation, error) {
					if who == "creator" && p["x"] != 0.5 {
						<-workerFirst // the worker evaluates before the creator's second trial
					}
					mu.Lock()
					seen[[2]float64{p["x"], p["n"]}]++
					mu.Unlock()
					if who == "worker" {
						once.Do(func() { close(workerFirst) })
					}
					return Evaluation{Value: -(p["x"]-0.3)*(p["x"]-0.3) - p["n"]/10}, nil
				}
			}
			creatorStore, workerStore := open(t, dsn), open(t, dsn)
			base := map[string]float64{"x": 0.5, "n": 3}
			if _, err := Search(context.Background(), space, base, eval("worker"), Options{Sampler: "tpe", Storage: workerStore, Study: name, Join: true}); !errors.Is(err, ErrNoStudy) {
				t.Fatalf("joining a study before it exists: %v", err)
			}
			var wg sync.WaitGroup
			var res *Result
			var cerr error
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, cerr = Search(context.Background(), space, base, eval("creator"), Options{Sampler: "tpe", Trials: 30, Batch: 2, Seed: 4, Storage: creatorStore, Study: name})
			}()
			// The worker joins once the study exists.
			var wres *Result
			for try := 0; ; try++ {
				if try > 100000 {
					t.Fatal("the study never became ready to join")
				}
				r, err := Search(context.Background(), space, base, eval("worker"), Options{Sampler: "tpe", Batch: 1, Seed: 4, Storage: workerStore, Study: name, Join: true})
				if errors.Is(err, ErrNoStudy) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				wres = r
				break
			}
			wg.Wait()
			if cerr != nil {
				t.Fatal(cerr)
			}
			if len(res.Trials) != 30 || len(wres.Trials) > 30 {
				t.Fatalf("creator sees %d trials, worker %d; want the budget, 30", len(res.Trials), len(wres.Trials))
			}
			total := 0
			for p, n := range seen {
				if n != 1 && p != [2]float64{0.5, 3} {
					t.Errorf("%v evaluated %d times", p, n)
				}
				total += n
			}
			if total != 30 {
				t.Errorf("%d evaluations for a budget of 30", total)
			}
			sid, _ := creatorStore.GetStudyIDFromName(name)
			trials, _ := creatorStore.GetAllTrials(sid)
			numbers := map[int]bool{}
			complete := 0
			for _, tr := range trials {
				if numbers[tr.Number] {
					t.Errorf("trial number %d used twice", tr.Number)
				}
				numbers[tr.Number] = true
				switch tr.State {
				case goptuna.TrialStateComplete:
					complete++
				case goptuna.TrialStateFail: // a place given up: the budget was taken
				default:
					t.Errorf("trial %d left %v", tr.Number, tr.State)
				}
			}
			if complete != 30 {
				t.Errorf("%d complete trials, want 30", complete)
			}
			if err := creatorStore.DeleteStudy(sid); err != nil {
				t.Error(err)
			}
		})
	}
}

// BenchmarkWorkers runs a 400-trial study of an objective that sleeps
// 50 ms with 1 and with 4 processes (each a Search on its own storage
// connection: the creator and 3 workers that join it). It needs
// ATTUNE_TEST_POSTGRES_DSN; run with -benchtime=1x.
func BenchmarkWorkers(b *testing.B) {
	dsn := os.Getenv("ATTUNE_TEST_POSTGRES_DSN")
	if dsn == "" {
		b.Skip("set ATTUNE_TEST_POSTGRES_DSN")
	}
	space := Space{{Name: "x", Kind: Float, Low: 0, High: 1}, {Name: "y", Kind: Float, Low: 0, High: 1}, {Name: "n", Kind: Int, Low: 1, High: 8}}
	obj := func(_ context.Context, p map[string]float64) (Evaluation, error) {
		time.Sleep(50 * time.Millisecond)
		return Evaluation{Value: -(p["x"]-0.3)*(p["x"]-0.3) - (p["y"]-0.6)*(p["y"]-0.6) - p["n"]/100}, nil
	}
	base := map[string]float64{"x": 0.5, "y": 0.5, "n": 4}
	for _, procs := range []int{1, 4} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			for b.Loop() {
				name := fmt.Sprintf("bench-workers/%d-%d", os.Getpid(), time.Now().UnixNano())
				stores := make([]*storage.Storage, procs)
				for i := range stores {
					stores[i] = open(b, dsn)
				}
				var wg sync.WaitGroup
				var res *Result
				var cerr error
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, cerr = Search(context.Background(), space, base, obj, Options{Sampler: "tpe", Trials: 400, Batch: 1, Workers: 1, Seed: 1, Storage: stores[0], Study: name})
				}()
				for i := 1; i < procs; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							_, err := Search(context.Background(), space, base, obj, Options{Sampler: "tpe", Batch: 1, Workers: 1, Seed: 1, Storage: stores[i], Study: name, Join: true})
							if !errors.Is(err, ErrNoStudy) {
								if err != nil {
									b.Error(err)
								}
								return
							}
							time.Sleep(10 * time.Millisecond)
						}
					}()
				}
				wg.Wait()
				if cerr != nil || len(res.Trials) != 400 {
					b.Fatalf("%v, %d trials", cerr, len(res.Trials))
				}
				sid, _ := stores[0].GetStudyIDFromName(name)
				_ = stores[0].DeleteStudy(sid)
			}
		})
	}
}

// racyStorage lets the creator of a study finish creating it (set its
// direction and budget, as goptuna's CreateStudy and Search do after
// CreateNewStudy) the moment a joining worker first reads the study's
// direction or attributes: the interleaving in which a worker caught a
// study half made.
type racyStorage struct {
	goptuna.Storage
	once   sync.Once
	finish func()
}

func (r *racyStorage) GetStudyDirection(id int) (goptuna.StudyDirection, error) {
	d, err := r.Storage.GetStudyDirection(id)
	r.once.Do(r.finish)
	return d, err
}

func (r *racyStorage) GetStudySystemAttrs(id int) (map[string]string, error) {
	a, err := r.Storage.GetStudySystemAttrs(id)
	r.once.Do(r.finish)
	return a, err
}

// A worker that meets a study its creator has not finished is told it is
// not ready (ErrNoStudy, so it tries again), never that the study is not
// attune's; once the creator is done, the worker joins.
func TestJoinAHalfMadeStudy(t *testing.T) {
	mem := goptuna.NewInMemoryStorage()
	id, err := mem.CreateNewStudy("half")
	if err != nil {
		t.Fatal(err)
	}
	st := &racyStorage{Storage: mem, finish: func() {
		if err := mem.SetStudyDirection(id, goptuna.StudyDirectionMaximize); err != nil {
			t.Error(err)
		}
		if err := mem.SetStudySystemAttr(id, budgetAttr, "4"); err != nil {
			t.Error(err)
		}
	}}
	space := Space{{Name: "x", Kind: Float, Low: 0, High: 1}}
	obj := func(_ context.Context, p map[string]float64) (Evaluation, error) {
		return Evaluation{Value: -p["x"]}, nil
	}
	join := Options{Sampler: "random", Seed: 1, Storage: st, Study: "half", Join: true}
	if _, err := Search(context.Background(), space, map[string]float64{"x": 0.5}, obj, join); !errors.Is(err, ErrNoStudy) {
		t.Fatalf("joining a half-made study: %v; want ErrNoStudy (not ready)", err)
	}
	res, err := Search(context.Background(), space, map[string]float64{"x": 0.5}, obj, join)
	if err != nil {
		t.Fatalf("joining once it is made: %v", err)
	}
	if len(res.Trials) != 4 {
		t.Errorf("the worker's result holds %d trials, want the budget, 4", len(res.Trials))
	}
}
