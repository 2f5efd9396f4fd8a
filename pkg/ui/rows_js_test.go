//go:build js

package ui

import (
	"slices"
	"strconv"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/ui/dom"
)

// Rows on a DOM (the tests' small one, in Node): one innerHTML, patches in
// place, delegated events, keyed moves, checked and value properties.
func TestRows_inTheDOM(t *testing.T) {
	h := newHarness(t)
	g := h.g
	keys := state.NewSignalFunc(g, []string{"a", "b", "c"}, nil)
	done := map[string]*state.Signal[bool]{}
	titles := map[string]*state.Signal[string]{}
	for _, k := range []string{"a", "b", "c", "d"} {
		done[k], titles[k] = state.NewSignal(g, false), state.NewSignal(g, "title "+k)
	}
	drafts := map[string]*state.Signal[string]{}
	h.load(func() app.UI {
		return Rows(h.rt, func() app.HTMLUl { return app.Ul().DataSet("testid", "list") }, keys.Get, func(id string) func() dom.Node {
			draft := state.NewSignal(g, "")
			drafts[id] = draft
			return func() dom.Node {
				title := titles[id].Get()
				if d := draft.Get(); d != "" {
					title = d
				}
				return dom.Li().Data("id", id).Data("done", strconv.FormatBool(done[id].Get())).Body(
					dom.Input().Type("checkbox").Checked(done[id].Get()).OnChange(func(e app.Event) {
						done[id].Set(e.Get("target").Get("checked").Bool())
					}),
					dom.Span().Text(title),
					dom.Input().Value(draft.Get()).OnInput(func(e app.Event) { draft.Set(e.Get("target").Get("value").String()) }),
					dom.Button().Text("×").OnClick(func(app.Event) {
						keys.Set(slices.DeleteFunc(slices.Clone(keys.Peek()), func(k string) bool { return k == id }))
					}),
				)
			}
		})
	})
	list := h.page.JSValue() // the page's root is the list's container
	require.Equal(t, "list", list.Call("getAttribute", "data-testid").String())
	row := func(id string) app.Value { return list.Call("querySelector", `[data-id="`+id+`"]`) }
	ids := func() string {
		var out []string
		for i := range list.Get("childNodes").Length() {
			out = append(out, list.Get("childNodes").Index(i).Call("getAttribute", "data-id").String())
		}
		return strconv.Quote(join(out))
	}
	require.Equal(t, `"a,b,c"`, ids())
	assert.Equal(t, `<li data-done="false" data-id="b"><input type="checkbox" .value=""></input><span>title b</span><input value="" .value=""></input><button>×</button></li>`,
		domHTML(row("b")))
	row("b").Set("marker", "kept") // the same node, unless replaced

	// A change patches the row in place: one text write.
	writes := domWrites()
	titles["b"].Set("Eggs & <ham>")
	assert.Equal(t, 1, domWrites()-writes)
	assert.Equal(t, "Eggs & <ham>", row("b").Get("childNodes").Index(1).Get("textContent").String())
	assert.Equal(t, "kept", row("b").Get("marker").String())

	// Typing reaches the row's handler through the list's one listener.
	input := row("c").Get("childNodes").Index(2)
	dispatchEvent(input, "input", map[string]any{"value": "half-typ"})
	h.e.ConsumeAll()
	assert.Equal(t, "half-typ", drafts["c"].Peek())
	assert.Equal(t, "half-typ", row("c").Get("childNodes").Index(1).Get("textContent").String(), "the title previews the draft")
	assert.Equal(t, "half-typ", input.Get("value").String())

	// The checkbox: a click, then the state from elsewhere.
	box := row("a").Get("childNodes").Index(0)
	dispatchEvent(box, "change", map[string]any{"checked": true})
	h.e.ConsumeAll()
	assert.True(t, done["a"].Peek())
	assert.Equal(t, "true", row("a").Call("getAttribute", "data-done").String())
	done["a"].Set(false) // a rollback
	assert.False(t, box.Get("checked").Bool(), "checked follows the tree, not only the attribute")

	// A click on the delete button's text deletes the row above c: c keeps
	// its node and what was typed into it.
	dispatchEvent(row("b").Get("childNodes").Index(3).Get("firstChild"), "click", nil)
	h.e.ConsumeAll()
	assert.Equal(t, `"a,c"`, ids())
	assert.Equal(t, "half-typ", row("c").Get("childNodes").Index(2).Get("value").String())

	// Inserts and a reorder keep every row's node.
	row("c").Set("marker", "c")
	keys.Set([]string{"d", "c", "a"})
	assert.Equal(t, `"d,c,a"`, ids())
	assert.Equal(t, "c", row("c").Get("marker").String())
	assert.Equal(t, "half-typ", row("c").Get("childNodes").Index(2).Get("value").String())
	assert.Equal(t, `<li data-done="false" data-id="d"><input type="checkbox" .value=""></input><span>title d</span><input value="" .value=""></input><button>×</button></li>`,
		domHTML(row("d")))
	dispatchEvent(row("d").Get("childNodes").Index(2), "input", map[string]any{"value": "new row"})
	h.e.ConsumeAll()
	assert.Equal(t, "new row", drafts["d"].Peek(), "a new row's events reach it")

	// Dismounted, the list leaves no listener behind.
	h.unload()
	assert.Equal(t, 0, app.Window().Get("Object").Call("keys", list.Get("listeners")).Length()-countEmpty(list))
	assert.Empty(t, h.errs)
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// countEmpty counts the event types left with no listener.
func countEmpty(el app.Value) int {
	n := 0
	ls := el.Get("listeners")
	keys := app.Window().Get("Object").Call("keys", ls)
	for i := range keys.Length() {
		if ls.Get(keys.Index(i).String()).Length() == 0 {
			n++
		}
	}
	return n
}
