//go:build !js

// go-app's test engine needs a DOM, and Node (make test-wasm) has none:
// these tests run natively; the browser tests of cmd/server run the board
// as WebAssembly.

package board

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/wire"
)

// emptyServer answers every listing with an empty page; the WebSocket
// cannot be reached. The tests fill the collections themselves.
type emptyServer struct{}

func (emptyServer) RoundTrip(ctx context.Context, r *cache.Request) (*cache.Response, error) {
	return &cache.Response{Status: 200, Body: []byte(`{"items":[],"epoch":"e1","seq":0}`)}, nil
}

func newTestApp(t *testing.T) *App {
	t.Helper()
	a, err := New(Config{API: "/api", WebSocket: "ws://test/api/ws", Transport: emptyServer{},
		Dial: func(ctx context.Context, url string) (sync.Conn, error) {
			return nil, errors.New("no server in this test")
		}})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return a
}

func item(id string, v any) wire.Item {
	b, _ := json.Marshal(v)
	return wire.Item{ID: id, Version: 1, Data: b}
}

type blank struct{ app.Compo }

func (blank) Render() app.UI { return app.Div() }

// Issue 13: nothing leaks after navigating away and back — the views,
// forms and effects of a list are released when another list opens.
func TestBoard_switchingListsAndLeavingLeaksNothing(t *testing.T) {
	a := newTestApp(t)
	a.Lists.ApplyItems(item("l1", model.List{ID: "l1", Name: "Groceries", Position: 1}), item("l2", model.List{ID: "l2", Name: "Hardware", Position: 2}))
	for i := range 20 {
		l := "l1"
		if i%2 == 1 {
			l = "l2"
		}
		a.Todos.ApplyItems(item(fmt.Sprint("t", i), model.Todo{ID: fmt.Sprint("t", i), ListID: l, Title: fmt.Sprint("todo ", i), Position: float64(i)}))
	}
	g := a.RT.Graph()
	live := func() [3]int { s := g.Stats(); return [3]int{s.Effects, s.Watched, a.Todos.Views() + a.Lists.Views()} }
	before := live()
	e := app.NewTestEngine()
	require.NoError(t, e.Load(&Board{App: a}))
	e.ConsumeAll()
	require.Equal(t, "l1", a.open.Peek())
	mounted := live()
	assert.Greater(t, mounted[0], before[0], "the board's views are effects")
	assert.Greater(t, mounted[2], before[2], "and the lists' store views")

	for range 10 {
		a.open.Set("l2")
		e.ConsumeAll()
		a.open.Set("l1")
		e.ConsumeAll()
	}
	assert.Equal(t, mounted, live(), "every list's views released when another opens")

	require.NoError(t, e.Load(&blank{}))
	e.ConsumeAll()
	assert.Equal(t, before, live(), "leaving the board releases all of it")
	require.NoError(t, e.Load(&Board{App: a}))
	e.ConsumeAll()
	assert.Equal(t, mounted, live(), "and coming back builds the same again")
}
