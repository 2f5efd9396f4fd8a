//go:build js && wasm

// Command wasm is the demo's browser main: the todo board of
// examples/todo/board, compiled to WebAssembly (GOOS=js GOARCH=wasm) and
// served by cmd/server, or as a static site (make static). It holds client
// code only: no server package is in its build.
//
// The page's go-app environment configures it (cmd/site writes it):
// TANDEM_API is the REST base URL ("/api" by default), TANDEM_WS the
// WebSocket URL (the page's own host by default). Built with -tags
// devtools (make run does), it carries the devtools panel.
package main

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/board"
	"github.com/tandemkit/tandem/pkg/cache"
)

func main() {
	cfg := board.Config{API: app.Getenv("TANDEM_API"), WebSocket: app.Getenv("TANDEM_WS")}
	loc := app.Window().Get("location")
	if cfg.API == "" {
		cfg.API = "/api"
	}
	if cfg.WebSocket == "" {
		base := cfg.API
		if !strings.Contains(base, "://") {
			base = loc.Get("origin").String() + base
		}
		cfg.WebSocket = "ws" + strings.TrimPrefix(base, "http") + "/ws"
	}
	// The tab's sessionStorage keeps the queue and the last board across
	// reloads; without it (a private mode) the board still works.
	if st, err := cache.NewSessionStorage(); err == nil {
		cfg.Storage = st
	}
	if on, _, err := cache.BrowserOnline(); err == nil {
		cfg.Online = on
	}
	if f, _, err := cache.BrowserFocus(); err == nil {
		cfg.Focus = f
	}
	a, err := board.New(cfg)
	if err != nil {
		app.Log("board:", err)
	}
	app.Route("/", func() app.Composer { return &board.Board{App: a} })
	app.RunWhenOnBrowser()
}
