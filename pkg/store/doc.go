// Package store is where server data becomes UI data, and where the UI
// changes before the server answers: entity collections with a confirmed
// layer, pending optimistic mutations, and live views, all in the signal
// graph of pkg/state.
//
// # The model
//
// A Store is one client of the protocol (PROTOCOL.md): a clientID, the
// mutationIDs it hands out, and one outbox through which every mutation
// leaves, in order, one request in flight. A Collection holds one entity
// type. For each entity it keeps what the server said last (the confirmed
// layer, with its version) and this client's pending mutations; what the
// user sees is the pending mutations replayed over the confirmed object:
//
//	visible = fold(apply, confirmed, pending)
//
// A mutation is visible in the tick it is made. The server's answer — the
// full authoritative object — becomes the confirmed layer if its version is
// newer, and the mutation leaves pending. A refusal removes only that
// mutation; the entity is folded again, so the rollback is a recompute, never
// a restore, and other pending changes stay visible. Temporary failures
// retry with the same mutationID until the server answers. Events and
// snapshots from pkg/sync (or Load, without realtime) feed the same confirmed
// layer, which never moves backwards.
//
// # Declaring mutations
//
// A Mutation is declared once per form: the schema that validates it — the
// same pkg/form schema the server runs — and a function from the form value
// to an Op (Create, Patch, Delete):
//
//	rename := store.NewMutation(todos, RenameTodo, func(in Todo) store.Op[TodoID, Todo] {
//		return store.Patch(in.ID, func(t *Todo) { t.Title = in.Title }, "title")
//	})
//	p := rename.Run(Todo{ID: id, Title: "oat milk"}) // visible now; p settles later
//
// A Form holds a form's value, touched fields, errors (the schema's as the
// user types, the server's after a 422) and submitting state as signals;
// Form.Submit(rename.Run) is the form → UI state → optimistic store step.
//
// # Reading
//
// Collection.Get is a tracked read of one entity: a component showing one
// todo re-renders when that todo's visible value changes and for no other.
// A View (Where, OrderBy) and Groups (GroupBy) are live queries maintained
// incrementally: a change costs a binary search, and the view's order
// changes only when membership or order does. Query bridges a cache.Observer
// into the graph.
//
// # Goroutines
//
// A Store, its collections, views and forms belong to the graph's
// goroutine. Network calls run on their own goroutines and hand their results
// back through Graph.Schedule. Pending.Wait lets other goroutines wait.
//
// # Persistence
//
// With Options.Storage, the pending queue and the clientID are saved after
// every change and restored by New: after a reload the optimistic changes
// show at once and are resent in order under the same clientID, which the
// server's dedup makes harmless. A patch restored without its Go closure is
// replayed by merging its JSON fields, as the server does.
package store
