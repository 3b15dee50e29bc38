package filelock

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestMain lets the test binary hold a lock as a separate process
// (FILELOCK_TEST_HOLD=path): it takes the lock, says so on stdout and
// waits to be killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("FILELOCK_TEST_HOLD"); path != "" {
		if _, err := TryLock(path); err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		select {}
	}
	os.Exit(m.Run())
}

// A second TryLock of a held file fails with ErrLocked, in the same
// process too, and succeeds once the first is released.
func TestTryLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.lock")
	unlock, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second TryLock: %v, want ErrLocked", err)
	}
	unlock()
	again, err := TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after release: %v", err)
	}
	again()
	if _, err := TryLock(filepath.Join(t.TempDir(), "missing", "a.lock")); err == nil || errors.Is(err, ErrLocked) {
		t.Errorf("lock in a missing directory: %v", err)
	}
}

// Goroutines taking turns with Lock never overlap: none enters while
// another is inside. (Atomics count, since the race detector does not see
// flock as synchronisation.)
func TestLockSerialises(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.lock")
	const workers, each = 6, 40
	var inside, entries, overlaps atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				unlock, err := Lock(path)
				if err != nil {
					t.Error(err)
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				entries.Add(1)
				runtime.Gosched() // give another goroutine the chance to barge in
				inside.Add(-1)
				unlock()
			}
		})
	}
	wg.Wait()
	if entries.Load() != workers*each || overlaps.Load() != 0 {
		t.Errorf("%d entries, want %d; %d overlaps", entries.Load(), workers*each, overlaps.Load())
	}
}

// A lock held by another process excludes this one until that process
// is killed: the kernel releases it, no stale lock remains.
func TestLockOfAKilledProcessIsReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FILELOCK_TEST_HOLD="+path)
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
		t.Fatalf("child: %q, %v", line, err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrLocked) {
		t.Errorf("TryLock while another process holds it: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	unlock, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	unlock()
}
