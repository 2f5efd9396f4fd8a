// Package sync is Tandem's realtime reconciler: the client side of the
// WebSocket protocol (PROTOCOL.md §3–§4). It keeps the confirmed layers of a
// store's collections equal to the server's, over a connection that may drop,
// duplicate, reorder or lose messages, without ever losing or doubling a
// change.
//
// # What it does
//
// A Client holds one connection per store (one clientID). After hello, the
// server's welcome says which of this client's mutations it has processed;
// those leave the store's queue (store.Store.Acknowledge). Every collection
// of the store is a topic — those collected after New too, with nothing to
// add — subscribed from its cursor {epoch, seq}: the server replays what was
// missed, or sends a snapshot, then "live". Until a topic is live its events
// are held back, then applied in order. (Add stands a wrapper in for a
// collection, to observe what the reconciler applies.)
//
// Each event is checked against the topic's cursor: seq at or below it is a
// duplicate and is dropped; a prev that is not the cursor is a gap, and that
// topic alone subscribes again from its cursor while the others keep flowing;
// an event of another epoch (the server's log was reset) forces a snapshot.
// An event carrying this client's own origin confirms the pending mutation
// instead of applying it twice (store.Store.Echo). Snapshots arrive in parts
// and replace the confirmed layer atomically on the last one; a connection
// lost mid-snapshot leaves the previous state intact. Objects too big for a
// message ("invalidate" events, stale snapshot items) are fetched by id.
//
// # The connection as a policy
//
// Reconnects wait a uniformly random delay in [0, min(cap, base·2^n)] —
// full jitter, 250 ms and 30 s by default — and n resets once a connection
// has lasted StableAfter (30 s). A close with 4029 (the server's quota is
// spent) resumes at n = 4 at least, so the next attempt waits up to 4 s even
// after a long, stable connection. Silence longer than twice the server's
// heartbeat plus HeartbeatGrace (1 s) closes the connection with 4000. A
// message over the server's maxMsg closes it with 4009, a malformed one with
// 4003: the client only ever sends close codes a browser may send (1000,
// 4000–4999) and reconnects, resuming from its cursors. With an OnlineSource
// and a FocusSource (cache.BrowserOnline, cache.BrowserFocus in the browser)
// it waits while offline and reconnects at once when the network is back or
// the page becomes visible. State is a tracked read of where it stands:
// Offline, Connecting, Resyncing or Live.
//
// # Transports
//
// A Conn is whole text messages in and out. WebSocket dials with
// coder/websocket natively and with the browser's own WebSocket under
// GOOS=js (websocket_js.go: coder/websocket's browser build links net/http,
// which made a browser client about a third bigger); one conn suite runs on
// both, the browser side in Node. Pipe is an in-memory pair for tests;
// Faults wraps a Conn to duplicate, reorder, delay, drop and cut on a
// seeded plan.
//
// # Proof
//
// Besides a test per behaviour (B14–B28), TestB36_convergence runs three
// clients against the real server on loopback through Faults connections,
// with random writes, lost REST answers, cut connections and a server
// restart that resets the epoch, and checks after quiescence that every
// client's visible state equals its confirmed state equals the server's,
// that nothing is pending, that every acknowledged write is there, and that
// versions and cursors never went backwards. Traces come from seeds (200 in
// CI, 10,000 with make soak); a failing seed is printed with the command that
// replays it, and shrunk.
//
// # Goroutines
//
// A Client belongs to its store's graph goroutine. Each connection has a
// reader and a writer goroutine, which hand every message to the graph
// through Graph.Schedule.
package sync
