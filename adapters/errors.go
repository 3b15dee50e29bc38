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

// notSent marks an error after which the destination surely holds
// nothing.
type notSent struct{ err error }

func (n notSent) Error() string { return n.err.Error() }
func (n notSent) Unwrap() error { return n.err }

// NotSent marks err as a failure after which the destination surely holds
// nothing of the publication: a check that failed before anything was
// sent, or a refusal. The caller may then send again without asking a
// Finder. NotSent(nil) is nil.
func NotSent(err error) error {
	if err == nil {
		return nil
	}
	return notSent{err}
}

// IsNotSent reports whether err, or an error it wraps, was marked by
// NotSent.
func IsNotSent(err error) bool {
	var n notSent
	return errors.As(err, &n)
}
