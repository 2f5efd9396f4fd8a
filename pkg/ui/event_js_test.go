//go:build js

// These tests fire DOM events: they run under GOOS=js (make test-wasm), on
// the fake DOM of dom_js_test.go.
package ui

import (
	"slices"
	"strconv"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
)

func (h *harness) find(testid string) app.Value {
	h.t.Helper()
	el := h.page.JSValue().Call("querySelector", `[data-testid="`+testid+`"]`)
	require.True(h.t, el.Truthy(), "%s is in the DOM", testid)
	return el
}

// A counter page: one view shows the count, another holds the button.
func loadCounter(h *harness, handler func(count *state.Signal[int]) app.EventHandler) (count *state.Signal[int], n counter) {
	count = state.NewSignal(h.g, 0)
	n = counter{}
	h.load(func() app.UI {
		return app.Div().Body(
			View(h.rt, func() app.UI { n.inc("shown"); return app.P().Text(count.Get()) }),
			View(h.rt, func() app.UI {
				n.inc("button")
				return app.Button().DataSet("testid", "inc").Text("+").OnClick(handler(count))
			}),
		)
	})
	return count, n
}

func TestOn_aClickRerendersOnlyTheViewsThatReadWhatTheHandlerChanged(t *testing.T) {
	h := newHarness(t)
	_, n := loadCounter(h, func(count *state.Signal[int]) app.EventHandler {
		return On(func(ctx app.Context, e app.Event) { count.Update(func(v int) int { return v + 1 }) })
	})
	dispatchEvent(h.find("inc"), "click", nil)
	h.e.ConsumeAll()
	assert.Equal(t, `<div><p>1</p><button data-testid="inc">+</button></div>`, h.dom())
	assert.Equal(t, counter{"shown": 2, "button": 1}, n)
	assert.Equal(t, 1, h.page.renders)
}

func TestDo_isOnWithoutTheContextAndEvent(t *testing.T) {
	h := newHarness(t)
	_, n := loadCounter(h, func(count *state.Signal[int]) app.EventHandler {
		return Do(func() { count.Update(func(v int) int { return v + 1 }) })
	})
	dispatchEvent(h.find("inc"), "click", nil)
	dispatchEvent(h.find("inc"), "click", nil)
	h.e.ConsumeAll()
	assert.Equal(t, `<div><p>2</p><button data-testid="inc">+</button></div>`, h.dom())
	assert.Equal(t, counter{"shown": 3, "button": 1}, n, "a render per change, the button's view none")
	assert.Equal(t, 1, h.page.renders)
}

// A handler that panics is logged; the app goes on and the next event is
// handled (in a browser, a panic in an event would end the program).
func TestDo_aPanickingHandlerDoesNotEndTheApp(t *testing.T) {
	h := newHarness(t)
	first := true
	_, _ = loadCounter(h, func(count *state.Signal[int]) app.EventHandler {
		return Do(func() {
			if first {
				first = false
				panic("a bug in a handler")
			}
			count.Update(func(v int) int { return v + 1 })
		})
	})
	dispatchEvent(h.find("inc"), "click", nil)
	h.e.ConsumeAll()
	dispatchEvent(h.find("inc"), "click", nil)
	h.e.ConsumeAll()
	assert.Equal(t, `<div><p>1</p><button data-testid="inc">+</button></div>`, h.dom())
}

func TestOn_aPlainHandlerStillWorksAndRerendersTheAncestors(t *testing.T) {
	h := newHarness(t)
	_, n := loadCounter(h, func(count *state.Signal[int]) app.EventHandler {
		return func(ctx app.Context, e app.Event) { count.Update(func(v int) int { return v + 1 }) }
	})
	dispatchEvent(h.find("inc"), "click", nil)
	h.e.ConsumeAll()
	assert.Equal(t, `<div><p>1</p><button data-testid="inc">+</button></div>`, h.dom())
	assert.Equal(t, 2, n["button"], "go-app re-rendered the button's view")
	assert.Equal(t, 2, h.page.renders, "and the page")
}

func TestOnValue_bindsAnInputToASignalBothWays(t *testing.T) {
	h := newHarness(t)
	name := state.NewSignal(h.g, "Ada")
	renders := 0
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			renders++
			return app.Div().Body(app.Input().DataSet("testid", "name").Value(name.Get()).OnInput(OnValue(name.Set)))
		})
	})
	input := h.find("name")
	assert.Equal(t, "Ada", input.Get("value").String())

	dispatchEvent(input, "input", map[string]any{"value": "Grace"})
	h.e.ConsumeAll()
	assert.Equal(t, "Grace", name.Peek())

	name.Set("Hopper")
	h.e.ConsumeAll()
	assert.Equal(t, "Hopper", input.Get("value").String())
	assert.Equal(t, 3, renders)
}

func TestOnChecked_bindsACheckboxToASignal(t *testing.T) {
	h := newHarness(t)
	done := state.NewSignal(h.g, false)
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			return app.Label().DataSet("done", strconv.FormatBool(done.Get())).Body(
				app.Input().Type("checkbox").DataSet("testid", "toggle").Checked(done.Get()).OnChange(OnChecked(done.Set)),
			)
		})
	})
	dispatchEvent(h.find("toggle"), "change", map[string]any{"checked": true})
	h.e.ConsumeAll()
	assert.True(t, done.Peek())
	assert.Equal(t, `<label data-done="true"><input data-testid="toggle" type="checkbox" .value="" .checked></input></label>`, h.dom())
}

// The keystroke path of the demo: typing in a row's rename input shows in the
// row's title through Text, written to the DOM by the handler's own dispatch:
// no view re-renders for it, the rest of the list least of all.
func TestKeystroke_reachesTheTitleWithoutRerenderingTheListOrOtherRows(t *testing.T) {
	h := newHarness(t)
	ids := state.NewSignalFunc(h.g, []string{"t1", "t2", "t3"}, slices.Equal)
	rows := map[string]*todoRow{}
	renders := 0
	lists := 0
	h.load(func() app.UI {
		return View(h.rt, func() app.UI {
			lists++
			return Each(h.rt, app.Ul, ids.Get, func(id string) app.UI {
				rows[id] = newTodoRow(h.rt, id, &renders)
				return rows[id]
			})
		})
	})
	require.Equal(t, 3, renders)
	input := rowElement(h, "t2").Call("querySelector", `[data-testid="todo-rename"]`)
	title := rowElement(h, "t2").Call("querySelector", `[data-testid="todo-title"]`)

	dispatchEvent(input, "input", map[string]any{"value": "o"})
	h.e.ConsumeNext() // the handler's dispatch
	assert.Equal(t, "o", title.Get("textContent").String())

	h.e.ConsumeAll()
	assert.Equal(t, 4, renders, "t2's row re-rendered once, for its input's value")
	assert.Equal(t, 1, lists)
	assert.Equal(t, 1, h.page.renders)
	assert.Equal(t, []string{"t1=title t1|", "t2=o|o", "t3=title t3|"}, domRows(h))
}
