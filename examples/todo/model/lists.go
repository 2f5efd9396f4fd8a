package model

import (
	"time"

	"github.com/tandemkit/tandem/pkg/form"
)

// A List groups todos.
type List struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Position  float64   `json:"position"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Lists are named and ordered; the server stamps every write.
var Lists = form.Define("lists",
	form.String("name", func(l *List) *string { return &l.Name }).Required().Length(1, 100),
	form.Float("position", func(l *List) *float64 { return &l.Position }),
).Stamp("updatedAt")

// RenameList is the form of a rename.
var RenameList = Lists.Update().Pick("name")
