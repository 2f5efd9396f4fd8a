package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// TestConformance runs the behaviours that depend on the store, each row
// named by the spec id it proves, on every Store implementation: SQLite,
// the in-memory store and PostgreSQL (with TestStoreContract,
// TestResetLog_newEpochSameSeqNoEvents and
// TestInvariant4_B29_eachCommitEmitsOneEventWithTheNextSeq, which run on
// each of them too).
func TestConformance(t *testing.T) {
	for _, row := range []struct {
		id  string
		run func(t *testing.T, st Store)
	}{
		{"B10 a retry gets the stored answer and applies once", conformB10},
		{"B11 a processed mutationID whose answer is gone is refused, never applied", conformB11},
		{"B34 a permanent error is recorded as processed", conformB34},
		{"Inv5 concurrent copies of one mutation apply once", conformInv5},
		{"B12 a delete leaves a tombstone and the id is never reused", conformB12},
		{"Unique an index refuses a second entity with the same key", conformUnique},
		{"B16 a cursor within retention replays exactly the missing events", conformB16},
		{"B17 a cursor older than Retention gets a snapshot", conformB17Count},
		{"B17 a cursor older than RetentionAge gets a snapshot", conformB17Age},
	} {
		t.Run(row.id, func(t *testing.T) {
			eachStore(t, row.run)
		})
	}
}

func conformB10(t *testing.T, st Store) {
	env := newEnv(t, st, Options{})
	first := env.do("POST", "/api/lists", map[string]any{"id": "l1", "name": "A"}, mut(client1, 5)...)
	require.Equal(t, http.StatusCreated, first.status, string(first.body))
	events := len(env.bus.all())
	again := env.do("POST", "/api/lists", map[string]any{"id": "l1", "name": "B"}, mut(client1, 5)...)
	require.Equal(t, http.StatusCreated, again.status)
	a, err := wire.DecodeMutationResponse(first.body)
	require.NoError(t, err)
	b, err := wire.DecodeMutationResponse(again.body)
	require.NoError(t, err)
	assert.True(t, b.Duplicate)
	b.Duplicate = false
	assert.Equal(t, a, b)
	assert.Len(t, env.bus.all(), events, "B33: a duplicate emits no event")
}

func conformB11(t *testing.T, st Store) {
	env := newEnv(t, st, Options{ResponseRetention: 2})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "A"}, mut(client1, 1)...)
	for i, name := range []string{"B", "C", "D"} {
		require.Equal(t, 200, env.do("PATCH", "/api/lists/l1", `{"name":"`+name+`"}`, mut(client1, uint64(7+i))...).status)
	}
	r := env.do("PATCH", "/api/lists/l1", `{"name":"late"}`, mut(client1, 1)...)
	require.Equal(t, 409, r.status, string(r.body))
	assert.Equal(t, wire.CodeProcessed, r.errBody(t).Error.Code)
	it, err := wire.DecodeItem(env.do("GET", "/api/lists/l1", nil).body)
	require.NoError(t, err)
	assert.JSONEq(t, `"D"`, string(mustField(t, it.Data, "name")))
}

func conformB34(t *testing.T, st Store) {
	env := newEnv(t, st, Options{})
	require.Equal(t, 422, env.do("POST", "/api/lists", `{"id":"l1","name":""}`, mut(client1, 3)...).status)
	r := env.do("POST", "/api/lists", `{"id":"l1","name":"ok"}`, mut(client1, 3)...)
	require.Equal(t, 422, r.status)
	assert.True(t, r.errBody(t).Duplicate)
	var cl ClientState
	require.NoError(t, st.View(context.Background(), func(rt ReadTx) error {
		var err error
		cl, _, err = rt.Client(context.Background(), client1)
		return err
	}))
	assert.Equal(t, uint64(3), cl.LastMutationID)
	assert.Empty(t, env.bus.all())
}

func conformInv5(t *testing.T, st Store) {
	env := newEnv(t, st, Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "A"})
	n := len(env.bus.all())
	results := make([]resp, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			results[i] = env.do("POST", "/api/todos", map[string]any{"id": "t1", "listId": "l1", "title": "once"}, mut(client2, 42)...)
		})
	}
	wg.Wait()
	originals := 0
	for _, r := range results {
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		mr, err := wire.DecodeMutationResponse(r.body)
		require.NoError(t, err)
		if !mr.Duplicate {
			originals++
		}
	}
	assert.Equal(t, 1, originals)
	assert.Len(t, env.bus.all(), n+1)
}

func conformB12(t *testing.T, st Store) {
	env := newEnv(t, st, Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "A"})
	env.mustCreate("todos", map[string]any{"id": "t1", "listId": "l1", "title": "x"})
	r := env.do("DELETE", "/api/lists/l1", nil)
	require.Equal(t, 200, r.status, string(r.body))
	got := env.do("GET", "/api/todos/t1", nil)
	assert.Equal(t, 404, got.status, "the cascade deleted the list's todo")
	r = env.do("POST", "/api/lists", map[string]any{"id": "l1", "name": "again"})
	require.Equal(t, 409, r.status)
	e := r.errBody(t)
	assert.Equal(t, wire.CodeDeleted, e.Error.Code)
	require.NotNil(t, e.Error.Current)
	assert.Equal(t, uint64(2), e.Error.Current.Version, "the tombstone's version: the second event of lists")
}

func conformUnique(t *testing.T, st Store) {
	env := newEnv(t, st, Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "A"})
	env.mustCreate("lists", map[string]any{"id": "l2", "name": "B"})
	env.mustCreate("todos", map[string]any{"id": "t1", "listId": "l1", "title": "Milk"})
	r := env.do("POST", "/api/todos", map[string]any{"id": "t2", "listId": "l1", "title": " milk "})
	require.Equal(t, 422, r.status, string(r.body))
	assert.Contains(t, r.errBody(t).Error.Fields, "title")
	env.mustCreate("todos", map[string]any{"id": "t3", "listId": "l2", "title": "milk"}) // another list: another key
}

// sinceCursor subscribes to topic from since on a new connection and
// returns what came before live, and live.
func sinceCursor(t *testing.T, env *testEnv, since *wire.Cursor) ([]wire.ServerMessage, wire.Live) {
	t.Helper()
	c, _, err := dialWS(t, env, "")
	require.NoError(t, err)
	writeMsg(t, c, wire.Hello{V: 1, ClientID: client2})
	_, ok := readMsg(t, c).(wire.Welcome)
	require.True(t, ok)
	writeMsg(t, c, wire.Sub{Topic: "lists", Since: since})
	var got []wire.ServerMessage
	for {
		switch m := readMsg(t, c).(type) {
		case wire.Live:
			return got, m
		case wire.HB:
		default:
			got = append(got, m)
		}
	}
}

func createLists(t *testing.T, env *testEnv, from, to int) string {
	t.Helper()
	var epoch string
	for i := from; i <= to; i++ {
		epoch = env.mustCreate("lists", map[string]any{"id": fmt.Sprintf("l%02d", i), "name": "x"}).Epoch
	}
	return epoch
}

func conformB16(t *testing.T, st Store) {
	env := newEnv(t, st, Options{})
	epoch := createLists(t, env, 1, 5)
	got, live := sinceCursor(t, env, &wire.Cursor{Epoch: epoch, Seq: 2})
	require.Len(t, got, 4)
	assert.Equal(t, wire.Resync{Topic: "lists", Reason: wire.ReasonGap, Mode: wire.ModeReplay}, got[0])
	for i, m := range got[1:] {
		ev := m.(wire.Event)
		assert.Equal(t, uint64(3+i), ev.Seq)
		assert.Equal(t, fmt.Sprintf("l%02d", 3+i), ev.ID)
	}
	assert.Equal(t, uint64(5), live.Seq)
	got, live = sinceCursor(t, env, &wire.Cursor{Epoch: epoch, Seq: 5})
	assert.Empty(t, got, "nothing missed: straight to live")
	assert.Equal(t, uint64(5), live.Seq)
}

// snapshotIDs checks that got is a resync for retention then a snapshot,
// and returns the snapshot's ids.
func snapshotIDs(t *testing.T, got []wire.ServerMessage) []string {
	t.Helper()
	require.GreaterOrEqual(t, len(got), 2)
	assert.Equal(t, wire.Resync{Topic: "lists", Reason: wire.ReasonRetention, Mode: wire.ModeSnapshot}, got[0])
	var ids []string
	for _, m := range got[1:] {
		for _, it := range m.(wire.Snapshot).Items {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

func conformB17Count(t *testing.T, st Store) {
	env := newEnv(t, st, Options{Retention: 3})
	epoch := createLists(t, env, 1, 6) // the log keeps 4, 5, 6
	got, live := sinceCursor(t, env, &wire.Cursor{Epoch: epoch, Seq: 2})
	assert.Equal(t, []string{"l01", "l02", "l03", "l04", "l05", "l06"}, snapshotIDs(t, got))
	assert.Equal(t, uint64(6), live.Seq)
	got, _ = sinceCursor(t, env, &wire.Cursor{Epoch: epoch, Seq: 3})
	require.Len(t, got, 4, "3 is the oldest cursor the log can serve")
	assert.Equal(t, wire.ModeReplay, got[0].(wire.Resync).Mode)
}

func conformB17Age(t *testing.T, st Store) {
	clock := newManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env := newEnv(t, st, Options{Clock: clock, RetentionAge: time.Hour})
	epoch := createLists(t, env, 1, 3)
	clock.Advance(50 * time.Minute)
	createLists(t, env, 4, 4)
	clock.Advance(30 * time.Minute) // the prune at 1h15 drops 1–3 (older than 1h then), not 4
	var ts TopicState
	require.NoError(t, st.View(context.Background(), func(rt ReadTx) error {
		var err error
		ts, _, err = rt.Topic(context.Background(), "lists")
		return err
	}))
	assert.Equal(t, TopicState{Epoch: epoch, Seq: 4, MinSeq: 4}, ts)
	got, live := sinceCursor(t, env, &wire.Cursor{Epoch: epoch, Seq: 2})
	assert.Equal(t, []string{"l01", "l02", "l03", "l04"}, snapshotIDs(t, got))
	assert.Equal(t, uint64(4), live.Seq)
	got, _ = sinceCursor(t, env, &wire.Cursor{Epoch: epoch, Seq: 3})
	require.Len(t, got, 2, "a replay of 4")
	assert.Equal(t, uint64(4), got[1].(wire.Event).Seq)
}

// manualClock is a Clock that moves only on Advance, which runs the timers
// that come due, in order, on the caller's goroutine.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	next   int
	timers map[int]manualTimer
}

type manualTimer struct {
	at time.Time
	n  int // arming order, to break ties
	f  func()
}

func newManualClock(t0 time.Time) *manualClock {
	return &manualClock{now: t0, timers: make(map[int]manualTimer)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.next
	c.next++
	c.timers[id] = manualTimer{at: c.now.Add(d), n: id, f: f}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, armed := c.timers[id]
		delete(c.timers, id)
		return armed
	}
}

// Advance moves the clock by d, running each timer due meanwhile at its
// time (a timer a timer arms runs too, if due).
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		due := slices.SortedFunc(func(yield func(manualTimer) bool) {
			for _, tm := range c.timers {
				if !tm.at.After(end) && !yield(tm) {
					return
				}
			}
		}, func(a, b manualTimer) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return a.n - b.n
		})
		if len(due) == 0 {
			break
		}
		tm := due[0]
		delete(c.timers, tm.n)
		c.now = tm.at
		c.mu.Unlock()
		tm.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}
