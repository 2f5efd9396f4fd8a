package store

import (
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

// An EventBridge keeps the query cache in step with realtime events: an
// event for an entity updates the cached queries that hold it, or, where
// they cannot be patched, invalidates them so that the active ones refetch.
// Pass its OnEvent and OnReplace to sync.Options.
//
// By convention a query over a collection has the collection's name as the
// first segment of its key (cache.Key{"todos", "byList", id}); the events
// and snapshots of a partition's topic ("l1/todos") concern the queries of
// its collection. The snapshot
// query of Collection.Load (cache.Key{"tandem", "snapshot", name}) is not
// under it: the events themselves keep the collection fresh.
type EventBridge struct {
	cc       *cache.Client
	patchers map[string][]patcher // by topic
}

type patcher struct {
	key   cache.Key
	patch func(cc *cache.Client, key cache.Key, ev wire.Event) bool
}

// NewEventBridge returns a bridge to cc that invalidates, for every event,
// the queries whose key starts with the event's topic.
func NewEventBridge(cc *cache.Client) *EventBridge {
	return &EventBridge{cc: cc, patchers: map[string][]patcher{}}
}

// PatchOnEvent makes events of topic (a collection: those of its partitions
// too) patch the data of the queries under
// key (a prefix) instead of invalidating them: patch returns the new data,
// or false when it cannot tell, and the query is then invalidated. It runs
// with the cache locked and must not call the cache.
func PatchOnEvent[T any](b *EventBridge, topic string, key cache.Key, patch func(data T, ev wire.Event) (T, bool)) {
	b.patchers[topic] = append(b.patchers[topic], patcher{key: key, patch: func(cc *cache.Client, k cache.Key, ev wire.Event) bool {
		patched := true
		err := cache.UpdateQueryData(cc, k, func(old T, ok bool) (T, bool) {
			if !ok {
				patched = false
				return old, false
			}
			v, ok := patch(old, ev)
			patched = ok
			return v, ok
		})
		return err == nil && patched
	}})
}

// OnReplace invalidates every query under the topic: a snapshot replaced the
// topic's confirmed layer, which may have changed anything (pass it to
// sync.Options.OnReplace).
func (b *EventBridge) OnReplace(topic string) {
	_, coll := wire.SplitTopic(topic)
	b.cc.InvalidateQueries(cache.Filter{Key: cache.Key{coll}}, cache.InvalidateOptions{NoCancelRefetch: true})
}

// OnEvent applies ev to the cache.
func (b *EventBridge) OnEvent(ev wire.Event) {
	var stale []cache.Key
	handled := map[string]bool{}
	_, coll := wire.SplitTopic(ev.Topic)
	for _, p := range b.patchers[coll] {
		for _, q := range b.cc.Find(cache.Filter{Key: p.key}) {
			if handled[q.Hash] {
				continue
			}
			handled[q.Hash] = true
			if !q.HasData || ev.Op == wire.OpInvalidate || !p.patch(b.cc, q.Key, ev) {
				stale = append(stale, q.Key)
			}
		}
	}
	for _, q := range b.cc.Find(cache.Filter{Key: cache.Key{coll}}) {
		if !handled[q.Hash] {
			stale = append(stale, q.Key)
		}
	}
	for _, k := range stale {
		b.cc.InvalidateQueries(cache.Filter{Key: k, Exact: true}, cache.InvalidateOptions{NoCancelRefetch: true})
	}
}
