// Package devtools is the in-app devtools panel of a Tandem app on go-app:
// the query cache (keys, status, staleness, observers, last update), the
// queue of mutations waiting for the server (clientID, mutationID, state,
// tries), the realtime stream (the connection, each topic's phase and
// cursor, the last events) and the rollbacks with their reasons. A button
// opens it, and so does Ctrl+Shift+D.
//
// It is meant for development builds: an app includes it behind a build tag
// (the demo's is "devtools"), so production builds carry none of it.
//
//	devtools.Panel(rt, devtools.Sources{Store: st, Sync: rt, Cache: cc})
package devtools

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/ui"
)

// Sources are what the panel shows; Cache may be nil for an app without a
// query cache.
type Sources struct {
	Store *store.Store
	Sync  *sync.Client
	Cache *cache.Client
}

type panel struct {
	rt   *ui.Runtime
	src  Sources
	open *state.Signal[bool]   // whether the panel shows
	tab  *state.Signal[string] // the tab it shows
}

// Panel returns the devtools' button, which opens and closes the panel,
// and the panel itself; mount it once, in a component's tree. Ctrl+Shift+D
// toggles it too.
func Panel(rt *ui.Runtime, src Sources) app.UI {
	return &host{p: &panel{rt: rt, src: src, open: state.NewSignal(rt.Graph(), false), tab: state.NewSignal(rt.Graph(), "queue")}}
}

// host listens for the shortcut while it is mounted.
type host struct {
	app.Compo
	p        *panel
	shortcut app.Func
}

func (h *host) Render() app.UI { return h.p.parts() }

// OnMount listens for Ctrl+Shift+D.
func (h *host) OnMount(ctx app.Context) {
	g := h.p.rt.Graph()
	h.shortcut = app.FuncOf(func(this app.Value, args []app.Value) any {
		e := args[0]
		if e.Get("ctrlKey").Bool() && e.Get("shiftKey").Bool() && strings.EqualFold(e.Get("key").String(), "d") {
			e.Call("preventDefault")
			g.Schedule(func() { h.p.open.Set(!h.p.open.Peek()) })
		}
		return nil
	})
	app.Window().Call("addEventListener", "keydown", h.shortcut)
}

// OnDismount stops listening.
func (h *host) OnDismount() {
	if h.shortcut != nil {
		app.Window().Call("removeEventListener", "keydown", h.shortcut)
		h.shortcut.Release()
		h.shortcut = nil
	}
}

// parts are the button and the panel.
func (p *panel) parts() app.UI {
	a := p
	return app.Div().Class("devtools-host").Body(
		ui.View(a.rt, func() app.UI {
			open := a.open.Get()
			return app.Button().Class("button button-ghost devtools-toggle"+cls(open, " is-on")).
				Title("Devtools (Ctrl+Shift+D)").Aria("pressed", strconv.FormatBool(open)).
				DataSet("testid", "devtools-toggle").
				OnClick(ui.Do(func() { a.open.Set(!a.open.Peek()) })).Text("Devtools")
		}),
		ui.View(a.rt, func() app.UI {
			if !a.open.Get() {
				return nil
			}
			return a.devtoolsPanel()
		}),
	)
}

// devtoolsPanel shows the query cache, the queue of mutations, the stream
// and the rollbacks, each a view of its own.
func (a *panel) devtoolsPanel() app.UI {
	return ui.Setup(a.rt, func() func() app.UI {
		g := a.rt.Graph()
		tab := a.tab
		queries := func() []cache.QueryInfo { return nil }
		now := time.Now
		if c := a.src.Cache; c != nil {
			// The query cache lives outside the graph: a source over its events.
			queries = state.FromSourceFunc(g, func() []cache.QueryInfo { return c.Find(cache.Filter{}) },
				func(changed func()) func() { return c.Subscribe(func(cache.Event) { changed() }) }, nil).Get
			now = c.Clock().Now
		}
		tabs := []struct{ id, label string }{{"queue", "Queue"}, {"stream", "Stream"}, {"queries", "Queries"}, {"rollbacks", "Rollbacks"}}
		return func() app.UI {
			return app.Aside().Class("devtools").Aria("label", "Devtools").DataSet("testid", "devtools").Body(
				ui.View(a.rt, func() app.UI {
					cur := tab.Get()
					items := make([]app.UI, len(tabs))
					for i, t := range tabs {
						items[i] = app.Button().Class("dt-tab"+cls(cur == t.id, " is-on")).Aria("selected", strconv.FormatBool(cur == t.id)).
							OnClick(ui.Do(func() { tab.Set(t.id) })).Text(t.label)
					}
					return app.Div().Class("dt-tabs").Body(items...)
				}),
				ui.View(a.rt, func() app.UI {
					switch tab.Get() {
					case "stream":
						return a.dtStream()
					case "queries":
						return dtQueries(a.src.Cache != nil, queries(), now())
					case "rollbacks":
						return a.dtRollbacks()
					}
					return a.dtQueue()
				}),
			)
		}
	})
}

func (a *panel) dtQueue() app.UI {
	out := a.src.Store.Outbox()
	if len(out) == 0 {
		return dtEmpty("No mutation waiting for the server. clientID " + a.src.Store.ClientID())
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

func (a *panel) dtStream() app.UI {
	topics := a.src.Sync.Topics()
	events := a.src.Sync.RecentEvents()
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
		app.P().Class("dt-line").Text("Connection: "+a.src.Sync.State().String()),
		dtTable([]string{"topic", "phase", "cursor", "epoch"}, trows),
		app.H3().Class("dt-h").Text("Last events"),
		dtTable([]string{"at", "event", "op", ""}, erows),
	)
}

func dtQueries(has bool, qs []cache.QueryInfo, now time.Time) app.UI {
	if !has {
		return dtEmpty("This app has no query cache: its data comes through the store and the stream.")
	}
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

func (a *panel) dtRollbacks() app.UI {
	rbs := a.src.Store.Rollbacks()
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

func cls(on bool, class string) string {
	if on {
		return class
	}
	return ""
}
