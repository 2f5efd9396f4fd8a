package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A Tx is the write transaction of one mutation as hooks see it: reads see
// the mutation's own writes, and Delete changes further entities as part of
// the same mutation (each change gets its own event in its own topic, all
// with the mutation's origin). A Tx is valid only during the hook call.
type Tx struct {
	s      *Server
	st     WriteTx
	ctx    context.Context
	now    time.Time
	origin *wire.Origin
	events *[]EventRecord
	depth  int
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
// Deleting an unknown id or a tombstone does nothing.
func (tx *Tx) Delete(collection, id string) error {
	e, ok := tx.s.entity(collection)
	if !ok {
		return fmt.Errorf("server: Delete in unregistered collection %q", collection)
	}
	cur, found, err := tx.st.Get(tx.ctx, collection, id)
	if err != nil || !found || cur.Deleted {
		return err
	}
	if tx.depth >= 16 {
		return errDepth
	}
	tx.depth++
	defer func() { tx.depth-- }()
	_, err = e.remove(tx.ctx, tx, cur)
	return err
}

// write stores one entity change with the next seq of its topic and appends
// its event to the outbox.
func (tx *Tx) write(collection, id string, op wire.Op, data []byte) (uint64, error) {
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
func loadForChange(ctx context.Context, st WriteTx, collection, id string, ifMatch uint64) (Record, error) {
	cur, found, err := st.Get(ctx, collection, id)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, errNotFound(collection + "/" + id)
	}
	if cur.Deleted {
		it := itemOf(cur)
		return Record{}, &Error{Status: http.StatusConflict, Code: wire.CodeDeleted, Message: collection + "/" + id + " was deleted", Current: &it}
	}
	if ifMatch != 0 && cur.Version != ifMatch {
		it := itemOf(cur)
		return Record{}, &Error{Status: http.StatusConflict, Code: wire.CodeConflict,
			Message: fmt.Sprintf("If-Match %d does not match version %d", ifMatch, cur.Version), Current: &it}
	}
	return cur, nil
}

func toWireEvent(ev EventRecord, epoch string) wire.Event {
	w := wire.Event{Topic: ev.Topic, Epoch: epoch, Seq: ev.Seq, Prev: ev.Seq - 1, ID: ev.ID, Op: ev.Op, Version: ev.Version, Data: ev.Data, TS: ev.TS}
	if ev.ClientID != "" {
		w.Origin = &wire.Origin{ClientID: ev.ClientID, MutationID: ev.MutationID}
	}
	return w
}
