package cache

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrInvalidKey reports a key holding a value that cannot be hashed
	// (see Key for the supported types).
	ErrInvalidKey = errors.New("cache: invalid key")
	// ErrNoData reports a query function that succeeded without a value
	// (a nil interface), TanStack's "query data cannot be undefined".
	ErrNoData = errors.New("cache: query function returned no data")
	// ErrNotModified may be returned by a query function to say that the
	// server state has not changed since the data already cached: the fetch
	// succeeds and keeps the cached value. Without cached data it is an error.
	ErrNotModified = errors.New("cache: not modified")
	// ErrTimeout reports a query or mutation attempt that did not return
	// within its Timeout; the attempt's context is cancelled and the retry
	// policy applies.
	ErrTimeout = errors.New("cache: attempt timed out")
	// ErrTypeMismatch reports cached data of another type than the one the
	// caller asked for (two typed views of one key that disagree).
	ErrTypeMismatch = errors.New("cache: cached data has another type")
	// ErrNoQueryFn reports a fetch of a query that has no query function,
	// neither its own nor from SetQueryDefaults.
	ErrNoQueryFn = errors.New("cache: no query function")
	// ErrNoMutationFn reports a mutation without a mutation function,
	// neither its own nor from SetMutationDefaults.
	ErrNoMutationFn = errors.New("cache: no mutation function")
	// ErrClosed reports an operation on a closed Client.
	ErrClosed = errors.New("cache: client closed")
	// ErrUnavailable reports a browser facility (document, navigator,
	// localStorage, fetch) missing from the JavaScript host.
	ErrUnavailable = errors.New("cache: browser API unavailable")
)

// CancelledError is the error of a fetch that was cancelled, by
// Client.CancelQueries, by a refetch that replaced it, or because its last
// observer left. Revert says the query went back to its state before the
// fetch; Silent says another fetch took over.
type CancelledError struct {
	Revert bool
	Silent bool
}

func (e *CancelledError) Error() string { return "cache: fetch cancelled" }

// IsCancelled reports whether err is (or wraps) a *CancelledError.
func IsCancelled(err error) bool {
	var ce *CancelledError
	return errors.As(err, &ce)
}

// PanicError is the error a query function, mutation function, select
// function or callback produces when it panics: the panic is recovered and
// becomes an ordinary error, so the retry policy applies.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
}

func (e *PanicError) Error() string { return fmt.Sprintf("cache: panic: %v", e.Value) }

// Unwrap returns Value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

func joinErrors(errs []error) error { return errors.Join(errs...) }
