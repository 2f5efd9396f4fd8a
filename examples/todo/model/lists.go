package model

import (
	"time"

	"github.com/tandemkit/tandem/pkg/form"
)

// A List groups todos. In the signed-in demo (Boards) a list is a board,
// owned by the user who created it: Owner is set by the server.
type List struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Position  float64   `json:"position"`
	Owner     string    `json:"owner,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// listFields are what creates and updates of a list set.
var listFields = []form.Part[List]{
	form.String("name", func(l *List) *string { return &l.Name }).Required().Length(1, 100),
	form.Float("position", func(l *List) *float64 { return &l.Position }),
}

// Lists are named and ordered; the server stamps every write.
var Lists = form.Define("lists", listFields...).Stamp("updatedAt")

// RenameList is the form of a rename.
var RenameList = Lists.Update().Pick("name")
