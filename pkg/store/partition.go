package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A partitioned collection (form.Entity.Partition) is synced a partition at
// a time: each partition key is a topic of its own ("key/collection"), with
// its own cursor, which the app opens as the UI needs it — a board opened,
// a board closed. The collection holds the entities of every open
// partition, and of those only, so its views span them: a mutation's answer
// about an entity in a partition not open (a create there, a move there)
// settles the mutation and is not kept, since nothing would keep it up to
// date — unless the mutation's OnSettled callback opens that partition. Its
// mutations, outbox and optimistic layer are those of any collection,
// whatever partition an entity is in.

// PartitionStatus is where one partition of a collection stands.
type PartitionStatus uint8

const (
	// PartitionClosed: not open (Open was never called, or every Open was
	// released).
	PartitionClosed PartitionStatus = iota
	// PartitionOpening: open, its snapshot or replay not complete (or the
	// connection is down).
	PartitionOpening
	// PartitionLive: open, and following the server's changes.
	PartitionLive
	// PartitionRefused: the server refused the subscription (Code says
	// why: forbidden, not_found, unavailable); forbidden drops the
	// partition's entities.
	PartitionRefused
	// PartitionRevoked: the principal lost read access while subscribed;
	// the partition's entities were dropped and nothing of it arrives.
	PartitionRevoked
)

func (s PartitionStatus) String() string {
	switch s {
	case PartitionClosed:
		return "closed"
	case PartitionOpening:
		return "opening"
	case PartitionLive:
		return "live"
	case PartitionRefused:
		return "refused"
	case PartitionRevoked:
		return "revoked"
	}
	return "unknown"
}

// A PartitionState is where one partition stands and, once refused or
// revoked, the server's code and message.
type PartitionState struct {
	Status  PartitionStatus
	Code    string
	Message string
}

// A TopicObserver is a Topic that wants to know where its subscription
// stands; pkg/sync tells every Topic that implements it. A Collection and
// each open partition of one do.
type TopicObserver interface {
	// Live reports that the topic became live (true) or stopped being so:
	// the connection dropped, or the topic resyncs.
	Live(live bool)
	// Refused reports that the server refused or ended the subscription
	// (an error message about the topic): code forbidden or revoked means
	// the principal may not read it, and the topic drops what it holds.
	Refused(code, message string)
}

// open is Collection.Open.
func (c *core) open(key string) (release func(), err error) {
	if c.part == "" {
		return nil, fmt.Errorf("store: collection %q is not partitioned: it is synced whole", c.name)
	}
	if !wire.ValidID(key) {
		return nil, fmt.Errorf("store: %q is not a partition key of %q: keys are ids", key, c.name)
	}
	p := c.parts[key]
	if p == nil {
		p = &partition{c: c, key: key, topic: wire.PartitionTopic(key, c.name)}
		c.parts[key] = p
		c.setStatus(key, PartitionState{Status: PartitionOpening})
		c.s.addTopic(p)
	} else if st := c.status(key).Peek().Status; st == PartitionRefused || st == PartitionRevoked {
		// Opened again after a refusal: subscribe again.
		c.setStatus(key, PartitionState{Status: PartitionOpening})
		c.s.removeTopic(p)
		c.s.addTopic(p)
	}
	p.refs++
	done := false
	return func() {
		if done {
			return
		}
		done = true
		if p.refs--; p.refs == 0 && c.parts[key] == p {
			delete(c.parts, key)
			c.s.removeTopic(p)
			c.dropPartition(key)
			p.cursor = wire.Cursor{}
			c.setStatus(key, PartitionState{Status: PartitionClosed})
		}
	}, nil
}

// openPartitions is Collection.OpenPartitions.
func (c *core) openPartitions() []string {
	keys := make([]string, 0, len(c.parts))
	for k := range c.parts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// partitionOfEntity is Collection.PartitionOf.
func (c *core) partitionOfEntity(id string) string {
	if e := c.ents[id]; e != nil {
		return e.part
	}
	return ""
}

func (c *core) status(key string) *state.Signal[PartitionState] {
	sig := c.pstatus[key]
	if sig == nil {
		sig = state.NewSignal(c.g, PartitionState{Status: PartitionClosed})
		if c.parts[key] != nil {
			sig.Set(PartitionState{Status: PartitionOpening})
		}
		c.pstatus[key] = sig
	}
	return sig
}

func (c *core) setStatus(key string, st PartitionState) { c.status(key).Set(st) }

// partitionOf reads the partition key of a server object: the field
// CollectionOptions.Partition names, a string.
func (c *core) partitionOf(data []byte) string {
	raw, ok := jsonMember(data, c.part)
	if !ok {
		return ""
	}
	var key string
	if json.Unmarshal(raw, &key) != nil {
		return ""
	}
	return key
}

// replacePartition makes items the confirmed layer of partition key, as of
// watermark seq of epoch (a snapshot of its topic). A partition's snapshot
// accounts for every entity the partition ever held — live, deleted, or
// gone to another partition, the latter two as tombstones — so an entity
// of the partition it does not hold was created or moved in after the
// snapshot was read, and stays; except after an epoch change (reset), when
// entities of the old log not in the snapshot are dropped.
func (c *core) replacePartition(p *partition, items []wire.Item, epoch string, seq uint64, reset bool) {
	seen := make(map[string]struct{}, len(items))
	c.s.Batch(func() {
		for _, it := range items {
			seen[it.ID] = struct{}{}
			e := c.entity(it.ID)
			if reset && it.Version <= e.version && e.epoch != epoch {
				e.version = 0 // a new log: its versions are the truth
			}
			if c.applyIn(it.ID, e, it, epoch, p.key) {
				c.recompute(it.ID, e)
			}
		}
		if !reset {
			return
		}
		for id, e := range c.ents {
			if _, ok := seen[id]; ok || e.part != p.key || e.epoch == epoch {
				continue
			}
			existed := e.exists
			e.exists, e.data, e.value, e.version, e.epoch = false, nil, nil, 0, epoch
			if existed {
				c.recompute(id, e)
			}
		}
	})
	if reset || epoch != p.cursor.Epoch || seq > p.cursor.Seq {
		p.cursor = wire.Cursor{Epoch: epoch, Seq: seq}
	}
}

// dropPartition removes the entities of partition key from the confirmed
// layer: closed, refused or revoked, nothing of it is to be shown but this
// client's pending changes.
func (c *core) dropPartition(key string) {
	c.s.Batch(func() {
		for id, e := range c.ents {
			if e.part != key {
				continue
			}
			if e.exists {
				c.forget(id, e)
				continue
			}
			e.version, e.epoch, e.part = 0, "", ""
			if len(e.pending) == 0 && e.sig == nil && e.psig == nil && !e.dirty {
				delete(c.ents, id)
			}
		}
	})
}

// follows reports whether the collection follows partition key: open, and
// not refused or revoked.
func (c *core) follows(key string) bool {
	if c.parts[key] == nil {
		return false
	}
	if sig := c.pstatus[key]; sig != nil {
		st := sig.Peek().Status
		return st != PartitionRefused && st != PartitionRevoked
	}
	return true
}

// A partition is one open partition of a collection: the Topic pkg/sync
// subscribes to, with its own cursor.
type partition struct {
	c      *core
	key    string
	topic  string
	cursor wire.Cursor
	refs   int
}

// Name implements Topic: "key/collection".
func (p *partition) Name() string { return p.topic }

// ApplyItems implements Topic: events of the partition; a tombstone's
// partition is this one.
func (p *partition) ApplyItems(items ...wire.Item) {
	c := p.c
	c.s.Batch(func() {
		for _, it := range items {
			e := c.entity(it.ID)
			if c.applyIn(it.ID, e, it, p.cursor.Epoch, p.key) {
				c.recompute(it.ID, e)
			}
		}
	})
}

// Replace implements Topic: a snapshot of the partition.
func (p *partition) Replace(items []wire.Item, epoch string, seq uint64, reset bool) {
	p.c.replacePartition(p, items, epoch, seq, reset)
}

// Cursor implements Topic.
func (p *partition) Cursor() wire.Cursor { return p.cursor }

// SetCursor implements Topic.
func (p *partition) SetCursor(cur wire.Cursor) { p.cursor = cur }

// FetchItem implements Topic: the entity by id, from its collection.
func (p *partition) FetchItem(ctx context.Context, id string) (wire.Item, error) {
	return p.c.fetchItem(ctx, id)
}

// Live implements TopicObserver. A refused or revoked partition stays so
// while nothing of it arrives; pkg/sync subscribes to it again after a
// reconnect, and if the server allows it by then (access granted again),
// the partition is live again.
func (p *partition) Live(live bool) {
	if p.c.parts[p.key] != p {
		return // released meanwhile
	}
	if live {
		p.c.setStatus(p.key, PartitionState{Status: PartitionLive})
		return
	}
	if cur := p.c.status(p.key).Peek().Status; cur == PartitionRefused || cur == PartitionRevoked {
		return
	}
	p.c.setStatus(p.key, PartitionState{Status: PartitionOpening})
}

// Refused implements TopicObserver: a partition the principal may not read
// drops its entities.
func (p *partition) Refused(code, message string) {
	if p.c.parts[p.key] != p {
		return
	}
	st := PartitionState{Status: PartitionRefused, Code: code, Message: message}
	if code == wire.CodeRevoked {
		st.Status = PartitionRevoked
	}
	if code == wire.CodeRevoked || code == wire.CodeForbidden {
		p.c.dropPartition(p.key)
		p.cursor = wire.Cursor{}
	}
	p.c.setStatus(p.key, st)
}

// refused is Collection.Refused: a collection the principal may not read
// (forbidden, or revoked while subscribed) drops its confirmed layer.
func (c *core) refused(code string) {
	if code != wire.CodeRevoked && code != wire.CodeForbidden || c.part != "" {
		return
	}
	c.s.Batch(func() {
		for id, e := range c.ents {
			existed := e.exists
			e.exists, e.data, e.value, e.version, e.epoch = false, nil, nil, 0, ""
			if existed {
				c.recompute(id, e)
			}
		}
	})
	c.cursor = wire.Cursor{}
	c.s.confirmedChanged(c.name)
}
