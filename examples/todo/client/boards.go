package client

import (
	"cmp"
	"slices"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/store"
)

// Boards is a signed-in user's side of the multi-user demo (cmd/server
// -demo-users): the boards it may see — its own and those shared with it —
// their todos and shares, each board opened and closed as the UI needs it,
// sharing and revoking. Every change shows at once and is confirmed or
// rolled back by the server, as in the open demo; with pkg/sync on the same
// store, it all follows the other users' changes live, and a board whose
// access is revoked disappears.
//
// Make it with NewBoards on a store whose requests carry the user's token
// (store.Options.Header: AuthHeader(token)), with a sync.Client on the same
// store whose Token returns it. A Boards belongs to the store's graph
// goroutine, as the store does.
type Boards struct {
	// User is the signed-in user.
	User string
	// Lists are the boards this user may see (model.Boards), with their
	// mutations: Create, Rename, Delete (its owner's only).
	Lists *Lists
	// Todos are the todos of the boards open (model.BoardTodos), with the
	// same mutations as the open demo's.
	Todos *Todos
	// Shares are the shares of the boards open (model.Shares).
	Shares *store.Collection[model.Share]
	// Accesses are this user's accesses (model.Accesses): the boards it
	// may see, and as what.
	Accesses *store.Collection[model.Access]

	share   *store.Mutation[model.Share]
	unshare *store.Mutation[string]
	visible *store.View[model.List]
	shares  *store.View[model.Share]
	access  *store.View[model.Access]
	// followed holds, by access id, the release of its board's list; a
	// board created here is held by its own id until its access comes.
	followed map[string]func()
	stops    []func()
	closed   bool
}

// NewBoards collects the signed-in demo's entities in s for user and starts
// following user's accesses: each board user may see is opened in Lists
// (its own partition) as its access arrives, and closed when it goes.
func NewBoards(s *store.Store, user string) (*Boards, error) {
	b := &Boards{User: user, followed: map[string]func(){}}
	var err error
	if b.Lists, err = newLists(s, model.Boards); err != nil {
		return nil, err
	}
	if b.Todos, err = newTodos(s, model.BoardTodos); err != nil {
		return nil, err
	}
	if b.Shares, err = store.Collect(s, model.Shares); err != nil {
		return nil, err
	}
	if b.Accesses, err = store.Collect(s, model.Accesses); err != nil {
		return nil, err
	}
	b.share, b.unshare = b.Shares.Creates(), b.Shares.Deletes()
	release, err := b.Accesses.Open(user)
	if err != nil {
		return nil, err
	}
	b.stops = append(b.stops, release)
	g := s.Graph()
	b.stops = append(b.stops, b.Accesses.OnChange(func(id string, a model.Access, ok bool) {
		// After the store operation that changed it: opening a partition
		// changes the store.
		g.Schedule(func() { b.follow(id, a, ok) })
	}))
	b.visible = b.Lists.View(store.OrderBy(func(x, y model.List) int {
		return cmp.Or(cmp.Compare(x.Position, y.Position), cmp.Compare(x.Name, y.Name), cmp.Compare(x.ID, y.ID))
	}))
	b.shares = b.Shares.View(store.OrderBy(func(x, y model.Share) int { return cmp.Compare(x.User, y.User) }))
	b.access = b.Accesses.View()
	return b, nil
}

// follow opens the board of an access that came, and closes that of one
// that went.
func (b *Boards) follow(id string, a model.Access, ok bool) {
	if b.closed {
		return
	}
	release, followed := b.followed[id]
	switch {
	case ok && !followed:
		if r, created := b.followed[a.ListID]; created { // open since its create
			b.followed[id] = r
			delete(b.followed, a.ListID)
		} else if r, err := b.Lists.Open(a.ListID); err == nil {
			b.followed[id] = r
		}
	case !ok && followed:
		release()
		delete(b.followed, id)
	}
}

// Visible returns, as a live view, the boards the user may see, in order
// of position, then name: those it owns and those shared with it, as they
// arrive, and its own new ones at once. Read it in a component as any view
// (IDs, Items, Len are tracked).
func (b *Boards) Visible() *store.View[model.List] { return b.visible }

// Open opens board id: its todos and its shares join Todos and Shares and
// follow the server live, until close is called (twice is harmless). Open a
// board when the UI shows it, close it when it leaves: a user syncs only the
// boards it looks at. Status says where it stands.
func (b *Boards) Open(id string) (close func(), err error) {
	closeTodos, err := b.Todos.Open(id)
	if err != nil {
		return nil, err
	}
	closeShares, err := b.Shares.Open(id)
	if err != nil {
		closeTodos()
		return nil, err
	}
	return func() { closeTodos(); closeShares() }, nil
}

// Status returns, tracked, where open board id stands: opening, live, or
// refused or revoked with the server's reason (store.PartitionRevoked when
// the user lost access while the board was open: its todos are gone and
// nothing more of it arrives). A board not open is closed.
func (b *Boards) Status(id string) store.PartitionState { return b.Todos.Partition(id) }

// Role returns, tracked, what the user is on board id: model.RoleOwner,
// model.RoleMember, or "" for a board it may not see (or whose access has
// not arrived yet).
func (b *Boards) Role(id string) string {
	for _, a := range b.access.Items() {
		if a.ListID == id {
			return a.Role
		}
	}
	return ""
}

// Create creates a board called name, the user's own, after the boards it
// sees. It shows at once in Visible, and stays: once the server has created
// it, its partition is open — the store keeps no answer of a partition not
// open — until the board's access, on its way from the server, holds it
// open instead.
func (b *Boards) Create(name string) *store.Pending {
	pos := 1.0
	if items := b.visible.Items(); len(items) > 0 {
		pos = items[len(items)-1].Position + 1
	}
	id := store.NewID()
	p := b.Lists.Create.Run(model.List{ID: id, Name: name, Position: pos})
	p.OnSettled(func(err error) {
		// Opened before the server created it, the board's partition
		// would be refused; opened here, its answer is kept.
		if err != nil || b.closed || slices.Contains(b.Lists.OpenPartitions(), id) {
			return // refused, or its access came first
		}
		if release, err := b.Lists.Open(id); err == nil {
			b.followed[id] = release
		}
	})
	return p
}

// SharedWith returns, tracked, the users open board id is shared with, in
// order of name (its owner is List.Owner). Board id must be open.
func (b *Boards) SharedWith(id string) []string {
	var users []string
	for _, s := range b.shares.Items() {
		if s.ListID == id {
			users = append(users, s.User)
		}
	}
	return users
}

// Share shares board id with user: user may then read and change it and
// its todos, and it appears in user's Visible at once. Only the board's
// owner may: the server refuses anyone else (403), a user that is not one
// of the demo's, the owner itself, and a user it is shared with already
// (422, with the message under "user"); the share then rolls back.
func (b *Boards) Share(id, user string) *store.Pending {
	return b.share.Run(model.Share{ListID: id, User: user})
}

// Revoke takes back board id from user: its share goes at once, and the
// server ends user's subscriptions to the board (user's client drops it:
// Status says revoked) and sends it nothing more of it. The board's owner
// may revoke anyone, a member only itself (Leave). Board id must be open
// (its shares loaded); otherwise, or if id is not shared with user, the
// returned Pending fails with store.ErrNotVisible.
func (b *Boards) Revoke(id, user string) *store.Pending {
	for _, s := range b.shares.Items() {
		if s.ListID == id && s.User == user {
			return b.unshare.Run(s.ID)
		}
	}
	return b.unshare.Run("") // no such share: fails with ErrNotVisible
}

// Leave gives up a board shared with the user: Revoke of itself.
func (b *Boards) Leave(id string) *store.Pending { return b.Revoke(id, b.User) }

// Close stops following the user's accesses and closes the boards it
// opened in Lists; boards opened with Open stay open until their close.
// Calling it twice is harmless.
func (b *Boards) Close() {
	if b.closed {
		return
	}
	b.closed = true
	for _, stop := range slices.Backward(b.stops) {
		stop()
	}
	for id, release := range b.followed {
		release()
		delete(b.followed, id)
	}
	b.visible.Dispose()
	b.shares.Dispose()
	b.access.Dispose()
}
