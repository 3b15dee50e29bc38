// Package filelock takes exclusive locks on files with the kernel's
// advisory locks (flock on Unix, LockFileEx on Windows). A lock belongs to
// an open file, so a process killed while holding one releases it with
// its descriptor: no lock is ever left stale. Two opens of one file in the
// same process exclude each other too.
package filelock

import "errors"

// ErrLocked is returned by TryLock when another holder has the lock.
var ErrLocked = errors.New("locked by another process or goroutine")
