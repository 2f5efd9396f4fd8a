// Package floor holds three kernels of the work a signal graph does, with no
// graph around them, written the same way in Go (floor_test.go) and in
// JavaScript (floor.mjs): walking a linked list while setting and clearing
// flag bits (propagate and stale's descent), a chain of 50 closures each
// calling the one before (the recomputes of a chain), and 30 reads behind an
// "already tracked in this run?" check (a computed re-reading a signal).
//
// They measure the language floor: how much slower Go compiled to
// WebAssembly runs the same code than V8 runs it as JavaScript. A Go graph
// in WASM that does the same work per write as a JavaScript graph runs about
// as much slower than it as these kernels do. `make bench-state JS=...` runs them in the same sitting as
// the graph's shapes and prints both tables.
package floor
