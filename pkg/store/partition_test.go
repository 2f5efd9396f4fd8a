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

// partitioned adds to h a collection of todos partitioned by list, and
// records the topics the store reports.
type topicLog struct{ added, removed []string }

func partitioned(t *testing.T, h *harness) (*Collection[Todo], *topicLog) {
	t.Helper()
	c, err := NewCollection(h.s, CollectionOptions[Todo, Todo]{Name: "cards", Codec: Identity[Todo](), Partition: "listId"})
	require.NoError(t, err)
	log := &topicLog{}
	stop := h.s.WatchTopics(func(tp Topic) { log.added = append(log.added, tp.Name()) }, func(tp Topic) { log.removed = append(log.removed, tp.Name()) })
	t.Cleanup(stop)
	return c, log
}

// topicOf returns the store's topic called name.
func topicOf(t *testing.T, s *Store, name string) Topic {
	t.Helper()
	var found Topic
	stop := s.Topics(func(tp Topic) {
		if tp.Name() == name {
			found = tp
		}
	})
	stop()
	require.NotNil(t, found, "no topic %s", name)
	return found
}

func TestPartition_aPartitionedCollectionIsSyncedAPartitionAtATime(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		cards, log := partitioned(t, h)
		assert.True(t, cards.Partitioned())
		assert.Equal(t, []string{"todos"}, log.added, "the collection itself is no topic")

		_, err := h.todos.Open("l1")
		assert.ErrorContains(t, err, `collection "todos" is not partitioned`)
		_, err = cards.Open("..")
		assert.ErrorContains(t, err, "keys are ids")

		close1, err := cards.Open("l1")
		require.NoError(t, err)
		close2, err := cards.Open("l2")
		require.NoError(t, err)
		again, err := cards.Open("l1")
		require.NoError(t, err)
		assert.Equal(t, []string{"todos", "l1/cards", "l2/cards"}, log.added, "one topic per open partition, once")
		assert.Equal(t, []string{"l1", "l2"}, cards.OpenPartitions())
		assert.Equal(t, PartitionOpening, cards.Partition("l1").Status)

		l1, l2 := topicOf(t, h.s, "l1/cards"), topicOf(t, h.s, "l2/cards")
		h.s.Batch(func() {
			l1.Replace([]wire.Item{item(Todo{ID: "a", ListID: "l1", Title: "A"}, 3)}, "e1", 2, false)
			l2.Replace([]wire.Item{item(Todo{ID: "b", ListID: "l2", Title: "B"}, 5)}, "e1", 1, false)
		})
		l1.(TopicObserver).Live(true)
		assert.Equal(t, PartitionLive, cards.Partition("l1").Status)
		assert.Equal(t, wire.Cursor{Epoch: "e1", Seq: 2}, l1.Cursor(), "each partition has its own cursor")
		assert.Equal(t, wire.Cursor{Epoch: "e1", Seq: 1}, l2.Cursor())

		all := cards.View()
		assert.Equal(t, []string{"a", "b"}, sortedIDs(all.IDs()), "views span the open partitions")
		assert.Equal(t, "l2", cards.PartitionOf("b"))

		close1()
		assert.Len(t, log.removed, 0, "still open once")
		again()
		again() // twice is harmless
		assert.Equal(t, []string{"l1/cards"}, log.removed)
		assert.Equal(t, []string{"b"}, all.IDs(), "a closed partition's entities leave")
		assert.Equal(t, PartitionClosed, cards.Partition("l1").Status)
		close2()
		assert.Empty(t, all.IDs())
		assert.Empty(t, cards.OpenPartitions())
	})
}

func sortedIDs(ids []string) []string {
	out := append([]string(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestPartition_aMoveShowsOnceWhateverOrderItsTwoEventsArriveIn(t *testing.T) {
	for _, deleteFirst := range []bool{true, false} {
		inBubble(t, func(t *testing.T) {
			h := newHarness(t)
			cards, _ := partitioned(t, h)
			_, err := cards.Open("l1")
			require.NoError(t, err)
			_, err = cards.Open("l2")
			require.NoError(t, err)
			l1, l2 := topicOf(t, h.s, "l1/cards"), topicOf(t, h.s, "l2/cards")
			l1.Replace([]wire.Item{item(Todo{ID: "a", ListID: "l1", Title: "A"}, 3)}, "e1", 1, false)
			gone := func() { l1.ApplyItems(wire.Item{ID: "a", Version: 7, Deleted: true}) }
			came := func() { l2.ApplyItems(item(Todo{ID: "a", ListID: "l2", Title: "A"}, 8)) }
			if deleteFirst {
				gone()
				came()
			} else {
				came()
				gone()
			}
			v, ok := cards.Get("a")
			require.True(t, ok, "the create in the new partition is newer than the delete in the old")
			assert.Equal(t, "l2", v.ListID)
			assert.Equal(t, "l2", cards.PartitionOf("a"))
		})
	}
}

func TestPartition_aSnapshotKeepsWhatCameInAfterItsReadAndDropsWhatLeft(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		cards, _ := partitioned(t, h)
		_, err := cards.Open("l1")
		require.NoError(t, err)
		l1 := topicOf(t, h.s, "l1/cards")
		l1.Replace([]wire.Item{item(Todo{ID: "a", ListID: "l1"}, 1), item(Todo{ID: "b", ListID: "l1"}, 2)}, "e1", 2, false)
		// c arrives by a mutation answer while the next snapshot is read.
		cards.ApplyItems(item(Todo{ID: "c", ListID: "l1"}, 9))
		// The snapshot holds a live, b gone elsewhere (a tombstone), and not c.
		l1.Replace([]wire.Item{item(Todo{ID: "a", ListID: "l1"}, 1), {ID: "b", Version: 4, Deleted: true}}, "e1", 3, false)
		assert.Equal(t, []string{"a", "c"}, sortedIDs(cards.View().IDs()))
		// After an epoch change, what the new log does not hold goes.
		l1.Replace([]wire.Item{item(Todo{ID: "a", ListID: "l1"}, 1)}, "e2", 1, true)
		assert.Equal(t, []string{"a"}, cards.View().IDs())
		assert.Equal(t, wire.Cursor{Epoch: "e2", Seq: 1}, l1.Cursor())
	})
}

func TestPartition_aRevokedPartitionDropsItsEntitiesButKeepsPendingMutations(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		cards, log := partitioned(t, h)
		release, err := cards.Open("l1")
		require.NoError(t, err)
		_, err = cards.Open("l2")
		require.NoError(t, err)
		l1 := topicOf(t, h.s, "l1/cards")
		l1.Replace([]wire.Item{item(Todo{ID: "a", ListID: "l1", Title: "A"}, 1), item(Todo{ID: "b", ListID: "l1", Title: "B"}, 2)}, "e1", 2, false)
		topicOf(t, h.s, "l2/cards").Replace([]wire.Item{item(Todo{ID: "z", ListID: "l2"}, 3)}, "e1", 1, false)
		p := NewMutation(cards, nil, func(id string) Op[Todo] {
			return Patch(id, func(t *Todo) { t.Title = "mine" }, "title")
		}).Run("b")
		rename := h.next()

		l1.(TopicObserver).Refused(wire.CodeRevoked, "read access to l1/cards was revoked")
		st := cards.Partition("l1")
		assert.Equal(t, PartitionState{Status: PartitionRevoked, Code: wire.CodeRevoked, Message: "read access to l1/cards was revoked"}, st)
		assert.Equal(t, []string{"z"}, cards.View().IDs(), "l1's entities are gone, l2's stay")
		assert.Equal(t, []uint64{1}, cards.PendingOf("b"), "the pending rename stays queued")
		assert.Equal(t, wire.Cursor{}, l1.Cursor())

		// The server refuses it now: rolled back, nothing shows.
		h.reply(rename, 403, errorBody(wire.CodeForbidden, "forbidden", nil))
		require.Error(t, p.Err())
		_, ok := cards.Get("b")
		assert.False(t, ok)

		// Opened again, it subscribes again.
		again, err := cards.Open("l1")
		require.NoError(t, err)
		assert.Equal(t, PartitionOpening, cards.Partition("l1").Status)
		assert.Equal(t, []string{"todos", "l1/cards", "l2/cards", "l1/cards"}, log.added)
		assert.Equal(t, []string{"l1/cards"}, log.removed)
		again()
		release()
	})
}

func TestPartition_aForbiddenCollectionSyncedWholeDropsItsConfirmedLayer(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.Replace([]wire.Item{item(Todo{ID: "a"}, 1)}, "e1", 1, false)
		h.todos.Refused(wire.CodeUnavailable, "try later")
		assert.Equal(t, 1, h.todos.Len(), "a failed check says nothing about access")
		h.todos.Refused(wire.CodeRevoked, "read access to todos was revoked")
		assert.Equal(t, 0, h.todos.Len())
		assert.Equal(t, wire.Cursor{}, h.todos.Cursor())
	})
}

func TestPartition_loadIsForCollectionsSyncedWhole(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		cards, _ := partitioned(t, h)
		cc := cache.NewClient(cache.ClientOptions{Clock: h.clock, Server: true})
		q, stop := cards.Load(cc)
		defer stop()
		h.settle()
		assert.ErrorContains(t, q.Result().Error, "cards is partitioned")
	})
}

func TestPartition_anAnswerOfAPartitionNotOpenIsNotKeptAndItsSnapshotBringsItWhenOpened(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		cards, _ := partitioned(t, h)
		_, err := cards.Open("l1")
		require.NoError(t, err)
		l1 := topicOf(t, h.s, "l1/cards")
		l1.Replace([]wire.Item{item(Todo{ID: "a", ListID: "l1", Title: "A"}, 3)}, "e1", 1, false)
		answer := func(ex *exchange, v Todo, version uint64) {
			data, _ := json.Marshal(v)
			h.reply(ex, 200, wire.MutationResponse{ID: v.ID, Version: version, Data: data, Topic: "l2/cards", Seq: 1, MutationID: mutationIDOf(ex)})
		}

		// A create in l2, which is not open, shows until its answer, and
		// no longer: no event would keep it up to date.
		b := Todo{ID: "b", ListID: "l2", Title: "B"}
		p := createTodo(cards).Run(b)
		ex := h.next()
		_, ok := cards.Get("b")
		assert.True(t, ok, "optimistic")
		answer(ex, b, 4)
		require.NoError(t, p.Err())
		_, ok = cards.Get("b")
		assert.False(t, ok, "confirmed in a partition not open: not held")
		assert.Equal(t, []string{"a"}, cards.View().IDs())

		// A move from l1 to l2 leaves l1: its answer keeps nothing, and
		// the departure's event, older than the answer, brings nothing back.
		p = NewMutation(cards, nil, func(id string) Op[Todo] {
			return Patch(id, func(t *Todo) { t.ListID = "l2" }, "listId")
		}).Run("a")
		ex = h.next()
		_, ok = cards.Get("a")
		assert.True(t, ok, "optimistic: moved, still shown")
		answer(ex, Todo{ID: "a", ListID: "l2", Title: "A"}, 6)
		require.NoError(t, p.Err())
		_, ok = cards.Get("a")
		assert.False(t, ok, "moved to a partition not open")
		l1.ApplyItems(wire.Item{ID: "a", Version: 5, Deleted: true})
		assert.Empty(t, cards.View().IDs())

		// Opened, l2's snapshot brings both, at the versions answered.
		_, err = cards.Open("l2")
		require.NoError(t, err)
		topicOf(t, h.s, "l2/cards").Replace([]wire.Item{item(Todo{ID: "a", ListID: "l2", Title: "A"}, 6), item(b, 4)}, "e1", 2, false)
		assert.Equal(t, []string{"a", "b"}, sortedIDs(cards.View().IDs()))

		// A mutation whose OnSettled opens the partition it landed in
		// keeps its answer: the entity shows throughout.
		c := Todo{ID: "c", ListID: "l3", Title: "C"}
		p = createTodo(cards).Run(c)
		p.OnSettled(func(err error) {
			if err == nil {
				_, err := cards.Open("l3")
				require.NoError(t, err)
			}
		})
		all := cards.View()
		defer all.Dispose()
		shown := 0
		stop := h.s.Graph().Effect(func() {
			if slices.Contains(all.IDs(), "c") {
				shown++
			}
		})
		defer stop.Dispose()
		ex = h.next()
		answer(ex, c, 7)
		v, version, ok := cards.Confirmed("c")
		assert.True(t, ok, "kept")
		assert.Equal(t, c, v)
		assert.Equal(t, uint64(7), version)
		assert.Equal(t, 1, shown, "shown once, from the optimistic create on: it never left")
	})
}
