package client

import (
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/store"
)

// Lists is the lists collection and its mutations.
type Lists struct {
	*store.Collection[model.List]
	Create, Rename *store.Mutation[model.List]
	Delete         *store.Mutation[string]
}

// NewLists collects model.Lists in s.
func NewLists(s *store.Store) (*Lists, error) { return newLists(s, model.Lists) }

// newLists collects e (model.Lists, or model.Boards) in s.
func newLists(s *store.Store, e *form.Entity[model.List]) (*Lists, error) {
	c, err := store.Collect(s, e)
	if err != nil {
		return nil, err
	}
	return &Lists{c, c.Creates(), c.Updates(model.RenameList), c.Deletes()}, nil
}
