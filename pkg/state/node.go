package state

// The graph is untyped inside: every Signal, Computed, Source and Effect embeds
// a node, and the algorithm in this file and in propagate.go never knows which
// kind it holds beyond a few flag bits. Typed values live in the wrappers.
//
// Edges are links that sit in two intrusive doubly linked lists at once: the
// subscriber's dependency list (deps, in read order) and the dependency's
// subscriber list (subs). A subscriber appears in a dependency's subs list only
// while it is watched, that is while an effect depends on it directly or
// through computeds. Unwatched computeds keep their deps list (forward
// pointers only) and validate themselves on read by comparing versions, so the
// graph keeps no pointer to a node that nothing observes (S15).

// flags is the bit-flag word of a node. It is 64 bits wide because the WASM
// build computes in 64-bit registers and would mask a narrower type after
// every operation.
type flags uint64

const (
	fSignal   flags = 1 << iota // a writable value
	fComputed                   // a derived value, recomputed lazily
	fEffect                     // a side effect; always watched while alive
	fSource                     // an external source fed through a subscription
	fDirty                      // a direct dependency changed: must recompute
	fPending                    // something upstream changed: must check deps
	fRunning                    // computing or running now (cycle detection)
	fQueued                     // effect waiting in the flush queue
	fDisposed                   // effect disposed
	fDeferred                   // effect stopped by the loop limit, waiting for the next flush
	fHasValue                   // computed holds a value (or error) from a run
	fNoFrame                    // stale descended into it without a frame
	fWatched                    // has subscribers (subs != nil)
	fFailed                     // computed holds an error
)

// failer is implemented by computeds: fail ends a run that a panic
// interrupted, with err as its outcome; failure returns the error a failed
// computed holds.
type failer interface {
	fail(err error)
	failure() error
}

// watcher is implemented by nodes that react to gaining their first or losing
// their last subscriber (sources subscribe and unsubscribe externally).
type watcher interface {
	watched()
	unwatched()
}

type node struct {
	flags flags
	// version counts value changes; links remember the version they saw.
	version uint64
	// gver is the graph version at which an unwatched node was last validated.
	gver uint64
	// run identifies the current (or last) tracking run of this node as a
	// subscriber; trackRun is the run that last linked this node as a
	// dependency. Together they drop repeated reads within one run.
	run      uint64
	trackRun uint64

	// prevSub is the subscriber that was active when this node's run began;
	// running nodes form a chain through it, which unwind follows.
	prevSub *node
	// reading is the node this running node is reading while that node is
	// brought up to date; unwind records the read if a panic interrupts it.
	reading *node

	deps, depsTail *link
	subs, subsTail *link

	// update recomputes a computed, or re-reads a source, and reports
	// whether its value changed (the caller bumps the version). It is a
	// closure over the typed node rather than an interface method so that
	// the hottest call in the graph is one indirect call, not a method
	// wrapper calling a generic shape function.
	update func() bool
	// impl is the typed node: *Effect, or a failer (Computed), or a watcher
	// (Source).
	impl any
}

type link struct {
	dep, sub *node
	version  uint64 // dep.version when sub last read it
	prevDep  *link
	nextDep  *link
	prevSub  *link
	nextSub  *link
}

// watchedSub reports whether links from n to its dependencies belong in the
// dependencies' subs lists.
func watchedSub(n *node) bool {
	return n.flags&(fEffect|fWatched) != 0
}

// fresh reports whether a computed or source needs no validation before read.
func (g *Graph) fresh(n *node) bool {
	f := n.flags
	// Watched nodes are told about every upstream change by propagate;
	// unwatched ones compare graph versions (see Graph.beginRead).
	return f&(fDirty|fPending|fRunning|fWatched) == fWatched ||
		f&(fDirty|fPending|fRunning|fWatched) == 0 && n.gver == g.gver
}

// reuse records that sub, the running subscriber, read dep, when dep is the
// next link under sub's re-tracking cursor (depsTail): a run that reads the
// same things in the same order allocates nothing and touches no subs list.
// It reports false when track must do the work.
func reuse(dep, sub *node) bool {
	dep.trackRun = sub.run
	next := sub.deps
	if t := sub.depsTail; t != nil {
		next = t.nextDep
	}
	if next == nil || next.dep != dep {
		return false
	}
	next.version = dep.version
	sub.depsTail = next
	return true
}

// read records that the running subscriber, if any, read dep, when Get's
// fast path found dep not yet read in this run.
func (g *Graph) read(dep *node) {
	if sub := g.activeSub; sub != nil && dep.trackRun != sub.run && !reuse(dep, sub) {
		g.track(dep, sub)
	}
}

// track records that sub read dep where reuse could not.
func (g *Graph) track(dep, sub *node) {
	dep.trackRun = sub.run
	prev := sub.depsTail
	var next *link
	if prev == nil {
		next = sub.deps
	} else {
		next = prev.nextDep
	}
	if next != nil && next.dep == dep {
		next.version = dep.version
		sub.depsTail = next
		return
	}
	g.link(dep, sub, prev, next)
}

// link inserts a new link from sub to dep between prev and next.
func (g *Graph) link(dep, sub *node, prev, next *link) {
	l := g.newLink()
	l.dep, l.sub, l.version = dep, sub, dep.version
	l.prevDep, l.nextDep = prev, next
	if next != nil {
		next.prevDep = l
	}
	if prev != nil {
		prev.nextDep = l
	} else {
		sub.deps = l
	}
	sub.depsTail = l
	if watchedSub(sub) {
		g.addSub(dep, l)
	}
}

// startTracking prepares n for a run that re-records its dependencies. While
// any run is active, writes queue effects without flushing them (see idle),
// so an effect is never re-entered while it runs.
func (g *Graph) startTracking(n *node) {
	n.prevSub = g.activeSub
	g.activeSub = n
	g.runSeq++
	n.run = g.runSeq
	g.curRun = g.runSeq
	n.depsTail = nil
	n.flags = n.flags&^(fDirty|fPending) | fRunning
}

// endTracking ends n's run and drops the dependencies it did not read again.
// setSub makes n the active subscriber (nil for none).
func (g *Graph) setSub(n *node) {
	g.activeSub = n
	g.curRun = 0
	if n != nil {
		g.curRun = n.run
	}
}

func (g *Graph) endTracking(n *node) {
	g.setSub(n.prevSub)
	n.prevSub = nil
	n.flags &^= fRunning
	if tail := n.depsTail; tail == nil || tail.nextDep != nil {
		g.trimDeps(n)
	}
}

// trimDeps removes the links after n.depsTail.
func (g *Graph) trimDeps(n *node) {
	var l *link
	if tail := n.depsTail; tail != nil {
		l = tail.nextDep
		tail.nextDep = nil
	} else {
		l = n.deps
		n.deps = nil
	}
	watched := watchedSub(n)
	for l != nil {
		next := l.nextDep
		if watched {
			g.removeSub(l)
		}
		g.freeLink(l)
		l = next
	}
}

// unlinkAll removes every dependency of n (an effect being disposed).
func (g *Graph) unlinkAll(n *node) {
	l := n.deps
	n.deps, n.depsTail = nil, nil
	for l != nil {
		next := l.nextDep
		g.removeSub(l)
		g.freeLink(l)
		l = next
	}
}

// addSub appends l to its dependency's subs list. A dependency that gains its
// first subscriber becomes watched and subscribes to its own dependencies.
func (g *Graph) addSub(dep *node, l *link) {
	tail := dep.subsTail
	l.prevSub, l.nextSub = tail, nil
	dep.subsTail = l
	if tail != nil {
		tail.nextSub = l
		return
	}
	dep.subs = l
	dep.flags |= fWatched
	g.watched++
	if dep.flags&(fComputed|fSource) != 0 {
		g.watch(dep)
	}
}

// removeSub takes l out of its dependency's subs list. A dependency that loses
// its last subscriber becomes unwatched and unsubscribes from its own.
func (g *Graph) removeSub(l *link) {
	dep := l.dep
	prev, next := l.prevSub, l.nextSub
	if next != nil {
		next.prevSub = prev
	} else {
		dep.subsTail = prev
	}
	if prev != nil {
		prev.nextSub = next
	} else {
		dep.subs = next
		if next == nil {
			dep.flags &^= fWatched
			g.watched--
			if dep.flags&(fComputed|fSource) != 0 {
				g.unwatch(dep)
			}
		}
	}
	l.prevSub, l.nextSub = nil, nil
}

// watch subscribes a newly watched node, and transitively every unwatched
// computed below it, to its dependencies. Iterative: depth costs heap, not
// stack.
func (g *Graph) watch(n *node) {
	base := len(g.nodes)
	g.nodes = append(g.nodes, n)
	for len(g.nodes) > base {
		n = g.nodes[len(g.nodes)-1]
		g.nodes[len(g.nodes)-1] = nil
		g.nodes = g.nodes[:len(g.nodes)-1]
		if n.flags&fSource != 0 {
			n.impl.(watcher).watched()
			continue
		}
		for l := n.deps; l != nil; l = l.nextDep {
			dep := l.dep
			tail := dep.subsTail
			l.prevSub, l.nextSub = tail, nil
			dep.subsTail = l
			if tail != nil {
				tail.nextSub = l
				continue
			}
			dep.subs = l
			dep.flags |= fWatched
			g.watched++
			if dep.flags&(fComputed|fSource) != 0 {
				g.nodes = append(g.nodes, dep)
			}
		}
	}
}

// unwatch is the reverse of watch for a node that lost its last subscriber.
// The node keeps its deps list so that a later read can validate it by
// version; it only leaves its dependencies' subs lists.
func (g *Graph) unwatch(n *node) {
	base := len(g.nodes)
	g.nodes = append(g.nodes, n)
	for len(g.nodes) > base {
		n = g.nodes[len(g.nodes)-1]
		g.nodes[len(g.nodes)-1] = nil
		g.nodes = g.nodes[:len(g.nodes)-1]
		if n.flags&(fDirty|fPending) == 0 {
			// Watched and unflagged means valid now; remember when.
			n.gver = g.gver
		}
		if n.flags&fSource != 0 {
			n.impl.(watcher).unwatched()
			continue
		}
		for l := n.deps; l != nil; l = l.nextDep {
			dep := l.dep
			prev, next := l.prevSub, l.nextSub
			if next != nil {
				next.prevSub = prev
			} else {
				dep.subsTail = prev
			}
			l.prevSub, l.nextSub = nil, nil
			if prev != nil {
				prev.nextSub = next
				continue
			}
			dep.subs = next
			if next == nil {
				dep.flags &^= fWatched
				g.watched--
				if dep.flags&(fComputed|fSource) != 0 {
					g.nodes = append(g.nodes, dep)
				}
			}
		}
	}
}

func (g *Graph) newLink() *link {
	if l := g.freeLinks; l != nil {
		g.freeLinks = l.nextDep
		g.nfree--
		l.nextDep = nil
		return l
	}
	return new(link)
}

// maxFreeLinks bounds the pool of recycled links, so disposing a large graph
// returns its memory to the garbage collector.
const maxFreeLinks = 1024

// freeLink recycles l. It clears every pointer so a pooled link keeps nothing
// alive.
func (g *Graph) freeLink(l *link) {
	if g.nfree >= maxFreeLinks {
		*l = link{}
		return
	}
	*l = link{nextDep: g.freeLinks}
	g.freeLinks = l
	g.nfree++
}
