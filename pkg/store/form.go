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
type Form[F any] struct{ *formCore }

// formCore is the untyped machinery of a Form, as core is of a Collection:
// values are *F (see core), each a copy of its own.
type formCore struct {
	g          *state.Graph
	validate   func(any) error // the schema's; nil for none
	initial    *state.Signal[any]
	value      *state.Signal[any]
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
	var validate func(any) error
	if schema != nil {
		validate = func(v any) error { return schema.Validate(as[F](v)) }
	}
	return &Form[F]{newFormCore(g, validate, box(initial))}
}

func newFormCore(g *state.Graph, validate func(any) error, initial any) *formCore {
	f := &formCore{
		g:          g,
		validate:   validate,
		initial:    state.NewSignalFunc(g, initial, reflect.DeepEqual),
		value:      state.NewSignalFunc(g, initial, reflect.DeepEqual),
		touched:    state.NewSignalFunc(g, map[string]bool{}, maps.Equal[map[string]bool]),
		submitted:  state.NewSignal(g, false),
		submitting: state.NewSignal(g, false),
		server:     state.NewSignalFunc(g, map[string]string(nil), maps.Equal[map[string]string]),
		submitErr:  state.NewSignalFunc(g, error(nil), func(a, b error) bool { return a == nil && b == nil }),
	}
	f.errs = state.NewComputedFunc(g, func() map[string]string {
		out := map[string]string{}
		if f.validate != nil {
			var fe *form.Errors
			if errors.As(f.validate(f.value.Get()), &fe) {
				maps.Copy(out, fe.Fields)
			}
		}
		maps.Copy(out, f.server.Get())
		return out
	}, maps.Equal[map[string]string])
	f.dirty = state.NewComputed(g, func() bool { return !reflect.DeepEqual(f.value.Get(), f.initial.Get()) })
	return f
}

// Value returns the form's current value.
func (f *Form[F]) Value() F { return as[F](f.value.Get()) }

// Set replaces the value. It clears the server's field errors: they
// described a value that is gone.
func (f *Form[F]) Set(v F) { f.set(box(v)) }

func (f *formCore) set(v any) {
	f.g.Batch(func() {
		f.value.Set(v)
		f.server.Set(nil)
	})
}

// Update changes the value in place through fn, as Set.
func (f *Form[F]) Update(fn func(*F)) {
	v := as[F](f.value.Peek())
	fn(&v)
	f.set(&v)
}

// Touch marks a field as visited, so that its error shows.
func (f *Form[F]) Touch(field string) { f.touch(field) }

func (f *formCore) touch(field string) {
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
func (f *Form[F]) Error(field string) string { return f.fieldError(field) }

func (f *formCore) fieldError(field string) string {
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
func (f *Form[F]) Reset(v F) { f.reset(box(v)) }

func (f *formCore) reset(v any) {
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
	return f.submit(func(v any) *Pending { return run(as[F](v)) })
}

func (f *formCore) submit(run func(any) *Pending) *Pending {
	f.submitted.Set(true)
	v := f.value.Peek()
	if f.validate != nil {
		if err := f.validate(v); err != nil {
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
