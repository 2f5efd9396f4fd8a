// Command hello is the yardstick of make size and make bench-browser: a
// go-app hello world with one counter component, built the same way as the
// demo (GOOS=js GOARCH=wasm, -trimpath, -ldflags=-s -w). Natively it is the
// static site generator of that app: hello -out DIR -wasm FILE.
package main

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// counter counts clicks.
type counter struct {
	app.Compo
	n int
}

func (c *counter) Render() app.UI {
	return app.Div().Body(
		app.H1().ID("hello").Text("Hello, world"),
		app.Button().ID("count").Text("Clicked "+strconv.Itoa(c.n)+" times").OnClick(func(ctx app.Context, e app.Event) { c.n++ }),
	)
}

func main() {
	app.Route("/", func() app.Composer { return &counter{} })
	app.RunWhenOnBrowser()
	generate()
}
