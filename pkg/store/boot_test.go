package store

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

var eggs = Todo{ID: "t2", ListID: "l1", Title: "eggs", Position: 2}

func bootOf(epoch string, seq uint64, items ...wire.Item) []wire.Snapshot {
	return []wire.Snapshot{{Topic: "todos", Epoch: epoch, Seq: seq, Last: true, Items: items},
		{Topic: "lists", Epoch: epoch, Seq: 1}} // a topic of no collection here: ignored
}

// savedCopy is what a tab's Storage holds of todos at cursor epoch/seq.
func savedCopy(t *testing.T, storage cache.Storage, epoch string, seq uint64, items ...wire.Item) {
	t.Helper()
	b, err := json.Marshal(cachedRecord{Version: cachedVersion, Epoch: epoch, Seq: seq, Items: items})
	require.NoError(t, err)
	require.NoError(t, storage.Set("tandem.outbox/todos", b))
}

// A page rendered with its data: the collection shows it at once, at the
// snapshot's cursor, which pkg/sync resumes from; nothing is fetched.
func TestBoot_aCollectionStartsFromItsTopicsSnapshot(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		storage := &cache.MemoryStorage{}
		h := newHarness(t, func(o *Options) { o.Storage, o.Boot = storage, bootOf("e1", 7, item(milk, 3), item(eggs, 7)) })
		assert.Equal(t, 2, h.todos.Len())
		v, ok := h.visible("t2")
		require.True(t, ok)
		assert.Equal(t, "eggs", v.Title)
		_, version, confirmed := h.todos.Confirmed("t1")
		assert.True(t, confirmed, "confirmed, as a snapshot's items are")
		assert.Equal(t, uint64(3), version)
		assert.Equal(t, wire.Cursor{Epoch: "e1", Seq: 7}, h.todos.Cursor())
		h.settle()
		assert.Empty(t, h.tr.reqs, "nothing fetched")
		assert.Empty(t, h.errs)

		h.clock.Advance(cacheDelay)
		h.settle()
		b, err := storage.Get("tandem.outbox/todos")
		require.NoError(t, err, "kept in Storage, as a snapshot is, for a reload")
		var rec cachedRecord
		require.NoError(t, json.Unmarshal(b, &rec))
		assert.Equal(t, uint64(7), rec.Seq)
	})
}

// The tab's copy (Storage) against the page's data: the newer wins, per
// collection; the snapshot is the server's state when the page was made, so
// it wins unless the copy is of the same log and at least as far in it.
func TestBoot_theTabsCopyStaysOnlyWhenAtLeastAsNew(t *testing.T) {
	gone := Todo{ID: "t9", ListID: "l1", Title: "deleted since"}
	for _, tc := range []struct {
		name      string
		epoch     string
		seq       uint64
		wantTitle string
		wantSeq   uint64
		wantGone  bool
	}{
		{"an older copy of the same log: the snapshot", "e1", 5, "eggs", 7, true},
		{"a copy as new: the copy", "e1", 7, "brown eggs", 7, false},
		{"a newer copy (a page kept by a service worker): the copy", "e1", 9, "brown eggs", 9, false},
		{"a copy of another log, even further: the snapshot", "e0", 99, "eggs", 7, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inBubble(t, func(t *testing.T) {
				storage := &cache.MemoryStorage{}
				savedCopy(t, storage, tc.epoch, tc.seq, item(milk, 3), item(Todo{ID: "t2", ListID: "l1", Title: "brown eggs"}, 4), item(gone, 4))
				h := newHarness(t, func(o *Options) { o.Storage, o.Boot = storage, bootOf("e1", 7, item(milk, 3), item(eggs, 7)) })
				v, _ := h.visible("t2")
				assert.Equal(t, tc.wantTitle, v.Title)
				_, ok := h.visible("t9")
				assert.Equal(t, !tc.wantGone, ok)
				assert.Equal(t, tc.wantSeq, h.todos.Cursor().Seq)
				assert.Empty(t, h.errs)
			})
		})
	}
}

// Pending mutations restored from Storage show over the page's data.
func TestBoot_pendingMutationsReplayOverIt(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		storage := &cache.MemoryStorage{}
		rec := record{Version: recordVersion, ClientID: "c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9", LastMutationID: 1, Pending: []*outItem{
			{MutationID: 1, Collection: "todos", Kind: opPatch, ID: "t1", Body: json.RawMessage(`{"done":true}`), Fields: []string{"done"}, Optimistic: true},
		}}
		b, _ := json.Marshal(rec)
		require.NoError(t, storage.Set("tandem.outbox", b))
		h := newHarness(t, func(o *Options) {
			o.Storage, o.ClientID, o.Boot = storage, "", bootOf("e1", 7, item(milk, 3))
		})
		v, _ := h.visible("t1")
		assert.True(t, v.Done, "the queued toggle over the page's todo")
		assert.Equal(t, "milk", v.Title)
		assert.Equal(t, 1, h.s.PendingCount())
		h.drainRequests()
	})
}

func TestBoot_anIncompleteSnapshotIsReportedAndIgnored(t *testing.T) {
	for name, snap := range map[string]wire.Snapshot{
		"a part of several": {Topic: "todos", Epoch: "e1", Seq: 7, Items: []wire.Item{item(milk, 3)}},
		"a stale item":      {Topic: "todos", Epoch: "e1", Seq: 7, Last: true, Items: []wire.Item{{ID: "t1", Version: 3}}},
		"no epoch":          {Topic: "todos", Seq: 7, Last: true, Items: []wire.Item{item(milk, 3)}},
	} {
		t.Run(name, func(t *testing.T) {
			inBubble(t, func(t *testing.T) {
				h := newHarness(t, func(o *Options) { o.Boot = []wire.Snapshot{snap} })
				assert.Equal(t, 0, h.todos.Len())
				assert.Equal(t, wire.Cursor{}, h.todos.Cursor(), "a subscription starts with a snapshot")
				require.Len(t, h.errs, 1)
				assert.ErrorContains(t, h.errs[0], "boot snapshot of todos")
			})
		})
	}
}
