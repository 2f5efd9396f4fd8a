package store

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A Collection holds the entities of one collection of the protocol (one
// topic): a confirmed layer — what the server said last, with versions — and,
// per entity, the ordered pending mutations of this client. What the user sees
// is the pending mutations replayed over the confirmed object (PROTOCOL.md
// §4), exposed through the signal graph per entity (Get) and per live view
// (View): a component showing one entity re-renders when, and only when,
// that entity's visible value changes.
//
// Rollback is a recompute: a refused mutation is removed and the entity is
// folded again from confirmed and the remaining pending mutations. A
// recompute costs O(pending mutations of the entity), never O(collection).
//
// A Collection belongs to its store's goroutine.
type Collection[UI any] struct {
	s      *Store
	g      *state.Graph
	name   string
	decode func([]byte) (UI, error)
	encode func(UI) ([]byte, error)
	equal  func(a, b UI) bool
	clone  func(UI) UI
	ents   map[string]*entity[UI]
	views  []viewer[UI]
	// cursor is where the confirmed layer stands in the topic log.
	cursor wire.Cursor
	dirty  []string           // entities recomputed since the last commit
	size   *state.Signal[int] // visible entities
	decl   *declaration[UI]   // nil unless made by Collect
	// part is the partition field of server objects, "" for a collection
	// synced whole; parts holds its open partitions, pstatus the status
	// signals of the partitions read so far (see partition.go).
	part    string
	parts   map[string]*partition[UI]
	pstatus map[string]*state.Signal[PartitionState]
	// unfollowed holds the entities that mutation answers put in
	// partitions not followed, until the store operation ends
	// (settleAnswers).
	unfollowed []string
}

// entity is one entity's confirmed layer, pending mutations and visible
// value.
type entity[UI any] struct {
	version uint64          // version of the confirmed layer; 0: never confirmed
	epoch   string          // the topic epoch version belongs to; "": unknown
	part    string          // the partition of the confirmed layer, in a partitioned collection
	exists  bool            // the confirmed layer holds an object (not absent, not a tombstone)
	data    json.RawMessage // the confirmed object as the server sent it
	value   UI              // the confirmed object, decoded
	pending []*pendingOp[UI]
	vis     UI // pending folded over confirmed, as of the last recompute
	visOK   bool
	shown   UI // what signals and views show: vis as of the last commit
	shownOK bool
	dirty   bool                   // recomputed since the last commit
	sig     *state.Signal[row[UI]] // created on the first tracked read
	psig    *state.Signal[bool]    // whether pending; created on the first IsPending
}

// A pendingOp is a pending mutation of one entity.
type pendingOp[UI any] struct {
	it    *outItem
	value UI        // create: the optimistic object
	apply func(*UI) // patch: nil when restored from storage (JSON merge instead)
}

// row is what a per-entity signal holds.
type row[UI any] struct {
	v  UI
	ok bool
}

// CollectionOptions configure a Collection.
type CollectionOptions[API, UI any] struct {
	// Name is the collection's name in URLs and topics ("todos"). Required.
	Name string
	// Codec turns server objects into UI objects and back. Required.
	Codec Codec[API, UI]
	// Equal reports whether two visible values are the same, so that a
	// change that changes nothing notifies nobody (B4). By default
	// reflect.DeepEqual.
	Equal func(a, b UI) bool
	// Clone returns a deep copy of a UI value, for Patch functions that
	// change maps, slices or pointed-to values in place. By default a patch
	// gets a shallow copy (see Patch).
	Clone func(UI) UI
	// Partition, if set, is the JSON field of server objects whose value
	// partitions the collection (form.Entity.Partition; Collect sets it):
	// the collection is then synced a partition at a time, those it Opens,
	// rather than whole.
	Partition string
}

// NewCollection registers a collection with s and returns it. Mutations of
// that collection restored from s's storage are applied to it at once, and
// sending starts.
func NewCollection[API, UI any](s *Store, opts CollectionOptions[API, UI]) (*Collection[UI], error) {
	if !wire.ValidCollection(opts.Name) {
		return nil, fmt.Errorf("store: invalid collection name %q", opts.Name)
	}
	if opts.Codec.Decode == nil || opts.Codec.Encode == nil {
		return nil, fmt.Errorf("store: collection %q: Codec.Decode and Codec.Encode are required", opts.Name)
	}
	if _, dup := s.colls[opts.Name]; dup {
		return nil, fmt.Errorf("store: collection %q registered twice", opts.Name)
	}
	c := &Collection[UI]{
		s:      s,
		g:      s.g,
		name:   opts.Name,
		decode: opts.Codec.fromJSON,
		encode: opts.Codec.toJSON,
		equal:  opts.Equal,
		clone:  opts.Clone,
		ents:   map[string]*entity[UI]{},
		part:   opts.Partition,
		parts:  map[string]*partition[UI]{},

		pstatus: map[string]*state.Signal[PartitionState]{},
	}
	if c.equal == nil {
		c.equal = func(a, b UI) bool { return reflect.DeepEqual(a, b) }
	}
	c.size = state.NewSignal(s.g, 0)
	s.colls[c.name] = c
	if c.part == "" {
		// A partitioned collection's topics are its open partitions.
		s.loadCached(c.name, c)
		s.loadBoot(c)
	}
	s.Batch(func() { s.adopt(c.name, c) })
	if c.part == "" {
		s.addTopic(c)
	}
	return c, nil
}

// Name returns the collection's name.
func (c *Collection[UI]) Name() string { return c.name }

// Get returns the visible value of entity id and whether it exists, and
// inside a computed or effect records the read: it reruns when that entity's
// visible value changes, and for no other entity.
func (c *Collection[UI]) Get(id string) (UI, bool) {
	e := c.entity(id)
	if e.sig == nil {
		e.sig = state.NewSignalFunc(c.g, row[UI]{v: e.shown, ok: e.shownOK}, nil)
	}
	r := e.sig.Get()
	return r.v, r.ok
}

// IsPending reports, tracked, whether entity id has mutations waiting for
// the server; its readers rerun only when that changes.
func (c *Collection[UI]) IsPending(id string) bool {
	e := c.entity(id)
	if e.psig == nil {
		e.psig = state.NewSignal(c.g, len(e.pending) > 0)
	}
	return e.psig.Get()
}

// entity returns the record of id, creating an empty one.
func (c *Collection[UI]) entity(id string) *entity[UI] {
	e := c.ents[id]
	if e == nil {
		e = &entity[UI]{}
		c.ents[id] = e
	}
	return e
}

// Len returns, tracked, how many entities are visible.
func (c *Collection[UI]) Len() int { return c.size.Get() }

// Confirmed returns the confirmed layer of entity id: the server's object,
// its version, and whether it exists. It is not tracked.
func (c *Collection[UI]) Confirmed(id string) (v UI, version uint64, ok bool) {
	if e := c.ents[id]; e != nil {
		return e.value, e.version, e.exists
	}
	return v, 0, false
}

// PendingOf returns the mutationIDs pending for entity id, oldest first. It
// is not tracked.
func (c *Collection[UI]) PendingOf(id string) []uint64 {
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

// Cursor returns where the confirmed layer stands in the topic log.
func (c *Collection[UI]) Cursor() wire.Cursor { return c.cursor }

// ApplyItems applies server objects or tombstones to the confirmed layer
// (from events or fetches), each only if its version is newer than the
// confirmed one: the layer never moves backwards (PROTOCOL.md §5.3).
func (c *Collection[UI]) ApplyItems(items ...wire.Item) {
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

// Replace makes items the whole confirmed layer, as of watermark seq of
// epoch (a snapshot, PROTOCOL.md §4): entities missing from items are
// deleted unless the confirmed layer already holds a version newer than the
// watermark (a write committed after the snapshot was read).
//
// With reset, after an epoch change, versions of the old log may move
// backwards and nothing of it newer than the snapshot is kept. A version the
// layer holds from this very epoch (a mutation answer that arrived while the
// snapshot was on its way) is still newer than the snapshot if it is above
// the watermark, and stays, as without reset: otherwise a write this client
// has just seen confirmed would vanish until its event came. Pending
// mutations stay and are replayed on top.
func (c *Collection[UI]) Replace(items []wire.Item, epoch string, seq uint64, reset bool) {
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
		var zero UI
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
			e.exists, e.data, e.value, e.version, e.epoch = false, nil, zero, seq, epoch
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

// SetCursor records the topic position of the confirmed layer (pkg/sync
// calls it as events apply).
func (c *Collection[UI]) SetCursor(cur wire.Cursor) {
	c.cursor = cur
	c.s.confirmedChanged(c.name)
}

// applyServer applies one server item of topic epoch epoch ("" if unknown)
// to e's confirmed layer and reports whether it changed it.
func (c *Collection[UI]) applyServer(id string, e *entity[UI], it wire.Item, epoch string) bool {
	return c.applyIn(id, e, it, epoch, "")
}

// applyAnswer applies the object of a mutation's answer (or an error's
// current) to e's confirmed layer, as applyServer does. An object of a
// partition the collection does not follow (not open, or refused) is
// noted, and forgotten at the end of the store operation unless its
// partition is followed by then (settleAnswers).
func (c *Collection[UI]) applyAnswer(id string, e *entity[UI], it wire.Item, epoch string) {
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
func (c *Collection[UI]) settleAnswers() {
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
func (c *Collection[UI]) forget(id string, e *entity[UI]) {
	var zero UI
	existed := e.exists
	e.exists, e.data, e.value, e.version, e.epoch, e.part = false, nil, zero, 0, "", ""
	c.s.confirmedChanged(c.name)
	if existed {
		c.recompute(id, e)
	}
}

// applyIn is applyServer of an item of partition key (the topic's; "" when
// not known): a tombstone is in the partition of the topic it came from, or
// stays in the one it was in; a live object is in its partition field's.
func (c *Collection[UI]) applyIn(id string, e *entity[UI], it wire.Item, epoch, key string) bool {
	if it.Version <= e.version {
		return false // never move backwards (B5, B12, B21)
	}
	if it.Deleted {
		var zero UI
		e.version, e.epoch, e.exists, e.data, e.value = it.Version, epoch, false, nil, zero
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
func (c *Collection[UI]) recompute(id string, e *entity[UI]) {
	v, ok := e.value, e.exists
	cloned := false
	for _, p := range e.pending {
		if !p.it.Optimistic {
			continue
		}
		switch p.it.Kind {
		case opCreate:
			v, ok = p.value, true
		case opPatch:
			if !ok {
				continue // patching what is not there shows nothing
			}
			if p.apply != nil {
				if c.clone != nil && !cloned {
					v, cloned = c.clone(v), true
				}
				if err := protect(func() { p.apply(&v) }); err != nil {
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
			v = pv
		case opDelete:
			var zero UI
			v, ok = zero, false
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
func (c *Collection[UI]) commit() {
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
func (c *Collection[UI]) show(id string, e *entity[UI]) {
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
		e.sig.Set(row[UI]{v: v, ok: ok})
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

// mergeJSON applies a JSON patch body (fields) to v the way the server does:
// field by field over the object.
func (c *Collection[UI]) mergeJSON(v UI, patch json.RawMessage) (UI, error) {
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
func (c *Collection[UI]) add(id string, p *pendingOp[UI]) {
	e := c.entity(id)
	e.pending = append(e.pending, p)
	c.s.Batch(func() { c.recompute(id, e) })
}

// remove drops the pending mutation of it from its entity, if there, and
// returns the entity (nil for an unknown id).
func (c *Collection[UI]) remove(it *outItem) *entity[UI] {
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

func (c *Collection[UI]) confirm(it *outItem, item wire.Item, epoch string) {
	c.s.Batch(func() {
		id := string(it.ID)
		c.remove(it)
		e := c.entity(id)
		c.applyAnswer(id, e, item, epoch)
		c.recompute(id, e)
	})
}

func (c *Collection[UI]) reject(it *outItem, current *wire.Item) {
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

func (c *Collection[UI]) drop(it *outItem) {
	if e := c.remove(it); e != nil {
		c.s.Batch(func() { c.recompute(string(it.ID), e) })
	}
}

func (c *Collection[UI]) version(id string) uint64 {
	if e := c.ents[string(id)]; e != nil {
		return e.version
	}
	return 0
}

func (c *Collection[UI]) restore(it *outItem) {
	p := &pendingOp[UI]{it: it}
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
