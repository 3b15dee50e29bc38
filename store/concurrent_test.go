package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment variables that make the test binary a helper process.
const (
	// workerEnv = "DSN|NAME|GOROUTINES|CYCLES": run writers, then exit.
	workerEnv = "ATTUNE_STORE_TEST_WORKER"
	// lockerEnv = "DSN|DAO": take the DAO's lock, say so, wait to be killed.
	lockerEnv = "ATTUNE_STORE_TEST_LOCKER"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(workerEnv); spec != "" {
		os.Exit(workerMain(spec))
	}
	if spec := os.Getenv(lockerEnv); spec != "" {
		os.Exit(lockerMain(spec))
	}
	os.Exit(m.Run())
}

func workerMain(spec string) int {
	parts := strings.Split(spec, "|")
	if len(parts) != 4 {
		fmt.Fprintln(os.Stderr, "bad worker spec", spec)
		return 2
	}
	g, _ := strconv.Atoi(parts[2])
	n, _ := strconv.Atoi(parts[3])
	s, err := Open(context.Background(), parts[0], Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	if err := writers(s, parts[1], g, n); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func lockerMain(spec string) int {
	dsn, dao, _ := strings.Cut(spec, "|")
	s, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	if _, err := s.Lock(context.Background(), dao); err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("locked")
	select {}
}

// changesPerCycle is how many changes (and audit entries) writers makes
// per cycle.
const changesPerCycle = 4

// writers runs g goroutines, each taking n cycles named after name through
// create, calibrating, optimizing and failed.
func writers(s Store, name string, g, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, g)
	for i := range g {
		wg.Go(func() {
			for j := range n {
				in := fmt.Sprintf("%s-%d-%d", name, i, j)
				c, err := s.CreateCycle(ctx, NewCycle{Actor: name, DAO: "Compound", ConfigHash: "cfg"})
				if err == nil {
					_, err = s.Advance(ctx, c.ID, Calibrating, Change{Actor: name, InputsHash: in})
				}
				if err == nil {
					_, err = s.Advance(ctx, c.ID, Optimizing, Change{Actor: name})
				}
				if err == nil {
					_, err = s.Advance(ctx, c.ID, Failed, Change{Actor: name, Error: "test"})
				}
				if err != nil {
					errs <- fmt.Errorf("%s goroutine %d cycle %d: %w", name, i, j, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return errors.Join(func() []error {
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		return all
	}()...)
}

// checkLog checks that the log holds exactly cycles×changesPerCycle
// entries, numbered without gaps, chained, each cycle's four in order.
func checkLog(t *testing.T, s Store, cycles int) {
	t.Helper()
	v := must(s.Verify(ctx))(t)
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	want := int64(cycles * changesPerCycle)
	if v.Entries != want || v.Head.Seq != want {
		t.Errorf("%d entries, head at %d; want %d (none lost or duplicated)", v.Entries, v.Head.Seq, want)
	}
	es := must(s.Audit(ctx, AuditFilter{}))(t)
	per := map[string][]string{}
	for _, e := range es {
		per[e.Subject] = append(per[e.Subject], e.Action)
	}
	if len(per) != cycles {
		t.Errorf("entries about %d cycles, want %d", len(per), cycles)
	}
	for subject, actions := range per {
		if strings.Join(actions, ",") != "cycle.create,cycle.advance,cycle.advance,cycle.advance" {
			t.Errorf("%s: %v", subject, actions)
		}
	}
	if got := len(must(s.Cycles(ctx, Filter{States: []State{Failed}}))(t)); got != cycles {
		t.Errorf("%d failed cycles, want %d", got, cycles)
	}
}

// Goroutines writing through two handles never lose or duplicate an
// entry.
func TestConcurrentWriters(t *testing.T) {
	const goroutines, cycles = 4, 8
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			hs := []*SQL{openT(t, dsn), openT(t, dsn)}
			var wg sync.WaitGroup
			for i, h := range hs {
				wg.Go(func() {
					if err := writers(h, fmt.Sprint("handle", i), goroutines, cycles); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			checkLog(t, hs[0], len(hs)*goroutines*cycles)
		})
	}
}

// Two processes and this one write at once: none loses or duplicates an
// entry (SQLite's BEGIN IMMEDIATE and busy timeout across processes, the
// head's row lock on PostgreSQL).
func TestConcurrentProcesses(t *testing.T) {
	const procs, goroutines, cycles = 2, 3, 6
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			s := openT(t, dsn) // migrated before the children start
			var cmds []*exec.Cmd
			var outs []*strings.Builder
			for p := range procs {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|proc%d|%d|%d", workerEnv, dsn, p, goroutines, cycles))
				out := &strings.Builder{}
				cmd.Stderr = out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds, outs = append(cmds, cmd), append(outs, out)
			}
			if err := writers(s, "parent", goroutines, cycles); err != nil {
				t.Error(err)
			}
			for i, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Errorf("process %d: %v: %s", i, err, outs[i])
				}
			}
			checkLog(t, s, (procs+1)*goroutines*cycles)
		})
	}
}

// A DAO's lock held by another process excludes this one until that
// process dies; then it is free without anyone releasing it.
func TestLockOfADeadProcessIsFree(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			s := openT(t, dsn)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), lockerEnv+"="+dsn+"|Compound")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || line != "locked\n" {
				_ = cmd.Process.Kill()
				t.Fatalf("child: %q %v", line, err)
			}
			if _, err := s.Lock(ctx, "Compound"); !errors.Is(err, ErrLocked) {
				t.Errorf("lock held by another process: %v", err)
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			// The kernel drops an flock at once; PostgreSQL ends the dead
			// client's session when it reads the closed socket, so poll a
			// bounded number of times.
			var release func() error
			for try := 0; try < 200; try++ {
				if release, err = s.Lock(ctx, "Compound"); !errors.Is(err, ErrLocked) {
					break
				}
				time.Sleep(25 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("lock after the holder died: %v", err)
			}
			if err := release(); err != nil {
				t.Error(err)
			}
		})
	}
}
