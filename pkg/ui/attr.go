package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
)

// An Attr keeps an attribute of a View's root element equal to a function's
// value, without waiting for go-app's frame. Make one with LiveAttr.
type Attr struct {
	name  string
	value func() string
}

// LiveAttr returns an Attr for View: when something value read changes, value
// runs at once and the attribute name of the view's root element is set in
// the DOM before the event that changed it returns to the browser — as Text
// does for text. Use it where a click must show at once, such as a todo's
// done state:
//
//	ui.View(rt, render, ui.LiveAttr("data-done", func() string { return strconv.FormatBool(done.Get()) }))
//
// It is also written when the view mounts. render may set the same attribute
// too — go-app then writes the same value at its frame — or leave it to the
// Attr, in which case go-app never touches it and it is seen only in the DOM,
// not natively. The view's root must be an element.
func LiveAttr(name string, value func() string) Attr { return Attr{name: name, value: value} }

// A liveAttr is an Attr of a mounted view.
type liveAttr struct {
	Attr
	in     *inner
	effect *state.Effect
	cur    string
}

// startAttrs creates the effects of the spec's attributes, in the view's
// scope.
func (i *inner) startAttrs(g *state.Graph) {
	for _, a := range i.Spec.attrs {
		la := &liveAttr{Attr: a, in: i}
		i.attrs = append(i.attrs, la)
		i.scope.Run(func() { la.effect = g.Effect(la.run) })
	}
}

func (i *inner) stopAttrs() {
	for _, a := range i.attrs {
		a.effect.Dispose()
	}
	clear(i.attrs)
	i.attrs = i.attrs[:0]
}

func (a *liveAttr) run() {
	v := a.value()
	if v == a.cur {
		return
	}
	a.cur = v
	if a.in.ctx != nil {
		a.write()
	}
}

func (a *liveAttr) write() {
	if app.IsClient {
		a.in.JSValue().Call("setAttribute", a.name, a.cur)
	}
}
