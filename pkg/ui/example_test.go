package ui_test

import (
	"fmt"
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/ui"
)

// A Counter is an app's component: its Render wraps its body in ui.View.
type Counter struct {
	app.Compo
	RT    *ui.Runtime
	Count *state.Signal[int]
}

func (c *Counter) Render() app.UI {
	return ui.View(c.RT, func() app.UI {
		return app.P().Textf("count: %d", c.Count.Get())
	})
}

func ExampleView() {
	rt := ui.NewRuntime()
	count := state.NewSignal(rt.Graph(), 1)
	c := &Counter{RT: rt, Count: count}

	// In a browser: app.Route("/", ...) and app.RunWhenOnBrowser().
	e := app.NewTestEngine()
	_ = e.Load(c)
	e.ConsumeAll()
	fmt.Println(app.HTMLString(c))

	count.Set(2)   // the view renders again at once; nothing else does
	e.ConsumeAll() // go-app's next frame puts it in the DOM
	fmt.Println(app.HTMLString(c))
	// Output:
	// <p>count: 1</p>
	// <p>count: 2</p>
}

// A Greeter owns an effect that lives as long as it is mounted.
type Greeter struct {
	app.Compo
	RT   *ui.Runtime
	Name *state.Signal[string]
}

func (gr *Greeter) Render() app.UI {
	return ui.Setup(gr.RT, func() func() app.UI {
		gr.RT.Graph().Effect(func() { fmt.Println("title:", gr.Name.Get()) }) // disposed with the view
		return func() app.UI { return app.H1().Text("Hello, " + gr.Name.Get()) }
	})
}

type Elsewhere struct{ app.Compo }

func (Elsewhere) Render() app.UI { return app.P().Text("another page") }

func ExampleSetup() {
	rt := ui.NewRuntime()
	name := state.NewSignal(rt.Graph(), "Ada")
	gr := &Greeter{RT: rt, Name: name}

	e := app.NewTestEngine()
	_ = e.Load(gr)
	e.ConsumeAll()
	name.Set("Grace")
	e.ConsumeAll()
	fmt.Println(app.HTMLString(gr))

	_ = e.Load(&Elsewhere{}) // navigating away dismounts the greeter
	e.ConsumeAll()
	name.Set("Linus") // nothing runs any more
	fmt.Printf("%+v\n", rt.Graph().Stats())
	// Output:
	// title: Ada
	// title: Grace
	// <h1>Hello, Grace</h1>
	// {Effects:0 Watched:0}
}

// A Page shows any tree.
type Page struct {
	app.Compo
	Body app.UI
}

func (p *Page) Render() app.UI { return p.Body }

func ExampleEach() {
	rt := ui.NewRuntime()
	ids := state.NewSignalFunc(rt.Graph(), []string{"a", "b", "c"}, slices.Equal)
	made := 0
	p := &Page{Body: ui.Each(rt, app.Ul, ids.Get, func(id string) app.UI {
		made++ // once per key: the row stays with its key
		return app.Li().Text(id)
	})}

	e := app.NewTestEngine()
	_ = e.Load(p)
	e.ConsumeAll()
	ids.Set([]string{"c", "a", "d"}) // b leaves, c moves up, d arrives
	e.ConsumeAll()
	fmt.Println("rows made:", made)
	// Output:
	// rows made: 4
}

// A Status shows a value that a goroutine delivers.
type Status struct {
	app.Compo
	RT   *ui.Runtime
	Text *state.Signal[string]
}

func (s *Status) Render() app.UI {
	return ui.View(s.RT, func() app.UI { return app.P().Text(s.Text.Get()) })
}

func ExampleRuntime() {
	rt := ui.NewRuntime()
	g := rt.Graph()
	text := state.NewSignal(g, "loading…")
	s := &Status{RT: rt, Text: text}
	e := app.NewTestEngine()
	_ = e.Load(s)
	e.ConsumeAll()

	done := make(chan struct{})
	go func() { // a fetch, on its own goroutine
		defer close(done)
		g.Schedule(func() { text.Set("3 todos") }) // runs on the UI goroutine
	}()
	<-done
	e.ConsumeAll()
	fmt.Println(app.HTMLString(s))
	// Output:
	// <p>3 todos</p>
}
