package adapters

import "errors"

// transient marks an error worth retrying later.
type transient struct{ err error }

func (t transient) Error() string   { return t.err.Error() }
func (t transient) Unwrap() error   { return t.err }
func (t transient) Transient() bool { return true }

// Transient marks err as transient: the network, a rate limit or a busy
// server, worth retrying later unchanged. Errors not marked are terminal.
// Transient(nil) is nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return transient{err}
}

// IsTransient reports whether err, or an error it wraps, says it is
// transient by a Transient() bool method that returns true.
func IsTransient(err error) bool {
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}
