//go:build js

package jsapi

import (
	"slices"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
)

// A mirror is what JavaScript holds of one collection: the entities its
// views and subscriptions show. One listener on the collection
// (store.Collection.OnChange) notes when a held entity's visible value
// changes, so a change to one entity sends that entity alone, and following
// a thousand entities costs no effect each. Changes gather
// until the outermost call ends; then one batch per flush crosses to
// JavaScript as one JSON text (Runtime.flush): the changed entities, the
// ones JavaScript may forget, and each view's membership change as one
// splice of ids. A view whose members only changed their content sends no
// ids at all.
//
// A view's effect is created at flush time only (prepare), outside every
// effect and scope, so that a view opened from inside a JavaScript effect is
// not disposed when that effect reruns.
type mirror struct {
	c       *coll
	held    map[string]*held
	watch   []string // held ids whose value is still to be read
	changed []string // held ids whose JSON changed since the last batch
	dropped []string // ids JavaScript may forget
	views   map[int]*view
	opening []*view
	queued  bool // in Runtime.dirty
}

// held is one entity JavaScript mirrors.
type held struct {
	n       int    // views and subscriptions holding it
	loaded  bool   // json holds its value
	json    []byte // its JSON; nil while absent
	changed bool   // in mirror.changed
}

// A view is a store.View JavaScript follows: what it sent last, and the
// splice that takes JavaScript's ids to the current ones.
type view struct {
	h       int // the Go handle, for closing
	id      int // JavaScript's id of the view, in splices
	where   func(*obj) bool
	cmp     func(a, b *obj) int
	v       *store.View[*obj]
	eff     *state.Effect
	sent    []string // the view's ids, as of the last diff
	base    []string // the ids JavaScript has
	dirty   bool     // the ids may have changed: diff at the next flush
	pending bool     // sent differs from base: a splice to send
}

func (m *mirror) init(c *coll) {
	m.c, m.held, m.views = c, map[string]*held{}, map[int]*view{}
	c.c.OnChange(func(id string, o *obj, ok bool) {
		if h := m.held[id]; h != nil && h.loaded {
			m.set(id, h, o, ok)
		}
	})
}

// set records the value of held entity id for the next batch.
func (m *mirror) set(id string, h *held, o *obj, ok bool) {
	h.json = nil
	if ok {
		h.json = o.raw
	}
	if !h.changed {
		h.changed = true
		m.changed = append(m.changed, id)
		m.mark()
	}
}

// mark queues the collection for the next flush.
func (m *mirror) mark() {
	if !m.queued {
		m.queued = true
		m.c.r.dirty = append(m.c.r.dirty, m.c)
	}
}

func (m *mirror) hold(id string) {
	h := m.held[id]
	if h == nil {
		h = &held{}
		m.held[id] = h
		m.watch = append(m.watch, id)
		m.mark()
	}
	h.n++
}

func (m *mirror) unhold(id string) {
	h := m.held[id]
	if h == nil {
		return
	}
	if h.n--; h.n > 0 {
		return
	}
	delete(m.held, id)
	m.dropped = append(m.dropped, id)
	m.mark()
}

// openView returns the handle of a new view of spec (see parseSpec) that
// JavaScript calls id; its members reach JavaScript with the next batch.
func (m *mirror) openView(id int, spec []byte) (int, error) {
	where, cmp, err := parseSpec(spec)
	if err != nil {
		return 0, err
	}
	v := &view{id: id, where: where, cmp: cmp}
	v.h = m.c.r.handle(v)
	m.opening = append(m.opening, v)
	m.mark()
	return v.h, nil
}

func (m *mirror) closeView(h int) {
	v := m.views[h]
	if v == nil {
		for i, o := range m.opening {
			if o.h == h {
				n := copy(m.opening[i:], m.opening[i+1:]) + i
				m.opening[n] = nil
				m.opening = m.opening[:n]
				m.c.r.release(h)
				break
			}
		}
		return
	}
	delete(m.views, h)
	v.eff.Dispose()
	v.v.Dispose()
	for _, id := range v.sent {
		m.unhold(id)
	}
	m.c.r.release(h)
}

// prepare opens the views asked for, brings every dirty view's members
// up to date and reads the entities newly held. It runs at flush time,
// outside every effect.
func (m *mirror) prepare() {
	m.queued = false
	for _, v := range m.opening {
		var opts []store.ViewOption[*obj]
		if v.where != nil {
			opts = append(opts, store.Where(v.where))
		}
		if v.cmp != nil {
			opts = append(opts, store.OrderBy(v.cmp))
		}
		v.v = m.c.c.View(opts...)
		v.eff = m.c.r.g.Effect(func() {
			v.v.IDs()
			v.dirty = true
			m.mark()
		})
		m.views[v.h] = v
	}
	m.opening = m.opening[:0]
	for _, v := range m.views {
		if v.dirty {
			m.diff(v)
		}
	}
	for _, id := range m.watch {
		if h := m.held[id]; h != nil && !h.loaded {
			h.loaded = true
			o, ok := m.c.visible(id)
			m.set(id, h, o, ok)
		}
	}
	m.watch = m.watch[:0]
}

// diff brings v's members up to date: an entity that entered is held, one
// that left is let go. The splice JavaScript gets is computed at batch
// time, from what it has (base) to what the view holds now (sent), so that
// several changes before one batch cross as one splice.
func (m *mirror) diff(v *view) {
	v.dirty = false
	ids := v.v.IDs()
	if v.sent != nil && slices.Equal(v.sent, ids) {
		return
	}
	start, endOld, endNew := middle(v.sent, ids)
	for _, id := range ids[start:endNew] {
		m.hold(id)
	}
	for _, id := range v.sent[start:endOld] {
		m.unhold(id)
	}
	v.sent = slices.Clone(ids)
	v.pending = true
	m.mark()
}

// appendSplice appends the splice taking base to sent, [view id, start,
// deleted, [ids…]]: the ids between their common prefix and common suffix,
// replaced.
func (v *view) appendSplice(b []byte) []byte {
	start, endOld, endNew := middle(v.base, v.sent)
	b = append(appendInt(append(appendInt(append(appendInt(append(b, '['), v.id), ','), start), ','), endOld-start), ",["...)
	for _, id := range v.sent[start:endNew] {
		b = appendString(appendSep(b), id)
	}
	return append(b, "]]"...)
}

// middle returns where old and ids differ: old[start:endOld] became
// ids[start:endNew], the rest is a common prefix and suffix.
func middle(old, ids []string) (start, endOld, endNew int) {
	for start < len(old) && start < len(ids) && old[start] == ids[start] {
		start++
	}
	endOld, endNew = len(old), len(ids)
	for endOld > start && endNew > start && old[endOld-1] == ids[endNew-1] {
		endOld--
		endNew--
	}
	return start, endOld, endNew
}

// appendBatch appends the collection's part of a batch,
// [handle,[[id,object|null]…],[forgotten ids…],[splices…]], or nothing.
func (m *mirror) appendBatch(b []byte) []byte {
	var splices bool
	for _, v := range m.views {
		splices = splices || v.pending
	}
	if len(m.changed) == 0 && len(m.dropped) == 0 && !splices {
		return b
	}
	b = append(appendInt(append(appendSep(b), '['), m.c.h), ",["...)
	for _, id := range m.changed {
		if h := m.held[id]; h != nil && h.changed {
			h.changed = false
			b = append(appendRaw(append(appendString(append(appendSep(b), '['), id), ','), h.json), ']')
		}
	}
	m.changed = m.changed[:0]
	b = append(b, "],["...)
	for _, id := range m.dropped {
		if m.held[id] == nil { // else held again since
			b = appendString(appendSep(b), id)
		}
	}
	m.dropped = m.dropped[:0]
	b = append(b, "],["...)
	for _, v := range m.views {
		if v.pending {
			b = v.appendSplice(appendSep(b))
			v.base, v.pending = v.sent, false
		}
	}
	return append(b, "]]"...)
}
