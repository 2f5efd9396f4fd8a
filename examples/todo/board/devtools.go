package board

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/ui"
)

// devtoolsParts returns the devtools button and panel, or nothing when the
// build does not enable them.
func (a *App) devtoolsParts() app.UI {
	if !a.cfg.Devtools {
		return nil
	}
	return app.Div().Class("devtools-host").Body(
		ui.View(a.RT, func() app.UI {
			open := a.devtools.Get()
			return app.Button().Class("button button-ghost devtools-toggle"+cls(open, " is-on")).
				Title("Devtools (Ctrl+Shift+D)").Aria("pressed", strconv.FormatBool(open)).
				DataSet("testid", "devtools-toggle").
				OnClick(ui.Do(func() { a.devtools.Set(!a.devtools.Peek()) })).Text("Devtools")
		}),
		ui.View(a.RT, func() app.UI {
			if !a.devtools.Get() {
				return nil
			}
			return a.devtoolsPanel()
		}),
	)
}

// devtoolsPanel shows the query cache, the queue of mutations, the stream
// and the rollbacks, each a view of its own.
func (a *App) devtoolsPanel() app.UI {
	return ui.Setup(a.RT, func() func() app.UI {
		g := a.RT.Graph()
		tab := state.NewSignal(g, "queue")
		// The query cache lives outside the graph: a source over its events.
		queries := state.FromSourceFunc(g, func() []cache.QueryInfo { return a.Cache.Find(cache.Filter{}) },
			func(changed func()) func() { return a.Cache.Subscribe(func(cache.Event) { changed() }) }, nil)
		tabs := []struct{ id, label string }{{"queue", "Queue"}, {"stream", "Stream"}, {"queries", "Queries"}, {"rollbacks", "Rollbacks"}}
		return func() app.UI {
			return app.Aside().Class("devtools").Aria("label", "Devtools").DataSet("testid", "devtools").Body(
				ui.View(a.RT, func() app.UI {
					cur := tab.Get()
					items := make([]app.UI, len(tabs))
					for i, t := range tabs {
						items[i] = app.Button().Class("dt-tab"+cls(cur == t.id, " is-on")).Aria("selected", strconv.FormatBool(cur == t.id)).
							OnClick(ui.Do(func() { tab.Set(t.id) })).Text(t.label)
					}
					return app.Div().Class("dt-tabs").Body(items...)
				}),
				ui.View(a.RT, func() app.UI {
					switch tab.Get() {
					case "stream":
						return a.dtStream()
					case "queries":
						return dtQueries(queries.Get(), a.Cache.Clock().Now())
					case "rollbacks":
						return a.dtRollbacks()
					}
					return a.dtQueue()
				}),
			)
		}
	})
}

func (a *App) dtQueue() app.UI {
	out := a.Store.Outbox()
	if len(out) == 0 {
		return dtEmpty("No mutation waiting for the server. clientID " + a.Store.ClientID())
	}
	rows := make([]app.UI, len(out))
	for i, p := range out {
		what := p.Kind + " " + p.Collection + "/" + short(p.ID)
		if len(p.Fields) > 0 {
			what += " {" + strings.Join(p.Fields, ", ") + "}"
		}
		rows[i] = app.Tr().Body(
			app.Td().Text(strconv.FormatUint(p.MutationID, 10)),
			app.Td().Body(app.Span().Class("dt-state dt-"+p.State).Text(p.State)),
			app.Td().Text(what),
			app.Td().Text(strconv.Itoa(p.Attempts)),
			app.Td().Class("dt-dim").Text(short(p.ClientID)),
		)
	}
	return dtTable([]string{"mutation", "state", "change", "tries", "client"}, rows)
}

func (a *App) dtStream() app.UI {
	topics := a.Sync.Topics()
	events := a.Sync.RecentEvents()
	trows := make([]app.UI, len(topics))
	for i, t := range topics {
		trows[i] = app.Tr().Body(
			app.Td().Text(t.Name),
			app.Td().Body(app.Span().Class("dt-state dt-"+t.Phase).Text(t.Phase)),
			app.Td().Text(strconv.FormatUint(t.Cursor.Seq, 10)),
			app.Td().Class("dt-dim").Text(short(t.Cursor.Epoch)),
		)
	}
	erows := make([]app.UI, 0, len(events))
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		erows = append(erows, app.Tr().Body(
			app.Td().Class("dt-dim").Text(e.At.Format("15:04:05.000")),
			app.Td().Text(e.Topic+" #"+strconv.FormatUint(e.Seq, 10)),
			app.Td().Text(string(e.Op)+" "+short(e.ID)),
			app.Td().Text(cls(e.Own, "own")),
		))
	}
	return app.Div().Body(
		app.P().Class("dt-line").Text("Connection: "+a.Sync.State().String()),
		dtTable([]string{"topic", "phase", "cursor", "epoch"}, trows),
		app.H3().Class("dt-h").Text("Last events"),
		dtTable([]string{"at", "event", "op", ""}, erows),
	)
}

func dtQueries(qs []cache.QueryInfo, now time.Time) app.UI {
	if len(qs) == 0 {
		return dtEmpty("No query in the cache.")
	}
	rows := make([]app.UI, len(qs))
	for i, q := range qs {
		age := "—"
		if !q.DataUpdatedAt.IsZero() {
			age = now.Sub(q.DataUpdatedAt).Round(time.Second).String() + " ago"
		}
		status := fmt.Sprint(q.Status)
		if q.IsStale {
			status += ", stale"
		}
		rows[i] = app.Tr().Body(
			app.Td().Text(fmt.Sprint([]any(q.Key))),
			app.Td().Body(app.Span().Class("dt-state").Text(status)),
			app.Td().Text(fmt.Sprint(q.FetchStatus)),
			app.Td().Text(strconv.Itoa(q.Observers)),
			app.Td().Class("dt-dim").Text(age),
		)
	}
	return dtTable([]string{"key", "status", "fetch", "observers", "updated"}, rows)
}

func (a *App) dtRollbacks() app.UI {
	rbs := a.Store.Rollbacks()
	if len(rbs) == 0 {
		return dtEmpty("No change rolled back.")
	}
	rows := make([]app.UI, 0, len(rbs))
	for i := len(rbs) - 1; i >= 0; i-- {
		r := rbs[i]
		why := r.Message
		for f, m := range r.Fields {
			why = f + ": " + m
		}
		rows = append(rows, app.Tr().Body(
			app.Td().Class("dt-dim").Text(r.At.Format("15:04:05")),
			app.Td().Text(strconv.FormatUint(r.MutationID, 10)),
			app.Td().Text(r.Kind+" "+r.Collection+"/"+short(r.ID)),
			app.Td().Text(strconv.Itoa(r.Status)+" "+r.Code),
			app.Td().Text(why),
		))
	}
	return dtTable([]string{"at", "mutation", "change", "answer", "why"}, rows)
}

func dtTable(head []string, rows []app.UI) app.UI {
	ths := make([]app.UI, len(head))
	for i, h := range head {
		ths[i] = app.Th().Text(h)
	}
	return app.Table().Class("dt-table").Body(app.THead().Body(app.Tr().Body(ths...)), app.TBody().Body(rows...))
}

func dtEmpty(text string) app.UI { return app.P().Class("dt-empty").Text(text) }

// short abbreviates a long id for the panel.
func short(s string) string {
	if len(s) > 10 {
		return s[:8] + "…"
	}
	return s
}
