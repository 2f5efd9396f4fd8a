package state

// An Effect runs a function now and again whenever something it read has
// changed, after the write (or the outermost Batch) that changed it. It reads
// only consistent values: in a diamond it runs once per write, never between
// the updates of two branches.
//
// Effects created while an effect runs, or inside a Scope, are owned by it:
// they are disposed when the owner reruns or is disposed, and they run after
// their owner within a flush. Cleanups registered with OnCleanup while the
// effect runs are called, newest first, before its next run and on Dispose.
//
// A panic in the function is recovered and reported to the graph's error
// handler as a *PanicError; the effect stays subscribed to what it read
// before the panic, and the flush goes on.
type Effect struct {
	n        node
	own      owner
	g        *Graph
	fn       func()
	runs     int    // runs within flush flushSeq, for the loop limit
	flushSeq uint64 // the flush runs counts
}

// Effect creates an effect of fn and runs it once before returning, even
// inside a Batch. The effect belongs to the running effect or scope, if any.
func (g *Graph) Effect(fn func()) *Effect {
	e := &Effect{g: g, fn: fn}
	e.n.flags = fEffect
	e.n.impl = e
	e.own.effect = e
	g.effects++
	g.adopt(&e.own)
	g.beginRead()
	e.flushSeq = g.flushSeq
	g.runFirst(e)
	g.settle()
	return e
}

// Dispose stops the effect: it runs its cleanups, disposes the effects it
// owns, and drops its dependencies. Disposing twice, or from within the
// effect's own run, is safe.
func (e *Effect) Dispose() {
	if e.n.flags&fDisposed == 0 {
		e.g.dispose(&e.own)
	}
}

// runFirst runs a new effect in a protected region.
func (g *Graph) runFirst(e *Effect) {
	gd := g.enter()
	defer g.leaveEffect(gd, e)
	e.runs++
	g.nest()
	g.execute(e)
	g.depth--
}

// leaveEffect ends the protected region of effect e. A panic from e's own
// run fails that run; a panic from a computed e depends on, met while
// checking e's dependencies, leaves that computed failed and e dirty, so e
// runs and meets the failure itself.
func (g *Graph) leaveEffect(gd guard, e *Effect) {
	g.guards--
	r := recover()
	if r == nil {
		return
	}
	err := recovered(r)
	g.unwind(gd, err)
	if g.activeSub == &e.n {
		e.fail(err)
		return
	}
	if e.n.flags&fDisposed == 0 {
		e.n.flags |= fDirty
		g.enqueue(&e.n)
	}
}

// execute runs effect e, re-recording what it reads.
func (g *Graph) execute(e *Effect) {
	o := &e.own
	if o.first != nil {
		g.disposeChildren(o)
	}
	if len(o.cleanups) > 0 {
		g.runCleanups(o)
	}
	n := &e.n
	owner := g.activeOwner
	g.activeOwner = o
	g.startTracking(n)
	e.fn()
	g.activeOwner = owner
	if n.flags&fDisposed == 0 {
		g.setSub(n.prevSub)
		n.prevSub = nil
		n.flags &^= fRunning
		if t := n.depsTail; t == nil || t.nextDep != nil {
			g.trimDeps(n)
		}
		return
	}
	e.finish()
}

// finish ends e's run.
func (e *Effect) finish() {
	g, n := e.g, &e.n
	if n.flags&fDisposed == 0 {
		g.endTracking(n)
		return
	}
	// Disposed by its own run: nothing of this run may stay linked.
	g.setSub(n.prevSub)
	n.prevSub = nil
	n.flags &^= fRunning
	g.unlinkAll(n)
	e.fn = nil
}

// fail ends a run of e interrupted by err and reports err.
func (e *Effect) fail(err error) {
	e.g.recordReading(&e.n)
	e.finish()
	e.g.report(err)
}

// An owner is a node of the ownership tree of effects and scopes.
type owner struct {
	parent      *owner
	first, last *owner // children, oldest first
	prev, next  *owner // siblings
	cleanups    []func()
	effect      *Effect // nil for a scope
	disposed    bool
}

// adopt makes the active owner, if any, the owner of o.
func (g *Graph) adopt(o *owner) {
	p := g.activeOwner
	if p == nil {
		return
	}
	o.parent = p
	o.prev = p.last
	if p.last != nil {
		p.last.next = o
	} else {
		p.first = o
	}
	p.last = o
}

// dispose disposes o, what it owns (newest first), and runs its cleanups.
func (g *Graph) dispose(o *owner) {
	if o.disposed {
		return
	}
	o.disposed = true
	if e := o.effect; e != nil {
		e.n.flags = (e.n.flags | fDisposed) &^ (fQueued | fDeferred | fDirty | fPending)
		g.effects--
	}
	g.disposeChildren(o)
	g.runCleanups(o)
	if p := o.parent; p != nil {
		if o.prev != nil {
			o.prev.next = o.next
		} else {
			p.first = o.next
		}
		if o.next != nil {
			o.next.prev = o.prev
		} else {
			p.last = o.prev
		}
		o.parent, o.prev, o.next = nil, nil, nil
	}
	if e := o.effect; e != nil && e.n.flags&fRunning == 0 {
		g.unlinkAll(&e.n)
		e.fn = nil
	}
}

func (g *Graph) disposeChildren(o *owner) {
	for c := o.last; c != nil; c = o.last {
		g.dispose(c)
	}
}

// runCleanups calls o's cleanups newest first, reporting panics.
func (g *Graph) runCleanups(o *owner) {
	cs := o.cleanups
	o.cleanups = nil
	for i := len(cs) - 1; i >= 0; i-- {
		if err := callCleanup(cs[i]); err != nil {
			g.report(err)
		}
	}
}

func callCleanup(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	fn()
	return nil
}

// OnCleanup registers fn with the running effect or scope: it is called
// before the effect's next run and when the effect or scope is disposed.
// Outside an effect or scope, OnCleanup reports ErrNoOwner and does nothing.
func (g *Graph) OnCleanup(fn func()) {
	if !g.Adopt(fn) {
		g.report(ErrNoOwner)
	}
}

// Adopt is OnCleanup for things that may or may not be created inside an
// owner, such as a view: inside an effect or scope it registers dispose to
// run when that owner reruns or is disposed and reports true; outside any,
// it does nothing and reports false, and the caller disposes by hand.
func (g *Graph) Adopt(dispose func()) bool {
	o := g.activeOwner
	if o == nil || o.disposed {
		return false
	}
	o.cleanups = append(o.cleanups, dispose)
	return true
}
