package loop

import (
	"path/filepath"

	"github.com/attune-dao/attune/internal/filelock"
)

// lockDir takes an exclusive lock on dir/.attune.lock, waiting for any
// other writer (in this process or another) to finish, and returns the
// function that releases it. The lock is the kernel's, so a writer killed
// while holding it releases it with its descriptor: no stale lock.
func lockDir(dir string) (unlock func(), err error) {
	return filelock.Lock(filepath.Join(dir, ".attune.lock"))
}
