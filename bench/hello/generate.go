//go:build !js

package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// generate writes the hello world as a static site, as cmd/site does for
// the demo (off the browser, RunWhenOnBrowser returns at once).
func generate() {
	out := flag.String("out", "", "the folder to write")
	wasm := flag.String("wasm", "", "the hello world compiled to WebAssembly")
	flag.Parse()
	if *out == "" || *wasm == "" {
		fmt.Fprintln(os.Stderr, "usage: hello -out DIR -wasm FILE")
		os.Exit(2)
	}
	h := &app.Handler{Name: "Hello", Title: "Hello", Icon: app.Icon{Default: "/web/icon.png", SVG: "/web/icon.png"}}
	if err := app.GenerateStaticWebsite(*out, h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, err := os.ReadFile(*wasm)
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "web", "app.wasm"), b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
