package ui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
)

// A todoRow is a row of the demo's list (DOM.md): a title, and a rename input
// whose unsaved text the title previews. The draft is the row's own state.
type todoRow struct {
	app.Compo
	ID      string
	rt      *Runtime
	title   string
	draft   *state.Signal[string]
	renders *int
}

func newTodoRow(rt *Runtime, id string, renders *int) *todoRow {
	return &todoRow{ID: id, rt: rt, title: "title " + id, draft: state.NewSignal(rt.Graph(), ""), renders: renders}
}

func (r *todoRow) Render() app.UI {
	return View(r.rt, func() app.UI {
		*r.renders++
		return app.Li().DataSet("testid", "todo-row").DataSet("id", r.ID).Body(
			app.Span().DataSet("testid", "todo-title").Body(Text(r.rt, r.preview)),
			app.Input().DataSet("testid", "todo-rename").Value(r.draft.Get()).OnInput(OnValue(r.draft.Set)),
		)
	})
}

func (r *todoRow) preview() string {
	if d := r.draft.Get(); d != "" {
		return d
	}
	return r.title
}

// typeInto types text into the rename input of the row of id: through a
// DOM input event under GOOS=js, by writing the draft natively.
func typeInto(h *harness, rows map[string]*todoRow, id, text string) {
	h.t.Helper()
	if !hasDOM {
		rows[id].draft.Set(text)
		return
	}
	input := rowElement(h, id).Call("querySelector", `[data-testid="todo-rename"]`)
	dispatchEvent(input, "input", map[string]any{"value": text})
}

func rowElement(h *harness, id string) app.Value {
	h.t.Helper()
	el := h.page.JSValue().Call("querySelector", `[data-id="`+id+`"]`)
	require.True(h.t, el.Truthy(), "row %s is in the DOM", id)
	return el
}

// domRows lists the DOM's rows, in document order, as id=title|input.
func domRows(h *harness) []string {
	var out []string
	rows := h.page.JSValue().Call("querySelectorAll", `[data-testid="todo-row"]`)
	for i := range rows.Length() {
		r := rows.Index(i)
		title := r.Call("querySelector", `[data-testid="todo-title"]`).Get("textContent").String()
		input := r.Call("querySelector", `[data-testid="todo-rename"]`).Get("value").String()
		out = append(out, r.Call("getAttribute", "data-id").String()+"="+title+"|"+input)
	}
	return out
}

func TestEach_aHalfTypedRenameStaysWithItsTodoWhenARowAboveIsDeleted(t *testing.T) {
	h := newHarness(t)
	ids := state.NewSignalFunc(h.g, []string{"t1", "t2", "t3", "t4", "t5"}, slices.Equal)
	rows := map[string]*todoRow{}
	renders := 0
	h.load(func() app.UI {
		return Each(h.rt, app.Ul, ids.Get, func(id string) app.UI {
			rows[id] = newTodoRow(h.rt, id, &renders)
			return rows[id]
		})
	})
	typeInto(h, rows, "t3", "oat mi")
	h.e.ConsumeAll()
	t3 := rows["t3"]

	ids.Set([]string{"t2", "t3", "t4", "t5"}) // delete row 1
	h.e.ConsumeAll()

	assert.Same(t, t3, rows["t3"], "the row was not recreated")
	assert.Equal(t, "oat mi", t3.draft.Peek())
	html := h.html()
	assert.Contains(t, html, `<li data-id="t3" data-testid="todo-row"><span data-testid="todo-title">oat mi</span><input data-testid="todo-rename" value="oat mi"></li>`)
	assert.Contains(t, html, `<li data-id="t4" data-testid="todo-row"><span data-testid="todo-title">title t4</span><input data-testid="todo-rename"></li>`)
	assert.NotContains(t, html, `data-id="t1"`)
	if hasDOM {
		assert.Equal(t, []string{"t2=title t2|", "t3=oat mi|oat mi", "t4=title t4|", "t5=title t5|"}, domRows(h))
		typeInto(h, rows, "t3", "oat milk") // typing goes on in the same input
		h.e.ConsumeAll()
		assert.Equal(t, "oat milk", t3.draft.Peek())
	}
}

// The same list in plain go-app, a Range in a parent: go-app diffs the rows
// by position, so the draft stays at the third position and shows on t4.
func TestEach_plainGoAppGivesTheHalfTypedRenameToTheWrongTodo(t *testing.T) {
	h := newHarness(t)
	ids := []string{"t1", "t2", "t3", "t4", "t5"}
	var mounted []*todoRow
	renders := 0
	var list *todoList
	list = &todoList{ids: &ids, rt: h.rt, renders: &renders, made: &mounted}
	h.e = app.NewTestEngine()
	resetDOM()
	require.NoError(t, h.e.Load(list))
	h.e.ConsumeAll()
	mounted[2].draft.Set("oat mi") // t3's row
	h.e.ConsumeAll()

	ids = ids[1:]
	require.NoError(t, h.e.Load(&todoList{Version: 1, ids: &ids, rt: h.rt, renders: &renders, made: &mounted}))
	h.e.ConsumeAll()
	html := oneLine(app.HTMLString(list))
	assert.Contains(t, html, `<li data-id="t4" data-testid="todo-row"><span data-testid="todo-title">oat mi</span>`)
}

type todoList struct {
	app.Compo
	Version int
	ids     *[]string
	rt      *Runtime
	renders *int
	made    *[]*todoRow
}

func (l *todoList) Render() app.UI {
	return app.Ul().Body(app.Range(*l.ids).Slice(func(i int) app.UI {
		r := newTodoRow(l.rt, (*l.ids)[i], l.renders)
		r.title = "title " + r.ID
		*l.made = append(*l.made, r)
		return r
	}))
}

func TestEach_anEditToOneEntityRerendersOnlyItsRow(t *testing.T) {
	h := newHarness(t)
	ids := state.NewSignalFunc(h.g, []string{"a", "b", "c"}, slices.Equal)
	done := map[string]*state.Signal[bool]{}
	n := counter{}
	var lists int
	p := h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			lists++
			return Each(h.rt, app.Ul, ids.Get, func(id string) app.UI {
				done[id] = state.NewSignal(h.g, false)
				return View(h.rt, func() app.UI {
					n.inc(id)
					return app.Li().DataSet("done", done[id].Get()).Text(id)
				})
			})
		})
	})
	done["b"].Set(true)
	h.e.ConsumeAll()
	assert.Equal(t, counter{"a": 1, "b": 2, "c": 1}, n)
	assert.Equal(t, 1, lists)
	assert.Equal(t, 1, p.renders)
	assert.Contains(t, h.html(), `<li data-done>b</li>`) // go-app writes "true" as a bare attribute
}

func TestEach_rowsAreMadeOncePerKeyAndReleasedWhenTheKeyLeaves(t *testing.T) {
	h := newHarness(t)
	keys := state.NewSignalFunc(h.g, []int{1, 2}, slices.Equal)
	made := counter{}
	cleaned := counter{}
	h.load(func() app.UI {
		return Each(h.rt, app.Ol, keys.Get, func(k int) app.UI {
			made.inc(strconv.Itoa(k))
			h.g.OnCleanup(func() { cleaned.inc(strconv.Itoa(k)) })
			return app.Li().Text(k)
		})
	})
	keys.Set([]int{2, 1, 3})
	h.e.ConsumeAll()
	keys.Set([]int{3, 2})
	h.e.ConsumeAll()
	assert.Equal(t, counter{"1": 1, "2": 1, "3": 1}, made)
	assert.Equal(t, counter{"1": 1}, cleaned)
	h.unload()
	assert.Equal(t, counter{"1": 1, "2": 1, "3": 1}, cleaned)
	assert.Empty(t, h.errs)
}

func TestEach_aDuplicateKeyKeepsItsFirstPlace(t *testing.T) {
	h := newHarness(t)
	keys := state.NewSignalFunc(h.g, []string{"a", "b", "a", "c"}, slices.Equal)
	h.load(func() app.UI {
		return Each(h.rt, app.Ul, keys.Get, func(k string) app.UI { return app.Li().Text(k) })
	})
	assert.Equal(t, "<ul><li>a</li><li>b</li><li>c</li></ul>", h.html())
	assert.Equal(t, "<ul><li>a</li><li>b</li><li>c</li></ul>", h.dom())
}

func TestEach_aContainerFuncSetsTheListsAttributes(t *testing.T) {
	h := newHarness(t)
	keys := state.NewSignalFunc(h.g, []string{"x"}, slices.Equal)
	h.load(func() app.UI {
		return Each(h.rt, func() app.HTMLUl { return app.Ul().DataSet("testid", "todo-list") }, keys.Get,
			func(k string) app.UI { return app.Li().Text(k) })
	})
	assert.Equal(t, `<ul data-testid="todo-list"><li>x</li></ul>`, h.html())
}

// The DOM follows the keys through random inserts, deletes and moves: every
// key has one row, in keys order, and keeps the same row — its component and,
// in the DOM, its element — for as long as it is in the list.
func TestEach_randomInsertsDeletesAndMovesKeepEachRowWithItsKey(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 1))
			h := newHarness(t)
			keys := state.NewSignalFunc(h.g, []int(nil), slices.Equal)
			made := map[int]int{} // key → the number of its row
			rows := 0
			elems := map[int]app.Value{}
			h.load(func() app.UI {
				return Each(h.rt, app.Ul, keys.Get, func(k int) app.UI {
					rows++
					made[k] = rows
					return app.Li().DataSet("k", k).Text(rows)
				})
			})
			next := 0
			for step := range 40 {
				ks := slices.Clone(keys.Peek())
				for range rnd.IntN(4) {
					switch op := rnd.IntN(3); {
					case op == 0 || len(ks) == 0: // insert
						ks = slices.Insert(ks, rnd.IntN(len(ks)+1), next)
						next++
					case op == 1: // delete
						i := rnd.IntN(len(ks))
						delete(made, ks[i])
						delete(elems, ks[i])
						ks = slices.Delete(ks, i, i+1)
					default: // move
						i := rnd.IntN(len(ks))
						k := ks[i]
						ks = slices.Delete(ks, i, i+1)
						ks = slices.Insert(ks, rnd.IntN(len(ks)+1), k)
					}
				}
				keys.Set(ks)
				h.e.ConsumeAll()

				html := h.html()
				for _, k := range ks {
					require.Contains(t, html, fmt.Sprintf(`<li data-k="%d">%d</li>`, k, made[k]), "step %d", step)
				}
				require.Equal(t, len(ks), strings.Count(html, "<li"), "step %d", step)
				if !hasDOM {
					continue
				}
				var want []string
				for _, k := range ks {
					want = append(want, fmt.Sprintf(`<li data-k="%d">%d</li>`, k, made[k]))
				}
				require.Equal(t, "<ul>"+strings.Join(want, "")+"</ul>", h.dom(), "step %d", step)
				list := h.page.JSValue()
				for _, k := range ks {
					el := list.Call("querySelector", fmt.Sprintf(`[data-k="%d"]`, k))
					if prev, ok := elems[k]; ok {
						require.True(t, prev.Equal(el), "step %d: key %d kept its element", step, k)
					}
					elems[k] = el
				}
			}
		})
	}
}

func TestEach_movesAsFewRowsAsALongestIncreasingSubsequenceAllows(t *testing.T) {
	if !hasDOM {
		t.Skip("counts DOM writes: GOOS=js")
	}
	h := newHarness(t)
	keys := state.NewSignalFunc(h.g, []int{0, 1, 2, 3, 4, 5, 6, 7}, slices.Equal)
	h.load(func() app.UI {
		return Each(h.rt, app.Ul, keys.Get, func(k int) app.UI { return app.Li().Text(k) })
	})
	for _, tc := range []struct {
		name   string
		keys   []int
		writes int
	}{
		{"moving the first row to the end moves one row", []int{1, 2, 3, 4, 5, 6, 7, 0}, 1},
		{"swapping two rows moves two rows", []int{1, 2, 6, 4, 5, 3, 7, 0}, 2},
		{"deleting a row replaces it with an empty text node and moves none", []int{1, 2, 6, 5, 3, 7, 0}, 1},
		{"reversing four rows moves three", []int{1, 2, 6, 0, 7, 3, 5}, 3},
		// A new row costs two writes (its text; itself, appended or replacing
		// an empty slot's text node wherever that is); in a slot, it then moves.
		{"of two new rows, the one in the deleted row's slot is moved", []int{1, 2, 6, 0, 7, 3, 5, 8, 9}, 2 + 1 + 2},
		{"a new row that go-app appends at the end is not moved", []int{1, 2, 6, 0, 7, 3, 5, 8, 9, 10}, 2},
	} {
		before := domWrites()
		keys.Set(tc.keys)
		h.e.ConsumeAll()
		assert.Equal(t, tc.writes, domWrites()-before, tc.name)
	}
}

func TestLIS_keepsALongestRunOfIncreasingPositions(t *testing.T) {
	for _, tc := range []struct {
		pos  []int
		keep []bool
	}{
		{nil, nil},
		{[]int{0, 1, 2}, []bool{true, true, true}},
		{[]int{2, 1, 0}, []bool{false, false, true}},
		{[]int{1, 2, 0}, []bool{true, true, false}},
		{[]int{-1, 0, -1, 1}, []bool{false, true, false, true}},
		{[]int{3, 0, 1, 5, 2, 4}, []bool{false, true, true, false, true, true}},
	} {
		b := lisBuf{pos: tc.pos}
		assert.Equal(t, tc.keep, b.run(), "%v", tc.pos)
	}
}

func TestEach_anotherListInTheSamePlaceIsMountedAfresh(t *testing.T) {
	h := newHarness(t)
	ids := state.NewSignalFunc(h.g, []string{"a", "b"}, slices.Equal)
	bodies := []func() app.UI{
		func() app.UI {
			return Each(h.rt, app.Ul, ids.Get, func(id string) app.UI { return app.Li().Text("todo " + id) })
		},
		func() app.UI {
			return Each(h.rt, app.Ul, ids.Get, func(id string) app.UI { return app.Li().Text("list " + id) })
		},
	}
	sw := &switcher{bodies: bodies}
	h.e = app.NewTestEngine()
	resetDOM()
	require.NoError(t, h.e.Load(sw))
	h.e.ConsumeAll()
	require.NoError(t, h.e.Load(&switcher{Which: 1, bodies: bodies}))
	h.e.ConsumeAll()
	assert.Equal(t, "<div><ul><li>list a</li><li>list b</li></ul></div>", oneLine(app.HTMLString(sw)))
	ids.Set([]string{"b"})
	h.e.ConsumeAll()
	assert.Equal(t, "<div><ul><li>list b</li></ul></div>", oneLine(app.HTMLString(sw)))
}

func TestEach_addsALongListOverSeveralFrames(t *testing.T) {
	h := newHarness(t)
	keys := make([]int, 1200)
	for i := range keys {
		keys[i] = i
	}
	ids := state.NewSignalFunc(h.g, keys, slices.Equal)
	resetDOM()
	h.e = app.NewTestEngine()
	h.page = &page{body: func() app.UI {
		return Each(h.rt, app.Ul, ids.Get, func(k int) app.UI {
			return View(h.rt, func() app.UI { return app.Li().Text(k) })
		})
	}}
	require.NoError(t, h.e.Load(h.page))
	assert.Equal(t, 500, strings.Count(h.html(), "<li>"), "the first frame")
	h.e.ConsumeNext() // mount hooks, then a frame
	h.e.ConsumeAll()
	assert.Equal(t, 1200, strings.Count(h.html(), "<li>"))
	if hasDOM {
		var want strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&want, "<li>%d</li>", k)
		}
		assert.Equal(t, "<ul>"+want.String()+"</ul>", h.dom())
	}
}
