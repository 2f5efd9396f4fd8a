package board

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/ui"
)

// noticeTime is how long a notice stays.
const noticeTime = 6 * time.Second

// page lays the board out; each part is a view of its own that re-renders
// alone, so the page itself never does.
func page(sidebar, main, badge, toasts, devtools, user app.UI) app.UI {
	return app.Div().Class("app").Body(
		app.Header().Class("topbar").Body(
			brand(),
			app.Div().Class("topbar-end").Body(badge, devtools, user),
		),
		app.Div().Class("layout").Body(
			app.Nav().Class("sidebar").Aria("label", "Lists").Body(sidebar),
			app.Main().Class("content").Body(main),
		),
		toasts,
	)
}

// brand is the topbar's name.
func brand() app.UI {
	return app.Div().Class("brand").Body(
		app.Span().Class("brand-mark").Aria("hidden", true).Text("◆"),
		app.Span().Class("brand-name").Text("Tandem"),
		app.Span().Class("brand-sub").Text("board"),
	)
}

// sidebar shows the lists and the form that adds one; in the signed-in
// demo, the user's own boards, the form, and the boards shared with it.
func (a *App) sidebar() app.UI {
	if !a.loaded.Get() {
		return skeletonLists()
	}
	newList := a.newListForm()
	if a.Boards != nil {
		return app.Div().DataSet("testid", "lists").Body(
			app.H2().Class("sidebar-title").Text("My boards"),
			ui.Each(a.RT, func() app.HTMLUl {
				return app.Ul().Class("lists").DataSet("testid", "boards-owned")
			}, a.owned.Get, a.listItem),
			ui.View(a.RT, func() app.UI {
				if len(a.owned.Get()) > 0 {
					return nil
				}
				return app.P().Class("sidebar-empty").Text("No boards of your own yet: name one below.")
			}),
			newList,
			app.H2().Class("sidebar-title sidebar-title-next").Text("Shared with me"),
			ui.Each(a.RT, func() app.HTMLUl {
				return app.Ul().Class("lists").DataSet("testid", "boards-shared")
			}, a.shared.Get, a.listItem),
			ui.View(a.RT, func() app.UI {
				if len(a.shared.Get()) > 0 {
					return nil
				}
				return app.P().Class("sidebar-empty").Text("Nothing yet. Boards others share with you show here, live.")
			}),
		)
	}
	return app.Div().Body(
		app.H2().Class("sidebar-title").Text("Lists"),
		ui.Each(a.RT, func() app.HTMLUl {
			return app.Ul().Class("lists").DataSet("testid", "lists")
		}, a.lists.IDs, a.listItem),
		newList,
	)
}

// listItem is one list in the sidebar: a link that opens it, its count of
// open todos, and its delete button. A board shared with the user names
// its owner instead: only the owner deletes a board. (The signed-in demo
// syncs the todos of the open board only, so only it has a count.)
func (a *App) listItem(id string) app.UI {
	return ui.Setup(a.RT, func() func() app.UI {
		open := a.Todos.View(store.Where(func(t model.Todo) bool { return t.ListID == id && !t.Done }))
		return func() app.UI {
			l, _ := a.Lists.Get(id)
			current := a.open.Get() == id
			owner := ""
			if a.Boards != nil && l.Owner != "" && l.Owner != a.user.Name {
				owner = l.Owner
			}
			li := app.Li().Class("list-item"+cls(owner == "", " is-deletable")).DataSet("id", id)
			if owner != "" {
				li = li.DataSet("owner", owner)
			}
			return li.Body(
				app.Button().Class("list-link"+cls(current, " is-open")).Aria("current", strconv.FormatBool(current)).
					OnClick(ui.Do(func() { a.open.Set(id) })).Body(
					app.If(owner == "", func() app.UI {
						return app.Span().Class("list-name").Text(l.Name)
					}).Else(func() app.UI {
						return app.Span().Class("list-text").Body(
							app.Span().Class("list-name").Text(l.Name),
							app.Span().Class("list-owner").Title("Shared with you by "+owner).Body(avatar(owner, "avatar-xs"), app.Text(owner)),
						)
					}),
					app.Span().Class("count").Text(countText(open.Len())),
				),
				app.If(owner == "", func() app.UI {
					return app.Button().Class("icon-button list-delete").Title("Delete "+a.noun()+" "+l.Name).Aria("label", "Delete "+a.noun()+" "+l.Name).
						OnClick(ui.Do(func() {
							name := l.Name
							p := a.Lists.Delete.Run(id)
							if a.Boards != nil {
								a.drop(id)
							}
							p.OnSettled(func(err error) {
								if err != nil && a.Boards != nil {
									a.undrop(id)
								}
								a.refused("Couldn't delete “"+name+"”", err)
							})
						})).Text("×")
				}),
			)
		}
	})
}

// noun is what the lists are called: boards in the signed-in demo.
func (a *App) noun() string {
	if a.Boards != nil {
		return "board"
	}
	return "list"
}

func countText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func cls(on bool, class string) string {
	if on {
		return class
	}
	return ""
}

// newListForm adds a list at the end.
func (a *App) newListForm() app.UI {
	return ui.Setup(a.RT, func() func() app.UI {
		f := store.NewForm(a.RT.Graph(), a.Lists.Create.Form(), model.List{})
		submit := func(form app.Value) {
			v := f.Value()
			v.Position = nextPosition(a.lists.Items(), func(l model.List) float64 { return l.Position })
			f.Set(v)
			if err := a.Lists.Create.Form().Validate(v); err != nil {
				f.Submit(a.Lists.Create.Run)
				return
			}
			v.ID = store.NewID()
			p := a.Lists.Create.Run(v)
			f.Reset(model.List{})
			form.Call("querySelector", "input").Set("value", "")
			a.open.Set(v.ID)
			p.OnSettled(func(err error) { a.refused("Couldn't add the list “"+v.Name+"”", err) })
		}
		return func() app.UI {
			msg := f.Error("name")
			return app.Form().Class("new-list").OnSubmit(ui.On(func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				submit(ctx.JSSrc())
			})).Body(
				app.Input().Class("field").Placeholder("New "+a.noun()).Aria("label", "New "+a.noun()+" name").
					Value(f.Value().Name).OnInput(ui.OnValue(func(s string) { f.Update(func(l *model.List) { l.Name = s }) })).
					OnBlur(ui.Do(func() {
						// Leaving the field empty is no mistake (the focus goes to the new
						// list's todo field after a submit): the rules show once typed in.
						if f.Value().Name != "" {
							f.Touch("name")
						}
					})),
				app.If(msg != "", func() app.UI { return app.P().Class("field-error").Text(msg) }),
			)
		}
	})
}

// nextPosition returns a position after every item's.
func nextPosition[T any](items []T, pos func(T) float64) float64 {
	p := 0.0
	for _, it := range items {
		p = max(p, pos(it))
	}
	return p + 1
}

// main shows the open list: its name, the form that adds a todo, and its
// todos. One keyed entry per open list, so a list's views and forms are
// made when it opens and released when another does.
func (a *App) main() app.UI {
	if !a.loaded.Get() {
		return skeletonMain()
	}
	if a.Boards != nil {
		if !a.anyOpen.Get() {
			return a.emptyBoard()
		}
		return ui.Each(a.RT, func() app.HTMLDiv { return app.Div().Class("list-panel-host") }, func() []string {
			return []string{a.open.Get()}
		}, a.boardPanel)
	}
	if a.lists.Len() == 0 {
		return a.emptyBoard()
	}
	return ui.Each(a.RT, func() app.HTMLDiv { return app.Div().Class("list-panel-host") }, func() []string {
		if id := a.open.Get(); id != "" {
			return []string{id}
		}
		return nil
	}, a.listPanel)
}

// emptyBoard is what a board without lists shows.
func (a *App) emptyBoard() app.UI {
	if a.Boards != nil {
		return app.Div().Class("empty").Body(
			app.H2().Text("No boards yet"),
			app.P().Text("Name your first board under My boards, or ask someone to share theirs with you: it shows up here, live."),
		)
	}
	return app.Div().Class("empty").Body(
		app.H2().Text("No lists yet"),
		app.P().Text("Add one on the left: it shows here, and in every other tab, at once."),
	)
}

// listPanel is one open list.
//
// Not inlined: the open demo's main and the signed-in demo's boardPanel
// both call it, and each inlined copy would carry its own copy of every
// closure in it, about 40 kB of WebAssembly.
//
//go:noinline
func (a *App) listPanel(listID string) app.UI {
	return ui.Setup(a.RT, func() func() app.UI {
		todos := a.Todos.View(
			store.Where(func(t model.Todo) bool { return t.ListID == listID }),
			store.OrderBy(func(x, y model.Todo) int { return cmp.Compare(x.Position, y.Position) }))
		left := a.Todos.View(store.Where(func(t model.Todo) bool { return t.ListID == listID && !t.Done }))
		return func() app.UI {
			return app.Section().Class("list-panel").Aria("labelledby", "list-title").Body(
				ui.View(a.RT, func() app.UI {
					l, ok := a.Lists.Get(listID)
					if !ok {
						return a.emptyBoard()
					}
					return app.Div().Class("list-head").Body(
						app.H1().ID("list-title").Class("list-title").Text(l.Name),
						app.Span().Class("list-meta").Text(summary(left.Len(), todos.Len())),
					)
				}),
				a.sharePanel(listID),
				a.newTodoForm(listID, todos),
				ui.View(a.RT, func() app.UI {
					if todos.Len() == 0 {
						return app.P().Class("list-empty").Text("Nothing here yet. Add the first todo above.")
					}
					return nil
				}),
				ui.Rows(a.RT, func() app.HTMLUl {
					return app.Ul().Class("todos").DataSet("testid", "todo-list")
				}, todos.IDs, a.todoRow(todos)),
			)
		}
	})
}

func summary(left, all int) string {
	switch {
	case all == 0:
		return ""
	case left == 0:
		return "all done"
	case left == 1:
		return "1 left of " + strconv.Itoa(all)
	}
	return strconv.Itoa(left) + " left of " + strconv.Itoa(all)
}

// newTodoForm adds a todo at the end of the list, validated as the user
// types by the same form the server runs. The todo shows at once and the
// field empties; if the server refuses it (a title the list has already),
// it goes away and its title comes back to the field with the message.
func (a *App) newTodoForm(listID string, todos *store.View[model.Todo]) app.UI {
	return ui.Setup(a.RT, func() func() app.UI {
		f := store.NewForm(a.RT.Graph(), a.Todos.Create.Form(), model.Todo{ListID: listID})
		server := state.NewSignal(a.RT.Graph(), "")
		submit := func(form app.Value) {
			v := f.Value()
			v.Position = nextPosition(todos.Items(), func(t model.Todo) float64 { return t.Position })
			if err := a.Todos.Create.Form().Validate(v); err != nil {
				f.Submit(a.Todos.Create.Run) // shows every error, sends nothing
				return
			}
			server.Set("")
			f.Reset(model.Todo{ListID: listID})
			// go-app writes an input's value only when its render changes
			// it, and the last render may have had "" already.
			form.Call("querySelector", "input").Set("value", "")
			a.Todos.Create.Run(v).OnSettled(func(err error) {
				if err == nil {
					return
				}
				var title string
				if me, ok := asMutationError(err); ok {
					title = me.Fields()["title"]
				}
				if f.Value().Title == "" { // give the title back unless a new one is being typed
					f.Set(v)
				}
				if title != "" {
					server.Set(title)
				}
				a.refused("Couldn't add “"+strings.TrimSpace(v.Title)+"”", err)
			})
		}
		return func() app.UI {
			// autofocus, but not in the server's page: a browser focuses a
			// page's autofocus field once, and go-app replaces that field
			// with the one it mounts, which then would not get the focus.
			msg := server.Get()
			if m := f.Error("title"); m != "" {
				msg = m
			}
			return app.Form().Class("new-todo").OnSubmit(ui.On(func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				submit(ctx.JSSrc())
			})).Body(
				app.Div().Class("new-todo-row").Body(
					app.Input().Class("field field-large"+cls(msg != "", " has-error")).Placeholder("What needs doing?").
						Aria("label", "New todo").Aria("invalid", strconv.FormatBool(msg != "")).AutoFocus(!a.prerender).
						DataSet("testid", "new-todo-title").Value(f.Value().Title).
						OnInput(ui.OnValue(func(s string) {
							server.Set("")
							f.Update(func(t *model.Todo) { t.Title = s })
							f.Touch("title")
						})),
					app.Button().Type("submit").Class("button button-primary").DataSet("testid", "new-todo-submit").Text("Add"),
				),
				app.P().Class("field-error").DataSet("testid", "new-todo-error").Aria("live", "polite").Text(msg),
			)
		}
	})
}

// badge shows the connection: live, reconnecting, or offline (the browser
// says the network is gone) with the changes queued meanwhile. Its state and
// text reach the DOM as they change (LiveAttr, Text), as a row's do, rather
// than at go-app's next frame: in a page the server rendered, the frame after
// the stream went live was seen to wait for the next event from the network
// (the heartbeat, 15 s later), the badge saying "Connecting…" all along.
func (a *App) badge() app.UI {
	return ui.View(a.RT, a.badgeTree,
		ui.LiveAttr("class", func() string { state, _ := a.connection(); return "badge badge-" + state }),
		ui.LiveAttr("data-state", func() string { state, _ := a.connection(); return state }))
}

func (a *App) badgeTree() app.UI {
	state, _ := a.connection()
	return app.Div().Class("badge badge-"+state).DataSet("testid", "connection").DataSet("state", state).
		Aria("live", "polite").Body(
		app.Span().Class("badge-dot").Aria("hidden", true),
		app.Span().Body(ui.Text(a.RT, func() string { _, text := a.connection(); return text })),
	)
}

// connection returns, tracked, the badge's state (spec/DOM.md) and text.
func (a *App) connection() (state, text string) {
	st := a.Sync.State()
	queued := a.Store.PendingCount()
	state, text = "reconnecting", "Reconnecting…"
	switch {
	case !a.online():
		state, text = "offline", "Offline"
	case st == sync.Live:
		state, text = "live", "Live"
		a.wasLive = true
	case st == sync.Resyncing:
		text = "Catching up…"
	case st == sync.Unauthorized:
		text = "Signed out"
	case !a.wasLive || !a.loaded.Peek():
		text = "Connecting…" // not live yet since the page loaded
	}
	if queued > 0 && st != sync.Live {
		text += " · " + plural(queued, "change", "changes") + " queued"
	} else if queued > 0 {
		text += " · saving " + strconv.Itoa(queued)
	}
	return state, text
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// toasts shows the notices.
func (a *App) toasts() app.UI {
	ns := a.notices.Get()
	return app.Div().Class("toasts").Aria("live", "assertive").Body(
		app.Range(ns).Slice(func(i int) app.UI {
			n := ns[i]
			return app.Div().Class("toast").DataSet("testid", "notice").Body(
				app.Span().Text(n.Text),
				app.Button().Class("icon-button").Aria("label", "Dismiss").OnClick(ui.Do(func() {
					a.notices.Set(removeNotice(a.notices.Peek(), n.ID))
				})).Text("×"),
			)
		}),
	)
}

func removeNotice(ns []notice, id int) []notice {
	out := make([]notice, 0, len(ns))
	for _, n := range ns {
		if n.ID != id {
			out = append(out, n)
		}
	}
	return out
}

// skeletonLists and skeletonMain stand for the board while it loads: grey
// bars where the lists and todos will be, and no data-id anywhere
// (spec/DOM.md: no placeholder carries one).
func skeletonLists() app.UI {
	return app.Div().Class("skeleton").Aria("busy", true).Body(
		app.Div().Class("sk sk-title"),
		app.Div().Class("sk sk-line"), app.Div().Class("sk sk-line"), app.Div().Class("sk sk-line short"),
	)
}

func skeletonMain() app.UI {
	rows := make([]app.UI, 6)
	for i := range rows {
		rows[i] = app.Div().Class("sk-row").Body(app.Div().Class("sk sk-box"), app.Div().Class("sk sk-line"))
	}
	return app.Div().Class("skeleton").Aria("busy", true).Aria("label", "Loading the board").Body(
		app.Div().Class("sk sk-heading"),
		app.Div().Class("sk sk-field"),
		app.Div().Body(rows...),
	)
}
