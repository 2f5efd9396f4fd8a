//go:build !js

// Package todoserver serves the demo's entities (examples/todo) with
// pkg/server on an in-memory store and, on the same origin, a folder of
// static files: the server that the JavaScript module's tests, the
// framework adapters' tests and the React board's browser test run against.
// It is cmd/server's composition without SQLite, flags or limits meant for
// the internet (every quota is off: a test makes many requests from one
// address).
package todoserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/pkg/server"
)

// A Server is the demo's API and, optionally, static files.
type Server struct {
	API *server.Server
	// Handler routes /api/ to the API and everything else to the static
	// files (404 without them).
	Handler http.Handler
}

// New returns a Server over a fresh memory store, serving the files under
// static ("" for none) next to the API.
func New(static string) (*Server, error) {
	api := server.New(server.NewMemStore(), server.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Quotas: server.Unlimited(),
	})
	if err := backend.Register(api); err != nil {
		return nil, err
	}
	apiHandler := api.Handler()
	files := http.NotFoundHandler()
	if static != "" {
		files = http.FileServer(http.Dir(static))
	}
	return &Server{API: api, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			apiHandler.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		files.ServeHTTP(w, r)
	})}, nil
}

// Close shuts the API down: WebSockets close with 1001.
func (s *Server) Close(ctx context.Context) error { return s.API.Shutdown(ctx) }
