package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestFormStateAsSignals(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		f := NewForm(h.g, todoSchema, Todo{ID: "t1", ListID: "l1"})
		var shown []string
		h.g.Effect(func() { shown = append(shown, f.Error("title")) })
		assert.Equal(t, "is required", f.Errors()["title"], "the schema runs as the user types")
		assert.Equal(t, []string{""}, shown, "but an untouched field shows nothing")
		f.Touch("title")
		assert.Equal(t, []string{"", "is required"}, shown)
		assert.False(t, f.Dirty())
		f.Update(func(t *Todo) { t.Title = "milk" })
		assert.True(t, f.Dirty())
		assert.True(t, f.Valid())
		assert.Equal(t, "", shown[len(shown)-1])

		p := f.Submit(createTodo(h.todos).Run)
		assert.True(t, f.Submitting())
		_, ok := h.visible("t1")
		assert.True(t, ok, "form → UI state → optimistic store in one call")
		h.reply(h.next(), 422, errorBody(wire.CodeInvalid, "invalid", map[string]string{"title": "must be unique in its list"}))
		assert.False(t, f.Submitting())
		assert.Equal(t, Failed, p.Status())
		assert.Equal(t, "must be unique in its list", f.Error("title"), "the server's message lands on its field")
		assert.False(t, f.Valid())
		f.Update(func(t *Todo) { t.Title = "oat milk" })
		assert.Equal(t, "", f.Error("title"), "editing clears the server's objection")
	})
}

func TestFormSubmitOfInvalidValueSendsNothing(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		f := NewForm(h.g, todoSchema, Todo{ID: "t1"})
		p := f.Submit(createTodo(h.todos).Run)
		var fe *form.Errors
		require.ErrorAs(t, p.Err(), &fe)
		assert.Equal(t, "is required", f.Error("listId"), "a submit attempt shows every error")
		assert.False(t, f.Submitting())
		h.none()
	})
}

func TestFormSubmitErrorAndReset(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(milk, 1))
		f := NewForm(h.g, renameSchema, milk)
		f.Update(func(t *Todo) { t.Title = "x" })
		f.Submit(NewMutation(h.todos, renameSchema, func(in Todo) Op[Todo] {
			return Patch(in.ID, func(t *Todo) { t.Title = in.Title }, "title")
		}, IfMatch()).Run)
		ex := h.next()
		assert.Equal(t, `"1"`, ex.req.Header[wire.HeaderIfMatch])
		h.reply(ex, 409, errorBody(wire.CodeConflict, "changed meanwhile", nil))
		assert.True(t, IsConflict(f.SubmitError()), "a failure that is not about a field")
		f.Reset(milk)
		assert.NoError(t, f.SubmitError())
		assert.False(t, f.Dirty())
		assert.False(t, f.Touched("title"))
	})
}
