package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func TestPaginatedQueryKeepsPreviousPageWhileNextLoads(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[string](true)
		opts := func(page int) cache.QueryOptions[string] {
			return cache.QueryOptions[string]{Key: key("todos", cache.M{"page": page}), Fn: g.fn, PlaceholderData: cache.KeepPreviousData[string]}
		}
		o := cache.NewObserver(e.c, opts(1))
		defer o.Subscribe(func() {})()
		e.settle()
		assert.False(t, o.Result().HasData, "nothing to keep yet")
		g.answer("page 1")
		require.NoError(t, o.SetOptions(opts(2)))
		e.settle()
		r := o.Result()
		assert.Equal(t, "page 1", r.Data)
		assert.True(t, r.IsPlaceholderData)
		assert.True(t, r.IsFetching())
		g.answer("page 2")
		r = o.Result()
		assert.Equal(t, "page 2", r.Data)
		assert.False(t, r.IsPlaceholderData)
	})
}

func TestDependentQueryWaitsForItsInput(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		opts := func(user string) cache.QueryOptions[int] {
			return cache.QueryOptions[int]{Key: key("projects", user), Fn: c.fn, Disabled: user == ""}
		}
		o := cache.NewObserver(e.c, opts(""))
		defer o.Subscribe(func() {})()
		e.settle()
		assert.Zero(t, c.calls.Load())
		assert.True(t, o.Result().IsPending())
		require.NoError(t, o.SetOptions(opts("ada")))
		e.settle()
		assert.EqualValues(t, 1, c.calls.Load())
		assert.Equal(t, key("projects", "ada"), o.Key())
	})
}

func TestInfiniteQuery(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		calls := 0
		opts := cache.InfiniteOptions[string, int]{
			QueryOptions: cache.QueryOptions[cache.InfiniteData[string, int]]{Key: key("feed")},
			PageFn: func(_ context.Context, _ cache.Key, p int) (string, error) {
				calls++
				return fmt.Sprintf("p%d", p), nil
			},
			InitialPageParam: 1,
			GetNextPageParam: func(d cache.InfiniteData[string, int]) (int, bool) {
				last := d.PageParams[len(d.PageParams)-1]
				return last + 1, last < 3
			},
			GetPreviousPageParam: func(d cache.InfiniteData[string, int]) (int, bool) {
				first := d.PageParams[0]
				return first - 1, first > 0
			},
		}
		o := cache.NewInfiniteObserver(e.c, opts)
		defer o.Subscribe(func() {})()
		e.settle()
		r := o.Result()
		assert.Equal(t, []string{"p1"}, r.Data.Pages)
		assert.True(t, r.HasNextPage)
		require.NoError(t, o.FetchNextPage().Wait(e.ctx()))
		require.NoError(t, o.FetchNextPage().Wait(e.ctx()))
		r = o.Result()
		assert.Equal(t, []string{"p1", "p2", "p3"}, r.Data.Pages)
		assert.Equal(t, []int{1, 2, 3}, r.Data.PageParams)
		assert.False(t, r.HasNextPage)
		require.NoError(t, o.FetchPreviousPage().Wait(e.ctx()))
		assert.Equal(t, []string{"p0", "p1", "p2", "p3"}, o.Result().Data.Pages)
		assert.False(t, o.Result().HasPreviousPage)

		calls = 0
		require.NoError(t, o.Refetch().Wait(e.ctx()))
		assert.Equal(t, 4, calls, "a refetch refetches every page in order")
		assert.Equal(t, []int{0, 1, 2, 3}, o.Result().Data.PageParams)

		maxed := opts
		maxed.Key = key("feed2")
		maxed.MaxPages = 2
		m := cache.NewInfiniteObserver(e.c, maxed)
		defer m.Subscribe(func() {})()
		e.settle()
		require.NoError(t, m.FetchNextPage().Wait(e.ctx()))
		require.NoError(t, m.FetchNextPage().Wait(e.ctx()))
		assert.Equal(t, []string{"p2", "p3"}, m.Result().Data.Pages, "MaxPages drops from the far end")
	})
}

func TestInfiniteQueryShowsFetchingNextPage(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[string](true)
		o := cache.NewInfiniteObserver(e.c, cache.InfiniteOptions[string, int]{
			QueryOptions:     cache.QueryOptions[cache.InfiniteData[string, int]]{Key: key("feed"), StaleTime: time.Hour},
			PageFn:           func(ctx context.Context, k cache.Key, _ int) (string, error) { return g.fn(ctx, k) },
			GetNextPageParam: func(d cache.InfiniteData[string, int]) (int, bool) { return len(d.Pages), true },
		})
		defer o.Subscribe(func() {})()
		e.settle()
		g.answer("a")
		o.FetchNextPage()
		e.settle()
		r := o.Result()
		assert.True(t, r.IsFetchingNextPage)
		assert.False(t, r.IsFetchingPreviousPage)
		g.answer("b")
		assert.Equal(t, []string{"a", "b"}, o.Result().Data.Pages)
		assert.False(t, o.Result().IsFetchingNextPage)
	})
}
