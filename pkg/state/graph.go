package state

import (
	"fmt"
	"os"
)

// A Graph owns a set of signals, computeds and effects and runs them.
//
// A Graph belongs to one goroutine: every method of the graph and of its nodes
// must be called from it. Other goroutines hand work to that goroutine with
// Schedule, which uses the scheduler given to NewGraph (WithScheduler). In a
// go-app program the scheduler is the component context's Dispatch; in a
// native program it is typically a Loop. The graph keeps no package-level
// state, so graphs in parallel tests never meet.
type Graph struct {
	activeSub   *node  // the computed or effect recording reads, if any
	curRun      uint64 // activeSub's run, 0 without one: one load for Get's fast path
	activeOwner *owner // the effect or scope that owns new effects and cleanups
	guards      int    // protected regions entered; see guard.go
	batchDepth  int    // Batch nesting
	untracked   int    // Untracked nesting
	flushing    bool
	gver        uint64 // bumped on every signal or source change
	runSeq      uint64 // tracking run ids; see node.run
	flushSeq    uint64 // flush ids; see Effect.flushSeq

	queue    []*Effect // effects to run in this flush, in notification order
	qpos     int       // the next queue entry to run
	current  *Effect   // the effect the flush is running or checking
	deferred []*Effect // effects stopped by the loop limit, for the next flush
	frames   []frame   // stale's explicit stack
	links    []*link   // markPending's explicit stack
	nodes    []*node   // watch/unwatch's explicit stack

	freeLinks *link
	nfree     int

	schedule func(func())
	onError  func(error)
	maxRuns  int
}

// An Option configures a Graph.
type Option func(*Graph)

// WithScheduler sets how Schedule hands a function to the graph's goroutine.
// The default runs it inline on the caller's goroutine, which is right only
// for single-goroutine programs and tests. In go-app, pass ctx.Dispatch
// wrapped as func(fn func()) { ctx.Dispatch(func(app.Context) { fn() }) };
// natively, pass a Loop's Dispatch.
func WithScheduler(schedule func(fn func())) Option {
	return func(g *Graph) { g.schedule = schedule }
}

// WithErrorHandler sets the function that receives failures no reader can
// receive: a panicking effect or cleanup (as *PanicError), an effect that
// exceeded the loop limit (ErrEffectLoop), OnCleanup outside any owner
// (ErrNoOwner). It is called on the graph's goroutine, in the order the
// failures happen; the flush goes on after it returns. The default writes the
// error to standard error.
func WithErrorHandler(h func(error)) Option {
	return func(g *Graph) { g.onError = h }
}

// WithMaxEffectRuns sets how often one effect may run within one flush before
// the graph reports ErrEffectLoop and leaves it for the next flush; 100 by
// default. It bounds an effect that writes a signal it reads.
func WithMaxEffectRuns(n int) Option {
	return func(g *Graph) {
		if n > 0 {
			g.maxRuns = n
		}
	}
}

// NewGraph returns an empty graph configured by opts.
func NewGraph(opts ...Option) *Graph {
	g := &Graph{maxRuns: 100}
	for _, o := range opts {
		o(g)
	}
	return g
}

// HasScheduler reports whether the graph was given a scheduler
// (WithScheduler). Packages that do work on other goroutines and hand results
// to the graph, such as pkg/store, require one.
func (g *Graph) HasScheduler() bool { return g.schedule != nil }

// Schedule hands fn to the graph's goroutine through the scheduler. It is the
// one Graph method that may be called from any goroutine, provided the
// scheduler allows it (the default inline scheduler does not).
func (g *Graph) Schedule(fn func()) {
	if g.schedule == nil {
		fn()
		return
	}
	g.schedule(fn)
}

// Batch runs fn and defers effects until the outermost Batch returns, so an
// effect that depends on several signals written in fn runs once. Reads inside
// fn see the new values of signals and computeds. Effects run even when fn
// panics; the panic then continues.
func (g *Graph) Batch(fn func()) {
	g.batchDepth++
	defer g.endBatch()
	fn()
}

func (g *Graph) endBatch() {
	g.batchDepth--
	g.settle()
}

// Untracked runs fn without recording what it reads as dependencies of the
// running computed or effect.
func (g *Graph) Untracked(fn func()) {
	defer g.endUntracked(g.activeSub)
	g.setSub(nil)
	g.untracked++
	fn()
}

// Untrack returns fn's result, read without recording dependencies.
func Untrack[T any](g *Graph, fn func() T) T {
	defer g.endUntracked(g.activeSub)
	g.setSub(nil)
	g.untracked++
	return fn()
}

// endUntracked ends an untracked region, also when it panics: the chain of
// running nodes must stay intact for unwind.
func (g *Graph) endUntracked(sub *node) {
	g.setSub(sub)
	g.untracked--
	g.settle()
}

// idle reports whether effects may run now: no Batch, no computed or effect
// running, no Untracked region (which may sit inside a run).
func (g *Graph) idle() bool {
	return g.batchDepth == 0 && g.activeSub == nil && g.untracked == 0
}

// settle runs the effects queued by writes inside a run that ended outside
// any batch or flush.
func (g *Graph) settle() {
	if len(g.queue) != 0 {
		g.settleSlow()
	}
}

func (g *Graph) settleSlow() {
	if g.idle() {
		g.flush()
	}
}

// enqueue queues effect node n for the flush.
func (g *Graph) enqueue(n *node) {
	n.flags |= fQueued
	g.queue = append(g.queue, n.impl.(*Effect))
}

// flush runs the queued effects, including those queued while it runs.
// Effects run in notification order, except that a queued owner runs before
// the effects it owns (its rerun may dispose them).
func (g *Graph) flush() {
	if g.flushing {
		return
	}
	g.flushing = true
	g.flushSeq++
	if len(g.deferred) > 0 {
		g.queue = append(g.queue, g.deferred...)
		clear(g.deferred)
		g.deferred = g.deferred[:0]
	}
	for !g.runQueue() {
	}
	g.queue = g.queue[:0]
	g.qpos = 0
	g.flushing = false
}

// runQueue runs the queue from qpos in one protected region, rather than one
// per effect; it reports false when a panic interrupted it, and flush calls
// it again to go on with the next effect.
func (g *Graph) runQueue() (done bool) {
	gd := g.enter()
	defer g.leaveQueue(gd, &done)
	for g.qpos < len(g.queue) {
		e := g.queue[g.qpos]
		g.queue[g.qpos] = nil
		g.qpos++
		if e.own.parent == nil {
			if e.n.flags&fQueued != 0 {
				g.current = e
				g.runEffect(e)
			}
			continue
		}
		g.runOwned(e)
	}
	g.current = nil
	return true
}

// leaveQueue ends runQueue's protected region. A panic in the current
// effect's run fails that run; a panic met while checking its dependencies
// leaves the failing computed failed and the effect dirty and queued, so it
// runs and meets the failure itself.
func (g *Graph) leaveQueue(gd guard, done *bool) {
	g.guards--
	if *done {
		return // returned normally: no recover call on the hot path
	}
	r := recover()
	if r == nil {
		return
	}
	err := recovered(r)
	g.unwind(gd, err)
	e := g.current
	g.current = nil
	*done = false
	if g.activeSub == &e.n {
		e.fail(err)
	} else if e.n.flags&fDisposed == 0 {
		e.n.flags |= fDirty
		g.enqueue(&e.n)
	}
}

// runOwned runs queued effect e, after any queued effect that owns it.
func (g *Graph) runOwned(e *Effect) {
	for e.n.flags&fQueued != 0 {
		top := e
		for o := e.own.parent; o != nil; o = o.parent {
			if o.effect != nil && o.effect.n.flags&fQueued != 0 {
				top = o.effect
			}
		}
		g.current = top
		if !g.runEffect(top) {
			if top != e {
				g.deferred = append(g.deferred, e)
			}
			return
		}
	}
}

// runEffect runs a dequeued effect if what it read changed. It returns false
// when the loop limit stopped the effect: it then stays queued, with its
// flags, for the next flush.
func (g *Graph) runEffect(e *Effect) bool {
	n := &e.n
	f := n.flags
	if f&fDisposed != 0 {
		n.flags = f &^ fQueued
		return true
	}
	if e.flushSeq != g.flushSeq {
		e.flushSeq, e.runs = g.flushSeq, 0
	}
	if e.runs >= g.maxRuns {
		g.deferred = append(g.deferred, e)
		g.report(fmt.Errorf("%w: %d runs in one flush", ErrEffectLoop, e.runs))
		return false
	}
	n.flags = f &^ fQueued
	if f&fDirty != 0 || (f&fPending != 0 && g.stale(n)) {
		e.runs++
		g.execute(e)
	} else {
		n.flags &^= fPending
	}
	return true
}

// report hands err to the error handler. A handler that panics is reported
// on standard error: the graph must stay usable.
func (g *Graph) report(err error) {
	if g.onError != nil && callCleanup(func() { g.onError(err) }) == nil {
		return
	}
	_, _ = os.Stderr.WriteString("state: unhandled graph error: " + err.Error() + "\n")
}
