package evm

import "fmt"

// invalidf returns an error reading format's message, wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, ErrInvalid)...)
}

// truncate shortens s for an error message, so that hostile input cannot
// make a message as long as itself.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
