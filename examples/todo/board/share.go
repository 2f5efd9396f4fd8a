package board

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/ui"
)

// sharePanel is who the open board is shared with, in the signed-in demo.
// Its owner sees the users it shared it with, each with a button that
// revokes them, and a field that shares it with one more: the share shows
// at once, and rolls back with the server's reason under the field if the
// server refuses it (no such user, its owner, shared already). A member sees
// the owner and the others, and a button that leaves the board.
func (a *App) sharePanel(id string) app.UI {
	if a.Boards == nil {
		return nil
	}
	return ui.Setup(a.RT, func() func() app.UI {
		g := a.RT.Graph()
		draft := state.NewSignal(g, "")
		refusal := state.NewSignal(g, "") // the field's error
		submit := func(form app.Value) {
			user := strings.TrimSpace(draft.Peek())
			if user == "" {
				refusal.Set("Type the name of the user to share it with.")
				return
			}
			refusal.Set("")
			draft.Set("")
			form.Call("querySelector", "input").Set("value", "")
			l, _ := a.Lists.Get(id)
			a.Boards.Share(id, user).OnSettled(func(err error) {
				if err == nil {
					return
				}
				msg, aboutUser := "the server said no", false
				if me, ok := asMutationError(err); ok {
					msg = me.Body.Message
					if m := me.Fields()["user"]; m != "" {
						msg, aboutUser = m, true
					}
				}
				refusal.Set("“" + user + "” " + msg + ".")
				if draft.Peek() == "" { // give the name back unless another is being typed
					draft.Set(user)
				}
				if !aboutUser { // said under the field already otherwise
					a.refused("Couldn't share “"+l.Name+"” with "+user, err)
				}
			})
		}
		return func() app.UI {
			l, _ := a.Lists.Get(id)
			owner := a.Boards.Role(id) == model.RoleOwner || l.Owner == "" || l.Owner == a.user.Name
			with := a.Boards.SharedWith(id)
			people := []app.UI{person(cmp.Or(l.Owner, a.user.Name), a.user.Name, "owner", "person-owner", nil)}
			for _, u := range with {
				var revoke app.UI
				if owner {
					revoke = app.Button().Class("person-remove").DataSet("testid", "revoke").
						Title("Stop sharing with "+u).Aria("label", "Stop sharing “"+l.Name+"” with "+u).
						OnClick(ui.Do(func() {
							a.Boards.Revoke(id, u).OnSettled(func(err error) { a.refused("Couldn't stop sharing with "+u, err) })
						})).Text("×")
				}
				people = append(people, person(u, a.user.Name, "", "", revoke).DataSet("testid", "shared-with"))
			}
			head := "Shared with " + plural(len(with), "person", "people")
			if owner && len(with) == 0 {
				head = "Only you can see this board"
			} else if !owner {
				head = "Shared with you by " + l.Owner
			}
			return app.Section().Class("share").DataSet("testid", "share-panel").Aria("label", "Sharing").Body(
				app.Div().Class("share-row").Body(
					app.Div().Class("share-who").Body(
						app.P().Class("share-head").Text(head),
						app.Ul().Class("people").Body(people...),
					),
					app.If(owner, func() app.UI {
						msg := refusal.Get()
						list := "share-users-" + id
						return app.Form().Class("share-form").OnSubmit(ui.On(func(ctx app.Context, e app.Event) {
							e.PreventDefault()
							submit(ctx.JSSrc())
						})).Body(
							app.Div().Class("share-fields").Body(
								app.Input().Class("field"+cls(msg != "", " has-error")).DataSet("testid", "share-user").
									Placeholder("Share with…").Aria("label", "Share “"+l.Name+"” with").
									Aria("invalid", strconv.FormatBool(msg != "")).Attr("list", list).
									AutoComplete(false).Value(draft.Get()).
									OnInput(ui.OnValue(func(s string) { draft.Set(s); refusal.Set("") })),
								app.DataList().ID(list).Body(a.suggestions(l.Owner, with)...),
								app.Button().Type("submit").Class("button button-secondary").DataSet("testid", "share-submit").Text("Share"),
							),
							app.P().Class("field-error").DataSet("testid", "share-error").Aria("live", "polite").Text(msg),
						)
					}).Else(func() app.UI {
						return app.Button().Class("button button-quiet").DataSet("testid", "leave").
							Aria("label", "Leave “"+l.Name+"”").OnClick(ui.Do(func() { a.leave(id, l.Name) })).Text("Leave board")
					}),
				),
			)
		}
	})
}

// leave gives up board id, shared with the user: it closes at once, and
// comes back if the server refuses. (Leave first: it needs the board's
// shares, which go when it closes.)
func (a *App) leave(id, name string) {
	p := a.Boards.Leave(id)
	a.drop(id)
	p.OnSettled(func(err error) {
		if err != nil {
			a.undrop(id)
		}
		a.refused("Couldn't leave “"+name+"”", err)
	})
}

// suggestions are the demo's users the board may be shared with: neither
// its owner nor those it is shared with already.
func (a *App) suggestions(owner string, with []string) []app.UI {
	var out []app.UI
	for _, u := range a.user.Users {
		if u != owner && u != a.user.Name && !slices.Contains(with, u) {
			out = append(out, app.Option().Value(u))
		}
	}
	return out
}

// person is one user of a board: an initial, the name ("you" for me), a
// role, and a button (revoke) or none.
func person(name, me, role, class string, button app.UI) app.HTMLLi {
	label := name
	if name == me {
		label += " (you)"
	}
	return app.Li().Class("person "+class).DataSet("user", name).Body(
		avatar(name, ""),
		app.Span().Class("person-name").Text(label),
		app.If(role != "", func() app.UI { return app.Span().Class("person-role").Text(role) }),
		button,
	)
}

// avatar is a user's initial in a circle, its colour the name's.
func avatar(name, class string) app.UI {
	initial := "?"
	if name != "" {
		initial = strings.ToUpper(name[:1])
	}
	return app.Span().Class("avatar avatar-"+strconv.Itoa(hue(name))+" "+class).Aria("hidden", true).Text(initial)
}

// hue picks one of the six avatar colours for a name.
func hue(name string) int {
	h := 0
	for _, c := range name {
		h = h*31 + int(c)
	}
	return (h%6 + 6) % 6
}

// userMenu is who is signed in, and the button that signs out; nothing in
// the open demo.
func (a *App) userMenu() app.UI {
	if a.Boards == nil {
		return nil
	}
	return app.Div().Class("user-menu").DataSet("testid", "user-menu").Body(
		avatar(a.user.Name, ""),
		app.Span().Class("user-name").Title("Signed in as "+a.user.Name).Aria("label", "Signed in as "+a.user.Name).
			DataSet("testid", "signed-in-as").Text(a.user.Name),
		app.Button().Class("button button-ghost").DataSet("testid", "signout").OnClick(ui.Do(func() {
			if a.signOut != nil {
				a.signOut()
			}
		})).Text("Sign out"),
	)
}
