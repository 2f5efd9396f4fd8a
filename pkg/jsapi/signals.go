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
	r.export(api, []string{"signal", "computed", "get", "peek", "set", "effect", "watch", "dispose", "batch", "untracked", "free"}, r.callSignals)
}

// callSignals runs the call name of exportSignals.
func (r *Runtime) callSignals(name string, a []js.Value) (out any) {
	switch name {
	case "signal":
		return r.handle(state.NewSignalFunc(r.g, a[0], same))
	case "computed":
		fn := a[0]
		return r.handle(state.NewComputedFunc(r.g, func() js.Value { return fn.Invoke() }, same))
	case "get":
		return get[reader](r, a[0]).Get()
	case "peek":
		return get[reader](r, a[0]).Peek()
	case "set":
		get[*state.Signal[js.Value]](r, a[0]).Set(a[1])
	case "effect":
		// effect runs fn now and whenever what it read changes; a function
		// fn returns is its cleanup, called before the next run and on
		// dispose.
		fn := a[0]
		return r.handle(r.g.Effect(func() {
			if c := fn.Invoke(); c.Type() == js.TypeFunction {
				r.g.OnCleanup(func() { c.Invoke() })
			}
		}))
	case "watch":
		// watch calls fn(value) each time node's value changes, not for the
		// current one, untracked: subscribe.
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
	case "dispose":
		get[*state.Effect](r, a[0]).Dispose()
		r.release(a[0].Int())
	case "batch":
		r.g.Batch(func() { out = a[0].Invoke() })
	case "untracked":
		r.g.Untracked(func() { out = a[0].Invoke() })
	case "free":
		// free releases a signal or computed JavaScript no longer references
		// (a FinalizationRegistry calls it).
		r.release(a[0].Int())
	}
	return out
}
