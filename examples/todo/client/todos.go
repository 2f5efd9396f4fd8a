package client

import (
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/store"
)

// Todos is the todos collection and its mutations.
type Todos struct {
	*store.Collection[model.Todo]
	Create, Rename, Toggle, Move *store.Mutation[model.Todo]
	Delete                       *store.Mutation[string]
}

// NewTodos collects model.Todos in s.
func NewTodos(s *store.Store) (*Todos, error) {
	c, err := store.Collect(s, model.Todos)
	if err != nil {
		return nil, err
	}
	return &Todos{c, c.Creates(), c.Updates(model.RenameTodo), c.Updates(model.ToggleTodo), c.Updates(model.MoveTodo), c.Deletes()}, nil
}
