package store

import "slices"

// OnChange calls fn with each entity whose visible value changes — its id,
// the new value, and whether it exists — at the end of the store operation
// that changed it, on the graph's goroutine, before the entity's readers
// rerun. It suits code outside the signal graph that follows many entities
// at once without an effect per entity: the JavaScript API mirrors the
// entities JavaScript shows this way (pkg/jsapi). fn must not change the
// collection's views or listeners. stop unregisters fn; calling it twice is
// harmless.
func (c *Collection[UI]) OnChange(fn func(id string, v UI, ok bool)) (stop func()) {
	return c.onChange(func(id string, v any, ok bool) { fn(id, as[UI](v), ok) })
}

func (c *core) onChange(fn func(id string, v any, ok bool)) (stop func()) {
	l := &changeListener{fn: fn}
	c.views = append(c.views, l)
	return func() {
		c.views = slices.DeleteFunc(c.views, func(x viewer) bool { return x == viewer(l) })
	}
}

// changeListener is an OnChange function among a collection's viewers.
type changeListener struct{ fn func(string, any, bool) }

func (l *changeListener) changed(id string, _ any, _ bool, v any, ok bool) { l.fn(id, v, ok) }
