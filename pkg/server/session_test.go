package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

func TestSession_protocolErrors(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		msgs []string
		code wire.CloseCode
	}{
		{"first message not hello", Options{}, []string{`{"t":"sub","topic":"lists"}`}, wire.CloseProtocolError},
		{"malformed hello", Options{}, []string{`{"t":"hello","v":1}`}, wire.CloseProtocolError},
		{"authentication refused", Options{
			Authenticate:   func(*http.Request) (context.Context, error) { return nil, ErrUnauthorized },
			AuthenticateWS: func(*http.Request, wire.Hello) (context.Context, error) { return nil, ErrUnauthorized }},
			[]string{`{"t":"hello","v":1,"clientID":"` + client1 + `"}`}, wire.CloseUnauthorized},
		{"message over the limit", Options{}, []string{`{"t":"hello","v":1,"clientID":"` + client1 + `"}`, `{"t":"hb","pad":"` + strings.Repeat("x", wire.MaxClientMessage) + `"}`}, wire.CloseTooBig},
		{"hello twice", Options{}, []string{`{"t":"hello","v":1,"clientID":"` + client1 + `"}`, `{"t":"hello","v":1,"clientID":"` + client1 + `"}`}, wire.CloseProtocolError},
		{"malformed message", Options{}, []string{`{"t":"hello","v":1,"clientID":"` + client1 + `"}`, `{"t":"sub"}`}, wire.CloseProtocolError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBubble(t, tc.opts)
				defer b.stop()
				c := b.dial()
				for _, m := range tc.msgs {
					c.sendRaw([]byte(m))
				}
				synctest.Wait()
				code, closed := c.p.closeCode()
				require.True(t, closed)
				assert.Equal(t, tc.code, code)
				if tc.code == wire.CloseUnauthorized {
					c.none() // closed before any data
				}
			})
		})
	}
}

func TestSession_noHelloInTimeIsClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{HeartbeatInterval: time.Second, HeartbeatTimeout: 3 * time.Second})
		defer b.stop()
		c := b.dial()
		time.Sleep(4 * time.Second)
		synctest.Wait()
		code, closed := c.p.closeCode()
		require.True(t, closed)
		assert.Equal(t, wire.CloseProtocolError, code)
	})
}

func TestShutdown_closesSessionsWithGoingAway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		c, _ := b.connect(client1)
		b.stop()
		code, closed := c.p.closeCode()
		require.True(t, closed)
		assert.Equal(t, wire.CloseGoingAway, code)
		rec := b.do("POST", "/api/lists", `{"id":"x","name":"x"}`, mut(client1, 1)...)
		assert.Equal(t, 503, rec.Code)
	})
}

func TestSession_stuckWriteIsAbortedAfterWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{WriteTimeout: 4 * time.Second, HeartbeatInterval: time.Minute})
		defer b.stop()
		c := b.dialBuffered(0) // never read: the welcome write blocks
		c.send(wire.Hello{V: 1, ClientID: client1})
		time.Sleep(4 * time.Second)
		synctest.Wait()
		_, closed := c.p.closeCode()
		assert.False(t, closed, "not before the timeout")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		code, closed := c.p.closeCode()
		require.True(t, closed)
		assert.Equal(t, wire.CloseCode(1006), code, "aborted without a handshake")
	})
}
