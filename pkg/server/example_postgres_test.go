package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/tandemkit/tandem/pkg/server"
)

// One instance of several on one PostgreSQL database: its own store (a
// connection pool) and bus, then the server as on SQLite. Start as many as
// needed, on any machines, with the same URL, behind any load balancer.
// (Not run: it needs a database.)
func ExampleNewPostgresBus() {
	ctx := context.Background()
	store, err := server.OpenPostgres(ctx, os.Getenv("DATABASE_URL"), server.PostgresOptions{}) // creates or migrates the tables
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close() // last
	bus, err := server.NewPostgresBus(ctx, store, server.PostgresBusOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bus.Close() // after the server's Shutdown, before the store's Close
	s := server.New(store, server.Options{Bus: bus, RetentionAge: 24 * time.Hour})
	defer s.Shutdown(ctx)
	// Register every entity here, as on SQLite, then serve.
	var t server.Transport
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = t.HTTPServer(s.Handler(), nil).Serve(t.Listener(ln, nil))
}
