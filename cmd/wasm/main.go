//go:build js && wasm

// Command wasm is the demo's browser main: the todo board of
// examples/todo/board, compiled to WebAssembly (GOOS=js GOARCH=wasm) and
// served by cmd/server, or as a static site (make static). It holds client
// code only: no server package is in its build.
//
// It runs the open demo, one board for everyone, or the signed-in demo of
// cmd/server -demo-users, with its sign-in screen (board.Start). A page the
// server rendered the board in (board.BootID) is the open demo's, and the
// board starts from the data in it; otherwise it asks the server which demo
// it runs.
//
// The page's go-app environment configures it (cmd/site writes it):
// TANDEM_API is the REST base URL ("/api" by default), TANDEM_WS the
// WebSocket URL (the page's own host by default). Built with -tags
// devtools (make run does), it carries the devtools panel.
package main

import (
	"context"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/board"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
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
	// A page the server rendered the board in (cmd/server's open demo) holds
	// the data it rendered: the board starts from it, so that its first
	// render is that page, and resumes the stream from there. It is decoded
	// while Start waits for the server's answer.
	if el := app.Window().Get("document").Call("getElementById", board.BootID); el.Truthy() {
		text := el.Get("textContent").String()
		el.Call("remove") // read once; its text need not stay in the page
		decoded := make(chan []wire.Snapshot, 1)
		go func() {
			boot, err := board.DecodeBoot([]byte(text))
			if err != nil {
				app.Log("board:", err)
			}
			decoded <- boot
		}()
		cfg.Boot = func() []wire.Snapshot { return <-decoded }
	}
	// Which demo the server runs: the open one, or the signed-in one (one
	// GET, unless the page holds the board's data; the page shows
	// meanwhile: the prerendered skeleton, or the board the server
	// rendered).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	page, err := board.Start(ctx, cfg)
	cancel()
	if err != nil {
		app.Log("board:", err)
		page = func() app.Composer { return &board.Board{} }
	}
	app.Route("/", page)
	app.RunWhenOnBrowser()
}
