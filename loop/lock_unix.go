//go:build unix

package loop

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive lock on dir/.attune.lock, waiting for any
// other writer (in this process or another) to finish, and returns the
// function that releases it. The lock is the kernel's (flock), so a writer
// killed while holding it releases it with its descriptor: no stale lock.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, ".attune.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
