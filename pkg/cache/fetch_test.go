package cache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func TestQB04_filtersCombineWithAnd(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		active := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("a", 1), Fn: g.fn})
		defer active.Subscribe(func() {})()
		disabled := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("a", 2), Fn: g.fn, Disabled: true})
		defer disabled.Subscribe(func() {})()
		require.NoError(t, cache.SetQueryData(e.c, key("a", 3), 3))
		require.NoError(t, cache.SetQueryData(e.c, key("b"), 4))

		hashes := func(f cache.Filter) []string {
			var out []string
			for _, q := range e.c.Find(f) {
				out = append(out, q.Hash)
			}
			return out
		}
		assert.ElementsMatch(t, []string{`["a",1]`}, hashes(cache.Filter{Key: key("a"), Type: cache.QueryActive}), "active means an enabled observer")
		assert.ElementsMatch(t, []string{`["a",2]`, `["a",3]`}, hashes(cache.Filter{Key: key("a"), Type: cache.QueryInactive}))
		assert.ElementsMatch(t, []string{`["a",1]`}, hashes(cache.Filter{Key: key("a"), FetchStatus: cache.Fetching}))
		e.c.InvalidateQueries(cache.Filter{Key: key("a", 3), Exact: true}, cache.InvalidateOptions{RefetchType: cache.RefetchNone})
		assert.ElementsMatch(t, []string{`["a",3]`}, hashes(cache.Filter{Key: key("a"), Stale: cache.StaleOnly, Type: cache.QueryInactive, Predicate: func(q cache.QueryInfo) bool { return q.HasData }}))
		assert.ElementsMatch(t, []string{`["a",2]`, `["b"]`}, hashes(cache.Filter{Stale: cache.FreshOnly}), "a disabled observer is never stale; unobserved data is fresh until invalidated")
		g.answer(1)
	})
}

func TestQB05_queryDefaultsApplyToLongerKeysOnly(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, e.c.SetQueryDefaults(key("a"), cache.Defaults{StaleTime: time.Minute}))
		require.NoError(t, e.c.SetQueryDefaults(key("a", "b"), cache.Defaults{Timeout: time.Second}))
		assert.Equal(t, time.Minute, e.c.QueryDefaults(key("a", "b")).StaleTime)
		assert.Equal(t, time.Second, e.c.QueryDefaults(key("a", "b")).Timeout)
		assert.Zero(t, e.c.QueryDefaults(key("a")).Timeout, "['a','b'] does not apply to ['a']")

		// and they take effect: a fresh-by-default query does not refetch on mount
		c := &counter{}
		require.NoError(t, cache.SetQueryData(e.c, key("a", "x"), 0))
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("a", "x"), Fn: c.fn})
		defer o.Subscribe(func() {})()
		e.settle()
		assert.Zero(t, c.calls.Load())
	})
}

func TestQB06_functionWithoutDataIsAnError(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		_, err := cache.Fetch(e.ctx(), e.c, cache.QueryOptions[any]{Key: key("u"), Fn: func(context.Context, cache.Key) (any, error) { return nil, nil }})
		assert.ErrorIs(t, err, cache.ErrNoData)
		st, ok := e.c.QueryState(key("u"))
		require.True(t, ok)
		assert.Equal(t, cache.StatusError, st.Status)
	})
}

func TestQB07_observersShareOneFetch(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[string](true)
		opts := cache.QueryOptions[string]{Key: key("todos"), Fn: g.fn}
		a, b := cache.NewObserver(e.c, opts), cache.NewObserver(e.c, opts)
		ra, rb := record(a), record(b)
		defer ra.unsub()
		defer rb.unsub()
		e.settle()
		assert.Equal(t, cache.StatusPending, a.Result().Status)
		assert.Equal(t, cache.StatusPending, b.Result().Status)
		g.answer("x")
		assert.EqualValues(t, 1, g.calls.Load())
		for _, r := range []*recorder[cache.Result[string]]{ra, rb} {
			last := r.last()
			assert.Equal(t, cache.StatusSuccess, last.Status)
			assert.Equal(t, "x", last.Data)
		}
	})
}

func TestQB08_fetchWhileFetchingJoins(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		var fetchEvents int
		defer e.c.Subscribe(func(ev cache.Event) {
			if ev.Type == cache.EventUpdated {
				fetchEvents++
			}
		})()
		opts := cache.QueryOptions[int]{Key: key("q"), Fn: g.fn}
		w1 := cache.Prefetch(e.c, opts)
		w2 := cache.Prefetch(e.c, opts)
		e.settle()
		assert.EqualValues(t, 1, g.calls.Load())
		assert.Equal(t, 1, fetchEvents, "one fetch transition")
		g.answer(7)
		require.NoError(t, w1.Wait(e.ctx()))
		require.NoError(t, w2.Wait(e.ctx()))
		v, ok := cache.GetQueryData[int](e.c, key("q"))
		assert.True(t, ok)
		assert.Equal(t, 7, v)
	})
}

func TestQB09_subscribeStartsFetchAndShowsPendingFirst(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		// In Go a query function always runs on its own goroutine; the gate
		// holds it so that the check below cannot race with it.
		g := newGate[int](false)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
		first := o.Result()
		assert.Equal(t, cache.StatusPending, first.Status)
		assert.Equal(t, cache.Fetching, first.FetchStatus, "unsubscribed, the result predicts the mount fetch")
		r := record(o)
		defer r.unsub()
		assert.True(t, o.Result().IsLoading(), "pending and fetching from the first result on")
		e.settle()
		g.answer(1)
		assert.Equal(t, cache.StatusSuccess, r.last().Status)
		assert.Equal(t, 1, r.last().Data)
	})
}

func TestQB10_invalidateCancelsInFlightFetchByDefault(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
		defer o.Subscribe(func() {})()
		e.settle()
		g.answer(1)
		o.Refetch()
		e.settle()
		e.c.InvalidateQueries(cache.Filter{Key: key("q")}, cache.InvalidateOptions{})
		e.settle()
		assert.EqualValues(t, 3, g.calls.Load(), "a new call replaced the aborted one")
		assert.EqualValues(t, 1, g.aborts.Load())
		g.answer(2)
		assert.Equal(t, 2, o.Result().Data)
		assert.Equal(t, cache.FetchIdle, o.Result().FetchStatus)
	})
}

func TestQB11_noCancelRefetchJoinsInFlightFetch(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
		defer o.Subscribe(func() {})()
		e.settle()
		g.answer(1)
		o.Refetch()
		e.settle()
		e.c.InvalidateQueries(cache.Filter{Key: key("q")}, cache.InvalidateOptions{NoCancelRefetch: true})
		e.settle()
		assert.EqualValues(t, 2, g.calls.Load())
		assert.Zero(t, g.aborts.Load())
		g.answer(2)
	})
}

func TestQB12_refetchBeforeFirstDataDedupes(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
		defer o.Subscribe(func() {})()
		e.settle()
		o.Refetch()
		e.settle()
		assert.EqualValues(t, 1, g.calls.Load(), "no data yet: the refetch joins")
		assert.Zero(t, g.aborts.Load())
		g.answer(1)
	})
}

func TestQB13_focusAndReconnectNeverCancelAndResumePausedRetries(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn, RefetchOnWindowFocus: cache.RefetchAlways, RefetchOnReconnect: cache.RefetchAlways})
		defer o.Subscribe(func() {})()
		e.settle()
		g.answer(1)
		o.Refetch()
		e.settle()
		e.setFocused(false)
		e.setFocused(true)
		e.setOnline(false)
		e.setOnline(true)
		assert.EqualValues(t, 2, g.calls.Load())
		assert.Zero(t, g.aborts.Load())
		g.answer(2)

		// a retry paused while unfocused resumes on focus
		e.setFocused(false)
		o.Refetch()
		e.settle()
		g.fail(errors.New("boom"))
		e.advance(time.Second)
		assert.Equal(t, cache.FetchPaused, o.Result().FetchStatus)
		e.setFocused(true)
		assert.Equal(t, cache.Fetching, o.Result().FetchStatus)
		g.answer(3)
		assert.Equal(t, 3, o.Result().Data)
	})
}

func TestQB14_cancelRevertsAndFetchReturnsPreviousData(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		opts := cache.QueryOptions[int]{Key: key("q"), Fn: g.fn}
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 1))
		before, _ := e.c.QueryState(key("q"))
		var got int
		var err error
		done := make(chan struct{})
		go func() { got, err = cache.Fetch(context.Background(), e.c, opts); close(done) }()
		e.settle()
		st, _ := e.c.QueryState(key("q"))
		require.Equal(t, cache.Fetching, st.FetchStatus)
		e.c.CancelQueries(cache.Filter{Key: key("q")}, cache.CancelOptions{})
		<-done
		require.NoError(t, err)
		assert.Equal(t, 1, got)
		st, _ = e.c.QueryState(key("q"))
		assert.Equal(t, cache.FetchIdle, st.FetchStatus)
		assert.Equal(t, before.Status, st.Status)
		assert.Equal(t, before.DataUpdatedAt, st.DataUpdatedAt)
		e.settle()
		assert.EqualValues(t, 1, g.aborts.Load(), "the function's context was cancelled")
	})
}

func TestQB15_cancellingInitialFetchRejectsWithCancelledError(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		var err error
		done := make(chan struct{})
		go func() {
			_, err = cache.Fetch(context.Background(), e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
			close(done)
		}()
		e.settle()
		e.c.CancelQueries(cache.Filter{}, cache.CancelOptions{})
		<-done
		assert.True(t, cache.IsCancelled(err))
		st, _ := e.c.QueryState(key("q"))
		assert.Equal(t, cache.StatusPending, st.Status)
		assert.Equal(t, cache.FetchIdle, st.FetchStatus)
		assert.NoError(t, st.Error)
	})
}

func TestQB16_cancelWithoutRevertLeavesError(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		w := cache.Prefetch(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
		e.settle()
		e.c.CancelQueries(cache.Filter{Key: key("q")}, cache.CancelOptions{NoRevert: true})
		require.NoError(t, w.Wait(e.ctx()), "cancellations are not reported by Wait")
		st, _ := e.c.QueryState(key("q"))
		assert.Equal(t, cache.StatusError, st.Status)
		assert.True(t, cache.IsCancelled(st.Error))
	})
}

func TestQB17_lastObserverLeavingAbortsOnlyIfContextConsumed(t *testing.T) {
	t.Run("consumed: aborted and reverted", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			g := newGate[int](true)
			o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
			unsub := o.Subscribe(func() {})
			e.settle()
			unsub()
			e.settle()
			assert.EqualValues(t, 1, g.aborts.Load())
			st, _ := e.c.QueryState(key("q"))
			assert.Equal(t, cache.StatusPending, st.Status)
			assert.Equal(t, cache.FetchIdle, st.FetchStatus)
		})
	})
	t.Run("not consumed: runs to completion and caches", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			g := newGate[int](false)
			o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
			unsub := o.Subscribe(func() {})
			e.settle()
			unsub()
			g.answer(5)
			v, ok := cache.GetQueryData[int](e.c, key("q"))
			assert.True(t, ok)
			assert.Equal(t, 5, v)
		})
	})
}

func TestQB18_unsubscribingStopsFurtherRetries(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](false)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn, Retry: cache.RetryCount(5), RetryDelay: func(int, error) time.Duration { return 10 * time.Millisecond }})
		unsub := o.Subscribe(func() {})
		e.settle()
		g.fail(errors.New("1"))
		e.advance(10 * time.Millisecond) // second attempt starts
		require.EqualValues(t, 2, g.calls.Load())
		unsub()
		g.fail(errors.New("2")) // the current attempt was not aborted: it completes
		e.advance(time.Second)
		assert.EqualValues(t, 2, g.calls.Load(), "no further retries")
		st, _ := e.c.QueryState(key("q"))
		assert.Equal(t, cache.StatusError, st.Status)
	})
}

func TestQB19_overlappingInvalidationsThenUnmountEndIdle(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		opts := cache.QueryOptions[int]{Key: key("q"), Fn: g.fn}
		o := cache.NewObserver(e.c, opts)
		unsub := o.Subscribe(func() {})
		e.settle()
		g.answer(1)
		e.c.InvalidateQueries(cache.Filter{Key: key("q")}, cache.InvalidateOptions{})
		e.settle()
		e.c.InvalidateQueries(cache.Filter{Key: key("q")}, cache.InvalidateOptions{})
		e.settle()
		unsub()
		e.settle()
		st, _ := e.c.QueryState(key("q"))
		assert.Equal(t, cache.FetchIdle, st.FetchStatus, "never stuck fetching")
		v, _ := cache.GetQueryData[int](e.c, key("q"))
		assert.Equal(t, 1, v, "the last good data")
		o2 := cache.NewObserver(e.c, opts)
		defer o2.Subscribe(func() {})()
		e.settle()
		g.answer(2)
		assert.Equal(t, 2, o2.Result().Data)
	})
}

func TestQB20_cancelSettledIsNoopAndCancelledCanRefetch(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		opts := cache.QueryOptions[int]{Key: key("q"), Fn: g.fn}
		w := cache.Prefetch(e.c, opts)
		e.settle()
		g.answer(1)
		require.NoError(t, w.Wait(e.ctx()))
		before, _ := e.c.QueryState(key("q"))
		e.c.CancelQueries(cache.Filter{}, cache.CancelOptions{})
		after, _ := e.c.QueryState(key("q"))
		assert.Equal(t, before, after)

		e.c.InvalidateQueries(cache.Filter{}, cache.InvalidateOptions{RefetchType: cache.RefetchAllQueries})
		e.settle()
		e.c.CancelQueries(cache.Filter{}, cache.CancelOptions{})
		e.settle()
		w = e.c.RefetchQueries(cache.Filter{}, cache.RefetchOptions{})
		e.settle()
		g.answer(2)
		require.NoError(t, w.Wait(e.ctx()))
		v, _ := cache.GetQueryData[int](e.c, key("q"))
		assert.Equal(t, 2, v)
	})
}
