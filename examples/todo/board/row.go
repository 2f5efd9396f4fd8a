package board

import (
	"errors"
	"slices"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/ui"
)

// todoRow is one todo (spec/DOM.md §3): its checkbox, its title, a rename
// field whose draft the title previews as it is typed, buttons to move it up
// and down, and its delete button. The draft lives in the row, which Each
// keeps with its todo whatever happens to the rows around it.
func (a *App) todoRow(id string, list *store.View[model.Todo]) app.UI {
	return ui.Setup(a.RT, func() func() app.UI {
		g := a.RT.Graph()
		draft := state.NewSignal(g, "")
		editing := state.NewSignal(g, false)
		todo := func() model.Todo { t, _ := a.Todos.Get(id); return t }
		title := func() string {
			if editing.Get() {
				return draft.Get()
			}
			return todo().Title
		}
		done := func() string { return strconv.FormatBool(todo().Done) }
		toggle := func(on bool) {
			t := todo()
			t.Done = on
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
		return func() app.UI {
			return ui.View(a.RT, func() app.UI {
				t, ok := a.Todos.Get(id)
				if !ok {
					return nil
				}
				pending := a.Todos.IsPending(id)
				return app.Li().Class("todo"+cls(t.Done, " is-done")+cls(pending, " is-pending")).
					DataSet("testid", "todo-row").DataSet("id", id).DataSet("done", strconv.FormatBool(t.Done)).Body(
					app.Input().Type("checkbox").Class("todo-toggle").DataSet("testid", "todo-toggle").
						Aria("label", "Done: "+t.Title).Checked(t.Done).OnChange(ui.OnChecked(toggle)),
					app.Div().Class("todo-main").Body(
						app.Span().Class("todo-title").DataSet("testid", "todo-title").Body(ui.Text(a.RT, title)),
						app.Input().Class("todo-rename").DataSet("testid", "todo-rename").Aria("label", "Rename “"+t.Title+"”").
							Placeholder("Rename…").Value(draftValue(editing.Get(), draft.Get())).
							OnFocus(ui.Do(func() {
								if !editing.Peek() {
									draft.Set(todo().Title)
									editing.Set(true)
								}
							})).
							OnInput(ui.OnValue(func(s string) { draft.Set(s); editing.Set(true) })).
							OnKeyDown(ui.On(func(ctx app.Context, e app.Event) {
								switch e.Get("key").String() {
								case "Enter":
									e.PreventDefault()
									save()
								case "Escape":
									editing.Set(false)
									draft.Set("")
									ctx.JSSrc().Call("blur")
								}
							})).
							OnBlur(ui.Do(func() {
								if draft.Peek() == todo().Title {
									editing.Set(false) // nothing changed: back to the title
								}
							})),
					),
					app.Div().Class("todo-actions").Body(
						app.Button().Class("icon-button").Title("Move up").Aria("label", "Move “"+t.Title+"” up").
							OnClick(ui.Do(func() { move(-1) })).Text("↑"),
						app.Button().Class("icon-button").Title("Move down").Aria("label", "Move “"+t.Title+"” down").
							OnClick(ui.Do(func() { move(1) })).Text("↓"),
						app.Button().Class("icon-button todo-delete").DataSet("testid", "todo-delete").Title("Delete").
							Aria("label", "Delete “"+t.Title+"”").
							OnClick(ui.Do(func() {
								title := t.Title
								a.Todos.Delete.Run(id).OnSettled(func(err error) { a.refused("Couldn't delete “"+title+"”", err) })
							})).Text("×"),
					),
				)
			}, ui.LiveAttr("data-done", done))
		}
	})
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
