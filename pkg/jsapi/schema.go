//go:build js

package jsapi

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"

	"github.com/tandemkit/tandem/pkg/form"
)

// A Declared is an entity declared in Go (form.Define) and exposed to
// JavaScript under its name; Entity makes one. Its collection validates
// with the entity's forms — the create form, and for an update the update
// form picked down to the fields the patch sets — exactly what a Go client
// and the server run, with the same messages, before anything is sent.
type Declared struct {
	name string
	// create and update are the forms' fields: a create sends create's.
	// update is nil when the entity cannot change after its create.
	create, update []string
	// check validates raw, a JSON object, with the create form, or with
	// the update form picked down to keys (raw is then the visible entity
	// with the patch applied).
	check func(raw []byte, keys []string, update bool) error
}

// Entity exposes e to JavaScript: client.collection(e.Name()) collects it.
// It reads e's forms once: declare e fully first.
func Entity[T any](e *form.Entity[T]) *Declared {
	d := &Declared{name: e.Name(), create: e.Create().Names()}
	upd := e.Update()
	if upd != nil {
		d.update = upd.Names()
	}
	d.check = func(raw []byte, keys []string, update bool) error {
		var v T
		if err := decode(raw, &v); err != nil {
			return err
		}
		if update {
			return upd.ValidateFields(v, keys...)
		}
		return e.Create().Validate(v)
	}
	return d
}

// Name returns the entity's name.
func (d *Declared) Name() string { return d.name }

// checkCreate validates a create's JSON with the create form.
func (d *Declared) checkCreate(raw []byte) error { return d.check(raw, nil, false) }

// checkUpdate validates the entity as an update of keys would leave it
// (merged: the visible entity with the patch applied).
func (d *Declared) checkUpdate(merged []byte, keys []string) error {
	if d.update == nil {
		return errors.New("tandem: " + d.name + " cannot change after its create")
	}
	for _, k := range keys {
		if !slices.Contains(d.update, k) {
			return form.Invalid(k, "is not a field of this form")
		}
	}
	return d.check(merged, keys, true)
}

// decode decodes JSON from JavaScript into v; a field of the wrong type is
// a form error on that field.
func decode(raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return form.Invalid(te.Field, "must be a "+jsType(te.Type.Kind()))
	}
	return errors.New("tandem: a value must be a JSON object: " + err.Error())
}

// jsType names a Go kind as JavaScript calls it.
func jsType(k reflect.Kind) string {
	switch {
	case k == reflect.Bool:
		return "boolean"
	case k >= reflect.Int && k <= reflect.Float64:
		return "number"
	}
	return k.String()
}
