package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

// record is what a Store keeps in Storage: enough to resend its pending
// mutations after a reload under the clientIDs and mutationIDs they were
// made with, so the server's dedup recognises them.
type record struct {
	Version        int        `json:"v"`
	ClientID       string     `json:"clientID"`
	LastMutationID uint64     `json:"lastMutationID"`
	Pending        []*outItem `json:"pending"`
}

const recordVersion = 1

// save writes the store's record; it is called after every change of the
// queue.
func (s *Store) save() {
	if s.storage == nil {
		return
	}
	for _, it := range s.outbox.queue {
		if _, err := it.body(); err != nil {
			s.report(fmt.Errorf("store: saving mutation %d: %w", it.MutationID, err))
		}
	}
	b, err := json.Marshal(record{Version: recordVersion, ClientID: s.clientID,
		LastMutationID: s.lastMutationID, Pending: s.outbox.queue})
	if err == nil {
		err = s.storage.Set(s.storeKey, b)
	}
	if err != nil {
		s.report(fmt.Errorf("store: saving pending mutations: %w", err))
	}
}

// restore loads the previous session's record, if any. Its mutations keep
// the clientID they were made with.
func (s *Store) restore() error {
	if s.storage == nil {
		return nil
	}
	b, err := s.storage.Get(s.storeKey)
	if errors.Is(err, cache.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: reading pending mutations: %w", err)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		// A record we cannot read is reported and replaced, not fatal: the
		// app must start.
		s.report(fmt.Errorf("store: discarding an unreadable record of pending mutations: %w", err))
		return nil
	}
	if rec.Version != recordVersion {
		s.report(fmt.Errorf("store: discarding a record of pending mutations of version %d", rec.Version))
		return nil
	}
	for _, it := range rec.Pending {
		if it == nil || it.MutationID == 0 {
			continue
		}
		if it.ClientID == "" {
			it.ClientID = rec.ClientID
		}
		if !wire.ValidClientID(it.ClientID) {
			s.report(fmt.Errorf("store: discarding restored mutation %d of invalid client %q", it.MutationID, it.ClientID))
			continue
		}
		s.outbox.queue = append(s.outbox.queue, it)
	}
	if s.clientID != "" && s.clientID == rec.ClientID {
		s.lastMutationID = rec.LastMutationID // an explicit ClientID goes on counting
	}
	s.pendingCount.Set(len(s.outbox.queue))
	s.changedOutbox()
	return nil
}

// adopt hands the restored mutations of a newly registered collection to it
// and starts sending.
func (s *Store) adopt(name string, c *core) {
	for _, it := range s.outbox.queue {
		if it.Collection == name {
			c.restore(it)
		}
	}
	s.outbox.pump()
}
