package state

import (
	"errors"
	"fmt"
)

var (
	// ErrCycle is the error of a computed that depends on itself, directly or
	// through other computeds. Readers receive it (Computed.Read); the graph
	// never hangs and never makes a value up.
	ErrCycle = errors.New("state: dependency cycle")

	// ErrEffectLoop is reported to the error handler when an effect runs more
	// often in one flush than WithMaxEffectRuns allows, typically because it
	// writes a signal it reads.
	ErrEffectLoop = errors.New("state: effect loop")

	// ErrNoOwner is reported when OnCleanup is called outside any effect or
	// scope; the cleanup is not registered.
	ErrNoOwner = errors.New("state: OnCleanup outside an effect or scope")
)

// A PanicError is a panic recovered from a computed, effect or cleanup
// function.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("state: panic: %v", e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// readError carries a computed's error out of Get. A computed or effect that
// recovers it takes the error as its own, unwrapped, so an error reaches every
// dependent as the same value.
type readError struct{ err error }

func (r readError) Error() string { return r.err.Error() }
func (r readError) Unwrap() error { return r.err }
