package sync

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Regressions found in review: each test failed before its fix.

func TestInvalidateFetchRetriesUntilItSucceeds(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("todos", 1, "a", "v1"))
		r.send(srv, wire.Event{Topic: "todos", Epoch: "e1", Seq: 2, Prev: 1, ID: "a", Op: wire.OpInvalidate, Version: 2, TS: 1})
		get := r.restCall()
		require.Equal(t, "GET", get.req.Method)
		r.answer(get, 503, wire.ErrorResponse{Error: wire.ErrorBody{Code: wire.CodeUnavailable}})
		r.clock.Advance(time.Minute)
		get = r.restCall() // retried, not forgotten
		data, _ := json.Marshal(Todo{ID: "a", Title: "v2 (big)"})
		r.answer(get, 200, wire.Item{ID: "a", Version: 2, Data: data})
		assert.Equal(t, "v2 (big)", r.title("a"))
		r.clock.Advance(time.Hour)
		r.noRestCall()
	})
}

func TestEchoOfAnotherEntityOfACascadeSettlesNothing(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, ev("lists", 1, "L", "groceries"))
		r.send(srv, ev("todos", 1, "t", "milk"))
		del := store.NewMutation(r.lists, nil, func(id string) store.Op[Todo] { return store.Delete[Todo](id) })
		p := del.Run("L")
		call := r.restCall()
		r.send(srv, wire.Event{Topic: "todos", Epoch: "e1", Seq: 2, Prev: 1, ID: "t", Op: wire.OpDelete, Version: 2, TS: 1,
			Origin: &wire.Origin{ClientID: r.s.ClientID(), MutationID: mutationID(call)}})
		assert.Equal(t, store.Waiting, p.Status(), "the list's own answer or echo settles it")
		_, ok := r.lists.Get("L")
		assert.False(t, ok, "the deleted list stays deleted")
		r.answer(call, 200, wire.DeleteResponse{ID: "L", Version: 3, Deleted: true, Topic: "lists", Seq: 2, MutationID: mutationID(call)})
		assert.Equal(t, store.Succeeded, p.Status())
	})
}

func TestStopDuringDialLeaksNothing(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t, func(o *Options) {
			o.Dial = func(ctx context.Context, url string) (Conn, error) {
				<-ctx.Done() // a handshake that hangs until cancelled
				return nil, ctx.Err()
			}
		})
		r.c.Start()
		r.settle()
		r.c.Stop()
		r.settle() // the bubble would report the dial goroutine as leaked
		assert.Equal(t, Offline, r.c.State())
	})
}

func TestServerResyncOfALiveTopicIsBounded(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonSlow, Mode: wire.ModeSnapshot})
		for range 70 { // heartbeats keep coming, live never does
			if srv.Write(t.Context(), []byte(`{"t":"hb"}`)) != nil {
				break // the client gave up on this connection
			}
			r.clock.Advance(time.Second)
			r.settle()
		}
		assert.Contains(t, r.closes, wire.CloseProtocolError, "the catch-up timed out")
	})
}

func TestReadErrorClosesWithTheClientsOwnCode(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		_ = srv.Close(wire.CloseGoingAway, "")
		r.settle()
		require.NotEmpty(t, r.closes)
		assert.Equal(t, wire.CloseHeartbeat, r.closes[len(r.closes)-1], "B27: a 4xxx of its own after a read error")
	})
}

func TestReconnectDelayNeverOverflows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 70 {
		d := reconnectDelay(rng, 20*time.Second, 5*time.Minute, n)
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.LessOrEqual(t, d, 5*time.Minute)
	}
}

func TestWelcomeAcknowledgementDoesNotFlicker(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		var seen []bool
		r.g.Effect(func() { _, ok := r.todos.Get("a"); seen = append(seen, ok) })
		create := store.NewMutation(r.todos, nil, func(id string) store.Op[Todo] {
			return store.Create(id, Todo{ID: id, Title: "x"})
		})
		p := create.Run("a")
		call := r.restCall()
		call.resp <- restResult{err: assert.AnError} // the answer is lost
		_ = srv.Close(wire.CloseGoingAway, "")
		r.settle()
		r.clock.Advance(300 * time.Millisecond)
		srv, _ = r.connect(mutationID(call))
		r.send(srv, wire.Resync{Topic: "todos", Reason: wire.ReasonGap, Mode: wire.ModeReplay})
		e := ev("todos", 1, "a", "x")
		e.Op, e.Origin = wire.OpCreate, &wire.Origin{ClientID: r.s.ClientID(), MutationID: mutationID(call)}
		r.send(srv, e)
		r.send(srv, wire.Live{Topic: "todos", Epoch: "e1", Seq: 1})
		r.send(srv, wire.Live{Topic: "lists", Epoch: "e1", Seq: 0})
		assert.Equal(t, []bool{false, true}, seen, "shown once, never hidden in between")
		assert.Equal(t, store.Succeeded, p.Status(), "its echo in the replay tells how it went")
	})
}

func TestSnapshotsReachTheCacheBridge(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		var replaced []string
		r := newRig(t, func(o *Options) { o.OnReplace = func(topic string) { replaced = append(replaced, topic) } })
		srv, subs := r.connect(0)
		r.goLive(srv, subs)
		assert.ElementsMatch(t, []string{"todos", "lists"}, replaced)
	})
}

func TestUnauthorizedStopsReconnecting(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		r := newRig(t)
		r.c.Start()
		srv := r.accept()
		r.recv(srv) // hello
		_ = srv.Close(wire.CloseUnauthorized, "bad token")
		r.settle()
		assert.Equal(t, Unauthorized, r.c.State())
		r.clock.Advance(time.Hour)
		r.settle()
		select {
		case <-r.conns:
			t.Fatal("reconnected with the refused credentials")
		default:
		}
		r.c.Reconnect() // the app has a new token
		r.accept()
	})
}
