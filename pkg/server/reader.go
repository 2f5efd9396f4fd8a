package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A Reader reads one consistent view of the store for the hooks that run
// outside a write transaction — Authorize and AuthorizeTopic — as a Tx does
// inside one: who owns this partition, is this user a member. It is valid
// only during the function Server.Read passes it to.
type Reader struct {
	ctx context.Context
	s   *Server
	rt  ReadTx
}

// Read runs fn with a Reader of the current state of the store, in one
// short read transaction. A hook that authorizes by stored data (a board's
// owner, its shares) reads it here; a page rendered with the data in it
// reads its topics' snapshots here, together. Errors of the store are returned as
// they are: a hook that returns one fails its check (503, or a refused
// subscription with code unavailable), never refuses.
func (s *Server) Read(ctx context.Context, fn func(r *Reader) error) error {
	return s.store.View(ctx, func(rt ReadTx) error { return fn(&Reader{ctx: ctx, s: s, rt: rt}) })
}

// Get returns the stored JSON of a live entity; found is false for an
// unknown id or a tombstone.
func (r *Reader) Get(collection, id string) (data []byte, found bool, err error) {
	rec, found, err := r.rt.Get(r.ctx, collection, id)
	if err != nil {
		return nil, false, fmt.Errorf("server: read %s/%s: %w", collection, id, err)
	}
	if !found || rec.Deleted {
		return nil, false, nil
	}
	return rec.Data, true, nil
}

// Lookup returns the ids of the entities of collection whose index holds
// key, as Tx.Lookup does.
func (r *Reader) Lookup(collection, index, key string) ([]string, error) {
	ids, err := r.rt.Lookup(r.ctx, collection, index, key)
	if err != nil {
		return nil, fmt.Errorf("server: lookup in %s: %w", collection, err)
	}
	return ids, nil
}

// ErrSnapshotTooBig is returned by Reader.Snapshot for a topic of more
// entities than the limit asked for.
var ErrSnapshotTooBig = errors.New("server: the topic holds more entities than the snapshot may")

// Snapshot returns the live entities of topic — a collection's, or a
// partition's (wire.PartitionTopic) — with the topic's cursor, as of this
// read: one complete snapshot (Part 0, Last), which a client applies as it
// applies the parts of a subscription's, and from whose cursor it resumes.
// Items are in id order, without tombstones, as a listing gives them. Read in
// one Server.Read, the snapshots of several topics agree with one another.
//
// A topic of more than limit entities is ErrSnapshotTooBig: the snapshot is
// read whole, in memory. Like Get, it checks no authorization: the caller
// shows it only to whom may read the topic (a page of the open demo, which
// everyone reads).
func (r *Reader) Snapshot(topic string, limit int) (wire.Snapshot, error) {
	if !wire.ValidTopic(topic) {
		return wire.Snapshot{}, fmt.Errorf("server: snapshot of %q: not a topic", topic)
	}
	key, coll := wire.SplitTopic(topic)
	if _, ok := r.s.entity(coll); !ok {
		return wire.Snapshot{}, fmt.Errorf("server: snapshot of %q: no registered collection %q", topic, coll)
	}
	st, err := r.s.topicState(r.ctx, r.rt, topic)
	if err != nil {
		return wire.Snapshot{}, fmt.Errorf("server: snapshot of %s: %w", topic, err)
	}
	var recs []Record
	if key != "" {
		recs, err = r.rt.ListPartition(r.ctx, coll, key, "", limit+1, false)
	} else {
		recs, err = r.rt.List(r.ctx, coll, "", limit+1, false)
	}
	if err != nil {
		return wire.Snapshot{}, fmt.Errorf("server: snapshot of %s: %w", topic, err)
	}
	if len(recs) > limit {
		return wire.Snapshot{}, fmt.Errorf("%w: %s, over %d", ErrSnapshotTooBig, topic, limit)
	}
	snap := wire.Snapshot{Topic: topic, Epoch: st.Epoch, Seq: st.Seq, Last: true, Items: make([]wire.Item, len(recs))}
	for i, rec := range recs {
		snap.Items[i] = itemOf(rec)
	}
	return snap, nil
}
