//go:build !js || conntest

package sync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// runConnSuite checks what the reconciler needs of every Conn that dial
// opens, against the peer of conn_peer_test.go at base ("ws://host:port"):
// natively with coder/websocket, and under GOOS=js, in Node, with the
// browser binding of websocket_js.go (TestConn_browserBindingUnderNode).
// The same behaviour on both sides is the point: the binding exists only for
// size.
func runConnSuite(t *testing.T, dial Dialer, base string) {
	ctx := context.Background()
	open := func(t *testing.T, path string) Conn {
		t.Helper()
		c, err := dial(ctx, base+path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close(wire.CloseNormal, "") })
		return c
	}
	// report asks the peer for the close code and reason it saw on the
	// connection called name.
	report := func(t *testing.T, name string) string {
		t.Helper()
		msg, err := open(t, "/report?name="+name).Read(ctx)
		require.NoError(t, err)
		return string(msg)
	}

	t.Run("messages round-trip whole and in order, as text", func(t *testing.T) {
		c := open(t, "/echo")
		msgs := []string{`{"t":"hb"}`, "héllo — 世界 🙂", strings.Repeat("x", 200_000), ""}
		for _, m := range msgs {
			require.NoError(t, c.Write(ctx, []byte(m)))
		}
		for _, m := range msgs {
			got, err := c.Read(ctx)
			require.NoError(t, err)
			assert.Equal(t, m, string(got))
		}
	})

	t.Run("a binary message reads as malformed", func(t *testing.T) {
		c := open(t, "/echo")
		require.NoError(t, c.Write(ctx, []byte("binary")))
		_, err := c.Read(ctx)
		assert.ErrorIs(t, err, wire.ErrMalformed)
	})

	t.Run("the server's close code reaches the reader", func(t *testing.T) {
		c := open(t, "/echo")
		require.NoError(t, c.Write(ctx, []byte("close 4001 nope")))
		_, err := c.Read(ctx)
		require.Error(t, err)
		assert.Equal(t, wire.CloseUnauthorized, closeCode(err))
	})

	t.Run("the client's close code and reason reach the server", func(t *testing.T) {
		c := open(t, "/closes?name=normal")
		require.NoError(t, c.Close(wire.CloseHeartbeat, "heartbeat timeout"))
		assert.Equal(t, "4000 heartbeat timeout", report(t, "normal"))
	})

	t.Run("a code a browser may not send goes out as 4003", func(t *testing.T) {
		c := open(t, "/closes?name=internal")
		require.NoError(t, c.Close(1011, "internal"))
		assert.Equal(t, "4003 internal", report(t, "internal"))
	})

	t.Run("a long reason is cut to what a close frame holds, on a character boundary", func(t *testing.T) {
		c := open(t, "/closes?name=long")
		require.NoError(t, c.Close(wire.CloseTooBig, strings.Repeat("é", 100)))
		code, reason, _ := strings.Cut(report(t, "long"), " ")
		assert.Equal(t, "4009", code)
		assert.LessOrEqual(t, len(reason), 123)
		assert.True(t, utf8.ValidString(reason))
		assert.Equal(t, strings.Repeat("é", 61), reason)
	})

	t.Run("reads and writes after Close fail", func(t *testing.T) {
		c := open(t, "/echo")
		require.NoError(t, c.Close(wire.CloseNormal, "bye"))
		_, err := c.Read(ctx)
		assert.Error(t, err)
		assert.Error(t, c.Write(ctx, []byte("late")))
	})

	t.Run("a read ends when its context does", func(t *testing.T) {
		c := open(t, "/echo")
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := c.Read(rctx)
			done <- err
		}()
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})

	t.Run("a server without the subprotocol is refused", func(t *testing.T) {
		c, err := dial(ctx, base+"/nosub")
		assert.Error(t, err)
		assert.Nil(t, c)
	})

	t.Run("a dial to nothing fails", func(t *testing.T) {
		c, err := dial(ctx, "ws://127.0.0.1:1/api/ws")
		assert.Error(t, err)
		assert.Nil(t, c)
	})

	t.Run("a dial whose context has ended fails", func(t *testing.T) {
		dctx, cancel := context.WithCancel(ctx)
		cancel()
		c, err := dial(dctx, base+"/echo")
		assert.Error(t, err)
		assert.True(t, c == nil || errors.Is(err, context.Canceled))
	})
}
