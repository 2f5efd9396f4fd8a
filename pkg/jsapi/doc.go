//go:build js

// Package jsapi is Tandem for JavaScript: the syscall/js bindings that the
// ES module in web/tandem wraps. A browser main of its own (cmd/tandemjs)
// runs Main with the entities it declares in Go; JavaScript then gets, with
// no Go and no go-app:
//
//   - signals, computeds, effects, batch and untracked over JavaScript values
//     and functions (pkg/state; === equality);
//   - clients of a Tandem server: a store with its offline queue in the
//     storage JavaScript chooses, the realtime reconciler (pkg/sync) and a
//     query cache (pkg/cache), with the connection status as a signal;
//   - collections: the Go-declared entities, whose forms validate creates and
//     updates before anything is sent, with the messages the server uses, and
//     collections declared at run time (a name, an id field, hooks that map
//     server objects to UI objects and back);
//   - optimistic creates, updates and deletes whose JavaScript promise
//     settles with the confirmed object or a refusal carrying the server's
//     field messages (the change rolls back by itself);
//   - live views (equality filters and sort keys evaluated in Go), single
//     entities to follow, and queries with stale time, retry, select,
//     placeholder and invalidation.
//
// # Crossing the boundary
//
// A call from JavaScript into Go costs several microseconds (Go runs it on a
// goroutine of its own, and a switch unwinds and rewinds the WebAssembly
// stack); a call from Go into JavaScript well under one. So JavaScript calls
// in as little as it can, and Go calls out:
//
//   - An entity crosses as JSON text and is parsed once on the JavaScript side:
//     one crossing, whatever its number of fields. Collections hold their
//     entities as that text (obj), so reading one for JavaScript encodes
//     nothing.
//   - What JavaScript follows — views and entities — it mirrors. Each held
//     entity has an effect of its own that notes when its visible value
//     changes; a view's effect notes when its membership or order does.
//   - Nothing crosses while Go works: changes gather until the outermost call
//     from JavaScript (or the piece of work a network answer set off) ends,
//     then one batch crosses as one JSON text (flush). It holds the entities
//     that changed, the ones JavaScript may forget, one splice per view whose
//     ids changed, the settled mutations and the queries to re-read. An edit
//     to one row of a 1,000-row list crosses as that row; its view sends no
//     ids at all.
//
// # Goroutines
//
// A Runtime has one graph. JavaScript calls run on the event loop's
// goroutine; work other goroutines hand over (network answers, timers) runs
// on the Runtime's loop goroutine, which Go runs before control returns to
// JavaScript. Under GOOS=js one thread runs them all and switches only where
// a goroutine blocks; no exported function blocks, so each call runs alone.
// Functions JavaScript passes in (computeds, effects, hooks, query
// functions) are called synchronously, except query functions, which run on
// their own goroutine and are awaited there.
//
// # Errors
//
// A failed call returns the host's FAIL value after setting host.error: the
// original exception when a JavaScript callback threw, otherwise a
// TandemError made from appendError's JSON (kind, message, status, code,
// fields). Failures no caller can receive go to host.onError.
package jsapi
