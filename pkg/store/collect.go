package store

import (
	"fmt"
	"reflect"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// declaration is what a collection made by Collect knows of its entity: the
// forms of its creates and updates, and where the id lives.
type declaration[T any] struct {
	create, update *form.Schema[T]
	id             func(*T) *string
}

// A CollectOption configures a collection made by Collect.
type CollectOption[T any] func(*CollectionOptions[T, T])

// WithEqual sets how two visible values compare (reflect.DeepEqual by
// default): a change to an equal value notifies nobody.
func WithEqual[T any](equal func(a, b T) bool) CollectOption[T] {
	return func(o *CollectionOptions[T, T]) { o.Equal = equal }
}

// WithClone sets how a visible value is copied before a patch changes it
// (see CollectionOptions.Clone).
func WithClone[T any](clone func(T) T) CollectOption[T] {
	return func(o *CollectionOptions[T, T]) { o.Clone = clone }
}

// Collect registers the collection of the entity e, declared once for the
// browser and the server (form.Define), and returns it: the server's
// objects are the UI's, ids are strings, and the collection's mutations
// come from e's forms (Creates, Updates, Deletes). Every collection of a
// store is kept in sync by pkg/sync, with nothing to add.
//
// Collect fails, naming the field, when e names a field T does not encode
// in JSON or a form field's getter points to another struct field than its
// name — what the server's Register refuses too — and when T has no string
// "id". For server objects that become other UI objects, use NewCollection
// with a Codec.
func Collect[T any](s *Store, e *form.Entity[T], opts ...CollectOption[T]) (*Collection[T], error) {
	part := e.PartitionField()
	layout, err := wire.LayoutOf[T]()
	if err == nil {
		err = layout.Check(e.Names(), e.Addr)
	}
	if err == nil && part != "" {
		err = checkPartition(part, layout.Type(part))
	}
	if err != nil {
		return nil, fmt.Errorf("store: collection %q: %w", e.Name(), err)
	}
	o := CollectionOptions[T, T]{Name: e.Name(), Codec: Identity[T](), Partition: part}
	for _, opt := range opts {
		opt(&o)
	}
	c, err := NewCollection(s, o)
	if err != nil {
		return nil, err
	}
	c.decl = &declaration[T]{create: e.Create(), update: e.Update(), id: layout.ID}
	return c, nil
}

// checkPartition says why a partition field of type t cannot be.
func checkPartition(field string, t reflect.Type) error {
	if t != reflect.TypeFor[string]() {
		return fmt.Errorf("partition field %q must be a string", field)
	}
	return nil
}

// createForm returns the create form of a declared collection, or nil.
func (c *Collection[UI]) createForm() *form.Schema[UI] {
	if c.decl == nil {
		return nil
	}
	return c.decl.create
}
