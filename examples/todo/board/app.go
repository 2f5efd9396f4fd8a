// Package board is the demo's user interface: a collaborative todo board on
// go-app, built on pkg/ui. Lists and todos are created, renamed, toggled,
// reordered and deleted; every change shows before the server answers, is
// rolled back with the server's message when refused, and reaches the other
// tabs live. The connection badge says whether the board is live,
// reconnecting or offline with changes queued; built with -tags devtools, it
// carries the devtools panel of pkg/ui/devtools.
//
// The same board is the signed-in demo's (cmd/server -demo-users; Start
// tells which demo the server runs): a sign-in screen (SignedIn), then per
// user a store and realtime client of its own, with the user's boards and
// those shared with it in the sidebar, one board synced at a time, a panel
// to share the open board or leave it, and a message when its access goes.
//
// The markup follows spec/DOM.md, which the React example follows too, so
// one browser test drives either app; the signed-in demo, which the React
// example does not have, adds its own ids (signin, signin-user, signin-name,
// signin-error, user-menu, signed-in-as, signout, boards-owned,
// boards-shared, share-panel, share-user, share-submit, share-error,
// shared-with, revoke, leave, board-revoked) and keeps every other.
//
// cmd/wasm runs it in the browser; cmd/site prerenders its shell (a
// skeleton, with no App) into the static site; cmd/server serves the open
// demo's page with the board rendered in it, and its data (Prerender,
// Config.Boot).
package board

import (
	"cmp"
	"errors"
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/client"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/ui"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Config is what the board needs from its host page.
type Config struct {
	// API is the base URL of the REST API ("/api" on the same origin, or
	// "https://api.example.com/api" for a static build hosted elsewhere).
	API string
	// WebSocket is the stream's URL ("ws://host/api/ws").
	WebSocket string
	// Storage keeps the pending mutations and the last data across reloads
	// (the tab's sessionStorage in the browser); nil keeps nothing.
	Storage cache.Storage
	// Transport sends REST requests (fetch in the browser); nil for the
	// default.
	Transport cache.Transport
	// Dial opens the WebSocket; nil for the default.
	Dial sync.Dialer
	// Online and Focus wake the connection (the browser's); nil for none.
	Online cache.OnlineSource
	Focus  cache.FocusSource
	// Clock times retries, reconnects and notices; the system's when nil.
	Clock cache.Clock
	// Boot returns the open demo's data as the server rendered the page with
	// it (DecodeBoot of the page's BootID element), or nil; nil for none. The
	// board starts from it — or from Storage's copy when that is at least as
	// new, see store.Options.Boot — so its first render shows what the page
	// showed, and the realtime client resumes from its cursors rather than
	// downloading a snapshot. It is called once, when the open demo's board
	// is made (Start asks the server which demo it runs first: the page's
	// data can be decoded meanwhile); the signed-in demo never calls it.
	Boot func() []wire.Snapshot
}

// App is the board's state: the graph, the store and its collections, the
// realtime client, and what the user has open. Make it with New on the UI
// goroutine, before go-app runs; the signed-in demo makes one per user
// (SignedIn).
type App struct {
	RT    *ui.Runtime
	Store *store.Store
	Lists *client.Lists
	Todos *client.Todos
	Sync  *sync.Client
	// Boards are the signed-in user's boards, whose Lists and Todos the
	// App's are; nil in the open demo.
	Boards *client.Boards

	cfg       Config
	prerender bool                  // made by Prerender: its first render is all there is
	wasLive   bool                  // the connection has been live: the badge says reconnecting, not connecting
	user      model.Session         // the signed-in user: Name and Users; zero in the open demo
	open      *state.Signal[string] // the list shown; "" until lists arrive
	notices   *state.Signal[[]notice]
	loaded    *state.Computed[bool] // data to show: cached, fetched or live
	online    func() bool           // tracked: whether the browser says it is online
	lists     *store.View[model.List]
	noticeID  int
	stops     []func() // what Close disposes: watches, views
	closed    bool

	// The signed-in demo's.
	owned, shared *state.Computed[[]string] // the ids of the visible boards the user owns, and the others
	anyOpen       *state.Computed[bool]     // whether a board is open
	closeBoard    func()                    // the close of the board open (Boards.Open), or nil
	dropped       map[string]bool           // boards the user deleted or left here: never opened again
	signOut       func()                    // the sign-out of the SignedIn that made the App
}

// A notice is a message shown for a while: a refused change, say.
type notice struct {
	ID   int
	Text string
}

// New builds the open demo's board and starts the realtime client, which
// fetches what the tab has no copy of yet.
func New(cfg Config) (*App, error) { return newApp(ui.NewRuntime(), cfg, model.Session{}, false) }

// storageKey is the Storage key of user's store: each user's queue apart
// from the others' and from the open demo's ("tandem.outbox").
func storageKey(user string) string { return "tandem.outbox@" + user }

// newApp builds a board on rt: the open demo's with a zero user, or the
// signed-in demo's for user (Name and Token): a store whose requests carry
// the token, whose Storage records are the user's own, and the user's
// Boards. A prerender App (Prerender) never connects.
func newApp(rt *ui.Runtime, cfg Config, user model.Session, prerender bool) (_ *App, err error) {
	if cfg.Clock == nil {
		cfg.Clock = cache.SystemClock()
	}
	a := &App{RT: rt, cfg: cfg, user: user, prerender: prerender}
	g := a.RT.Graph()
	opts := store.Options{Graph: g, BaseURL: cfg.API, Storage: cfg.Storage, Transport: cfg.Transport, Clock: cfg.Clock}
	syncOpts := sync.Options{URL: cfg.WebSocket, Dial: cfg.Dial, Online: cfg.Online, Focus: cfg.Focus, Clock: cfg.Clock}
	if user.Name != "" {
		token := user.Token
		opts.Header, opts.StorageKey = client.AuthHeader(token), storageKey(user.Name)
		syncOpts.Token = func() string { return token }
	} else if cfg.Boot != nil {
		opts.Boot = cfg.Boot()
	}
	if a.Store, err = store.New(opts); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if user.Name == "" {
		if a.Lists, err = client.NewLists(a.Store); err != nil {
			return nil, err
		}
		if a.Todos, err = client.NewTodos(a.Store); err != nil {
			return nil, err
		}
	} else {
		if a.Boards, err = client.NewBoards(a.Store, user.Name); err != nil {
			return nil, err
		}
		a.Lists, a.Todos = a.Boards.Lists, a.Boards.Todos
	}
	syncOpts.Store = a.Store
	if a.Sync, err = sync.New(syncOpts); err != nil {
		return nil, err
	}
	a.online = func() bool { return true }
	if cfg.Online != nil {
		a.online = state.FromSource(g, cfg.Online.Online, cfg.Online.Subscribe).Get
	}
	a.open = state.NewSignal(g, "")
	a.notices = state.NewSignalFunc(g, []notice(nil), nil)
	if a.Boards == nil {
		a.openDemo()
	} else {
		a.signedIn()
	}
	if id := a.lists.IDs(); len(id) > 0 {
		a.open.Set(id[0])
	}
	if !prerender {
		a.Sync.Start() // it syncs every collection of the store
	}
	return a, nil
}

// openDemo sets up the open demo's board: every list, the first one open.
func (a *App) openDemo() {
	g := a.RT.Graph()
	a.lists = a.Lists.View(store.OrderBy(func(x, y model.List) int { return cmp.Compare(x.Position, y.Position) }))
	a.loaded = state.NewComputed(g, func() bool {
		if a.Lists.Len() > 0 {
			return true
		}
		for _, t := range a.Sync.Topics() {
			if t.Name == model.Lists.Name() && t.Phase == "live" {
				return true
			}
		}
		return false
	})
	// The open list follows the lists: the first one until the user picks
	// another, and the next one when the open one goes away.
	a.stops = append(a.stops, state.Watch(g, func() string {
		ids := a.lists.IDs()
		if open := a.open.Get(); open != "" && slices.Contains(ids, open) || len(ids) == 0 {
			return ""
		}
		return ids[0]
	}, func(_, first string) {
		if first != "" {
			a.open.Set(first)
		}
	}).Dispose)
}

// Close stops the realtime client and the store: the connection closes and
// nothing more is sent (what is queued stays in Storage for the next
// session). Calling it twice is harmless.
func (a *App) Close() {
	if a.closed {
		return
	}
	a.closed = true
	for _, stop := range a.stops {
		stop()
	}
	if a.Sync != nil {
		a.Sync.Stop()
	}
	if a.closeBoard != nil {
		a.closeBoard()
		a.closeBoard = nil
	}
	if a.Boards != nil {
		a.Boards.Close()
	}
	a.Store.Close()
}

// User returns the signed-in user, or "" in the open demo.
func (a *App) User() string { return a.user.Name }

// Open returns, tracked, the id of the list shown.
func (a *App) Open() string { return a.open.Get() }

// notify shows text for a while.
func (a *App) notify(text string) {
	a.noticeID++
	n := notice{ID: a.noticeID, Text: text}
	a.notices.Set(append(slices.Clone(a.notices.Peek()), n))
	a.cfg.Clock.AfterFunc(noticeTime, func() {
		a.RT.Graph().Schedule(func() {
			a.notices.Set(slices.DeleteFunc(slices.Clone(a.notices.Peek()), func(x notice) bool { return x.ID == n.ID }))
		})
	})
}

// refused tells the user, in words, that the server refused a change.
func (a *App) refused(what string, err error) {
	if err == nil {
		return
	}
	var me *store.MutationError
	switch {
	case errors.As(err, &me) && len(me.Fields()) > 0:
		for _, msg := range me.Fields() {
			a.notify(what + ": " + msg + ".")
			return
		}
	case errors.As(err, &me):
		a.notify(what + ": the server said no (" + me.Body.Message + ").")
	case errors.Is(err, store.ErrNotVisible):
	default:
		a.notify(what + ": " + err.Error())
	}
}

// Board is the page: the whole board, or its skeleton when App is nil (the
// shell cmd/site prerenders, shown while the WebAssembly loads).
type Board struct {
	app.Compo
	App *App
}

// Render shows the board.
func (b *Board) Render() app.UI {
	if b.App == nil {
		return page(skeletonLists(), skeletonMain(), nil, nil, nil, nil)
	}
	return b.App.page()
}

// page is the whole board.
func (a *App) page() app.UI {
	return page(
		ui.View(a.RT, a.sidebar),
		ui.View(a.RT, a.main),
		a.badge(),
		ui.View(a.RT, a.toasts),
		a.devtoolsPanel(),
		a.userMenu(),
	)
}
