// Package state is Tandem's reactive signal graph: the UI state of an app,
// and what makes components re-render exactly when what they read changes.
//
// # A short tour
//
// A Graph holds three kinds of nodes. A Signal is a value you write. A
// Computed derives a value from signals and other computeds. An Effect runs
// a function, now and again whenever something it read changes:
//
//	g := state.NewGraph()
//	count := state.NewSignal(g, 1)
//	double := state.NewComputed(g, func() int { return count.Get() * 2 })
//	g.Effect(func() { fmt.Println("double is", double.Get()) }) // prints 2
//	count.Set(5)                                                 // prints 10
//
// Dependencies are found by running: whatever a computed or effect reads
// with Get during its last run is what it depends on, so a branch that stops
// reading a signal stops depending on it. Peek, Untracked and Untrack read
// without depending.
//
// # The contract
//
// Goroutine. A Graph and its nodes belong to one goroutine; nothing in the
// package locks. The zero Graph is ready to use, with the defaults. Other goroutines hand work to it with Graph.Schedule, which
// uses the scheduler given by WithScheduler: go-app's Dispatch in the
// browser, a Loop natively, inline (the default) in single-goroutine code and
// tests.
//
// Laziness. A computed runs only when read, and only if something it read
// has changed since its last run. Writes mark the graph (push) and reads
// recompute what is marked (pull), so a write costs nothing downstream until
// something reads, and a computed nobody reads is never recomputed.
//
// Consistency. Effects run after the write that affects them, or after the
// outermost Batch, and see every node up to date: in a diamond, an effect
// over both branches runs once per write and never sees one branch updated
// and the other not. Reads inside a Batch already see the new values.
//
// Equality. A write of a value equal to the current one notifies nothing, and
// a computed that recomputes to an equal value stops propagation there.
// NewSignal and NewComputed compare with ==; the …Func constructors take an
// equality function for slices, maps and structs, or nil to treat every
// write as a change.
//
// Ownership. An effect created while another effect runs, or inside a Scope,
// belongs to it: it runs after its owner and is disposed when the owner
// reruns or is disposed. OnCleanup registers cleanups with the running
// effect or scope. A disposed effect, and a computed no effect depends on,
// hold no links from the graph and are garbage collected like any value.
//
// Errors. A computed that panics, or returns an error (NewComputedErr),
// holds the error: Read returns it, Get panics with it, and every computed
// and effect reading it fails with the same error until the cause is fixed,
// exactly as a fresh evaluation would: a computed reading it with Read may
// handle it instead, and once the cause is fixed every dependent
// recomputes. A failure costs what an update costs, one recompute per node
// it reaches. A computed that depends on itself fails with ErrCycle. A
// failing effect, an effect that loops (ErrEffectLoop, bounded by
// WithMaxEffectRuns, reported once per flush and resumed in the next), and
// a panicking cleanup are reported to the error handler (WithErrorHandler);
// the graph stays usable and no panic escapes to the writer.
//
// External sources. FromSource turns anything with a read function and a
// subscription (a query cache, a WebSocket client, a browser API) into a
// read-only signal, subscribed only while something observes it. This is
// how the query cache feeds the graph without either package importing the
// other. An unobserved source is read afresh by every read from outside the
// graph that depends on it, once per read.
//
// # Performance
//
// Propagation and validation are loops over explicit stacks, never
// recursion, so a chain of 100,000 computeds and a cellx graph of 50,000
// layers update without growing the goroutine stack. Only a first read
// nests, one function calling the next; under WebAssembly the graph then
// yields to Go's scheduler every 256 levels, which empties the JavaScript
// engine's stack, so the first read of a 100,000-deep chain works with a
// browser's default stack instead of killing the program. Dependency edges are
// links in two intrusive lists per node, re-tracked with a cursor: a write
// that changes no graph shape allocates nothing. See the README for the
// benchmark table against alien-signals and MobX.
package state
