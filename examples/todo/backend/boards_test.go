package backend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/wire"
)

// demoServer serves the signed-in demo for ada, bob and cy on loopback.
func demoServer(t *testing.T) string {
	t.Helper()
	d, err := backend.NewDemo([]string{"ada", "bob", "cy"})
	require.NoError(t, err)
	s := server.New(server.NewMemStore(), server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Authenticate: d.Authenticate, AuthenticateWS: d.AuthenticateWS, Quotas: server.Unlimited()})
	require.NoError(t, d.RegisterBoards(s))
	mux := http.NewServeMux()
	mux.Handle("/api/", s.Handler())
	mux.Handle("/api/session", d.Sessions())
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Shutdown(context.Background()))
	})
	return hs.URL
}

// call sends a request as user ("" for nobody) and returns the status and
// body.
func call(t *testing.T, url, user, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url+path, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+user)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, b
}

func TestDemo_signInIsANameAndEveryRequestNeedsOne(t *testing.T) {
	url := demoServer(t)
	status, body := call(t, url, "", "GET", "/api/session", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"users":["ada","bob","cy"],"name":""}`, string(body))

	status, body = call(t, url, "", "POST", "/api/session", map[string]string{"name": "ada"})
	require.Equal(t, http.StatusOK, status, string(body))
	assert.JSONEq(t, `{"users":["ada","bob","cy"],"name":"ada","token":"ada"}`, string(body))
	status, body = call(t, url, "", "POST", "/api/session", map[string]string{"name": "mallory"})
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Contains(t, string(body), `"name":"is not a user of this demo"`)

	status, _ = call(t, url, "", "GET", "/api/lists?partition=x", nil)
	assert.Equal(t, http.StatusUnauthorized, status, "no user, no data")
	status, _ = call(t, url, "mallory", "GET", "/api/lists?partition=x", nil)
	assert.Equal(t, http.StatusUnauthorized, status)

	// A browser carries the cookie the sign-in set.
	req, err := http.NewRequest("GET", url+"/api/session", nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: backend.SessionCookie, Value: "bob"})
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.JSONEq(t, `{"users":["ada","bob","cy"],"name":"bob"}`, string(b))
}

func TestDemo_aBoardIsItsOwnersAndThoseItIsSharedWith(t *testing.T) {
	url := demoServer(t)
	status, body := call(t, url, "ada", "POST", "/api/lists", map[string]any{"id": "b1", "name": "Groceries"})
	require.Equal(t, http.StatusCreated, status, string(body))
	mr, err := wire.DecodeMutationResponse(body)
	require.NoError(t, err)
	var l model.List
	require.NoError(t, json.Unmarshal(mr.Data, &l))
	assert.Equal(t, "ada", l.Owner, "set by the server")

	status, _ = call(t, url, "bob", "GET", "/api/lists/b1", nil)
	assert.Equal(t, http.StatusForbidden, status, "not shared yet")
	status, _ = call(t, url, "bob", "POST", "/api/todos", map[string]any{"id": "t1", "listId": "b1", "title": "milk"})
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = call(t, url, "bob", "POST", "/api/shares", map[string]any{"id": "s0", "listId": "b1", "user": "bob"})
	assert.Equal(t, http.StatusForbidden, status, "only the owner shares")

	for _, tc := range []struct{ user, want string }{{"mallory", "is not a user of this demo"}, {"ada", "owns this board"}} {
		status, body = call(t, url, "ada", "POST", "/api/shares", map[string]any{"id": "x-" + tc.user, "listId": "b1", "user": tc.user})
		assert.Equal(t, http.StatusUnprocessableEntity, status)
		assert.Contains(t, string(body), tc.want)
	}
	status, body = call(t, url, "ada", "POST", "/api/shares", map[string]any{"id": "s1", "listId": "b1", "user": "bob"})
	require.Equal(t, http.StatusCreated, status, string(body))
	status, body = call(t, url, "ada", "POST", "/api/shares", map[string]any{"id": "s2", "listId": "b1", "user": "bob"})
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Contains(t, string(body), "already has access to this board")

	status, body = call(t, url, "bob", "POST", "/api/todos", map[string]any{"id": "t1", "listId": "b1", "title": "milk"})
	assert.Equal(t, http.StatusCreated, status, "shared: bob writes: "+string(body))
	status, _ = call(t, url, "bob", "DELETE", "/api/lists/b1", nil)
	assert.Equal(t, http.StatusForbidden, status, "only the owner deletes")

	// Accesses: each user's own, read-only.
	page := func(user, path string) []string {
		status, body := call(t, url, user, "GET", path, nil)
		require.Equal(t, http.StatusOK, status, string(body))
		p, err := wire.DecodeSnapshotPage(body)
		require.NoError(t, err)
		var out []string
		for _, it := range p.Items {
			var a model.Access
			require.NoError(t, json.Unmarshal(it.Data, &a))
			out = append(out, a.ListID+":"+a.Role)
		}
		return out
	}
	assert.Equal(t, []string{"b1:owner"}, page("ada", "/api/access?partition=ada"))
	assert.Equal(t, []string{"b1:member"}, page("bob", "/api/access?partition=bob"))
	status, _ = call(t, url, "bob", "GET", "/api/access?partition=ada", nil)
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = call(t, url, "bob", "POST", "/api/access", map[string]any{"id": "a9", "listId": "b1", "user": "bob", "role": "owner"})
	assert.Equal(t, http.StatusForbidden, status, "the server keeps accesses")

	// bob leaves: his access goes, and so does the board.
	status, _ = call(t, url, "bob", "DELETE", "/api/shares/s1", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, page("bob", "/api/access?partition=bob"))
	status, _ = call(t, url, "bob", "GET", "/api/todos?partition=b1", nil)
	assert.Equal(t, http.StatusForbidden, status)
}

func TestDemo_revokingEndsTheUsersSubscriptionsToTheBoard(t *testing.T) {
	url := demoServer(t)
	status, _ := call(t, url, "ada", "POST", "/api/lists", map[string]any{"id": "b1", "name": "Groceries"})
	require.Equal(t, http.StatusCreated, status)
	status, _ = call(t, url, "ada", "POST", "/api/shares", map[string]any{"id": "s1", "listId": "b1", "user": "bob"})
	require.Equal(t, http.StatusCreated, status)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	require.NoError(t, err)
	defer c.CloseNow()
	send := func(m wire.ClientMessage) {
		b, err := wire.EncodeClientMessage(m)
		require.NoError(t, err)
		require.NoError(t, c.Write(ctx, websocket.MessageText, b))
	}
	next := func() wire.ServerMessage {
		for {
			_, b, err := c.Read(ctx)
			require.NoError(t, err)
			m, err := wire.DecodeServerMessage(b)
			require.NoError(t, err)
			if _, hb := m.(wire.HB); !hb {
				return m
			}
		}
	}
	send(wire.Hello{V: 1, ClientID: "0123456789abcdef0123456789abcdef", Token: "bob"})
	require.IsType(t, wire.Welcome{}, next())
	for _, topic := range []string{"bob/access", "b1/lists", "b1/todos"} {
		send(wire.Sub{Topic: topic})
		for {
			// The topic's own live: a topic subscribed to before may say
			// live again (checked anew after the share's commit).
			if l, live := next().(wire.Live); live && l.Topic == topic {
				break
			}
		}
	}
	status, _ = call(t, url, "ada", "DELETE", "/api/shares/s1", nil)
	require.Equal(t, http.StatusOK, status)
	got := map[string]string{}
	for len(got) < 3 {
		switch m := next().(type) {
		case wire.Event:
			assert.Equal(t, "bob/access", m.Topic, "his access goes")
			assert.Equal(t, wire.OpDelete, m.Op)
			got[m.Topic] = "delete"
		case wire.ErrorMessage:
			got[m.Topic] = m.Code
		}
	}
	assert.Equal(t, map[string]string{"bob/access": "delete", "b1/lists": wire.CodeRevoked, "b1/todos": wire.CodeRevoked}, got)
}
