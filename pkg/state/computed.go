package state

import "runtime/debug"

// A Computed is a value derived from signals and other computeds. It is lazy:
// its function runs only when the value is read and something it read last
// time has changed, and at most once per change however often it is read.
// When it recomputes to a value equal to the previous one, its dependents do
// not rerun (equality cut-off). A Computed must be used on its graph's
// goroutine.
//
// A computed whose function panics, or returns an error (NewComputedErr),
// holds that error instead of a value: Read returns it, Get panics with it,
// and a computed or effect that reads it fails with the same error. Once the
// cause is fixed, the next read recomputes normally.
//
// A Computed that no effect depends on keeps no pointer from its dependencies
// to itself; it is garbage collected like any value once unreferenced.
type Computed[T any] struct {
	n     node
	g     *Graph
	value T
	err   error
	fn    func() T
	fnErr func() (T, error)
	eq    func(a, b T) bool
}

// NewComputed returns a computed of fn in g, compared with ==.
func NewComputed[T comparable](g *Graph, fn func() T) *Computed[T] {
	c := &Computed[T]{g: g, fn: fn}
	initEq(c)
	return c
}

// NewComputedFunc is NewComputed for values compared with eq; a nil eq treats
// every recomputation as a change.
func NewComputedFunc[T any](g *Graph, fn func() T, eq func(a, b T) bool) *Computed[T] {
	c := &Computed[T]{g: g, fn: fn, eq: eq}
	c.initFunc()
	return c
}

// NewComputedErr returns a computed of a function that may fail; its error is
// delivered to every reader and dependent.
func NewComputedErr[T comparable](g *Graph, fn func() (T, error)) *Computed[T] {
	c := &Computed[T]{g: g, fnErr: fn}
	initEq(c)
	return c
}

// NewComputedErrFunc is NewComputedErr with a custom equality.
func NewComputedErrFunc[T any](g *Graph, fn func() (T, error), eq func(a, b T) bool) *Computed[T] {
	c := &Computed[T]{g: g, fnErr: fn, eq: eq}
	c.initFunc()
	return c
}

// initEq sets c up for a comparable T: its update compares with ==, which a
// generic Computed[T any] cannot express.
//
// The two update closures below are the hottest code of the graph; the run
// is written out in each rather than factored into calls, which cost more
// than the rest of a recompute in the WASM build.
//
//go:noinline
func initEq[T comparable](c *Computed[T]) {
	c.n.flags = fComputed | fDirty
	c.n.impl = c
	c.n.update = func() bool {
		g, n := c.g, &c.n
		g.startTracking(n)
		var v T
		var err error
		if c.fnErr == nil {
			v = c.fn()
		} else {
			v, err = c.fnErr()
		}
		g.setSub(n.prevSub)
		n.prevSub = nil
		n.flags &^= fRunning
		if t := n.depsTail; t == nil || t.nextDep != nil {
			g.trimDeps(n)
		}
		if err != nil {
			c.fail(err)
			return true
		}
		if n.flags&fHasValue != 0 && c.err == nil && c.value == v {
			return false
		}
		c.value, c.err = v, nil
		n.flags = n.flags&^fFailed | fHasValue
		return true
	}
}

//
//go:noinline
func (c *Computed[T]) initFunc() {
	c.n.flags = fComputed | fDirty
	c.n.impl = c
	c.n.update = func() bool {
		g, n := c.g, &c.n
		g.startTracking(n)
		var v T
		var err error
		if c.fnErr == nil {
			v = c.fn()
		} else {
			v, err = c.fnErr()
		}
		g.setSub(n.prevSub)
		n.prevSub = nil
		n.flags &^= fRunning
		if t := n.depsTail; t == nil || t.nextDep != nil {
			g.trimDeps(n)
		}
		if err != nil {
			c.fail(err)
			return true
		}
		if n.flags&fHasValue != 0 && c.err == nil && c.eq != nil && c.eq(c.value, v) {
			return false
		}
		c.value, c.err = v, nil
		n.flags = n.flags&^fFailed | fHasValue
		return true
	}
}

// Get returns the current value, recomputing it first if needed, and inside a
// computed or effect records the read. If the computation failed, Get panics
// with an error that wraps the failure (errors.Is and errors.As see through
// it); a computed or effect reading it takes on that failure. Use Read to
// receive the error as a value.
func (c *Computed[T]) Get() T {
	// Small enough to inline: a watched, valid, successful computed already
	// read in this run (or read outside any run) costs no call, and any
	// other read one call that needs no generic dictionary.
	if c.n.flags&(fDirty|fPending|fRunning|fWatched|fFailed) != fWatched || c.n.trackRun != c.g.curRun {
		c.g.readComputed(&c.n)
	}
	return c.value
}

// Read is Get returning the failure, if any, instead of panicking. With an
// error it also returns the last value computed successfully.
func (c *Computed[T]) Read() (T, error) {
	g := c.g
	n := &c.n
	g.beginRead()
	if !g.fresh(n) {
		sub := g.activeSub
		if sub != nil {
			sub.reading = n
		}
		g.validateGuarded(n)
		if sub != nil {
			sub.reading = nil
		}
		g.settle()
	}
	if sub := g.activeSub; sub != nil && n.trackRun != sub.run && !reuse(n, sub) {
		g.track(n, sub)
	}
	return c.value, c.err
}

// Peek is Get without recording the read.
func (c *Computed[T]) Peek() T {
	g := c.g
	g.beginRead()
	if !g.fresh(&c.n) {
		g.validate(&c.n)
	}
	if c.err != nil {
		panic(readError{c.err})
	}
	return c.value
}

func (c *Computed[T]) failure() error { return c.err }

// fail records err as c's outcome. Errors are not compared: each failure is
// news to dependents.
func (c *Computed[T]) fail(err error) {
	c.err = err
	c.n.flags |= fHasValue | fFailed
}

// recovered turns a recovered panic value into the error a node holds.
func recovered(r any) error {
	if re, ok := r.(readError); ok {
		return re.err
	}
	return &PanicError{Value: r, Stack: debug.Stack()}
}
