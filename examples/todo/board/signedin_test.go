//go:build !js

// Natively only, as board_test.go.

package board

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/client"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/wire"
)

// demoServer answers /api/session as a server would: 404 for the open
// demo, or the signed-in demo's users and who the cookie names; with down,
// nothing at all. Listings are empty pages; mutations wait for ever (the
// tests look at what shows before the server answers).
type demoServer struct {
	open   bool   // the open demo: no sessions
	down   bool   // every request fails
	cookie string // the user the session cookie names

	mu    gosync.Mutex
	calls []string // "METHOD /path", in order
}

func (s *demoServer) RoundTrip(ctx context.Context, r *cache.Request) (*cache.Response, error) {
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+r.URL)
	s.mu.Unlock()
	json := func(status int, body string) (*cache.Response, error) {
		return &cache.Response{Status: status, Header: map[string]string{"content-type": "application/json"}, Body: []byte(body)}, nil
	}
	switch {
	case s.down:
		return nil, errors.New("network down")
	case strings.HasSuffix(r.URL, "/session") && s.open:
		return json(404, `{"error":{"code":"not_found","message":"not found"}}`)
	case strings.HasSuffix(r.URL, "/session") && r.Method == "GET":
		return json(200, fmt.Sprintf(`{"users":["ada","bob"],"name":%q}`, s.cookie))
	case strings.HasSuffix(r.URL, "/session") && r.Method == "POST":
		name := strings.TrimSuffix(strings.TrimPrefix(string(r.Body), `{"name":"`), `"}`)
		if name != "ada" && name != "bob" {
			return json(422, `{"error":{"code":"invalid","message":"invalid input","fields":{"name":"is not a user of this demo"}}}`)
		}
		return json(200, fmt.Sprintf(`{"users":["ada","bob"],"name":%q,"token":%q}`, name, name))
	case strings.HasSuffix(r.URL, "/session") && r.Method == "DELETE":
		return &cache.Response{Status: 204}, nil
	case r.Method == "GET":
		return json(200, `{"items":[],"epoch":"e1","seq":0}`)
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *demoServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func testConfig(srv *demoServer, storage cache.Storage) Config {
	return Config{API: "/api", WebSocket: "ws://test/api/ws", Transport: srv, Storage: storage,
		Dial: func(ctx context.Context, url string) (sync.Conn, error) {
			return nil, errors.New("no server in this test")
		}}
}

// start runs Start and returns the page its route makes, closed when the
// test ends.
func start(t *testing.T, srv *demoServer, storage cache.Storage) app.Composer {
	t.Helper()
	route, err := Start(context.Background(), testConfig(srv, storage))
	require.NoError(t, err)
	page := route()
	t.Cleanup(func() {
		switch p := page.(type) {
		case *Board:
			p.App.Close()
		case *SignedInPage:
			p.SignedIn.Close()
		}
	})
	return page
}

func remember(t *testing.T, st cache.Storage, s model.Session) {
	t.Helper()
	require.NoError(t, st.Set(sessionKey, fmt.Appendf(nil, `{"name":%q,"token":%q,"users":["ada","bob"]}`, s.Name, s.Token)))
}

// Issue 16: the site asks the server which demo it runs, once, before
// showing anything but the skeleton.
func TestStart_asksTheServerWhichDemoItRuns(t *testing.T) {
	t.Run("a server without sign-in runs the open demo", func(t *testing.T) {
		srv := &demoServer{open: true}
		page := start(t, srv, nil)
		require.IsType(t, &Board{}, page)
		assert.Nil(t, page.(*Board).App.Boards, "one board for everyone")
		assert.Equal(t, "GET /api/session", srv.requests()[0], "one question first")
	})
	t.Run("a signed-in demo without a session shows the sign-in screen", func(t *testing.T) {
		page := start(t, &demoServer{}, nil)
		require.IsType(t, &SignedInPage{}, page)
		s := page.(*SignedInPage).SignedIn
		assert.Nil(t, s.current.Peek())
		assert.Equal(t, []string{"ada", "bob"}, s.users)
	})
	t.Run("the session cookie opens its user's board, with a sign-in's token", func(t *testing.T) {
		srv, st := &demoServer{cookie: "ada"}, &cache.MemoryStorage{}
		page := start(t, srv, st)
		a := page.(*SignedInPage).SignedIn.current.Peek()
		require.NotNil(t, a)
		assert.Equal(t, "ada", a.User())
		assert.Equal(t, []string{"GET /api/session", "POST /api/session"}, srv.requests()[:2])
		last, ok := remembered(st)
		assert.True(t, ok, "the tab remembers its user")
		assert.Equal(t, "ada", last.Token)
	})
	t.Run("a user the tab remembers needs no sign-in", func(t *testing.T) {
		srv, st := &demoServer{cookie: "ada"}, &cache.MemoryStorage{}
		remember(t, st, model.Session{Name: "ada", Token: "ada"})
		page := start(t, srv, st)
		assert.Equal(t, "ada", page.(*SignedInPage).SignedIn.current.Peek().User())
		assert.NotContains(t, srv.requests(), "POST /api/session")
	})
	t.Run("the cookie wins over the tab's memory", func(t *testing.T) {
		srv, st := &demoServer{cookie: "bob"}, &cache.MemoryStorage{}
		remember(t, st, model.Session{Name: "ada", Token: "ada"})
		page := start(t, srv, st)
		assert.Equal(t, "bob", page.(*SignedInPage).SignedIn.current.Peek().User())
	})
	t.Run("a server that cannot answer leaves the tab with its user", func(t *testing.T) {
		st := &cache.MemoryStorage{}
		remember(t, st, model.Session{Name: "ada", Token: "ada"})
		page := start(t, &demoServer{down: true}, st)
		require.IsType(t, &SignedInPage{}, page)
		assert.Equal(t, "ada", page.(*SignedInPage).SignedIn.current.Peek().User())
	})
	t.Run("a server that cannot answer a new tab gets the open demo, which reconnects", func(t *testing.T) {
		page := start(t, &demoServer{down: true}, &cache.MemoryStorage{})
		require.IsType(t, &Board{}, page)
	})
}

func TestSignInError_saysWhyInWords(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("%w: %w", client.ErrSignIn, &wire.ErrorBody{Code: "invalid", Fields: map[string]string{"name": "is not a user of this demo"}}),
			"“mallory” is not a user of this demo."},
		{fmt.Errorf("%w: %w", client.ErrSignIn, &wire.ErrorBody{Code: "bad_request", Message: "the body must be JSON"}),
			"The server said no: the body must be JSON."},
		{context.Canceled, "The server did not answer. Try again."},
		{errors.New("fetch failed"), "Couldn't reach the server. Try again."},
	} {
		assert.Equal(t, c.want, signInError("mallory", c.err))
	}
}

// signedInAs returns the signed-in demo at user's board, on a server that
// never answers a mutation, rendered by go-app's test engine.
func signedInAs(t *testing.T, user string, st cache.Storage) (*SignedIn, *SignedInPage, app.TestEngine) {
	t.Helper()
	s, err := NewSignedIn(testConfig(&demoServer{cookie: user}, st), model.Session{Users: []string{"ada", "bob"}, Name: user, Token: user})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	page := &SignedInPage{SignedIn: s}
	e := app.NewTestEngine()
	require.NoError(t, e.Load(page))
	e.ConsumeAll()
	return s, page, e
}

// topic returns the store's topic called name ("key/collection"), as the
// realtime client sees it, or fails the test.
func topic(t *testing.T, a *App, name string) store.TopicObserver {
	t.Helper()
	var found store.Topic
	a.Store.Topics(func(tp store.Topic) {
		if tp.Name() == name {
			found = tp
		}
	})()
	require.NotNil(t, found, "no topic %s", name)
	return found.(store.TopicObserver)
}

// boards gives the signed-in app the boards its accesses name, as the
// server's snapshots would: own for the user's, others' by owner; every
// partition then live.
func boards(t *testing.T, e app.TestEngine, a *App, own []string, others map[string]string) {
	t.Helper()
	var accesses []wire.Item
	lists := map[string]model.List{}
	add := func(id, owner, role string) {
		accesses = append(accesses, item("x-"+id, model.Access{ID: "x-" + id, ListID: id, User: a.User(), Role: role}))
		lists[id] = model.List{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Owner: owner, Position: float64(len(accesses))}
	}
	for _, id := range own {
		add(id, a.User(), model.RoleOwner)
	}
	for id, owner := range others {
		add(id, owner, model.RoleMember)
	}
	a.Boards.Accesses.ApplyItems(accesses...)
	topic(t, a, a.User()+"/access").Live(true)
	e.ConsumeAll() // Boards opens each board's partition as its access arrives
	for id, l := range lists {
		a.Lists.ApplyItems(item(id, l))
		topic(t, a, id+"/lists").Live(true)
	}
	e.ConsumeAll()
}

// Issue 16: a user syncs only the board it looks at.
func TestSignedIn_opensTheBoardShownAndClosesTheOneBefore(t *testing.T) {
	s, _, e := signedInAs(t, "ada", nil)
	a := s.current.Peek()
	boards(t, e, a, []string{"groceries", "work"}, map[string]string{"garden": "bob"})
	assert.Equal(t, "groceries", a.open.Peek(), "the first of her own opens")
	assert.Equal(t, []string{"groceries"}, a.Todos.OpenPartitions())
	assert.Equal(t, []string{"groceries"}, a.Boards.Shares.OpenPartitions())

	a.open.Set("garden")
	e.ConsumeAll()
	assert.Equal(t, []string{"garden"}, a.Todos.OpenPartitions(), "the one before closes")

	a.Lists.Create.Run(model.List{ID: "new", Name: "New", Position: 9})
	a.open.Set("new")
	e.ConsumeAll()
	assert.Empty(t, a.Todos.OpenPartitions(), "a board the server does not have yet opens once it has it")
	assert.Equal(t, "new", a.open.Peek())
}

// The sidebar: the user's boards, then those shared with it, with their
// owners; only the user's own may be deleted.
func TestSignedIn_sidebarHasMyBoardsAndThoseSharedWithMe(t *testing.T) {
	s, page, e := signedInAs(t, "ada", nil)
	a := s.current.Peek()
	boards(t, e, a, []string{"groceries"}, map[string]string{"garden": "bob"})
	html := app.HTMLString(page)
	owned, shared, ok := strings.Cut(html, `data-testid="boards-shared"`)
	require.True(t, ok, html)
	shared, _, _ = strings.Cut(shared, "</ul>")
	assert.Contains(t, owned, `data-testid="boards-owned"`)
	assert.Contains(t, owned, ">Groceries<")
	assert.NotContains(t, owned, ">Garden<")
	assert.Contains(t, shared, ">Garden<")
	assert.Contains(t, shared, `data-owner="bob"`)
	assert.Equal(t, 1, strings.Count(html, "list-delete"), "the owner's board alone may be deleted")
	assert.Contains(t, html, `data-testid="signed-in-as"`)
}

// Signing out leaves nothing of the user to the next one: a new store and
// Storage records of its own.
func TestSignedIn_theNextUserSeesNothingOfThePrevious(t *testing.T) {
	st := &cache.MemoryStorage{}
	s, page, e := signedInAs(t, "ada", st)
	ada := s.current.Peek()
	boards(t, e, ada, []string{"groceries"}, nil)
	topic(t, ada, "groceries/todos").Live(true)
	ada.Todos.Create.Run(model.Todo{ID: "t1", ListID: "groceries", Title: "Cake for bob", Position: 1})
	e.ConsumeAll()
	assert.Contains(t, app.HTMLString(page), "1 left of 1", "her todo (its row is package dom's, not in go-app's HTML)")
	queued, err := st.Get(storageKey("ada"))
	require.NoError(t, err, "ada's queue is kept under her name")
	assert.Contains(t, string(queued), "Cake for bob")

	s.SignOut()
	e.ConsumeAll()
	assert.True(t, ada.closed, "her store and connection are closed")
	html := app.HTMLString(page)
	assert.Contains(t, html, `data-testid="signin"`)
	assert.NotContains(t, html, "Groceries")
	_, err = st.Get(sessionKey)
	assert.ErrorIs(t, err, cache.ErrNotFound, "the tab forgets her")

	require.NoError(t, s.enter(model.Session{Name: "bob", Token: "bob"}))
	e.ConsumeAll()
	bob := s.current.Peek()
	assert.NotSame(t, ada.Store, bob.Store)
	assert.Zero(t, bob.Lists.Len()+bob.Todos.Len()+bob.Store.PendingCount(), "bob's store starts empty")
	html = app.HTMLString(page)
	assert.NotContains(t, html, "Groceries")
	assert.NotContains(t, html, "left of")
	if b, err := st.Get(storageKey("bob")); err == nil {
		assert.NotContains(t, string(b), "Cake for bob")
	}
}

// Issue 16: when the owner takes a board back while it is open, it leaves
// the sidebar and the main area says who took it back — whichever of the
// two the server tells first.
func TestSignedIn_aRevokedBoardSaysWhoTookItBack(t *testing.T) {
	for _, accessFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("access gone first: %v", accessFirst), func(t *testing.T) {
			s, page, e := signedInAs(t, "ada", nil)
			a := s.current.Peek()
			boards(t, e, a, []string{"groceries"}, map[string]string{"garden": "bob"})
			a.open.Set("garden")
			topic(t, a, "garden/todos").Live(true)
			e.ConsumeAll()
			require.Contains(t, app.HTMLString(page), `data-testid="leave"`, "a member's board")

			accessGone := func() {
				a.Boards.Accesses.ApplyItems(wire.Item{ID: "x-garden", Version: 2, Deleted: true})
				e.ConsumeAll()
			}
			revoked := func() {
				topic(t, a, "garden/todos").Refused(wire.CodeRevoked, "access revoked")
				e.ConsumeAll()
			}
			if accessFirst {
				accessGone()
				assert.Contains(t, app.HTMLString(page), `data-testid="board-revoked"`, "the board went")
				revoked()
			} else {
				revoked()
				accessGone()
			}
			html := app.HTMLString(page)
			assert.Contains(t, html, "bob took back your access to “Garden”.")
			_, shared, _ := strings.Cut(html, `data-testid="boards-shared"`)
			shared, _, _ = strings.Cut(shared, "</ul>")
			assert.NotContains(t, shared, "Garden", "and it left the sidebar")
			assert.Equal(t, "garden", a.open.Peek(), "the message stays until another board is picked")
		})
	}
}

// Issue 13's check for the signed-in demo: switching boards, and signing
// out and in again, leave the graph as they found it.
func TestSignedIn_switchingBoardsAndUsersLeaksNothing(t *testing.T) {
	s, _, e := signedInAs(t, "ada", nil)
	g := s.RT.Graph()
	a := s.current.Peek()
	boards(t, e, a, []string{"groceries", "work"}, nil)
	live := func() [2]int { st := g.Stats(); return [2]int{st.Effects, st.Watched} }
	mounted := live()
	for range 10 {
		a.open.Set("work")
		e.ConsumeAll()
		a.open.Set("groceries")
		e.ConsumeAll()
	}
	assert.Equal(t, mounted, live(), "every board's views released when another opens")
	assert.Equal(t, []string{"groceries"}, a.Todos.OpenPartitions())

	s.SignOut()
	e.ConsumeAll()
	signedOut := live()
	for _, user := range []string{"bob", "ada", "bob"} {
		require.NoError(t, s.enter(model.Session{Name: user, Token: user}))
		e.ConsumeAll()
		s.SignOut()
		e.ConsumeAll()
	}
	assert.Equal(t, signedOut, live(), "each user's board released at sign-out")
}

// A board the user deletes, or leaves, goes without a message: the next
// one opens.
func TestSignedIn_aBoardDeletedOrLeftHereOpensTheNext(t *testing.T) {
	s, page, e := signedInAs(t, "ada", nil)
	a := s.current.Peek()
	boards(t, e, a, []string{"groceries", "work"}, map[string]string{"garden": "bob"})
	require.Equal(t, "groceries", a.open.Peek())

	a.Lists.Delete.Run("groceries")
	a.drop("groceries")
	e.ConsumeAll()
	assert.Equal(t, "work", a.open.Peek())
	assert.Equal(t, []string{"work"}, a.Todos.OpenPartitions())
	assert.NotContains(t, app.HTMLString(page), `data-testid="board-revoked"`)

	a.open.Set("garden")
	e.ConsumeAll()
	a.Boards.Shares.ApplyItems(item("s1", model.Share{ID: "s1", ListID: "garden", User: "ada"}))
	a.leave("garden", "Garden")
	e.ConsumeAll()
	assert.Equal(t, "work", a.open.Peek(), "her own board opens")
	assert.Equal(t, 2, a.Store.PendingCount(), "the delete and the leave are on their way")
	assert.NotContains(t, app.HTMLString(page), `data-testid="board-revoked"`)
}

// A server that no longer knows the user (its token refused at the
// WebSocket's hello) sends the tab back to the sign-in screen, saying so.
func TestSignedIn_aRefusedTokenGoesBackToSignIn(t *testing.T) {
	cfg := testConfig(&demoServer{}, nil)
	server := make(chan sync.Conn, 1)
	cfg.Dial = func(ctx context.Context, url string) (sync.Conn, error) {
		mine, theirs := sync.Pipe()
		server <- theirs
		return mine, nil
	}
	s, err := NewSignedIn(cfg, model.Session{Users: []string{"ada", "bob"}, Name: "mallory", Token: "mallory"})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	page := &SignedInPage{SignedIn: s}
	e := app.NewTestEngine()
	require.NoError(t, e.Load(page))
	e.ConsumeAll()
	require.NotNil(t, s.current.Peek())

	// The server: the hello, then close 4001. The hello is sent from the UI
	// goroutine, which the test's engine runs: hence a goroutine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	refused := make(chan error, 1)
	go func() {
		conn := <-server
		if _, err := conn.Read(ctx); err != nil {
			refused <- err
			return
		}
		refused <- conn.Close(wire.CloseUnauthorized, "unauthorized")
	}()
	require.Eventually(t, func() bool { e.ConsumeAll(); return s.current.Peek() == nil }, 10*time.Second, time.Millisecond)
	require.NoError(t, <-refused)
	e.ConsumeAll()
	html := app.HTMLString(page)
	assert.Contains(t, html, `data-testid="signin"`)
	assert.Contains(t, html, "The server no longer knows “mallory”: sign in again.")
}
