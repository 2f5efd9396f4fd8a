//go:build js

// Command tandemjs is the WebAssembly build of Tandem for JavaScript: the
// signal graph, the query cache, optimistic collections and realtime, with
// the demo's entities (examples/todo/model) declared in Go, so that
// JavaScript validates them with the same forms as Go and the server. The
// ES module in web/tandem loads it; build it with make size or make
// web/tandem/dist/tandem.wasm.
package main

import (
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/jsapi"
)

func main() {
	jsapi.Main(jsapi.Entity(model.Lists), jsapi.Entity(model.Todos))
}
