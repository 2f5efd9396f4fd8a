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
	l := &changeListener[UI]{fn: fn}
	c.views = append(c.views, l)
	return func() {
		c.views = slices.DeleteFunc(c.views, func(x viewer[UI]) bool { return x == viewer[UI](l) })
	}
}

// changeListener is an OnChange function among a collection's viewers.
type changeListener[UI any] struct{ fn func(string, UI, bool) }

func (l *changeListener[UI]) changed(id string, _ UI, _ bool, v UI, ok bool) { l.fn(id, v, ok) }
