package form

import (
	"errors"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *Errors.
var ErrInvalid = errors.New("form: invalid")

// FormKey is the Errors key of a message that belongs to the whole form
// rather than to one field: a Check returning a plain error lands there.
const FormKey = "_"

// Errors holds one message per invalid field, keyed by the field's JSON
// name. A server sends Fields as the "fields" of a 422 answer; a browser
// shows each message next to its input.
//
// The zero value is empty and ready to use.
type Errors struct {
	Fields map[string]string
}

// Invalid returns Errors with one message for field. Checks and server hooks
// return it to attribute a failure to a field.
func Invalid(field, message string) *Errors {
	return &Errors{Fields: map[string]string{field: message}}
}

// Error implements error: "form: title: is required; name: is too long",
// fields in name order.
func (e *Errors) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	// Insertion sort: forms have few fields, and it keeps a generic sort
	// out of browser builds.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	var b strings.Builder
	b.WriteString("form: ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(e.Fields[k])
	}
	if len(keys) == 0 {
		b.WriteString("invalid")
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *Errors) Is(target error) bool { return target == ErrInvalid }

// Get returns the message of field, or "".
func (e *Errors) Get(field string) string {
	if e == nil {
		return ""
	}
	return e.Fields[field]
}

// Len returns the number of invalid fields.
func (e *Errors) Len() int {
	if e == nil {
		return 0
	}
	return len(e.Fields)
}

// add records message for field unless the field already has one: the
// first failure of a field is the one reported.
func (e *Errors) add(field, message string) {
	if e.Fields == nil {
		e.Fields = make(map[string]string)
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = message
	}
}

// merge adds err to e: the fields of an *Errors, or err's text under FormKey.
func (e *Errors) merge(err error) {
	var fe *Errors
	if errors.As(err, &fe) {
		for k, v := range fe.Fields {
			e.add(k, v)
		}
		return
	}
	e.add(FormKey, err.Error())
}

func (e *Errors) orNil() error {
	if e.Len() == 0 {
		return nil
	}
	return e
}
