package store

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestPendingMutationsSurviveAReload(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		storage := &cache.MemoryStorage{}
		withStorage := func(o *Options) { o.Storage, o.ClientID = storage, "" }

		first := newHarness(t, withStorage)
		first.todos.ApplyItems(item(milk, 1))
		createTodo(first.todos).Run(Todo{ID: "t2", ListID: "l1", Title: "eggs"})
		renameTodo(first.todos).Run(Todo{ID: "t1", Title: "oat milk"})
		deleteTodo(first.todos).Run("t1")
		ex := first.next()
		clientID := first.s.ClientID()
		first.s.Close() // the tab reloads with the create in flight
		first.drainRequests()
		_ = ex

		second := newHarness(t, withStorage)
		assert.NotEqual(t, clientID, second.s.ClientID(), "a new runtime, a new clientID for new mutations")
		assert.Equal(t, uint64(0), second.s.LastMutationID())
		assert.Equal(t, 3, second.s.PendingCount())
		v, ok := second.visible("t2")
		require.True(t, ok, "the optimistic create shows again at once")
		assert.Equal(t, "eggs", v.Title)

		ex = second.next()
		assert.Equal(t, "POST /todos", pathOf(ex))
		assert.Equal(t, clientID, ex.req.Header[wire.HeaderClientID], "resent under the clientID it was made with")
		assert.Equal(t, "1", ex.req.Header[wire.HeaderMutationID], "resent in order, same mutationID")
		second.reply(ex, 201, second.confirmOf(ex, Todo{ID: "t2", ListID: "l1", Title: "eggs"}))
		ex = second.next()
		assert.Equal(t, "PATCH /todos/t1", pathOf(ex))
		assert.JSONEq(t, `{"title":"oat milk"}`, string(ex.req.Body))
		second.todos.ApplyItems(item(milk, 1))
		v, ok = second.visible("t1")
		assert.False(t, ok, "the restored delete applies on top of the restored patch")
		require.NoError(t, second.s.Acknowledge(0), "the new clientID's welcome covers none of them")
		assert.Equal(t, 2, second.s.PendingCount())
		second.reply(ex, 200, second.confirmOf(ex, Todo{ID: "t1", ListID: "l1", Title: "oat milk", Position: 1}))
		second.s.Echo(clientID, 3, "todos", "t1") // the delete's echo, from the stream
		assert.Equal(t, 0, second.s.PendingCount())

		var rec record
		b, err := storage.Get("tandem.outbox")
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &rec))
		assert.Empty(t, rec.Pending, "storage follows the queue")
		second.drainRequests()
	})
}

func TestRestoredPatchReplaysByJSONMerge(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		storage := &cache.MemoryStorage{}
		rec := record{Version: recordVersion, ClientID: "c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9", LastMutationID: 4, Pending: []*outItem{
			{MutationID: 4, Collection: "todos", Kind: opPatch, ID: "t1", Body: json.RawMessage(`{"done":true}`), Fields: []string{"done"}, Optimistic: true},
		}}
		b, _ := json.Marshal(rec)
		require.NoError(t, storage.Set("tandem.outbox", b))
		h := newHarness(t, func(o *Options) { o.Storage, o.ClientID = storage, "" })
		h.todos.ApplyItems(item(milk, 1))
		v, _ := h.visible("t1")
		assert.True(t, v.Done, "a patch restored without its Go closure replays as a field merge")
		assert.Equal(t, "milk", v.Title)
		h.drainRequests()
	})
}

func TestUnreadableRecordIsReportedNotFatal(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		storage := &cache.MemoryStorage{}
		require.NoError(t, storage.Set("tandem.outbox", []byte("{not json")))
		h := newHarness(t, func(o *Options) { o.Storage, o.ClientID = storage, "" })
		require.NotEmpty(t, h.errs)
		assert.Contains(t, h.errs[0].Error(), "unreadable record")
		assert.NotEmpty(t, h.s.ClientID())
	})
}

// Issue 13: a reload shows the cached board at once, then live data. The
// confirmed layer is saved with its cursor, so pkg/sync resumes from there.
func TestTheConfirmedLayerSurvivesAReloadWithItsCursor(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		storage := &cache.MemoryStorage{}
		withStorage := func(o *Options) { o.Storage, o.ClientID = storage, "" }

		first := newHarness(t, withStorage)
		first.todos.Replace([]wire.Item{item(milk, 3), item(Todo{ID: "t9", Title: "gone"}, 2)}, "e1", 4, false)
		first.todos.ApplyItems(wire.Item{ID: "t9", Version: 5, Deleted: true})
		first.todos.SetCursor(wire.Cursor{Epoch: "e1", Seq: 5})
		_, err := storage.Get("tandem.outbox/todos")
		assert.ErrorIs(t, err, cache.ErrNotFound, "saved after a short delay, once per burst")
		first.clock.Advance(cacheDelay)
		first.settle()
		_, err = storage.Get("tandem.outbox/todos")
		require.NoError(t, err)
		createTodo(first.todos).Run(Todo{ID: "t2", ListID: "l1", Title: "eggs"})
		first.s.Close()
		first.drainRequests()

		second := newHarness(t, withStorage)
		v, ok := second.visible("t1")
		require.True(t, ok, "the cached entity shows at once")
		assert.Equal(t, "milk", v.Title)
		_, ok = second.visible("t9")
		assert.False(t, ok, "a deletion is kept too")
		_, ok = second.visible("t2")
		assert.True(t, ok, "and the pending create over it")
		assert.Equal(t, wire.Cursor{Epoch: "e1", Seq: 5}, second.todos.Cursor(), "sync resumes from where the copy stands")
		_, version, _ := second.todos.Confirmed("t1")
		assert.Equal(t, uint64(3), version)
		second.drainRequests()
	})
}

func TestAnUnreadableCachedCopyIsReportedAndIgnored(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		storage := &cache.MemoryStorage{}
		require.NoError(t, storage.Set("tandem.outbox/todos", []byte("{not json")))
		h := newHarness(t, func(o *Options) { o.Storage = storage })
		assert.Equal(t, 0, h.todos.Len())
		require.Len(t, h.errs, 1)
		assert.Contains(t, h.errs[0].Error(), "discarding the cached copy of todos")
	})
}
