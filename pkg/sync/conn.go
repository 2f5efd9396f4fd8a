package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/coder/websocket"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A Conn is one WebSocket connection as the reconciler sees it: whole text
// messages in, whole text messages out. Implementations: WebSocket
// (coder/websocket, natively and in the browser), Pipe (in memory), and
// Faults (a wrapper that injects failures).
type Conn interface {
	// Read returns the next message, blocking until one arrives or the
	// connection fails or is closed.
	Read(ctx context.Context) ([]byte, error)
	// Write sends one message.
	Write(ctx context.Context, msg []byte) error
	// Close closes the connection with code and reason. The client sends
	// only codes a browser may send: 1000 and 4000–4999.
	Close(code wire.CloseCode, reason string) error
}

// A Dialer opens a Conn to url.
type Dialer func(ctx context.Context, url string) (Conn, error)

// ErrClosed is returned by a Conn used after Close.
var ErrClosed = errors.New("sync: connection closed")

// WebSocket returns the Dialer of coder/websocket with the protocol's
// subprotocol, natively and under GOOS=js (the browser's WebSocket).
//
// The reconciler enforces the protocol's read limit itself (maxMsg, closing
// with 4009) so that it can close with a code a browser may send; the
// library's own limit is a backstop above it natively (hardReadLimit) and
// off in the browser, whose WebSocket has received the message whole
// anyway.
func WebSocket() Dialer {
	return func(ctx context.Context, url string) (Conn, error) {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		if err != nil {
			return nil, fmt.Errorf("sync: dialing %s: %w", url, err)
		}
		if c.Subprotocol() != wire.Subprotocol {
			_ = c.Close(websocket.StatusCode(wire.CloseProtocolError), "subprotocol "+wire.Subprotocol+" required")
			return nil, fmt.Errorf("sync: %s did not accept subprotocol %s", url, wire.Subprotocol)
		}
		c.SetReadLimit(hardReadLimit)
		return wsConn{c}, nil
	}
}

type wsConn struct{ c *websocket.Conn }

func (w wsConn) Read(ctx context.Context) ([]byte, error) {
	typ, b, err := w.c.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, fmt.Errorf("sync: binary message: %w", wire.ErrMalformed)
	}
	return b, nil
}

func (w wsConn) Write(ctx context.Context, msg []byte) error {
	return w.c.Write(ctx, websocket.MessageText, msg)
}

func (w wsConn) Close(code wire.CloseCode, reason string) error {
	return w.c.Close(websocket.StatusCode(clientCode(code)), reason)
}

// clientCode maps a close code to one a browser may send (B27).
func clientCode(code wire.CloseCode) wire.CloseCode {
	if code == wire.CloseNormal || code >= 4000 && code <= 4999 {
		return code
	}
	return wire.CloseProtocolError
}

// closeCode returns the close code a read error carries, or 0.
func closeCode(err error) wire.CloseCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if code := websocket.CloseStatus(err); code != -1 {
		return wire.CloseCode(code)
	}
	return 0
}
