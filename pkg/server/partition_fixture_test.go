package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// The partitioned fixtures: boards, each a partition of its own, owned by
// the principal that creates it; cards partitioned by board; shares, by
// board too, which let a principal read and write a board it does not own.
// Deleting a share revokes: every topic of the board is checked again.

type pBoard struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Owner string `json:"owner"`
}

type pCard struct {
	ID        string    `json:"id"`
	BoardID   string    `json:"boardId"`
	Title     string    `json:"title"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type pShare struct {
	ID      string `json:"id"`
	BoardID string `json:"boardId"`
	User    string `json:"user"`
}

var (
	pBoards = form.Define("boards", form.String("name", func(b *pBoard) *string { return &b.Name }).Required()).Partition("id")
	pCards  = form.Define("cards",
		form.String("boardId", func(c *pCard) *string { return &c.BoardID }).Required(),
		form.String("title", func(c *pCard) *string { return &c.Title }).Required(),
	).Partition("boardId").Ref("boardId", pBoards, form.Cascade).Stamp("updatedAt")
	pShares = form.Define("shares",
		form.String("boardId", func(s *pShare) *string { return &s.BoardID }).Required(),
		form.String("user", func(s *pShare) *string { return &s.User }).Required(),
	).Partition("boardId").Ref("boardId", pBoards, form.Cascade).Unique("user", form.Within("boardId"))
)

// userOf is the fixtures' authentication: the principal is the X-User
// header (REST) or the hello token (WebSocket).
func userOf(r *http.Request) (context.Context, error) {
	if u := r.Header.Get("X-User"); u != "" {
		return WithPrincipal(r.Context(), u), nil
	}
	return nil, ErrUnauthorized
}

func userOfHello(r *http.Request, h wire.Hello) (context.Context, error) {
	if h.Token == "" {
		return nil, ErrUnauthorized
	}
	return WithPrincipal(context.Background(), h.Token), nil
}

// boardRole says what principal may do with board: "owner", "member" or "".
func boardRole(ctx context.Context, s *Server, board, principal string) (string, error) {
	var role string
	err := s.Read(ctx, func(r *Reader) error {
		b, found, err := Load[pBoard](r, "boards", board)
		if err != nil || !found {
			return err
		}
		if b.Owner == principal {
			role = "owner"
			return nil
		}
		ids, err := r.Lookup("shares", "member", board+"\x00"+principal)
		if len(ids) > 0 {
			role = "member"
		}
		return err
	})
	return role, err
}

// registerBoards serves the partitioned fixtures on s.
func registerBoards(t testing.TB, s *Server) {
	t.Helper()
	mayRead := func(ctx context.Context, board string) error {
		role, err := boardRole(ctx, s, board, Principal(ctx))
		switch {
		case err != nil:
			return err
		case role == "":
			return ErrForbidden
		}
		return nil
	}
	ownerOnly := func(ctx context.Context, board string) error {
		role, err := boardRole(ctx, s, board, Principal(ctx))
		switch {
		case err != nil:
			return err
		case role != "owner":
			return ErrForbidden
		}
		return nil
	}
	reauthorize := func(tx *Tx, board string) error {
		return errors.Join(tx.Reauthorize("boards", board), tx.Reauthorize("cards", board), tx.Reauthorize("shares", board))
	}
	require.NoError(t, Register(s, pBoards, Hooks[pBoard]{
		Authorize: func(ctx context.Context, r Request) error {
			switch r.Op {
			case OpCreate:
				return nil
			case OpDelete:
				return ownerOnly(ctx, r.Partition)
			}
			return mayRead(ctx, r.Partition)
		},
		BeforeWrite: func(ctx context.Context, tx *Tx, w Write[pBoard]) error {
			if w.Op == OpCreate {
				w.New.Owner = Principal(ctx)
			}
			return nil
		},
	}))
	require.NoError(t, Register(s, pCards, Hooks[pCard]{
		Authorize: func(ctx context.Context, r Request) error { return mayRead(ctx, r.Partition) },
	}))
	require.NoError(t, Register(s, pShares, Hooks[pShare]{
		Authorize: func(ctx context.Context, r Request) error {
			if r.Op == OpList || r.Op == OpGet {
				return mayRead(ctx, r.Partition)
			}
			return ownerOnly(ctx, r.Partition)
		},
		BeforeWrite: func(ctx context.Context, tx *Tx, w Write[pShare]) error {
			if w.Op == OpUpdate && w.New.User != w.Old.User {
				return reauthorize(tx, w.Old.BoardID)
			}
			return nil
		},
		BeforeDelete: func(ctx context.Context, tx *Tx, old pShare) error { return reauthorize(tx, old.BoardID) },
		Indexes:      []Index[pShare]{{Name: "member", Key: func(s pShare) string { return s.BoardID + "\x00" + s.User }}},
	}))
}

// newBoardsEnv is a Server with the partitioned fixtures on st.
func newBoardsEnv(t testing.TB, st Store, opts Options) *testEnv {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	bus := &recordingBus{}
	if opts.Bus == nil {
		opts.Bus = bus
	}
	opts.Authenticate, opts.AuthenticateWS = userOf, userOfHello
	if opts.Quotas == (Quotas{}) {
		opts.Quotas = Unlimited()
	}
	s := New(st, opts)
	registerBoards(t, s)
	hs := httptest.NewServer(s.Handler())
	env := &testEnv{t: t, srv: s, store: st, http: hs, bus: bus}
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Shutdown(context.Background()))
		require.NoError(t, st.Close())
	})
	return env
}

// as returns the headers of a request by user.
func asUser(user string, more ...string) []string { return append([]string{"X-User", user}, more...) }

// wsUser is one principal's WebSocket, with what it received.
type wsUser struct {
	t    testing.TB
	c    *websocket.Conn
	user string
}

// connect opens a WebSocket to url (the server's base) as user.
func connect(t testing.TB, base, user, clientID string) *wsUser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	require.NoError(t, err)
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	u := &wsUser{t: t, c: c, user: user}
	u.send(wire.Hello{V: 1, ClientID: clientID, Token: user})
	require.IsType(t, wire.Welcome{}, u.next())
	return u
}

func (u *wsUser) send(m wire.ClientMessage) {
	u.t.Helper()
	b, err := wire.EncodeClientMessage(m)
	require.NoError(u.t, err)
	require.NoError(u.t, u.c.Write(context.Background(), websocket.MessageText, b))
}

// next returns the next message other than a heartbeat.
func (u *wsUser) next() wire.ServerMessage {
	u.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, b, err := u.c.Read(ctx)
		cancel()
		require.NoError(u.t, err)
		m, err := wire.DecodeServerMessage(b)
		require.NoError(u.t, err)
		if _, hb := m.(wire.HB); !hb {
			return m
		}
	}
}

// sub subscribes to topic and returns what came until live or an error
// about it; the caller checks which.
func (u *wsUser) sub(topic string, since *wire.Cursor) []wire.ServerMessage {
	u.t.Helper()
	u.send(wire.Sub{Topic: topic, Since: since})
	return u.until(func(m wire.ServerMessage) bool {
		switch m := m.(type) {
		case wire.Live:
			return m.Topic == topic
		case wire.ErrorMessage:
			return m.Topic == topic
		}
		return false
	})
}

// until reads messages until done says the last one read ends the run.
func (u *wsUser) until(done func(wire.ServerMessage) bool) []wire.ServerMessage {
	u.t.Helper()
	var out []wire.ServerMessage
	for {
		m := u.next()
		out = append(out, m)
		if done(m) {
			return out
		}
	}
}

// fence proves that nothing of the topics u follows is on its way: it
// subscribes to a topic of its own and reads until that one is live; the
// messages read before are returned. The server queues a connection's
// messages in order, and a REST write's events are queued before its
// answer, so anything a write made earlier would have come first.
func (u *wsUser) fence(own string) []wire.ServerMessage {
	u.t.Helper()
	u.send(wire.Sub{Topic: own})
	msgs := u.until(func(m wire.ServerMessage) bool {
		l, ok := m.(wire.Live)
		return ok && l.Topic == own
	})
	return slices.DeleteFunc(msgs, func(m wire.ServerMessage) bool { return wire.TopicOf(m) == own })
}
