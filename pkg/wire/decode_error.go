package wire

import (
	"errors"
	"strings"
)

// ErrMalformed is matched (errors.Is) by every error a decoder of this
// package returns: bad JSON, a wrong type, a missing required field, a value
// out of range, an unknown message type.
var ErrMalformed = errors.New("wire: malformed")

// ErrUnknownType is matched by the DecodeError of a WebSocket message whose
// "t" is well-formed but not a message type of this side of the protocol.
var ErrUnknownType = errors.New("wire: unknown message type")

// A DecodeError says what was wrong with one decoded body or message. It
// matches ErrMalformed, and wraps the JSON error or ErrUnknownType when
// there is one.
type DecodeError struct {
	// What names the body or message, e.g. "sub message" or "mutation response".
	What string
	// Field is the JSON path of the offending field ("items[3].id"), or "".
	Field string
	// Reason says what is wrong ("is required", "must be at least 1").
	Reason string
	// Err is the underlying error, or nil.
	Err error
}

// Error implements error.
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("wire: malformed ")
	b.WriteString(e.What)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil && e.Reason == "" {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformed.
func (e *DecodeError) Is(target error) bool { return target == ErrMalformed }

func malformed(what, field, reason string) *DecodeError {
	return &DecodeError{What: what, Field: field, Reason: reason}
}

func jsonError(what string, err error) *DecodeError {
	return &DecodeError{What: what, Err: err}
}
