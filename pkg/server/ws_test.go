package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// These tests run the real WebSocket over loopback.

func dialWS(t *testing.T, env *testEnv, origin string, protocols ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	// The dial context must outlive the handshake: cancelling it would tear
	// down the connection (net/http ties the upgraded conn to it).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if protocols == nil {
		protocols = []string{wire.Subprotocol}
	}
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.http.URL, "http")+"/api/ws", &websocket.DialOptions{HTTPHeader: h, Subprotocols: protocols})
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, res, err
}

func readMsg(t *testing.T, c *websocket.Conn) wire.ServerMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	require.NoError(t, err)
	m, err := wire.DecodeServerMessage(b)
	require.NoError(t, err)
	return m
}

func writeMsg(t *testing.T, c *websocket.Conn, m wire.ClientMessage) {
	t.Helper()
	b, err := wire.EncodeClientMessage(m)
	require.NoError(t, err)
	require.NoError(t, c.Write(context.Background(), websocket.MessageText, b))
}

// closeStatus reads until the connection closes and returns its code.
func closeStatus(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == -1 {
				t.Logf("read error without close status: %v", err)
			}
			return websocket.CloseStatus(err)
		}
	}
}

func TestB30_originChecking(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{OriginPatterns: []string{"app.example.com", "https://*.trusted.dev"}})
	host := strings.TrimPrefix(env.http.URL, "http://")
	for _, tc := range []struct {
		origin string
		status int
	}{
		{"", http.StatusSwitchingProtocols},               // not a browser
		{"http://" + host, http.StatusSwitchingProtocols}, // same host
		{"https://app.example.com", http.StatusSwitchingProtocols},
		{"https://a.trusted.dev", http.StatusSwitchingProtocols},
		{"http://a.trusted.dev", http.StatusForbidden}, // scheme pattern
		{"https://evil.example", http.StatusForbidden},
		{"http://127.0.0.2:1", http.StatusForbidden},
	} {
		t.Run("origin "+tc.origin, func(t *testing.T) {
			c, res, err := dialWS(t, env, tc.origin)
			require.NotNil(t, res)
			assert.Equal(t, tc.status, res.StatusCode)
			if tc.status == http.StatusForbidden {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			c.Close(websocket.StatusNormalClosure, "")
		})
	}
}

func TestB30_invalidAuthClosesWith4001BeforeAnyData(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{
		Authenticate: func(r *http.Request) (context.Context, error) {
			if r.Header.Get("Authorization") != "Bearer secret" {
				return nil, ErrUnauthorized
			}
			return nil, nil
		},
		AuthenticateWS: func(r *http.Request, h wire.Hello) (context.Context, error) {
			if h.Token != "secret" {
				return nil, ErrUnauthorized
			}
			return nil, nil
		}})
	c, _, err := dialWS(t, env, "")
	require.NoError(t, err)
	writeMsg(t, c, wire.Hello{V: 1, ClientID: client1, Token: "wrong"})
	assert.Equal(t, websocket.StatusCode(wire.CloseUnauthorized), closeStatus(t, c), "the first thing read is the close")

	c, _, err = dialWS(t, env, "")
	require.NoError(t, err)
	writeMsg(t, c, wire.Hello{V: 1, ClientID: client1, Token: "secret"})
	assert.IsType(t, wire.Welcome{}, readMsg(t, c))
	c.Close(websocket.StatusNormalClosure, "")
}

func TestWS_subprotocolRequired(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	c, _, err := dialWS(t, env, "", "other")
	require.NoError(t, err)
	assert.Equal(t, websocket.StatusCode(wire.CloseProtocolError), closeStatus(t, c))
}

func TestWS_messageOverLimitCloses4009(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	c, _, err := dialWS(t, env, "")
	require.NoError(t, err)
	writeMsg(t, c, wire.Hello{V: 1, ClientID: client1})
	readMsg(t, c)
	big := `{"t":"hb","pad":"` + strings.Repeat("x", wire.MaxClientMessage) + `"}`
	require.NoError(t, c.Write(context.Background(), websocket.MessageText, []byte(big)))
	assert.Equal(t, websocket.StatusCode(wire.CloseTooBig), closeStatus(t, c))
}

// TestWS_endToEnd subscribes over a real socket, mutates over REST and
// receives the echo; shutting the server down closes with 1001.
func TestWS_endToEnd(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "one"})
	c, _, err := dialWS(t, env, "")
	require.NoError(t, err)
	writeMsg(t, c, wire.Hello{V: 1, ClientID: client1})
	require.IsType(t, wire.Welcome{}, readMsg(t, c))
	writeMsg(t, c, wire.Sub{Topic: "lists"})
	snap := readMsg(t, c).(wire.Snapshot)
	assert.Len(t, snap.Items, 1)
	live := readMsg(t, c).(wire.Live)
	assert.Equal(t, snap.Seq, live.Seq)

	mr := env.mustCreate("lists", map[string]any{"id": "l2", "name": "two"}, mut(client1, 1)...)
	ev := readMsg(t, c).(wire.Event)
	assert.Equal(t, mr.Seq, ev.Seq)
	assert.JSONEq(t, string(mr.Data), string(ev.Data), "the event carries the same full object as the response")
	assert.Equal(t, &wire.Origin{ClientID: client1, MutationID: 1}, ev.Origin)

	// Shutdown waits for the close handshake, so read while it runs.
	done := make(chan error, 1)
	go func() { done <- env.srv.Shutdown(context.Background()) }()
	assert.Equal(t, websocket.StatusGoingAway, closeStatus(t, c))
	require.NoError(t, <-done)
}
