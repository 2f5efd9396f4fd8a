package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/ui/dom"
)

// newRowsDOM returns the browser's DOM for a Rows mounted at container, or
// nothing where there is no browser.
func newRowsDOM(ctx app.Context, container app.Value, event rowEvent) rowsDOM {
	if !app.IsClient {
		return noDOM{}
	}
	doc := app.Window().Get("document")
	return &jsRows{ctx: ctx, el: container, event: event,
		tmpl:    doc.Call("createElement", "template"),
		indexOf: app.Window().Get("Array").Get("prototype").Get("indexOf"),
		from:    app.Window().Get("Array").Get("from")}
}

// noDOM is where there is no browser.
type noDOM struct{}

func (noDOM) fill(string, []dom.Node)       {}
func (noDOM) arrange([]int, []rowStep)      {}
func (noDOM) patch(int, []dom.Op, dom.Node) {}
func (noDOM) listen([]string)               {}
func (noDOM) close()                        {}

// jsRows writes a list's rows to the browser's DOM, and delivers its events.
type jsRows struct {
	ctx     app.Context
	el      app.Value // the container
	event   rowEvent
	tmpl    app.Value // a <template>, to turn HTML into nodes
	indexOf app.Value // Array.prototype.indexOf
	from    app.Value // Array.from
	funcs   []app.Func
	kinds   []string
}

func (d *jsRows) fill(html string, _ []dom.Node) { d.el.Set("innerHTML", html) }

// nodes makes html into a fragment of nodes.
func (d *jsRows) nodes(html string) app.Value {
	d.tmpl.Set("innerHTML", html)
	return d.tmpl.Get("content")
}

func (d *jsRows) arrange(removed []int, steps []rowStep) {
	old := d.from.Invoke(d.el.Get("childNodes"))
	for _, p := range removed {
		d.el.Call("removeChild", old.Index(p))
	}
	// From the end: each step's row goes before the next one's. A kept row
	// is an anchor only when something goes before it, so its node is read
	// then; new rows next to each other are one fragment.
	anchor, anchorOld := app.Null(), -1
	resolve := func() app.Value {
		if anchorOld >= 0 {
			anchor, anchorOld = old.Index(anchorOld), -1
		}
		return anchor
	}
	var html []string
	flush := func() {
		if len(html) == 0 {
			return
		}
		for i, j := 0, len(html)-1; i < j; i, j = i+1, j-1 {
			html[i], html[j] = html[j], html[i]
		}
		frag := d.nodes(strings.Join(html, ""))
		first := frag.Get("firstChild")
		d.el.Call("insertBefore", frag, resolve())
		anchor, anchorOld, html = first, -1, html[:0]
	}
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		switch {
		case s.old < 0:
			html = append(html, s.html)
		case s.keep:
			flush()
			anchor, anchorOld = app.Null(), s.old
		default:
			flush()
			el := old.Index(s.old)
			d.el.Call("insertBefore", el, resolve())
			anchor, anchorOld = el, -1
		}
	}
	flush()
}

func (d *jsRows) patch(at int, ops []dom.Op, _ dom.Node) {
	row := d.el.Get("childNodes").Index(at)
	for _, op := range ops {
		parent, n := d.el, row
		for _, i := range op.Path {
			parent, n = n, n.Get("childNodes").Index(i)
		}
		switch op.Kind {
		case dom.SetAttr:
			d.property(n, op.Tag, op.Name, op.Value, true)
			n.Call("setAttribute", op.Name, op.Value)
		case dom.RemoveAttr:
			d.property(n, op.Tag, op.Name, "", false)
			n.Call("removeAttribute", op.Name)
		case dom.SetText:
			n.Set("nodeValue", op.Value)
		case dom.Replace:
			parent.Call("replaceChild", d.nodes(op.Value), n)
		case dom.Append:
			n.Call("appendChild", d.nodes(op.Value))
		case dom.Truncate:
			for k := n.Get("childNodes").Length(); k > op.Keep; k-- {
				n.Call("removeChild", n.Get("lastChild"))
			}
		}
	}
}

// property brings an input's value and a checkbox's checked state, which
// the attributes only set at first, in line with its tree; before the
// attribute, which would otherwise change an untouched input's value under
// its caret. An input that holds the value already is left alone: its caret
// stays where it is; a new value puts the caret at its end.
func (d *jsRows) property(n app.Value, tag, name, value string, set bool) {
	switch {
	case name == "value" && (tag == "input" || tag == "textarea" || tag == "select"):
		if n.Get("value").String() != value {
			n.Set("value", value)
		}
	case name == "checked" || name == "selected":
		n.Set(name, set)
	}
}

func (d *jsRows) listen(kinds []string) {
	for _, kind := range kinds {
		f := app.FuncOf(func(this app.Value, args []app.Value) any {
			if len(args) == 0 {
				return nil
			}
			e := args[0]
			// On the UI goroutine, still inside the browser's event: go-app
			// runs what it dispatches before the event returns.
			d.ctx.Dispatch(func(ctx app.Context) {
				ctx.PreventUpdate()
				if row, path, ok := d.locate(e.Get("target")); ok {
					d.event(kind, e, row, path)
				}
			})
			return nil
		})
		d.el.Call("addEventListener", kind, f)
		d.funcs = append(d.funcs, f)
		d.kinds = append(d.kinds, kind)
	}
}

// locate finds the row an event's target is in and the path to the target
// under it.
func (d *jsRows) locate(n app.Value) (row int, path []int, ok bool) {
	for !n.IsNull() && !n.IsUndefined() {
		parent := n.Get("parentNode")
		if parent.IsNull() || parent.IsUndefined() {
			return 0, nil, false
		}
		i := d.indexOf.Call("call", parent.Get("childNodes"), n).Int()
		if parent.Equal(d.el) {
			for l, r := 0, len(path)-1; l < r; l, r = l+1, r-1 {
				path[l], path[r] = path[r], path[l]
			}
			return i, path, true
		}
		path = append(path, i)
		n = parent
	}
	return 0, nil, false
}

func (d *jsRows) close() {
	for i, f := range d.funcs {
		d.el.Call("removeEventListener", d.kinds[i], f)
		f.Release()
	}
	d.funcs, d.kinds = nil, nil
}
