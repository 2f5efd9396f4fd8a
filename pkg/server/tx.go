package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

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

// Load decodes a live entity of another (or the same) collection inside the
// mutation's transaction.
func Load[T any](tx *Tx, collection, id string) (v T, found bool, err error) {
	data, found, err := tx.Get(collection, id)
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

// startDelete marks an entity as being deleted by this mutation.
func (tx *Tx) startDelete(collection, id string) {
	if tx.deleting == nil {
		tx.deleting = make(map[string]bool)
	}
	tx.deleting[collection+"/"+id] = true
}

// write stores one entity change with the next seq of its topic and appends
// its event to the outbox.
func (tx *Tx) write(collection, id string, op wire.Op, data []byte) (uint64, error) {
	if limit := tx.s.opts.MaxChanges; len(*tx.events) >= limit {
		tx.overLimit = true
		return 0, tooManyChanges(limit)
	}
	seq, err := tx.st.NextSeq(tx.ctx, collection)
	if err != nil {
		return 0, err
	}
	if err := tx.st.Put(tx.ctx, Record{Collection: collection, ID: id, Version: seq, Deleted: op == wire.OpDelete, Data: data}); err != nil {
		return 0, err
	}
	ev := EventRecord{Topic: collection, Seq: seq, ID: id, Op: op, Version: seq, Data: data, TS: tx.now.UnixMilli()}
	if tx.origin != nil {
		ev.ClientID, ev.MutationID = tx.origin.ClientID, tx.origin.MutationID
	}
	if err := tx.st.AppendEvent(tx.ctx, ev, tx.s.opts.Retention); err != nil {
		return 0, err
	}
	*tx.events = append(*tx.events, ev)
	return seq, nil
}

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
		return Record{}, &Error{Status: http.StatusConflict, Code: wire.CodeDeleted, Message: collection + "/" + id + " was deleted", Current: &it, readers: true}
	}
	if ifMatch != 0 && cur.Version != ifMatch {
		it := itemOf(cur)
		return Record{}, &Error{Status: http.StatusConflict, Code: wire.CodeConflict,
			Message: fmt.Sprintf("If-Match %d does not match version %d", ifMatch, cur.Version), Current: &it, readers: true}
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

func (g guardedTx) NextSeq(ctx context.Context, topic string) (uint64, error) {
	seq, err := g.WriteTx.NextSeq(ctx, topic)
	return seq, fromStore(err)
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
