//go:build js

package jsapi

import (
	"syscall/js"

	"github.com/tandemkit/tandem/pkg/state"
)

// Signals, computeds and effects over JavaScript values: the graph of
// pkg/state, with JavaScript functions as the computations. A value is
// compared with ===, as JavaScript's own signal libraries do, so writing the
// same object again notifies nobody; write a new object to change it.

// same is === on JavaScript values (NaN is never equal), without crossing.
func same(a, b js.Value) bool { return a.Equal(b) }

// reader is a node JavaScript can read: a signal, a computed, a source.
type reader interface {
	Get() js.Value
	Peek() js.Value
}

func (r *Runtime) exportSignals(api js.Value) {
	r.export(api, "signal", func(a []js.Value) any {
		return r.handle(state.NewSignalFunc(r.g, a[0], same))
	})
	r.export(api, "computed", func(a []js.Value) any {
		fn := a[0]
		return r.handle(state.NewComputedFunc(r.g, func() js.Value { return fn.Invoke() }, same))
	})
	r.export(api, "get", func(a []js.Value) any { return get[reader](r, a[0]).Get() })
	r.export(api, "peek", func(a []js.Value) any { return get[reader](r, a[0]).Peek() })
	r.export(api, "set", func(a []js.Value) any {
		get[*state.Signal[js.Value]](r, a[0]).Set(a[1])
		return nil
	})
	// effect runs fn now and whenever what it read changes; a function fn
	// returns is its cleanup, called before the next run and on dispose.
	r.export(api, "effect", func(a []js.Value) any {
		fn := a[0]
		return r.handle(r.g.Effect(func() {
			if c := fn.Invoke(); c.Type() == js.TypeFunction {
				r.g.OnCleanup(func() { c.Invoke() })
			}
		}))
	})
	// watch calls fn(value) each time node's value changes, not for the
	// current one, untracked: subscribe.
	r.export(api, "watch", func(a []js.Value) any {
		n, fn := get[reader](r, a[0]), a[1]
		first := true
		return r.handle(r.g.Effect(func() {
			v := n.Get()
			if first {
				first = false
				return
			}
			r.g.Untracked(func() { fn.Invoke(v) })
		}))
	})
	r.export(api, "dispose", func(a []js.Value) any {
		get[*state.Effect](r, a[0]).Dispose()
		r.release(a[0].Int())
		return nil
	})
	r.export(api, "batch", func(a []js.Value) (out any) {
		r.g.Batch(func() { out = a[0].Invoke() })
		return out
	})
	r.export(api, "untracked", func(a []js.Value) (out any) {
		r.g.Untracked(func() { out = a[0].Invoke() })
		return out
	})
	// free releases a signal or computed JavaScript no longer references
	// (a FinalizationRegistry calls it).
	r.export(api, "free", func(a []js.Value) any {
		r.release(a[0].Int())
		return nil
	})
}
