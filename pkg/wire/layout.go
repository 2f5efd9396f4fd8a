package wire

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// A Layout is the JSON object layout of an entity type T: which struct
// field each JSON name encodes, following encoding/json's rules for tags,
// "-", unexported fields and embedded structs (a pointer to an embedded
// struct is not followed). The protocol carries entities as JSON objects
// with a string "id" (PROTOCOL.md §1); a Layout finds that field, and lets
// registration check that every name an entity declaration uses is one T
// encodes.
type Layout[T any] struct {
	fields map[string]layoutField
}

type layoutField struct {
	offset uintptr
	typ    reflect.Type
	depth  int
	tagged bool
}

// ErrNoID is the error of LayoutOf for a type whose JSON has no string "id".
var ErrNoID = errors.New(`wire: the entity type encodes no string "id" field`)

// LayoutOf returns the layout of T, which must be a struct encoding a string
// "id" field.
func LayoutOf[T any]() (*Layout[T], error) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("wire: an entity type must be a struct, not %s", t)
	}
	l := &Layout[T]{fields: map[string]layoutField{}}
	l.walk(t, 0, 0)
	if f, ok := l.fields["id"]; !ok || f.typ.Kind() != reflect.String {
		return nil, fmt.Errorf("%w: %s", ErrNoID, t)
	}
	return l, nil
}

// walk adds the JSON fields of struct type t found at offset base, depth
// levels of embedding down. Of two fields with one name, the shallower wins,
// then the tagged one, as in encoding/json (which drops an unresolved tie;
// the first is kept here).
func (l *Layout[T]) walk(t reflect.Type, base uintptr, depth int) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			l.walk(sf.Type, base+sf.Offset, depth+1)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := layoutField{offset: base + sf.Offset, typ: sf.Type, depth: depth, tagged: tag != ""}
		if old, ok := l.fields[name]; ok && (old.depth < depth || old.depth == depth && (old.tagged || !f.tagged)) {
			continue
		}
		l.fields[name] = f
	}
}

// Has reports whether T encodes a field called name.
func (l *Layout[T]) Has(name string) bool {
	_, ok := l.fields[name]
	return ok
}

// Type returns the Go type of the field called name, or nil.
func (l *Layout[T]) Type(name string) reflect.Type {
	return l.fields[name].typ
}

// Field returns a pointer to the field called name inside v, as an any (a
// *string for a string field), or nil when T has no such field.
func (l *Layout[T]) Field(v *T, name string) any {
	f, ok := l.fields[name]
	if !ok {
		return nil
	}
	return reflect.NewAt(f.typ, unsafe.Add(unsafe.Pointer(v), f.offset)).Interface()
}

// ID returns a pointer to the "id" field inside v.
func (l *Layout[T]) ID(v *T) *string {
	return (*string)(unsafe.Add(unsafe.Pointer(v), l.fields["id"].offset))
}

// Check reports the first of names that T does not encode, and the first
// whose addr — where addr knows it — points to another field than the one
// JSON encodes under that name (a getter returning &t.Name for "title"), as
// an error naming the field.
func (l *Layout[T]) Check(names []string, addr func(v *T, name string) any) error {
	var zero T
	base := reflect.ValueOf(&zero).Pointer()
	for _, n := range names {
		f, ok := l.fields[n]
		if !ok {
			return fmt.Errorf("wire: %q is not a JSON field of %s", n, reflect.TypeFor[T]())
		}
		if addr == nil {
			continue
		}
		p := addr(&zero, n)
		if p == nil {
			continue
		}
		pv := reflect.ValueOf(p)
		if pv.Kind() != reflect.Pointer || pv.Pointer() != base+f.offset {
			return fmt.Errorf("wire: the form field %q points to another field of %s than the one JSON names %q", n, reflect.TypeFor[T](), n)
		}
	}
	return nil
}
