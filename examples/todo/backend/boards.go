package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/server"
)

// RegisterBoards serves the signed-in demo on s: the lists of model.Boards,
// each a board of its own, with their todos (model.BoardTodos), their shares
// (model.Shares) and every user's accesses (model.Accesses), authorized per
// partition for d's users. s must authenticate with d (Options.Authenticate
// and AuthenticateWS).
//
// The rules, which the server keeps whatever a client sends:
//   - a board is its creator's (List.Owner, set by the server); its owner
//     and the users it is shared with read and change it and its todos, and
//     see its shares; only its owner deletes it;
//   - only a board's owner shares it, with another user of the demo; a
//     share is deleted by the board's owner (revoking that access) or by its
//     user (leaving the board), and its user's subscriptions to the board
//     end at once with error revoked;
//   - a user reads only its own accesses, which the server keeps: one per
//     board it owns and one per share it has. No client writes them.
func (d *Demo) RegisterBoards(s *server.Server) error {
	role := func(ctx context.Context, list string) (string, error) {
		return d.role(ctx, s, list, server.Principal(ctx))
	}
	// mayRead refuses a principal with no role on the board.
	mayRead := func(ctx context.Context, list string) error {
		r, err := role(ctx, list)
		if err == nil && r == "" {
			err = server.ErrForbidden
		}
		return err
	}
	ownerOnly := func(ctx context.Context, list string) error {
		r, err := role(ctx, list)
		if err == nil && r != model.RoleOwner {
			err = server.ErrForbidden
		}
		return err
	}
	// grant keeps the access of user to list: one per board and user.
	grant := func(tx *server.Tx, list, user, role string) error {
		return server.Create(tx, model.Accesses, model.Access{ID: server.NewID(), ListID: list, User: user, Role: role})
	}
	ungrant := func(tx *server.Tx, list, user string) error {
		ids, err := tx.Lookup("access", "grant", grantKey(list, user))
		for _, id := range ids {
			err = errors.Join(err, tx.Delete("access", id))
		}
		return err
	}
	return errors.Join(
		server.Register(s, model.Boards, server.Hooks[model.List]{
			Authorize: func(ctx context.Context, r server.Request) error {
				switch r.Op {
				case server.OpCreate:
					return nil // every signed-in user has boards
				case server.OpDelete:
					return ownerOnly(ctx, r.Partition)
				}
				return mayRead(ctx, r.Partition)
			},
			BeforeWrite: func(ctx context.Context, tx *server.Tx, w server.Write[model.List]) error {
				if w.Op != server.OpCreate {
					return nil
				}
				w.New.Owner = server.Principal(ctx)
				return grant(tx, w.New.ID, w.New.Owner, model.RoleOwner)
			},
			// Its shares and todos cascade (their Ref); the owner's access
			// goes here.
			BeforeDelete: func(ctx context.Context, tx *server.Tx, old model.List) error {
				return ungrant(tx, old.ID, old.Owner)
			},
		}),
		server.Register(s, model.BoardTodos, server.Hooks[model.Todo]{
			Authorize: func(ctx context.Context, r server.Request) error { return mayRead(ctx, r.Partition) },
		}),
		server.Register(s, model.Shares, server.Hooks[model.Share]{
			Authorize: func(ctx context.Context, r server.Request) error {
				switch r.Op {
				case server.OpList, server.OpGet:
					return mayRead(ctx, r.Partition)
				case server.OpDelete:
					if leaving, err := d.ownShare(ctx, s, r.ID); err != nil || leaving {
						return err
					}
				}
				return ownerOnly(ctx, r.Partition)
			},
			BeforeWrite: func(ctx context.Context, tx *server.Tx, w server.Write[model.Share]) error {
				list, found, err := server.Load[model.List](tx, "lists", w.New.ListID)
				switch {
				case err != nil || !found:
					return err // the Ref refused it already
				case !d.isUser(w.New.User):
					return form.Invalid("user", "is not a user of this demo")
				case w.New.User == list.Owner:
					return form.Invalid("user", "owns this board")
				}
				return grant(tx, w.New.ListID, w.New.User, model.RoleMember)
			},
			// A revocation: the user's access goes, and every topic of the
			// board checks its subscriptions again.
			BeforeDelete: func(ctx context.Context, tx *server.Tx, old model.Share) error {
				return errors.Join(ungrant(tx, old.ListID, old.User),
					tx.Reauthorize("lists", old.ListID), tx.Reauthorize("todos", old.ListID), tx.Reauthorize("shares", old.ListID))
			},
			Indexes: []server.Index[model.Share]{{Name: "member", Key: func(sh model.Share) string { return grantKey(sh.ListID, sh.User) }}},
		}),
		server.Register(s, model.Accesses, server.Hooks[model.Access]{
			Authorize: func(ctx context.Context, r server.Request) error {
				if (r.Op == server.OpList || r.Op == server.OpGet) && r.Partition == server.Principal(ctx) {
					return nil
				}
				return server.ErrForbidden // each user reads its own; the server writes them
			},
			Indexes: []server.Index[model.Access]{{Name: "grant", Key: func(a model.Access) string { return grantKey(a.ListID, a.User) }}},
		}),
	)
}

// grantKey is the index key of a user's share of, or access to, a list.
func grantKey(list, user string) string { return list + "\x00" + user }

// role reads user's role on list: owner, member (a share) or "" (none, or
// no such list).
func (d *Demo) role(ctx context.Context, s *server.Server, list, user string) (string, error) {
	var role string
	err := s.Read(ctx, func(r *server.Reader) error {
		l, found, err := server.Load[model.List](r, "lists", list)
		if err != nil || !found {
			return err
		}
		if l.Owner == user {
			role = model.RoleOwner
			return nil
		}
		ids, err := r.Lookup("shares", "member", grantKey(list, user))
		if len(ids) > 0 {
			role = model.RoleMember
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("backend: reading %s's role on %s: %w", user, list, err)
	}
	return role, nil
}

// ownShare reports whether share id is the caller's own (leaving a board).
func (d *Demo) ownShare(ctx context.Context, s *server.Server, id string) (bool, error) {
	var own bool
	err := s.Read(ctx, func(r *server.Reader) error {
		sh, found, err := server.Load[model.Share](r, "shares", id)
		own = found && sh.User == server.Principal(ctx)
		return err
	})
	return own, err
}

func (d *Demo) isUser(name string) bool { return slices.Contains(d.users, name) }
