// Package backend registers the demo's entities — lists and todos, with
// their forms and the rules only a server can check — on a pkg/server
// Server. cmd/server uses it, and so do the end-to-end tests of the client
// packages.
package backend

import (
	"context"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/server"
)

// Register registers the demo's lists and todos on s.
func Register(s *server.Server) error {
	err := server.Register(s, server.Entity[model.List]{
		Collection: model.Lists,
		ID:         func(l *model.List) *string { return &l.ID },
		Create:     model.CreateList,
		Update:     model.UpdateList,
		BeforeWrite: func(ctx context.Context, tx *server.Tx, w server.Write[model.List]) error {
			w.New.UpdatedAt = tx.Now().UTC()
			return nil
		},
		// Deleting a list deletes its todos in the same mutation: one event
		// per todo in topic todos, then the list's in topic lists.
		BeforeDelete: func(ctx context.Context, tx *server.Tx, old model.List) error {
			ids, err := tx.Lookup(model.Todos, "listId", old.ID)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := tx.Delete(model.Todos, id); err != nil {
					return err
				}
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	return server.Register(s, server.Entity[model.Todo]{
		Collection: model.Todos,
		ID:         func(t *model.Todo) *string { return &t.ID },
		Create:     model.CreateTodo,
		Update:     model.UpdateTodo,
		BeforeWrite: func(ctx context.Context, tx *server.Tx, w server.Write[model.Todo]) error {
			if w.Old == nil || w.Old.ListID != w.New.ListID {
				_, ok, err := tx.Get(model.Lists, w.New.ListID)
				if err != nil {
					return err
				}
				if !ok {
					return form.Invalid("listId", "must name an existing list")
				}
			}
			w.New.UpdatedAt = tx.Now().UTC()
			return nil
		},
		Indexes: []server.Index[model.Todo]{
			{Name: "listId", Key: func(t model.Todo) string { return t.ListID }},
			// A new name for a new Key: Register rebuilds it over the stored
			// todos (and forgets the old "title" index).
			{Name: "title-nfc", Unique: true, Field: "title", Message: "is already used in this list",
				Key: func(t model.Todo) string { return t.ListID + "\x00" + TitleKey(t.Title) }},
		},
	})
}

// TitleKey is the form of a todo title that the one-title-per-list rule
// compares: Unicode NFC (so that "é" typed as one code point and as "e" plus
// a combining accent are one title), lower case, without surrounding space.
func TitleKey(title string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(title))))
}
