// Package dom builds the rows of a ui.Rows list: small trees of elements and
// text, written like go-app's (dom.Li().Class("todo").Body(...)), that turn
// into HTML in one string and into the few DOM writes that take one tree to
// the next. go-app creates a JavaScript object and a listener per node; a
// list of a thousand rows built here costs one innerHTML and one listener
// per event type for the whole list (see ui.Rows).
//
// Everything a tree holds is escaped when it becomes HTML: text and attribute
// values may come from users. Tag and attribute names are the program's own.
//
//	dom.Li().Class("todo").Data("id", t.ID).Body(
//		dom.Input().Type("checkbox").Checked(t.Done).OnChange(toggle),
//		dom.Span().Class("title").Text(t.Title),
//	)
package dom

import (
	"html"
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// A Node is an element (Elem) or a text (Text); nil is nothing.
type Node interface {
	appendHTML(b []byte) []byte
}

// An Elem is an element: a tag, attributes, children and event handlers.
// Its methods set something and return it, for chaining.
type Elem struct {
	tag   string
	attrs []attr
	kids  []Node
	on    []handler
}

type attr struct{ name, value string }

// A Handler is called with the event: e.Get("target") is the element, its
// "value" an input's text, "checked" a checkbox's state.
type Handler func(e app.Event)

type handler struct {
	event string
	fn    Handler
}

// text is a text node.
type text string

// Text returns a text node; "" is nothing.
func Text(s string) Node {
	if s == "" {
		return nil
	}
	return text(s)
}

// If returns fn's node when cond holds, else nothing.
func If(cond bool, fn func() Node) Node {
	if !cond {
		return nil
	}
	return fn()
}

// El returns an element of the given tag, which must be a lowercase HTML
// tag name written in the program.
func El(tag string) *Elem { return &Elem{tag: tag} }

// Elements, by tag.
func Li() *Elem     { return El("li") }
func Ul() *Elem     { return El("ul") }
func Div() *Elem    { return El("div") }
func Span() *Elem   { return El("span") }
func P() *Elem      { return El("p") }
func Button() *Elem { return El("button") }
func Input() *Elem  { return El("input") }
func Label() *Elem  { return El("label") }
func A() *Elem      { return El("a") }
func Tr() *Elem     { return El("tr") }
func Td() *Elem     { return El("td") }

// Attr sets an attribute: name="value".
func (e *Elem) Attr(name, value string) *Elem {
	for i := range e.attrs {
		if e.attrs[i].name == name {
			e.attrs[i].value = value
			return e
		}
	}
	e.attrs = append(e.attrs, attr{name, value})
	return e
}

// Bool sets the boolean attribute name when on (name=""), and removes it
// otherwise.
func (e *Elem) Bool(name string, on bool) *Elem {
	if on {
		return e.Attr(name, "")
	}
	e.attrs = slices.DeleteFunc(e.attrs, func(a attr) bool { return a.name == name })
	return e
}

func (e *Elem) ID(v string) *Elem          { return e.Attr("id", v) }
func (e *Elem) Class(v string) *Elem       { return e.Attr("class", v) }
func (e *Elem) Title(v string) *Elem       { return e.Attr("title", v) }
func (e *Elem) Type(v string) *Elem        { return e.Attr("type", v) }
func (e *Elem) Placeholder(v string) *Elem { return e.Attr("placeholder", v) }

// Value sets an input's value. The input shows it unless it has the focus
// and already holds it (see ui.Rows).
func (e *Elem) Value(v string) *Elem { return e.Attr("value", v) }

// Checked checks a checkbox or a radio button.
func (e *Elem) Checked(on bool) *Elem { return e.Bool("checked", on) }

// Disabled disables a control.
func (e *Elem) Disabled(on bool) *Elem { return e.Bool("disabled", on) }

// Data sets data-name.
func (e *Elem) Data(name, value string) *Elem { return e.Attr("data-"+name, value) }

// Aria sets aria-name.
func (e *Elem) Aria(name, value string) *Elem { return e.Attr("aria-"+name, value) }

// Text appends a text node.
func (e *Elem) Text(s string) *Elem { return e.Body(Text(s)) }

// Body appends children; nil ones are nothing, and adjacent texts are one
// (the browser keeps them as one text node). A void element (input, br,
// img…) takes none.
func (e *Elem) Body(children ...Node) *Elem {
	if void[e.tag] {
		return e
	}
	for _, c := range children {
		switch c := c.(type) {
		case nil:
		case *Elem:
			if c != nil {
				e.kids = append(e.kids, c)
			}
		case text:
			if n := len(e.kids); n > 0 {
				if t, ok := e.kids[n-1].(text); ok {
					e.kids[n-1] = t + c
					continue
				}
			}
			e.kids = append(e.kids, c)
		}
	}
	return e
}

// On calls fn on the element's events of the given type: "click",
// "change", "input", "keydown", "keyup", "dblclick", "submit", and "focusin"
// and "focusout" (which, unlike focus and blur, reach the list).
func (e *Elem) On(event string, fn Handler) *Elem {
	e.on = append(e.on, handler{event, fn})
	return e
}

func (e *Elem) OnClick(fn Handler) *Elem   { return e.On("click", fn) }
func (e *Elem) OnChange(fn Handler) *Elem  { return e.On("change", fn) }
func (e *Elem) OnInput(fn Handler) *Elem   { return e.On("input", fn) }
func (e *Elem) OnKeyDown(fn Handler) *Elem { return e.On("keydown", fn) }

// OnFocus calls fn when the element, or something in it, gets the focus.
func (e *Elem) OnFocus(fn Handler) *Elem { return e.On("focusin", fn) }

// OnBlur calls fn when the element, or something in it, loses the focus.
func (e *Elem) OnBlur(fn Handler) *Elem { return e.On("focusout", fn) }

// Events lists the event types Handle can route in the tree under n.
func Events(n Node, into map[string]bool) {
	e, ok := n.(*Elem)
	if !ok {
		return
	}
	for _, h := range e.on {
		into[h.event] = true
	}
	for _, k := range e.kids {
		Events(k, into)
	}
}

// Handle calls the handlers of event for the node at path under root (child
// indexes, as in the DOM that root's HTML makes) and then for each element
// above it, as the event bubbles. It reports whether one was found.
func Handle(root Node, path []int, event string, e app.Event) bool {
	chain := make([]*Elem, 0, len(path)+1)
	n := root
	for i := 0; ; i++ {
		el, ok := n.(*Elem)
		if !ok {
			break
		}
		chain = append(chain, el)
		if i == len(path) || path[i] < 0 || path[i] >= len(el.kids) {
			break
		}
		n = el.kids[path[i]]
	}
	found := false
	for i := len(chain) - 1; i >= 0; i-- {
		for _, h := range chain[i].on {
			if h.event == event {
				h.fn(e)
				found = true
			}
		}
	}
	return found
}

// HTML returns n as HTML.
func HTML(n Node) string { return string(AppendHTML(nil, n)) }

// AppendHTML appends n's HTML to b.
func AppendHTML(b []byte, n Node) []byte {
	if n == nil {
		return b
	}
	return n.appendHTML(b)
}

func (t text) appendHTML(b []byte) []byte { return append(b, html.EscapeString(string(t))...) }

func (e *Elem) appendHTML(b []byte) []byte {
	b = append(b, '<')
	b = append(b, e.tag...)
	for _, a := range e.attrs {
		b = append(b, ' ')
		b = append(b, a.name...)
		b = append(b, `="`...)
		b = append(b, html.EscapeString(a.value)...)
		b = append(b, '"')
	}
	b = append(b, '>')
	if void[e.tag] {
		return b
	}
	for _, k := range e.kids {
		b = k.appendHTML(b)
	}
	b = append(b, "</"...)
	b = append(b, e.tag...)
	return append(b, '>')
}

// void elements have no children and no end tag.
var void = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}
