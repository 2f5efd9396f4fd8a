package store

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestEventBridgePatchesOrInvalidates(t *testing.T) {
	cc := cache.NewClient(cache.ClientOptions{})
	defer cc.Close()
	byList := cache.Key{"todos", "byList", "l1"}
	count := cache.Key{"todos", "count"}
	other := cache.Key{"lists", "all"}
	require.NoError(t, cache.SetQueryData(cc, byList, []Todo{{ID: "a", ListID: "l1", Title: "old"}}))
	require.NoError(t, cache.SetQueryData(cc, count, 1))
	require.NoError(t, cache.SetQueryData(cc, other, 3))

	b := NewEventBridge(cc)
	PatchOnEvent(b, "todos", cache.Key{"todos", "byList"}, func(todos []Todo, ev wire.Event) ([]Todo, bool) {
		i := slices.IndexFunc(todos, func(t Todo) bool { return t.ID == ev.ID })
		if i < 0 || ev.Op != wire.OpUpdate {
			return todos, false // membership may change: refetch
		}
		var t Todo
		if json.Unmarshal(ev.Data, &t) != nil {
			return todos, false
		}
		out := slices.Clone(todos)
		out[i] = t
		return out, true
	})
	data, _ := json.Marshal(Todo{ID: "a", ListID: "l1", Title: "new"})
	b.OnEvent(wire.Event{Topic: "todos", Epoch: "e", Seq: 2, Prev: 1, ID: "a", Op: wire.OpUpdate, Version: 2, Data: data})

	got, ok := cache.GetQueryData[[]Todo](cc, byList)
	require.True(t, ok)
	assert.Equal(t, "new", got[0].Title, "patched in place")
	state := func(k cache.Key) cache.QueryInfo {
		qs := cc.Find(cache.Filter{Key: k, Exact: true})
		require.Len(t, qs, 1)
		return qs[0]
	}
	assert.False(t, state(byList).IsInvalidated, "a patched query is not refetched")
	assert.True(t, state(count).IsInvalidated, "a query that cannot be patched is invalidated")
	assert.False(t, state(other).IsInvalidated, "other topics are untouched")

	b.OnEvent(wire.Event{Topic: "todos", Epoch: "e", Seq: 3, Prev: 2, ID: "z", Op: wire.OpCreate, Version: 3, Data: data})
	assert.True(t, state(byList).IsInvalidated, "the patcher could not place a new todo")
}

func TestEventBridgeInvalidatesATopicOnReplace(t *testing.T) {
	cc := cache.NewClient(cache.ClientOptions{})
	defer cc.Close()
	require.NoError(t, cache.SetQueryData(cc, cache.Key{"todos", "count"}, 1))
	require.NoError(t, cache.SetQueryData(cc, cache.Key{"lists", "count"}, 1))
	NewEventBridge(cc).OnReplace("todos")
	assert.True(t, cc.Find(cache.Filter{Key: cache.Key{"todos", "count"}})[0].IsInvalidated)
	assert.False(t, cc.Find(cache.Filter{Key: cache.Key{"lists", "count"}})[0].IsInvalidated)
}
