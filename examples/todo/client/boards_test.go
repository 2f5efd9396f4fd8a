//go:build !js

package client_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/examples/todo/client"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startDemo serves the signed-in demo for ada, bob and cy on loopback, as
// cmd/server -demo-users does, and returns its URL and a stop func.
func startDemo() (string, func()) {
	d, err := backend.NewDemo([]string{"ada", "bob", "cy"})
	if err != nil {
		panic(err)
	}
	s := server.New(server.NewMemStore(), server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Authenticate: d.Authenticate, AuthenticateWS: d.AuthenticateWS, Quotas: server.Unlimited()})
	if err := d.RegisterBoards(s); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", s.Handler())
	mux.Handle("/api/session", d.Sessions())
	hs := httptest.NewServer(mux)
	return hs.URL, func() {
		hs.Close()
		_ = s.Shutdown(context.Background())
	}
}

// A tab is one signed-in browser tab: its graph on its own goroutine, its
// store, its realtime client and its Boards, as an app wires them.
type tab struct {
	loop   *state.Loop
	stop   func()
	g      *state.Graph
	rt     *sync.Client
	boards *client.Boards
}

// signIn opens a tab signed in as name.
func signIn(url, name string) (*tab, error) {
	sess, err := client.SignIn(context.Background(), cache.DefaultTransport(), url+"/api", name)
	if err != nil {
		return nil, err
	}
	t := &tab{loop: &state.Loop{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { t.loop.Run(ctx); close(done) }()
	t.g = state.NewGraph(state.WithScheduler(t.loop.Dispatch))
	var s *store.Store
	t.do(func() {
		if s, err = store.New(store.Options{Graph: t.g, BaseURL: url + "/api", Header: client.AuthHeader(sess.Token)}); err != nil {
			return
		}
		if t.boards, err = client.NewBoards(s, sess.Name); err != nil {
			return
		}
		t.rt, err = sync.New(sync.Options{Store: s, URL: "ws" + strings.TrimPrefix(url, "http") + "/api/ws",
			Token: func() string { return sess.Token }})
		if err == nil {
			t.rt.Start()
		}
	})
	t.stop = func() {
		t.do(func() {
			if t.rt != nil {
				t.rt.Stop()
			}
			if t.boards != nil {
				t.boards.Close()
			}
			if s != nil {
				s.Close()
			}
		})
		cancel()
		<-done
	}
	if err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}

// do runs fn on the tab's graph goroutine and waits for it.
func (t *tab) do(fn func()) {
	done := make(chan struct{})
	t.loop.Dispatch(func() { defer close(done); fn() })
	<-done
}

// until waits until cond, a tracked read of the tab's state, holds: an
// effect watches it, so nothing polls or sleeps. false after 10 s.
func (t *tab) until(cond func() bool) bool {
	met := make(chan struct{})
	var e *state.Effect
	t.do(func() {
		fired := false
		e = t.g.Effect(func() {
			if !fired && cond() {
				fired = true
				close(met)
			}
		})
	})
	defer t.do(e.Dispose)
	select {
	case <-met:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}

// names returns the names of the boards the tab sees (tracked).
func (t *tab) names() []string {
	var out []string
	for _, l := range t.boards.Visible().Items() {
		out = append(out, l.Name)
	}
	return out
}

// wait waits for p to settle, off the graph's goroutine.
func wait(p *store.Pending) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Wait(ctx)
}

// Example: ada makes a board and shares it with bob, who sees it and its
// todos live; then she revokes it, and it leaves bob's screen.
func ExampleBoards() {
	url, stop := startDemo()
	defer stop()
	ada, _ := signIn(url, "ada")
	defer ada.stop()
	bob, _ := signIn(url, "bob")
	defer bob.stop()

	var p *store.Pending
	ada.do(func() { p = ada.boards.Create("Groceries") })
	_ = wait(p)
	var board string
	ada.do(func() { board = ada.boards.Visible().IDs()[0] })
	ada.do(func() { p = ada.boards.Share(board, "bob") })
	_ = wait(p)

	bob.until(func() bool { return len(bob.names()) == 1 })
	bob.do(func() { fmt.Println("bob sees:", bob.names(), "as", bob.boards.Role(board)) })
	var closeBoard func()
	bob.do(func() { closeBoard, _ = bob.boards.Open(board) })
	defer bob.do(closeBoard)
	bob.until(func() bool { return bob.boards.Status(board).Status == store.PartitionLive })

	ada.do(func() { p = ada.boards.Todos.Create.Run(model.Todo{ListID: board, Title: "milk"}) })
	_ = wait(p)
	bob.until(func() bool { return bob.boards.Todos.Len() == 1 })
	fmt.Println("bob sees a todo")

	var closeAda func()
	ada.do(func() { closeAda, _ = ada.boards.Open(board) })
	defer ada.do(closeAda)
	ada.until(func() bool { return len(ada.boards.SharedWith(board)) == 1 })
	ada.do(func() { p = ada.boards.Revoke(board, "bob") })
	_ = wait(p)
	bob.until(func() bool { return bob.boards.Status(board).Status == store.PartitionRevoked && len(bob.names()) == 0 })
	bob.do(func() {
		fmt.Println("bob's board:", bob.boards.Status(board).Status, "; todos:", bob.boards.Todos.Len(), "; boards:", bob.names())
	})
	// Output:
	// bob sees: [Groceries] as member
	// bob sees a todo
	// bob's board: revoked ; todos: 0 ; boards: []
}

func TestBoards_eachUserSeesItsOwnBoardsAndThoseSharedWithIt(t *testing.T) {
	url, stop := startDemo()
	defer stop()
	tabs := map[string]*tab{}
	for _, name := range []string{"ada", "bob", "cy"} {
		tb, err := signIn(url, name)
		require.NoError(t, err)
		defer tb.stop()
		tabs[name] = tb
	}
	ada, bob, cy := tabs["ada"], tabs["bob"], tabs["cy"]
	var ps []*store.Pending
	ada.do(func() { ps = append(ps, ada.boards.Create("Groceries"), ada.boards.Create("Work")) })
	bob.do(func() { ps = append(ps, bob.boards.Create("Garden")) })
	var seen []string
	ada.do(func() { seen = ada.names() })
	assert.Equal(t, []string{"Groceries", "Work"}, seen, "at once, before the server answers")
	for _, p := range ps {
		require.NoError(t, wait(p))
	}
	var groceries string
	ada.do(func() { groceries = ada.boards.Visible().IDs()[0] })
	var share *store.Pending
	ada.do(func() { share = ada.boards.Share(groceries, "bob") })
	require.NoError(t, wait(share))

	require.True(t, bob.until(func() bool { return len(bob.names()) == 2 }))
	bob.do(func() {
		assert.Equal(t, []string{"Garden", "Groceries"}, bob.names())
		assert.Equal(t, model.RoleMember, bob.boards.Role(groceries))
	})
	require.True(t, cy.until(func() bool { return cy.rt.State() == sync.Live }))
	cy.do(func() { assert.Empty(t, cy.names(), "cy sees nothing of the others'") })

	// bob may not share ada's board; the demo refuses strangers.
	var err error
	bob.do(func() { ps[0] = bob.boards.Share(groceries, "cy") })
	err = wait(ps[0])
	var me *store.MutationError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, http.StatusForbidden, me.Status)
	ada.do(func() { ps[0] = ada.boards.Share(groceries, "mallory") })
	require.ErrorAs(t, wait(ps[0]), &me)
	assert.Equal(t, "is not a user of this demo", me.Fields()["user"])

	_, err = client.SignIn(context.Background(), cache.DefaultTransport(), url+"/api", "mallory")
	assert.ErrorIs(t, err, client.ErrSignIn)
}

func TestBoards_aRevokedBoardLeavesTheUserLiveAndALeftOneToo(t *testing.T) {
	url, stop := startDemo()
	defer stop()
	ada, err := signIn(url, "ada")
	require.NoError(t, err)
	defer ada.stop()
	bob, err := signIn(url, "bob")
	require.NoError(t, err)
	defer bob.stop()

	var p *store.Pending
	ada.do(func() { p = ada.boards.Create("Groceries") })
	require.NoError(t, wait(p))
	var board string
	ada.do(func() { board = ada.boards.Visible().IDs()[0] })
	ada.do(func() { p = ada.boards.Share(board, "bob") })
	require.NoError(t, wait(p))
	var closeBob func()
	require.True(t, bob.until(func() bool { return len(bob.names()) == 1 }))
	bob.do(func() { closeBob, err = bob.boards.Open(board) })
	require.NoError(t, err)
	ada.do(func() { p = ada.boards.Todos.Create.Run(model.Todo{ListID: board, Title: "milk"}) })
	require.NoError(t, wait(p))
	require.True(t, bob.until(func() bool { return bob.boards.Todos.Len() == 1 }))

	// bob leaves; ada sees it go from her board's shares.
	var closeAda func()
	ada.do(func() { closeAda, err = ada.boards.Open(board) })
	require.NoError(t, err)
	require.True(t, ada.until(func() bool { return len(ada.boards.SharedWith(board)) == 1 }))
	require.True(t, bob.until(func() bool { return len(bob.boards.SharedWith(board)) == 1 }), "the board's shares loaded")
	bob.do(func() { p = bob.boards.Leave(board) })
	require.NoError(t, wait(p))
	require.True(t, bob.until(func() bool {
		return bob.boards.Status(board).Status == store.PartitionRevoked && bob.boards.Todos.Len() == 0 && len(bob.names()) == 0
	}))
	require.True(t, ada.until(func() bool { return len(ada.boards.SharedWith(board)) == 0 }))
	bob.do(closeBob)
	bob.do(func() { assert.Equal(t, store.PartitionClosed, bob.boards.Status(board).Status) })
	ada.do(closeAda)

	// Revoking what is not shared fails at once.
	ada.do(func() { p = ada.boards.Revoke(board, "cy") })
	assert.ErrorIs(t, wait(p), store.ErrNotVisible)
}
