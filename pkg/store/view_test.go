package store

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

func byPosition(a, b Todo) int { return cmp.Compare(a.Position, b.Position) }

func open(t Todo) bool { return !t.Done }

func TestViewIsIncremental(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		for i := range 5 {
			h.todos.ApplyItems(item(Todo{ID: fmt.Sprint("t", i), Title: fmt.Sprint("todo ", i), Position: float64(i)}, 1))
		}
		v := h.todos.View(Where(open), OrderBy(byPosition))
		defer v.Dispose()
		var orders [][]string
		h.g.Effect(func() { orders = append(orders, slices.Clone(v.IDs())) })
		rowRuns := map[string]int{}
		for _, id := range []string{"t0", "t1", "t2"} {
			h.g.Effect(func() { h.todos.Get(id); rowRuns[id]++ })
		}

		renameTodo(h.todos).Run(Todo{ID: "t1", Title: "renamed"})
		assert.Len(t, orders, 1, "an edit that keeps the row in place leaves the order alone")
		assert.Equal(t, map[string]int{"t0": 1, "t1": 2, "t2": 1}, rowRuns, "only the touched row reruns")

		toggleTodo(h.todos).Run("t2")
		assert.Equal(t, []string{"t0", "t1", "t3", "t4"}, orders[len(orders)-1], "a row leaves")
		move := NewMutation(h.todos, nil, func(id string) Op[Todo] {
			return Patch(id, func(t *Todo) { t.Position = 10 }, "position")
		})
		move.Run("t0")
		assert.Equal(t, []string{"t1", "t3", "t4", "t0"}, orders[len(orders)-1], "a row moves")
		createTodo(h.todos).Run(Todo{ID: "t9", ListID: "l", Title: "new", Position: 3.5})
		assert.Equal(t, []string{"t1", "t3", "t9", "t4", "t0"}, orders[len(orders)-1], "a row enters")
		assert.Equal(t, 5, v.Len())
		items := v.Items()
		require.Len(t, items, 5)
		assert.Equal(t, "renamed", items[0].Title)
	})
}

// TestViewMatchesRederivation applies random changes and checks the view
// against sorting and filtering the collection from scratch.
func TestViewMatchesRederivation(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		r := rand.New(rand.NewPCG(1, 2))
		v := h.todos.View(Where(func(t Todo) bool { return !strings.HasPrefix(t.Title, "x") }), OrderBy(byPosition))
		defer v.Dispose()
		groups := GroupBy(h.todos, func(t Todo) string { return t.ListID }, OrderBy(byPosition))
		defer groups.Dispose()
		versions := map[string]uint64{}
		for step := range 500 {
			id := fmt.Sprint("t", r.IntN(40))
			versions[id]++
			if r.IntN(5) == 0 {
				h.todos.ApplyItems(wire.Item{ID: id, Version: versions[id], Deleted: true})
				continue
			}
			title := fmt.Sprint("t", step)
			if r.IntN(3) == 0 {
				title = "x" + title
			}
			h.todos.ApplyItems(item(Todo{ID: id, ListID: fmt.Sprint("l", r.IntN(3)), Title: title, Position: float64(r.IntN(10))}, versions[id]))

			var want []string
			byList := map[string][]string{}
			type kv struct {
				id string
				t  Todo
			}
			var all []kv
			for i := range 40 {
				id := fmt.Sprint("t", i)
				if x, ok := h.todos.Get(id); ok {
					all = append(all, kv{id, x})
				}
			}
			slices.SortFunc(all, func(a, b kv) int {
				if c := byPosition(a.t, b.t); c != 0 {
					return c
				}
				return cmp.Compare(a.id, b.id)
			})
			for _, e := range all {
				if !strings.HasPrefix(e.t.Title, "x") {
					want = append(want, e.id)
				}
				byList[e.t.ListID] = append(byList[e.t.ListID], e.id)
			}
			require.Equal(t, want, nilIfEmpty(v.IDs()), "step %d", step)
			require.Equal(t, len(want), v.Len())
			for _, k := range groups.Keys() {
				require.Equal(t, byList[k], groups.Group(k).IDs(), "group %s at step %d", k, step)
			}
			require.Len(t, groups.Keys(), len(byList))
		}
	})
}

func nilIfEmpty(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

func TestReplaceIsASnapshot(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(Todo{ID: "a", Title: "a"}, 1), item(Todo{ID: "b", Title: "b"}, 2), item(Todo{ID: "late", Title: "late"}, 9))
		renameTodo(h.todos).Run(Todo{ID: "a", Title: "mine"})
		h.todos.Replace([]wire.Item{item(Todo{ID: "a", Title: "a2"}, 5), item(Todo{ID: "c", Title: "c"}, 4)}, "e1", 6, false)
		_, ok := h.visible("b")
		assert.False(t, ok, "deleted while away: absent from the snapshot")
		v, _ := h.visible("a")
		assert.Equal(t, "mine", v.Title, "pending mutations stay on top")
		_, ok = h.visible("late")
		assert.True(t, ok, "written after the watermark: kept")
		assert.Equal(t, wire.Cursor{Epoch: "e1", Seq: 6}, h.todos.Cursor())

		h.todos.ApplyItems(item(Todo{ID: "b", Title: "resurrected?"}, 5))
		_, ok = h.visible("b")
		assert.False(t, ok, "the deletion holds the watermark's version")

		h.todos.Replace([]wire.Item{item(Todo{ID: "c", Title: "c"}, 1)}, "e2", 1, true)
		_, ok = h.visible("late")
		assert.False(t, ok, "a new epoch's snapshot is the whole truth")
		x, ok := h.visible("c")
		assert.True(t, ok)
		assert.Equal(t, "c", x.Title)
		_, version, _ := h.todos.Confirmed("c")
		assert.Equal(t, uint64(1), version, "versions may restart with a new log")
	})
}
