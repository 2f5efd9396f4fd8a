package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/tandemkit/tandem/pkg/wire"
)

// wsConn is the transport a session talks through: a real WebSocket, or an
// in-memory pipe in tests.
type wsConn interface {
	// Read returns the next text message. It fails with errTooBig for a
	// message over wire.MaxClientMessage and errBinary for a binary one.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one text message; it is called from one goroutine.
	Write(ctx context.Context, p []byte) error
	// Close sends a close frame with code and reason and releases the
	// connection; it unblocks Read and Write. Safe to call concurrently.
	Close(code wire.CloseCode, reason string) error
	// Abort releases the connection without a close handshake.
	Abort() error
}

var (
	errTooBig = errors.New("server: client message over the limit")
	errBinary = errors.New("server: binary message")
)

// coderConn adapts a coder/websocket connection. raw is the hijacked
// connection under it: closing it aborts at once, even while a close
// handshake waits on a peer that does not answer (the library's CloseNow
// would wait for that handshake).
type coderConn struct {
	c   *websocket.Conn
	raw net.Conn
}

func (c coderConn) Read(ctx context.Context) ([]byte, error) {
	typ, r, err := c.c.Reader(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, errBinary
	}
	b, err := io.ReadAll(io.LimitReader(r, wire.MaxClientMessage+1))
	if err != nil {
		return nil, err
	}
	if len(b) > wire.MaxClientMessage {
		return nil, errTooBig
	}
	return b, nil
}

func (c coderConn) Write(ctx context.Context, p []byte) error {
	return c.c.Write(ctx, websocket.MessageText, p)
}

func (c coderConn) Close(code wire.CloseCode, reason string) error {
	return c.c.Close(websocket.StatusCode(code), reason)
}

func (c coderConn) Abort() error {
	if c.raw != nil {
		_ = c.raw.Close()
	}
	return c.c.CloseNow()
}

// hijackRecorder keeps the connection the WebSocket library hijacks.
type hijackRecorder struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = c
	return c, brw, err
}

func (h *hijackRecorder) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// serveWS upgrades GET /api/ws and runs the session until it ends.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, "GET")
		return
	}
	if !s.originAllowed(r) {
		s.log.Info("websocket handshake refused", "origin", clip(r.Header.Get("Origin"), 200))
		writeError(w, &Error{Status: http.StatusForbidden, Code: wire.CodeForbidden, Message: "origin not allowed"})
		return
	}
	// Slots before the upgrade, so that a flood of connections costs a 429
	// each, not a goroutine and buffers until hello: one for a connection
	// waiting for hello (per address and server-wide) and one for a session
	// (per address; per principal after hello).
	addrKeys := []string{"a " + s.opts.ClientAddr(r)}
	q := s.quota
	if !q.handshakes.acquire(addrKeys) {
		writeRateLimited(w, rateLimited("too many connections waiting for hello from this address"), time.Second)
		return
	}
	if !q.allHandshakes.acquire(allKeys) {
		q.handshakes.release(addrKeys)
		writeRateLimited(w, rateLimited("too many connections waiting for hello"), time.Second)
		return
	}
	var once sync.Once
	helloDone := func() {
		once.Do(func() {
			q.handshakes.release(addrKeys)
			q.allHandshakes.release(allKeys)
		})
	}
	defer helloDone()
	if !q.sessions.acquire(addrKeys) {
		writeRateLimited(w, rateLimited("too many WebSocket sessions from this address"), 5*time.Second)
		return
	}
	defer q.sessions.release(addrKeys)
	// The Origin is checked above, against the allowed hosts and patterns;
	// the library's own check would compare it with the request's Host
	// only, and lets "null" through a "*" pattern.
	hw := &hijackRecorder{ResponseWriter: w}
	c, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		Subprotocols:       []string{wire.Subprotocol},
		InsecureSkipVerify: true,
	})
	if err != nil {
		// Accept already answered (400 for a malformed handshake).
		s.log.Info("websocket handshake refused", "err", err)
		return
	}
	if c.Subprotocol() != wire.Subprotocol {
		c.Close(websocket.StatusCode(wire.CloseProtocolError), "subprotocol "+wire.Subprotocol+" required")
		return
	}
	// The limit is enforced by coderConn.Read so that an oversized message
	// closes with 4009 rather than the library's 1009.
	c.SetReadLimit(-1)
	s.hub.serveWith(coderConn{c: c, raw: hw.conn}, r, helloDone)
}

// allKeys is the one key of server-wide counts.
var allKeys = []string{""}
