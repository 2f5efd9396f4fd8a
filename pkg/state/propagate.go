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
	if n.flags&fDirty != 0 || g.stale(n) {
		g.recompute(n)
		return
	}
	n.flags &^= fDirty | fPending
	n.gver = g.gver
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
func (g *Graph) stale(root *node) bool {
	n, l := root, root.deps
	for {
		changed := false
		for l != nil {
			d := l.dep
			if d.flags&(fComputed|fSource) != 0 && !g.fresh(d) {
				f := d.flags
				if f&fRunning != 0 {
					panic(readError{ErrCycle})
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
			g.recompute(n)
			if root.flags&fDisposed != 0 {
				return false
			}
		} else {
			n.flags &^= fDirty | fPending
			n.gver = g.gver
		}
		if n.flags&fNoFrame != 0 {
			n.flags &^= fNoFrame
			if l = n.subs; l == nil {
				return true // user code unsubscribed the walk's path
			}
			n = l.sub
			continue
		}
		top := len(g.frames) - 1
		n, l = g.frames[top].n, g.frames[top].l
		g.frames[top] = frame{}
		g.frames = g.frames[:top]
	}
}

func (g *Graph) dropFrames(base int) {
	clear(g.frames[base:])
	g.frames = g.frames[:base]
}
