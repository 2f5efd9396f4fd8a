package store

import (
	"context"
	"encoding/json"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A Collection holds the entities of one collection of the protocol (one
// topic): a confirmed layer — what the server said last, with versions — and,
// per entity, the ordered pending mutations of this client. What the user sees
// is the pending mutations replayed over the confirmed object (PROTOCOL.md
// §4), exposed through the signal graph per entity (Get) and per live view
// (View): a component showing one entity re-renders when, and only when,
// that entity's visible value changes.
//
// Rollback is a recompute: a refused mutation is removed and the entity is
// folded again from confirmed and the remaining pending mutations. A
// recompute costs O(pending mutations of the entity), never O(collection).
//
// A Collection belongs to its store's goroutine.
type Collection[UI any] struct {
	*core                  // the untyped machinery (core.go)
	decl  *declaration[UI] // nil unless made by Collect
}

// CollectionOptions configure a Collection.
type CollectionOptions[API, UI any] struct {
	// Name is the collection's name in URLs and topics ("todos"). Required.
	Name string
	// Codec turns server objects into UI objects and back. Required.
	Codec Codec[API, UI]
	// Equal reports whether two visible values are the same, so that a
	// change that changes nothing notifies nobody (B4). By default
	// reflect.DeepEqual.
	Equal func(a, b UI) bool
	// Clone returns a deep copy of a UI value, for Patch functions that
	// change maps, slices or pointed-to values in place. By default a patch
	// gets a shallow copy (see Patch).
	Clone func(UI) UI
	// Partition, if set, is the JSON field of server objects whose value
	// partitions the collection (form.Entity.Partition; Collect sets it):
	// the collection is then synced a partition at a time, those it Opens,
	// rather than whole.
	Partition string
}

// NewCollection registers a collection with s and returns it. Mutations of
// that collection restored from s's storage are applied to it at once, and
// sending starts.
func NewCollection[API, UI any](s *Store, opts CollectionOptions[API, UI]) (*Collection[UI], error) {
	codec := opts.Codec
	k, err := newCore(s, opts.Name, codec.Decode != nil && codec.Encode != nil, opts.Partition)
	if err != nil {
		return nil, err
	}
	k.fromAPI = func(data []byte) (any, error) {
		var api API
		if err := json.Unmarshal(data, &api); err != nil {
			return nil, err
		}
		ui, err := codec.Decode(api)
		if err != nil {
			return nil, err
		}
		return &ui, nil
	}
	k.toAPI = func(v any) ([]byte, error) {
		api, err := codec.Encode(as[UI](v))
		if err != nil {
			return nil, err
		}
		return json.Marshal(api)
	}
	if eq := opts.Equal; eq != nil {
		k.equal = func(a, b any) bool { return eq(*a.(*UI), *b.(*UI)) } // of visible values: never nil
	}
	clone := opts.Clone
	k.copy = func(v any) any {
		u := as[UI](v)
		if clone != nil {
			u = clone(u)
		}
		return &u
	}
	c := &Collection[UI]{core: k}
	k.register(c)
	return c, nil
}

// Name returns the collection's name.
func (c *Collection[UI]) Name() string { return c.name }

// Get returns the visible value of entity id and whether it exists, and
// inside a computed or effect records the read: it reruns when that entity's
// visible value changes, and for no other entity.
func (c *Collection[UI]) Get(id string) (UI, bool) {
	if r := c.get(id); r.ok {
		return *r.v.(*UI), true
	}
	var zero UI
	return zero, false
}

// IsPending reports, tracked, whether entity id has mutations waiting for
// the server; its readers rerun only when that changes.
func (c *Collection[UI]) IsPending(id string) bool { return c.isPending(id) }

// Len returns, tracked, how many entities are visible.
func (c *Collection[UI]) Len() int { return c.size.Get() }

// Confirmed returns the confirmed layer of entity id: the server's object,
// its version, and whether it exists. It is not tracked.
func (c *Collection[UI]) Confirmed(id string) (v UI, version uint64, ok bool) {
	if e := c.ents[id]; e != nil {
		return as[UI](e.value), e.version, e.exists
	}
	return v, 0, false
}

// PendingOf returns the mutationIDs pending for entity id, oldest first. It
// is not tracked.
func (c *Collection[UI]) PendingOf(id string) []uint64 { return c.pendingOf(id) }

// Cursor returns where the confirmed layer stands in the topic log.
func (c *Collection[UI]) Cursor() wire.Cursor { return c.cursor }

// ApplyItems applies server objects or tombstones to the confirmed layer
// (from events or fetches), each only if its version is newer than the
// confirmed one: the layer never moves backwards (PROTOCOL.md §5.3).
func (c *Collection[UI]) ApplyItems(items ...wire.Item) { c.applyItems(items) }

// Replace makes items the whole confirmed layer, as of watermark seq of
// epoch (a snapshot, PROTOCOL.md §4): entities missing from items are
// deleted unless the confirmed layer already holds a version newer than the
// watermark (a write committed after the snapshot was read).
//
// With reset, after an epoch change, versions of the old log may move
// backwards and nothing of it newer than the snapshot is kept. A version the
// layer holds from this very epoch (a mutation answer that arrived while the
// snapshot was on its way) is still newer than the snapshot if it is above
// the watermark, and stays, as without reset: otherwise a write this client
// has just seen confirmed would vanish until its event came. Pending
// mutations stay and are replayed on top.
func (c *Collection[UI]) Replace(items []wire.Item, epoch string, seq uint64, reset bool) {
	c.replace(items, epoch, seq, reset)
}

// SetCursor records the topic position of the confirmed layer (pkg/sync
// calls it as events apply).
func (c *Collection[UI]) SetCursor(cur wire.Cursor) { c.setCursor(cur) }

// Partitioned reports whether the collection is synced a partition at a
// time (CollectionOptions.Partition, or an entity declared with
// form.Entity.Partition).
func (c *Collection[UI]) Partitioned() bool { return c.part != "" }

// Open follows partition key of a partitioned collection: pkg/sync
// subscribes to its topic, from the partition's own cursor, and its
// entities join the collection as they arrive (its views span every open
// partition). Open again, the partition is counted once more; release
// undoes one Open (calling it twice is harmless), and when the last is
// released the partition is unsubscribed and its entities leave the
// collection's confirmed layer — this client's pending mutations of them
// stay and are still sent.
//
// A partition whose subscription the server refuses or revokes stays open
// but empty (Partition says why) until it is released, or until the server
// allows it when pkg/sync subscribes to it again after a reconnect; opened
// again afterwards, it subscribes again at once. Open fails for a
// collection synced whole and for a key that is not an id.
func (c *Collection[UI]) Open(key string) (release func(), err error) { return c.open(key) }

// Partition returns, tracked, where partition key stands: its readers rerun
// when it changes.
func (c *Collection[UI]) Partition(key string) PartitionState { return c.status(key).Get() }

// OpenPartitions returns the keys of the open partitions, sorted. It is not
// tracked.
func (c *Collection[UI]) OpenPartitions() []string { return c.openPartitions() }

// PartitionOf returns the partition key of entity id as its confirmed layer
// says ("" for an entity never confirmed, or dropped with its partition).
// It is not tracked.
func (c *Collection[UI]) PartitionOf(id string) string { return c.partitionOfEntity(id) }

// Live implements TopicObserver; a collection synced whole has no status
// of its own to keep (pkg/sync's State says where it stands).
func (c *Collection[UI]) Live(bool) {}

// Refused implements TopicObserver: a collection the principal may not read
// (forbidden, or revoked while subscribed) drops its confirmed layer.
func (c *Collection[UI]) Refused(code, _ string) { c.refused(code) }

// Load fills c's confirmed layer from the server's snapshot through the
// query cache cc, and again whenever the cache refetches it (on focus, on
// reconnect, on invalidation of its key, cache.Key{"tandem", "snapshot",
// name}). The returned Query shows the fetch's progress and errors; stop
// ends the loading. Without pkg/sync, this is how a collection stays fresh.
func (c *Collection[UI]) Load(cc *cache.Client) (status *Query[Snapshot], stop func()) {
	return c.load(cc)
}

// Refetch reads entity id from the server and applies it (PROTOCOL.md's
// "invalidate" events and stale snapshot items call for it). It blocks on
// the network: call it from a goroutine other than the graph's; the result
// is applied on the graph's goroutine.
func (c *Collection[UI]) Refetch(ctx context.Context, id string) error { return c.refetch(ctx, id) }

// FetchItem reads entity id from the server without applying it: the
// object, or its tombstone if it was deleted. It blocks on the network and
// may be called from any goroutine.
func (c *Collection[UI]) FetchItem(ctx context.Context, id string) (wire.Item, error) {
	return c.fetchItem(ctx, id)
}
