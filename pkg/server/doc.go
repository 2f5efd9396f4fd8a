// Package server is the backend of the Tandem protocol (PROTOCOL.md): it
// gives any Go type a CRUD REST API whose mutations return the full
// authoritative object, validated by the same pkg/form schema the browser
// uses, and a WebSocket stream of committed changes that never loses or
// doubles an event.
//
// # One entity
//
// An entity is declared once, with form.Define, in a package the browser
// imports too (store.Collect makes its client collection from the same
// declaration): its forms, and the rules only a server can check.
//
//	var Projects = form.Define("projects",
//		form.String("name", func(p *Project) *string { return &p.Name }).Required().Length(1, 80),
//		form.Bool("archived", func(p *Project) *bool { return &p.Archived }),
//	).Unique("name", form.Folded).Stamp("updatedAt")
//
// Register serves it: create, update and delete validated by its forms
// (422 with the browser's messages), its unique names, references and
// stamps kept in every write, an outbox and a change stream.
//
//	store, _ := server.OpenSQLite("app.db", server.SQLiteOptions{})
//	s := server.New(store, server.Options{})
//	server.Register(s, Projects) // server.Hooks adds authorization and transaction code
//	t := server.Transport{} // timeouts, header and connection limits
//	hs := t.HTTPServer(s.Handler(), nil) // after every Register
//	go hs.Serve(t.Listener(ln, nil))
//	...
//	hs.Shutdown(ctx) // or hs.Close() if it takes too long
//	s.Shutdown(ctx)  // then store.Close()
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
// rejected), a panic in a hook, a cascade too deep, a mutation that would
// change more than MaxChanges entities (1000). It is transient (a 5xx, 408
// or 429, not recorded, the client retries) when it says nothing about the
// mutation: a Store error, an Authorize hook that failed rather than
// refused, a body that did not arrive, a quota. A recorded error answer is
// small: its text is bounded and it keeps no copy of the current entity.
//
// # Identity
//
// Authenticate and AuthenticateWS name the caller's principal
// (WithPrincipal). Each clientID is bound to the principal of its first
// recorded mutation: other principals can neither use it nor read its
// stored answers, and events carry their origin only to the connections of
// that clientID and principal. Without authentication hooks every caller is
// the same, anonymous principal. Dedup records of clients idle for
// ClientRetention (30 days) are pruned hourly, off the commit path, in
// chunks.
//
// Authentication and authorization fail closed: Authenticate alone also
// authenticates WebSocket handshakes, AuthenticateWS alone is refused at
// Register; an entity's Authorize alone also decides its subscriptions, and
// AuthorizeTopic alone its REST reads. A 409 carries the current entity only
// to a caller Authorize lets read it. A hook's error reaches the client only
// as the answer it chose (a sentinel, with a fixed message, or an *Error);
// anything else is answered with a fixed message and logged.
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
// publishing never blocks on a connection. A publish too big for a queue
// that was keeping up (a cascade's events) makes that subscription catch up
// again by replay (resync slow), read from the store as the client takes
// it; a connection whose queue was already half full is a slow consumer,
// closed with 4002 (a catch-up waits for room instead). Every write is
// bounded by WriteTimeout (a watchdog aborts a stuck one).
//
// # Partitions
//
// An entity declared with form.Entity.Partition(field) is synced by
// partition: each value of field is a topic of its own ("<key>/<name>",
// wire.PartitionTopic), with its own seq, epoch history and retention, so
// a write costs only the subscribers of its partition, whatever the number
// of partitions and connections. Listings take ?partition=key. Authorize
// sees the partition in Request.Partition on every read and write, and
// subscriptions are checked per topic (AuthorizeTopic, or Authorize of
// OpList in that partition): a refused subscription gets an error message, a
// write into a partition the caller may not write is 403 and recorded as
// refused, never applied. An update that changes the key moves the entity:
// authorized in both partitions, it is a delete in the old topic and a
// create in the new, each to its own subscribers.
//
// Who may read a partition usually lives in the store (an owner, shares):
// hooks read it with Server.Read, and a mutation that changes it calls
// Tx.Reauthorize. After its commit, every live subscription to that topic,
// on every instance, is checked again before it gets another event, and
// one now refused ends with error code revoked: the client drops the
// partition, and nothing of it is sent afterwards. examples/todo/backend
// (RegisterBoards) is a complete example: boards owned by a user, shared
// and unshared, each user following its own accesses.
//
// # Limits
//
// The server is meant to face the internet. Handler answers only for the
// allowed hosts (loopback names and AllowedHosts: DNS rebinding gets 403 on
// every route; CheckHost guards other handlers the same way) and WebSocket
// origins that are the server's own or match OriginPatterns, never "null".
// Quotas bound, per client address and per principal, mutations, new
// clientIDs, recorded bytes and subscriptions (429 rate_limited, close
// 4029), WebSocket sessions and connections waiting for hello (10 s at
// most). MutationMemory bounds the request bodies held at once. Transport
// gives the http.Server in front its timeouts, header limit and connection
// caps (none of which touches WebSockets); cmd/server shows them in use,
// with a shutdown that always ends within its budget.
//
// # Storage
//
// Store is the whole persistence contract (see its doc): SQLite (OpenSQLite:
// one file, WAL, synchronous=FULL, one writer connection, a pool of
// readers), PostgreSQL (OpenPostgres) and MemStore (tests) implement it.
// Nothing outside sqlite.go and postgres.go knows SQL. Events reach the hub
// through a Bus: LocalBus in-process.
//
// Events the outbox held longer than Retention (per topic, 10000 events by
// default) or, if set, RetentionAge are dropped; a client whose cursor is
// older gets a snapshot (PROTOCOL.md §3).
//
// # Several instances
//
// Any number of servers may share one PostgreSQL database, behind any load
// balancer (no sticky sessions): each opens its own Postgres and
// PostgresBus, and a client may send each request, and open each
// WebSocket, to any of them. Writes of all instances run one at a time,
// under one advisory lock (see Postgres.Update), so each topic's seq is
// contiguous in commit order and a mutation's dedup record is read by
// whichever instance its retry reaches. After each commit, NOTIFY wakes
// every instance, which reads the new events from the outbox, from the last
// seq it delivered, and sends them to its subscribers: every subscriber of
// every instance gets every event once, in seq order, with the same seq,
// prev and epoch (B31). Correctness never rests on NOTIFY: a listener that
// reconnects, and a poll every 2 s, read from the last seq too. Topic
// epochs are the database's, the same on every instance. Each instance
// enforces its quotas and limits on what it sees itself.
//
// Decisions where PROTOCOL.md is silent are listed in package wire's
// documentation under "Protocol decisions".
package server
