// Package server is the backend of the Tandem protocol (PROTOCOL.md): it
// gives any Go type a CRUD REST API whose mutations return the full
// authoritative object, validated by the same pkg/form schema the browser
// uses, and a WebSocket stream of committed changes that never loses or
// doubles an event.
//
// # Use
//
//	store, _ := server.OpenSQLite("app.db", server.SQLiteOptions{})
//	s := server.New(store, server.Options{})
//	server.Register(s, server.Entity[Todo]{
//		Collection: "todos",
//		ID:         func(t *Todo) *string { return &t.ID },
//		Create:     CreateTodo, // *form.Schema[Todo]
//		Update:     UpdateTodo,
//		BeforeWrite: func(ctx context.Context, tx *server.Tx, w server.Write[Todo]) error {
//			w.New.UpdatedAt = tx.Now()
//			return nil
//		},
//	})
//	http.Handle("/api/", s.Handler()) // after every Register
//	...
//	s.Shutdown(ctx) // after http.Server.Shutdown; then store.Close()
//
// # Mutations
//
// A mutation is parsed and validated before any transaction (bad JSON,
// unknown fields, form errors), then committed by one goroutine that groups
// concurrent mutations into one store transaction (one durable commit),
// each in its own savepoint: dedup check on (X-Client-ID, X-Mutation-ID),
// apply (hooks, indexes, one entity row and one outbox event per changed
// entity, each with the next seq of its topic), record the answer and the
// client's lastMutationID, commit. A mutation that fails is rolled back to
// its savepoint alone; a permanent failure is still recorded. Events are
// published only after the commit succeeded, in seq order; a failed commit
// answers 500 to every mutation of the batch and publishes nothing.
//
// A failure is permanent (a recorded 4xx) when the same request would fail
// the same way again: invalid input, a refusal, a hook's plain error (422
// rejected), a panic in a hook, a cascade too deep. It is transient (a 5xx
// or 408, not recorded, the client retries) when it says nothing about the
// mutation: a Store error, an Authorize hook that failed rather than
// refused, a body that did not arrive.
//
// # Identity
//
// Authenticate and AuthenticateWS name the caller's principal
// (WithPrincipal). Each clientID is bound to the principal of its first
// recorded mutation: other principals can neither use it nor read its
// stored answers, and events carry their origin only to the connection of
// the client that made the mutation. Without authentication hooks every
// caller is the same, anonymous principal. Dedup records of clients idle
// for ClientRetention (30 days) are pruned.
//
// # Stream
//
// The hub registers a subscription before reading its snapshot or replay
// from the store, holds the events committed meanwhile, and sends those
// newer than the watermark after live; it drops any event at or below the
// watermark. The snapshot or replay is read page by page in short
// transactions (at most SnapshotReads at once server-wide) and sent as the
// client takes it, so a connection holds one page, however big the topic
// and however slow the client. Each connection has a bounded queue;
// publishing never blocks on a connection, and one whose queue is full of
// live events is closed with 4002 (a catch-up waits for room instead).
// Every write is bounded by WriteTimeout (a watchdog aborts a stuck one).
//
// # Storage
//
// Store is the whole persistence contract (see its doc): SQLite (OpenSQLite:
// one file, WAL, synchronous=FULL, one writer connection, a pool of
// readers) and MemStore (tests) implement it; PostgreSQL is meant to be a
// third. Nothing outside sqlite.go knows SQL. Events reach the hub through a
// Bus (LocalBus in-process), the seam for several instances.
//
// Decisions where PROTOCOL.md is silent are listed in package wire's
// documentation under "Protocol decisions".
package server
