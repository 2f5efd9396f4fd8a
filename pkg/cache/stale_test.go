package cache_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func TestQB21_cachedDataShownAtOnceAndRefetchedInBackground(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 1))
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn})
		defer o.Subscribe(func() {})()
		r := o.Result()
		assert.Equal(t, cache.StatusSuccess, r.Status)
		assert.Equal(t, 1, r.Data)
		assert.True(t, r.IsRefetching())
		e.settle()
		g.answer(2)
		assert.Equal(t, 2, o.Result().Data)
	})
}

func TestQB22_neverStaleResubscribeDoesNotRefetch(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		opts := cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, StaleTime: cache.Never}
		o := cache.NewObserver(e.c, opts)
		unsub := o.Subscribe(func() {})
		e.settle()
		unsub()
		e.advance(time.Minute)
		defer o.Subscribe(func() {})()
		e.settle()
		assert.EqualValues(t, 1, c.calls.Load())
		assert.Equal(t, 1, o.Result().Data)
	})
}

func TestQB23_staleTimeElapsingFlipsIsStaleWithoutFetching(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		var results int
		defer e.c.Subscribe(func(ev cache.Event) {
			if ev.Type == cache.EventObserverResultsUpdated {
				results++
			}
		})()
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, StaleTime: 10 * time.Second})
		rec := record(o)
		defer rec.unsub()
		e.settle()
		require.False(t, o.Result().IsStale)
		n, before := rec.count(), results
		e.advance(10 * time.Second)
		assert.True(t, o.Result().IsStale)
		assert.Equal(t, n+1, rec.count(), "listeners told")
		assert.Equal(t, before+1, results, "observerResultsUpdated emitted")
		assert.EqualValues(t, 1, c.calls.Load(), "no fetch")
	})
}

func TestQB24_invalidateMarksAllRefetchesPerRefetchType(t *testing.T) {
	cases := []struct {
		name              string
		typ               cache.RefetchType
		active, inactive  int32
		disabledNeverRuns bool
	}{
		{"active by default", cache.RefetchActive, 2, 1, true},
		{"none", cache.RefetchNone, 1, 1, true},
		{"inactive", cache.RefetchInactive, 1, 2, true},
		{"all", cache.RefetchAllQueries, 2, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T, e *env) {
				ca, ci, cd := &counter{}, &counter{}, &counter{}
				o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("t", "active"), Fn: ca.fn})
				defer o.Subscribe(func() {})()
				_, err := cache.Fetch(e.ctx(), e.c, cache.QueryOptions[int]{Key: key("t", "inactive"), Fn: ci.fn})
				require.NoError(t, err)
				d := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("t", "disabled"), Fn: cd.fn, Disabled: true})
				defer d.Subscribe(func() {})()
				e.settle()
				e.c.InvalidateQueries(cache.Filter{Key: key("t")}, cache.InvalidateOptions{RefetchType: tc.typ})
				e.settle()
				for _, k := range []string{"active", "inactive", "disabled"} {
					st, _ := e.c.QueryState(key("t", k))
					refetched := (k == "active" && tc.active == 2) || (k == "inactive" && tc.inactive == 2)
					assert.Equal(t, !refetched, st.IsInvalidated, "%s: invalidated until refetched", k)
				}
				assert.Equal(t, tc.active, ca.calls.Load())
				assert.Equal(t, tc.inactive, ci.calls.Load())
				assert.Zero(t, cd.calls.Load(), "disabled queries never refetch")
			})
		})
	}
}

func TestQB25_staticQueriesIgnoreInvalidationAndAlwaysOnMount(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c, ci := &counter{}, &counter{}
		static := cache.QueryOptions[int]{Key: key("s"), Fn: c.fn, StaleTime: cache.StaleStatic, RefetchOnMount: cache.RefetchAlways}
		o := cache.NewObserver(e.c, static)
		defer o.Subscribe(func() {})()
		inf := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("i"), Fn: ci.fn, StaleTime: cache.Never})
		defer inf.Subscribe(func() {})()
		e.settle()
		e.c.InvalidateQueries(cache.Filter{}, cache.InvalidateOptions{})
		e.c.RefetchQueries(cache.Filter{}, cache.RefetchOptions{})
		e.settle()
		assert.EqualValues(t, 1, c.calls.Load())
		assert.False(t, o.Result().IsStale)
		assert.EqualValues(t, 3, ci.calls.Load(), "Never can still be invalidated and refetched")
		o2 := cache.NewObserver(e.c, static)
		defer o2.Subscribe(func() {})()
		e.settle()
		assert.EqualValues(t, 1, c.calls.Load(), "RefetchAlways on mount is blocked")
	})
}

func TestQB26_invalidatingTwiceChangesNothing(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 1))
		e.c.InvalidateQueries(cache.Filter{}, cache.InvalidateOptions{})
		var events int
		defer e.c.Subscribe(func(cache.Event) { events++ })()
		before, _ := e.c.QueryState(key("q"))
		e.c.InvalidateQueries(cache.Filter{}, cache.InvalidateOptions{})
		after, _ := e.c.QueryState(key("q"))
		assert.Equal(t, before, after)
		assert.Zero(t, events)
	})
}

func TestQB27_backgroundErrorKeepsDataAndInvalidates(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn, Retry: cache.NoRetry, StaleTime: time.Hour})
		defer o.Subscribe(func() {})()
		e.settle()
		g.answer(1)
		o.Refetch()
		e.settle()
		g.fail(errors.New("down"))
		r := o.Result()
		assert.Equal(t, cache.StatusError, r.Status)
		assert.Equal(t, 1, r.Data)
		assert.True(t, r.IsRefetchError())
		assert.True(t, r.IsStale, "invalidated although staleTime has not passed")
		e.setFocused(false)
		e.setFocused(true)
		assert.EqualValues(t, 3, g.calls.Load(), "focus refetch applies")
		g.answer(2)
	})
}

func TestQB28_refetchOnWindowFocusModes(t *testing.T) {
	cases := []struct {
		name  string
		mode  cache.Refetch
		fn    func(cache.Trigger, cache.QueryInfo) cache.Refetch
		stale time.Duration
		want  int32
	}{
		{"if stale, stale", cache.RefetchIfStale, nil, 0, 2},
		{"if stale, fresh", cache.RefetchIfStale, nil, time.Hour, 1},
		{"always, fresh", cache.RefetchAlways, nil, time.Hour, 2},
		{"never, stale", cache.RefetchNever, nil, 0, 1},
		{"func says always", 0, func(t cache.Trigger, _ cache.QueryInfo) cache.Refetch {
			if t == cache.TriggerWindowFocus {
				return cache.RefetchAlways
			}
			return cache.RefetchIfStale
		}, time.Hour, 2},
		{"func says never", 0, func(cache.Trigger, cache.QueryInfo) cache.Refetch { return cache.RefetchNever }, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T, e *env) {
				c := &counter{}
				o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, StaleTime: tc.stale, RefetchOnWindowFocus: tc.mode, RefetchFunc: tc.fn})
				defer o.Subscribe(func() {})()
				e.settle()
				e.setFocused(false)
				e.setFocused(true)
				assert.Equal(t, tc.want, c.calls.Load())
			})
		})
	}
}

func TestQB29_refetchQueriesSkipsDisabledAndDoesNotWaitForPaused(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 0))
		d := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, Disabled: true})
		defer d.Subscribe(func() {})()
		e.c.RefetchQueries(cache.Filter{}, cache.RefetchOptions{})
		e.settle()
		assert.Zero(t, c.calls.Load(), "all observers disabled")
		en := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, StaleTime: time.Hour})
		defer en.Subscribe(func() {})()
		e.c.RefetchQueries(cache.Filter{}, cache.RefetchOptions{})
		e.settle()
		assert.EqualValues(t, 1, c.calls.Load(), "one enabled observer is enough")

		e.setOnline(false)
		w := e.c.RefetchQueries(cache.Filter{}, cache.RefetchOptions{})
		st, _ := e.c.QueryState(key("q"))
		assert.Equal(t, cache.FetchPaused, st.FetchStatus)
		require.NoError(t, w.Wait(e.ctx()), "resolves at once for a paused query")
		e.setOnline(true)
	})
}

func TestQB30_disabledObserverFetchesOnlyOnRefetch(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, Disabled: true})
		defer o.Subscribe(func() {})()
		e.settle()
		assert.Zero(t, c.calls.Load())
		assert.Equal(t, cache.FetchIdle, o.Result().FetchStatus)
		r, err := o.Fetch(e.ctx())
		require.NoError(t, err)
		assert.Equal(t, 1, r.Data)
	})
}

func TestQB31_refetchIntervalPollsWhileSubscribedAndFocused(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn, RefetchInterval: time.Second, StaleTime: cache.Never})
		unsub := o.Subscribe(func() {})
		e.settle()
		e.advance(time.Second)
		e.advance(time.Second)
		assert.EqualValues(t, 3, c.calls.Load())
		e.setFocused(false)
		e.advance(time.Second)
		e.advance(time.Second)
		assert.EqualValues(t, 3, c.calls.Load(), "skipped in the background")
		e.setFocused(true)
		unsub()
		e.advance(10 * time.Second)
		assert.EqualValues(t, 3, c.calls.Load(), "stopped on unsubscribe")

		bg := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("bg"), Fn: c.fn, RefetchInterval: time.Second, RefetchIntervalInBackground: true, StaleTime: cache.Never})
		defer bg.Subscribe(func() {})()
		e.settle()
		e.setFocused(false)
		e.advance(time.Second)
		assert.EqualValues(t, 5, c.calls.Load(), "polls in background when asked")
	})
}
