package state

// User code (computed and effect functions, source reads, cleanups) may
// panic. Rather than a recover around every computed — the most frequent
// call in the graph — protection sits at the few places where a panic can
// be handled: an effect run, a read from outside any protected region, a
// Read, a source read, a cleanup. When a panic reaches one, unwind fails
// every computed still running above it (they form a chain through
// node.prevSub) with the panic's error, exactly as if each had recovered it
// and re-raised it to its reader.

// A guard is the graph state saved when entering a protected region.
type guard struct {
	sub    *node
	owner  *owner
	frames int
	depth  uint
}

func (g *Graph) enter() guard {
	g.guards++
	return guard{sub: g.activeSub, owner: g.activeOwner, frames: len(g.frames), depth: g.depth}
}

// unwind ends, as failed with err, every computed run begun inside the
// region of gd, and restores the graph state saved in gd. It stops at an
// effect: the effect's own protection ends it. Failed nodes first take their
// error (and a new version), then each records the read it was in the middle
// of, so that versions on the new links are final and a reader reruns once
// what it read is fixed.
func (g *Graph) unwind(gd guard, err error) {
	base := len(g.nodes)
	for n := g.activeSub; n != nil && n != gd.sub && n.flags&fEffect == 0; n = g.activeSub {
		n.impl.(failer).fail(err)
		g.endTracking(n)
		n.version++
		n.gver = g.gver
		g.nodes = append(g.nodes, n)
	}
	for _, n := range g.nodes[base:] {
		g.recordReading(n)
	}
	clear(g.nodes[base:])
	g.nodes = g.nodes[:base]
	g.activeOwner = gd.owner
	g.depth = gd.depth
	g.dropFrames(gd.frames)
}

// readComputed is Computed.Get past its inlined fast path: it brings n up to
// date, records the read, and panics with n's failure, if any.
func (g *Graph) readComputed(n *node) {
	if g.polled {
		g.beginRead()
	}
	if !g.fresh(n) {
		g.validateRead(n)
	}
	if sub := g.activeSub; sub != nil && n.trackRun != sub.run && !reuse(n, sub) {
		g.track(n, sub)
	}
	if n.flags&fFailed != 0 {
		panic(readError{n.impl.(failer).failure()})
	}
}

// validateRead brings computed n up to date for a tracked read. A panic on
// the way still leaves the reader depending on n, so the reader reruns once n
// is fixed. It is refresh and validate written out: in the WASM build a call
// costs more than the rest of a cached read.
func (g *Graph) validateRead(n *node) {
	sub := g.activeSub
	if sub != nil {
		sub.reading = n
	}
	if g.guards == 0 {
		g.validateGuarded(n)
		g.settle()
	} else if f := n.flags; f&fRunning != 0 {
		panic(readError{ErrCycle})
	} else {
		g.nest()
		if f&fDirty != 0 || g.stale(n) {
			if n.update() {
				n.version++
			}
		} else {
			n.flags = f &^ (fDirty | fPending)
		}
		n.gver = g.gver
		g.depth--
	}
	if sub != nil {
		sub.reading = nil
	}
}

// recordReading links n to the node it was reading when a panic
// interrupted it, so that n reruns once that node changes. That node is up
// to date: it failed too, or holds the failure n met, or a dependency walk
// (which carries on past failures) validated it.
func (g *Graph) recordReading(n *node) {
	x := n.reading
	if x == nil {
		return
	}
	n.reading = nil
	if x.trackRun != n.run && !reuse(x, n) {
		g.track(x, n)
	}
}

// validate brings computed n up to date for a read, protecting the
// computation unless an enclosing region already does.
func (g *Graph) validate(n *node) {
	if g.guards != 0 {
		g.refresh(n)
		return
	}
	g.validateGuarded(n)
	g.settle()
}

// validateGuarded refreshes n in a protected region. Dependency walks carry
// on past failures, so a panic that reaches this region failed n itself; one
// that did not (user code cannot cause one) leaves a node below n failed,
// and the refresh starts over, once per such node.
func (g *Graph) validateGuarded(n *node) {
	for !g.tryRefresh(n) {
	}
}

// tryRefresh refreshes n in a protected region; it reports false when a panic
// interrupted the refresh before n itself took the error.
func (g *Graph) tryRefresh(n *node) (done bool) {
	gd := g.enter()
	defer g.leave(gd, n, &done)
	g.refresh(n)
	return true
}

// leave ends the protected region of tryRefresh, unwinding it if it
// panicked; done reports whether n holds its outcome.
func (g *Graph) leave(gd guard, n *node, done *bool) {
	g.guards--
	if r := recover(); r != nil {
		failed := n.flags&fRunning != 0
		g.unwind(gd, recovered(r))
		*done = failed
	}
}
