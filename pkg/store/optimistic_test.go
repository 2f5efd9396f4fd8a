package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// QB-63 … QB-70 of QUERY.md, with our deliberate differences: the rebase
// model (pending replayed over confirmed) instead of snapshot and restore.

func TestQB63_visibleIsPendingReplayedOverConfirmed(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(milk, 1))
		renameTodo(h.todos).Run(Todo{ID: "t1", Title: "a"})
		toggleTodo(h.todos).Run("t1")
		renameTodo(h.todos).Run(Todo{ID: "t1", Title: "b"})
		v, _ := h.visible("t1")
		assert.Equal(t, Todo{ID: "t1", ListID: "l1", Title: "b", Done: true, Position: 1}, v, "replayed in creation order")

		ex := h.next() // rename "a" refused: only its change goes
		h.reply(ex, 422, errorBody(wire.CodeInvalid, "no", map[string]string{"title": "no"}))
		v, _ = h.visible("t1")
		assert.Equal(t, "b", v.Title)
		assert.True(t, v.Done)
	})
}

// QB-64 is a deliberate difference: TanStack DB rolls back the other
// pending transactions touching the same keys; PROTOCOL.md B8 keeps them,
// since each is its own request the server may well accept.
func TestQB64_rollbackKeepsOtherPendingMutationsOfTheKey(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(milk, 1))
		renameTodo(h.todos).Run(Todo{ID: "t1", Title: "refused"})
		toggle := toggleTodo(h.todos).Run("t1")
		h.reply(h.next(), 403, errorBody(wire.CodeForbidden, "no", nil))
		assert.Equal(t, []uint64{toggle.MutationID()}, h.todos.PendingOf("t1"))
		v, _ := h.visible("t1")
		assert.True(t, v.Done)
	})
}

// QB-65 is a deliberate difference: server writes apply while a mutation is
// in flight, and the pending change stays visible on top.
func TestQB65_serverWritesApplyWhilePersisting(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(milk, 1))
		renameTodo(h.todos).Run(Todo{ID: "t1", Title: "mine"})
		ex := h.next() // in flight
		h.todos.ApplyItems(item(Todo{ID: "t1", ListID: "l1", Title: "milk", Position: 9}, 2))
		v, _ := h.visible("t1")
		assert.Equal(t, 9.0, v.Position, "applied now, not after the mutation completes")
		assert.Equal(t, "mine", v.Title)
		h.seq = 2
		h.reply(ex, 200, h.confirmOf(ex, Todo{ID: "t1", ListID: "l1", Title: "mine", Position: 9}))
	})
}

func TestQB66_failedMutationReportsItsErrorAndRollsBack(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		p := createTodo(h.todos).Run(milk)
		var got error
		p.OnSettled(func(err error) { got = err })
		h.reply(h.next(), 422, errorBody(wire.CodeInvalid, "invalid", map[string]string{"listId": "no such list"}))
		_, ok := h.visible("t1")
		assert.False(t, ok, "the optimistic create is gone")
		require.Error(t, got)
		assert.Same(t, got, p.Err(), "the callback and Err see the same error value")
		var me *MutationError
		require.ErrorAs(t, got, &me)
		assert.Equal(t, 422, me.Status)
	})
}

func TestQB67_sequencesOfOneKeyFold(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		createTodo(h.todos).Run(milk)
		renameTodo(h.todos).Run(Todo{ID: "t1", Title: "oat milk"})
		v, ok := h.visible("t1")
		assert.True(t, ok)
		assert.Equal(t, "oat milk", v.Title, "insert + update shows as the updated insert")
		deleteTodo(h.todos).Run("t1")
		_, ok = h.visible("t1")
		assert.False(t, ok, "insert + delete shows nothing")

		h.todos.ApplyItems(item(Todo{ID: "t2", Title: "eggs"}, 1))
		renameTodo(h.todos).Run(Todo{ID: "t2", Title: "brown eggs"})
		deleteTodo(h.todos).Run("t2")
		_, ok = h.visible("t2")
		assert.False(t, ok, "update + delete shows as a delete")
		assert.Equal(t, 0, h.todos.Len())
	})
}

func TestQB68_notOptimistic(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(milk, 1))
		h.seq = 1
		m := NewMutation(h.todos, nil, func(id string) Op[Todo] {
			return Patch(id, func(t *Todo) { t.Title = "quiet" }, "title")
		}, NotOptimistic())
		m.Run("t1")
		v, _ := h.visible("t1")
		assert.Equal(t, "milk", v.Title, "unchanged until the server confirms")
		assert.True(t, h.todos.IsPending("t1"))
		ex := h.next()
		h.reply(ex, 200, h.confirmOf(ex, Todo{ID: "t1", ListID: "l1", Title: "quiet", Position: 1}))
		v, _ = h.visible("t1")
		assert.Equal(t, "quiet", v.Title)
	})
}

// QB-69: ids are client-generated (PROTOCOL.md §1), so there is no temporary
// key to swap; a confirmed create is the same entity, with no duplicate and
// no gap in any view.
func TestQB69_confirmedCreateKeepsItsKey(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		view := h.todos.View(OrderBy(func(a, b Todo) int { return cmpFloat(a.Position, b.Position) }))
		defer view.Dispose()
		var lens []int
		h.g.Effect(func() { lens = append(lens, view.Len()) })
		id := NewID()
		createTodo(h.todos).Run(Todo{ID: id, ListID: "l1", Title: "new"})
		ex := h.next()
		h.reply(ex, 201, h.confirmOf(ex, Todo{ID: id, ListID: "l1", Title: "new", UpdatedAt: "now"}))
		assert.Equal(t, []string{id}, view.IDs())
		assert.Equal(t, []int{0, 1}, lens, "one entity from the first tick on")
	})
}

// QB-70: a mutation's build function returns an Op, synchronously, by type;
// there is no asynchronous form to reject. Its panics are errors.
func TestQB70_buildIsSynchronous(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		p := NewMutation(h.todos, nil, func(string) Op[Todo] { return Op[Todo]{} }).Run("x")
		assert.ErrorContains(t, p.Err(), "no Op")
		h.none()
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
