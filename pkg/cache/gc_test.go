package cache_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func TestQB45_unobservedQueriesAreCollectedAfterGCTime(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, StaleTime: cache.Never})
		unsub := o.Subscribe(func() {})
		e.settle()
		unsub()
		e.advance(cache.DefaultGCTime - time.Millisecond)
		assert.Equal(t, 1, e.c.Len())
		e.advance(time.Millisecond)
		assert.Zero(t, e.c.Len(), "removed after the default 5 minutes")

		now := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("z"), Fn: c.fn, StaleTime: cache.Never, GCTime: cache.Dur(0)})
		unsub = now.Subscribe(func() {})
		e.settle()
		unsub()
		assert.Equal(t, 1, e.c.Len(), "not synchronously")
		e.advance(0)
		assert.Zero(t, e.c.Len(), "removed on the next tick")
		defer now.Subscribe(func() {})()
		e.settle()
		assert.EqualValues(t, 3, c.calls.Load(), "re-subscribing refetches")
	})
}

func TestQB46_observedOrFetchingQueriesAreKept(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](false)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn, GCTime: cache.Dur(time.Second)})
		unsub := o.Subscribe(func() {})
		e.advance(time.Hour)
		assert.Equal(t, 1, e.c.Len(), "observed")
		unsub()
		e.advance(time.Hour)
		assert.Equal(t, 1, e.c.Len(), "still fetching")
		g.answer(1)
		e.advance(999 * time.Millisecond)
		assert.Equal(t, 1, e.c.Len())
		e.advance(time.Millisecond)
		assert.Zero(t, e.c.Len(), "collected gcTime after the fetch settled")
	})
}

func TestQB47_longestGCTimeWins(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		for _, d := range []time.Duration{time.Minute, 10 * time.Minute, time.Second} {
			_, err := cache.Fetch(e.ctx(), e.c, cache.QueryOptions[int]{Key: key("q"), Fn: (&counter{}).fn, GCTime: cache.Dur(d)})
			require.NoError(t, err)
		}
		e.advance(10*time.Minute - time.Millisecond)
		assert.Equal(t, 1, e.c.Len())
		e.advance(time.Millisecond)
		assert.Zero(t, e.c.Len())
	})
}

func TestQB48_mutationsAreCollectedOnceSettledAndUnobserved(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		release := make(chan struct{})
		settled := 0
		m := cache.NewMutation(e.c, cache.MutationOptions[int, int]{
			GCTime:    cache.Dur(0),
			Fn:        func(ctx context.Context, v int) (int, error) { <-release; return v, nil },
			OnSettled: func(int, error, int, any) error { settled++; return nil },
		})
		m.Mutate(1)
		e.settle()
		m.Reset() // no observer any more
		e.advance(time.Hour)
		assert.Len(t, e.c.FindMutations(cache.MutationFilter{}), 1, "a pending mutation is kept")
		close(release)
		e.settle()
		assert.Equal(t, 1, settled, "callbacks run with gcTime 0")
		e.advance(0)
		assert.Empty(t, e.c.FindMutations(cache.MutationFilter{}))

		kept := cache.NewMutation(e.c, cache.MutationOptions[int, int]{GCTime: cache.Dur(time.Minute), Fn: func(_ context.Context, v int) (int, error) { return v, nil }})
		_, err := kept.Do(e.ctx(), 1)
		require.NoError(t, err)
		e.advance(time.Hour)
		assert.Len(t, e.c.FindMutations(cache.MutationFilter{}), 1, "observed by its Mutation")
		kept.Reset()
		e.advance(time.Minute)
		assert.Empty(t, e.c.FindMutations(cache.MutationFilter{}))
	})
}

func TestQB49_setQueryDataCreatesButUpdaterMayDecline(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("a"), 1))
		assert.Equal(t, 1, e.c.Len())
		require.NoError(t, cache.UpdateQueryData(e.c, key("b"), func(int, bool) (int, bool) { return 0, false }))
		assert.Equal(t, 1, e.c.Len(), "declined: nothing created")
		require.NoError(t, cache.UpdateQueryData(e.c, key("a"), func(old int, ok bool) (int, bool) { return old + 1, ok }))
		v, _ := cache.GetQueryData[int](e.c, key("a"))
		assert.Equal(t, 2, v)
		assert.ErrorIs(t, cache.UpdateQueryData(e.c, key("a"), func(s string, _ bool) (string, bool) { return s, true }), cache.ErrTypeMismatch)
	})
}

func TestQB50_setQueryDataDuringFetchIsReplacedByTheFetch(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		w := cache.Prefetch(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
		e.settle()
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 5))
		st, _ := e.c.QueryState(key("q"))
		assert.Equal(t, cache.Fetching, st.FetchStatus)
		g.answer(6)
		require.NoError(t, w.Wait(e.ctx()))
		v, _ := cache.GetQueryData[int](e.c, key("q"))
		assert.Equal(t, 6, v, "TanStack's race; pkg/store's rebase model avoids it (QUERY.md deliberate differences)")
	})
}

func TestQB51_setQueriesDataUpdatesMatchesOnly(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("t", 1), 1))
		require.NoError(t, cache.SetQueryData(e.c, key("t", 2), 2))
		require.NoError(t, cache.SetQueryData(e.c, key("u"), 3))
		cache.SetQueriesData(e.c, cache.Filter{Key: key("t")}, func(old int, ok bool) (int, bool) { return old * 10, ok })
		cache.SetQueriesData(e.c, cache.Filter{Key: key("v")}, func(int, bool) (int, bool) { return 1, true })
		a, _ := cache.GetQueryData[int](e.c, key("t", 1))
		b, _ := cache.GetQueryData[int](e.c, key("t", 2))
		u, _ := cache.GetQueryData[int](e.c, key("u"))
		assert.Equal(t, []int{10, 20, 3}, []int{a, b, u})
		assert.Equal(t, 3, e.c.Len(), "creates none")
	})
}

// manualClock is a Clock whose time is set by hand, backwards too, and
// whose due timers fire on Fire: cachetest.Clock refuses to go back.
type manualClock struct {
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	due  time.Time
	f    func()
	done bool
}

func (c *manualClock) Now() time.Time { return c.now }

func (c *manualClock) AfterFunc(d time.Duration, f func()) func() bool {
	t := &manualTimer{due: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		was := !t.done
		t.done = true
		return was
	}
}

// Fire runs the timers due at the clock's time.
func (c *manualClock) Fire() {
	for _, t := range slices.Clone(c.timers) {
		if !t.done && !t.due.After(c.now) {
			t.done = true
			t.f()
		}
	}
}

func TestQB45_collectionFollowsDeadlinesEvenWhenTheClockGoesBack(t *testing.T) {
	clock := &manualClock{now: epoch}
	c := cache.NewClient(cache.ClientOptions{Clock: clock, DefaultQueryOptions: cache.Defaults{GCTime: cache.Dur(time.Minute)}})
	defer c.Close()
	require.NoError(t, cache.SetQueryData(c, key("a"), 1)) // due at epoch+1m
	clock.now = epoch.Add(-10 * time.Minute)
	require.NoError(t, cache.SetQueryData(c, key("b"), 1)) // due at epoch-9m, before a
	clock.now = epoch.Add(-9 * time.Minute)
	clock.Fire()
	_, okA := c.QueryState(key("a"))
	_, okB := c.QueryState(key("b"))
	assert.True(t, okA, "a is not due")
	assert.False(t, okB, "b was due")
	clock.now = epoch.Add(time.Minute)
	clock.Fire()
	assert.Zero(t, c.Len())
}

func TestQB45_queriesWithSeveralGCTimesAreEachCollectedOnTime(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		durations := []time.Duration{3 * time.Second, time.Second, 2 * time.Second, time.Second, 0}
		for i, d := range durations {
			_, err := cache.Fetch(e.ctx(), e.c, cache.QueryOptions[int]{Key: key("q", i), Fn: (&counter{}).fn, GCTime: cache.Dur(d)})
			require.NoError(t, err)
		}
		want := []int{4, 2, 1, 0} // left after 0, 1s, 2s and 3s
		for i, n := range want {
			if i > 0 {
				e.advance(time.Second - time.Millisecond)
				require.Equal(t, want[i-1], e.c.Len(), "not yet at %ds", i)
				e.advance(time.Millisecond)
			} else {
				e.advance(0)
			}
			assert.Equal(t, n, e.c.Len(), "at %ds", i)
		}
	})
}

func TestQB45_manyResubscriptionsCollectOnlyAfterTheLast(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: (&counter{}).fn, StaleTime: cache.Never, GCTime: cache.Dur(time.Minute)})
		for range 500 { // enough stale entries to compact the sweeper's queues
			o.Subscribe(func() {})()
			e.advance(time.Second)
		}
		e.advance(time.Minute - time.Second - time.Millisecond)
		assert.Equal(t, 1, e.c.Len())
		e.advance(time.Millisecond)
		assert.Zero(t, e.c.Len())
	})
}
