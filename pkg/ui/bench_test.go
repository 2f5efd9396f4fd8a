package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
)

const benchRows = 1000

// plainList is idiomatic go-app, as GOAPP-BASELINE.md measured it: the state
// in a parent, one child component per row, updates through the parent's
// Dispatch.
type plainList struct {
	app.Compo
	ctx    app.Context
	titles []string
}

func (l *plainList) OnMount(ctx app.Context)     { l.ctx = ctx }
func (l *plainList) OnPreRender(ctx app.Context) { l.ctx = ctx }

func (l *plainList) Render() app.UI {
	return app.Ul().Body(app.Range(l.titles).Slice(func(i int) app.UI {
		return &plainRow{ID: i, Title: l.titles[i]}
	}))
}

type plainRow struct {
	app.Compo
	ID    int
	Title string
}

func (r *plainRow) Render() app.UI {
	return app.Li().DataSet("id", r.ID).Body(app.Span().Text(r.Title), app.Input().Value(r.Title))
}

// tandemList is the same list with pkg/ui: a keyed list of views, each row
// reading its own signal.
func tandemList(rt *Runtime, titles []*state.Signal[string], text bool) app.UI {
	keys := make([]int, len(titles))
	for i := range keys {
		keys[i] = i
	}
	return Each(rt, app.Ul, func() []int { return keys }, func(i int) app.UI {
		if text { // the title through Text, the input's value untracked
			return View(rt, func() app.UI {
				return app.Li().DataSet("id", i).Body(app.Span().Body(Text(rt, titles[i].Get)), app.Input().Value(titles[i].Peek()))
			})
		}
		return View(rt, func() app.UI {
			t := titles[i].Get()
			return app.Li().DataSet("id", i).Body(app.Span().Text(t), app.Input().Value(t))
		})
	})
}

func newTitles(g *state.Graph) []*state.Signal[string] {
	titles := make([]*state.Signal[string], benchRows)
	for i := range titles {
		titles[i] = state.NewSignal(g, "todo "+strconv.Itoa(i))
	}
	return titles
}

func load(b *testing.B, c app.Composer) app.TestEngine {
	b.Helper()
	resetDOM()
	e := app.NewTestEngine()
	if err := e.Load(c); err != nil {
		b.Fatal(err)
	}
	e.ConsumeAll()
	return e
}

// BenchmarkKeystroke is one keystroke in row 500 of 1,000, from the write of
// the new title to go-app's frame being done with it: the parent re-render
// plain go-app needs, against the one row pkg/ui re-renders, or none (Text).
func BenchmarkKeystroke(b *testing.B) {
	b.Run("go-app parent re-render", func(b *testing.B) {
		l := &plainList{titles: make([]string, benchRows)}
		for i := range l.titles {
			l.titles[i] = "todo " + strconv.Itoa(i)
		}
		e := load(b, l)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			next := "todo 500 " + strconv.Itoa(i)
			l.ctx.Dispatch(func(app.Context) { l.titles[500] = next })
			e.ConsumeAll()
		}
		b.StopTimer()
		checkRow(b, l, "todo 500 "+strconv.Itoa(b.N-1))
	})
	for _, tc := range []struct {
		name string
		text bool
	}{{"pkg/ui row view", false}, {"pkg/ui Text", true}} {
		b.Run(tc.name, func(b *testing.B) {
			rt := NewRuntime()
			titles := newTitles(rt.Graph())
			p := &page{body: func() app.UI { return tandemList(rt, titles, tc.text) }}
			e := load(b, p)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				titles[500].Set("todo 500 " + strconv.Itoa(i))
				e.ConsumeAll()
			}
			b.StopTimer()
			if !tc.text || hasDOM {
				checkRow(b, p, "todo 500 "+strconv.Itoa(b.N-1))
			}
		})
	}
}

// BenchmarkMount is the first render of 1,000 rows, with every dispatch it
// causes: what pkg/ui adds to go-app per row (two components, two mount
// dispatches, an effect).
func BenchmarkMount(b *testing.B) {
	b.Run("go-app", func(b *testing.B) {
		titles := make([]string, benchRows)
		for i := range titles {
			titles[i] = "todo " + strconv.Itoa(i)
		}
		b.ReportAllocs()
		for range b.N {
			load(b, &plainList{titles: titles})
		}
	})
	b.Run("pkg/ui", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			rt := NewRuntime()
			titles := newTitles(rt.Graph())
			b.StartTimer()
			p := &page{body: func() app.UI { return tandemList(rt, titles, false) }}
			e := load(b, p)
			b.StopTimer()
			if err := e.Load(&blank{}); err != nil { // dismount, off the clock
				b.Fatal(err)
			}
			e.ConsumeAll()
			if s := rt.Graph().Stats(); s != (state.Stats{}) {
				b.Fatalf("leaked after dismount: %+v", s)
			}
			b.StartTimer()
		}
	})
}

// checkRow fails b unless row 500 shows title, in the DOM under GOOS=js and
// in go-app's tree natively.
func checkRow(b *testing.B, c app.UI, title string) {
	b.Helper()
	want := "<span>" + title + "</span>"
	var got string
	if hasDOM {
		got = domHTML(c.JSValue())
	} else {
		got = oneLine(app.HTMLString(c))
	}
	if !strings.Contains(got, `data-id="500"`) || !strings.Contains(got, want) {
		b.Fatalf("row 500 does not show %q", title)
	}
}
