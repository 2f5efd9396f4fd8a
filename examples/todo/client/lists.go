package client

import (
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/store"
)

// Lists is the lists collection and its mutations.
type Lists struct {
	*store.Collection[model.List]
	Create, Rename *store.Mutation[model.List]
	Delete         *store.Mutation[string]
}

// NewLists collects model.Lists in s.
func NewLists(s *store.Store) (*Lists, error) {
	c, err := store.Collect(s, model.Lists)
	if err != nil {
		return nil, err
	}
	return &Lists{c, c.Creates(), c.Updates(model.RenameList), c.Deletes()}, nil
}
