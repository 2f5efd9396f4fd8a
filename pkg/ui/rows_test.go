package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/ui/dom"
)

// modelRows is a Rows' DOM as a list of rows, each keeping what the user
// typed into it, as a browser's nodes do wherever they move.
type modelRows struct {
	rows                    []*modelRow
	fills, arranges, writes int
	moved, made             int
	kinds                   []string
	event                   rowEvent
}

type modelRow struct {
	tree  dom.Node
	typed string
}

func (m *modelRows) fill(html string, trees []dom.Node) {
	m.fills++
	m.rows = nil
	for _, t := range trees {
		m.rows = append(m.rows, &modelRow{tree: t})
	}
}

func (m *modelRows) arrange(removed []int, steps []rowStep) {
	m.arranges++
	old := slices.Clone(m.rows)
	m.rows = make([]*modelRow, len(steps))
	for i, s := range steps {
		switch {
		case s.old < 0:
			m.rows[i] = &modelRow{tree: s.tree}
			m.made++
		default:
			m.rows[i] = old[s.old]
			if !s.keep {
				m.moved++
			}
		}
	}
	for _, p := range removed {
		for _, r := range m.rows {
			require.NotSame(nil, old[p], r, "a removed row stays")
		}
	}
}

func (m *modelRows) patch(at int, ops []dom.Op, tree dom.Node) {
	m.writes += len(ops)
	m.rows[at].tree = tree
}

func (m *modelRows) listen(kinds []string) { m.kinds = append(m.kinds, kinds...) }
func (m *modelRows) close()                {}

func (m *modelRows) html() string {
	var b []string
	for _, r := range m.rows {
		b = append(b, dom.HTML(r.tree))
	}
	return strings.Join(b, "")
}

// rowsHarness mounts a Rows of the given keys, each row a title and an
// input whose draft is the row's own state.
type rowsHarness struct {
	*harness
	model  *modelRows
	keys   *state.Signal[[]string]
	titles map[string]*state.Signal[string]
	drafts map[string]*state.Signal[string]
	setups counter
	runs   counter
}

func newRowsHarness(t *testing.T, keys ...string) *rowsHarness {
	h := &rowsHarness{harness: newHarness(t), model: &modelRows{}, titles: map[string]*state.Signal[string]{},
		drafts: map[string]*state.Signal[string]{}, setups: counter{}, runs: counter{}}
	h.rt.rowsDOM = func(ctx app.Context, container app.Value, event rowEvent) rowsDOM {
		h.model.event = event
		return h.model
	}
	h.keys = state.NewSignalFunc(h.g, keys, nil)
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		h.titles[k] = state.NewSignal(h.g, "title "+k)
	}
	return h
}

func (h *rowsHarness) row(id string) func() dom.Node {
	h.setups.inc(id)
	draft := state.NewSignal(h.g, "")
	h.drafts[id] = draft
	return func() dom.Node {
		h.runs.inc(id)
		title := h.titles[id].Get()
		if d := draft.Get(); d != "" {
			title = d
		}
		return dom.Li().Data("id", id).Body(
			dom.Span().Text(title),
			dom.Input().Value(draft.Get()).OnInput(func(e app.Event) { draft.Set(e.Get("value").String()) }),
			dom.Button().Text("×").OnClick(func(app.Event) {
				h.keys.Set(slices.DeleteFunc(slices.Clone(h.keys.Peek()), func(k string) bool { return k == id }))
			}),
		)
	}
}

func (h *rowsHarness) mount() {
	h.load(func() app.UI {
		return Rows(h.rt, func() app.HTMLUl { return app.Ul().Class("todos") }, h.keys.Get, h.row)
	})
}

func (h *rowsHarness) ids() string {
	var ids []string
	for _, r := range h.model.rows {
		ids = append(ids, strings.SplitN(strings.TrimPrefix(dom.HTML(r.tree), `<li data-id="`), `"`, 2)[0])
	}
	return strings.Join(ids, ",")
}

func TestRows_fillOnceThenPatchOneRow(t *testing.T) {
	h := newRowsHarness(t, "a", "b", "c")
	h.mount()
	assert.Equal(t, 1, h.model.fills)
	assert.Equal(t, "a,b,c", h.ids())
	assert.Equal(t, `<ul class="todos"></ul>`, h.html(), "go-app holds the container alone")
	assert.Equal(t, []string{"click", "input"}, h.model.kinds, "one listener per event type, for the whole list")

	h.titles["b"].Set("Eggs")
	assert.Equal(t, counter{"a": 1, "b": 2, "c": 1}, h.runs, "one row renders")
	assert.Equal(t, 1, h.model.writes, "one DOM write: the title's text")
	assert.Contains(t, dom.HTML(h.model.rows[1].tree), "<span>Eggs</span>")
	h.titles["b"].Set("Eggs")
	assert.Equal(t, 2, h.runs["b"], "no change, no run")
	assert.Equal(t, 0, h.model.arranges)
	assert.Empty(t, h.errs)
}

func TestRows_eventsReachTheRowsHandlers(t *testing.T) {
	h := newRowsHarness(t, "a", "b", "c")
	h.mount()
	e := app.ValueOf(map[string]any{"value": "Oat milk"})
	h.model.event("input", e, 1, []int{1})
	if app.IsClient { // ValueOf carries the value only in a browser
		assert.Equal(t, "Oat milk", h.drafts["b"].Peek())
	}
	h.drafts["b"].Set("Oat milk")
	assert.Contains(t, dom.HTML(h.model.rows[1].tree), "<span>Oat milk</span>")

	h.model.event("click", app.Null(), 0, []int{2, 0}) // on the button's text: it bubbles to the button
	assert.Equal(t, "b,c", h.ids())
	h.model.event("click", app.Null(), 7, []int{2}) // a row that is gone: nothing
	h.model.event("keydown", app.Null(), 0, []int{1})
	assert.Equal(t, "b,c", h.ids())
	assert.Empty(t, h.errs)
}

// A handler that panics is reported to the graph's error handler; the
// program goes on (in a browser, a panic in an event ends it).
func TestRows_aPanickingHandlerIsReported(t *testing.T) {
	h := newRowsHarness(t, "a")
	h.load(func() app.UI {
		return Rows(h.rt, app.Ul, h.keys.Get, func(id string) func() dom.Node {
			return func() dom.Node {
				return dom.Li().Body(dom.Button().OnClick(func(app.Event) { panic("a bug in a handler") }))
			}
		})
	})
	h.model.event("click", app.Null(), 0, []int{0})
	require.Len(t, h.errs, 1)
	assert.ErrorContains(t, h.errs[0], "a bug in a handler")
}

// Issue 13's keyed-list case, on Rows: a rename typed into row 3 stays on
// its entity when row 1 is deleted; rows move as little as they can.
func TestRows_keyedAcrossInsertsDeletesAndReorders(t *testing.T) {
	h := newRowsHarness(t, "a", "b", "c", "d")
	h.mount()
	h.model.rows[2].typed = "half-typ" // what the browser holds in c's input
	h.drafts["c"].Set("half-typ")

	h.keys.Set([]string{"b", "c", "d"})
	assert.Equal(t, "b,c,d", h.ids())
	assert.Equal(t, "half-typ", h.model.rows[1].typed, "the typed text stays with c")
	assert.Equal(t, "half-typ", h.drafts["c"].Peek())
	assert.Equal(t, 0, h.model.moved)

	h.keys.Set([]string{"e", "b", "f", "c", "d"})
	assert.Equal(t, "e,b,f,c,d", h.ids())
	assert.Equal(t, 2, h.model.made)
	assert.Equal(t, 0, h.model.moved, "new rows go in between, nothing moves")

	h.keys.Set([]string{"b", "f", "c", "d", "e"})
	assert.Equal(t, "b,f,c,d,e", h.ids())
	assert.Equal(t, 1, h.model.moved, "one row moved to the end: one move")
	assert.Equal(t, "half-typ", h.model.rows[2].typed)

	h.keys.Set([]string{"b", "b", "c"})
	assert.Equal(t, "b,c", h.ids(), "a key twice keeps its first place")
	assert.Equal(t, counter{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1}, h.setups, "each key set up once")
	assert.Empty(t, h.errs)
}

// Nothing leaks: after mounting and dismounting a list fifty times, and
// rows coming and going, the graph holds what it held before.
func TestRows_releasesEverything(t *testing.T) {
	h := newRowsHarness(t)
	before := h.g.Stats()
	for i := range 50 {
		h.keys.Set([]string{"a", "b", "c"}[:1+i%3])
		h.mount()
		h.keys.Set([]string{"c", "d"})
		h.titles["d"].Set("t" + string(rune('a'+i%26)))
		h.unload()
	}
	assert.Equal(t, before, h.g.Stats())
	assert.Empty(t, h.errs)
}

// A render that panics is reported, and the row keeps its last tree.
func TestRows_aPanickingRenderKeepsTheLastTree(t *testing.T) {
	h := newRowsHarness(t, "a")
	boom := state.NewSignal(h.g, false)
	h.load(func() app.UI {
		return Rows(h.rt, app.Ul, h.keys.Get, func(id string) func() dom.Node {
			return func() dom.Node {
				if boom.Get() {
					panic("no row today")
				}
				return dom.Li().Text(h.titles[id].Get())
			}
		})
	})
	assert.Equal(t, "<li>title a</li>", h.model.html())
	boom.Set(true)
	require.Len(t, h.errs, 1)
	assert.Contains(t, h.errs[0].Error(), "no row today")
	assert.Equal(t, "<li>title a</li>", h.model.html())
	boom.Set(false)
	assert.Equal(t, "<li>title a</li>", h.model.html())
	h.titles["a"].Set("back")
	assert.Equal(t, "<li>back</li>", h.model.html())
}

// A parent that re-renders with a new keys func: the list follows what the
// new one reads, and keeps its rows.
func TestRows_aParentsNewKeysFuncIsFollowed(t *testing.T) {
	h := newRowsHarness(t, "a", "b")
	other := state.NewSignalFunc(h.g, []string{"c", "a"}, nil)
	useOther := state.NewSignal(h.g, false)
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			keys := h.keys.Get
			if useOther.Get() {
				keys = other.Get
			}
			return app.Div().Body(Rows(h.rt, app.Ul, keys, h.row))
		})
	})
	assert.Equal(t, "a,b", h.ids())
	useOther.Set(true)
	h.e.ConsumeAll()
	assert.Equal(t, "c,a", h.ids())
	other.Set([]string{"a"})
	assert.Equal(t, "a", h.ids(), "the new func's signal is tracked")
	h.keys.Set([]string{"b"})
	assert.Equal(t, "a", h.ids(), "the old one's is not")
	assert.Equal(t, counter{"a": 1, "b": 1, "c": 1}, h.setups, "a kept its row throughout")
	assert.Empty(t, h.errs)
}
