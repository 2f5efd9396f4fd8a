package store

import (
	"cmp"
	"slices"
	"sort"

	"github.com/tandemkit/tandem/pkg/state"
)

// viewer receives every change of an entity's visible value (boxed, see
// core).
type viewer interface {
	changed(id string, old any, oldOK bool, new any, newOK bool)
}

// A View is a live query over a Collection: the visible entities that match
// a filter, in a sort order. It is maintained incrementally: a change to one
// entity costs a binary search (and, when the entity enters, leaves or moves,
// a slice insert or delete), never a re-derivation of the whole list.
//
// IDs and Len are tracked reads that change only when membership or order
// changes; an edit that keeps a row in place notifies only readers of that
// row (Collection.Get). A View made inside an effect or scope — a
// component's — belongs to it and is disposed with it, like the effects it
// makes; one made outside any must be disposed by hand.
type View[UI any] struct{ v *view }

// view is the untyped machinery of a View, as core is of a Collection.
type view struct {
	c     *core
	where func(any) bool
	cmp   func(a, b any) int
	rows  []vrow // sorted by (cmp, id)
	order *state.Signal[uint64]
	count *state.Signal[int]
	ids   []string // rows' ids, rebuilt on read after an order change
	idsAt uint64
	typed any // the *View[UI] of a group, made by its first Group
}

type vrow struct {
	id string
	v  any // the value the row is sorted by
}

// A ViewOption configures a View.
type ViewOption[UI any] func(*viewConfig[UI])

// viewConfig holds a View's options as the core takes them, over its values
// (see core).
type viewConfig[UI any] struct {
	where func(any) bool // the Where functions, ANDed
	cmp   func(a, b any) int
}

// Where keeps the entities for which keep reports true. Several Where
// options combine with AND.
func Where[UI any](keep func(UI) bool) ViewOption[UI] {
	return func(c *viewConfig[UI]) {
		c.where = and(c.where, func(v any) bool { return keep(*v.(*UI)) })
	}
}

// and returns a filter keeping what both prev (if any) and next keep.
func and(prev, next func(any) bool) func(any) bool {
	if prev == nil {
		return next
	}
	return func(v any) bool { return prev(v) && next(v) }
}

// OrderBy sorts by compare (negative, zero, positive as in slices.SortFunc);
// ties, and views without OrderBy, are ordered by id.
func OrderBy[UI any](compare func(a, b UI) int) ViewOption[UI] {
	return func(c *viewConfig[UI]) {
		c.cmp = func(a, b any) int { return compare(*a.(*UI), *b.(*UI)) }
	}
}

// View returns a live view of c.
func (c *Collection[UI]) View(opts ...ViewOption[UI]) *View[UI] {
	var cfg viewConfig[UI]
	for _, o := range opts {
		o(&cfg)
	}
	return &View[UI]{c.view(cfg.where, cfg.cmp)}
}

// view makes a live view of c.
func (c *core) view(where func(any) bool, order func(a, b any) int) *view {
	v := newView(c, where, order)
	for id, e := range c.ents {
		if e.shownOK && (v.where == nil || v.where(e.shown)) {
			v.rows = append(v.rows, vrow{id, e.shown})
		}
	}
	sort.Sort(rowOrder{v})
	v.count.Set(len(v.rows))
	c.views = append(c.views, v)
	c.g.Adopt(v.dispose)
	return v
}

func newView(c *core, where func(any) bool, order func(a, b any) int) *view {
	return &view{c: c, where: where, cmp: order,
		order: state.NewSignal(c.g, uint64(1)), count: state.NewSignal(c.g, 0)}
}

// Views returns how many live views and groupings c maintains: a number
// that goes back where it was when the components that made them are gone
// (tests use it to find leaks).
func (c *Collection[UI]) Views() int { return len(c.views) }

// Dispose stops maintaining v.
func (v *View[UI]) Dispose() { v.v.dispose() }

func (v *view) dispose() {
	v.c.views = slices.DeleteFunc(v.c.views, func(x viewer) bool { return x == viewer(v) })
	v.rows = nil
}

// IDs returns the ids of the matching entities in order. It is a tracked
// read that reruns its reader only when membership or order changes. The
// slice must not be modified.
func (v *View[UI]) IDs() []string { return v.v.idList() }

func (v *view) idList() []string {
	at := v.order.Get()
	if v.idsAt != at {
		ids := make([]string, len(v.rows))
		for i := range v.rows {
			ids[i] = v.rows[i].id
		}
		v.ids, v.idsAt = ids, at
	}
	return v.ids
}

// Items returns the matching visible values in order, reading each entity:
// its reader reruns when membership, order or any matching entity changes.
func (v *View[UI]) Items() []UI {
	ids := v.v.idList()
	out := make([]UI, 0, len(ids))
	for _, id := range ids {
		if r := v.v.c.get(id); r.ok {
			out = append(out, *r.v.(*UI))
		}
	}
	return out
}

// Len returns, tracked, the number of matching entities; it reruns its
// reader only when the count changes.
func (v *View[UI]) Len() int { return v.v.count.Get() }

func (v *view) compare(a, b vrow) int {
	if v.cmp != nil {
		if c := v.cmp(a.v, b.v); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.id, b.id)
}

// search returns where row r is, or would be inserted.
func (v *view) search(r vrow) (int, bool) {
	lo, hi := 0, len(v.rows)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v.compare(v.rows[m], r) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(v.rows) && v.compare(v.rows[lo], r) == 0
}

// insert puts r at index i of the rows.
func (v *view) insert(i int, r vrow) {
	v.rows = append(v.rows, vrow{})
	copy(v.rows[i+1:], v.rows[i:])
	v.rows[i] = r
}

// delete removes the row at index i.
func (v *view) delete(i int) {
	copy(v.rows[i:], v.rows[i+1:])
	v.rows[len(v.rows)-1] = vrow{}
	v.rows = v.rows[:len(v.rows)-1]
}

// rowOrder sorts a view's rows. It is sort.Sort's, already in every
// browser build, rather than slices.SortFunc, which would compile a sort
// of its own for the row type.
type rowOrder struct{ v *view }

func (o rowOrder) Len() int           { return len(o.v.rows) }
func (o rowOrder) Less(i, j int) bool { return o.v.compare(o.v.rows[i], o.v.rows[j]) < 0 }
func (o rowOrder) Swap(i, j int)      { o.v.rows[i], o.v.rows[j] = o.v.rows[j], o.v.rows[i] }

func (v *view) changed(id string, old any, oldOK bool, new any, newOK bool) {
	wasIn := oldOK && (v.where == nil || v.where(old))
	isIn := newOK && (v.where == nil || v.where(new))
	switch {
	case wasIn && isIn:
		i, found := v.search(vrow{id, old})
		if !found {
			return // cannot happen: rows mirror visible values
		}
		nr := vrow{id, new}
		if (i == 0 || v.compare(v.rows[i-1], nr) < 0) && (i == len(v.rows)-1 || v.compare(nr, v.rows[i+1]) < 0) {
			v.rows[i].v = new // still in place: only the row's readers care
			return
		}
		v.delete(i)
		j, _ := v.search(nr)
		v.insert(j, nr)
		v.order.Set(v.order.Peek() + 1)
	case wasIn:
		if i, found := v.search(vrow{id, old}); found {
			v.delete(i)
			v.order.Set(v.order.Peek() + 1)
			v.count.Set(len(v.rows))
		}
	case isIn:
		nr := vrow{id, new}
		j, _ := v.search(nr)
		v.insert(j, nr)
		v.order.Set(v.order.Peek() + 1)
		v.count.Set(len(v.rows))
	}
}

// Groups is a live grouping of a Collection's visible entities by a key,
// each group a View. Keys come in the order their groups were first needed.
type Groups[K comparable, UI any] struct{ g *groups }

// groups is the untyped machinery of a Groups: keys are boxed K values.
type groups struct {
	c      *core
	key    func(any) any
	where  func(any) bool
	cmp    func(a, b any) int
	groups map[any]*view
	keys   []any
	keysV  *state.Signal[uint64]
}

// GroupBy returns a live grouping of c by key; opts filter the entities and
// order each group. It belongs to the running effect or scope, as a View.
func GroupBy[K comparable, UI any](c *Collection[UI], key func(UI) K, opts ...ViewOption[UI]) *Groups[K, UI] {
	var cfg viewConfig[UI]
	for _, o := range opts {
		o(&cfg)
	}
	return &Groups[K, UI]{c.groupBy(func(v any) any { return key(*v.(*UI)) }, cfg.where, cfg.cmp)}
}

// groupBy makes a live grouping of c.
func (c *core) groupBy(key func(any) any, where func(any) bool, order func(a, b any) int) *groups {
	gr := &groups{c: c, key: key, where: where, cmp: order,
		groups: map[any]*view{}, keysV: state.NewSignal(c.g, uint64(0))}
	for id, e := range c.ents {
		if e.shownOK && (gr.where == nil || gr.where(e.shown)) {
			g := gr.group(key(e.shown))
			g.rows = append(g.rows, vrow{id, e.shown})
		}
	}
	for _, g := range gr.groups {
		sort.Sort(rowOrder{g})
		g.count.Set(len(g.rows))
	}
	c.views = append(c.views, gr)
	c.g.Adopt(gr.dispose)
	return gr
}

// Keys returns, tracked, the keys of the non-empty groups.
func (gr *Groups[K, UI]) Keys() []K {
	gr.g.keysV.Get()
	if gr.g.keys == nil {
		return nil
	}
	keys := make([]K, len(gr.g.keys))
	for i, k := range gr.g.keys {
		keys[i], _ = k.(K)
	}
	return keys
}

// Group returns the group of k, or nil if it is empty. Read Keys first to
// rerun when groups appear or disappear.
func (gr *Groups[K, UI]) Group(k K) *View[UI] {
	g := gr.g.groups[k]
	if g == nil {
		return nil
	}
	if g.typed == nil {
		g.typed = &View[UI]{g}
	}
	return g.typed.(*View[UI])
}

// Dispose stops maintaining gr.
func (gr *Groups[K, UI]) Dispose() { gr.g.dispose() }

func (gr *groups) dispose() {
	gr.c.views = slices.DeleteFunc(gr.c.views, func(x viewer) bool { return x == viewer(gr) })
	gr.groups = nil
}

func (gr *groups) group(k any) *view {
	g := gr.groups[k]
	if g == nil {
		g = newView(gr.c, nil, gr.cmp)
		gr.groups[k] = g
		gr.keys = append(gr.keys, k)
		gr.keysV.Set(gr.keysV.Peek() + 1)
	}
	return g
}

func (gr *groups) changed(id string, old any, oldOK bool, new any, newOK bool) {
	wasIn := oldOK && (gr.where == nil || gr.where(old))
	isIn := newOK && (gr.where == nil || gr.where(new))
	var ok, nk any
	if wasIn {
		ok = gr.key(old)
	}
	if isIn {
		nk = gr.key(new)
	}
	if wasIn && isIn && ok == nk {
		gr.groups[ok].changed(id, old, true, new, true)
		return
	}
	if wasIn {
		if g := gr.groups[ok]; g != nil {
			g.changed(id, old, true, nil, false)
			if len(g.rows) == 0 {
				delete(gr.groups, ok)
				gr.keys = slices.DeleteFunc(gr.keys, func(k any) bool { return k == ok })
				gr.keysV.Set(gr.keysV.Peek() + 1)
			}
		}
	}
	if isIn {
		gr.group(nk).changed(id, nil, false, new, true)
	}
}
