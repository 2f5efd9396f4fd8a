// Package client is the browser's side of the projects example.
package client

import (
	"github.com/tandemkit/tandem/examples/projects/model"
	"github.com/tandemkit/tandem/pkg/store"
)

// Projects is the projects collection and its mutations.
type Projects struct {
	*store.Collection[model.Project]
	Create, Rename *store.Mutation[model.Project]
}

// NewProjects collects model.Projects in s.
func NewProjects(s *store.Store) (*Projects, error) {
	c, err := store.Collect(s, model.Projects)
	if err != nil {
		return nil, err
	}
	return &Projects{c, c.Creates(), c.Updates(model.RenameProject)}, nil
}
