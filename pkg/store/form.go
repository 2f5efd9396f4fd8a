package store

import (
	"errors"
	"maps"
	"reflect"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/state"
)

// A Form is the state of one form as signals: its value, which fields the
// user has touched, whether it differs from its initial value, its errors —
// from the schema as the user types and from the server's 422 after a submit
// — and whether a submit is in flight. Submit runs the form value through a
// Mutation: form → UI state → optimistic store in one call.
//
// Every method is a tracked read or a write on the graph's goroutine.
type Form[F any] struct {
	g          *state.Graph
	schema     *form.Schema[F]
	initial    *state.Signal[F]
	value      *state.Signal[F]
	touched    *state.Signal[map[string]bool]
	submitted  *state.Signal[bool]
	submitting *state.Signal[bool]
	server     *state.Signal[map[string]string]
	submitErr  *state.Signal[error]
	errs       *state.Computed[map[string]string]
	dirty      *state.Computed[bool]
}

// NewForm returns a form over schema (nil for no validation) starting at
// initial.
func NewForm[F any](g *state.Graph, schema *form.Schema[F], initial F) *Form[F] {
	eq := func(a, b F) bool { return reflect.DeepEqual(a, b) }
	f := &Form[F]{
		g:          g,
		schema:     schema,
		initial:    state.NewSignalFunc(g, initial, eq),
		value:      state.NewSignalFunc(g, initial, eq),
		touched:    state.NewSignalFunc(g, map[string]bool{}, maps.Equal[map[string]bool]),
		submitted:  state.NewSignal(g, false),
		submitting: state.NewSignal(g, false),
		server:     state.NewSignalFunc(g, map[string]string(nil), maps.Equal[map[string]string]),
		submitErr:  state.NewSignalFunc(g, error(nil), func(a, b error) bool { return a == nil && b == nil }),
	}
	f.errs = state.NewComputedFunc(g, func() map[string]string {
		out := map[string]string{}
		if f.schema != nil {
			var fe *form.Errors
			if errors.As(f.schema.Validate(f.value.Get()), &fe) {
				maps.Copy(out, fe.Fields)
			}
		}
		maps.Copy(out, f.server.Get())
		return out
	}, maps.Equal[map[string]string])
	f.dirty = state.NewComputed(g, func() bool { return !eq(f.value.Get(), f.initial.Get()) })
	return f
}

// Value returns the form's current value.
func (f *Form[F]) Value() F { return f.value.Get() }

// Set replaces the value. It clears the server's field errors: they
// described a value that is gone.
func (f *Form[F]) Set(v F) {
	f.g.Batch(func() {
		f.value.Set(v)
		f.server.Set(nil)
	})
}

// Update changes the value in place through fn, as Set.
func (f *Form[F]) Update(fn func(*F)) {
	v := f.value.Peek()
	fn(&v)
	f.Set(v)
}

// Touch marks a field as visited, so that its error shows.
func (f *Form[F]) Touch(field string) {
	if f.touched.Peek()[field] {
		return
	}
	t := maps.Clone(f.touched.Peek())
	t[field] = true
	f.touched.Set(t)
}

// Touched reports whether the user has visited field.
func (f *Form[F]) Touched(field string) bool { return f.touched.Get()[field] }

// Error returns the message to show next to field: the server's, or the
// schema's once the field is touched or a submit was attempted; "" if none.
func (f *Form[F]) Error(field string) string {
	msg := f.errs.Get()[field]
	if msg == "" {
		return ""
	}
	if f.server.Get()[field] != "" || f.submitted.Get() || f.touched.Get()[field] {
		return msg
	}
	return ""
}

// Errors returns every current error by field, shown or not.
func (f *Form[F]) Errors() map[string]string { return f.errs.Get() }

// Valid reports whether the value passes the schema and the server has no
// objection on record.
func (f *Form[F]) Valid() bool { return len(f.errs.Get()) == 0 }

// Dirty reports whether the value differs from the initial one.
func (f *Form[F]) Dirty() bool { return f.dirty.Get() }

// Submitting reports whether a submit waits for the server.
func (f *Form[F]) Submitting() bool { return f.submitting.Get() }

// SubmitError returns the last submit's failure that is not about one
// field (a conflict, a network give-up), or nil.
func (f *Form[F]) SubmitError() error { return f.submitErr.Get() }

// Reset makes v the initial and current value and forgets touches, errors
// and submits.
func (f *Form[F]) Reset(v F) {
	f.g.Batch(func() {
		f.initial.Set(v)
		f.value.Set(v)
		f.touched.Set(map[string]bool{})
		f.submitted.Set(false)
		f.server.Set(nil)
		f.submitErr.Set(nil)
	})
}

// Submit runs the form's value through run — a Mutation's Run — unless the
// schema rejects it, in which case every error shows and nothing is sent (the
// returned Pending has failed with the *form.Errors). While the mutation
// waits, Submitting is true; a 422 puts the server's field messages on the
// fields; other failures land in SubmitError.
func (f *Form[F]) Submit(run func(F) *Pending) *Pending {
	f.submitted.Set(true)
	v := f.value.Peek()
	if f.schema != nil {
		if err := f.schema.Validate(v); err != nil {
			p := newPending(f.g)
			p.settle(err)
			return p
		}
	}
	f.g.Batch(func() {
		f.submitting.Set(true)
		f.submitErr.Set(nil)
	})
	p := run(v)
	p.OnSettled(func(err error) {
		f.g.Batch(func() {
			f.submitting.Set(false)
			var me *MutationError
			switch {
			case errors.As(err, &me) && len(me.Fields()) > 0:
				f.server.Set(maps.Clone(me.Fields()))
			case err != nil:
				var fe *form.Errors
				if errors.As(err, &fe) {
					f.server.Set(maps.Clone(fe.Fields))
					return
				}
				f.submitErr.Set(err)
			}
		})
	})
	return p
}
