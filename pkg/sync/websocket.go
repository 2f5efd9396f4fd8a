//go:build !js

package sync

import (
	"context"
	"fmt"

	"github.com/coder/websocket"

	"github.com/tandemkit/tandem/pkg/wire"
)

// WebSocket returns the Dialer of coder/websocket with the protocol's
// subprotocol. Under GOOS=js the same function dials the browser's own
// WebSocket instead (websocket_js.go), so that a browser build links neither
// coder/websocket nor net/http; one conn suite tests both.
//
// The reconciler enforces the protocol's read limit itself (maxMsg, closing
// with 4009) so that it can close with a code a browser may send; the
// library's own limit (hardReadLimit) is a backstop above it.
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

// hardReadLimit bounds the memory one message may take; the reconciler's
// own, smaller limit (maxMsg) closes with 4009 first.
const hardReadLimit = 4 << 20

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
	return w.c.Close(websocket.StatusCode(clientCode(code)), closeReason(reason))
}

// closeStatus returns the close code coder/websocket reports in err, or 0.
func closeStatus(err error) wire.CloseCode {
	if code := websocket.CloseStatus(err); code != -1 {
		return wire.CloseCode(code)
	}
	return 0
}
