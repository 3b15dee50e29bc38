package loop

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/attune-dao/attune/oracle"
)

// Concurrent writers of one cycle into one directory take turns: every
// write succeeds and the directory ends whole (issue 11 saw 19 of 1,200
// concurrent writes fail on each other's renames).
func TestConcurrentWritesOfOneCycleAllSucceed(t *testing.T) {
	cfg := small(t, nil)
	c, err := Run(context.Background(), cfg, oracle.Template{}, Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	const writers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := c.Write(out); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		failed++
		if failed <= 3 {
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d writes failed", failed, writers*each)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(entries) != 2 { // the cycle and the lock file
		t.Errorf("out holds %v; want the cycle and .attune.lock only (no temporary directories left)", names)
	}
	for _, f := range []string{"proposal.md", "recommendation.json", "objectives.png", "config.yaml"} {
		if st, err := os.Stat(filepath.Join(out, c.ID, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty after the concurrent writes: %v", f, err)
		}
	}
}
