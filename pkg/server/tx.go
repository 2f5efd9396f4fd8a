package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// maxDepth bounds nested Tx.Delete calls (cascades of cascades).
const maxDepth = 16

// A Tx is the write transaction of one mutation as hooks see it: reads see
// the mutation's own writes, and Delete changes further entities as part of
// the same mutation (each change gets its own event in its own topic, all
// with the mutation's origin). A Tx is valid only during the hook call.
type Tx struct {
	s      *Server
	st     WriteTx         // errors from it are storeErrors (see guardedTx)
	ctx    context.Context // the request's values; never cancelled
	now    time.Time
	origin *wire.Origin
	events *[]EventRecord
	depth  int
	// deleting holds the entities whose deletion is under way in this
	// mutation ("collection/id"), so that a cycle of cascading deletes
	// (a deletes b, b deletes a) ends instead of recursing.
	deleting map[string]bool
	// overLimit is set once the mutation tried to change more than
	// MaxChanges entities: it fails then, whatever its hooks return.
	overLimit bool
}

// tooManyChanges is the answer to a mutation over MaxChanges.
func tooManyChanges(limit int) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: wire.CodeRejected,
		Message: fmt.Sprintf("this mutation would change more than %d entities; change fewer at once", limit)}
}

// Now returns the commit time of the mutation, from the server's Clock.
func (tx *Tx) Now() time.Time { return tx.now }

// Origin returns the client mutation being applied, or nil for a mutation
// sent without X-Client-ID and X-Mutation-ID.
func (tx *Tx) Origin() *wire.Origin { return tx.origin }

// Get returns the stored JSON of a live entity; found is false for an
// unknown id or a tombstone.
func (tx *Tx) Get(collection, id string) (data []byte, found bool, err error) {
	rec, found, err := tx.st.Get(tx.ctx, collection, id)
	if err != nil || !found || rec.Deleted {
		return nil, false, err
	}
	return rec.Data, true, nil
}

// A Getter reads live entities as JSON: a Tx inside a mutation, a Reader
// outside one (Server.Read).
type Getter interface {
	Get(collection, id string) (data []byte, found bool, err error)
}

// Load decodes a live entity of a collection: inside the mutation's
// transaction with a Tx, or in a Reader's view.
func Load[T any](g Getter, collection, id string) (v T, found bool, err error) {
	data, found, err := g.Get(collection, id)
	if err != nil || !found {
		return v, found, err
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, false, fmt.Errorf("server: decode %s/%s: %w", collection, id, err)
	}
	return v, true, nil
}

// Lookup returns the ids of the entities of collection whose index holds key.
func (tx *Tx) Lookup(collection, index, key string) ([]string, error) {
	return tx.st.Lookup(tx.ctx, collection, index, key)
}

// Delete deletes an entity of a registered collection as part of this
// mutation, running that collection's BeforeDelete hook (so cascades nest).
// Deleting an unknown id, a tombstone, or an entity whose deletion this
// mutation already started (a cycle) does nothing. Cascades nest at most 16
// deep; deeper, the mutation is rejected (422 rejected). A mutation changes
// at most Options.MaxChanges entities: past that, Delete fails and the
// mutation is rejected (422 rejected), even if the hook ignores the error.
func (tx *Tx) Delete(collection, id string) error {
	e, ok := tx.s.entity(collection)
	if !ok {
		return fmt.Errorf("server: Delete in unregistered collection %q", collection)
	}
	if tx.deleting[collection+"/"+id] {
		return nil
	}
	cur, found, err := tx.st.Get(tx.ctx, collection, id)
	if err != nil || !found || cur.Deleted {
		return err
	}
	if tx.depth >= maxDepth {
		return errDepth
	}
	tx.depth++
	defer func() { tx.depth-- }()
	_, err = e.remove(tx, cur)
	return err
}

// Create creates entity v of e's registered collection as part of this
// mutation, as a REST create by the same caller would, without its
// Authorize hook: validated by e's create form, with e's rules (references,
// unique keys, stamps, partition) and its BeforeWrite hook; its event
// carries the mutation's origin. v's id must be set (NewID makes one). An
// id in use or once used (ids are never reused) is a 409 error; like any
// error of a hook's write, returning it fails the mutation. Creates nest
// like Delete, at most 16 deep, and count towards Options.MaxChanges.
func Create[T any](tx *Tx, e *form.Entity[T], v T) error {
	ops, ok := tx.s.entity(e.Name())
	if !ok {
		return fmt.Errorf("server: Create in unregistered collection %q", e.Name())
	}
	en, ok := ops.(*entity[T])
	if !ok {
		return fmt.Errorf("server: Create in %q with another entity type than it was registered with", e.Name())
	}
	id := *en.layout.ID(&v)
	if !wire.ValidID(id) {
		return fmt.Errorf("server: Create in %q: %q is not a valid id", e.Name(), id)
	}
	if err := en.createForm.Validate(v); err != nil {
		return err
	}
	if tx.depth >= maxDepth {
		return errDepth
	}
	tx.depth++
	defer func() { tx.depth-- }()
	_, _, err := en.create(tx, id, v)
	return err
}

// NewID returns a random id (a version 4 UUID) for an entity a hook creates.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// startDelete marks an entity as being deleted by this mutation.
func (tx *Tx) startDelete(collection, id string) {
	if tx.deleting == nil {
		tx.deleting = make(map[string]bool)
	}
	tx.deleting[collection+"/"+id] = true
}

// A written change is where one entity change of a mutation landed: the
// entity's new version, and the topic and seq of its event.
type written struct {
	version, seq uint64
	topic        string
}

// write stores one entity change and appends its event to the outbox.
//
// In a collection synced whole, the change takes the next seq of the
// collection's topic, which is also the entity's new version. In a
// partitioned collection (partitioned), the version comes from the
// collection's topic, whose seq is then the collection's version clock
// (it has no events), and the event takes the next seq of the partition's
// topic, created on its first write: from is the partition the entity was
// in (update, delete), to the one it is in after (create, update). An
// update from one partition to another is a move: a delete in from, whose
// departure is recorded (WriteTx.SetDeparted) so that from's snapshots
// still account for the entity, then a create in to, with a newer version.
func (tx *Tx) write(collection, id string, op wire.Op, data []byte, partitioned bool, from, to string) (written, error) {
	if !partitioned {
		return tx.change(collection, collection, id, op, data, "")
	}
	if op == wire.OpUpdate && from != to {
		gone, err := tx.change(collection, wire.PartitionTopic(from, collection), id, wire.OpDelete, nil, from)
		if err != nil {
			return written{}, err
		}
		if err := tx.st.SetDeparted(tx.ctx, collection, from, id, gone.version); err != nil {
			return written{}, err
		}
		if err := tx.st.SetDeparted(tx.ctx, collection, to, id, 0); err != nil {
			return written{}, err
		}
		op = wire.OpCreate
	}
	part := to
	if op == wire.OpDelete {
		part = from
	}
	w, err := tx.change(collection, wire.PartitionTopic(part, collection), id, op, data, part)
	if err != nil {
		return written{}, err
	}
	return w, tx.st.Put(tx.ctx, Record{Collection: collection, ID: id, Partition: part, Version: w.version, Deleted: op == wire.OpDelete, Data: data})
}

// change appends one event of topic for entity id: the version from the
// collection's topic, the seq from topic (the same one, for a collection
// synced whole, whose record it then stores too).
func (tx *Tx) change(collection, topic, id string, op wire.Op, data []byte, part string) (written, error) {
	if limit := tx.s.opts.MaxChanges; len(*tx.events) >= limit {
		tx.overLimit = true
		return written{}, tooManyChanges(limit)
	}
	version, access, err := tx.st.NextSeq(tx.ctx, collection)
	if err != nil {
		return written{}, err
	}
	seq := version
	if topic != collection {
		if seq, access, err = tx.nextSeq(collection, topic); err != nil {
			return written{}, err
		}
	} else if err := tx.st.Put(tx.ctx, Record{Collection: collection, ID: id, Version: version, Deleted: op == wire.OpDelete, Data: data}); err != nil {
		return written{}, err
	}
	ev := EventRecord{Topic: topic, Seq: seq, ID: id, Op: op, Version: version, Data: data, TS: tx.now.UnixMilli(), Access: access}
	if tx.origin != nil {
		ev.ClientID, ev.MutationID = tx.origin.ClientID, tx.origin.MutationID
	}
	if err := tx.st.AppendEvent(tx.ctx, ev, tx.s.opts.Retention); err != nil {
		return written{}, err
	}
	*tx.events = append(*tx.events, ev)
	return written{version: version, seq: seq, topic: topic}, nil
}

// nextSeq takes the next seq of a partition's topic, creating the topic
// with its collection's epoch on the partition's first write.
func (tx *Tx) nextSeq(collection, topic string) (seq, access uint64, err error) {
	seq, access, err = tx.st.NextSeq(tx.ctx, topic)
	if errors.Is(err, ErrNoTopic) {
		if _, err = tx.st.CreateTopic(tx.ctx, topic, tx.s.epoch(collection)); err != nil {
			return 0, 0, err
		}
		seq, access, err = tx.st.NextSeq(tx.ctx, topic)
	}
	return seq, access, err
}

// Reauthorize declares that this mutation changes who may read partition
// key of collection (key "" for a collection synced whole): a share
// created or deleted, a role changed. Once the mutation commits, every
// subscription to that topic, on every instance, is checked again with the
// AuthorizeTopic hook before it gets any event committed after it, and one
// the hook now refuses ends with an error message of code revoked: its
// client drops what it holds of the topic, and nothing of the topic reaches
// it afterwards. REST reads check Authorize on every request and need no
// such call.
func (tx *Tx) Reauthorize(collection, key string) error {
	e, ok := tx.s.entity(collection)
	if !ok {
		return fmt.Errorf("server: Reauthorize of unregistered collection %q", collection)
	}
	topic := collection
	if e.partition() != "" {
		if !wire.ValidID(key) {
			return fmt.Errorf("server: Reauthorize of %q needs a partition key, not %q", collection, key)
		}
		topic = wire.PartitionTopic(key, collection)
	} else if key != "" {
		return fmt.Errorf("server: Reauthorize of %q with key %q: the collection is not partitioned", collection, key)
	}
	access, err := tx.st.BumpAccess(tx.ctx, topic)
	if errors.Is(err, ErrNoTopic) {
		if _, err = tx.st.CreateTopic(tx.ctx, topic, tx.s.epoch(collection)); err == nil {
			access, err = tx.st.BumpAccess(tx.ctx, topic)
		}
	}
	if err != nil {
		return err
	}
	// A mark, not an event: published with the mutation's events, it has
	// the hub check the topic's subscriptions at once.
	*tx.events = append(*tx.events, EventRecord{Topic: topic, Access: access})
	return nil
}

// isMark reports whether ev is a Reauthorize mark rather than an event.
func (ev EventRecord) isMark() bool { return ev.Seq == 0 }

// loadForChange reads the entity a PATCH or DELETE targets and checks
// If-Match.
func (tx *Tx) loadForChange(collection, id string, ifMatch uint64) (Record, error) {
	cur, found, err := tx.st.Get(tx.ctx, collection, id)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, errNotFound(collection + "/" + id)
	}
	if cur.Deleted {
		it := itemOf(cur)
		return Record{}, &Error{Status: http.StatusConflict, Code: wire.CodeDeleted, Message: collection + "/" + id + " was deleted", Current: &it, readers: true, partition: cur.Partition}
	}
	if ifMatch != 0 && cur.Version != ifMatch {
		it := itemOf(cur)
		return Record{}, &Error{Status: http.StatusConflict, Code: wire.CodeConflict,
			Message: fmt.Sprintf("If-Match %d does not match version %d", ifMatch, cur.Version), Current: &it, readers: true, partition: cur.Partition}
	}
	return cur, nil
}

// toWireEvent converts an outbox row; the origin is kept only when withOrigin
// (the event goes to the session of the client that made the mutation).
func toWireEvent(ev EventRecord, epoch string, withOrigin bool) wire.Event {
	w := wire.Event{Topic: ev.Topic, Epoch: epoch, Seq: ev.Seq, Prev: ev.Seq - 1, ID: ev.ID, Op: ev.Op, Version: ev.Version, Data: ev.Data, TS: ev.TS}
	if withOrigin && ev.ClientID != "" {
		w.Origin = &wire.Origin{ClientID: ev.ClientID, MutationID: ev.MutationID}
	}
	return w
}

// guardedTx marks every error of the WriteTx a mutation's Tx uses as a
// storeError, so that a failing store is told apart from a failing hook
// however a hook wraps or passes the error on.
type guardedTx struct{ WriteTx }

func (g guardedTx) Get(ctx context.Context, collection, id string) (Record, bool, error) {
	rec, found, err := g.WriteTx.Get(ctx, collection, id)
	return rec, found, fromStore(err)
}

func (g guardedTx) List(ctx context.Context, collection, afterID string, limit int, withDeleted bool) ([]Record, error) {
	recs, err := g.WriteTx.List(ctx, collection, afterID, limit, withDeleted)
	return recs, fromStore(err)
}

func (g guardedTx) Lookup(ctx context.Context, collection, index, key string) ([]string, error) {
	ids, err := g.WriteTx.Lookup(ctx, collection, index, key)
	return ids, fromStore(err)
}

func (g guardedTx) NextSeq(ctx context.Context, topic string) (uint64, uint64, error) {
	seq, access, err := g.WriteTx.NextSeq(ctx, topic)
	return seq, access, fromStore(err)
}

func (g guardedTx) BumpAccess(ctx context.Context, topic string) (uint64, error) {
	access, err := g.WriteTx.BumpAccess(ctx, topic)
	return access, fromStore(err)
}

func (g guardedTx) CreateTopic(ctx context.Context, topic, epoch string) (TopicState, error) {
	st, err := g.WriteTx.CreateTopic(ctx, topic, epoch)
	return st, fromStore(err)
}

func (g guardedTx) SetDeparted(ctx context.Context, collection, partition, id string, version uint64) error {
	return fromStore(g.WriteTx.SetDeparted(ctx, collection, partition, id, version))
}

func (g guardedTx) Put(ctx context.Context, rec Record) error {
	return fromStore(g.WriteTx.Put(ctx, rec))
}

func (g guardedTx) AppendEvent(ctx context.Context, ev EventRecord, keep int) error {
	return fromStore(g.WriteTx.AppendEvent(ctx, ev, keep))
}

func (g guardedTx) SetIndex(ctx context.Context, collection, index, id string, keys []string) error {
	return fromStore(g.WriteTx.SetIndex(ctx, collection, index, id, keys))
}
