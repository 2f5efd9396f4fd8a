//go:build !js

package projects_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/projects/backend"
	"github.com/tandemkit/tandem/examples/projects/client"
	"github.com/tandemkit/tandem/examples/projects/model"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
)

// The projects example end to end, over loopback: the entity declared once
// (model), its client (client) and server (backend) — optimistic creates and
// renames, a rule only the server knows rolled back, realtime between two
// clients.

type tab struct {
	t        *testing.T
	loop     *state.Loop
	projects *client.Projects
}

func open(t *testing.T, url string) *tab {
	t.Helper()
	tb := &tab{t: t, loop: &state.Loop{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { tb.loop.Run(ctx); close(done) }()
	g := state.NewGraph(state.WithScheduler(tb.loop.Dispatch))
	var rt *sync.Client
	var s *store.Store
	tb.do(func() {
		var err error
		s, err = store.New(store.Options{Graph: g, BaseURL: url + "/api"})
		require.NoError(t, err)
		tb.projects, err = client.NewProjects(s)
		require.NoError(t, err)
		rt, err = sync.New(sync.Options{Store: s, URL: "ws" + strings.TrimPrefix(url, "http") + "/api/ws"})
		require.NoError(t, err)
		rt.Start()
	})
	t.Cleanup(func() {
		tb.do(func() { rt.Stop(); s.Close() })
		cancel()
		<-done
	})
	return tb
}

// do runs fn on the tab's graph goroutine and waits for it.
func (tb *tab) do(fn func()) {
	done := make(chan struct{})
	tb.loop.Dispatch(func() { defer close(done); fn() })
	<-done
}

// names returns the project names the tab shows, by id.
func (tb *tab) names() map[string]string {
	out := map[string]string{}
	tb.do(func() {
		for _, p := range tb.projects.View().Items() {
			out[p.ID] = p.Name
		}
	})
	return out
}

// eventually polls the tab (real sockets: no clock to advance) for up to
// five seconds.
func (tb *tab) eventually(cond func(names map[string]string) bool, msg string) {
	tb.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond(tb.names()) {
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s: still %v", msg, tb.names())
		}
		time.Sleep(5 * time.Millisecond) // waits on real sockets
	}
}

func TestProjects_endToEnd(t *testing.T) {
	srv := server.New(server.NewMemStore(), server.Options{})
	require.NoError(t, backend.Register(srv))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, srv.Shutdown(context.Background()))
	})
	a, b := open(t, hs.URL), open(t, hs.URL)

	var created *store.Pending
	var shown bool
	a.do(func() {
		created = a.projects.Create.Run(model.Project{Name: "Apollo", Color: "blue"})
		_, shown = a.projects.Get(a.projects.View().IDs()[0])
	})
	assert.True(t, shown, "visible before the server answers")
	require.NoError(t, created.Wait(context.Background()))
	b.eventually(func(n map[string]string) bool { return len(n) == 1 }, "the other tab sees the create")

	var id string
	a.do(func() { id = a.projects.View().IDs()[0] })
	require.NoError(t, a.projects.Rename.Run(model.Project{ID: id, Name: "Apollo 2"}).Wait(context.Background()))
	b.eventually(func(n map[string]string) bool { return n[id] == "Apollo 2" }, "the other tab sees the rename")

	// A rule only the server knows: names are unique, case-folded.
	var dup *store.Pending
	b.do(func() { dup = b.projects.Create.Run(model.Project{Name: " apollo 2", Color: "red"}) })
	err := dup.Wait(context.Background())
	var me *store.MutationError
	require.True(t, errors.As(err, &me), "refused: %v", err)
	assert.Equal(t, map[string]string{"name": "is already used"}, me.Fields())
	assert.Equal(t, map[string]string{id: "Apollo 2"}, b.names(), "rolled back by itself")
	assert.Equal(t, map[string]string{id: "Apollo 2"}, a.names(), "never seen by the other tab")

	// The browser's own checks, before anything is sent.
	var bad *store.Pending
	a.do(func() { bad = a.projects.Create.Run(model.Project{Name: "x", Color: "pink"}) })
	assert.ErrorContains(t, bad.Err(), `color: must be one of: "gray", "red", "green", "blue"`)
}
