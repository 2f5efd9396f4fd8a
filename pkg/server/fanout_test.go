package server

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// countingPuts counts the entity writes of every transaction.
type countingPuts struct {
	Store
	puts atomic.Int64
}

func (c *countingPuts) Update(ctx context.Context, fn func(WriteTx) error) error {
	return c.Store.Update(ctx, func(tx WriteTx) error { return fn(putCounter{tx, c}) })
}

type putCounter struct {
	WriteTx
	c *countingPuts
}

func (p putCounter) Put(ctx context.Context, rec Record) error {
	p.c.puts.Add(1)
	return p.WriteTx.Put(ctx, rec)
}

// Finding 4: deleting a list with 5,000 todos held the only writer,
// published 5,000 events at once, and anyone could create the todos and
// repeat it.
func TestMaxChanges_aCascadeBeyondTheBoundIsRefusedWhole(t *testing.T) {
	st := &countingPuts{Store: NewMemStore()}
	env := newEnv(t, st, Options{MaxChanges: 100, Quotas: Unlimited()})
	for _, l := range []struct {
		id    string
		todos int
	}{{"big", 150}, {"fits", 99}} {
		env.mustCreate("lists", `{"id":"`+l.id+`","name":"x"}`)
		for i := range l.todos {
			env.mustCreate("todos", fmt.Sprintf(`{"id":"%s-%d","listId":%q,"title":"t%d"}`, l.id, i, l.id, i))
		}
	}
	events, puts := len(env.bus.all()), st.puts.Load()

	r := env.do("DELETE", "/api/lists/big", nil, mut(client1, 1)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	e := r.errBody(t)
	assert.Equal(t, wire.CodeRejected, e.Error.Code)
	assert.Equal(t, "this mutation would change more than 100 entities; change fewer at once", e.Error.Message)
	assert.Len(t, env.bus.all(), events, "nothing was published")
	assert.LessOrEqual(t, st.puts.Load()-puts, int64(100), "the writer stopped at the bound")
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/lists/big", nil).status, "nothing was deleted")
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/todos/big-0", nil).status)
	assert.True(t, env.do("DELETE", "/api/lists/big", nil, mut(client1, 1)...).errBody(t).Duplicate, "recorded")

	r = env.do("DELETE", "/api/lists/fits", nil, mut(client1, 2)...)
	require.Equal(t, http.StatusOK, r.status, "99 todos and their list: 100 changes")
	assert.Len(t, env.bus.all(), events+100)
}

func TestMaxChanges_holdsEvenWhenAHookIgnoresTheError(t *testing.T) {
	type parent struct {
		ID   string `json:"id"`
		Kids int    `json:"kids"`
	}
	st := NewMemStore()
	s := New(st, Options{MaxChanges: 10, Logger: quietLogger(), Bus: &recordingBus{}})
	parents := form.Define("parents", form.Int("kids", func(p *parent) *int { return &p.Kids })).ReadOnly()
	require.NoError(t, Register(s, parents, Hooks[parent]{
		BeforeDelete: func(ctx context.Context, tx *Tx, old parent) error {
			for i := range old.Kids {
				_ = tx.Delete("parents", fmt.Sprintf("%s.%d", old.ID, i)) // errors ignored
			}
			return nil
		},
	}))
	env := &testEnv{t: t, srv: s, store: st}
	env.http = newHTTP(t, s)
	env.mustCreate("parents", `{"id":"p","kids":20}`)
	for i := range 20 {
		env.mustCreate("parents", fmt.Sprintf(`{"id":"p.%d"}`, i))
	}
	r := env.do("DELETE", "/api/parents/p", nil)
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/parents/p.0", nil).status, "rolled back")
}

// follower applies one topic's messages as a client does (PROTOCOL.md §4)
// and fails on anything a client would have to resync for.
type follower struct {
	t       *testing.T
	seq     uint64 // the cursor
	resyncs []wire.Resync
	events  int
}

// read applies what c's server sends up to and including live.
func (f *follower) read(c *tclient) {
	f.t.Helper()
	for {
		switch m := readNow(f.t, c).(type) {
		case nil:
			code, closed := c.p.closeCode()
			f.t.Fatalf("the server stopped before live (closed %v with %d)", closed, code)
		case wire.Snapshot:
			if m.Last {
				f.seq = m.Seq
			}
		case wire.Resync:
			f.resyncs = append(f.resyncs, m)
		case wire.Event:
			require.Equal(f.t, f.seq, m.Prev, "event %d: a gap after %d", m.Seq, f.seq)
			f.seq = m.Seq
			f.events++
		case wire.Live:
			require.Equal(f.t, f.seq, m.Seq, "live matches the cursor")
			return
		}
	}
}

func (b *bubble) listWithTodos(id string, n int) {
	b.create("lists", `{"id":"`+id+`","name":"x"}`)
	for i := range n {
		b.create("todos", fmt.Sprintf(`{"id":"%s-%d","listId":%q,"title":"t%d"}`, id, i, id, i))
	}
}

func todosSeq(t *testing.T, b *bubble) uint64 {
	var seq uint64
	require.NoError(t, b.s.store.View(context.Background(), func(rt ReadTx) error {
		st, _, err := rt.Topic(context.Background(), "todos")
		seq = st.Seq
		return err
	}))
	return seq
}

// Finding 4: one mutation's 5,000 events, published at once, closed every
// subscriber of the topic with 4002: all of them had to reconnect and
// resync at once.
func TestB32_aBurstFromOnePublishIsReplayedNotClosedWith4002(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{SendQueue: 64})
		defer b.stop()
		b.listWithTodos("l1", 200)
		c := b.slowClient(client1) // the writer waits for each read
		f := &follower{t: t}
		c.send(wire.Sub{Topic: "todos"})
		f.read(c)

		rec := b.do("DELETE", "/api/lists/l1", "")
		require.Equal(t, http.StatusOK, rec.Code, "201 events in one publish, 200 for todos")
		f.read(c)
		_, closed := c.p.closeCode()
		require.False(t, closed, "not closed")
		require.Equal(t, []wire.Resync{{Topic: "todos", Reason: wire.ReasonSlow, Mode: wire.ModeReplay}}, f.resyncs)
		assert.Equal(t, 200, f.events, "every delete, replayed from the store")
		assert.Equal(t, todosSeq(t, b), f.seq)

		b.create("lists", `{"id":"l2","name":"y"}`)
		b.create("todos", `{"id":"after","listId":"l2","title":"x"}`)
		ev := readNow(t, c).(wire.Event)
		assert.Equal(t, f.seq+1, ev.Seq, "live again")
	})
}

func TestB32_aBurstWhileSubscribingIsReplayedAfterTheSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{SubscribeBuffer: 50})
		defer b.stop()
		b.listWithTodos("l1", 100)
		c := b.slowClient(client1)
		// Right after the snapshot's first page, the list is deleted: 100
		// todo events to hold, more than SubscribeBuffer.
		b.st.arm(0, nil, func() { require.Equal(t, http.StatusOK, b.do("DELETE", "/api/lists/l1", "").Code) })
		c.send(wire.Sub{Topic: "todos"})
		f := &follower{t: t}
		f.read(c)
		_, closed := c.p.closeCode()
		require.False(t, closed)
		require.Len(t, f.resyncs, 1)
		assert.Equal(t, wire.Resync{Topic: "todos", Reason: wire.ReasonSlow, Mode: wire.ModeReplay}, f.resyncs[0])
		assert.Equal(t, todosSeq(t, b), f.seq)
	})
}

func TestB32_aConsumerThatWasNotKeepingUpIsStillClosedWith4002(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{SendQueue: 64})
		defer b.stop()
		b.listWithTodos("l1", 100)
		c := b.slowClient(client1)
		f := &follower{t: t}
		c.send(wire.Sub{Topic: "todos"})
		f.read(c)
		for i := range 40 { // one at a time: the queue fills past half
			b.create("todos", fmt.Sprintf(`{"id":"x%d","listId":"l1","title":"x%d"}`, i, i))
		}
		require.Equal(t, http.StatusOK, b.do("DELETE", "/api/lists/l1", "").Code)
		synctest.Wait()
		code, closed := c.p.closeCode()
		require.True(t, closed)
		assert.Equal(t, wire.CloseSlowConsumer, code)
	})
}
