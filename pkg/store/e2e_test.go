//go:build !js

package store_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
)

// End to end: the real pkg/server (SQLite) on loopback, the real store over
// net/http, and the graph on its own goroutine, driven the documented way.

type e2e struct {
	t     *testing.T
	url   string
	loop  *state.Loop
	g     *state.Graph
	s     *store.Store
	lists *store.Collection[model.List]
	todos *store.Collection[model.Todo]
}

func startServer(t *testing.T) string {
	t.Helper()
	st, err := server.OpenSQLite(filepath.Join(t.TempDir(), "e2e.db"), server.SQLiteOptions{Synchronous: "NORMAL"})
	require.NoError(t, err)
	srv := server.New(st, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, backend.Register(srv))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, srv.Shutdown(context.Background()))
		require.NoError(t, st.Close())
	})
	return hs.URL
}

func newClient(t *testing.T, url string, opts store.Options) *e2e {
	t.Helper()
	e := &e2e{t: t, url: url, loop: &state.Loop{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.loop.Run(ctx); close(done) }()
	e.g = state.NewGraph(state.WithScheduler(e.loop.Dispatch))
	opts.Graph, opts.BaseURL = e.g, url+"/api"
	e.do(func() {
		var err error
		e.s, err = store.New(opts)
		require.NoError(t, err)
		e.lists, err = store.Collect(e.s, model.Lists)
		require.NoError(t, err)
		e.todos, err = store.Collect(e.s, model.Todos)
		require.NoError(t, err)
	})
	t.Cleanup(func() {
		e.do(e.s.Close)
		cancel()
		<-done
	})
	return e
}

// do runs fn on the graph's goroutine and waits for it.
func (e *e2e) do(fn func()) {
	done := make(chan struct{})
	e.loop.Dispatch(func() { defer close(done); fn() })
	<-done
}

// run starts a mutation on the graph's goroutine and waits for it to settle.
func run[F any](e *e2e, m *store.Mutation[F], in F) (*store.Pending, error) {
	var p *store.Pending
	e.do(func() { p = m.Run(in) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p, p.Wait(ctx)
}

func todoMutations(c *store.Collection[model.Todo]) (create, rename *store.Mutation[model.Todo]) {
	return c.Creates(), c.Updates(model.RenameTodo)
}

func (e *e2e) createList(name string) string {
	id := store.NewID()
	m := e.lists.Creates()
	var p *store.Pending
	e.do(func() { p = m.Run(model.List{ID: id, Name: name}) })
	require.NoError(e.t, p.Wait(context.Background()))
	return id
}

func TestE2E_createConfirmRejectOverLoopback(t *testing.T) {
	url := startServer(t)
	e := newClient(t, url, store.Options{})
	list := e.createList("groceries")
	create, rename := todoMutations(e.todos)

	// B1, B2: visible at once, then the server's object with its server-set
	// fields and version.
	id := store.NewID()
	var seenBeforeAnswer bool
	var p *store.Pending
	e.do(func() {
		p = create.Run(model.Todo{ID: id, ListID: list, Title: "milk", Position: 1})
		_, seenBeforeAnswer = e.todos.Get(id)
	})
	require.True(t, seenBeforeAnswer, "visible in the same tick")
	require.NoError(t, p.Wait(context.Background()))
	e.do(func() {
		v, ok := e.todos.Get(id)
		require.True(t, ok)
		assert.Equal(t, "milk", v.Title)
		assert.False(t, v.UpdatedAt.IsZero(), "updatedAt set by the server")
		_, version, _ := e.todos.Confirmed(id)
		assert.NotZero(t, version)
		assert.False(t, e.todos.IsPending(id))
	})

	// B8 with a rule only the server checks: a title unique within its list.
	other := store.NewID()
	_, err := run(e, create, model.Todo{ID: other, ListID: list, Title: "Milk", Position: 2})
	var me *store.MutationError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, 422, me.Status)
	assert.Equal(t, "is already used in this list", me.Fields()["title"])
	e.do(func() {
		_, ok := e.todos.Get(other)
		assert.False(t, ok, "rolled back by itself")
	})

	// B9: two renames, the first refused by the server, the second accepted.
	second := store.NewID()
	_, err = run(e, create, model.Todo{ID: second, ListID: list, Title: "eggs", Position: 3})
	require.NoError(t, err)
	var p1, p2 *store.Pending
	e.do(func() {
		p1 = rename.Run(model.Todo{ID: second, Title: "milk"}) // taken
		p2 = rename.Run(model.Todo{ID: second, Title: "brown eggs"})
	})
	assert.Error(t, p1.Wait(context.Background()))
	require.NoError(t, p2.Wait(context.Background()))
	e.do(func() {
		v, _ := e.todos.Get(second)
		assert.Equal(t, "brown eggs", v.Title)
		assert.Equal(t, 0, e.s.PendingCount())
	})

	// Load shows the same state from a snapshot.
	fresh := newClient(t, url, store.Options{})
	cc := cache.NewClient(cache.ClientOptions{})
	defer cc.Close()
	var status *store.Query[store.Snapshot]
	var stop func()
	fresh.do(func() { status, stop = fresh.todos.Load(cc) })
	defer fresh.do(stop)
	require.Eventually(t, func() bool {
		n := -1
		fresh.do(func() { n = fresh.todos.Len() })
		return n == 2
	}, 10*time.Second, 10*time.Millisecond)
	fresh.do(func() {
		v, _ := fresh.todos.Get(second)
		assert.Equal(t, "brown eggs", v.Title)
		assert.Equal(t, cache.StatusSuccess, status.Result().Status)
	})
}

// lossyTransport loses the answer to the first request it sees after arm:
// the server applies the mutation, the client sees a network error.
type lossyTransport struct {
	cache.Transport
	armed atomic.Bool
}

func (l *lossyTransport) RoundTrip(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	resp, err := l.Transport.RoundTrip(ctx, req)
	if err == nil && req.Method != "GET" && l.armed.CompareAndSwap(true, false) {
		return nil, errors.New("connection reset after the server answered")
	}
	return resp, err
}

func TestE2E_B10_lostAnswerIsRetriedAndDeduplicated(t *testing.T) {
	url := startServer(t)
	lossy := &lossyTransport{Transport: cache.DefaultTransport()}
	e := newClient(t, url, store.Options{Transport: lossy, RetryBase: time.Millisecond, RetryCap: 5 * time.Millisecond})
	list := e.createList("l")
	create, _ := todoMutations(e.todos)
	lossy.armed.Store(true)
	id := store.NewID()
	_, err := run(e, create, model.Todo{ID: id, ListID: list, Title: "once"})
	require.NoError(t, err, "the retry got the stored answer")
	require.False(t, lossy.armed.Load(), "an answer was lost")

	fresh := newClient(t, url, store.Options{})
	cc := cache.NewClient(cache.ClientOptions{})
	defer cc.Close()
	var stop func()
	fresh.do(func() { _, stop = fresh.todos.Load(cc) })
	defer fresh.do(stop)
	require.Eventually(t, func() bool {
		n := 0
		fresh.do(func() { n = fresh.todos.Len() })
		return n == 1
	}, 10*time.Second, 10*time.Millisecond, "applied once")
	fresh.do(func() {
		_, version, _ := fresh.todos.Confirmed(id)
		_, mine, _ := e.todos.Confirmed(id)
		assert.Equal(t, version, mine, "the stored answer is the original one")
	})
}

func TestE2E_pendingMutationsResentAfterReload(t *testing.T) {
	url := startServer(t)
	storage := &cache.MemoryStorage{}
	down := &downTransport{Transport: cache.DefaultTransport()}
	down.down.Store(true)
	first := newClient(t, url, store.Options{Transport: down, Storage: storage})
	down.down.Store(false)
	list := first.createList("l")
	create, rename := todoMutations(first.todos)
	id := store.NewID()
	_, err := run(first, create, model.Todo{ID: id, ListID: list, Title: "a"})
	require.NoError(t, err)
	down.down.Store(true) // offline: the rename waits
	first.do(func() { rename.Run(model.Todo{ID: id, Title: "b"}) })
	first.do(first.s.Close) // the tab reloads

	second := newClient(t, url, store.Options{Storage: storage})
	second.do(func() {
		assert.NotEqual(t, first.s.ClientID(), second.s.ClientID(), "new mutations get a new clientID")
		assert.Equal(t, 1, second.s.PendingCount(), "the old one's rename is resent under its own")
	})
	require.Eventually(t, func() bool {
		n := -1
		second.do(func() { n = second.s.PendingCount() })
		return n == 0
	}, 10*time.Second, 10*time.Millisecond, "resent after the reload")
	second.do(func() {
		v, ok := second.todos.Get(id)
		require.True(t, ok)
		assert.Equal(t, "b", v.Title)
	})
}

// downTransport fails every request while down.
type downTransport struct {
	cache.Transport
	down atomic.Bool
}

func (d *downTransport) RoundTrip(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	if d.down.Load() {
		return nil, errors.New("offline")
	}
	return d.Transport.RoundTrip(ctx, req)
}
