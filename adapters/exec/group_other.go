//go:build !unix

package exec

import osexec "os/exec"

// ownGroup leaves cmd as it is: where there are no process groups,
// cancellation kills the command itself (exec.CommandContext's default)
// and WaitDelay bounds the wait for its pipes.
func ownGroup(*osexec.Cmd) {}
