package model

import "github.com/tandemkit/tandem/pkg/form"

// The signed-in demo (cmd/server -demo-users) declares the same lists and
// todos partitioned, so that each user syncs only what it may see. A board
// is a list, and a partition of its own ("<id>/lists"): its owner and the
// users it is shared with read and change it and its todos (partitioned by
// list, "<listId>/todos") and see who it is shared with (its shares, by
// list too). Each user learns which boards it may see from its accesses
// (partitioned by user, "<user>/access"), which the server keeps.

// A Share gives User access to the board ListID: to read and change it and
// its todos. The board's owner creates and deletes shares (revoking that
// access); a user may delete its own (leaving the board).
type Share struct {
	ID     string `json:"id"`
	ListID string `json:"listId"`
	User   string `json:"user"`
}

// An Access says that User may see the board ListID, as its "owner" or as a
// "member" it is shared with. The server keeps one per board for its owner
// and one per share, in the user's partition; clients only read them.
type Access struct {
	ID     string `json:"id"`
	ListID string `json:"listId"`
	User   string `json:"user"`
	Role   string `json:"role"`
}

// Roles of an Access.
const (
	RoleOwner  = "owner"
	RoleMember = "member"
)

var (
	// Boards are the lists of the signed-in demo, each a partition of its own.
	Boards = form.Define("lists", listFields...).Partition("id").Stamp("updatedAt")

	// BoardTodos are the todos of the signed-in demo, partitioned by board.
	BoardTodos = form.Define("todos", todoFields...).Partition("listId").Ref("listId", Boards, form.Cascade).
			Unique("title", form.Within("listId"), form.Folded, form.Says("is already used in this list")).
			Stamp("updatedAt")

	// Shares are partitioned by board: whoever may see a board sees whom
	// it is shared with.
	Shares = form.Define("shares",
		form.String("listId", func(s *Share) *string { return &s.ListID }).Required(),
		form.String("user", func(s *Share) *string { return &s.User }).Required().Length(1, 64),
	).Partition("listId").ReadOnly().Ref("listId", Boards, form.Cascade).
		Unique("user", form.Within("listId"), form.Says("already has access to this board"))

	// Accesses are partitioned by user: each user follows its own.
	Accesses = form.Define("access",
		form.String("listId", func(a *Access) *string { return &a.ListID }).Required(),
		form.String("user", func(a *Access) *string { return &a.User }).Required(),
		form.String("role", func(a *Access) *string { return &a.Role }).OneOf(RoleOwner, RoleMember),
	).Partition("user").ReadOnly()
)

// RenameBoard is the form of a board's rename.
var RenameBoard = Boards.Update().Pick("name")
