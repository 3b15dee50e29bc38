//go:build unix

package loop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/attune-dao/attune/adapters/sinktest"
	"github.com/attune-dao/attune/adapters/webhook/webhooktest"
)

// Publishing holds the out directory's lock while it sends, as
// Cycle.Write and Redraft take it: the receiver, trying the lock while
// it is being delivered to, finds it taken.
func TestPublishHoldsTheLock(t *testing.T) {
	rc := &webhooktest.Receiver{Secret: secrets["ATTUNE_HOOK_SECRET"]}
	var lockPath string
	held := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.OpenFile(lockPath, os.O_RDWR, 0)
		if err == nil {
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
				held++
			} else if err == nil {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			}
			f.Close()
		}
		rc.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := sinktest.CopyCycle(t, sinktest.CycleDir(t), fixtureID, fmt.Sprintf("  - {type: webhook, url: %q, secret: {env: ATTUNE_HOOK_SECRET}}\n", srv.URL))
	lockPath = filepath.Join(filepath.Dir(dir), ".attune.lock")
	if _, err := Publish(context.Background(), dir, opts("alice")); err != nil {
		t.Fatal(err)
	}
	if held != 1 || len(rc.Events()) != 1 {
		t.Errorf("the lock was held during %d of %d deliveries", held, len(rc.Events()))
	}
}
