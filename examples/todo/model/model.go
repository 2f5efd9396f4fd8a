// Package model holds the demo's entity types and their mutation forms: the
// same schemas validate in the browser (inline errors) and on the server
// (422). It imports only pkg/form so that it can ship to the browser.
package model

import (
	"time"

	"github.com/tandemkit/tandem/pkg/form"
)

// Collections of the demo.
const (
	Lists = "lists"
	Todos = "todos"
)

// A List groups todos.
type List struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Position  float64   `json:"position"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// A Todo belongs to one List; its title is unique within the list (a rule
// only the server can check).
type Todo struct {
	ID        string    `json:"id"`
	ListID    string    `json:"listId"`
	Title     string    `json:"title"`
	Done      bool      `json:"done"`
	Position  float64   `json:"position"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func listName() *form.StringField[List] {
	return form.String("name", func(l *List) *string { return &l.Name }).Required().Length(1, 100)
}

func listPosition() *form.NumberField[List, float64] {
	return form.Float("position", func(l *List) *float64 { return &l.Position })
}

func todoTitle() *form.StringField[Todo] {
	return form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200)
}

func todoListID() *form.StringField[Todo] {
	return form.String("listId", func(t *Todo) *string { return &t.ListID }).Required()
}

// Forms of the demo's mutations. Create forms list the fields a create body
// may carry besides "id"; update forms list the fields a PATCH may set.
var (
	CreateList = form.New(listName(), listPosition())
	UpdateList = form.New(listName(), listPosition())
	RenameList = UpdateList.Pick("name")

	CreateTodo = form.New(todoListID(), todoTitle(),
		form.Bool("done", func(t *Todo) *bool { return &t.Done }),
		form.Float("position", func(t *Todo) *float64 { return &t.Position }))
	UpdateTodo = form.New(todoListID(), todoTitle(),
		form.Bool("done", func(t *Todo) *bool { return &t.Done }),
		form.Float("position", func(t *Todo) *float64 { return &t.Position }))
	RenameTodo = UpdateTodo.Pick("title")
)
