//go:build js

package jsapi

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/tandemkit/tandem/pkg/form"
)

// A Declared is an entity declared in Go (form.Define) and exposed to
// JavaScript under its name. Its collection validates with the entity's
// forms — the create form, and for an update the update form picked down to
// the fields the patch sets — exactly what a Go client and the server run,
// with the same messages, before anything is sent.
type Declared interface {
	Name() string
	// checkCreate validates a create's JSON with the create form.
	checkCreate(raw []byte) error
	// checkUpdate validates the entity as an update of keys would leave it
	// (merged: the visible entity with the patch applied).
	checkUpdate(merged []byte, keys []string) error
	// createFields lists the create form's fields: a create sends them.
	createFields() []string
	// updateFields lists the update form's fields; nil when the entity
	// cannot change after its create.
	updateFields() []string
}

// Entity exposes e to JavaScript: client.collection(e.Name()) collects it.
func Entity[T any](e *form.Entity[T]) Declared { return declared[T]{e} }

type declared[T any] struct{ e *form.Entity[T] }

func (d declared[T]) Name() string { return d.e.Name() }

// decode turns JSON from JavaScript into a T; a field of the wrong type is
// a form error on that field.
func decode[T any](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return v, form.Invalid(te.Field, "must be a "+jsType(te.Type.Kind().String()))
		}
		return v, errors.New("tandem: a value must be a JSON object: " + err.Error())
	}
	return v, nil
}

// jsType names a Go kind as JavaScript calls it.
func jsType(kind string) string {
	switch {
	case kind == "bool":
		return "boolean"
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "number"
	}
	return kind
}

func (d declared[T]) checkCreate(raw []byte) error {
	v, err := decode[T](raw)
	if err != nil {
		return err
	}
	return d.e.Create().Validate(v)
}

func (d declared[T]) checkUpdate(merged []byte, keys []string) error {
	upd := d.e.Update()
	if upd == nil {
		return errors.New("tandem: " + d.e.Name() + " cannot change after its create")
	}
	for _, k := range keys {
		if !upd.Has(k) {
			return form.Invalid(k, "is not a field of this form")
		}
	}
	v, err := decode[T](merged)
	if err != nil {
		return err
	}
	return upd.ValidateFields(v, keys...)
}

func (d declared[T]) createFields() []string { return d.e.Create().Names() }

func (d declared[T]) updateFields() []string {
	if u := d.e.Update(); u != nil {
		return u.Names()
	}
	return nil
}
