// Package backend serves the demo's entities — lists and todos, declared in
// package model with their forms and rules — on a pkg/server Server.
// cmd/server uses it, and so do the end-to-end tests of the client packages.
package backend

import (
	"errors"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/server"
)

// Register serves the demo's lists and todos on s.
func Register(s *server.Server) error {
	return errors.Join(server.Register(s, model.Lists), server.Register(s, model.Todos))
}
