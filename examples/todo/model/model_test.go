package model_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tandemkit/tandem/examples/todo/model"
)

func TestForms(t *testing.T) {
	assert.NoError(t, model.Lists.Create().Validate(model.List{Name: "Groceries"}))
	assert.Equal(t, "must be 1 to 100 characters", model.Lists.Create().ValidateField(model.List{Name: strings.Repeat("x", 101)}, "name"))
	assert.Equal(t, "is required", model.Todos.Create().ValidateField(model.Todo{}, "listId"))
	assert.Equal(t, "must be 1 to 200 characters", model.RenameTodo.ValidateField(model.Todo{Title: strings.Repeat("é", 201)}, "title"))
	assert.Equal(t, []string{"title"}, model.RenameTodo.Names())
	assert.Equal(t, []string{"listId", "title", "done", "position"}, model.Todos.Update().Names())
}

func ExampleTodos() {
	err := model.Todos.Create().Validate(model.Todo{ListID: "l1", Title: " "})
	fmt.Println(err)
	// Output: form: title: is required
}
