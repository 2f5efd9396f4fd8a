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

// The calls exportSignals exports, numbered as callSignals gets them.
const (
	opSignal = iota
	opComputed
	opGet
	opPeek
	opSet
	opEffect
	opWatch
	opDispose
	opBatch
	opUntracked
	opFree
)

func (r *Runtime) exportSignals(api js.Value) {
	r.export(api, []string{opSignal: "signal", opComputed: "computed", opGet: "get", opPeek: "peek", opSet: "set", opEffect: "effect", opWatch: "watch", opDispose: "dispose", opBatch: "batch", opUntracked: "untracked", opFree: "free"}, r.callSignals)
}

// callSignals runs call op of exportSignals.
func (r *Runtime) callSignals(op int, a []js.Value) (out any) {
	switch op {
	case opSignal:
		return r.handle(state.NewSignalFunc(r.g, a[0], same))
	case opComputed:
		fn := a[0]
		return r.handle(state.NewComputedFunc(r.g, func() js.Value { return fn.Invoke() }, same))
	case opGet:
		return get[reader](r, a[0]).Get()
	case opPeek:
		return get[reader](r, a[0]).Peek()
	case opSet:
		get[*state.Signal[js.Value]](r, a[0]).Set(a[1])
	case opEffect:
		// effect runs fn now and whenever what it read changes; a function
		// fn returns is its cleanup, called before the next run and on
		// dispose.
		fn := a[0]
		return r.handle(r.g.Effect(func() {
			if c := fn.Invoke(); c.Type() == js.TypeFunction {
				r.g.OnCleanup(func() { c.Invoke() })
			}
		}))
	case opWatch:
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
	case opDispose:
		get[*state.Effect](r, a[0]).Dispose()
		r.release(a[0].Int())
	case opBatch:
		r.g.Batch(func() { out = a[0].Invoke() })
	case opUntracked:
		r.g.Untracked(func() { out = a[0].Invoke() })
	case opFree:
		// free releases a signal or computed JavaScript no longer references
		// (a FinalizationRegistry calls it).
		r.release(a[0].Int())
	}
	return out
}
