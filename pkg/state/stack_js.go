package state

// yieldStack: the engine's stack is small and fixed; see yieldDepth.
const yieldStack = true

// yieldDepth is how many nested runs may go on the JavaScript engine's
// stack before a run yields to the Go scheduler. Go's WebAssembly port
// switches goroutines by returning from every function on the engine's
// stack and resumes them one frame at a time from its own stack in linear
// memory; a yield, even with no other goroutine to run, so empties the
// engine's stack. Measured: Node's default stack (984 KiB) holds 5,000 to
// 10,000 nested runs; 256 leaves room for deep JavaScript callers, and
// costs one yield per 256 nested runs, none in graphs less deep.
const yieldDepth = 256
