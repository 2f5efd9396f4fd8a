package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemStore is a Store in memory, for tests and examples: nothing survives
// the process. It implements the full Store contract (snapshot reads,
// serialized writes, rollback and savepoints) with an undo log. Create it
// with NewMemStore.
type MemStore struct {
	mu        sync.RWMutex
	closed    bool
	topics    map[string]*TopicState
	entities  map[string]map[string]Record
	parts     map[[2]string]map[string]bool   // {collection, partition} -> ids of the entities in it
	departed  map[[2]string]map[string]uint64 // {collection, partition} -> id -> version of its departure
	events    map[string][]EventRecord
	clients   map[string]ClientState
	responses map[string]map[uint64]StoredResponse
	index     map[[3]string]map[string]bool // {collection, index, key} -> ids
	keysOf    map[[3]string][]string        // {collection, index, id} -> keys
	indexSigs map[[2]string]string          // {collection, index} -> signature
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		topics:    make(map[string]*TopicState),
		entities:  make(map[string]map[string]Record),
		parts:     make(map[[2]string]map[string]bool),
		departed:  make(map[[2]string]map[string]uint64),
		events:    make(map[string][]EventRecord),
		clients:   make(map[string]ClientState),
		responses: make(map[string]map[uint64]StoredResponse),
		index:     make(map[[3]string]map[string]bool),
		keysOf:    make(map[[3]string][]string),
		indexSigs: make(map[[2]string]string),
	}
}

// Close implements Store.
func (m *MemStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// View implements Store: fn runs under the read lock, so it sees one state.
func (m *MemStore) View(ctx context.Context, fn func(ReadTx) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrStoreClosed
	}
	return fn(&memTx{m: m})
}

// Update implements Store: fn runs under the write lock; on error or panic
// the undo log restores the state.
func (m *MemStore) Update(ctx context.Context, fn func(WriteTx) error) (err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrStoreClosed
	}
	tx := &memTx{m: m, write: true, savepoints: make(map[string]int)}
	ok := false
	defer func() {
		if !ok {
			tx.undoTo(0)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	ok = true
	return nil
}

type memTx struct {
	m          *MemStore
	write      bool
	undo       []func()
	savepoints map[string]int
}

func (t *memTx) undoTo(n int) {
	for i := len(t.undo) - 1; i >= n; i-- {
		t.undo[i]()
	}
	t.undo = t.undo[:n]
}

func (t *memTx) Topic(_ context.Context, topic string) (TopicState, bool, error) {
	st, ok := t.m.topics[topic]
	if !ok {
		return TopicState{}, false, nil
	}
	out := *st
	if evs := t.m.events[topic]; len(evs) > 0 {
		out.MinSeq = evs[0].Seq
	}
	return out, true, nil
}

func (t *memTx) Get(_ context.Context, collection, id string) (Record, bool, error) {
	rec, ok := t.m.entities[collection][id]
	return rec, ok, nil
}

func (t *memTx) List(_ context.Context, collection, afterID string, limit int, withDeleted bool) ([]Record, error) {
	var ids []string
	for id, rec := range t.m.entities[collection] {
		if id > afterID && (withDeleted || !rec.Deleted) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]Record, len(ids))
	for i, id := range ids {
		out[i] = t.m.entities[collection][id]
	}
	return out, nil
}

func (t *memTx) Events(_ context.Context, topic string, afterSeq uint64, limit int) ([]EventRecord, error) {
	var out []EventRecord
	for _, ev := range t.m.events[topic] {
		if ev.Seq > afterSeq && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (t *memTx) ListPartition(_ context.Context, collection, partition, afterID string, limit int, withDeleted bool) ([]Record, error) {
	var ids []string
	for id := range t.m.parts[[2]string{collection, partition}] {
		if id > afterID && (withDeleted || !t.m.entities[collection][id].Deleted) {
			ids = append(ids, id)
		}
	}
	gone := t.m.departed[[2]string{collection, partition}]
	if withDeleted {
		for id := range gone {
			if id > afterID {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]Record, len(ids))
	for i, id := range ids {
		if v, ok := gone[id]; ok {
			out[i] = Record{Collection: collection, ID: id, Partition: partition, Version: v, Deleted: true}
		} else {
			out[i] = t.m.entities[collection][id]
		}
	}
	return out, nil
}

func (t *memTx) Topics(_ context.Context, after string, limit int) ([]string, error) {
	var out []string
	for topic := range t.m.topics {
		if topic > after {
			out = append(out, topic)
		}
	}
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (t *memTx) Client(_ context.Context, clientID string) (ClientState, bool, error) {
	c, ok := t.m.clients[clientID]
	return c, ok, nil
}

func (t *memTx) Lookup(_ context.Context, collection, index, key string) ([]string, error) {
	var ids []string
	for id := range t.m.index[[3]string{collection, index, key}] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

func (t *memTx) CreateTopic(ctx context.Context, topic, epoch string) (TopicState, error) {
	if _, ok := t.m.topics[topic]; !ok {
		t.m.topics[topic] = &TopicState{Epoch: epoch}
		t.undo = append(t.undo, func() { delete(t.m.topics, topic) })
	}
	st, _, err := t.Topic(ctx, topic)
	return st, err
}

func (t *memTx) ResetTopic(_ context.Context, topic, epoch string) error {
	st, ok := t.m.topics[topic]
	if !ok {
		return fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	oldEpoch, oldEvents := st.Epoch, t.m.events[topic]
	st.Epoch = epoch
	delete(t.m.events, topic)
	t.undo = append(t.undo, func() { st.Epoch, t.m.events[topic] = oldEpoch, oldEvents })
	return nil
}

func (t *memTx) NextSeq(_ context.Context, topic string) (uint64, uint64, error) {
	st, ok := t.m.topics[topic]
	if !ok {
		return 0, 0, fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	st.Seq++
	t.undo = append(t.undo, func() { st.Seq-- })
	return st.Seq, st.Access, nil
}

func (t *memTx) BumpAccess(_ context.Context, topic string) (uint64, error) {
	st, ok := t.m.topics[topic]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrNoTopic, topic)
	}
	st.Access++
	t.undo = append(t.undo, func() { st.Access-- })
	return st.Access, nil
}

func (t *memTx) Put(_ context.Context, rec Record) error {
	coll := t.m.entities[rec.Collection]
	if coll == nil {
		coll = make(map[string]Record)
		t.m.entities[rec.Collection] = coll
	}
	old, had := coll[rec.ID]
	rec.Data = slices.Clone(rec.Data)
	coll[rec.ID] = rec
	t.movePart(rec.Collection, rec.ID, old.Partition, had, rec.Partition, true)
	t.undo = append(t.undo, func() {
		t.movePart(rec.Collection, rec.ID, rec.Partition, true, old.Partition, had)
		if had {
			coll[rec.ID] = old
		} else {
			delete(coll, rec.ID)
		}
	})
	return nil
}

// movePart moves id of collection from one partition set to another.
func (t *memTx) movePart(collection, id, from string, hadFrom bool, to string, hasTo bool) {
	if hadFrom {
		delete(t.m.parts[[2]string{collection, from}], id)
	}
	if hasTo {
		k := [2]string{collection, to}
		if t.m.parts[k] == nil {
			t.m.parts[k] = make(map[string]bool)
		}
		t.m.parts[k][id] = true
	}
}

func (t *memTx) SetDeparted(_ context.Context, collection, partition, id string, version uint64) error {
	k := [2]string{collection, partition}
	old, had := t.m.departed[k][id]
	set := func(v uint64, ok bool) {
		if !ok {
			delete(t.m.departed[k], id)
			return
		}
		if t.m.departed[k] == nil {
			t.m.departed[k] = make(map[string]uint64)
		}
		t.m.departed[k][id] = v
	}
	set(version, version != 0)
	t.undo = append(t.undo, func() { set(old, had) })
	return nil
}

func (t *memTx) AppendEvent(_ context.Context, ev EventRecord, keep int) error {
	old := t.m.events[ev.Topic]
	evs := append(slices.Clip(old), ev)
	if keep < 1 {
		keep = 1
	}
	if len(evs) > keep {
		evs = evs[len(evs)-keep:]
	}
	t.m.events[ev.Topic] = evs
	t.undo = append(t.undo, func() { t.m.events[ev.Topic] = old })
	return nil
}

func (t *memTx) DropEvents(_ context.Context, topic string, through uint64) error {
	old := t.m.events[topic]
	i := 0
	for i < len(old) && old[i].Seq <= through {
		i++
	}
	if i == 0 {
		return nil
	}
	t.m.events[topic] = slices.Clone(old[i:])
	t.undo = append(t.undo, func() { t.m.events[topic] = old })
	return nil
}

func (t *memTx) Response(_ context.Context, clientID string, mutationID uint64) (StoredResponse, bool, error) {
	r, ok := t.m.responses[clientID][mutationID]
	return r, ok, nil
}

func (t *memTx) SaveResponse(_ context.Context, clientID, principal string, mutationID uint64, r StoredResponse, keep int, now time.Time) error {
	oldMap := t.m.responses[clientID]
	next := make(map[uint64]StoredResponse, len(oldMap)+1)
	maps.Copy(next, oldMap)
	next[mutationID] = StoredResponse{Status: r.Status, Body: slices.Clone(r.Body)}
	if keep < 1 {
		keep = 1
	}
	if len(next) > keep {
		ids := make([]uint64, 0, len(next))
		for k := range next {
			ids = append(ids, k)
		}
		slices.Sort(ids)
		for _, k := range ids[:len(ids)-keep] {
			delete(next, k)
		}
	}
	t.m.responses[clientID] = next
	old, had := t.m.clients[clientID]
	c := ClientState{Principal: principal, LastMutationID: mutationID, Seen: time.UnixMilli(now.UnixMilli())}
	if had {
		c.Principal, c.LastMutationID = old.Principal, max(old.LastMutationID, mutationID)
	}
	t.m.clients[clientID] = c
	t.undo = append(t.undo, func() {
		if oldMap == nil {
			delete(t.m.responses, clientID)
		} else {
			t.m.responses[clientID] = oldMap
		}
		if had {
			t.m.clients[clientID] = old
		} else {
			delete(t.m.clients, clientID)
		}
	})
	return nil
}

func (t *memTx) PruneClients(_ context.Context, before time.Time, limit int) (int, error) {
	cutoff := before.UnixMilli()
	var expired []string
	for id, c := range t.m.clients {
		if c.Seen.UnixMilli() < cutoff {
			expired = append(expired, id)
		}
	}
	slices.SortFunc(expired, func(a, b string) int {
		if c := t.m.clients[a].Seen.Compare(t.m.clients[b].Seen); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	expired = expired[:min(len(expired), max(limit, 0))]
	n := 0
	for _, id := range expired {
		c := t.m.clients[id]
		resp := t.m.responses[id]
		delete(t.m.clients, id)
		delete(t.m.responses, id)
		t.undo = append(t.undo, func() {
			t.m.clients[id] = c
			if resp != nil {
				t.m.responses[id] = resp
			}
		})
		n++
	}
	return n, nil
}

func (t *memTx) SetIndex(_ context.Context, collection, index, id string, keys []string) error {
	ref := [3]string{collection, index, id}
	oldKeys := t.m.keysOf[ref]
	set := func(from, to []string) {
		for _, k := range from {
			delete(t.m.index[[3]string{collection, index, k}], id)
		}
		for _, k := range to {
			ik := [3]string{collection, index, k}
			if t.m.index[ik] == nil {
				t.m.index[ik] = make(map[string]bool)
			}
			t.m.index[ik][id] = true
		}
		if len(to) == 0 {
			delete(t.m.keysOf, ref)
		} else {
			t.m.keysOf[ref] = to
		}
	}
	newKeys := slices.Clone(keys)
	set(oldKeys, newKeys)
	t.undo = append(t.undo, func() { set(newKeys, oldKeys) })
	return nil
}

func (t *memTx) IndexSignatures(_ context.Context, collection string) (map[string]string, error) {
	out := make(map[string]string)
	for k, sig := range t.m.indexSigs {
		if k[0] == collection {
			out[k[1]] = sig
		}
	}
	return out, nil
}

func (t *memTx) ResetIndex(ctx context.Context, collection, index, signature string) error {
	for ref, keys := range t.m.keysOf {
		if ref[0] == collection && ref[1] == index && len(keys) > 0 {
			if err := t.SetIndex(ctx, collection, index, ref[2], nil); err != nil {
				return err
			}
		}
	}
	k := [2]string{collection, index}
	old, had := t.m.indexSigs[k]
	if signature == "" {
		delete(t.m.indexSigs, k)
	} else {
		t.m.indexSigs[k] = signature
	}
	t.undo = append(t.undo, func() {
		if had {
			t.m.indexSigs[k] = old
		} else {
			delete(t.m.indexSigs, k)
		}
	})
	return nil
}

func (t *memTx) Savepoint(_ context.Context, name string) error {
	t.savepoints[name] = len(t.undo)
	return nil
}

func (t *memTx) RollbackTo(_ context.Context, name string) error {
	n, ok := t.savepoints[name]
	if !ok {
		return fmt.Errorf("server: no savepoint %q", name)
	}
	t.undoTo(n)
	return nil
}

func (t *memTx) Release(_ context.Context, name string) error {
	delete(t.savepoints, name)
	return nil
}
