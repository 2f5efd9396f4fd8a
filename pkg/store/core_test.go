package store

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A Labeled entity holds a map: a patch that changes it in place changes
// only the copy a Clone made.
type Labeled struct {
	ID    string          `json:"id"`
	Title string          `json:"title"`
	Tags  map[string]bool `json:"tags"`
}

// The core holds values as pointers to copies of their own (core.go): what a
// stored value points to must never change, whatever patches later run, so
// the confirmed layer, what views and readers were shown, and optimistic
// creates stay as they were stored.
func TestCoreNeverChangesAStoredValue(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		c, err := NewCollection(h.s, CollectionOptions[Labeled, Labeled]{Name: "tagged", Codec: Identity[Labeled](),
			Clone: func(v Labeled) Labeled { v.Tags = maps.Clone(v.Tags); return v }})
		require.NoError(t, err)
		view := c.View(OrderBy(func(a, b Labeled) int { return len(a.Tags) - len(b.Tags) }))
		defer view.Dispose()
		data := []byte(`{"id":"a","title":"one","tags":{"x":true}}`)
		c.ApplyItems(wire.Item{ID: "a", Version: 1, Data: data})

		e := c.ents["a"]
		confirmed, shown := e.value.(*Labeled), e.shown.(*Labeled)
		require.Same(t, confirmed, shown, "shown as confirmed, with no pending change")
		tag := func(k string) Op[Labeled] {
			return Patch("a", func(v *Labeled) { v.Tags[k] = true; v.Title += k }, "tags", "title")
		}
		m := NewMutation(c, nil, tag)
		m.Run("y")
		afterY := e.shown.(*Labeled)
		m.Run("z") // replays y then z over the confirmed object
		h.settle()

		require.Equal(t, Labeled{ID: "a", Title: "one", Tags: map[string]bool{"x": true}}, *confirmed, "the confirmed object")
		require.Equal(t, Labeled{ID: "a", Title: "oney", Tags: map[string]bool{"x": true, "y": true}}, *afterY, "what was shown after y")
		v, ok := c.Get("a")
		require.True(t, ok)
		require.Equal(t, Labeled{ID: "a", Title: "oneyz", Tags: map[string]bool{"x": true, "y": true, "z": true}}, v)
		require.Equal(t, []Labeled{v}, view.Items())

		// What Get returned is the caller's: changing it changes nothing stored.
		v.Title = "mine"
		v2, _ := c.Get("a")
		require.Equal(t, "oneyz", v2.Title)

		// An optimistic create stays as the mutation made it.
		create := NewMutation(c, nil, func(v Labeled) Op[Labeled] { return Create(v.ID, v) })
		create.Run(Labeled{ID: "b", Title: "two", Tags: map[string]bool{}})
		created := c.ents["b"].pending[0].value.(*Labeled)
		m2 := NewMutation(c, nil, func(k string) Op[Labeled] {
			return Patch("b", func(v *Labeled) { v.Tags[k] = true }, "tags")
		})
		m2.Run("w")
		require.Equal(t, Labeled{ID: "b", Title: "two", Tags: map[string]bool{}}, *created)
		b, _ := c.Get("b")
		require.Equal(t, map[string]bool{"w": true}, b.Tags)
	})
}

// A patch that panics part-way through its replay is reported; the stored
// values stay as they were.
func TestCorePanickingPatchLeavesStoredValues(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(Todo{ID: "a", Title: "one"}, 1))
		confirmed := h.todos.ents["a"].value.(*Todo)
		calls := 0
		m := NewMutation(h.todos, nil, func(title string) Op[Todo] {
			return Patch("a", func(v *Todo) {
				calls++
				v.Title = title
				if calls > 1 {
					panic("boom")
				}
			}, "title")
		})
		m.Run("two")
		h.todos.ApplyItems(item(Todo{ID: "a", Title: "uno"}, 2)) // replays the patch: it panics
		h.settle()
		require.Equal(t, Todo{ID: "a", Title: "one"}, *confirmed)
		require.NotEmpty(t, h.errs)
		require.ErrorContains(t, h.errs[len(h.errs)-1], "replaying mutation")
		v, _ := h.todos.Get("a")
		require.Equal(t, "two", v.Title, "the patch got as far as it did before panicking")
		c, _, _ := h.todos.Confirmed("a")
		require.Equal(t, "uno", c.Title)
	})
}
