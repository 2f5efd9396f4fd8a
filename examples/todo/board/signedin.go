package board

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/client"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/ui"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Start asks the server which demo it runs (client.CurrentSession: one GET)
// and returns what the page's route makes: the open demo's Board when the
// server has no sign-in; otherwise the signed-in demo (SignedInPage), at
// the board of the user this browser is signed in as (the session cookie),
// or at the sign-in screen. Call it on the UI goroutine before go-app runs;
// the page shown meanwhile is the prerendered skeleton.
//
// A server that cannot answer (offline, say) leaves the tab as it was: the
// user it was signed in as, remembered in cfg.Storage, or else the open
// demo, which reconnects by itself.
//
// A page with the board's data in it (cfg.Boot) needs no answer: only the
// open demo's server renders the board into its page, so Start makes the
// open demo's Board at once, a round trip sooner.
func Start(ctx context.Context, cfg Config) (func() app.Composer, error) {
	if cfg.Boot != nil {
		return openDemo(cfg)
	}
	t := cfg.Transport
	if t == nil {
		t = cache.DefaultTransport()
	}
	sess, err := client.CurrentSession(ctx, t, cfg.API)
	switch {
	case errors.Is(err, client.ErrNoSessions):
		return openDemo(cfg)
	case err != nil:
		last, ok := remembered(cfg.Storage)
		if !ok {
			return openDemo(cfg)
		}
		sess = last
	case sess.Name != "":
		// The cookie names the user; the token comes with a sign-in, or was
		// remembered by this tab.
		if last, ok := remembered(cfg.Storage); ok && last.Name == sess.Name && last.Token != "" {
			sess.Token = last.Token
		} else if in, err := client.SignIn(ctx, t, cfg.API, sess.Name); err == nil {
			sess = in
		} else {
			sess.Name = ""
		}
	}
	s, err := NewSignedIn(cfg, sess)
	if err != nil {
		return nil, err
	}
	return func() app.Composer { return &SignedInPage{SignedIn: s} }, nil
}

func openDemo(cfg Config) (func() app.Composer, error) {
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return func() app.Composer { return &Board{App: a} }, nil
}

// sessionKey is where a tab remembers its user (cfg.Storage: the tab's
// sessionStorage), for a reload the server cannot answer.
const sessionKey = "tandem.session"

func remembered(st cache.Storage) (model.Session, bool) {
	if st == nil {
		return model.Session{}, false
	}
	b, err := st.Get(sessionKey)
	if err != nil {
		return model.Session{}, false
	}
	var s model.Session
	if json.Unmarshal(b, &s) != nil || s.Name == "" || s.Token == "" {
		return model.Session{}, false
	}
	return s, true
}

// SignedIn is the signed-in demo (cmd/server -demo-users) in one tab: the
// sign-in screen until someone signs in, then that user's board, an App of
// its own — a store, a realtime client and Boards that carry the user's
// token — which goes at sign-out, with everything it held: the next user
// starts from nothing. Its Storage records are the user's own too, so no
// user ever sees another's queue.
//
// Make it with NewSignedIn on the UI goroutine; SignedInPage shows it.
type SignedIn struct {
	RT *ui.Runtime

	cfg       Config
	transport cache.Transport
	users     []string              // the demo's users, for the sign-in screen
	current   *state.Signal[*App]   // the user's board; nil on the sign-in screen
	sessions  int                   // boards made so far: each one's key
	busy      *state.Signal[string] // the name being signed in as, until the server answers
	draft     *state.Signal[string] // the name field
	refusal   *state.Signal[string] // why the last sign-in failed
	signedOut chan struct{}         // closed when the last sign-out's request is done
	keys      map[*App]string       // each board's key for the page's keyed list
}

// NewSignedIn returns the signed-in demo for a tab: the sign-in screen for
// s.Users, or, when s names a user and carries its token, that user's
// board at once.
func NewSignedIn(cfg Config, s model.Session) (*SignedIn, error) {
	if cfg.Clock == nil {
		cfg.Clock = cache.SystemClock()
	}
	si := &SignedIn{RT: ui.NewRuntime(), cfg: cfg, transport: cfg.Transport, users: s.Users, keys: map[*App]string{}}
	if si.transport == nil {
		si.transport = cache.DefaultTransport()
	}
	g := si.RT.Graph()
	si.current = state.NewSignal[*App](g, nil)
	si.busy = state.NewSignal(g, "")
	si.draft = state.NewSignal(g, "")
	si.refusal = state.NewSignal(g, "")
	if s.Name != "" && s.Token != "" {
		if err := si.enter(s); err != nil {
			return nil, err
		}
	}
	return si, nil
}

// App returns, tracked, the signed-in user's board, or nil on the sign-in
// screen.
func (s *SignedIn) App() *App { return s.current.Get() }

// SignIn signs in as name: the server's answer opens the user's board, or
// its refusal shows under the name field. It returns at once; a sign-in
// already under way makes it do nothing.
func (s *SignedIn) SignIn(name string) {
	if s.busy.Peek() != "" || s.current.Peek() != nil {
		return
	}
	s.busy.Set(name)
	s.refusal.Set("")
	after := s.signedOut
	go func() {
		if after != nil {
			<-after // the sign-out's answer would clear this sign-in's cookie
		}
		ctx, cancel := context.WithCancel(context.Background())
		stop := s.cfg.Clock.AfterFunc(signInTime, cancel)
		sess, err := client.SignIn(ctx, s.transport, s.cfg.API, name)
		stop()
		cancel()
		s.RT.Graph().Schedule(func() {
			s.busy.Set("")
			if err != nil {
				s.refusal.Set(signInError(name, err))
				return
			}
			if err := s.enter(sess); err != nil {
				s.refusal.Set("Couldn't open the board: " + err.Error())
			}
		})
	}()
}

// signInTime bounds a sign-in's wait for the server.
const signInTime = 15 * time.Second

// signInError says in words why signing in as name failed: the server's
// reason (a name that is not one of the demo's users), or the network's.
func signInError(name string, err error) string {
	var body *wire.ErrorBody
	switch {
	case errors.As(err, &body) && body.Fields["name"] != "":
		return "“" + name + "” " + body.Fields["name"] + "."
	case errors.As(err, &body):
		return "The server said no: " + body.Message + "."
	case errors.Is(err, context.Canceled):
		return "The server did not answer. Try again."
	}
	return "Couldn't reach the server. Try again."
}

// enter opens s's board: a new App on the same runtime, for its user.
func (s *SignedIn) enter(sess model.Session) error {
	if len(sess.Users) > 0 {
		s.users = sess.Users
	} else {
		sess.Users = s.users
	}
	a, err := newApp(s.RT, s.cfg, sess, false)
	if err != nil {
		return err
	}
	a.signOut = s.SignOut
	// A server that refuses the token (it no longer has this user: it was
	// restarted with others, say) sends the tab back to the sign-in screen.
	g := s.RT.Graph()
	a.stops = append(a.stops, state.Watch(g, func() bool { return a.Sync.State() == sync.Unauthorized }, func(_, refused bool) {
		if refused {
			g.Schedule(func() { // after the realtime client's own work
				if s.current.Peek() == a {
					s.SignOut()
					s.refusal.Set("The server no longer knows “" + sess.Name + "”: sign in again.")
				}
			})
		}
	}).Dispose)
	s.sessions++
	s.keys[a] = sess.Name + "#" + strconv.Itoa(s.sessions)
	s.draft.Set("")
	s.current.Set(a)
	if s.cfg.Storage != nil {
		if b, err := json.Marshal(sess); err == nil {
			_ = s.cfg.Storage.Set(sessionKey, b) // a cache: without it, a reload asks the server
		}
	}
	return nil
}

// SignOut closes the user's board — its connection, its store, all it held
// — and goes back to the sign-in screen; the server clears the session
// cookie meanwhile.
func (s *SignedIn) SignOut() {
	a := s.current.Peek()
	if a == nil {
		return
	}
	s.current.Set(nil)
	delete(s.keys, a)
	a.Close()
	if s.cfg.Storage != nil {
		_ = s.cfg.Storage.Remove(sessionKey)
	}
	done := make(chan struct{})
	s.signedOut = done
	go func() {
		defer close(done)
		ctx, cancel := context.WithCancel(context.Background())
		stop := s.cfg.Clock.AfterFunc(signInTime, cancel)
		_ = client.SignOut(ctx, s.transport, s.cfg.API) // if it fails, a reload comes back signed in: no harm
		stop()
		cancel()
	}()
}

// Close closes the user's board, if any.
func (s *SignedIn) Close() {
	if a := s.current.Peek(); a != nil {
		a.Close()
	}
}

// SignedInPage is the signed-in demo's page: the sign-in screen, or the
// signed-in user's board.
type SignedInPage struct {
	app.Compo
	SignedIn *SignedIn
}

// Render shows the screen of the moment. One keyed entry per board, so that
// a user's board is made for it and released with it, whatever the next
// user's looks like.
func (p *SignedInPage) Render() app.UI {
	s := p.SignedIn
	return ui.Each(s.RT, func() app.HTMLDiv { return app.Div().Class("session") }, s.screens, s.screen)
}

// screens returns, tracked, the key of the screen shown.
func (s *SignedIn) screens() []string {
	if a := s.current.Get(); a != nil {
		return []string{s.keys[a]}
	}
	return []string{"sign-in"}
}

func (s *SignedIn) screen(key string) app.UI {
	if a := s.current.Peek(); a != nil && s.keys[a] == key {
		return a.page()
	}
	return s.signInPage()
}
