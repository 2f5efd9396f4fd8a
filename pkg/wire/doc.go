// Package wire holds the Go types of every REST body and WebSocket message
// of the Tandem protocol, version 1 (shared/spec/PROTOCOL.md), with decoders
// that reject malformed input with a clear error.
//
// It is browser code: it imports encoding/json and the standard library
// only, and nothing of Tandem.
//
// # Decoding
//
// DecodeClientMessage and DecodeServerMessage parse one WebSocket message in
// one pass, check "t", every required field and every range, and return one
// of the message structs (switch on the type). DecodeItem,
// DecodeSnapshotPage, DecodeMutationResponse, DecodeDeleteResponse and
// DecodeErrorResponse do the same for REST bodies. Every error matches
// ErrMalformed (errors.Is) and is a *DecodeError naming the field; an
// unknown message type also matches ErrUnknownType. ParseIfMatch and
// ParseMutationID parse headers (ErrBadHeader).
//
// # Encoding
//
// Every message type has a MarshalJSON that writes its "t";
// EncodeClientMessage and EncodeServerMessage also run the decoder's checks
// first, so a side never sends what the other would refuse.
//
// # Protocol decisions
//
// PROTOCOL.md is the contract. Where it is silent or, in one case, cannot
// work as written, client and server follow these decisions.
//
// Identifiers and numbers
//   - clientID: exactly 32 lowercase hex digits or a lowercase 8-4-4-4-12
//     UUID; anything else is 400 (REST) or closes 4003 (hello).
//   - Entity ids: 1–128 bytes of A–Z a–z 0–9 - . _ ~ (URL-unreserved, so an
//     id is a path segment without escaping), except "." and ".." (URL
//     resolution removes them from a path, so such an entity could never be
//     read or changed): a create with one is 400. Topics: a collection (the
//     same characters), or "key/collection", a partition's (see Partitions;
//     the key is an id), at most 256 bytes. Epochs: 1–128 printable ASCII
//     bytes without space, quote or backslash.
//   - mutationID, seq and version are at most 2^53-1 (exact in JavaScript).
//     X-Mutation-ID is a decimal without leading zeros, from 1.
//   - An event's version equals its seq (the entity's new version) in a
//     collection synced whole, and prev is always seq-1; decoders accept
//     any version from 1 (a partition's events carry their collection's
//     versions, see Partitions) and prev < seq.
//   - Event ts is the commit time in Unix milliseconds.
//
// REST
//   - X-Client-ID and X-Mutation-ID come together or not at all; one alone,
//     or a malformed one, is 400 and is not recorded (there is no key).
//   - If-Match is one quoted decimal version from 1 ("42"); weak tags,
//     lists, * and "0" are 400. It applies to PATCH and DELETE; POST ignores
//     it.
//   - POST and PATCH require Content-Type application/json (415
//     unsupported_media otherwise), which also forces a CORS preflight on
//     cross-site writes.
//   - A page on another origin (the app built as a static site and hosted
//     elsewhere) uses the API when its origin matches the server's allowed
//     origin patterns, the same ones as for the WebSocket: preflights get
//     204 with the methods GET, POST, PATCH, DELETE and the headers
//     Content-Type, Authorization, If-Match, X-Client-ID, X-Mutation-ID;
//     answers get Access-Control-Allow-Origin (and expose Retry-After). No
//     credentials: such a site authenticates with Authorization. Any other
//     origin gets no CORS headers, and 403 on a preflight.
//   - Create: the body is the create form's fields plus "id" (required,
//     client-generated); any other field, including server-set ones such as
//     updatedAt, is 400. Answer 201. A create on a live id is 409 conflict
//     with current; on a deleted id 409 deleted with current = the
//     tombstone.
//   - PATCH: the body is a non-empty JSON object of fields the update form
//     declares; "id", unknown fields and null values are 400 (omit a field to
//     keep it; nullable fields are not supported in v1). Each present field
//     replaces the stored value whole (a nested object is not merged into).
//     Only present fields are validated, plus the form's cross-field checks
//     on the merged object. Answer 200.
//   - PATCH or DELETE of a deleted id is 409 deleted with the tombstone as
//     current; of an id never created, 404. GET of a deleted id is 404 with
//     the tombstone as current, so a client learns its version.
//   - Successful mutation answers carry "duplicate" always (false or true);
//     DeleteResponse has it too. A replayed error answer is the original
//     ErrorResponse plus "duplicate":true at the top level.
//   - Successful mutation answers also carry "epoch", the topic's epoch at
//     the commit (optional on decode). A client resynchronising after an
//     epoch change needs it: the reset snapshot may have been read before a
//     write the client already holds from its answer, and only a write of
//     the same epoch with a version above the snapshot's watermark is known
//     to be newer than the snapshot (kept); one of the old log is not.
//   - Dedup: the server keeps the last 32 answers per client (configurable).
//     A mutationID at or below the client's lastMutationID whose answer is no
//     longer kept (or that never came, from a client breaking the
//     increasing-IDs rule) is answered 409 processed and applied never.
//   - A clientID belongs to the principal (the authenticated caller, as the
//     server's authentication hooks name it) of the first mutation recorded
//     for it. A mutation with a clientID that belongs to another principal
//     is 403 forbidden, is not recorded and gets none of the owner's stored
//     answers; a client whose user changes (log out, log in as another
//     user) must start over with a new clientID. A server without
//     authentication treats every caller as one principal: whoever knows a
//     clientID can act under it.
//   - Dedup records expire: a client with no mutation recorded for 30 days
//     (configurable) is forgotten with its answers. welcome.lastMutationID
//     is then 0 again and an old mutationID re-sent after that would be
//     applied anew.
//   - Recorded as processed: every 4xx except 401, 408, 429 and the 403 of a
//     clientID that belongs to another principal, including 400/413/415
//     found before the transaction. 401 is not recorded: authentication runs
//     before dedup so that an unauthenticated caller can neither read nor
//     poison another client's records. 5xx are not recorded (the client
//     retries). IsPermanentStatus encodes the client's side of this.
//   - Which failures are permanent: a failure the same request would meet
//     again is a recorded 4xx, so a client queue never blocks on it; one
//     that may pass on a retry is not recorded. Hence: a server-side rule
//     that refuses without blaming a field (a hook's business rule), a
//     server-side bug in applying this mutation (a panic) and a cascade
//     deeper than 16 levels are 422 rejected; a storage failure is 500
//     internal; an authorization check that failed rather than refused is
//     503 unavailable; a request body that did not arrive in full (cut off,
//     or not within the server's body timeout, 30 s by default) is 408
//     timeout; a request cancelled before its mutation was queued is 503
//     unavailable.
//   - Error codes beyond the spec's: method_not_allowed (405), timeout
//     (408), deleted (409, from §2's text), processed (409),
//     unsupported_media (415), rejected (422 without fields), rate_limited
//     (429), internal (500), unavailable (503: shutting down, or a transient
//     failure).
//   - Listing: GET /api/{collection} returns live entities only, in id
//     order, 500 per page by default (?limit= up to 1000). Correction to
//     §2: "next" is an opaque cursor, not an id, and a client passes it back
//     as ?after=<next>; it encodes the first page's epoch and seq so that
//     every page carries the same watermark (an id alone cannot). Items on
//     later pages may be newer than that seq; applying events with seq >
//     watermark as usual converges. A cursor from another epoch is 400.
//   - Quotas: a server limits what one caller may make it do, per client
//     address and per authenticated principal (mutations, clientIDs seen
//     for the first time, bytes of recorded answers). A request over a
//     quota is 429 rate_limited with Retry-After (whole seconds); it is not
//     recorded, and the client retries the same mutationID with backoff.
//   - Error answers are bounded: message and each field message at most
//     256 bytes, at most 32 fields; names taken from the input (an unknown
//     field) are cut to 64 bytes. A recorded error answer never holds
//     current: a retry of a 409 gets the code and message without it.
//   - current in a 409 (conflict, deleted) is sent only to a caller the
//     server's read check (Authorize, OpGet of that entity) allows to read
//     it; others get the 409 without current.
//   - Host: the server answers only for the names it is configured with
//     (loopback names always); any other Host gets 403 forbidden on every
//     route, WebSocket included, so DNS rebinding reaches nothing.
//   - Request bodies reject unknown fields; REST answers and WebSocket
//     messages ignore unknown fields (forward compatibility within v1).
//     encoding/json matches keys case-insensitively on decode.
//
// WebSocket
//   - The handshake must offer subprotocol tandem.v1; otherwise the server
//     accepts and closes 4003. A disallowed Origin gets 403 before upgrade;
//     a missing Origin (not a browser) is allowed. Allowed are the server's
//     own origin under an allowed host and the configured patterns; the
//     opaque origin "null" never is, whatever the patterns.
//   - A handshake over the server's connection quotas (connections waiting
//     for hello per address and server-wide, sessions per address) gets 429
//     before upgrade; the client retries with its reconnect backoff.
//   - Close 4029 (CloseRateLimited): the connection went over a quota
//     (sub messages per address and principal — each starts a snapshot or
//     replay —, sessions per principal). The client reconnects, waiting at
//     least as after four failed attempts (up to 4 s with the default
//     base) even if the connection had been stable.
//   - hello must be the first message and arrive within the hello timeout
//     (10 s by default, never more than the heartbeat timeout), else close
//     4003; a second hello closes 4003; refused
//     authentication closes 4001 before any data. Any malformed client
//     message closes 4003 (the close reason says why; there is no error
//     message for it); a client message over 32 KiB closes 4009.
//   - welcome.lastMutationID counts permanent errors too (they are
//     processed). It is 0 when the hello's clientID belongs to another
//     principal than the session's.
//   - An event carries origin only on the connections whose hello clientID
//     is origin.clientID and whose principal is the one that clientID is
//     bound to (live and replayed events alike); every other subscriber
//     gets the same event without origin. A client only ever needs its own
//     origins, and clientIDs and mutationIDs do not leak, not even to a
//     session of another user that names the clientID.
//   - sub without since: snapshot, then live (no resync). sub with since:
//     nothing missed → live only; missed events retained → resync
//     {gap, replay}, the events, live; since older than the retained log →
//     resync {retention, snapshot}, snapshot, live; another epoch, or a seq
//     the log never reached → resync {epoch, snapshot}, snapshot, live.
//   - One publish too big for a connection (a cascade's events that do not
//     fit its queue, or the events held for a starting subscription beyond
//     its buffer) is no reason to close it: the server drops those events
//     and sends resync {slow, replay} (or {retention, snapshot} if the log no
//     longer holds them), the events from the client's cursor read from the
//     store as the client takes them, then live — on a live subscription
//     (the client goes back to subscribing) as after a snapshot or replay
//     not yet live. A connection whose queue was at least half full before
//     such a publish is a slow consumer and is closed with 4002.
//   - A mutation changes at most a bounded number of entities (1000 by
//     default, its own and those its hooks cascade to); one that would
//     change more is refused whole with a recorded 422 rejected. Cascading
//     in chunks was the alternative: it would commit a list's deletion in
//     pieces others see half done, and cannot give one answer.
//   - Order of a starting subscription: snapshot parts (or replayed events),
//     then live at the watermark, then the events committed meanwhile with
//     seq > watermark, then live events. So live.seq is the snapshot's
//     watermark and events after live continue from it. No event with seq
//     at or below the watermark is sent after live, even one published late.
//   - A WebSocket snapshot is read from the store page by page, as the
//     client takes it; its seq (the watermark) is read with the first page.
//     An item on a later part may therefore be newer than seq (version >
//     seq); the events with seq > watermark that follow carry those changes
//     too and are applied as usual (an event whose version is not above the
//     confirmed one changes nothing but the cursor, B5), so the client
//     converges, as with REST list pages. A replay is read the same way; if
//     the log's retention drops events of it before they are sent, the
//     server closes with 4002 and the client resumes from its cursor.
//   - A sub for an unknown topic or one AuthorizeTopic refuses answers an
//     error message {code not_found|forbidden, topic} and the connection
//     stays open (code unavailable when the check itself failed; its
//     message is fixed, never the hook's error text); ErrorMessage has an optional "topic" for this. unsub of a
//     topic not subscribed is ignored; no message queued for a subscription
//     is sent after its unsub or re-sub.
//   - Snapshot parts are numbered from 0; an empty topic is one empty part
//     with last true. WebSocket snapshots include tombstones
//     ({id, version, deleted:true}) so that a late REST answer cannot
//     resurrect a deleted entity after a snapshot; tombstones are kept
//     forever (ids are never reused). An object too big for maxMsg appears
//     in a snapshot as a stale item {id, version} without data
//     (Item.Stale): fetch it with GET, as for an invalidate event.
//   - maxMsg is 32 KiB unless configured and at least 1 KiB.
//   - Heartbeats: the server sends hb every hbMs (15 s by default) and
//     closes 4000 when it has heard nothing for 2·hbMs + 5 s (a little more
//     slack than the client's 2·hbMs + 1 s); the timer is paused while the
//     server itself is sending a snapshot or replay, and starts again from
//     zero when it is done.
//   - A server shutting down closes every connection with 1001 (going
//     away); clients reconnect after every close code except 4001
//     (CloseCode.Reconnect).
//   - Topic = collection for a collection synced whole; a partitioned one
//     has a topic per partition and none of its own (see Partitions).
//
// Partitions
//   - A partitioned collection (form.Entity.Partition names a string field)
//     is synced a partition at a time: each value of the field, the
//     partition key, is a topic "key/collection" (PartitionTopic,
//     SplitTopic), of its own seq, prev and retained log, which a client
//     subscribes to as it opens the partition and unsubscribes from when
//     it closes it. §1's "tenant/collection" is this. A key must be an id
//     (a write with another is 422 on the field); a sub to "collection"
//     of a partitioned collection, or to "key/collection" of one synced
//     whole, is answered not_found, the first naming the field. A
//     partition's topic exists from its first write: a sub before that
//     gets an empty snapshot at seq 0.
//   - Versions come from one clock per collection, across its partitions
//     (an event's version is then not its seq), so that versions compare
//     across partitions; the partitions share their collection's epoch: a
//     log reset gives all of them a new one.
//   - A client keeps a cursor per partition and resumes each from its own
//     (B22 per topic). Closing a partition drops its entities and its
//     cursor; opened again, it starts from a snapshot. The collection holds
//     the entities of its open partitions only: a mutation's answer about
//     an entity of a partition not open (a create there, a move there)
//     settles the mutation but is not kept, as no event would keep it up
//     to date.
//   - A move (an update that changes the key) is a delete event in the old
//     partition's topic, then a create event in the new one, with a
//     greater version, both with the mutation's origin; the answer is the
//     create's. The old partition's snapshots keep the departed entity as a
//     tombstone at the delete's version, so that they account for every
//     entity it ever held. A client holding both partitions applies the
//     two events in either order: the higher version wins.
//   - REST: GET /api/{collection} of a partitioned collection needs
//     ?partition=<key> (400 without; with it on one synced whole, 400 too).
//     Authorize hooks get Request.Partition: a create is checked in its
//     partition, an update or delete in the entity's, a move in both; a
//     sub is checked (AuthorizeTopic) after the snapshot or replay is read
//     and before it is sent.
//   - Revocation: a write that changes who may read a partition calls
//     Tx.Reauthorize, which bumps the topic's access generation. Every
//     event carries the generation at its commit; a subscription sends
//     nothing of a newer generation than it was last allowed at before the
//     hook allows it again. Events committed before the bump go out under
//     the old one, those earlier in the same transaction too (the demo
//     deletes a board's todos before the shares whose deletion revokes:
//     its members get those deletes). Refused, the subscription ends with
//     an error message {code revoked, topic}: nothing more of the topic
//     follows, and the connection stays open. Granting needs no
//     Reauthorize: nobody was subscribed who could not read.
//   - A client told revoked (or forbidden, on sub) drops the topic's
//     entities and cursor and marks the partition revoked (refused), sends
//     no unsub (the server ended it), and subscribes again, from scratch,
//     after its next reconnect or when the app opens the partition again:
//     allowed by then, it is live again.
//
// Several server instances (one PostgreSQL database)
//   - The instances are one server to a client: one epoch per topic (the
//     database's), one seq per topic assigned in commit order whichever
//     instance commits, one outbox, one set of dedup records. A client may
//     send each REST call and open each WebSocket to any instance; a sub
//     with since resumes from the shared log wherever it lands, and a
//     retried mutation gets its stored answer from any instance.
//   - Every instance sends every committed event to its subscribers, in seq
//     order, each once, with the seq, prev and epoch of the commit (B31).
//     An event may reach a subscriber on another instance after the
//     writer's REST answer, as on one instance the two channels are not
//     ordered. An instance that fell further behind than the log's
//     retention (it could not read the events before they were dropped)
//     sends the next event it has; its prev is not the subscriber's cursor,
//     and the client resyncs that topic (B15): never a silent loss.
//   - Retention by age (a server option) keeps the events of a topic
//     committed within the configured age; a since older than what is kept
//     is answered as any cursor older than the retained log.
package wire
