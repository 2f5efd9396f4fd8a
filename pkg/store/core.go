package store

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// core is the machinery of a Collection, compiled once whatever the entity
// types: Go compiles generic code once per shape, and every struct type is
// a shape of its own, so the typed Collection[UI] (collection.go) is a thin
// layer of conversions over it.
//
// Values are held as any, each a *UI to a copy of its own (nil for none): a
// pointer fits an interface without another allocation, so a value costs one
// allocation, as boxing it would. What a stored value points to is never
// changed: a patch changes a fresh copy (copy), which is stored only once
// every patch of the fold is applied, so a value once stored (confirmed,
// visible, shown, in a view's row, an optimistic create) stays as it was
// stored. The app's callbacks come wrapped by the typed layer.
type core struct {
	s    *Store
	g    *state.Graph
	name string
	// fromAPI and toAPI are the Codec and the JSON of the API type (see
	// decode and encode).
	fromAPI func([]byte) (any, error)
	toAPI   func(any) ([]byte, error)
	equal   func(a, b any) bool
	// copy returns a fresh copy of a value for patches to change: shallow,
	// or made by CollectionOptions.Clone.
	copy  func(any) any
	ents  map[string]*entity
	views []viewer
	// cursor is where the confirmed layer stands in the topic log.
	cursor wire.Cursor
	dirty  []string           // entities recomputed since the last commit
	size   *state.Signal[int] // visible entities
	// part is the partition field of server objects, "" for a collection
	// synced whole; parts holds its open partitions, pstatus the status
	// signals of the partitions read so far (see partition.go).
	part    string
	parts   map[string]*partition
	pstatus map[string]*state.Signal[PartitionState]
	// unfollowed holds the entities that mutation answers put in
	// partitions not followed, until the store operation ends
	// (settleAnswers).
	unfollowed []string
}

// entity is one entity's confirmed layer, pending mutations and visible
// value. Its values are *UI (see core), nil for none.
type entity struct {
	version uint64          // version of the confirmed layer; 0: never confirmed
	epoch   string          // the topic epoch version belongs to; "": unknown
	part    string          // the partition of the confirmed layer, in a partitioned collection
	exists  bool            // the confirmed layer holds an object (not absent, not a tombstone)
	data    json.RawMessage // the confirmed object as the server sent it
	value   any             // the confirmed object, decoded
	pending []*pendingOp
	vis     any // pending folded over confirmed, as of the last recompute
	visOK   bool
	shown   any // what signals and views show: vis as of the last commit
	shownOK bool
	dirty   bool                // recomputed since the last commit
	sig     *state.Signal[row]  // created on the first tracked read
	psig    *state.Signal[bool] // whether pending; created on the first IsPending
}

// A pendingOp is a pending mutation of one entity.
type pendingOp struct {
	it    *outItem
	value any       // create: the optimistic object
	apply func(any) // patch, given a fresh copy (core.copy); nil when restored from storage (JSON merge instead)
}

// row is what a per-entity signal holds.
type row struct {
	v  any
	ok bool
}

// box returns u as the core holds it.
func box[UI any](u UI) any { return &u }

// as returns the UI value v holds (see core); the zero value for nil. The
// callbacks of views and Equal, which only ever see visible values (never
// nil), and reads of one, dereference v.(*UI) themselves: as is not inlined
// into them, and a call costs a copy of the value more (Keystroke +20%).
func as[UI any](v any) (u UI) {
	if v != nil {
		u = *v.(*UI)
	}
	return u
}

// patchFunc wraps an Op's patch function for the core, which calls it with
// a fresh copy (core.copy) to change in place.
func patchFunc[UI any](apply func(*UI)) func(any) {
	return func(v any) { apply(v.(*UI)) }
}

// newCore returns the core of a collection named name: validated, not yet
// registered (see register).
func newCore(s *Store, name string, hasCodec bool, part string) (*core, error) {
	if !wire.ValidCollection(name) {
		return nil, fmt.Errorf("store: invalid collection name %q", name)
	}
	if !hasCodec {
		return nil, fmt.Errorf("store: collection %q: Codec.Decode and Codec.Encode are required", name)
	}
	if _, dup := s.colls[name]; dup {
		return nil, fmt.Errorf("store: collection %q registered twice", name)
	}
	return &core{
		s:       s,
		g:       s.g,
		name:    name,
		equal:   reflect.DeepEqual,
		ents:    map[string]*entity{},
		part:    part,
		parts:   map[string]*partition{},
		pstatus: map[string]*state.Signal[PartitionState]{},
	}, nil
}

// register adds c, whose Topic is t, to its store: mutations of it restored
// from storage are applied to it at once, and sending starts.
func (c *core) register(t Topic) {
	s := c.s
	c.size = state.NewSignal(s.g, 0)
	s.colls[c.name] = c
	if c.part == "" {
		// A partitioned collection's topics are its open partitions.
		s.loadCached(c.name, c)
		s.loadBoot(t)
	}
	s.Batch(func() { s.adopt(c.name, c) })
	if c.part == "" {
		s.addTopic(t)
	}
}

// get returns, tracked, what entity id shows.
func (c *core) get(id string) row {
	e := c.entity(id)
	if e.sig == nil {
		e.sig = state.NewSignalFunc(c.g, row{v: e.shown, ok: e.shownOK}, nil)
	}
	return e.sig.Get()
}

func (c *core) isPending(id string) bool {
	e := c.entity(id)
	if e.psig == nil {
		e.psig = state.NewSignal(c.g, len(e.pending) > 0)
	}
	return e.psig.Get()
}

// entity returns the record of id, creating an empty one.
func (c *core) entity(id string) *entity {
	e := c.ents[id]
	if e == nil {
		e = &entity{}
		c.ents[id] = e
	}
	return e
}

func (c *core) pendingOf(id string) []uint64 {
	e := c.ents[id]
	if e == nil {
		return nil
	}
	ids := make([]uint64, len(e.pending))
	for i, p := range e.pending {
		ids[i] = p.it.MutationID
	}
	return ids
}

func (c *core) applyItems(items []wire.Item) {
	c.s.Batch(func() {
		for _, it := range items {
			id := string(it.ID)
			e := c.entity(id)
			if c.applyServer(id, e, it, c.cursor.Epoch) {
				c.recompute(id, e)
			}
		}
	})
}

func (c *core) replace(items []wire.Item, epoch string, seq uint64, reset bool) {
	seen := make(map[string]struct{}, len(items))
	c.s.Batch(func() {
		for _, it := range items {
			id := string(it.ID)
			seen[id] = struct{}{}
			e := c.entity(id)
			if reset && it.Version <= e.version && e.epoch != epoch {
				e.version = 0 // a new log: its versions are the truth
			}
			if c.applyServer(id, e, it, epoch) {
				c.recompute(id, e)
			}
		}
		for id, e := range c.ents {
			if _, ok := seen[id]; ok {
				continue
			}
			if e.version > seq && (!reset || e.epoch == epoch) {
				continue // written after the snapshot was read
			}
			if !e.exists && !reset {
				continue // absent already
			}
			// absent as of the snapshot; after a reset also a tombstone of
			// the old log, whose version must not outrank the new log's
			existed := e.exists
			e.exists, e.data, e.value, e.version, e.epoch = false, nil, nil, seq, epoch
			if existed {
				c.recompute(id, e)
			}
		}
	})
	if reset || epoch != c.cursor.Epoch || seq > c.cursor.Seq {
		c.cursor = wire.Cursor{Epoch: epoch, Seq: seq} // never backwards within a log
	}
	c.s.confirmedChanged(c.name)
}

func (c *core) setCursor(cur wire.Cursor) {
	c.cursor = cur
	c.s.confirmedChanged(c.name)
}

// applyServer applies one server item of topic epoch epoch ("" if unknown)
// to e's confirmed layer and reports whether it changed it.
func (c *core) applyServer(id string, e *entity, it wire.Item, epoch string) bool {
	return c.applyIn(id, e, it, epoch, "")
}

// applyAnswer applies the object of a mutation's answer (or an error's
// current) to e's confirmed layer, as applyServer does. An object of a
// partition the collection does not follow (not open, or refused) is
// noted, and forgotten at the end of the store operation unless its
// partition is followed by then (settleAnswers).
func (c *core) applyAnswer(id string, e *entity, it wire.Item, epoch string) {
	if c.applyServer(id, e, it, epoch) && c.part != "" && e.exists && !c.follows(e.part) {
		c.unfollowed = append(c.unfollowed, id)
	}
}

// settleAnswers forgets the entities that mutation answers put in
// partitions the collection does not follow: no event would keep them up
// to date, and the collection holds the entities of its open partitions
// only; they arrive with their partition's snapshot if it is opened. A
// move out of an open partition thus leaves it as the mutation's
// optimistic change showed, and a create in a partition not open shows
// until its answer. It runs at the end of the store operation that applied
// the answer, which the mutation's OnSettled callbacks are part of: one
// that opens the partition (a board just created) keeps the entity shown
// throughout.
func (c *core) settleAnswers() {
	ids := c.unfollowed
	c.unfollowed = nil
	for _, id := range ids {
		if e := c.ents[id]; e != nil && e.exists && !c.follows(e.part) {
			c.forget(id, e)
		}
	}
}

// forget empties e's confirmed layer, version included, so that whatever
// the server sends of it next applies: its partition's snapshot, or the
// departure of a move still on its way.
func (c *core) forget(id string, e *entity) {
	existed := e.exists
	e.exists, e.data, e.value, e.version, e.epoch, e.part = false, nil, nil, 0, "", ""
	c.s.confirmedChanged(c.name)
	if existed {
		c.recompute(id, e)
	}
}

// applyIn is applyServer of an item of partition key (the topic's; "" when
// not known): a tombstone is in the partition of the topic it came from, or
// stays in the one it was in; a live object is in its partition field's.
func (c *core) applyIn(id string, e *entity, it wire.Item, epoch, key string) bool {
	if it.Version <= e.version {
		return false // never move backwards (B5, B12, B21)
	}
	if it.Deleted {
		e.version, e.epoch, e.exists, e.data, e.value = it.Version, epoch, false, nil, nil
		if c.part != "" && key != "" {
			e.part = key
		}
		c.s.confirmedChanged(c.name)
		return true
	}
	if it.Stale() {
		return false // too big to send: the caller fetches it by id
	}
	v, err := c.decode(it.Data)
	if err != nil {
		c.s.report(fmt.Errorf("store: %s/%s version %d: %w", c.name, string(id), it.Version, err))
		return false
	}
	e.version, e.epoch, e.exists, e.data, e.value = it.Version, epoch, true, it.Data, v
	if c.part != "" {
		e.part = c.partitionOf(it.Data)
	}
	c.s.confirmedChanged(c.name)
	return true
}

// recompute folds e's pending mutations over its confirmed layer. Watchers
// learn of the result at the end of the store operation (commit), so that
// the steps of one operation — an event and the acknowledgement of its
// origin, say — never show.
func (c *core) recompute(id string, e *entity) {
	v, ok := e.value, e.exists
	owned := false // v is a copy of this fold's, not a stored value
	for _, p := range e.pending {
		if !p.it.Optimistic {
			continue
		}
		switch p.it.Kind {
		case opCreate:
			v, ok, owned = p.value, true, false
		case opPatch:
			if !ok {
				continue // patching what is not there shows nothing
			}
			if p.apply != nil {
				if !owned {
					v, owned = c.copy(v), true
				}
				if err := protect(func() { p.apply(v) }); err != nil {
					c.s.report(fmt.Errorf("store: replaying mutation %d on %s/%s: %w", p.it.MutationID, c.name, string(id), err))
				}
				continue
			}
			body, err := p.it.body()
			if err != nil {
				c.s.report(fmt.Errorf("store: replaying mutation %d on %s/%s: %w", p.it.MutationID, c.name, string(id), err))
				continue
			}
			pv, err := c.mergeJSON(v, body)
			if err != nil {
				c.s.report(fmt.Errorf("store: replaying mutation %d on %s/%s: %w", p.it.MutationID, c.name, string(id), err))
				continue
			}
			v, owned = pv, false
		case opDelete:
			v, ok, owned = nil, false, false
		}
	}
	e.vis, e.visOK = v, ok
	if !e.dirty {
		e.dirty = true
		c.dirty = append(c.dirty, id)
	}
}

// commit tells views and readers about the entities recomputed since the
// last commit whose visible value changed. A panic in an app's callback (a
// view's filter or order, Equal) is reported and the commit goes on: one bad
// callback must not wedge the collection.
func (c *core) commit() {
	dirty := c.dirty
	c.dirty = c.dirty[:0:0]
	for _, id := range dirty {
		e := c.ents[id]
		if e == nil {
			continue
		}
		e.dirty = false
		if err := protect(func() { c.show(id, e) }); err != nil {
			c.s.report(fmt.Errorf("store: showing %s/%s: %w", c.name, string(id), err))
		}
	}
}

// show publishes e's visible value to the size, the views and the entity's
// signals.
func (c *core) show(id string, e *entity) {
	if e.psig != nil {
		e.psig.Set(len(e.pending) > 0)
	}
	v, ok := e.vis, e.visOK
	if ok == e.shownOK && (!ok || c.equal(e.shown, v)) {
		return
	}
	old, oldOK := e.shown, e.shownOK
	e.shown, e.shownOK = v, ok
	if ok != oldOK {
		if ok {
			c.size.Set(c.size.Peek() + 1)
		} else {
			c.size.Set(c.size.Peek() - 1)
		}
	}
	for _, vw := range c.views {
		vw.changed(id, old, oldOK, v, ok)
	}
	if e.sig != nil {
		e.sig.Set(row{v: v, ok: ok})
	}
}

// protect runs fn, returning a panic as an error.
func protect(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	fn()
	return nil
}

// decode turns server data into a value.
func (c *core) decode(data []byte) (any, error) {
	v, err := c.fromAPI(data)
	if err != nil {
		return nil, fmt.Errorf("store: decoding server object: %w", err)
	}
	return v, nil
}

// encode turns a value into server data.
func (c *core) encode(v any) ([]byte, error) {
	b, err := c.toAPI(v)
	if err != nil {
		return nil, fmt.Errorf("store: encoding object: %w", err)
	}
	return b, nil
}

// undeclared is the error of a declared collection's mutation on another.
func (c *core) undeclared(what string) error {
	return fmt.Errorf("store: collection %q was not made by Collect: %s needs its entity's forms; use NewMutation", c.name, what)
}

// mergeJSON applies a JSON patch body (fields) to v the way the server does:
// field by field over the object.
func (c *core) mergeJSON(v any, patch json.RawMessage) (any, error) {
	b, err := c.encode(v)
	if err != nil {
		return v, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return v, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(patch, &fields); err != nil {
		return v, err
	}
	for k, f := range fields {
		obj[k] = f
	}
	merged, err := json.Marshal(obj)
	if err != nil {
		return v, err
	}
	return c.decode(merged)
}

// add appends a pending mutation to its entity and recomputes it.
func (c *core) add(id string, p *pendingOp) {
	e := c.entity(id)
	e.pending = append(e.pending, p)
	c.s.Batch(func() { c.recompute(id, e) })
}

// remove drops the pending mutation of it from its entity, if there, and
// returns the entity (nil for an unknown id).
func (c *core) remove(it *outItem) *entity {
	e := c.ents[string(it.ID)]
	if e == nil {
		return nil
	}
	for i, p := range e.pending {
		if p.it == it || p.it.MutationID == it.MutationID {
			e.pending = append(e.pending[:i], e.pending[i+1:]...)
			return e
		}
	}
	return e
}

// confirm applies the server's answer to a mutation (an object or a
// tombstone) and drops the mutation from pending.
func (c *core) confirm(it *outItem, item wire.Item, epoch string) {
	c.s.Batch(func() {
		id := string(it.ID)
		c.remove(it)
		e := c.entity(id)
		c.applyAnswer(id, e, item, epoch)
		c.recompute(id, e)
	})
}

// reject drops a mutation the server refused; current, if any, is the
// server's object.
func (c *core) reject(it *outItem, current *wire.Item) {
	c.s.Batch(func() {
		id := string(it.ID)
		e := c.remove(it)
		if e == nil {
			return
		}
		if current != nil && current.ID == it.ID {
			c.applyAnswer(id, e, *current, "") // an error answer does not say its epoch
		}
		c.recompute(id, e)
	})
}

// drop removes a mutation without an answer (acknowledged by
// lastMutationID, or answered with a body that cannot be read).
func (c *core) drop(it *outItem) {
	if e := c.remove(it); e != nil {
		c.s.Batch(func() { c.recompute(string(it.ID), e) })
	}
}

// version returns the confirmed version of entity id.
func (c *core) version(id string) uint64 {
	if e := c.ents[string(id)]; e != nil {
		return e.version
	}
	return 0
}

// restore applies a mutation restored from storage.
func (c *core) restore(it *outItem) {
	p := &pendingOp{it: it}
	if it.Kind == opCreate {
		v, err := c.decode(it.Body)
		if err != nil {
			c.s.report(fmt.Errorf("store: restoring mutation %d: %w", it.MutationID, err))
			it.Optimistic = false // still sent; just not shown
		}
		p.value = v
	}
	c.add(string(it.ID), p)
}
