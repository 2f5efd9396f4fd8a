package sync

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

// B14–B28 of PROTOCOL.md §6, against a server played by the test.

func TestB14_duplicateEventDropped(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		runs := 0
		r.g.Effect(func() { r.todos.Get("a"); runs++ })
		r.send(srv, ev("todos", 1, "a", "one"))
		r.send(srv, ev("todos", 2, "a", "two"))
		r.send(srv, ev("todos", 2, "a", "two")) // delivered twice
		r.send(srv, ev("todos", 1, "a", "one")) // and an old one again
		assert.Equal(t, "two", r.title("a"))
		assert.Equal(t, 3, runs, "no side effect from duplicates")
		assert.Equal(t, uint64(2), r.todos.Cursor().Seq)
		r.quiet(srv)
	})
}

func TestB15_gapResyncsOnlyItsTopic(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("todos", 1, "a", "one"))
		r.send(srv, ev("todos", 3, "a", "three")) // 2 is missing
		sub, ok := r.recv(srv).(wire.Sub)
		require.True(t, ok, "the gap resubscribes")
		assert.Equal(t, "todos", sub.Topic)
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 1}, sub.Since)
		assert.Equal(t, "one", r.title("a"), "no later event applies out of order")
		assert.Equal(t, Resyncing, r.c.State())

		r.send(srv, ev("lists", 1, "l", "other topic"))
		v, _ := r.lists.Get("l")
		assert.Equal(t, "other topic", v.Title, "other topics keep flowing")

		r.send(srv, ev("todos", 4, "a", "four")) // buffered until live
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonGap, Mode: wire.ModeReplay})
		r.send(srv, ev("todos", 2, "a", "two"))
		r.send(srv, ev("todos", 3, "a", "three"))
		r.send(srv, wire.Live{Topic: "todos", Epoch: "e1", Seq: 3})
		assert.Equal(t, "four", r.title("a"))
		assert.Equal(t, uint64(4), r.todos.Cursor().Seq)
		assert.Equal(t, Live, r.c.State())
	})
}

func TestB16_replayEqualsFreshSnapshot(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		replayed := newRig(t)
		srv, subs := replayed.connect(0)
		replayed.goLive(srv, subs)
		replayed.send(srv, ev("todos", 1, "a", "one"))
		replayed.send(srv, ev("todos", 3, "b", "b")) // gap
		replayed.recv(srv)
		replayed.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonGap, Mode: wire.ModeReplay})
		replayed.send(srv, ev("todos", 2, "a", "two"))
		replayed.send(srv, ev("todos", 3, "b", "b"))
		replayed.send(srv, wire.Live{Topic: "todos", Epoch: "e1", Seq: 3})

		fresh := newRig(t)
		srv2, subs2 := fresh.connect(0)
		fresh.send(srv2, wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: 3, Part: 0, Last: true,
			Items: []wire.Item{itm("a", "two", 2), itm("b", "b", 3)}})
		fresh.send(srv2, wire.Live{Topic: "todos", Epoch: "e1", Seq: 3})
		_ = subs2
		for _, id := range []string{"a", "b"} {
			assert.Equal(t, fresh.title(id), replayed.title(id))
			_, v1, _ := fresh.todos.Confirmed(id)
			_, v2, _ := replayed.todos.Confirmed(id)
			assert.Equal(t, v1, v2)
		}
		assert.Equal(t, fresh.todos.Cursor(), replayed.todos.Cursor())
	})
}

func TestB17_snapshotReplacesAtomicallyAndKeepsPending(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("todos", 1, "a", "a"))
		r.send(srv, ev("todos", 2, "gone", "deleted while away"))
		rename := store.NewMutation(r.todos, nil, func(title string) store.Op[Todo] {
			return store.Patch("a", func(t *Todo) { t.Title = title }, "title")
		})
		rename.Run("mine")
		_ = r.restCall() // in flight, unanswered

		_ = srv.Close(wire.CloseGoingAway, "restart")
		r.settle()
		r.clock.Advance(time.Minute)
		srv, subs = r.connect(0)
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 2}, subs["todos"].Since)
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonRetention, Mode: wire.ModeSnapshot})
		r.send(srv, wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: 9, Part: 0, Last: true,
			Items: []wire.Item{itm("a", "a9", 9), {ID: "gone", Version: 8, Deleted: true}}})
		r.send(srv, wire.Live{Topic: "todos", Epoch: "e1", Seq: 9})
		assert.Equal(t, "<absent>", r.title("gone"), "deletions while away apply")
		assert.Equal(t, "mine", r.title("a"), "pending mutations stay on top")
		_, version, _ := r.todos.Confirmed("a")
		assert.Equal(t, uint64(9), version)
	})
}

func TestB18_epochChangeForcesSnapshot(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("todos", 1, "a", "old log"))
		next := ev("todos", 2, "a", "new log")
		next.Epoch = "e2" // contiguous seq, other epoch
		r.send(srv, next)
		sub, ok := r.recv(srv).(wire.Sub)
		require.True(t, ok, "the epoch change resubscribes")
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 1}, sub.Since, "from the old cursor, which the server cannot serve")
		assert.Equal(t, "old log", r.title("a"), "the event of the new log did not apply")
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonEpoch, Mode: wire.ModeSnapshot})
		r.send(srv, wire.Snapshot{Topic: "todos", Epoch: "e2", Seq: 1, Part: 0, Last: true, Items: []wire.Item{itm("a", "new log", 1)}})
		r.send(srv, wire.Live{Topic: "todos", Epoch: "e2", Seq: 1})
		assert.Equal(t, "new log", r.title("a"), "versions restart with the new log")
		assert.Equal(t, wire.Cursor{Epoch: "e2", Seq: 1}, r.todos.Cursor())
	})
}

func TestB19_writesBetweenSnapshotAndLiveNeitherLostNorDoubled(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, _ := r.connect(0)
		counter := func(seq uint64, n int) wire.Event {
			data, _ := json.Marshal(Todo{ID: "n", Title: strings.Repeat("+", n)})
			return wire.Event{Topic: "todos", Epoch: "e1", Seq: seq, Prev: seq - 1, ID: "n", Op: wire.OpUpdate, Version: seq, Data: data, TS: 1}
		}
		r.send(srv, counter(5, 5)) // committed before the watermark: buffered, then dropped
		r.send(srv, wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: 5, Part: 0, Last: true, Items: []wire.Item{itm("n", "+++++", 5)}})
		r.send(srv, counter(6, 6)) // committed after the snapshot read
		r.send(srv, wire.Live{Topic: "todos", Epoch: "e1", Seq: 5})
		r.send(srv, counter(7, 7))
		assert.Equal(t, "+++++++", r.title("n"))
		assert.Equal(t, uint64(7), r.todos.Cursor().Seq)
	})
}

func TestB20_partsApplyOnlyWhenLastArrives(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("todos", 1, "a", "before"))
		r.send(srv, ev("todos", 3, "a", "gap")) // forces a snapshot
		r.recv(srv)
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonRetention, Mode: wire.ModeSnapshot})
		r.send(srv, wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: 9, Part: 0, Items: []wire.Item{itm("a", "part 0", 9)}})
		assert.Equal(t, "before", r.title("a"), "nothing applies before the last part")
		_ = srv.Close(wire.CloseGoingAway, "") // disconnect mid-snapshot
		r.settle()
		assert.Equal(t, "before", r.title("a"), "the previous confirmed state is intact")

		r.clock.Advance(time.Minute)
		srv, subs = r.connect(0)
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonRetention, Mode: wire.ModeSnapshot})
		r.send(srv, wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: 9, Part: 0, Items: []wire.Item{itm("a", "a9", 9)}})
		r.send(srv, wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: 9, Part: 1, Last: true, Items: []wire.Item{itm("b", "b9", 8)}})
		assert.Equal(t, "a9", r.title("a"))
		assert.Equal(t, "b9", r.title("b"))
	})
}

func TestB22_reconnectResubscribesFromCursors(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("todos", 1, "a", "one"))
		r.send(srv, ev("lists", 1, "l", "list"))
		_ = srv.Close(wire.CloseGoingAway, "")
		r.settle()
		assert.Equal(t, Offline, r.c.State())
		r.clock.Advance(time.Minute)
		srv, subs = r.connect(0)
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 1}, subs["todos"].Since)
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 1}, subs["lists"].Since)
		r.send(srv, ev("todos", 3, "a", "new live")) // arrives before the catch-up: held
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonGap, Mode: wire.ModeReplay})
		assert.Equal(t, "one", r.title("a"))
		r.send(srv, ev("todos", 2, "a", "missed"))
		r.send(srv, wire.Live{Topic: "todos", Epoch: "e1", Seq: 2})
		assert.Equal(t, "new live", r.title("a"), "missed events first, then the new one")
	})
}

func TestB23_reconnectDelaysFullJitter(t *testing.T) {
	base, cap := 250*time.Millisecond, 30*time.Second
	rng := rand.New(rand.NewPCG(7, 8))
	for n := range 12 {
		limit := min(cap, base<<n)
		for range 100 {
			d := reconnectDelay(rng, base, cap, n)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, limit, "attempt %d", n)
		}
	}
	// 1000 clients dropped at once: no 100 ms bucket holds more than a
	// small share of the first reconnects.
	buckets := map[int64]int{}
	for c := range 1000 {
		rng := rand.New(rand.NewPCG(uint64(c), 99))
		d := reconnectDelay(rng, base, cap, 3) // a few failures in: up to 2 s
		buckets[int64(d/(100*time.Millisecond))]++
	}
	most := 0
	for _, n := range buckets {
		most = max(most, n)
	}
	assert.Less(t, most, 100, "no lockstep: the busiest 100 ms bucket holds %d of 1000", most)

	t.Run("the attempt count resets after a stable period", func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			r := newRig(t, func(o *Options) { o.StableAfter = 10 * time.Second })
			srv, subs := r.connect(0)
			r.goLive(srv, subs)
			for range 5 { // five quick failures
				_ = srv.Close(wire.CloseGoingAway, "")
				r.settle()
				r.clock.Advance(time.Minute)
				srv = r.accept()
			}
			assert.Equal(t, 5, r.c.attempt, "five failed connections")
			r.recv(srv)
			r.send(srv, wire.Welcome{V: 1, HbMs: 100000, MaxMsg: 4096})
			r.clock.Advance(10 * time.Second)
			r.settle()
			assert.Equal(t, 0, r.c.attempt)
		})
	})
}

func TestB23_aRateLimitedCloseBacksOffAsAfterSeveralFailures(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t, func(o *Options) { o.StableAfter = 10 * time.Second })
		r.c.Start()
		srv := r.accept()
		require.IsType(t, wire.Hello{}, r.recv(srv))
		r.send(srv, wire.Welcome{V: 1, HbMs: 100000, MaxMsg: 4096})
		r.clock.Advance(10 * time.Second) // stable: the backoff starts over
		r.settle()
		require.Equal(t, 0, r.c.attempt)
		_ = srv.Close(wire.CloseRateLimited, "too many subscriptions")
		r.settle()
		assert.Equal(t, Offline, r.c.State())
		assert.Equal(t, rateLimitedAttempt+1, r.c.attempt, "the delay was drawn from [0, base·2^4]")
		r.clock.Advance(reconnectDelay(rand.New(rand.NewPCG(7, 8)), r.c.opts.ReconnectBase, r.c.opts.ReconnectCap, rateLimitedAttempt) + 4*time.Second)
		srv = r.accept() // and it does reconnect
		assert.IsType(t, wire.Hello{}, r.recv(srv))

		// Any other close after a stable period starts from zero, as before.
		r.send(srv, wire.Welcome{V: 1, HbMs: 100000, MaxMsg: 4096})
		r.clock.Advance(10 * time.Second)
		r.settle()
		_ = srv.Close(wire.CloseGoingAway, "")
		r.settle()
		assert.Equal(t, 1, r.c.attempt)
	})
}

func TestB24_heartbeatTimeoutCloses4000AndReconnects(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, wire.HB{})
		_, ok := r.recv(srv).(wire.HB)
		assert.True(t, ok, "the client answers heartbeats")
		r.clock.Advance(2*time.Second + 999*time.Millisecond) // 2·hbMs + 1 s - 1 ms
		r.settle()
		assert.Equal(t, Live, r.c.State())
		r.clock.Advance(time.Millisecond)
		r.settle()
		assert.Contains(t, r.closes, wire.CloseHeartbeat)
		assert.Equal(t, Offline, r.c.State())
		r.clock.Advance(time.Minute)
		r.accept() // reconnected
	})
}

func TestB25_welcomeAcknowledgesProcessedMutations(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		create := store.NewMutation(r.todos, nil, func(id string) store.Op[Todo] {
			return store.Create(id, Todo{ID: id, Title: "x"})
		})
		p := create.Run("a")
		call := r.restCall()
		call.resp <- restResult{err: assert.AnError} // the answer is lost
		_ = srv.Close(wire.CloseGoingAway, "")
		r.settle()
		// Reconnect at once: the clock stands still, so the outbox's retry
		// (at a random delay, which could come first) cannot.
		r.c.Reconnect()
		srv, subs = r.connect(mutationID(call)) // the server had processed it
		assert.Equal(t, store.Waiting, p.Status(), "not before the topics have caught up")
		r.goLive(srv, subs)
		assert.Equal(t, store.Failed, p.Status())
		assert.ErrorIs(t, p.Err(), store.ErrOutcomeUnknown, "processed, but applied or refused the lost answer would have said")
		assert.Equal(t, 0, r.s.PendingCount())
		r.clock.Advance(time.Minute)
		r.noRestCall() // not re-sent
	})
}

func TestB26_offlineMutationsSentInOrderAfterReconnect(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		_ = srv.Close(wire.CloseGoingAway, "")
		r.settle()
		create := store.NewMutation(r.todos, nil, func(id string) store.Op[Todo] {
			return store.Create(id, Todo{ID: id, Title: id})
		})
		for _, id := range []string{"a", "b", "c"} {
			create.Run(id)
		}
		call := r.restCall()
		call.resp <- restResult{err: assert.AnError} // offline: the first attempt fails
		r.settle()
		r.clock.Advance(300 * time.Millisecond) // the reconnect, long before the outbox's retry
		srv, subs = r.connect(0)
		r.goLive(srv, subs) // back and caught up: the outbox resumes at once
		for _, want := range []uint64{1, 2, 3} {
			call = r.restCall()
			require.Equal(t, want, mutationID(call), "sent in mutationID order, none lost")
			r.answer(call, 201, wire.MutationResponse{ID: strings.TrimPrefix(call.req.URL, "/api/todos/"), Version: want, Data: json.RawMessage(`{}`), Topic: "todos", Seq: want, MutationID: want})
		}
		assert.Equal(t, 0, r.s.PendingCount())
	})
}

func TestB27_closeCodesABrowserMaySend(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		require.NoError(t, srv.Write(t.Context(), []byte(`{"t":"event","oops":`))) // malformed
		r.settle()
		r.clock.Advance(time.Minute)
		srv, subs = r.connect(0)
		r.goLive(srv, subs)
		r.clock.Advance(time.Hour) // heartbeat timeout
		r.settle()
		r.c.Stop()
		r.settle()
		require.NotEmpty(t, r.closes)
		for _, code := range r.closes {
			assert.True(t, code == wire.CloseNormal || code >= 4000 && code <= 4999, "code %d", code)
		}
		assert.Contains(t, r.closes, wire.CloseProtocolError)
		assert.Equal(t, wire.CloseProtocolError, clientCode(1009), "codes a browser refuses become 4003")
		assert.Equal(t, wire.CloseProtocolError, clientCode(wire.CloseGoingAway))
		assert.Equal(t, wire.CloseTooBig, clientCode(wire.CloseTooBig))
	})
}

func TestB28_oversizedMessageCloses4009AndResyncs(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("todos", 1, "a", "small"))
		big := ev("todos", 2, "a", strings.Repeat("x", 5000)) // maxMsg is 4096
		r.send(srv, big)
		assert.Contains(t, r.closes, wire.CloseTooBig)
		assert.Equal(t, "small", r.title("a"))
		r.clock.Advance(time.Minute)
		_, subs = r.connect(0)
		assert.Equal(t, &wire.Cursor{Epoch: "e1", Seq: 1}, subs["todos"].Since, "and resumes from where it was")
	})
}

func TestEchoConfirmsOwnMutation(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		create := store.NewMutation(r.todos, nil, func(id string) store.Op[Todo] {
			return store.Create(id, Todo{ID: id, Title: "mine"})
		})
		p := create.Run("a")
		call := r.restCall()
		echo := ev("todos", 1, "a", "mine")
		echo.Op = wire.OpCreate
		echo.Origin = &wire.Origin{ClientID: r.s.ClientID(), MutationID: mutationID(call)}
		r.send(srv, echo)
		assert.Equal(t, store.Succeeded, p.Status(), "the echo settles it")
		assert.Equal(t, 0, r.s.PendingCount())
		assert.Equal(t, 1, r.todos.Len())
		call.resp <- restResult{err: assert.AnError}
	})
}

// signal is an OnlineSource and a FocusSource the test flips.
type signal struct {
	on        bool
	listeners []func()
}

func (s *signal) Online() bool  { return s.on }
func (s *signal) Focused() bool { return s.on }
func (s *signal) Subscribe(f func()) func() {
	s.listeners = append(s.listeners, f)
	return func() { s.listeners = nil }
}
func (s *signal) set(on bool) {
	s.on = on
	for _, f := range s.listeners {
		f()
	}
}

func TestOnlineAndVisibilityDriveReconnects(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		online, visible := &signal{on: true}, &signal{on: true}
		r := newRig(t, func(o *Options) {
			o.Online, o.Focus = online, visible
			o.ReconnectBase, o.ReconnectCap = time.Hour, time.Hour
		})
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		online.set(false)
		_ = srv.Close(wire.CloseGoingAway, "network down")
		r.settle()
		r.clock.Advance(2 * time.Hour)
		r.settle()
		select {
		case <-r.conns:
			t.Fatal("dialed while offline")
		default:
		}
		online.set(true)
		r.accept() // at once, not after the hour of backoff
		require.Equal(t, Connecting, r.c.State())
		r.c.Stop()
		r.settle()

		r.c.Start()
		srv = r.accept()
		_ = srv.Close(wire.CloseGoingAway, "")
		r.settle()
		assert.Equal(t, Offline, r.c.State())
		visible.set(false)
		visible.set(true) // the tab is back in front
		r.accept()
	})
}

// Issue 12: every collection had to be added to the reconciler by hand,
// though the store knows them. A Client follows all of its store's
// collections, those registered while it is live included.
func TestClient_syncsEveryCollectionOfItsStore(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		assert.Contains(t, subs, "todos")
		assert.Contains(t, subs, "lists")
		r.goLive(srv, subs)
		r.settle()
		require.Equal(t, Live, r.c.State())

		notes, err := store.NewCollection(r.s, store.CollectionOptions[Todo, Todo]{Name: "notes", Codec: store.Identity[Todo]()})
		require.NoError(t, err)
		sub, ok := r.recv(srv).(wire.Sub)
		require.True(t, ok, "a collection registered while live subscribes at once")
		assert.Equal(t, "notes", sub.Topic)
		r.send(srv, wire.Snapshot{Topic: "notes", Epoch: "e1", Seq: 1, Part: 0, Last: true, Items: []wire.Item{itm("n1", "hello", 1)}})
		r.send(srv, wire.Live{Topic: "notes", Epoch: "e1", Seq: 1})
		r.settle()
		v, ok := notes.Get("n1")
		require.True(t, ok)
		assert.Equal(t, "hello", v.Title)

		assert.ErrorContains(t, r.c.Add(notes), `topic "notes" is subscribed already`)
	})
}

func TestInspect_topicsAndRecentEventsAsDevtoolsSeeThem(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		reruns := 0
		r.g.Effect(func() { r.c.Topics(); reruns++ })
		assert.Equal(t, []TopicInfo{{Name: "todos", Phase: "idle"}, {Name: "lists", Phase: "idle"}}, r.c.Topics())
		srv, subs := r.connect(0)
		assert.Equal(t, "subscribing", r.c.Topics()[0].Phase)
		r.goLive(srv, subs)
		own := ev("todos", 1, "a", "mine")
		own.Origin = &wire.Origin{ClientID: r.s.ClientID(), MutationID: 7}
		r.send(srv, own)
		r.send(srv, ev("todos", 2, "b", "theirs"))
		r.settle()
		topics := r.c.Topics()
		assert.Equal(t, TopicInfo{Name: "todos", Phase: "live", Cursor: wire.Cursor{Epoch: "e1", Seq: 2}}, topics[0])
		events := r.c.RecentEvents()
		require.Len(t, events, 2)
		assert.Equal(t, EventInfo{At: r.clock.Now(), Topic: "todos", Seq: 1, ID: "a", Op: wire.OpUpdate, Own: true}, events[0])
		assert.False(t, events[1].Own)
		assert.Greater(t, reruns, 3)
	})
}

// Issue 13: gone offline, the browser says so at once; the client used to
// keep a dead connection "live" until its heartbeat timed out.
func TestB23_goingOfflineDropsTheConnectionAtOnceAndComingBackReconnects(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		online := cache.NewOnlineManager()
		r := newRig(t, func(o *Options) { o.Online = online })
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.settle()
		require.Equal(t, Live, r.c.State())

		online.SetOnline(false)
		r.settle()
		assert.Equal(t, Offline, r.c.State(), "offline now, not after the heartbeat times out")
		_, err := srv.Read(t.Context())
		assert.Error(t, err, "the connection is closed")

		online.SetOnline(true)
		srv2 := r.accept()
		_, ok := r.recv(srv2).(wire.Hello)
		assert.True(t, ok, "back online, it reconnects at once")
	})
}
