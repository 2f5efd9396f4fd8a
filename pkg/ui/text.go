package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
)

// Text returns a text node that shows fn's value and follows it without
// waiting for go-app: when something fn read changes, fn runs at once and the
// new value is written to the DOM node before the event that changed it
// returns to the browser — no frame, no re-render of anything.
//
// Use it for text that changes as the user types, such as the live preview
// of a rename:
//
//	app.Span().Body(ui.Text(rt, func() string { return draft.Get() }))
//
// go-app's own copy of the node's text catches up whenever the enclosing
// view re-renders, so both agree; natively, where there is no DOM, only that
// copy exists and the new text shows once the enclosing view re-renders.
// Like View, a new Text from a re-rendering parent replaces fn. Text costs
// no go-app dispatch when it mounts, unlike View.
func Text(rt *Runtime, fn func() string) app.UI {
	return &text{Spec: &textSpec{fn: fn, rt: rt}}
}

type textSpec struct {
	fn func() string
	rt *Runtime
}

// A text is the component Text returns; its root is the text node.
type text struct {
	app.Compo
	Spec *textSpec

	effect *state.Effect
	fn     func() string
	value  string // fn's latest value
	live   bool   // the node is in the DOM: write changes to it
	stale  bool   // a new Spec came: run the new fn
}

func (t *text) Render() app.UI {
	switch {
	case t.effect == nil:
		t.fn = t.Spec.fn
		t.effect = t.Spec.rt.g.Effect(t.run)
		// go-app mounts the node right after Render returns, before anything
		// can change; natively there is no node to write.
		t.live = app.IsClient
	case t.stale:
		t.stale = false
		old := t.effect
		t.effect = t.Spec.rt.g.Effect(t.run)
		old.Dispose()
	}
	return app.Text(t.value)
}

func (t *text) run() {
	v := t.fn()
	if v == t.value {
		return
	}
	t.value = v
	if t.live {
		t.JSValue().Set("nodeValue", v)
	}
}

// OnUpdate: a re-rendering parent gave a new Spec.
func (t *text) OnUpdate(app.Context) {
	t.fn, t.stale = t.Spec.fn, true
}

// OnDismount stops following fn.
func (t *text) OnDismount() {
	if t.effect != nil {
		t.effect.Dispose()
	}
	t.effect, t.live = nil, false
}
