package state

// Watch runs fn(old, new) each time the value of expr changes, as a MobX
// reaction does: expr is tracked, fn is not, and fn does not run for the
// initial value. The returned effect stops the watch when disposed; it
// belongs to the running effect or scope, if any.
func Watch[T comparable](g *Graph, expr func() T, fn func(old, new T)) *Effect {
	return WatchFunc(g, expr, func(a, b T) bool { return a == b }, fn)
}

// WatchFunc is Watch with a custom equality for the watched value.
func WatchFunc[T any](g *Graph, expr func() T, eq func(a, b T) bool, fn func(old, new T)) *Effect {
	c := NewComputedFunc(g, expr, eq)
	var (
		old     T
		started bool
	)
	return g.Effect(func() {
		v := c.Get()
		if !started {
			old, started = v, true
			return
		}
		prev := old
		old = v
		g.Untracked(func() { fn(prev, v) })
	})
}

// When calls fn once, untracked, as soon as pred reports true (immediately if
// it already does), then stops watching. Disposing the returned effect before
// that cancels it.
func (g *Graph) When(pred func() bool, fn func()) *Effect {
	c := NewComputed(g, pred)
	var (
		e    *Effect
		done bool
	)
	e = g.Effect(func() {
		if done || !c.Get() {
			return
		}
		done = true
		g.Untracked(fn)
		if e != nil {
			e.Dispose()
		}
	})
	if done {
		e.Dispose()
	}
	return e
}
