package state

// Push, then pull. A write pushes flags down the watched part of the graph:
// its direct subscribers become Dirty, everything further down Pending, and
// effects are queued (propagate). Nothing is recomputed then. When an effect
// runs or a computed is read, it pulls: a Pending node walks its dependencies
// in read order, brings each computed dependency up to date, and recomputes
// only if some dependency's version differs from the version its link saw
// (stale). Both walks are loops over an explicit stack, never recursion, so a
// 100,000-deep chain costs heap, not goroutine stack.

// frame is a suspended dependency walk: node n, resumed at its link l.
type frame struct {
	n *node
	l *link
}

// changed records a new value of signal or source n and notifies downstream.
func (g *Graph) changed(n *node) {
	n.version++
	g.gver++
	if n.subs != nil {
		g.propagate(n.subs)
		if g.idle() {
			g.flush()
		}
	}
}

// propagate marks the subscribers in list l Dirty and everything they feed
// Pending, queueing effects.
func (g *Graph) propagate(l *link) {
	for ; l != nil; l = l.nextSub {
		s := l.sub
		f := s.flags
		if f&fDirty != 0 {
			continue
		}
		s.flags = f | fDirty
		if f&fPending != 0 {
			continue // its downstream is marked already
		}
		if f&fEffect != 0 {
			g.enqueue(s)
		} else if s.subs != nil {
			g.markPending(s.subs)
		}
	}
}

// markPending marks everything reachable from the subs list l Pending.
func (g *Graph) markPending(l *link) {
	stack := g.links
	for {
		for l != nil {
			s := l.sub
			next := l.nextSub
			if f := s.flags; f&(fDirty|fPending) == 0 {
				s.flags = f | fPending
				if f&fEffect != 0 {
					g.enqueue(s)
				} else if s.subs != nil {
					if next != nil {
						stack = append(stack, next)
					}
					l = s.subs
					continue
				}
			}
			l = next
		}
		n := len(stack)
		if n == 0 {
			break
		}
		l = stack[n-1]
		stack[n-1] = nil
		stack = stack[:n-1]
	}
	g.links = stack
}

// refresh brings computed or source n up to date.
func (g *Graph) refresh(n *node) {
	if n.flags&fRunning != 0 {
		panic(readError{ErrCycle})
	}
	g.nest()
	if n.flags&fDirty != 0 || g.stale(n) {
		g.recompute(n)
	} else {
		n.flags &^= fDirty | fPending
		n.gver = g.gver
	}
	g.depth--
}

// recompute runs n's update and bumps its version when the value changed.
func (g *Graph) recompute(n *node) {
	if n.update() {
		n.version++
	}
	n.gver = g.gver
}

// stale reports whether any dependency of root changed since root last read
// it, bringing computed dependencies up to date on the way (and recomputing
// those that must be). It stops at the first changed dependency: root will
// re-read the rest when it reruns.
//
// The walk descends into Pending dependencies. When the link it descends
// through is the dependency's only subscriber, the way back is that
// dependency's subs list and no frame is pushed (most nodes in a chain).
//
// A computed that fails on the way is a change like any other: the walk
// resumes above it (see resume), so every node on the way up recomputes once
// and takes the failure, or handles it, exactly as a fresh evaluation would.
// A failure therefore costs what an update costs, and no node is left marked
// with nobody below it marked too.
func (g *Graph) stale(root *node) bool {
	// The scan of root's dependencies that are up to date, changed or not,
	// is all the work of most checks; only a walk that may recompute (and
	// fail) needs a protected region.
	for l := root.deps; l != nil; l = l.nextDep {
		d := l.dep
		if d.flags&(fComputed|fSource) != 0 && !g.fresh(d) {
			w := walk{root: root, n: root, l: l, base: len(g.frames), depth: g.depth}
			for {
				if changed, done := g.walkOn(&w); done {
					return changed
				}
			}
		}
		if d.version != l.version {
			return true
		}
	}
	return false
}

// A walk is where a dependency walk is, saved before each recompute so that
// a failure can resume it: the node n being checked at link l, whether the
// recompute was n's own (up) rather than l's dependency's, and the frames
// the walk had pushed then. A resumed walk starts at n with changed set:
// what n read has just failed. A nil n means the walk is over, with a
// change.
type walk struct {
	root, n *node
	l       *link
	up      bool
	changed bool
	frames  int
	base    int  // len(g.frames) when the walk began
	depth   uint // g.depth when the walk began
}

// walkOn runs a walk nested in user code (a computed's function reading a
// Pending computed) in a protected region of its own. It reports done when
// the walk ended (changed is then its result), and not done when a failed
// recompute interrupted it and w holds the position to resume from. The
// walks of effect checks need no region of their own: the flush's region
// resumes them (Graph.check).
func (g *Graph) walkOn(w *walk) (changed, done bool) {
	g.guards++
	defer g.leaveWalk(g.activeSub, g.activeOwner, w, &done)
	return g.walkFrom(w), true
}

// leaveWalk ends walkOn's protected region, resuming the walk after a
// failure (see resume); any other panic goes on to the reader's region.
func (g *Graph) leaveWalk(sub *node, own *owner, w *walk, done *bool) {
	g.guards--
	if *done {
		return // no recover call on the hot path
	}
	r := recover()
	if r == nil {
		return
	}
	if !g.resume(w, guard{sub: sub, owner: own}, r) {
		panic(r)
	}
}

// resume handles panic r met by walk w inside region gd. When it came from
// the walk's recompute, resume fails the computeds that were running (the
// one recomputed and any it was reading), keeps the walk's own frames,
// moves w to where the walk goes on — the node whose dependency now holds
// the failure: n, or the node above n when n's own recompute failed — and
// reports true. A panic that did not come from a recompute (user code
// cannot cause one) is left to the caller.
func (g *Graph) resume(w *walk, gd guard, r any) bool {
	x := w.n
	if !w.up {
		x = w.l.dep
	}
	if x == nil || x.flags&fRunning == 0 {
		return false
	}
	gd.frames, gd.depth = w.frames, w.depth
	g.unwind(gd, recovered(r))
	if w.up {
		w.n = g.walkUp(w.n)
	}
	w.changed = true
	return true
}

// walkFrom runs walk w from its position to its end and returns its result;
// see stale. It is not protected: the caller's region resumes it.
func (g *Graph) walkFrom(w *walk) (changed bool) {
	root, n, l := w.root, w.n, w.l
	if n == nil {
		return true
	}
	changed = w.changed
	for {
		for !changed && l != nil {
			d := l.dep
			if d.flags&(fComputed|fSource) != 0 && !g.fresh(d) {
				f := d.flags
				if f&fRunning != 0 {
					// A cycle: the node reading d is inside d's run. n
					// recomputes and meets it (or root's reader does).
					changed = true
					break
				}
				if f&(fDirty|fSource) == 0 {
					// Pending, or unwatched since an unknown write: check
					// d's own dependencies first.
					if d.subs == l && l.nextSub == nil {
						d.flags = f | fNoFrame
					} else {
						d.flags = f &^ fNoFrame
						g.frames = append(g.frames, frame{n, l})
					}
					n, l = d, d.deps
					continue
				}
				w.n, w.l, w.up, w.frames = n, l, false, len(g.frames)
				g.recompute(d)
				if root.flags&fDisposed != 0 {
					return false // user code disposed root; its links are gone
				}
			}
			if d.version != l.version {
				changed = true
				break
			}
			l = l.nextDep
		}
		if n == root {
			return changed
		}
		if changed {
			w.n, w.up, w.frames = n, true, len(g.frames)
			g.recompute(n)
			if root.flags&fDisposed != 0 {
				return false
			}
		} else {
			n.flags &^= fDirty | fPending
			n.gver = g.gver
		}
		// Up to the node the walk came from (walkUp, written out), where
		// the link it came through needs only its version compared: the
		// dependency is up to date now.
		if n.flags&fNoFrame != 0 {
			n.flags &^= fNoFrame
			if l = n.subs; l == nil {
				return true // user code unsubscribed the walk's path
			}
			n = l.sub
		} else {
			top := len(g.frames) - 1
			n, l = g.frames[top].n, g.frames[top].l
			g.frames[top] = frame{}
			g.frames = g.frames[:top]
		}
		if changed = l.dep.version != l.version; !changed {
			l = l.nextDep
		}
	}
}

// walkUp returns the node a walk descended from into n, or nil when user
// code removed the link it descended through.
func (g *Graph) walkUp(n *node) *node {
	if n.flags&fNoFrame != 0 {
		n.flags &^= fNoFrame
		if l := n.subs; l != nil {
			return l.sub
		}
		return nil
	}
	top := len(g.frames) - 1
	p := g.frames[top].n
	g.frames[top] = frame{}
	g.frames = g.frames[:top]
	return p
}

func (g *Graph) dropFrames(base int) {
	clear(g.frames[base:])
	g.frames = g.frames[:base]
}
