//go:build !(js && wasm)

// Command wasm is the demo's browser main; see main.go. Built for anything
// but the browser, it says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "cmd/wasm runs in the browser: build it with GOOS=js GOARCH=wasm (make site), or run make run")
	os.Exit(2)
}
