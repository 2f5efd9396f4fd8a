package sync

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

type Card struct {
	ID     string `json:"id"`
	ListID string `json:"listId"`
	Title  string `json:"title"`
}

func cardEv(topic string, seq, version uint64, id, list, title string) wire.Event {
	data, _ := json.Marshal(Card{ID: id, ListID: list, Title: title})
	return wire.Event{Topic: topic, Epoch: "e1", Seq: seq, Prev: seq - 1, ID: id, Op: wire.OpUpdate, Version: version, Data: data, TS: 1}
}

// cardsRig is a rig with a collection of cards partitioned by list, live
// on todos and lists.
func cardsRig(t *testing.T) (*rig, *store.Collection[Card], Conn) {
	r := newRig(t)
	cards, err := store.NewCollection(r.s, store.CollectionOptions[Card, Card]{Name: "cards", Codec: store.Identity[Card](), Partition: "listId"})
	require.NoError(t, err)
	srv, subs := r.connect(0)
	r.goLive(srv, subs)
	return r, cards, srv
}

func TestPartition_openingAPartitionSubscribesToItAndReleasingItUnsubscribes(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r, cards, srv := cardsRig(t)
		r.quiet(srv) // the partitioned collection itself is no subscription
		assert.Equal(t, Live, r.c.State())

		release, err := cards.Open("l1")
		require.NoError(t, err)
		assert.Equal(t, wire.Sub{Topic: "l1/cards"}, r.recv(srv), "subscribed at once, while connected")
		assert.Equal(t, Resyncing, r.c.State())
		r.send(srv, wire.Snapshot{Topic: "l1/cards", Epoch: "e1", Seq: 4, Last: true, Items: []wire.Item{}})
		r.send(srv, wire.Live{Topic: "l1/cards", Epoch: "e1", Seq: 4})
		assert.Equal(t, Live, r.c.State())
		assert.Equal(t, store.PartitionLive, cards.Partition("l1").Status)
		r.send(srv, cardEv("l1/cards", 5, 17, "a", "l1", "A"))
		v, ok := cards.Get("a")
		require.True(t, ok)
		assert.Equal(t, "A", v.Title)

		release()
		assert.Equal(t, wire.Unsub{Topic: "l1/cards"}, r.recv(srv))
		r.send(srv, cardEv("l1/cards", 6, 18, "b", "l1", "B")) // in flight before the unsub
		_, ok = cards.Get("b")
		assert.False(t, ok, "nothing of a closed partition applies")
		_, ok = cards.Get("a")
		assert.False(t, ok, "and what it held is gone")
		assert.Equal(t, store.PartitionClosed, cards.Partition("l1").Status)
		assert.Equal(t, Live, r.c.State())
	})
}

func TestPartition_eachPartitionResumesFromItsOwnCursor(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r, cards, srv := cardsRig(t)
		for _, key := range []string{"l1", "l2"} {
			_, err := cards.Open(key)
			require.NoError(t, err)
			r.recv(srv)
		}
		for topic, seq := range map[string]uint64{"l1/cards": 7, "l2/cards": 3} {
			r.send(srv, wire.Snapshot{Topic: topic, Epoch: "e1", Seq: seq, Last: true, Items: []wire.Item{}})
			r.send(srv, wire.Live{Topic: topic, Epoch: "e1", Seq: seq})
		}
		r.send(srv, cardEv("l2/cards", 4, 30, "x", "l2", "X"))
		srv, subs := r.reconnect(srv, 4)
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 7}, subs["l1/cards"].Since)
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 4}, subs["l2/cards"].Since, "each from its own cursor")
	})
}

func TestPartition_aRevokedPartitionDropsItsDataAndStaysUnsubscribed(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r, cards, srv := cardsRig(t)
		_, err := cards.Open("l1")
		require.NoError(t, err)
		r.recv(srv)
		r.send(srv, wire.Snapshot{Topic: "l1/cards", Epoch: "e1", Seq: 1, Last: true, Items: []wire.Item{
			{ID: "a", Version: 3, Data: json.RawMessage(`{"id":"a","listId":"l1","title":"A"}`)}}})
		r.send(srv, wire.Live{Topic: "l1/cards", Epoch: "e1", Seq: 1})
		require.Equal(t, 1, cards.Len())

		r.send(srv, wire.ErrorMessage{Code: wire.CodeRevoked, Message: "read access to l1/cards was revoked", Topic: "l1/cards"})
		assert.Equal(t, 0, cards.Len(), "the client drops the partition's data")
		assert.Equal(t, store.PartitionRevoked, cards.Partition("l1").Status)
		assert.Equal(t, Live, r.c.State(), "the other topics are live; this one is refused")
		r.send(srv, cardEv("l1/cards", 2, 4, "b", "l1", "B"))
		assert.Equal(t, 0, cards.Len(), "nothing of it applies afterwards")
		r.quiet(srv)

		// Opened again (access granted again, say), it subscribes again.
		_, err = cards.Open("l1")
		require.NoError(t, err)
		assert.Equal(t, wire.Sub{Topic: "l1/cards"}, r.recv(srv), "from scratch (the dropped cursor is gone), with no unsub: the server ended it")
	})
}

func TestPartition_aRefusedPartitionTheServerAllowsAfterAReconnectIsLiveAgain(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r, cards, srv := cardsRig(t)
		_, err := cards.Open("l1")
		require.NoError(t, err)
		r.recv(srv)
		r.send(srv, wire.ErrorMessage{Code: wire.CodeForbidden, Message: "forbidden", Topic: "l1/cards"})
		require.Equal(t, store.PartitionRefused, cards.Partition("l1").Status)

		// Access granted meanwhile: after a reconnect the client asks
		// again, and the server sends it.
		srv, subs := r.reconnect(srv, 3)
		require.Contains(t, subs, "l1/cards", "a refused topic is asked for again")
		r.goLive(srv, map[string]wire.Sub{"todos": subs["todos"], "lists": subs["lists"]})
		r.send(srv, wire.Snapshot{Topic: "l1/cards", Epoch: "e1", Seq: 2, Last: true, Items: []wire.Item{
			{ID: "a", Version: 3, Data: json.RawMessage(`{"id":"a","listId":"l1","title":"A"}`)}}})
		r.send(srv, wire.Live{Topic: "l1/cards", Epoch: "e1", Seq: 2})
		assert.Equal(t, store.PartitionLive, cards.Partition("l1").Status, "what it shows and what it says agree")
		assert.Equal(t, 1, cards.Len())
		assert.Equal(t, Live, r.c.State())
	})
}
