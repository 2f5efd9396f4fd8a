package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A Snapshot is a whole collection as the server listed it, at watermark Seq
// of Epoch (PROTOCOL.md §2).
type Snapshot struct {
	Items []wire.Item
	Epoch string
	Seq   uint64
}

// snapshotPageSize is the page size asked of GET /api/{collection}.
const snapshotPageSize = 500

// load is Collection.Load.
func (c *core) load(cc *cache.Client) (status *Query[Snapshot], stop func()) {
	o := cache.NewObserver(cc, cache.QueryOptions[Snapshot]{
		Key: cache.Key{"tandem", "snapshot", c.name},
		Fn: func(ctx context.Context, _ cache.Key) (Snapshot, error) {
			if c.part != "" {
				return Snapshot{}, fmt.Errorf("store: %s is partitioned: Load reads a collection synced whole; Open its partitions with pkg/sync", c.name)
			}
			return c.s.fetchSnapshot(ctx, c.name)
		},
		// Two listings at one watermark of one log are the same state.
		Equal: func(a, b Snapshot) bool { return a.Epoch == b.Epoch && a.Seq == b.Seq },
	})
	var applied uint64
	apply := func() {
		r := o.Result()
		if !r.HasData || r.DataVersion == applied {
			return
		}
		applied = r.DataVersion
		reset := c.cursor.Epoch != "" && c.cursor.Epoch != r.Data.Epoch
		c.replace(r.Data.Items, r.Data.Epoch, r.Data.Seq, reset)
	}
	unsub := o.Subscribe(func() { c.g.Schedule(apply) })
	c.g.Schedule(apply)
	return NewQuery(c.g, o), unsub
}

// fetchSnapshot reads every page of one listing. Pages of one listing share
// epoch and seq; if they do not (the server restarted mid-listing), it
// starts over, a few times.
func (s *Store) fetchSnapshot(ctx context.Context, name string) (Snapshot, error) {
	for attempt := 0; attempt < 3; attempt++ {
		var snap Snapshot
		after := ""
		consistent := true
		for page := 0; ; page++ {
			u := fmt.Sprintf("%s/%s?limit=%d", s.baseURL, pathEscape(name), snapshotPageSize)
			if after != "" {
				u += "&after=" + queryEscape(after)
			}
			body, err := s.get(ctx, u)
			if err != nil {
				return Snapshot{}, err
			}
			p, err := wire.DecodeSnapshotPage(body)
			if err != nil {
				return Snapshot{}, fmt.Errorf("store: snapshot of %s: %w", name, err)
			}
			if page == 0 {
				snap.Epoch, snap.Seq = p.Epoch, p.Seq
			} else if p.Epoch != snap.Epoch || p.Seq != snap.Seq {
				consistent = false
				break
			}
			snap.Items = append(snap.Items, p.Items...)
			if p.Next == "" {
				break
			}
			after = p.Next
		}
		if consistent {
			return snap, nil
		}
	}
	return Snapshot{}, fmt.Errorf("store: snapshot of %s: pages kept changing epoch", name)
}

// get performs a GET through the cache's REST reader: the body of a 2xx
// answer, a *cache.HTTPError for any other.
func (s *Store) get(ctx context.Context, u string) ([]byte, error) {
	rest := cache.REST{Transport: s.transport, Header: s.header}
	body, err := rest.Do(ctx, "GET", u, nil)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return body, nil
}

// refetch is Collection.Refetch.
func (c *core) refetch(ctx context.Context, id string) error {
	item, err := c.fetchItem(ctx, string(id))
	if err != nil {
		return err
	}
	c.g.Schedule(func() { c.applyItems([]wire.Item{item}) })
	return nil
}

// fetchItem is Collection.FetchItem.
func (c *core) fetchItem(ctx context.Context, id string) (wire.Item, error) {
	u := fmt.Sprintf("%s/%s/%s", c.s.baseURL, pathEscape(c.name), pathEscape(id))
	body, err := c.s.get(ctx, u)
	var he *cache.HTTPError
	switch {
	case err == nil:
		item, err := wire.DecodeItem(body)
		if err != nil {
			return wire.Item{}, fmt.Errorf("store: %s/%s: %w", c.name, id, err)
		}
		return item, nil
	case errors.As(err, &he) && he.Status == 404:
		if er, derr := wire.DecodeErrorResponse(he.Body); derr == nil && er.Error.Current != nil && er.Error.Current.ID == id {
			return *er.Error.Current, nil // a tombstone
		}
	}
	return wire.Item{}, err
}
