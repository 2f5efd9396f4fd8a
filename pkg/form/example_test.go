package form_test

import (
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/form"
)

type Todo struct {
	ID     string  `json:"id"`
	ListID string  `json:"listId"`
	Title  string  `json:"title"`
	Done   bool    `json:"done"`
	Pos    float64 `json:"position"`
}

// One schema per mutation, shared by the browser and the server.
func ExampleNew() {
	createTodo := form.New(
		form.String("listId", func(t *Todo) *string { return &t.ListID }).Required(),
		form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200),
		form.Float("position", func(t *Todo) *float64 { return &t.Pos }).Min(0),
	)
	err := createTodo.Validate(Todo{ListID: "l1", Pos: -1})
	var fe *form.Errors
	if errors.As(err, &fe) {
		fmt.Println(fe.Fields["title"])
		fmt.Println(fe.Fields["position"])
	}
	fmt.Println(err)
	// Output:
	// is required
	// must be at least 0
	// form: position: must be at least 0; title: is required
}

// A partial update validates only the fields it sets, plus the checks.
func ExampleSchema_ValidateFields() {
	updateTodo := form.New(
		form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200),
		form.Bool("done", func(t *Todo) *bool { return &t.Done }),
	)
	merged := Todo{Title: "", Done: true} // title is invalid but untouched
	fmt.Println(updateTodo.ValidateFields(merged, "done"))
	fmt.Println(updateTodo.ValidateFields(merged, "title"))
	// Output:
	// <nil>
	// form: title: is required
}

// Inline errors in the browser: one field at a time.
func ExampleSchema_ValidateField() {
	rename := form.New(
		form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 5).Msg("keep it short"),
	)
	fmt.Printf("%q\n", rename.ValidateField(Todo{Title: "milk"}, "title"))
	fmt.Printf("%q\n", rename.ValidateField(Todo{Title: "oat milk"}, "title"))
	// Output:
	// ""
	// "keep it short"
}
