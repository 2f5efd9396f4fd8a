package board

import (
	"errors"
	"slices"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/ui/dom"
)

// todoRow is one todo (spec/DOM.md §3): its checkbox, its title, a rename
// field whose draft the title previews as it is typed, buttons to move it up
// and down, and its delete button. The draft lives in the row, which Rows
// keeps with its todo whatever happens to the rows around it. Rows are
// package dom's trees, not go-app's: a list of a thousand reaches the DOM as
// one innerHTML, and a keystroke costs one text write (see ui.Rows).
func (a *App) todoRow(list *store.View[model.Todo]) func(id string) func() dom.Node {
	return func(id string) func() dom.Node {
		g := a.RT.Graph()
		draft := state.NewSignal(g, "")
		editing := state.NewSignal(g, false)
		todo := func() model.Todo { t, _ := a.Todos.Get(id); return t }
		toggle := func(e app.Event) {
			t := todo()
			t.Done = e.Get("target").Get("checked").Bool()
			a.Todos.Toggle.Run(t).OnSettled(func(err error) { a.refused("Couldn't update “"+t.Title+"”", err) })
		}
		save := func() {
			t := todo()
			if !editing.Peek() || draft.Peek() == t.Title {
				editing.Set(false)
				return
			}
			t.Title = draft.Peek()
			p := a.Todos.Rename.Run(t)
			if err := p.Err(); err != nil && !isMutationError(err) {
				a.refused("Couldn't rename “"+todo().Title+"”", err) // the form's own rules: keep editing
				return
			}
			editing.Set(false)
			p.OnSettled(func(err error) { a.refused("Couldn't rename to “"+t.Title+"”", err) })
		}
		move := func(by int) {
			ids := list.IDs()
			i := slices.Index(ids, id)
			j := i + by
			if i < 0 || j < 0 || j >= len(ids) {
				return
			}
			// Between the neighbours on the far side of the row it passes.
			pos := func(k int) (float64, bool) {
				if k < 0 || k >= len(ids) {
					return 0, false
				}
				t, ok := a.Todos.Get(ids[k])
				return t.Position, ok
			}
			p1, _ := pos(j)
			p2, ok := pos(j + by)
			next := p1 + float64(by)
			if ok {
				next = (p1 + p2) / 2
			}
			t := todo()
			t.Position = next
			a.Todos.Move.Run(t).OnSettled(func(err error) { a.refused("Couldn't move “"+t.Title+"”", err) })
		}
		remove := func(app.Event) {
			title := todo().Title
			a.Todos.Delete.Run(id).OnSettled(func(err error) { a.refused("Couldn't delete “"+title+"”", err) })
		}
		clicked := false // the field got the focus from a click, which is not over yet
		focus := func(app.Event) {
			if !editing.Peek() {
				draft.Set(todo().Title)
				editing.Set(true)
				clicked = true
			}
		}
		// The field holds the title from the focus on; a click that focused it
		// puts the caret where it points, over the title: it goes to the end.
		click := func(e app.Event) {
			if clicked {
				clicked = false
				e.Get("target").Call("setSelectionRange", 1<<30, 1<<30) // clamped to the end
			}
		}
		input := func(e app.Event) {
			draft.Set(e.Get("target").Get("value").String())
			editing.Set(true)
		}
		key := func(e app.Event) {
			clicked = false
			switch e.Get("key").String() {
			case "Enter":
				e.PreventDefault()
				save()
			case "Escape":
				editing.Set(false)
				draft.Set("")
				e.Get("target").Call("blur")
			}
		}
		blur := func(app.Event) {
			if draft.Peek() == todo().Title {
				editing.Set(false) // nothing changed: back to the title
			}
		}
		return func() dom.Node {
			t, ok := a.Todos.Get(id)
			if !ok {
				return nil
			}
			title := t.Title
			if editing.Get() {
				title = draft.Get()
			}
			pending := a.Todos.IsPending(id)
			return dom.Li().Class("todo"+cls(t.Done, " is-done")+cls(pending, " is-pending")).
				Data("testid", "todo-row").Data("id", id).Data("done", strconv.FormatBool(t.Done)).Body(
				dom.Input().Type("checkbox").Class("todo-toggle").Data("testid", "todo-toggle").
					Aria("label", "Done: "+t.Title).Checked(t.Done).OnChange(toggle),
				dom.Div().Class("todo-main").Body(
					dom.Span().Class("todo-title").Data("testid", "todo-title").Text(title),
					dom.Input().Class("todo-rename").Data("testid", "todo-rename").Aria("label", "Rename “"+t.Title+"”").
						Placeholder("Rename…").Value(draftValue(editing.Get(), draft.Get())).
						OnFocus(focus).OnClick(click).OnInput(input).OnKeyDown(key).OnBlur(blur),
				),
				dom.Div().Class("todo-actions").Body(
					dom.Button().Class("icon-button").Title("Move up").Aria("label", "Move “"+t.Title+"” up").
						OnClick(func(app.Event) { move(-1) }).Text("↑"),
					dom.Button().Class("icon-button").Title("Move down").Aria("label", "Move “"+t.Title+"” down").
						OnClick(func(app.Event) { move(1) }).Text("↓"),
					dom.Button().Class("icon-button todo-delete").Data("testid", "todo-delete").Title("Delete").
						Aria("label", "Delete “"+t.Title+"”").OnClick(remove).Text("×"),
				),
			)
		}
	}
}

// draftValue is the rename field's value: the draft while editing.
func draftValue(editing bool, draft string) string {
	if editing {
		return draft
	}
	return ""
}

func isMutationError(err error) bool {
	_, ok := asMutationError(err)
	return ok
}

func asMutationError(err error) (*store.MutationError, bool) {
	var me *store.MutationError
	ok := errors.As(err, &me)
	return me, ok
}
