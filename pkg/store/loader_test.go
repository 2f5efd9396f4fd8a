package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestLoadFillsConfirmedFromPagedSnapshot(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		cc := cache.NewClient(cache.ClientOptions{Clock: h.clock})
		defer cc.Close()
		status, stop := h.todos.Load(cc)
		defer stop()
		var shown []cache.Status
		h.g.Effect(func() { shown = append(shown, status.Result().Status) })

		ex := h.next()
		assert.Equal(t, "GET /todos?limit=500", pathOf(ex))
		h.reply(ex, 200, wire.SnapshotPage{Items: []wire.Item{item(milk, 3)}, Epoch: "e1", Seq: 7, Next: "t1"})
		ex = h.next()
		assert.Equal(t, "GET /todos?limit=500&after=t1", pathOf(ex))
		h.reply(ex, 200, wire.SnapshotPage{Items: []wire.Item{item(Todo{ID: "t2", Title: "eggs"}, 5)}, Epoch: "e1", Seq: 7})

		assert.Equal(t, 2, h.todos.Len())
		assert.Equal(t, wire.Cursor{Epoch: "e1", Seq: 7}, h.todos.Cursor())
		require.NotEmpty(t, shown)
		assert.Equal(t, cache.StatusSuccess, shown[len(shown)-1], "the Query bridge shows the load")
		data, ok := status.Data()
		assert.True(t, ok)
		assert.Len(t, data.Items, 2)
	})
}

func TestLoadReportsErrorsAndKeepsData(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		cc := cache.NewClient(cache.ClientOptions{Clock: h.clock})
		defer cc.Close()
		status, stop := h.todos.Load(cc)
		defer stop()
		h.g.Effect(func() { status.Result() })
		h.reply(h.next(), 200, wire.SnapshotPage{Items: []wire.Item{item(milk, 3)}, Epoch: "e1", Seq: 3})
		require.Equal(t, 1, h.todos.Len())

		cc.InvalidateQueries(cache.Filter{Key: cache.Key{"tandem", "snapshot", "todos"}}, cache.InvalidateOptions{})
		h.reply(h.next(), 200, `{"items": "nope"}`)
		// Retries follow the cache's policy; the last good data stays.
		for range 3 { // the observer's default: three retries
			h.clock.Advance(time.Minute)
			h.reply(h.next(), 500, "")
		}
		h.clock.Advance(time.Minute)
		h.none()
		assert.Equal(t, 1, h.todos.Len())
		r := status.Result()
		assert.True(t, r.HasData)
		assert.Error(t, r.Error)
	})
}

func TestRefetchOneEntity(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(milk, 1))
		done := make(chan error, 1)
		go func() { done <- h.todos.Refetch(t.Context(), "t1") }()
		ex := h.next()
		assert.Equal(t, "GET /todos/t1", pathOf(ex))
		h.reply(ex, 200, item(Todo{ID: "t1", Title: "fresh"}, 4))
		require.NoError(t, <-done)
		h.settle()
		v, _ := h.visible("t1")
		assert.Equal(t, "fresh", v.Title)

		go func() { done <- h.todos.Refetch(t.Context(), "t1") }()
		tomb := wire.Item{ID: "t1", Version: 6, Deleted: true}
		h.reply(h.next(), 404, wire.ErrorResponse{Error: wire.ErrorBody{Code: wire.CodeNotFound, Message: "deleted", Current: &tomb}})
		require.NoError(t, <-done)
		h.settle()
		_, ok := h.visible("t1")
		assert.False(t, ok, "a 404 with a tombstone deletes")
	})
}
