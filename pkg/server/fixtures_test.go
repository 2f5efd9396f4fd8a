package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// The test entities mirror the demo: lists and todos.

type tList struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Position  float64   `json:"position"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type tTodo struct {
	ID        string    `json:"id"`
	ListID    string    `json:"listId"`
	Title     string    `json:"title"`
	Done      bool      `json:"done"`
	Position  float64   `json:"position"`
	UpdatedAt time.Time `json:"updatedAt"`
}

var (
	listFields = []form.Part[tList]{
		form.String("name", func(l *tList) *string { return &l.Name }).Required().Length(1, 100),
		form.Float("position", func(l *tList) *float64 { return &l.Position }),
	}
	todoTitle = form.String("title", func(t *tTodo) *string { return &t.Title }).Required().Length(1, 200)
	todoDone  = form.Bool("done", func(t *tTodo) *bool { return &t.Done })
	todoPos   = form.Float("position", func(t *tTodo) *float64 { return &t.Position })
	todoList  = form.String("listId", func(t *tTodo) *string { return &t.ListID }).Required()
)

// The demo's declarations: a todo's list must exist, deleting a list
// deletes its todos, a title is unique within its list, and the server
// stamps updatedAt.
var (
	tLists = form.Define("lists", listFields...).Stamp("updatedAt")
	tTodos = form.Define("todos", todoList, todoTitle, todoDone, todoPos).
		Ref("listId", tLists, form.Cascade).
		Unique("title", form.Within("listId"), form.Folded, form.Says("is already used in this list")).
		Stamp("updatedAt")
)

func registerDemo(t testing.TB, s *Server, authorize func(ctx context.Context, r Request) error) {
	t.Helper()
	require.NoError(t, Register(s, tLists, Hooks[tList]{Authorize: authorize}))
	require.NoError(t, Register(s, tTodos, Hooks[tTodo]{
		Authorize: authorize,
		AuthorizeTopic: func(ctx context.Context, topic string) error {
			if ctx.Value(ctxKey{}) == "no-todos" {
				return ErrForbidden
			}
			return nil
		},
	}))
}

type ctxKey struct{}

// testEnv is a Server on a real httptest server.
type testEnv struct {
	t     testing.TB
	srv   *Server
	store Store
	http  *httptest.Server
	bus   *recordingBus
}

// recordingBus is a LocalBus that also keeps every published event.
type recordingBus struct {
	LocalBus
	mu     sync.Mutex
	events []BusEvent
}

func (b *recordingBus) Publish(evs []BusEvent) {
	b.mu.Lock()
	b.events = append(b.events, evs...)
	b.mu.Unlock()
	b.LocalBus.Publish(evs)
}

func (b *recordingBus) all() []BusEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BusEvent(nil), b.events...)
}

func openSQLite(t testing.TB) *SQLite {
	t.Helper()
	st, err := OpenSQLite(filepath.Join(t.TempDir(), "test.db"), SQLiteOptions{Synchronous: "NORMAL"})
	require.NoError(t, err)
	return st
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t testing.TB, store Store, opts Options) *testEnv {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	bus := &recordingBus{}
	if opts.Bus == nil {
		opts.Bus = bus
	}
	s := New(store, opts)
	registerDemo(t, s, func(ctx context.Context, r Request) error {
		if ctx.Value(ctxKey{}) == "reader" && r.Op != OpList && r.Op != OpGet {
			return ErrForbidden
		}
		return nil
	})
	hs := httptest.NewServer(s.Handler())
	env := &testEnv{t: t, srv: s, store: store, http: hs, bus: bus}
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Shutdown(context.Background()))
		require.NoError(t, store.Close())
	})
	return env
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

func (r resp) errBody(t testing.TB) wire.ErrorResponse {
	t.Helper()
	e, err := wire.DecodeErrorResponse(r.body)
	require.NoError(t, err, string(r.body))
	return e
}

// do sends one request; hdr holds extra headers as name, value pairs.
func (e *testEnv) do(method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	require.NoError(e.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1] // net/http sends req.Host, never a Host header
			continue
		}
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := e.http.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

const client1 = "0123456789abcdef0123456789abcdef"
const client2 = "fedcba9876543210fedcba9876543210"

func mut(clientID string, id uint64) []string {
	return []string{wire.HeaderClientID, clientID, wire.HeaderMutationID, strconv.FormatUint(id, 10)}
}

// mustCreate creates a list (or todo) and returns its response.
func (e *testEnv) mustCreate(coll string, body any, hdr ...string) wire.MutationResponse {
	e.t.Helper()
	r := e.do("POST", "/api/"+coll, body, hdr...)
	require.Equal(e.t, http.StatusCreated, r.status, string(r.body))
	mr, err := wire.DecodeMutationResponse(r.body)
	require.NoError(e.t, err)
	return mr
}

func newHTTP(t testing.TB, s *Server) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Shutdown(context.Background()))
	})
	return hs
}
