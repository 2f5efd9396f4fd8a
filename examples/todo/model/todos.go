package model

import (
	"time"

	"github.com/tandemkit/tandem/pkg/form"
)

// A Todo belongs to one List.
type Todo struct {
	ID        string    `json:"id"`
	ListID    string    `json:"listId"`
	Title     string    `json:"title"`
	Done      bool      `json:"done"`
	Position  float64   `json:"position"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// todoFields are what creates and updates of a todo set.
var todoFields = []form.Part[Todo]{
	form.String("listId", func(t *Todo) *string { return &t.ListID }).Required(),
	form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200),
	form.Bool("done", func(t *Todo) *bool { return &t.Done }),
	form.Float("position", func(t *Todo) *float64 { return &t.Position }),
}

// Todos belong to a list that exists and go with it; a title is unique
// within its list, compared as people read it.
var Todos = form.Define("todos", todoFields...).Ref("listId", Lists, form.Cascade).
	Unique("title", form.Within("listId"), form.Folded, form.Says("is already used in this list")).
	Stamp("updatedAt")

// The forms of the changes people make to a todo besides create and delete.
var (
	RenameTodo = Todos.Update().Pick("title")
	ToggleTodo = Todos.Update().Pick("done")
	MoveTodo   = Todos.Update().Pick("position")
)
