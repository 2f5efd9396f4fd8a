package server

import (
	"bytes"
	"context"

	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A memo is the entity of the authentication tests: anyone may create one,
// the hooks decide who may read.
type memo struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

var memos = form.Define("memos", form.String("text", func(m *memo) *string { return &m.Text }))

// memoEntity returns hooks for memos that each test sets.
func memoEntity() Hooks[memo] { return Hooks[memo]{} }

// logBuffer collects a Server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// memoEnv serves memos with opts and e's hooks on a real listener.
func memoEnv(t *testing.T, opts Options, e Hooks[memo]) (*testEnv, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	bus := &recordingBus{}
	opts.Bus = bus
	st := NewMemStore()
	s := New(st, opts)
	require.NoError(t, Register(s, memos, e))
	env := &testEnv{t: t, srv: s, store: st, bus: bus}
	env.http = newHTTP(t, s)
	return env, logs
}

// bearer authenticates a REST request (or a WebSocket upgrade) by its
// Authorization header: "Bearer <user>" names the principal.
func bearer(r *http.Request) (context.Context, error) {
	user, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || user == "" {
		return nil, ErrUnauthorized
	}
	return WithPrincipal(r.Context(), user), nil
}

// dialAs opens a WebSocket with extra upgrade headers and says hello.
func dialAs(t *testing.T, env *testEnv, hdr http.Header, clientID string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.http.URL, "http")+"/api/ws", &websocket.DialOptions{HTTPHeader: hdr, Subprotocols: []string{wire.Subprotocol}})
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	writeMsg(t, c, wire.Hello{V: 1, ClientID: clientID})
	return c
}

// Finding 5: with only Authenticate set, REST answered 401 while the
// WebSocket served full snapshots to anyone.
func TestAuth_authenticateAloneAlsoGuardsTheStream(t *testing.T) {
	env, _ := memoEnv(t, Options{Authenticate: bearer}, memoEntity())
	env.mustCreate("memos", `{"id":"m1","text":"secret"}`, "Authorization", "Bearer alice")
	assert.Equal(t, http.StatusUnauthorized, env.do("GET", "/api/memos", nil).status)

	anon := dialAs(t, env, nil, client1)
	writeMsg(t, anon, wire.Sub{Topic: "memos"})
	assert.Equal(t, websocket.StatusCode(wire.CloseUnauthorized), closeStatus(t, anon), "closed before any data")

	alice := dialAs(t, env, http.Header{"Authorization": {"Bearer alice"}}, client2)
	assert.IsType(t, wire.Welcome{}, readMsg(t, alice))
	writeMsg(t, alice, wire.Sub{Topic: "memos"})
	assert.Equal(t, []string{"m1"}, itemIDs([]wire.ServerMessage{readMsg(t, alice)}))
}

// Finding 5, the other half: AuthenticateWS alone would leave REST open.
func TestAuth_authenticateWSAloneIsRefusedAtStart(t *testing.T) {
	logs := &logBuffer{}
	st := NewMemStore()
	s := New(st, Options{Logger: slog.New(slog.NewTextHandler(logs, nil)),
		AuthenticateWS: func(*http.Request, wire.Hello) (context.Context, error) { return nil, ErrUnauthorized }})
	err := Register(s, memos, memoEntity())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Authenticate")
	hs := newHTTP(t, s)
	for _, path := range []string{"/api/memos", "/api/ws"} {
		res, err := hs.Client().Get(hs.URL + path)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusInternalServerError, res.StatusCode, "every request is refused: %s", path)
	}
}

// Finding 5: with only Authorize set, REST answered 403 and the stream
// served the same data.
func TestAuth_authorizeAloneAlsoDecidesSubscriptions(t *testing.T) {
	e := memoEntity()
	e.Authorize = func(ctx context.Context, r Request) error {
		if Principal(ctx) == "mallory" && (r.Op == OpList || r.Op == OpGet) {
			return ErrForbidden
		}
		return nil
	}
	env, _ := memoEnv(t, Options{Authenticate: bearer}, e)
	env.mustCreate("memos", `{"id":"m1","text":"secret"}`, "Authorization", "Bearer alice")
	assert.Equal(t, http.StatusForbidden, env.do("GET", "/api/memos", nil, "Authorization", "Bearer mallory").status)

	c := dialAs(t, env, http.Header{"Authorization": {"Bearer mallory"}}, client1)
	assert.IsType(t, wire.Welcome{}, readMsg(t, c))
	writeMsg(t, c, wire.Sub{Topic: "memos"})
	assert.Equal(t, wire.ErrorMessage{Code: wire.CodeForbidden, Message: "forbidden", Topic: "memos"}, readMsg(t, c))
}

// Finding 5, the other half: AuthorizeTopic alone left REST reads open.
func TestAuth_authorizeTopicAloneAlsoDecidesRESTReads(t *testing.T) {
	e := memoEntity()
	e.AuthorizeTopic = func(ctx context.Context, topic string) error {
		if Principal(ctx) == "mallory" {
			return ErrForbidden
		}
		return nil
	}
	env, _ := memoEnv(t, Options{Authenticate: bearer}, e)
	env.mustCreate("memos", `{"id":"m1","text":"secret"}`, "Authorization", "Bearer alice")
	for _, path := range []string{"/api/memos", "/api/memos/m1"} {
		r := env.do("GET", path, nil, "Authorization", "Bearer mallory")
		assert.Equal(t, http.StatusForbidden, r.status, path)
		assert.NotContains(t, string(r.body), "secret")
	}
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/memos/m1", nil, "Authorization", "Bearer alice").status)
}

// Finding 5: a 409 carried the full current entity, so a caller allowed to
// create but not to read could read any entity by creating its id.
func TestConflict_currentOnlyForCallersWhoMayReadIt(t *testing.T) {
	e := memoEntity()
	e.Authorize = func(ctx context.Context, r Request) error {
		if Principal(ctx) == "dropbox" && r.Op != OpCreate && r.Op != OpUpdate {
			return ErrForbidden // may write, may not read
		}
		return nil
	}
	env, _ := memoEnv(t, Options{Authenticate: bearer}, e)
	env.mustCreate("memos", `{"id":"m1","text":"secret"}`, "Authorization", "Bearer alice")

	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
	}{
		{"create on a live id", "POST", "/api/memos", `{"id":"m1","text":"guess"}`, nil},
		{"update with a stale If-Match", "PATCH", "/api/memos/m1", `{"text":"x"}`, []string{"If-Match", `"99"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.do(tc.method, tc.path, tc.body, append(tc.hdr, "Authorization", "Bearer dropbox")...)
			require.Equal(t, http.StatusConflict, r.status, string(r.body))
			assert.Nil(t, r.errBody(t).Error.Current)
			assert.NotContains(t, string(r.body), "secret")

			r = env.do(tc.method, tc.path, tc.body, append(tc.hdr, "Authorization", "Bearer alice")...)
			require.Equal(t, http.StatusConflict, r.status)
			require.NotNil(t, r.errBody(t).Error.Current, "a reader still gets current")
			assert.Contains(t, string(r.errBody(t).Error.Current.Data), "secret")
		})
	}
}

// Finding 7: hook error text reached clients (an Authenticate error became
// the 401 message; an AuthorizeTopic error — a permission service that is
// down, with its address — was sent as forbidden).
func TestAuth_hookErrorTextIsLoggedNeverSent(t *testing.T) {
	const secret = "10.9.8.7:5432"
	e := memoEntity()
	e.Authorize = func(ctx context.Context, r Request) error {
		if Principal(ctx) == "bob" {
			return fmt.Errorf("role service at %s says no: %w", secret, ErrForbidden)
		}
		return nil
	}
	e.AuthorizeTopic = func(ctx context.Context, topic string) error {
		switch Principal(ctx) {
		case "bob":
			return fmt.Errorf("role service at %s says no: %w", secret, ErrForbidden)
		case "carol":
			return fmt.Errorf("permission service at %s unreachable", secret)
		}
		return nil
	}
	env, logs := memoEnv(t, Options{Authenticate: func(r *http.Request) (context.Context, error) {
		if r.Header.Get("Authorization") == "" {
			return nil, fmt.Errorf("token store at %s: connection refused", secret)
		}
		return bearer(r)
	}}, e)

	r := env.do("GET", "/api/memos", nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "unauthorized", r.errBody(t).Error.Message)
	r = env.do("GET", "/api/memos", nil, "Authorization", "Bearer bob")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "forbidden", r.errBody(t).Error.Message)

	bob := dialAs(t, env, http.Header{"Authorization": {"Bearer bob"}}, client1)
	readMsg(t, bob)
	writeMsg(t, bob, wire.Sub{Topic: "memos"})
	assert.Equal(t, wire.ErrorMessage{Code: wire.CodeForbidden, Message: "forbidden", Topic: "memos"}, readMsg(t, bob))

	carol := dialAs(t, env, http.Header{"Authorization": {"Bearer carol"}}, client2)
	readMsg(t, carol)
	writeMsg(t, carol, wire.Sub{Topic: "memos"})
	m := readMsg(t, carol).(wire.ErrorMessage)
	assert.Equal(t, wire.CodeUnavailable, m.Code, "a failed check is not a refusal")
	assert.NotContains(t, m.Message, secret)

	anon := dialAs(t, env, nil, client1)
	assert.Equal(t, websocket.StatusCode(wire.CloseUnauthorized), closeStatus(t, anon))

	assert.Equal(t, 4, strings.Count(logs.String(), secret), "each cause is logged:\n%s", logs.String())
}
