// Package ui is go-app meets the signal graph: components that re-render when,
// and only when, something they read changes — and then alone, not their
// parents or siblings — keyed lists, and bindings, each a line at the call
// site.
//
// # A short tour
//
// A Runtime is the app's state.Graph, run on go-app's UI goroutine. Make one
// at start and give its Graph to stores, forms and queries; its Schedule is
// how goroutines (fetches, the WebSocket) hand results back:
//
//	rt := ui.NewRuntime()
//	st, _ := store.New(store.Options{Graph: rt.Graph(), ...})
//
// A component wraps the body of its Render in View. Whatever the function
// reads — signals, computeds, collection entities, views, query results, form
// state, the connection status: all tracked reads of the graph — is what the
// view depends on:
//
//	func (r *TodoRow) Render() app.UI {
//		return ui.View(r.RT, func() app.UI {
//			t, _ := r.Todos.Get(r.ID)
//			return app.Li().DataSet("done", t.Done).Body(
//				app.Input().Type("checkbox").Checked(t.Done).OnChange(ui.Do(r.toggle)),
//				app.Span().Body(ui.Text(r.RT, r.preview)),  // live: no re-render per keystroke
//				app.Input().Value(r.Draft.Get()).OnInput(ui.OnValue(r.Draft.Set)), // bound both ways
//			)
//		})
//	}
//
// Setup is View for a component that owns things for as long as it is
// mounted (a store view, a form, an effect); Each is a keyed list:
//
//	return ui.Setup(b.RT, func() func() app.UI {
//		todos := b.Todos.View(store.OrderBy(byPosition))
//		// made in setup, the store view belongs to this view: released at dismount
//		return func() app.UI {
//			return ui.Each(b.RT, app.Ul, todos.IDs, func(id TodoID) app.UI { return &TodoRow{ID: id, ...} })
//		}
//	})
//
// Rows is Each for long lists, with rows that are not go-app components but
// package dom's small trees: the list reaches the DOM as one innerHTML, its
// events as one listener per event type on the container, and a row's change
// as the few writes dom.Diff finds (a keystroke in a rename: one text write):
//
//	ui.Rows(rt, func() app.HTMLUl { return app.Ul().Class("todos") }, todos.IDs,
//		func(id string) func() dom.Node {
//			return func() dom.Node { t, _ := todos.Get(id); return dom.Li().Text(t.Title) }
//		})
//
// Event handlers are made with On, Do, OnValue and OnChecked, which keep
// go-app from re-rendering every ancestor of the element (see below). Text
// and LiveAttr reach the DOM without waiting for go-app's frame:
//
//	ui.View(rt, render, ui.LiveAttr("data-done", func() string { return strconv.FormatBool(done()) }))
//
// # Lifetimes
//
// A view's subscriptions start when go-app mounts it (its first Render) and
// end when go-app dismounts it: its effects are disposed, and with them what
// they owned — effects, scopes and cleanups created while render ran (until
// its next run), or by Setup's setup function (until the dismount), and the
// rows of an Each (until their key leaves). Sources (state.FromSource, so
// store.Query) unsubscribe when nothing reads them any more. After a tree is
// mounted and dismounted, Graph.Stats is back where it was; the tests check it
// over fifty rounds.
//
// A view that go-app renders but never mounts — app.HTMLString of a live
// component, or go-app's server-side prerendering, which never dismounts —
// keeps its effect. Prerender with a graph of its own per request, or none.
//
// # Rendering a page on a server
//
// A server can send the page with its data in it, for the WebAssembly to
// take over when it has loaded: HTMLString renders a tree of live views the
// way app.HTMLString does, with its attribute values escaped for HTML (go-app
// writes them as Go literals, which a double quote in the data ends) and a
// Rows' rows in their container, as package dom writes them for the
// browser's innerHTML. Build the tree with a graph of its own, holding the
// data the page shows, and drop it. In the browser, go-app replaces the
// server's markup with the tree it mounts (Load replaces the body's first
// element), and Rows fills its container in the OnMount that go-app runs
// before the browser gets control back: when the first render shows the same
// data, nothing flashes.
//
// # What go-app does (v10.1.11)
//
// Updates. Context.Dispatch (context.go) queues a function on the engine's
// dispatch channel (engine.go, engineX.dispatch; 4,096 entries) and, when it
// runs, marks the dispatching element's component and every ancestor
// component for update (Context.addComponentUpdate, +1 each, in
// updateManager.Add, update.go). Context.PreventUpdate walks the same chain
// with -1. Every event handler (nodeManager.mountHTMLEventHandler, node.go)
// runs through Dispatch from the element's context, and so does every
// Mounter.OnMount (nodeManager.mountComponent; OnPreRender off the browser):
// an event anywhere re-renders the whole ancestor chain, the page's root
// included. Context.Update is Dispatch(nil).
//
// The frame. The engine's loop (engineX.Start, started at 120 frames per
// second by RunWhenOnBrowser, app.go) runs dispatches as they come, and
// updates only in engineX.processFrame, on a ticker: the first dispatch after
// an idle period resets it to 1/120 s, the frame resets it to an hour. So an
// update waits for the ticker's next tick: 8.3 ms, which Go's js/wasm timers
// round up to a 9 ms setTimeout. processFrame calls
// updateManager.UpdateForEach, shallowest components first, which calls
// nodeManager.UpdateComponentRoot (Render, then a diff) for each component
// with a positive count, then runs the Defer queue.
//
// Diffs. nodeManager.updateHTML compares children by position; there are no
// keys. A component whose type matches the mounted one at the same place is
// updated in place (nodeManager.updateComponent): its exported fields are
// compared with reflect (DeepEqual for anything but basic kinds) and copied,
// then Updater.OnUpdate runs and it re-renders; DismountEnforcer.CompoID can
// force a remount instead. So the parent of a 1,000-row list compares 1,000
// components per re-render, and deleting row 1 copies each later row's fields
// into the component above it — which keeps its unexported state. Handlers
// are compared by code pointer (eventHandler.Equal, event.go): the mounted
// closure stays while the element lives.
//
// Nothing in go-app's API updates one component without marking its
// ancestors, or updates before the frame.
//
// # What this package does
//
// Re-rendering one component. A View is two components, an outer and an
// inner, each keeping the context its mount hook receives. To re-render, the
// inner dispatches (marking itself, the outer and all ancestors) and the
// dispatched function calls the outer's PreventUpdate (unmarking the outer
// and all ancestors): the two chains differ by the inner alone, so the frame
// re-renders exactly that component. The render function runs in an effect
// of the graph, at once when what it read changes (once per Batch); the
// resulting tree waits in the view, and go-app's own update path puts it in
// the DOM at the next frame. Mount hooks, the handlers of this package and
// the Runtime's own dispatches all call PreventUpdate on what go-app marked.
// A parent re-render reaches a view only when go-app finds its fields changed:
// a new View holds a new render function, which runs; the same View (as Each
// returns its rows) is left alone.
//
// Marks go out through a pump: changed views are queued and one dispatch, sent
// through any mounted view, sends their marks, at most 1,024 at a time, so the
// UI goroutine never blocks on go-app's full queue (5,000 views changing in
// one write are tested). The same pump runs the functions other goroutines
// Schedule, in order, in one Batch; if the view that carried it is dismounted
// first (go-app then drops it), another carries it again.
//
// Skipping the frame. Text writes its text node directly when its value
// changes: an input event runs its handler, the handler writes the signal,
// the signal runs Text's effect and the DOM changes — all before the event
// returns to the browser, since Go's js/wasm runtime runs every goroutine the
// event woke (the engine's loop with the dispatched handler) before it
// returns (runtime.handleEvent). go-app's own copy of the text is brought up
// to date when the enclosing view re-renders. LiveAttr does the same for an
// attribute of a view's root element (a row's data-done, say). A general view
// cannot skip the frame: only go-app's diff can write its tree.
//
// Keyed lists. Each keeps a row at the same position among go-app's
// children for as long as its key lives (a deleted row leaves an empty text
// node for a later key), so go-app never moves a row's component to another
// key; after the frame (a Defer), it moves the DOM nodes of new and
// reordered rows into place with insertBefore, as few as a longest
// increasing subsequence allows.
//
// # Costs and limits
//
// A View mounts two components and two go-app dispatches. go-app's dispatch
// queue holds 4,096, and mounting runs on the UI goroutine that empties it,
// so one frame can mount about 2,000 views (Text and LiveAttr cost none):
// Each therefore adds at most 500 new rows per frame, and a list of 1,200
// appears over three frames. A view renders once per change (once per
// Batch), not once per frame.
//
// Measured with go-app's test engine on 1,000 rows (BenchmarkKeystroke and
// BenchmarkMount), natively (median of 7 runs) and as WebAssembly in Node 20
// with the tests' small JavaScript DOM (median of 5), on 2 shared, busy cores.
// A keystroke is one write of a row's title until go-app's frame is done
// with it; a mount is the first render of the list with its dispatches:
//
//	                                       native    wasm (Node)
//	keystroke, go-app parent re-render     294 µs    1.54 ms
//	keystroke, pkg/ui row view             6.8 µs      44 µs
//	keystroke, pkg/ui Text                 0.7 µs     8.8 µs   (no frame work left)
//	mount 1,000 rows, go-app               2.5 ms     138–411 ms
//	mount 1,000 rows, pkg/ui               5.1 ms      73–268 ms
//
// A view costs about twice plain go-app's Go work to mount (two components,
// two mount dispatches, an effect); under WebAssembly the DOM calls dominate
// and the two are within the noise. pkg/ui with pkg/state adds 44 kB (3%) to
// the brotli-compressed WebAssembly of a go-app hello world (1.40 MB).
//
// In the browser the keystroke then waits for go-app's frame (about 9 ms)
// unless it goes through Text or a Rows row; GOAPP-BASELINE.md has plain
// go-app's figures.
//
// In Chromium, the demo's list of 1,000 todos took about 900 ms of go-app
// mounting with Each and a View per row (most of it one js.Func per handler
// and one js.Value with a finalizer per node); with Rows, 190 ms of Go from
// the data's arrival to the rows in the DOM, of which 117 ms set up and
// render the rows (the demo's row has two signals and a dozen handlers) and
// 32 ms is the browser parsing their HTML. A keystroke in a row costs about
// 0.6 ms of Go.
//
// # Building on it
//
// Store helpers are one line on top of View, Setup, Text and the handlers,
// because every store read is a tracked read:
//
//	ui.View(rt, func() app.UI { t, _ := todos.Get(id); return row(t) })          // an entity
//	ui.Each(rt, app.Ul, view.IDs, row)                                            // a store.View
//	ui.View(rt, func() app.UI { d, ok := q.Data(); ... })                         // a store.Query
//	app.Input().Value(f.Value().Title).OnInput(ui.OnValue(setTitle))              // a store.Form field
//	ui.View(rt, func() app.UI { return badge(client.State(), st.PendingCount()) }) // connection status
//
// and what a component owns is created in Setup.
package ui
