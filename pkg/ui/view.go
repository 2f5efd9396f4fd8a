package ui

import (
	"reflect"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
)

// View returns a go-app component that shows render's tree and re-renders,
// alone, when a signal, computed or source that render read changes. attrs,
// if any, are attributes of the tree's root element that follow their
// values without waiting for go-app (LiveAttr).
//
// render runs in an effect of rt's graph: whatever it reads with Get during a
// run is what the view depends on. A change re-runs render at once, on the UI
// goroutine, and go-app's next frame puts the new tree in the DOM through its
// own update path — this view only: not its parent, not its siblings, and not
// the views nested in it, which depend on what they read themselves.
// Effects, scopes and cleanups created while render runs belong to that run
// and are disposed before the next one. A nil tree renders as nothing. A
// render that panics is reported to the graph's error handler: the view
// keeps showing its last tree, or nothing if go-app asked for a new one (a
// parent's re-render), and runs again when what it read changes.
//
// Call View in a component's Render, wrapping its body:
//
//	func (r *Row) Render() app.UI {
//		return ui.View(r.RT, func() app.UI {
//			return app.Li().Text(r.Title.Get())
//		})
//	}
//
// When the enclosing component re-renders (go-app saw its fields change),
// the new View replaces render and it runs again; a View returned twice as
// the same value is left alone. render should be a closure over the
// component and its signals: go-app copies new field values into the mounted
// component, so render reads the current ones.
//
// Subscriptions start when the view mounts and end when it is dismounted.
func View(rt *Runtime, render func() app.UI, attrs ...Attr) app.UI {
	return &view{Spec: &spec{render: render, attrs: attrs, rt: rt}}
}

// Setup is View for components that own long-lived things: setup runs once,
// untracked, when the view mounts, and returns the render function. What
// setup creates in rt's graph — effects, scopes, cleanups (OnCleanup, Adopt),
// and so store views and forms that adopt their disposal — belongs to the
// view and is released when it is dismounted:
//
//	return ui.Setup(b.RT, func() func() app.UI {
//		todos := b.Todos.View(store.OrderBy(byPosition))
//		// made in setup, the store view is disposed with this view
//		return func() app.UI { return ui.Each(b.RT, app.Ul, todos.IDs, b.row) }
//	})
//
// Unlike View, a Setup returned again by a re-rendering parent keeps the first
// setup's render function, and runs it again.
func Setup(rt *Runtime, setup func() func() app.UI) app.UI {
	return &view{Spec: &spec{setup: setup, rt: rt}}
}

// A spec is what a view shows. go-app compares components' exported fields
// with reflect.DeepEqual when their parent re-renders: the same *spec is
// equal, a new one never is (it holds a func), which is exactly "the same
// View is left alone, a new one runs again".
type spec struct {
	render func() app.UI        // View's, or nil
	setup  func() func() app.UI // Setup's, or nil
	list   lister               // Each's, or nil
	attrs  []Attr               // View's
	rt     *Runtime
	kind   string // see kindOf; set on first use
}

// kindOf is the spec's component identity, React's "component type": a View
// is any View, a Setup is its setup function's code, an Each its row
// function's code. go-app reuses a component at the same place in a
// re-rendered parent when the types match, copying the new fields into it;
// views of different kinds must not be reused so, since a Setup's or an
// Each's state belongs to its own setup or rows.
func (s *spec) kindOf() string {
	if s.kind == "" {
		switch {
		case s.setup != nil:
			s.kind = "setup " + codeOf(s.setup)
		case s.list != nil:
			s.kind = "each " + s.list.kind()
		default:
			s.kind = "view"
		}
	}
	return s.kind
}

// codeOf names a function's code: the closures one func literal makes in one
// place share it. (The compiler may copy a literal into each caller it
// inlines its function into: those copies are other kinds, which costs a
// remount, never a wrong reuse.)
func codeOf(f any) string { return strconv.FormatUint(uint64(reflect.ValueOf(f).Pointer()), 16) }

// A lister is the part of Each that does not depend on its type parameters.
type lister interface {
	kind() string // codeOf the row function
	start(g *state.Graph, owner *state.Scope) (render func() app.UI)
	update(newer lister) (ok bool)              // a parent re-rendered with newer; false: another type
	rendered(mounted bool) (arrange, more bool) // go-app took the latest tree
	arrange(container app.Value)                // put the DOM in order, after the frame
	grow()                                      // render the keys left out
	dispose()
}

// A view is the outer half of a View: the component View returns. It exists
// for its go-app context. go-app's Dispatch marks the dispatching component
// and every ancestor for update; PreventUpdate unmarks the same chain. So the
// inner half re-renders alone when it dispatches and the outer half
// unmarks: the chains differ by the inner half only.
type view struct {
	app.Compo
	Spec *spec

	ctx  *app.Context // set by OnMount, nil when not mounted; a pointer keeps a View small
	host int          // index in rt.hosts while mounted
}

// Render returns the inner half. The first one becomes the mounted one; go-app
// compares later ones with it and copies a new Spec into it. An outer half
// re-renders only when its parent gives it a new Spec.
func (v *view) Render() app.UI {
	return &inner{Spec: v.Spec, outer: v}
}

// CompoID makes go-app mount a new view instead of reusing this one when a
// re-rendering parent puts a view of another kind in its place (see kindOf).
func (v *view) CompoID() string { return v.Spec.kindOf() }

// OnMount is called by go-app, through Dispatch, after the view is in the DOM,
// on the UI goroutine.
func (v *view) OnMount(ctx app.Context) { v.mount(ctx) }

// OnPreRender is what go-app calls instead of OnMount where it is not a
// browser: on a server, and in native tests.
func (v *view) OnPreRender(ctx app.Context) { v.mount(ctx) }

func (v *view) mount(ctx app.Context) {
	// go-app dispatched this hook, marking the view and its ancestors.
	ctx.PreventUpdate()
	v.ctx = &ctx
	v.Spec.rt.addHost(v)
}

// OnDismount is called by go-app after the view left the DOM, on the UI
// goroutine.
func (v *view) OnDismount() {
	if v.ctx != nil {
		v.Spec.rt.removeHost(v)
	}
	v.ctx = nil
}

// An inner is the inner half of a View: it runs the render function in an
// effect and is the component that go-app re-renders.
type inner struct {
	app.Compo
	Spec *spec

	outer *view
	ctx   *app.Context // set by OnMount, nil when not mounted

	scope  *state.Scope  // owns everything the view created; nil when not started
	effect *state.Effect // runs render
	render func() app.UI
	list   lister
	attrs  []*liveAttr

	tree     app.UI // the latest tree render returned, not yet given to go-app
	fresh    bool   // tree is newer than what go-app shows
	inRender bool   // go-app is in Render: a run needs no update
	queued   bool   // an update mark is queued in rt.dirty or go-app's dispatches
	pending  bool   // a run before OnMount wants an update
	restart  bool   // a new Spec the state cannot follow: start afresh

	attrsStale  bool // a new Spec came: its attrs replace the running ones
	growOnMount bool // an Each left keys out of its first render
}

// Render returns the tree for go-app. A change already ran render (fresh);
// otherwise go-app re-renders for another reason — a new Spec from the
// parent, or a Dispatch from an element inside — and render runs now.
func (i *inner) Render() app.UI {
	switch {
	case i.restart:
		i.stop()
		i.start()
	case i.scope == nil:
		i.start()
	case !i.fresh:
		i.retrack()
	}
	t := i.tree
	i.tree, i.fresh = nil, false
	if t == nil {
		return app.Text("")
	}
	if i.list != nil {
		// Rows go-app mounts from this tree reach the DOM after Render; the
		// engine runs defers after the frame's updates.
		arrange, more := i.list.rendered(i.ctx != nil)
		if arrange {
			i.ctx.Defer(i.arrange)
		}
		switch {
		case more && i.ctx != nil:
			i.ctx.Defer(i.grow)
		case more:
			i.growOnMount = true
		}
	}
	return t
}

func (i *inner) grow(app.Context) {
	if i.list != nil {
		i.list.grow()
	}
}

// writeAttrs writes every live attribute's value, once the root is in the
// DOM.
func (i *inner) writeAttrs() {
	if i.ctx == nil {
		return
	}
	for _, a := range i.attrs {
		a.write()
	}
}

func (i *inner) arrange(ctx app.Context) {
	if i.list != nil {
		i.list.arrange(i.JSValue())
	}
}

// start creates the view's scope and effects, on its first Render.
func (i *inner) start() {
	g := i.Spec.rt.g
	i.scope = g.NewScope()
	i.inRender = true
	defer func() { i.inRender = false }()
	i.scope.Run(func() {
		switch sp := i.Spec; {
		case sp.list != nil:
			i.list = sp.list
			i.render = i.list.start(g, i.scope)
		case sp.setup != nil:
			// An effect that reads nothing never reruns: it is the owner of
			// what setup creates, and reports a panic like any effect.
			g.Effect(func() { g.Untracked(func() { i.render = sp.setup() }) })
		default:
			i.render = sp.render
		}
		if i.render == nil {
			i.render = func() app.UI { return nil }
		}
		i.effect = g.Effect(i.run)
	})
	i.startAttrs(g)
}

// retrack runs render afresh in a new effect, then disposes the old one, so
// that the sources both read stay subscribed.
func (i *inner) retrack() {
	g := i.Spec.rt.g
	old := i.effect
	i.inRender = true
	defer func() { i.inRender = false }()
	i.scope.Run(func() { i.effect = g.Effect(i.run) })
	old.Dispose()
	if i.attrsStale {
		i.attrsStale = false
		i.stopAttrs()
		i.startAttrs(g)
		i.writeAttrs()
	}
}

// run is the effect: it renders and, when not called from go-app's Render,
// asks go-app for an update.
func (i *inner) run() {
	t := i.render()
	i.tree, i.fresh = t, true
	if !i.inRender {
		i.changed()
	}
}

func (i *inner) changed() {
	switch {
	case i.queued:
	case i.ctx == nil:
		i.pending = true
	default:
		i.queued = true
		i.Spec.rt.markDirty(i)
	}
}

// sendMark dispatches through the inner half, which marks it and its
// ancestors for update; mark unmarks the outer half and its ancestors.
// UI goroutine, from a pump.
func (i *inner) sendMark() {
	if i.ctx == nil {
		i.queued = false
		return
	}
	i.ctx.Dispatch(i.mark)
}

func (i *inner) mark(app.Context) {
	i.queued = false
	i.outer.ctx.PreventUpdate()
}

// OnUpdate is called by go-app when the parent re-rendered with a new Spec,
// before Render.
func (i *inner) OnUpdate(ctx app.Context) {
	i.fresh = false
	switch sp := i.Spec; {
	case sp.list != nil:
		// Kinds match (view.CompoID), but a row function's code may be
		// shared by instances with other type arguments.
		i.restart = i.list == nil || !i.list.update(sp.list)
	case sp.setup == nil:
		i.render = sp.render
		i.attrsStale = len(i.attrs) > 0 || len(sp.attrs) > 0
	}
}

// OnMount: see view.OnMount.
func (i *inner) OnMount(ctx app.Context) { i.mount(ctx) }

// OnPreRender: see view.OnPreRender.
func (i *inner) OnPreRender(ctx app.Context) { i.mount(ctx) }

func (i *inner) mount(ctx app.Context) {
	ctx.PreventUpdate()
	i.ctx = &ctx
	i.writeAttrs()
	if i.growOnMount {
		i.growOnMount = false
		i.grow(ctx)
	}
	if i.pending {
		i.pending = false
		i.changed()
	}
}

// OnDismount releases everything the view created.
func (i *inner) OnDismount() {
	i.ctx, i.queued, i.pending = nil, false, false
	i.stop()
}

func (i *inner) stop() {
	if i.scope != nil {
		i.scope.Dispose() // and with it the attrs' effects
	}
	clear(i.attrs)
	i.attrs = i.attrs[:0]
	if i.list != nil {
		i.list.dispose()
	}
	i.scope, i.effect, i.render, i.list, i.tree, i.fresh, i.restart = nil, nil, nil, nil, nil, false, false
}
