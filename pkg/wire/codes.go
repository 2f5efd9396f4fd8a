package wire

// Version is the protocol version carried by hello and welcome.
const Version = 1

// Subprotocol is the WebSocket subprotocol of protocol version 1.
const Subprotocol = "tandem.v1"

// Header names of mutation requests (PROTOCOL.md §2).
const (
	HeaderClientID   = "X-Client-ID"
	HeaderMutationID = "X-Mutation-ID"
	HeaderIfMatch    = "If-Match"
	HeaderETag       = "ETag"
)

// Limits shared by client and server.
const (
	// MaxClientMessage is the largest client-to-server WebSocket message in
	// bytes; the server closes a connection that sends more with CloseTooBig.
	MaxClientMessage = 32 << 10
	// DefaultMaxMsg is the maxMsg a server advertises unless configured; it
	// equals the browser client's default read limit.
	DefaultMaxMsg = 32 << 10
	// MinMaxMsg is the smallest maxMsg a welcome may advertise.
	MinMaxMsg = 1 << 10
	// MaxIDLen is the longest entity id, in bytes.
	MaxIDLen = 128
	// MaxTopicLen is the longest topic, in bytes: a partition key (an id,
	// MaxIDLen at most), "/" and a collection name.
	MaxTopicLen = 256
	// MaxEpochLen is the longest epoch, in bytes.
	MaxEpochLen = 128
	// MaxTokenLen is the longest hello token, in bytes.
	MaxTokenLen = 8 << 10
)

// Error codes of the REST error body and of the WebSocket error message.
const (
	CodeBadRequest       = "bad_request"        // 400
	CodeUnauthorized     = "unauthorized"       // 401
	CodeForbidden        = "forbidden"          // 403
	CodeNotFound         = "not_found"          // 404
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeTimeout          = "timeout"            // 408: the request body did not arrive in time; retried
	CodeConflict         = "conflict"           // 409: If-Match failed, or create on a live id
	CodeDeleted          = "deleted"            // 409: the id was deleted; ids are never reused
	CodeProcessed        = "processed"          // 409: mutationID already processed, response no longer stored
	CodeTooLarge         = "too_large"          // 413
	CodeUnsupportedMedia = "unsupported_media"  // 415
	CodeInvalid          = "invalid"            // 422: fields holds the field errors
	CodeRejected         = "rejected"           // 422: a server rule refused the mutation (no field to blame)
	CodeRateLimited      = "rate_limited"       // 429
	CodeInternal         = "internal"           // 500
	CodeUnavailable      = "unavailable"        // 503: shutting down, or a transient failure; retried
	// CodeRevoked ends a live subscription (WebSocket error message with
	// topic): the principal may no longer read the topic. Nothing of it
	// follows; the client drops the topic's data.
	CodeRevoked = "revoked"
)

// CloseCode is a WebSocket close status code (PROTOCOL.md §3).
type CloseCode int

// Close codes. Browsers may only send CloseNormal and 3000–4999.
const (
	CloseNormal        CloseCode = 1000
	CloseGoingAway     CloseCode = 1001 // server shutdown: reconnect
	CloseHeartbeat     CloseCode = 4000
	CloseUnauthorized  CloseCode = 4001
	CloseSlowConsumer  CloseCode = 4002
	CloseProtocolError CloseCode = 4003
	CloseTooBig        CloseCode = 4009
	// CloseRateLimited: the connection went over a quota of the server
	// (subscriptions, sessions); reconnect after a backoff.
	CloseRateLimited CloseCode = 4029
)

// Reconnect reports whether a client should reconnect after a close with c.
// Only CloseUnauthorized needs new credentials first; every other code,
// including unknown ones, is followed by a reconnect with backoff.
func (c CloseCode) Reconnect() bool { return c != CloseUnauthorized }

// IsPermanentStatus reports whether an HTTP status of a mutation is a
// permanent outcome: the server recorded the mutation as processed and a
// client must not retry it. 2xx and every 4xx except 408 and 429 are
// permanent; 408, 429, 5xx and anything else are retried with the same
// mutationID.
func IsPermanentStatus(status int) bool {
	switch {
	case status >= 200 && status < 300:
		return true
	case status == 408 || status == 429:
		return false
	case status >= 400 && status < 500:
		return true
	}
	return false
}
