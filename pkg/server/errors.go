package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Sentinels a hook may return (wrapped or not) to pick the answer.
var (
	// ErrUnauthorized makes an authentication hook answer 401 (REST) or
	// close 4001 (WebSocket).
	ErrUnauthorized = errors.New("server: unauthorized")
	// ErrForbidden makes an authorization hook answer 403, or refuse a
	// subscription with an error message of code forbidden.
	ErrForbidden = errors.New("server: forbidden")
	// ErrNotFound makes a hook answer 404.
	ErrNotFound = errors.New("server: not found")
)

// An Error is a complete HTTP error answer. Hooks return one to choose the
// status, code and message; the server also uses it for every 4xx it makes.
// Every Error with a 4xx status other than 401, 408 and 429 is permanent:
// it is recorded as the mutation's answer. A 5xx Error (503 with code
// unavailable, say) is a transient failure: not recorded, the client
// retries.
//
// The answer's text is bounded whatever a hook puts in it: Message and each
// field message at most 256 bytes, at most 32 fields with names of at most
// 64 bytes (longer text is cut and ends with "…"). Current goes only to the
// answer of the request itself, never into the recorded answer a retry
// gets back, so a recorded error answer stays small.
type Error struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
	Current *wire.Item

	cause error // logged, never sent
	// readers: Current is the request's own entity, sent only to a caller
	// that Authorize allows to read it (OpGet, in partition).
	readers   bool
	partition string
}

// Bounds of the text of an error answer.
const (
	maxMessageBytes = 256
	maxFieldBytes   = 64
	maxFields       = 32
)

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// quoteField quotes a field name from the input for a message, cut to
// maxFieldBytes first.
func quoteField(name string) string { return fmt.Sprintf("%q", clip(name, maxFieldBytes)) }

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("server: %d %s: %s", e.Status, e.Code, e.Message) }

func errBadRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: wire.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func errNotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Code: wire.CodeNotFound, Message: what + " not found"}
}

// httpError maps an error from the request path or a hook to its answer. It
// returns nil for an internal error: a 500 that is logged and not recorded.
func httpError(err error) *Error {
	var e *Error
	var fe *form.Errors
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &fe):
		return &Error{Status: http.StatusUnprocessableEntity, Code: wire.CodeInvalid, Message: "invalid input", Fields: fe.Fields}
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: wire.CodeTooLarge,
			Message: fmt.Sprintf("request body is over the limit of %d bytes", mbe.Limit)}
	case errors.Is(err, ErrUnauthorized):
		return &Error{Status: http.StatusUnauthorized, Code: wire.CodeUnauthorized, Message: "unauthorized", cause: wrapped(err, ErrUnauthorized)}
	case errors.Is(err, ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: wire.CodeForbidden, Message: "forbidden", cause: wrapped(err, ErrForbidden)}
	case errors.Is(err, ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: wire.CodeNotFound, Message: "not found", cause: wrapped(err, ErrNotFound)}
	}
	return nil
}

// wrapped returns err when it wraps sentinel with text of its own (which
// is logged, never sent), nil when it is the bare sentinel.
func wrapped(err, sentinel error) error {
	if err == sentinel {
		return nil
	}
	return err
}

func trimPrefix(err error) string { return strings.TrimPrefix(err.Error(), "server: ") }

// A storeError is an error a Store returned during a mutation: I/O, not the
// mutation's fault, so it answers 500 and is not recorded (the client
// retries). Tx hands hooks a WriteTx whose errors are all storeErrors.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func fromStore(err error) error {
	var se *storeError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return &storeError{err: err}
}

// A panicError is a panic recovered while applying a mutation.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("server: panic in mutation: %v\n%s", e.value, e.stack)
}

// mutationError maps the failure of a mutation inside its transaction to
// its answer, or nil for a 500 that is not recorded (a Store error).
//
// Typed answers (*Error, *form.Errors, the sentinels) keep their status. Any
// other failure is deterministic — a hook's plain error (a business rule), a
// panic in a hook, a cascade past the depth limit, an object that does not
// encode — and retrying would fail the same way, so it is a recorded 422
// with code rejected: a client queue never blocks on it.
func mutationError(err error) *Error {
	var se *storeError
	var pe *panicError
	switch {
	case errors.As(err, &se):
		return nil
	case httpError(err) != nil:
		return httpError(err)
	case errors.As(err, &pe):
		return &Error{Status: http.StatusUnprocessableEntity, Code: wire.CodeRejected, Message: "the server failed to apply this mutation", cause: err}
	case errors.Is(err, errDepth):
		return &Error{Status: http.StatusUnprocessableEntity, Code: wire.CodeRejected, Message: trimPrefix(errDepth), cause: err}
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: wire.CodeRejected, Message: trimPrefix(err), cause: err}
}

// authorizeError maps an Authorize hook's refusal: typed answers keep their
// status (ErrForbidden 403, ErrUnauthorized 401, ErrNotFound 404, *Error);
// any other error may be transient (a permission service that is down), so
// it is a 503 that is not recorded and the client retries.
func authorizeError(err error) *Error {
	if he := httpError(err); he != nil {
		return he
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: wire.CodeUnavailable, Message: "authorization failed; try again later", cause: err}
}

// recorded reports whether an error answer is permanent and so stored as the
// mutation's outcome.
func (e *Error) recorded() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != 401 && e.Status != 408 && e.Status != 429
}

// body encodes the answer with Current.
func (e *Error) body() []byte { return e.encode(e.Current) }

// recordedBody encodes the answer as it is recorded for retries: without
// Current.
func (e *Error) recordedBody() []byte { return e.encode(nil) }

func (e *Error) encode(current *wire.Item) []byte {
	var fields map[string]string
	if len(e.Fields) > 0 {
		fields = make(map[string]string, min(len(e.Fields), maxFields))
		for k, v := range e.Fields {
			if len(fields) == maxFields {
				break
			}
			fields[clip(k, maxFieldBytes)] = clip(v, maxMessageBytes)
		}
	}
	msg := clip(e.Message, maxMessageBytes)
	b, err := json.Marshal(wire.ErrorResponse{Error: wire.ErrorBody{Code: e.Code, Message: msg, Fields: fields, Current: current}})
	if err != nil {
		// Only a hook's Current with invalid JSON data can fail; drop it.
		b, _ = json.Marshal(wire.ErrorResponse{Error: wire.ErrorBody{Code: e.Code, Message: msg, Fields: fields}})
	}
	return b
}

// rateLimited is the 429 of a quota: not recorded, the client retries.
func rateLimited(message string) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: wire.CodeRateLimited, Message: message}
}

// writeRateLimited answers 429 with Retry-After (whole seconds, at least 1)
// and closes the connection, whose request body may be unread.
func writeRateLimited(w http.ResponseWriter, e *Error, wait time.Duration) {
	w.Header().Set("Retry-After", retryAfter(wait))
	w.Header().Set("Connection", "close")
	writeError(w, e)
}

func retryAfter(wait time.Duration) string {
	return strconv.FormatInt(int64(max(1, (wait+time.Second-1)/time.Second)), 10)
}

var internalBody = (&Error{Code: wire.CodeInternal, Message: "internal error"}).body()

// jsonFieldError turns a json decoding error into a message that names the
// field and the expected JSON type, without Go type names.
func jsonFieldError(err error) *Error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errBadRequest("body must be a JSON object")
		}
		return errBadRequest("field %s must be %s, not %s", quoteField(field), jsonKind(te), clip(te.Value, 32))
	case errors.As(err, &se):
		return errBadRequest("malformed JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			return errBadRequest("unknown field")
		}
		return errBadRequest("unknown field %s", quoteField(name))
	}
	return errBadRequest("malformed JSON: %s", clip(strings.TrimPrefix(err.Error(), "json: "), 128))
}

func jsonKind(te *json.UnmarshalTypeError) string {
	if te.Type == nil {
		return "another type"
	}
	switch te.Type.Kind().String() {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "another type"
}
