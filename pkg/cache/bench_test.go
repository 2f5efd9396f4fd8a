package cache_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/tandemkit/tandem/pkg/cache"
)

// The PERFORMANCE.md shapes. Each benchmark checks its result, so that a
// fast wrong answer fails.

func subscribeN(b *testing.B, c *cache.Client, k cache.Key, n int, notify cache.Prop) (*atomic.Int64, []*cache.Observer[[]int]) {
	var calls atomic.Int64
	obs := make([]*cache.Observer[[]int], n)
	for i := range obs {
		obs[i] = cache.NewObserver(c, cache.QueryOptions[[]int]{Key: k, StaleTime: cache.Never, NotifyOnChange: notify})
		b.Cleanup(obs[i].Subscribe(func() { calls.Add(1) }))
	}
	return &calls, obs
}

func BenchmarkCacheHitRead100Observers(b *testing.B) {
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	k := key("todos", cache.M{"page": 1})
	if err := cache.SetQueryData(c, k, []int{1, 2, 3}); err != nil {
		b.Fatal(err)
	}
	_, obs := subscribeN(b, c, k, 100, 0)
	b.Run("GetQueryData", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, ok := cache.GetQueryData[[]int](c, k); !ok || len(v) != 3 {
				b.Fatal("miss")
			}
		}
	})
	b.Run("Observer.Result", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := obs[0].Result(); len(r.Data) != 3 {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkSetQueryDataNotifying100Observers(b *testing.B) {
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	k := key("todos")
	if err := cache.SetQueryData(c, k, []int{0}); err != nil {
		b.Fatal(err)
	}
	calls, _ := subscribeN(b, c, k, 100, 0)
	calls.Store(0)
	vals := [2][]int{{1}, {2}}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := cache.SetQueryData(c, k, vals[n%2]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if got := calls.Load(); got != int64(100*n) {
		b.Fatalf("%d listener calls for %d writes", got, n)
	}
}

func BenchmarkBuild10000Queries(b *testing.B) {
	keys := make([]cache.Key, 10_000)
	for i := range keys {
		keys[i] = key("todos", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		c := cache.NewClient(cache.ClientOptions{})
		for i, k := range keys {
			if err := cache.SetQueryData(c, k, i); err != nil {
				b.Fatal(err)
			}
		}
		if c.Len() != len(keys) {
			b.Fatal("missing queries")
		}
		c.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/query")
}

func fill(b *testing.B, c *cache.Client, n int, k func(i int) cache.Key) {
	for i := range n {
		if err := cache.SetQueryData(c, k(i), i); err != nil {
			b.Fatal(err)
		}
	}
}

// staleUnder counts the stale queries under prefix; for these unobserved
// queries with data, the invalidated ones.
func staleUnder(c *cache.Client, prefix cache.Key) int {
	return len(c.Find(cache.Filter{Key: prefix, Stale: cache.StaleOnly}))
}

// BenchmarkInvalidatePrefix10kOf20k invalidates ["a"] and ["b"] in turn,
// each matching 10,000 of the 20,000 queries. Every second iteration, with
// the timer stopped, it checks that each prefix invalidated exactly its
// 10,000 queries and makes them valid again, so every timed invalidation
// has 10,000 valid queries to invalidate.
func BenchmarkInvalidatePrefix10kOf20k(b *testing.B) {
	c := cache.NewClient(cache.ClientOptions{DefaultQueryOptions: cache.Defaults{GCTime: cache.Dur(cache.Never)}})
	defer c.Close()
	fill(b, c, 20_000, func(i int) cache.Key { return key([]string{"a", "b"}[i%2], i) })
	filters := [2]cache.Filter{{Key: key("a")}, {Key: key("b")}}
	revalidate := func() {
		for _, f := range filters {
			if n := staleUnder(c, f.Key); n != 10_000 {
				b.Fatalf("%d of 10000 queries under %v invalidated", n, f.Key)
			}
			cache.SetQueriesData(c, f, func(old int, ok bool) (int, bool) { return old + 1, ok })
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		c.InvalidateQueries(filters[n%2], cache.InvalidateOptions{})
		n++
		if n%2 == 0 {
			b.StopTimer()
			revalidate()
			b.StartTimer()
		}
	}
	if n%2 == 1 {
		if s := staleUnder(c, filters[0].Key); s != 10_000 {
			b.Fatalf("%d stale queries under [a]", s)
		}
	}
	if got, want := len(c.Find(cache.Filter{Stale: cache.StaleOnly})), 10_000*(n%2); got != want {
		b.Fatalf("%d stale queries, want %d", got, want)
	}
}

// BenchmarkInvalidateExactKeyIn100k invalidates one exact key per
// iteration, cycling through 1,000 keys spread over the 100,000. After each
// round of 1,000, with the timer stopped, it checks that every key of the
// round was invalidated and makes them valid again.
func BenchmarkInvalidateExactKeyIn100k(b *testing.B) {
	c := cache.NewClient(cache.ClientOptions{DefaultQueryOptions: cache.Defaults{GCTime: cache.Dur(cache.Never)}})
	defer c.Close()
	const size, round = 100_000, 1_000
	fill(b, c, size, func(i int) cache.Key { return key("todos", i) })
	filters := make([]cache.Filter, round)
	for j := range filters {
		filters[j] = cache.Filter{Key: key("todos", j*97%size), Exact: true} // 97 is prime to size: distinct keys
	}
	check := func(fs []cache.Filter, revalidate bool) {
		for _, f := range fs {
			if st, ok := c.QueryState(f.Key); !ok || !st.IsInvalidated {
				b.Fatalf("%v not invalidated", f.Key)
			}
			if revalidate {
				if err := cache.SetQueryData(c, f.Key, -1); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		c.InvalidateQueries(filters[n%round], cache.InvalidateOptions{})
		n++
		if n%round == 0 {
			b.StopTimer()
			check(filters, true)
			b.StartTimer()
		}
	}
	check(filters[:n%round], false)
	if got, want := len(c.Find(cache.Filter{Stale: cache.StaleOnly})), n%round; got != want {
		b.Fatalf("%d stale queries, want %d", got, want)
	}
}

func BenchmarkRefetchUnchanged1000Items(b *testing.B) {
	items := make([]todo, 1000)
	for i := range items {
		items[i] = todo{ID: i, Title: fmt.Sprintf("todo %d", i), Tags: []string{"x"}}
	}
	body, _ := json.Marshal(items)
	api := &cache.REST{Transport: cache.TransportFunc(func(context.Context, *cache.Request) (*cache.Response, error) {
		return &cache.Response{Status: 200, Body: body}, nil
	})}
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	o := cache.NewObserver(c, cache.QueryOptions[[]todo]{
		Key: key("todos"), Fn: cache.GetJSON[[]todo](api, func(cache.Key) string { return "/todos" }),
		NotifyOnChange: cache.PropData,
	})
	var calls atomic.Int64
	defer o.Subscribe(func() { calls.Add(1) })()
	if _, err := o.Fetch(context.Background()); err != nil {
		b.Fatal(err)
	}
	before := calls.Load()
	b.ReportAllocs()
	for b.Loop() {
		if err := o.Refetch().Wait(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	if calls.Load() != before {
		b.Fatalf("%d notifications for unchanged data", calls.Load()-before)
	}
	if r := o.Result(); len(r.Data) != 1000 || !r.IsSuccess() {
		b.Fatal("lost the data")
	}
}
