package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

func TestB19_writeBetweenSubscribeAndSnapshotIsNeitherLostNorDoubled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		defer b.stop()
		b.create("lists", `{"id":"l1","name":"one"}`)
		c, _ := b.connect(client1)
		// l2 commits after the subscription is registered but before the
		// snapshot is read; l3 commits after the read, before live.
		b.st.arm(0,
			func() { b.create("lists", `{"id":"l2","name":"two"}`) },
			func() { b.create("lists", `{"id":"l3","name":"three"}`) })
		msgs, live := c.subscribe("lists", nil)
		require.Len(t, msgs, 1)
		snap := msgs[0].(wire.Snapshot)
		assert.Equal(t, uint64(2), snap.Seq, "the watermark includes l2")
		assert.Equal(t, []string{"l1", "l2"}, itemIDs(msgs))
		assert.True(t, snap.Last)
		assert.Equal(t, uint64(2), live.Seq)
		ev := c.next().(wire.Event)
		assert.Equal(t, "l3", ev.ID, "l3 is delivered once, after the snapshot")
		assert.Equal(t, uint64(3), ev.Seq)
		assert.Equal(t, uint64(2), ev.Prev)
		c.none() // and l2 was not sent again as an event
		b.create("lists", `{"id":"l4","name":"four"}`)
		assert.Equal(t, uint64(4), c.next().(wire.Event).Seq)
	})
}

func TestB32_slowConsumerIsClosedWith4002WithoutBlockingThePublisher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{SendQueue: 4})
		defer b.stop()
		fast, _ := b.connect(client1)
		fast.subscribe("lists", nil)
		// The slow client reads up to live and then stops reading: its pipe
		// holds nothing, so the server's writer blocks on the first event.
		slow := b.dialBuffered(0)
		slow.send(wire.Hello{V: 1, ClientID: client2})
		slowRead := func() wire.ServerMessage {
			select {
			case m := <-slow.p.toClient:
				d, err := wire.DecodeServerMessage(m)
				require.NoError(t, err)
				return d
			case <-time.After(time.Second):
				t.Fatal("slow client got nothing")
				return nil
			}
		}
		require.IsType(t, wire.Welcome{}, slowRead())
		slow.send(wire.Sub{Topic: "lists"})
		require.IsType(t, wire.Snapshot{}, slowRead())
		require.IsType(t, wire.Live{}, slowRead())

		start := time.Now()
		for i := range 20 {
			b.create("lists", `{"id":"l`+strconv.Itoa(i)+`","name":"x"}`)
			synctest.Wait() // the fast client's writer keeps up; the slow one's is stuck
		}
		assert.Zero(t, time.Since(start), "publishing never waited on the slow connection")
		synctest.Wait()
		code, closed := slow.p.closeCode()
		require.True(t, closed)
		assert.Equal(t, wire.CloseSlowConsumer, code)
		for i := range 20 {
			ev := fast.next().(wire.Event)
			assert.Equal(t, uint64(i+1), ev.Seq)
		}
		_, fastClosed := fast.p.closeCode()
		assert.False(t, fastClosed)
	})
}

func TestB35_eventsOnlyForAuthorisedTopicsAndNoneAfterUnsub(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{
			Authenticate: func(r *http.Request) (context.Context, error) { return r.Context(), nil },
			AuthenticateWS: func(r *http.Request, h wire.Hello) (context.Context, error) {
				return context.WithValue(context.Background(), ctxKey{}, "no-todos"), nil
			}})
		defer b.stop()
		b.create("lists", `{"id":"l1","name":"one"}`)
		c, _ := b.connect(client1)
		c.send(wire.Sub{Topic: "todos"})
		e := c.next().(wire.ErrorMessage)
		assert.Equal(t, wire.ErrorMessage{Code: wire.CodeForbidden, Message: "forbidden", Topic: "todos"}, e)
		c.send(wire.Sub{Topic: "nope"})
		assert.Equal(t, wire.CodeNotFound, c.next().(wire.ErrorMessage).Code)
		c.subscribe("lists", nil)
		b.create("todos", `{"id":"t1","listId":"l1","title":"x"}`)
		c.none()
		b.create("lists", `{"id":"l2","name":"two"}`)
		assert.Equal(t, "l2", c.next().(wire.Event).ID)
		c.send(wire.Unsub{Topic: "lists"})
		synctest.Wait()
		b.create("lists", `{"id":"l3","name":"three"}`)
		c.none()
	})
}

func TestB35_noEventQueuedBeforeUnsubIsSentAfterIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		defer b.stop()
		c := b.dialBuffered(0) // nothing leaves the server until the test reads
		c.send(wire.Hello{V: 1, ClientID: client1})
		read := func() wire.ServerMessage {
			m, err := wire.DecodeServerMessage(<-c.p.toClient)
			require.NoError(t, err)
			return m
		}
		require.IsType(t, wire.Welcome{}, read())
		c.send(wire.Sub{Topic: "lists"})
		require.IsType(t, wire.Snapshot{}, read())
		require.IsType(t, wire.Live{}, read())
		b.create("lists", `{"id":"l1","name":"one"}`)
		synctest.Wait()                               // the writer now blocks writing l1
		b.create("lists", `{"id":"l2","name":"two"}`) // queued
		c.send(wire.Unsub{Topic: "lists"})
		synctest.Wait()
		// l1 was already being written; l2, queued before unsub, is dropped.
		assert.Equal(t, "l1", read().(wire.Event).ID)
		synctest.Wait()
		select {
		case m := <-c.p.toClient:
			t.Fatalf("sent after unsub: %s", m)
		default:
		}
	})
}

func TestB33_echoCarriesOriginServerJobsDoNotDuplicatesEmitNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		defer b.stop()
		c, _ := b.connect(client1)
		c.subscribe("lists", nil)
		b.create("lists", `{"id":"l1","name":"one"}`, mut(client1, 9)...)
		ev := c.next().(wire.Event)
		assert.Equal(t, &wire.Origin{ClientID: client1, MutationID: 9}, ev.Origin)
		b.create("lists", `{"id":"l1","name":"one"}`, mut(client1, 9)...) // duplicate
		c.none()
		b.create("lists", `{"id":"l2","name":"job"}`) // no headers: a server-side job
		ev = c.next().(wire.Event)
		assert.Nil(t, ev.Origin)
	})
}

func TestB25_welcomeCarriesLastMutationID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		defer b.stop()
		b.create("lists", `{"id":"l1","name":"one"}`, mut(client1, 4)...)
		rec := b.do("POST", "/api/lists", `{"id":"l2","name":""}`, mut(client1, 6)...) // 422, still processed
		require.Equal(t, 422, rec.Code)
		_, w := b.connect(client1)
		assert.Equal(t, wire.Welcome{V: 1, HbMs: 15000, MaxMsg: wire.DefaultMaxMsg, LastMutationID: 6}, w)
		_, w = b.connect(client2)
		assert.Equal(t, uint64(0), w.LastMutationID)
	})
}

func TestResume_replayWithinRetentionSnapshotOtherwise(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{Retention: 3})
		defer b.stop()
		for i := range 4 {
			b.create("lists", `{"id":"l`+strconv.Itoa(i)+`","name":"x"}`)
		}
		require.Equal(t, 200, b.do("DELETE", "/api/lists/l0", "").Code) // seq 5; retained: 3,4,5
		c, _ := b.connect(client1)
		_, live := c.subscribe("lists", nil)
		epoch := live.Epoch
		require.Equal(t, uint64(5), live.Seq)

		// B16: within retention, exactly the missing events are replayed.
		{
			msgs, live := c.subscribe("lists", &wire.Cursor{Epoch: epoch, Seq: 2})
			require.Len(t, msgs, 4)
			assert.Equal(t, wire.Resync{Topic: "lists", Reason: wire.ReasonGap, Mode: wire.ModeReplay}, msgs[0])
			for i, m := range msgs[1:] {
				assert.Equal(t, uint64(3+i), m.(wire.Event).Seq)
			}
			assert.Equal(t, wire.OpDelete, msgs[3].(wire.Event).Op)
			assert.Equal(t, uint64(5), live.Seq)
		}
		// Up to date: straight to live.
		{
			msgs, live := c.subscribe("lists", &wire.Cursor{Epoch: epoch, Seq: 5})
			assert.Empty(t, msgs)
			assert.Equal(t, wire.Live{Topic: "lists", Epoch: epoch, Seq: 5}, live)
		}
		// B17: outside retention, a snapshot with tombstones.
		{
			msgs, _ := c.subscribe("lists", &wire.Cursor{Epoch: epoch, Seq: 1})
			assert.Equal(t, wire.Resync{Topic: "lists", Reason: wire.ReasonRetention, Mode: wire.ModeSnapshot}, msgs[0])
			snap := msgs[1].(wire.Snapshot)
			require.Len(t, snap.Items, 4)
			assert.Equal(t, wire.Item{ID: "l0", Version: 5, Deleted: true}, snap.Items[0])
		}
		// B18: another epoch (or a seq the log never reached), a snapshot.
		{
			msgs, live := c.subscribe("lists", &wire.Cursor{Epoch: "other", Seq: 5})
			assert.Equal(t, wire.Resync{Topic: "lists", Reason: wire.ReasonEpoch, Mode: wire.ModeSnapshot}, msgs[0])
			assert.Equal(t, epoch, live.Epoch)
			msgs, _ = c.subscribe("lists", &wire.Cursor{Epoch: epoch, Seq: 99})
			assert.Equal(t, wire.ReasonEpoch, msgs[0].(wire.Resync).Reason, "a seq the log never reached")
		}
	})
}

func TestB24_heartbeatsAndTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{HeartbeatInterval: time.Second, HeartbeatTimeout: 3 * time.Second})
		defer b.stop()
		c, w := b.connect(client1)
		assert.Equal(t, 1000, w.HbMs)
		for range 5 {
			time.Sleep(time.Second)
			require.IsType(t, wire.HB{}, c.next())
			c.send(wire.HB{})
		}
		_, closed := c.p.closeCode()
		assert.False(t, closed, "a client that answers stays connected")
		time.Sleep(5 * time.Second) // silence
		synctest.Wait()
		code, closed := c.p.closeCode()
		require.True(t, closed)
		assert.Equal(t, wire.CloseHeartbeat, code)
	})
}

func TestB28_serverNeverSendsAboveMaxMsg(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{MaxMsg: wire.MinMaxMsg})
		defer b.stop()
		for i := range 40 {
			b.create("lists", `{"id":"l`+strconv.Itoa(i)+`","name":"`+strings.Repeat("n", 90)+`"}`)
		}
		c, _ := b.connect(client1)
		c.send(wire.Sub{Topic: "lists"})
		var parts []wire.Snapshot
		for {
			raw := c.nextRaw()
			require.LessOrEqual(t, len(raw), wire.MinMaxMsg)
			m, err := wire.DecodeServerMessage(raw)
			require.NoError(t, err)
			if s, ok := m.(wire.Snapshot); ok {
				parts = append(parts, s)
				continue
			}
			require.IsType(t, wire.Live{}, m)
			break
		}
		require.Greater(t, len(parts), 3)
		total := 0
		for i, p := range parts {
			assert.Equal(t, i, p.Part)
			assert.Equal(t, i == len(parts)-1, p.Last)
			total += len(p.Items)
		}
		assert.Equal(t, 40, total)

		// An event too big for maxMsg arrives as invalidate without data.
		big := map[string]string{"id": "big"}
		events := []wire.Event{{Topic: "lists", Epoch: "e", Seq: 1, ID: "big", Op: wire.OpUpdate, Version: 1, Data: []byte(`{"x":"` + strings.Repeat("x", 2000) + `"}`)}}
		_ = big
		enc, err := encodeEvent(events[0], wire.MinMaxMsg)
		require.NoError(t, err)
		m, err := wire.DecodeServerMessage(enc)
		require.NoError(t, err)
		assert.Equal(t, wire.OpInvalidate, m.(wire.Event).Op)
		assert.Nil(t, m.(wire.Event).Data)
	})
}

// encodeParts runs a partEncoder over items.
func encodeParts(t *testing.T, seq uint64, items []wire.Item, maxMsg int) [][]byte {
	t.Helper()
	enc, err := newPartEncoder("lists", "e", seq, maxMsg)
	require.NoError(t, err)
	var parts [][]byte
	for _, it := range items {
		p, err := enc.add(it)
		require.NoError(t, err)
		if p != nil {
			parts = append(parts, p)
		}
	}
	return append(parts, enc.finish())
}

func TestB28_snapshotPartsBigItemIsStaleEmptyTopicIsOneEmptyPart(t *testing.T) {
	items := []wire.Item{{ID: "a", Version: 1, Data: []byte(`{"x":"` + strings.Repeat("x", 3000) + `"}`)}, {ID: "b", Version: 2, Data: []byte(`{}`)}}
	parts := encodeParts(t, 2, items, wire.MinMaxMsg)
	require.Len(t, parts, 1)
	m, err := wire.DecodeServerMessage(parts[0])
	require.NoError(t, err)
	s := m.(wire.Snapshot)
	assert.True(t, s.Items[0].Stale())
	assert.Equal(t, uint64(1), s.Items[0].Version)
	assert.False(t, s.Items[1].Stale())
	empty := encodeParts(t, 0, nil, wire.MinMaxMsg)
	require.Len(t, empty, 1)
	assert.Equal(t, `{"t":"snapshot","topic":"lists","epoch":"e","seq":0,"part":0,"last":true,"items":[]}`, string(empty[0]))
}

func TestB28_snapshotPartsFillUpToMaxMsg(t *testing.T) {
	var items []wire.Item
	for i := range 50 {
		items = append(items, wire.Item{ID: fmt.Sprintf("i%02d", i), Version: uint64(i + 1), Data: []byte(`{"n":"` + strings.Repeat("n", 90) + `"}`)})
	}
	parts := encodeParts(t, 50, items, wire.MinMaxMsg)
	require.Greater(t, len(parts), 3)
	var got []string
	for i, p := range parts {
		require.LessOrEqual(t, len(p), wire.MinMaxMsg)
		if i < len(parts)-1 {
			assert.Greater(t, len(p)+130, wire.MinMaxMsg, "part %d is full: the next item did not fit", i)
		}
		m, err := wire.DecodeServerMessage(p)
		require.NoError(t, err)
		s := m.(wire.Snapshot)
		assert.Equal(t, i, s.Part)
		assert.Equal(t, i == len(parts)-1, s.Last)
		for _, it := range s.Items {
			got = append(got, it.ID)
		}
	}
	require.Len(t, got, 50)
	assert.Equal(t, "i00", got[0])
	assert.Equal(t, "i49", got[49])
}
