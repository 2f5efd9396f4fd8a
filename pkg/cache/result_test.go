package cache_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/cache/cachetest"
)

type todo struct {
	ID    int
	Title string
	Tags  []string
}

func TestQB36_equalDataKeepsThePreviousValue(t *testing.T) {
	// Go form of replaceEqualDeep: a deep-equal value keeps the cached one
	// (same backing array); a changed one replaces it. Go values have no
	// per-child identity, so partial sharing of children is moot.
	bubble(t, func(t *testing.T, e *env) {
		first := []todo{{1, "a", []string{"x"}}, {2, "b", nil}}
		require.NoError(t, cache.SetQueryData(e.c, key("todos"), first))
		o := cache.NewObserver(e.c, cache.QueryOptions[[]todo]{Key: key("todos"), StaleTime: cache.Never, NotifyOnChange: cache.PropData})
		rec := record(o)
		defer rec.unsub()
		v0 := o.Result().DataVersion
		require.NoError(t, cache.SetQueryData(e.c, key("todos"), []todo{{1, "a", []string{"x"}}, {2, "b", nil}}))
		got, _ := cache.GetQueryData[[]todo](e.c, key("todos"))
		assert.Same(t, &first[0], &got[0], "equal copy: the previous value is kept")
		assert.Equal(t, v0, o.Result().DataVersion)
		assert.Zero(t, rec.count(), "nothing downstream is told")
		require.NoError(t, cache.SetQueryData(e.c, key("todos"), []todo{{1, "a", []string{"y"}}, {2, "b", nil}}))
		got, _ = cache.GetQueryData[[]todo](e.c, key("todos"))
		assert.Equal(t, "y", got[0].Tags[0])
		assert.NotEqual(t, v0, o.Result().DataVersion)
		assert.Equal(t, 1, rec.count())
	})
}

func TestQB37_setQueryDataSharesUnlessEqualSaysOtherwise(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		o := cache.NewObserver(e.c, cache.QueryOptions[[]int]{Key: key("n"), StaleTime: cache.Never, Equal: cache.NeverEqual[[]int]})
		defer o.Subscribe(func() {})()
		require.NoError(t, cache.SetQueryData(e.c, key("n"), []int{1}))
		v := o.Result().DataVersion
		require.NoError(t, cache.SetQueryData(e.c, key("n"), []int{1}))
		assert.NotEqual(t, v, o.Result().DataVersion, "NeverEqual stores the new value")

		byLen := cache.NewObserver(e.c, cache.QueryOptions[[]int]{Key: key("m"), StaleTime: cache.Never, Equal: func(a, b []int) bool { return len(a) == len(b) }})
		defer byLen.Subscribe(func() {})()
		require.NoError(t, cache.SetQueryData(e.c, key("m"), []int{1}))
		v = byLen.Result().DataVersion
		require.NoError(t, cache.SetQueryData(e.c, key("m"), []int{2}))
		assert.Equal(t, v, byLen.Result().DataVersion, "the custom Equal decides")
		assert.Equal(t, []int{1}, byLen.Result().Data)
	})
}

func TestQB38_sharingCopesWithAnyGoValue(t *testing.T) {
	// Class instances and Dates are plain values in Go; DeepEqual compares
	// them by content. The intent kept: deep or cyclic data never crashes or
	// hangs the comparison.
	bubble(t, func(t *testing.T, e *env) {
		deep := map[string]any{}
		cur := deep
		for range 1000 {
			next := map[string]any{}
			cur["n"] = next
			cur = next
		}
		require.NoError(t, cache.SetQueryData(e.c, key("deep"), deep))
		require.NoError(t, cache.SetQueryData(e.c, key("deep"), deep))
		cyc := map[string]any{}
		cyc["self"] = cyc
		require.NoError(t, cache.SetQueryData(e.c, key("cyc"), cyc))
		require.NoError(t, cache.SetQueryData(e.c, key("cyc"), cyc))
		at := cache.QueryOptions[time.Time]{Key: key("t")}
		require.NoError(t, cache.SetQueryData(e.c, at.Key, epoch))
		o := cache.NewObserver(e.c, at)
		v := o.Result().DataVersion
		require.NoError(t, cache.SetQueryData(e.c, at.Key, epoch.Add(time.Second)))
		assert.NotEqual(t, v, o.Result().DataVersion, "a changed time is a change")
	})
}

func TestQB39_selectIsMemoisedAndShared(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		var runs atomic.Int32
		sel := func(ts []todo) ([]string, error) {
			runs.Add(1)
			out := make([]string, len(ts))
			for i, t := range ts {
				out[i] = t.Title
			}
			return out, nil
		}
		require.NoError(t, cache.SetQueryData(e.c, key("todos"), []todo{{1, "a", nil}}))
		opts := cache.QueryOptions[[]todo]{Key: key("todos"), StaleTime: cache.Never, NotifyOnChange: cache.PropData}
		o := cache.NewSelectObserver(e.c, opts, sel)
		rec := record(o)
		defer rec.unsub()
		assert.Equal(t, []string{"a"}, o.Result().Data)
		o.Result()
		o.Result()
		assert.EqualValues(t, 1, runs.Load(), "same data version: not re-run")
		v := o.Result().DataVersion
		require.NoError(t, cache.SetQueryData(e.c, key("todos"), []todo{{1, "a", []string{"tag"}}}))
		assert.EqualValues(t, 2, runs.Load(), "new data: re-run")
		assert.Equal(t, v, o.Result().DataVersion, "an equal output keeps its identity")
		assert.Zero(t, rec.count())
		require.NoError(t, o.SetOptions(opts, sel))
		o.Result()
		assert.EqualValues(t, 3, runs.Load(), "a new select function: re-run")
	})
}

func TestQB40_failingSelectKeepsLastGoodOutput(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("n"), 1))
		o := cache.NewSelectObserver(e.c, cache.QueryOptions[int]{Key: key("n"), StaleTime: cache.Never}, func(n int) (string, error) {
			if n > 1 {
				return "", errors.New("too big")
			}
			return strings.Repeat("x", n), nil
		})
		defer o.Subscribe(func() {})()
		assert.Equal(t, "x", o.Result().Data)
		require.NoError(t, cache.SetQueryData(e.c, key("n"), 2))
		r := o.Result()
		assert.Equal(t, cache.StatusError, r.Status)
		assert.EqualError(t, r.Error, "too big")
		assert.Equal(t, "x", r.Data)
		p := cache.NewSelectObserver(e.c, cache.QueryOptions[int]{Key: key("n"), StaleTime: cache.Never}, func(int) (int, error) { panic("bad select") })
		var pe *cache.PanicError
		assert.ErrorAs(t, p.Result().Error, &pe, "a panicking select is an error, not a crash")
	})
}

func TestQB41_placeholderShownWhilePendingAndNeverCached(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[[]int](true)
		o := cache.NewObserver(e.c, cache.QueryOptions[[]int]{Key: key("q"), Fn: g.fn, PlaceholderData: func([]int, bool) ([]int, bool) { return []int{0}, true }})
		defer o.Subscribe(func() {})()
		e.settle()
		r := o.Result()
		assert.Equal(t, cache.StatusSuccess, r.Status)
		assert.True(t, r.IsPlaceholderData)
		assert.True(t, r.IsFetching())
		assert.Equal(t, []int{0}, r.Data)
		_, cached := cache.GetQueryData[[]int](e.c, key("q"))
		assert.False(t, cached)
		g.answer([]int{1})
		assert.False(t, o.Result().IsPlaceholderData)
		assert.Equal(t, []int{1}, o.Result().Data)
	})
}

func TestQB42_initialDataIsRealDataWithItsTimestamp(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{
			Key: key("q"), Fn: c.fn, StaleTime: time.Minute,
			InitialData: func() (int, bool) { return 42, true }, InitialDataUpdatedAt: epoch.Add(-2 * time.Minute),
		})
		first := o.Result()
		assert.Equal(t, cache.StatusSuccess, first.Status, "no loading state")
		assert.Equal(t, 42, first.Data)
		v, ok := cache.GetQueryData[int](e.c, key("q"))
		assert.True(t, ok)
		assert.Equal(t, 42, v)
		defer o.Subscribe(func() {})()
		e.settle()
		assert.EqualValues(t, 1, c.calls.Load(), "stale by its timestamp: refetched on mount")

		fresh := cache.NewObserver(e.c, cache.QueryOptions[int]{
			Key: key("f"), Fn: c.fn, StaleTime: time.Minute, InitialData: func() (int, bool) { return 1, true },
		})
		defer fresh.Subscribe(func() {})()
		e.settle()
		assert.EqualValues(t, 1, c.calls.Load(), "zero timestamp means now: fresh")
	})
}

func TestQB43_listenersToldOnlyOfWatchedChanges(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 1))
		all := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn, StaleTime: time.Hour})
		data := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: g.fn, StaleTime: time.Hour, NotifyOnChange: cache.PropData})
		ra, rd := record(all), record(data)
		defer ra.unsub()
		defer rd.unsub()
		e.settle()
		assert.Zero(t, ra.count(), "nothing changed: no call")
		all.Refetch()
		e.settle()
		g.answer(1)
		assert.Equal(t, 2, ra.count(), "fetching, then idle")
		assert.Zero(t, rd.count(), "data unchanged")
		all.Refetch()
		e.settle()
		g.answer(2)
		assert.Equal(t, 1, rd.count())
	})
}

func TestQB44_batchDeliversOnceThroughTheScheduler(t *testing.T) {
	sched := &cachetest.Scheduler{}
	bubble(t, func(t *testing.T, e *env) {
		// cached and fresh: subscribing starts no fetch, whose goroutine
		// would notify at a moment of its own
		require.NoError(t, cache.SetQueryData(e.c, key("q"), -1))
		sched.Drain()
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), StaleTime: cache.Never})
		calls := 0
		defer o.Subscribe(func() { calls++ })()
		sched.Drain()
		e.c.Batch(func() {
			for i := range 10 {
				require.NoError(t, cache.SetQueryData(e.c, key("q"), i))
			}
			e.c.Batch(func() { require.NoError(t, cache.SetQueryData(e.c, key("q"), 99)) })
			assert.Zero(t, sched.Len(), "nothing scheduled inside the batch")
		})
		assert.Equal(t, 1, sched.Len(), "one flush")
		assert.Zero(t, calls, "delivered by the scheduler, not inline")
		sched.Drain()
		assert.Equal(t, 1, calls, "each listener once")
		assert.Equal(t, 99, o.Result().Data)
	}, func(o *cache.ClientOptions) { o.Scheduler = sched.Schedule })
}

func TestListenerPanicIsReportedAndDeliveryGoesOn(t *testing.T) {
	var reported []error
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 0)) // cached and fresh: no fetch goroutine
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), StaleTime: cache.Never})
		defer o.Subscribe(func() { panic("listener") })()
		got := 0
		defer o.Subscribe(func() { got++ })()
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 1))
		assert.Equal(t, 1, got)
		require.Len(t, reported, 1)
	}, func(o *cache.ClientOptions) { o.ReportError = func(err error) { reported = append(reported, err) } })
}

func TestBadQueryFunctions(t *testing.T) {
	cases := map[string]func(context.Context, cache.Key) (int, error){
		"error": func(context.Context, cache.Key) (int, error) { return 0, errors.New("boom") },
		"panic": func(context.Context, cache.Key) (int, error) { panic("boom") },
		"malformed JSON": func(context.Context, cache.Key) (int, error) {
			return cache.DecodeJSON[int]([]byte(`{"oops"`))
		},
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			bubble(t, func(t *testing.T, e *env) {
				require.NoError(t, cache.SetQueryData(e.c, key("q"), 7))
				o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: fn, Retry: cache.RetryCount(1), RetryDelay: func(int, error) time.Duration { return time.Second }})
				defer o.Subscribe(func() {})()
				e.settle()
				assert.Equal(t, 1, o.Result().FailureCount, "the retry policy applies")
				e.advance(time.Second)
				r := o.Result()
				assert.True(t, r.IsError())
				assert.Error(t, r.Error)
				assert.Equal(t, 7, r.Data, "the last good data is kept")
			})
		})
	}
	t.Run("hangs past its context", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			release := make(chan struct{})
			hang := func(context.Context, cache.Key) (int, error) { <-release; return 1, nil }
			require.NoError(t, cache.SetQueryData(e.c, key("q"), 7))
			o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: hang, Timeout: time.Second, Retry: cache.NoRetry})
			defer o.Subscribe(func() {})()
			e.advance(time.Second)
			r := o.Result()
			assert.ErrorIs(t, r.Error, cache.ErrTimeout)
			assert.Equal(t, 7, r.Data)
			close(release)
			e.settle()
			assert.Equal(t, 7, o.Result().Data, "a late answer of an abandoned attempt is ignored")
		})
	})
}
