package state

import (
	"fmt"
	"os"
	"runtime"
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
	gver        uint64 // bumped on every signal or source change; see beginRead
	polled      bool   // a source was read unwatched, or unwatched, since gver moved
	depth       uint   // validations nested in one another; see nest
	effects     int    // live effects; see Stats
	watched     int    // nodes with subscribers; see Stats
	runSeq      uint64 // tracking run ids; see node.run
	flushSeq    uint64 // flush ids; see Effect.flushSeq

	queue    []*Effect // effects to run in this flush, in notification order
	qpos     int       // the next queue entry to run
	current  *Effect   // the effect the flush is running or checking
	deferred []*Effect // effects stopped by the loop limit, for the next flush
	checking walk      // the walk of current's check; see Graph.check
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

// defaultMaxRuns is the loop limit of a graph not given WithMaxEffectRuns,
// the zero Graph included.
const defaultMaxRuns = 100

// NewGraph returns an empty graph configured by opts. The zero Graph is an
// empty graph with the defaults, ready to use.
func NewGraph(opts ...Option) *Graph {
	g := &Graph{}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Stats counts what a graph holds alive: the effects not disposed, and the
// signals, computeds and sources that some effect depends on, directly or
// not. A component tree that was mounted and dismounted leaves both as they
// were: tests use it to find leaks.
type Stats struct {
	Effects int
	Watched int
}

// Stats returns the graph's current counts.
func (g *Graph) Stats() Stats { return Stats{Effects: g.effects, Watched: g.watched} }

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

// beginRead starts a read from outside any run. An unwatched source is read
// afresh each time, and nothing tells the graph when its value changes; so
// once one has been read or unwatched, the next read from outside moves the
// graph version, and unwatched nodes check their dependencies again, once,
// before they are trusted until the next change. Graphs whose sources are
// all watched never pay for this.
func (g *Graph) beginRead() {
	if g.polled && g.guards == 0 && g.activeSub == nil {
		g.polled = false
		g.gver++
	}
}

// nest counts one more validation nested in the runs of others: the first
// read of a 100,000-deep chain is 100,000 nested calls, one computed's
// function reading the next. Go grows its own stack for that, but under
// WebAssembly each Go call is also a call of the JavaScript engine, whose
// stack is small and fixed, and overflowing it kills the program. So every
// yieldDepth levels a validation yields to the Go scheduler, which, under
// WebAssembly, empties the engine's stack while Go's keeps every frame (see
// stack_js.go). The caller decrements depth when the validation returns; a
// protected region restores it after a panic.
func (g *Graph) nest() {
	g.depth++
	if yieldStack && g.depth%yieldDepth == 0 {
		runtime.Gosched()
	}
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
	g.beginRead()
	if len(g.deferred) > 0 {
		for _, e := range g.deferred {
			if f := e.n.flags; f&fDisposed == 0 {
				e.n.flags = f&^fDeferred | fQueued
				g.queue = append(g.queue, e)
			}
		}
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
	if g.checking.root != nil {
		// The frames above the check's base are its own, and it pops them.
		gd.frames = g.checking.base
	}
	defer g.leaveQueue(gd, &done)
	if g.checking.root != nil {
		g.resumeCheck()
	}
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

// leaveQueue ends runQueue's protected region. A failure met while checking
// the current effect's dependencies is resumed past (see resume), and the
// next runQueue finishes the check; a panic in the effect's run fails that
// run.
func (g *Graph) leaveQueue(gd guard, done *bool) {
	g.guards--
	if *done {
		return // returned normally: no recover call on the hot path
	}
	r := recover()
	if r == nil {
		return
	}
	if g.checking.root != nil && g.resume(&g.checking, gd, r) {
		return
	}
	g.checking.root = nil
	err := recovered(r)
	g.unwind(gd, err)
	e := g.current
	g.current = nil
	if g.activeSub == &e.n {
		e.fail(err)
	} else if e.n.flags&fDisposed == 0 {
		// Not a failure a walk meets (user code cannot cause one): run the
		// effect, which meets it itself.
		e.n.flags |= fDirty
		g.enqueue(&e.n)
	}
}

// check reports whether a dependency of effect node n changed, as stale
// does. Its walk runs in the flush's protected region: a failure on the way
// ends runQueue, and the next runQueue resumes the walk (resumeCheck), so
// that checking an effect costs no protected region of its own.
func (g *Graph) check(n *node) bool {
	for l := n.deps; l != nil; l = l.nextDep { // scan, written out
		d := l.dep
		if d.flags&(fComputed|fSource) != 0 && !g.fresh(d) {
			w := &g.checking
			w.root, w.n, w.l, w.changed, w.base, w.depth = n, n, l, false, len(g.frames), g.depth
			changed := g.walkFrom(w)
			w.root = nil
			return changed
		}
		if d.version != l.version {
			return true
		}
	}
	return false
}

// resumeCheck finishes the check of the current effect that a failure
// interrupted, and runs the effect if something it read changed.
func (g *Graph) resumeCheck() {
	e := g.current
	changed := g.walkFrom(&g.checking)
	g.checking.root = nil
	if e.n.flags&fDisposed != 0 {
		return
	}
	if changed {
		e.runs++
		g.execute(e)
	} else {
		e.n.flags &^= fPending
	}
}

// runOwned runs queued effect e, or first the outermost queued effect that
// owns it: e's turn then comes again, after its owner's run (which may
// dispose it). An owner the loop limit stopped holds back what it owns
// until the next flush too.
func (g *Graph) runOwned(e *Effect) {
	if e.n.flags&fQueued == 0 {
		return
	}
	top := e
	for o := e.own.parent; o != nil; o = o.parent {
		if o.effect != nil && o.effect.n.flags&(fQueued|fDeferred) != 0 {
			top = o.effect
		}
	}
	if top.n.flags&fDeferred != 0 {
		g.postpone(e)
		return
	}
	if top != e {
		g.qpos--
		g.queue[g.qpos] = e
	}
	g.current = top
	g.runEffect(top)
}

// postpone leaves queued effect e for the next flush. It leaves the queue
// at once, so that the queue's other entries for it are skipped: each
// postponed effect is reported and deferred once per flush.
func (g *Graph) postpone(e *Effect) {
	e.n.flags = e.n.flags&^fQueued | fDeferred
	g.deferred = append(g.deferred, e)
}

// runEffect runs a dequeued effect if what it read changed. It returns false
// when the loop limit stopped the effect: it is then postponed, with its
// flags, to the next flush.
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
	if e.runs >= g.maxRuns && (g.maxRuns != 0 || e.runs >= defaultMaxRuns) {
		g.postpone(e)
		g.report(fmt.Errorf("%w: %d runs in one flush", ErrEffectLoop, e.runs))
		return false
	}
	n.flags = f &^ fQueued
	if f&fDirty != 0 || (f&fPending != 0 && g.check(n)) {
		e.runs++
		g.execute(e)
	} else {
		n.flags &^= fPending
	}
	return true
}

// Report hands err to the graph's error handler (WithErrorHandler), or to
// standard error without one, as the graph does with a panic recovered from
// an effect: for code that runs user functions outside any effect, such as
// an event handler (pkg/ui recovers a panicking row handler and reports it
// here).
func (g *Graph) Report(err error) { g.report(err) }

// report hands err to the error handler. A handler that panics is reported
// on standard error: the graph must stay usable.
func (g *Graph) report(err error) {
	if g.onError != nil && callCleanup(func() { g.onError(err) }) == nil {
		return
	}
	_, _ = os.Stderr.WriteString("state: unhandled graph error: " + err.Error() + "\n")
}
