package ui

import (
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/state"
)

// marksPerPump bounds the go-app dispatches one pump sends. go-app's dispatch
// queue is a channel of 4,096 that only the UI goroutine drains, so a pump
// sending more than that would block the UI goroutine on itself; the rest
// waits for the next pump, which is queued behind them.
const marksPerPump = 1024

// A Runtime is a state.Graph that runs on go-app's UI goroutine, and the
// bookkeeping that lets its views re-render alone.
//
// Its graph's scheduler (Graph.Schedule) hands functions from any goroutine to
// the UI goroutine through go-app's Dispatch, in call order, in one Batch per
// hand-over: this is how fetches and WebSockets running in goroutines deliver
// their results. go-app dispatches only through a mounted component, so the
// functions wait in the Runtime until a view built on it is mounted, and
// survive that view's dismount.
//
// A Runtime is made by NewRuntime; every view of one app shares it. It keeps
// no package-level state.
type Runtime struct {
	g *state.Graph

	mu      sync.Mutex
	tasks   []func() // guarded by mu: scheduled, not yet run
	hosts   []*view  // guarded by mu: mounted views, whose contexts can dispatch
	carrier *view    // guarded by mu: the host whose Dispatch carries the queued pump, or nil

	dirty []*inner // UI goroutine only: views waiting for their update mark

	// rowsDOM makes the DOM side of a mounted Rows: newRowsDOM, or a model
	// in tests.
	rowsDOM func(ctx app.Context, container app.Value, event rowEvent) rowsDOM
}

// NewRuntime returns a Runtime with a new graph configured by opts. Its
// scheduler is the Runtime's own; a WithScheduler among opts is overridden.
func NewRuntime(opts ...state.Option) *Runtime {
	rt := &Runtime{rowsDOM: newRowsDOM}
	rt.g = state.NewGraph(append(opts[:len(opts):len(opts)], state.WithScheduler(rt.schedule))...)
	return rt
}

// Graph returns the runtime's graph: give it to stores, forms and queries.
// Its Schedule may be called from any goroutine.
func (rt *Runtime) Graph() *state.Graph { return rt.g }

// schedule is the graph's scheduler: fn runs on the UI goroutine, after the
// functions scheduled before it.
func (rt *Runtime) schedule(fn func()) {
	rt.mu.Lock()
	rt.tasks = append(rt.tasks, fn)
	ctx := rt.claimLocked()
	rt.mu.Unlock()
	if ctx != nil {
		ctx.Dispatch(rt.pump)
	}
}

// claimLocked picks the host whose Dispatch will carry the next pump and
// returns its context, or nil when a pump is already queued or no view is
// mounted (the first mount then pumps).
func (rt *Runtime) claimLocked() *app.Context {
	if rt.carrier != nil || len(rt.hosts) == 0 {
		return nil
	}
	rt.carrier = rt.hosts[0]
	return rt.carrier.ctx
}

// wake queues a pump unless one is queued. UI goroutine or not.
func (rt *Runtime) wake() {
	rt.mu.Lock()
	ctx := rt.claimLocked()
	rt.mu.Unlock()
	if ctx != nil {
		ctx.Dispatch(rt.pump)
	}
}

// pump runs on the UI goroutine, dispatched through a host: it runs the
// scheduled functions, then sends the update marks of dirty views.
func (rt *Runtime) pump(ctx app.Context) {
	// go-app's Dispatch marked the host and all its ancestors for update;
	// nothing of theirs changed.
	ctx.PreventUpdate()
	rt.mu.Lock()
	rt.carrier = nil
	rt.mu.Unlock()
	rt.run()
}

// run does a pump's work on the UI goroutine.
func (rt *Runtime) run() {
	rt.runTasks()
	n := 0
	for n < len(rt.dirty) && n < marksPerPump {
		i := rt.dirty[n]
		rt.dirty[n] = nil
		n++
		i.sendMark()
	}
	rest := copy(rt.dirty, rt.dirty[n:])
	clear(rt.dirty[rest:])
	rt.dirty = rt.dirty[:rest]
	if rest > 0 {
		rt.wake()
	}
}

// runTasks runs the scheduled functions in one Batch, in order. A panic
// propagates, as in any go-app Dispatch; the functions after it stay queued
// and a pump is queued for them.
func (rt *Runtime) runTasks() {
	rt.mu.Lock()
	tasks := rt.tasks
	rt.tasks = nil
	rt.mu.Unlock()
	if len(tasks) == 0 {
		return
	}
	done := 0
	defer func() {
		if done == len(tasks) {
			return
		}
		rt.mu.Lock()
		rt.tasks = append(tasks[done:len(tasks):len(tasks)], rt.tasks...)
		rt.mu.Unlock()
		rt.wake()
	}()
	rt.g.Batch(func() {
		for done < len(tasks) {
			fn := tasks[done]
			done++
			fn()
		}
	})
}

// markDirty queues i's update mark. UI goroutine.
func (rt *Runtime) markDirty(i *inner) {
	rt.dirty = append(rt.dirty, i)
	rt.wake()
}

// addHost registers a mounted view as a carrier for pumps and, as the work
// may have waited for a mounted view, pumps now. UI goroutine.
func (rt *Runtime) addHost(v *view) {
	rt.mu.Lock()
	v.host = len(rt.hosts)
	rt.hosts = append(rt.hosts, v)
	waiting := rt.carrier == nil && (len(rt.tasks) > 0 || len(rt.dirty) > 0)
	rt.mu.Unlock()
	if waiting {
		rt.run()
	}
}

// removeHost unregisters a dismounted view. go-app drops what is dispatched
// through a dismounted component, so a pump it carried is queued again
// through another host. UI goroutine.
func (rt *Runtime) removeHost(v *view) {
	rt.mu.Lock()
	last := len(rt.hosts) - 1
	moved := rt.hosts[last]
	rt.hosts[v.host] = moved
	moved.host = v.host
	rt.hosts[last] = nil
	rt.hosts = rt.hosts[:last]
	lost := rt.carrier == v
	if lost {
		rt.carrier = nil
	}
	rt.mu.Unlock()
	if lost {
		rt.wake()
	}
}
