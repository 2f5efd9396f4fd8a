package ui

import (
	"runtime/debug"
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/ui/dom"
)

// Rows returns a keyed list for long lists: a container element (from
// container, with no body of its own) holding one row per key of keys, in
// that order. A row is a tree of package dom, not of go-app: the list
// reaches the DOM as one innerHTML, its events reach the rows through one
// listener per event type on the container, and a row that changes is
// brought up to date with the few DOM writes dom.Diff finds. go-app, by
// contrast, creates a JavaScript object and a Go finalizer for every node,
// and a js.Func for every handler: for a thousand rows of a dozen nodes, most
// of a second in Chromium.
//
// row is called once per key, untracked, when the key appears; it sets up the
// row's state (signals, store views; released when the key leaves, or the
// list is dismounted) and returns its render function. render runs in an
// effect: when what it read changes it runs again at once, and the DOM
// changes before the event that caused it returns to the browser — no frame,
// no re-render of anything else. keys is tracked too: the list follows its
// keys, keeping each row's DOM with its key across inserts, deletes and
// reorders (as few moves as a longest increasing subsequence allows), so
// what the user typed into a row stays with it.
//
//	ui.Rows(rt, func() app.HTMLUl { return app.Ul().Class("todos") }, todos.IDs,
//		func(id string) func() dom.Node {
//			draft := state.NewSignal(g, "")
//			return func() dom.Node {
//				t, _ := todos.Get(id)
//				return dom.Li().Data("id", id).Body(
//					dom.Span().Text(t.Title),
//					dom.Input().Value(draft.Get()).OnInput(func(e app.Event) { draft.Set(e.Get("target").Get("value").String()) }),
//				)
//			}
//		})
//
// A row's handlers run on the UI goroutine, in a Batch, as the graph's other
// writes do. An input shows the value its tree gives it unless it already
// holds it, so typing is never interrupted; a checkbox's checked state
// follows its tree. A render that returns nil leaves an empty <template> in
// the row's place; a render that panics is reported to the graph's error
// handler and the row keeps its last tree.
//
// Where there is no browser, a Rows that go-app renders without mounting it
// — app.HTMLString, HTMLString, a server rendering the page — holds its rows'
// HTML, as the browser gets it, in its container (an app.Raw): the rows are
// set up and rendered for the occasion, then released. Mounted natively (in
// go-app's test engine) it holds the empty container, and its rows and their
// effects run as in a browser.
func Rows[K ~string, E Container[E]](rt *Runtime, container func() E, keys func() []K, row func(K) func() dom.Node) app.UI {
	return &rowsView{Spec: &rowsSpec{rt: rt,
		container: func() app.UI { return container() },
		filled:    func(rows app.UI) app.UI { return container().Body(rows) },
		list:      &rowList[K]{keys: keys, row: row}}}
}

// A rowsSpec is what Rows returns; the same pointer is equal for go-app.
type rowsSpec struct {
	rt        *Runtime
	container func() app.UI
	filled    func(rows app.UI) app.UI // the container holding rows
	list      rowLister
}

// A rowLister is the part of Rows that does not depend on the key type.
type rowLister interface {
	mount(g *state.Graph, d rowsDOM)
	prerender(g *state.Graph) string
	update(newer rowLister) bool
	event(kind string, e app.Value, row int, path []int)
	stop()
}

// A rowEvent delivers an event of the container to the list: its type, the
// event, the position of the row it happened in and the path to its target
// under the row (child indexes), on the UI goroutine.
type rowEvent func(kind string, e app.Value, row int, path []int)

// rowsView is the component: its root is the container.
type rowsView struct {
	app.Compo
	Spec *rowsSpec

	list   rowLister // the mounted list, nil when not mounted
	dom    rowsDOM
	inited bool // go-app mounts the view (OnInit ran), rather than only encoding it
}

// Render returns the container: empty, for OnMount to fill; natively, when
// go-app only encodes the view (app.HTMLString), holding the rows' HTML.
func (v *rowsView) Render() app.UI {
	if app.IsClient || v.inited {
		return v.Spec.container()
	}
	html := v.Spec.list.prerender(v.Spec.rt.g)
	if html == "" {
		return v.Spec.container() // app.Raw("") would be a <div>
	}
	return v.Spec.filled(app.Raw(rowsOpen + html + rowsClose))
}

// OnInit is called by go-app when it mounts the view, before its first
// Render; encoding a tree (app.HTMLString) renders it without mounting it.
func (v *rowsView) OnInit() { v.inited = true }

// OnMount fills the container, on the UI goroutine.
func (v *rowsView) OnMount(ctx app.Context) { v.mount(ctx) }

// OnPreRender: see view.OnPreRender.
func (v *rowsView) OnPreRender(ctx app.Context) { v.mount(ctx) }

func (v *rowsView) mount(ctx app.Context) {
	ctx.PreventUpdate()
	v.list = v.Spec.list
	v.dom = v.Spec.rt.rowsDOM(ctx, v.JSValue(), v.list.event)
	v.list.mount(v.Spec.rt.g, v.dom)
}

// OnUpdate takes a re-rendering parent's new keys and row functions.
func (v *rowsView) OnUpdate(ctx app.Context) {
	if v.list != nil && !v.list.update(v.Spec.list) {
		v.OnDismount()
		v.mount(ctx)
	}
}

// OnDismount releases the rows and the listeners.
func (v *rowsView) OnDismount() {
	if v.list != nil {
		v.list.stop()
		v.dom.close()
	}
	v.list, v.dom = nil, nil
}

// rowsDOM is what a list does to its container: a JavaScript DOM in the
// browser (rows_js.go), nothing elsewhere, a model in tests.
type rowsDOM interface {
	// fill sets the container's content: the rows' HTML, in order.
	fill(html string, trees []dom.Node)
	// arrange removes the rows at the removed positions, then puts the DOM
	// in the order of steps (see rowStep), positions being those before.
	arrange(removed []int, steps []rowStep)
	// patch writes ops to the row at position at.
	patch(at int, ops []dom.Op, tree dom.Node)
	// listen makes sure events of these types reach the list.
	listen(kinds []string)
	close()
}

// A rowStep is one row of a list's new order: a kept row stays where it
// is, a moved one goes before the next step's row, a new one (old < 0) is
// made from html there.
type rowStep struct {
	old  int
	keep bool
	html string
	tree dom.Node
}

// A rowList is the state of one mounted Rows.
type rowList[K ~string] struct {
	keys func() []K
	row  func(K) func() dom.Node

	g          *state.Graph
	dom        rowsDOM
	scope      *state.Scope  // owns each row's scope, and the keys' effect
	keysEffect *state.Effect // the keys' effect
	rows       map[K]*rowItem[K]
	order      []*rowItem[K] // the DOM's order
	filled     bool          // the DOM holds order
	events     map[string]bool
	lis        lisBuf
}

type rowItem[K ~string] struct {
	key    K
	scope  *state.Scope
	render func() dom.Node
	tree   dom.Node // as in the DOM, or to be put there
	pos    int      // index in order
	live   bool     // in the DOM: changes are patched in
	gone   bool
}

func (l *rowList[K]) update(newer rowLister) bool {
	n, ok := newer.(*rowList[K])
	if ok && codeOf(n.row) == codeOf(l.row) {
		l.keys, l.row = n.keys, n.row
		// The new keys func may read other things: track it afresh.
		old := l.keysEffect
		l.scope.Run(func() { l.keysEffect = l.g.Effect(l.sync) })
		old.Dispose()
		return true
	}
	return false
}

func (l *rowList[K]) mount(g *state.Graph, d rowsDOM) {
	l.g, l.dom = g, d
	l.rows = map[K]*rowItem[K]{}
	l.events = map[string]bool{}
	l.scope = g.NewScope()
	l.scope.Run(func() { l.keysEffect = g.Effect(l.sync) })
}

func (l *rowList[K]) stop() {
	if l.scope != nil {
		l.scope.Dispose()
	}
	l.scope, l.rows, l.order, l.filled = nil, nil, nil, false
}

// prerender returns the HTML of the rows of keys as they are now, for a
// page that go-app renders without mounting: each row set up and rendered
// in a scope released before it returns, untracked.
func (l *rowList[K]) prerender(g *state.Graph) string {
	var b []byte
	g.Untracked(func() {
		sc := g.NewScope()
		defer sc.Dispose()
		seen := map[K]bool{}
		for _, k := range l.keys() {
			if seen[k] {
				continue
			}
			seen[k] = true
			sc.Run(func() { b = dom.AppendHTML(b, renderRow(g, k, l.row)) })
		}
	})
	return string(b)
}

// renderRow sets up and renders the row of k once. A nil tree, or a panic
// (reported), is an empty <template>, as in a browser.
func renderRow[K ~string](g *state.Graph, k K, row func(K) func() dom.Node) (n dom.Node) {
	defer func() {
		if x := recover(); x != nil {
			g.Report(&state.PanicError{Value: x, Stack: debug.Stack()})
		}
		if n == nil {
			n = dom.El("template")
		}
	}()
	if render := row(k); render != nil {
		n = render()
	}
	return n
}

// sync is the keys' effect: it brings the rows and the DOM in line with keys.
func (l *rowList[K]) sync() {
	keys := l.keys()
	l.g.Untracked(func() { l.reconcile(keys) })
}

func (l *rowList[K]) reconcile(keys []K) {
	next := make([]*rowItem[K], 0, len(keys))
	seen := make(map[K]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			continue // a key that appears twice keeps its first place
		}
		seen[k] = true
		r := l.rows[k]
		if r == nil {
			r = l.add(k)
		}
		next = append(next, r)
	}
	if !l.filled {
		l.order = next
		l.fill()
		return
	}
	var removed []int
	for _, r := range l.order {
		if !seen[r.key] {
			removed = append(removed, r.pos)
			r.gone = true
			r.scope.Dispose()
			delete(l.rows, r.key)
		}
	}
	// Which rows stay: a longest run of old rows already in order.
	l.lis.pos = l.lis.pos[:0]
	for _, r := range next {
		if r.live {
			l.lis.pos = append(l.lis.pos, r.pos)
		} else {
			l.lis.pos = append(l.lis.pos, -1)
		}
	}
	keep := l.lis.run()
	steps := make([]rowStep, len(next))
	changed := len(removed) > 0
	for i, r := range next {
		switch {
		case !r.live:
			steps[i] = rowStep{old: -1, html: dom.HTML(r.tree), tree: r.tree}
			changed = true
		default:
			steps[i] = rowStep{old: r.pos, keep: keep[i]}
			changed = changed || !keep[i]
		}
	}
	l.order = next
	if changed {
		l.dom.arrange(removed, steps)
	}
	l.settle()
}

// fill puts the first rows in the DOM in one go.
func (l *rowList[K]) fill() {
	var b []byte
	trees := make([]dom.Node, len(l.order))
	for i, r := range l.order {
		b = dom.AppendHTML(b, r.tree)
		trees[i] = r.tree
	}
	l.dom.fill(string(b), trees)
	l.filled = true
	l.settle()
}

// settle records the DOM's order and listens to the new rows' events.
func (l *rowList[K]) settle() {
	types := map[string]bool{}
	for i, r := range l.order {
		r.pos = i
		if !r.live {
			r.live = true
			dom.Events(r.tree, types)
		}
	}
	l.listen(types)
}

// listen makes the container listen to the event types of types it does
// not listen to yet.
func (l *rowList[K]) listen(types map[string]bool) {
	var add []string
	for t := range types {
		if !l.events[t] {
			l.events[t] = true
			add = append(add, t)
		}
	}
	if len(add) > 0 {
		slices.Sort(add)
		l.dom.listen(add)
	}
}

// add creates the row of k: its scope, its state, its render effect.
func (l *rowList[K]) add(k K) *rowItem[K] {
	r := &rowItem[K]{key: k, pos: -1}
	l.g.Untracked(func() {
		l.scope.Run(func() {
			r.scope = l.g.NewScope()
			r.scope.Run(func() {
				r.render = l.row(k)
				if r.render == nil {
					r.render = func() dom.Node { return nil }
				}
				l.g.Effect(func() { l.rendered(r, r.render()) })
			})
		})
	})
	if r.tree == nil { // the first render panicked
		r.tree = dom.El("template")
	}
	l.rows[k] = r
	return r
}

// rendered takes a row's new tree, and patches it into the DOM when the row
// is there.
func (l *rowList[K]) rendered(r *rowItem[K], n dom.Node) {
	if n == nil {
		n = dom.El("template")
	}
	if !r.live || r.gone {
		r.tree = n
		return
	}
	ops := dom.Diff(r.tree, n)
	r.tree = n
	if len(ops) > 0 {
		l.dom.patch(r.pos, ops, n)
		types := map[string]bool{}
		dom.Events(n, types)
		l.listen(types)
	}
}

// event routes a DOM event to the handlers of the row at position row, on
// the UI goroutine.
func (l *rowList[K]) event(kind string, e app.Value, row int, path []int) {
	if row < 0 || row >= len(l.order) {
		return
	}
	r := l.order[row]
	defer func() {
		// A panicking handler is the app's bug: reported, it must not end
		// the program (a panic in a browser event does).
		if x := recover(); x != nil {
			l.g.Report(&state.PanicError{Value: x, Stack: debug.Stack()})
		}
	}()
	l.g.Batch(func() { dom.Handle(r.tree, path, kind, app.Event{Value: e}) })
}
