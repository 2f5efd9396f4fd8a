package client

import (
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/store"
)

// Todos is the todos collection and its mutations.
type Todos struct {
	*store.Collection[model.Todo]
	Create, Rename, Toggle, Move *store.Mutation[model.Todo]
	Delete                       *store.Mutation[string]
}

// NewTodos collects model.Todos in s.
func NewTodos(s *store.Store) (*Todos, error) { return newTodos(s, model.Todos) }

// newTodos collects e (model.Todos, or model.BoardTodos) in s.
func newTodos(s *store.Store, e *form.Entity[model.Todo]) (*Todos, error) {
	c, err := store.Collect(s, e)
	if err != nil {
		return nil, err
	}
	return &Todos{c, c.Creates(), c.Updates(model.RenameTodo), c.Updates(model.ToggleTodo), c.Updates(model.MoveTodo), c.Deletes()}, nil
}
