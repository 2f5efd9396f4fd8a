package server

import (
	"context"
	"fmt"
)

// A Reader reads one consistent view of the store for the hooks that run
// outside a write transaction — Authorize and AuthorizeTopic — as a Tx does
// inside one: who owns this partition, is this user a member. It is valid
// only during the function Server.Read passes it to.
type Reader struct {
	ctx context.Context
	rt  ReadTx
}

// Read runs fn with a Reader of the current state of the store, in one
// short read transaction. A hook that authorizes by stored data (a board's
// owner, its shares) reads it here. Errors of the store are returned as
// they are: a hook that returns one fails its check (503, or a refused
// subscription with code unavailable), never refuses.
func (s *Server) Read(ctx context.Context, fn func(r *Reader) error) error {
	return s.store.View(ctx, func(rt ReadTx) error { return fn(&Reader{ctx: ctx, rt: rt}) })
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
