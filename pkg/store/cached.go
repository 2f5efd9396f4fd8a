package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

// With Options.Storage, a store keeps each collection's confirmed layer
// there too, with its cursor, so that a reload shows the last data at once —
// and the pending mutations over it — while pkg/sync resumes from that
// cursor: the server replays what was missed, or sends a snapshot if its
// log no longer reaches back that far. It is a cache: a lost or unreadable
// copy only means the first load waits for the server.

// cachedRecord is one collection's confirmed layer as kept in Storage.
type cachedRecord struct {
	Version int         `json:"v"`
	Epoch   string      `json:"epoch"`
	Seq     uint64      `json:"seq"`
	Items   []wire.Item `json:"items"`
}

const cachedVersion = 1

// cacheDelay is how long after a change of a confirmed layer it is saved:
// a burst of events costs one write.
const cacheDelay = 300 * time.Millisecond

// maxCached bounds the bytes of one collection's saved copy; a bigger
// collection is not cached (browsers give an origin a few megabytes).
const maxCached = 2 << 20

func (s *Store) cacheKey(collection string) string { return s.storeKey + "/" + collection }

// confirmedChanged notes that a collection's confirmed layer changed and
// schedules a save.
func (s *Store) confirmedChanged(name string) {
	if s.storage == nil || s.closed {
		return
	}
	if c := s.colls[name]; c != nil && c.part != "" {
		return // not cached: each open partition loads from the server
	}
	if s.cacheDirty == nil {
		s.cacheDirty = map[string]bool{}
	}
	s.cacheDirty[name] = true
	if s.cacheTimer != nil {
		return
	}
	s.cacheTimer = s.clock.AfterFunc(cacheDelay, func() {
		s.g.Schedule(s.saveCached)
	})
}

// saveCached writes the collections whose confirmed layer changed.
func (s *Store) saveCached() {
	s.cacheTimer = nil
	dirty := s.cacheDirty
	s.cacheDirty = nil
	for name := range dirty {
		c := s.colls[name]
		if c == nil {
			continue
		}
		cur, items := c.confirmed()
		b, err := json.Marshal(cachedRecord{Version: cachedVersion, Epoch: cur.Epoch, Seq: cur.Seq, Items: items})
		switch {
		case err != nil:
		case len(b) > maxCached:
			err = s.storage.Remove(s.cacheKey(name))
		default:
			err = s.storage.Set(s.cacheKey(name), b)
		}
		if err != nil {
			s.report(fmt.Errorf("store: caching %s: %w", name, err))
		}
	}
}

// loadCached restores the saved confirmed layer of collection c, if any.
func (s *Store) loadCached(name string, c *core) {
	if s.storage == nil {
		return
	}
	b, err := s.storage.Get(s.cacheKey(name))
	if errors.Is(err, cache.ErrNotFound) {
		return
	}
	var rec cachedRecord
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err == nil && rec.Version != cachedVersion {
		err = fmt.Errorf("version %d", rec.Version)
	}
	if err != nil {
		s.report(fmt.Errorf("store: discarding the cached copy of %s: %w", name, err))
		return
	}
	c.loadConfirmed(wire.Cursor{Epoch: rec.Epoch, Seq: rec.Seq}, rec.Items)
}

// confirmed returns the confirmed layer's live entities and its cursor.
func (c *core) confirmed() (wire.Cursor, []wire.Item) {
	items := make([]wire.Item, 0, len(c.ents))
	for id, e := range c.ents {
		if e.exists {
			items = append(items, wire.Item{ID: id, Version: e.version, Data: e.data})
		}
	}
	return c.cursor, items
}

// loadConfirmed makes items, saved at cursor, the confirmed layer.
func (c *core) loadConfirmed(cur wire.Cursor, items []wire.Item) {
	c.s.Batch(func() {
		for _, it := range items {
			e := c.entity(it.ID)
			if c.applyServer(it.ID, e, it, cur.Epoch) {
				c.recompute(it.ID, e)
			}
		}
	})
	c.cursor = cur
}
