// Package backend serves the projects example on a pkg/server Server.
package backend

import (
	"github.com/tandemkit/tandem/examples/projects/model"
	"github.com/tandemkit/tandem/pkg/server"
)

// Register serves model.Projects on s.
func Register(s *server.Server) error { return server.Register(s, model.Projects) }
