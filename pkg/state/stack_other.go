//go:build !js

package state

// Outside WebAssembly, Go's own stack grows as deep as runs nest, and runs
// never yield. See stack_js.go.
const (
	yieldStack = false
	yieldDepth = 1
)
