// Package store is where server data becomes UI data, and where the UI
// changes before the server answers: entity collections with a confirmed
// layer, pending optimistic mutations, and live views, all in the signal
// graph of pkg/state.
//
// # One entity
//
// An entity is declared once, with form.Define, in a package the server
// imports too (server.Register serves the same declaration):
//
//	var Projects = form.Define("projects",
//		form.String("name", func(p *Project) *string { return &p.Name }).Required().Length(1, 80),
//		form.Bool("archived", func(p *Project) *bool { return &p.Archived }),
//	).Unique("name", form.Folded).Stamp("updatedAt")
//	var RenameProject = Projects.Update().Pick("name")
//
// The browser collects it and makes its mutations from its forms:
//
//	projects, err := store.Collect(s, Projects) // *store.Collection[Project]
//	create := projects.Creates()                // validated by the create form; the id generated
//	rename := projects.Updates(RenameProject)   // a patch of the picked fields
//	remove := projects.Deletes()
//	p := rename.Run(Project{ID: id, Name: "Apollo"}) // visible now; p settles later
//
// The change shows at once, is sent in order with its (clientID,
// mutationID), and is confirmed by the server's object or rolled back by
// its refusal — a duplicate name here, a rule only the server checks — by
// itself. pkg/sync keeps every collection of the store in sync with other
// clients, with nothing to add per collection.
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
// # Other mutations and other shapes
//
// A collection whose UI objects differ from the server's takes a Codec
// (NewCollection), and a mutation that is not a plain create, update or
// delete takes a form and a function from its value to an Op (Create,
// Patch, Delete):
//
//	archiveAll := store.NewMutation(projects, nil, func(id string) store.Op[Project] {
//		return store.Patch(id, func(p *Project) { p.Archived = true }, "archived")
//	})
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
// changes only when membership or order does. One made inside an effect or
// a scope (a component's) is disposed with it. Query bridges a
// cache.Observer into the graph.
//
// The store's clock, REST reader and retry delays are the query cache's
// (cache.Clock, cache.REST, cache.FullJitter): one of each for the client
// packages.
//
// # Partitions
//
// An entity declared with form.Entity.Partition is synced a partition at a
// time — a board's todos, a tenant's records — each partition a topic of
// its own with its own cursor. Its collection starts empty; Open(key)
// follows one partition (pkg/sync subscribes to it and resumes it from its
// own cursor), and the release Open returns drops it again: its entities
// leave the collection, this client's pending mutations of them stay and
// are still sent. Views span every open partition. Partition(key) is a
// tracked read of where one stands: opening, live, or refused or revoked
// with the server's code and message — a revoked partition's entities are
// dropped at once, and nothing more of it arrives. Opening and closing
// partitions as the UI navigates is how a user syncs only what it looks at
// (examples/todo/client.Boards does it for the signed-in demo).
//
// # Goroutines
//
// A Store, its collections, views and forms belong to the graph's
// goroutine. Network calls run on their own goroutines and hand their results
// back through Graph.Schedule. Pending.Wait lets other goroutines wait.
//
// # Persistence
//
// With Options.Storage, each collection's confirmed layer is kept there
// too, with its cursor (a few hundred milliseconds after it changes, and at
// Close): a reload shows the last data at once, and pkg/sync resumes from
// that cursor. The pending queue and the clientID are saved after
// every change and restored by New: after a reload the optimistic changes
// show at once and are resent in order under the same clientID, which the
// server's dedup makes harmless. A patch restored without its Go closure is
// replayed by merging its JSON fields, as the server does.
package store
