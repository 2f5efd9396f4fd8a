package ui

import (
	"runtime/debug"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// On returns an event handler that calls h without go-app's re-render of the
// element's component and every ancestor: go-app marks them all before any
// handler runs, and On unmarks them (Context.PreventUpdate). With Tandem the
// graph decides what re-renders: the views that read what h changed.
//
// Handlers in views should be made with On, Do, OnValue or OnChecked. A plain
// handler still works, it only costs a re-render of each enclosing view and
// component up to the page's root.
//
// go-app keeps the handler of the first render as long as the element is
// mounted (it compares handlers by code, not by captured values), so a handler
// should capture stable things — signals, ids, stores — and read current values
// when it runs.
//
// A handler that panics is logged (app.Log, the browser's console) and the
// app goes on: in a browser, a panic in an event ends the program.
func On(h app.EventHandler) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		ctx.PreventUpdate()
		defer survive()
		h(ctx, e)
	}
}

// survive recovers a handler's panic and logs it.
func survive() {
	if x := recover(); x != nil {
		app.Log("ui: an event handler panicked:", x, "\n"+string(debug.Stack()))
	}
}

// Do is On for handlers that need neither the context nor the event:
//
//	app.Button().Text("Delete").OnClick(ui.Do(func() { del.Run(id) }))
func Do(fn func()) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		ctx.PreventUpdate()
		defer survive()
		fn()
	}
}

// OnValue is On for input and change events: it calls fn with the element's
// value. With a Signal[string], an input is bound both ways in one line —
// the signal shows in the input, typing writes the signal:
//
//	app.Input().Value(draft.Get()).OnInput(ui.OnValue(draft.Set))
func OnValue(fn func(string)) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		ctx.PreventUpdate()
		defer survive()
		fn(ctx.JSSrc().Get("value").String())
	}
}

// OnChecked is OnValue for checkboxes and radio buttons: it calls fn with the
// element's checked state.
//
//	app.Input().Type("checkbox").Checked(done.Get()).OnChange(ui.OnChecked(done.Set))
func OnChecked(fn func(bool)) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		ctx.PreventUpdate()
		defer survive()
		fn(ctx.JSSrc().Get("checked").Bool())
	}
}
