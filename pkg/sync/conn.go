package sync

import (
	"context"
	"errors"
	"unicode/utf8"

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

// clientCode maps a close code to one a browser may send (B27).
func clientCode(code wire.CloseCode) wire.CloseCode {
	if code == wire.CloseNormal || code >= 4000 && code <= 4999 {
		return code
	}
	return wire.CloseProtocolError
}

// closeReason cuts reason, on a character boundary, to the 123 bytes a
// close frame holds: a longer one makes browsers throw and coder/websocket
// fail the close.
func closeReason(reason string) string {
	for len(reason) > 123 {
		_, n := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-n]
	}
	return reason
}

// closeCode returns the close code a read error carries, or 0.
func closeCode(err error) wire.CloseCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return closeStatus(err)
}
