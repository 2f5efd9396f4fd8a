package board

import (
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/ui"
)

// signInPage is the signed-in demo's first screen: what the demo is, that a
// name is enough to sign in, a button per demo user, and a field for any
// name, with the server's refusal under it.
func (s *SignedIn) signInPage() app.UI {
	return app.Div().Class("app").Body(
		app.Header().Class("topbar").Body(brand()),
		app.Main().Class("signin-page").Body(ui.View(s.RT, s.signInCard)),
	)
}

func (s *SignedIn) signInCard() app.UI {
	busy := s.busy.Get()
	msg := s.refusal.Get()
	users := make([]app.UI, len(s.users))
	for i, u := range s.users {
		label := "Continue"
		if busy == u {
			label = "Signing in…"
		}
		users[i] = app.Li().Body(
			app.Button().Class("signin-user").DataSet("testid", "signin-user").DataSet("user", u).
				Disabled(busy != "").Aria("label", "Sign in as "+u).OnClick(ui.Do(func() { s.SignIn(u) })).Body(
				avatar(u, "avatar-lg"),
				app.Span().Class("signin-user-name").Text(u),
				app.Span().Class("signin-user-go").Text(label),
			),
		)
	}
	typed := busy != "" && !slices.Contains(s.users, busy)
	return app.Section().Class("signin-card").DataSet("testid", "signin").Aria("labelledby", "signin-title").Body(
		app.P().Class("signin-kicker").Text("Demo · "+strconv.Itoa(len(s.users))+" people"),
		app.H1().ID("signin-title").Class("signin-title").Text("Sign in to the board"),
		app.P().Class("signin-lead").Text("Everyone has boards of their own, and sees the boards others share with them. Every change reaches the others live."),
		app.P().Class("signin-note").Body(
			app.Strong().Text("No password: "),
			app.Text("this is a demo, so a name is enough to sign in — and anyone may sign in as anyone."),
		),
		app.H2().Class("sidebar-title").Text("Sign in as"),
		app.Ul().Class("signin-users").Body(users...),
		app.Div().Class("signin-or").Aria("hidden", true).Body(app.Span().Text("or type a name")),
		app.Form().Class("signin-form").OnSubmit(ui.On(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			name := strings.TrimSpace(s.draft.Peek())
			if name == "" {
				s.refusal.Set("Type a name, or pick someone above.")
				return
			}
			s.SignIn(name)
		})).Body(
			app.Div().Class("signin-fields").Body(
				app.Input().Class("field"+cls(msg != "", " has-error")).ID("signin-name").DataSet("testid", "signin-name").
					Placeholder("Name").Aria("label", "Name").Aria("invalid", strconv.FormatBool(msg != "")).
					AutoComplete(false).Attr("autocapitalize", "off").Attr("spellcheck", "false").
					Value(s.draft.Get()).OnInput(ui.OnValue(func(v string) { s.draft.Set(v); s.refusal.Set("") })),
				app.Button().Type("submit").Class("button button-primary").Disabled(busy != "").
					DataSet("testid", "signin-submit").Text(cond(typed, "Signing in…", "Sign in")),
			),
			app.P().Class("field-error").DataSet("testid", "signin-error").Aria("live", "polite").Text(msg),
		),
		app.P().Class("signin-hint").Text("Two people side by side? Sign in as the second one in a private window."),
	)
}

func cond(c bool, yes, no string) string {
	if c {
		return yes
	}
	return no
}
