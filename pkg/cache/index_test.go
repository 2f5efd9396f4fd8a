package cache_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

// TestQB03_filtersMatchAsTheNaiveScanDoes runs random writes, removals and
// prefix filters against a client and against a plain list of keys matched
// with MatchKey: the key index must find exactly what a scan finds.
func TestQB03_filtersMatchAsTheNaiveScanDoes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := cache.NewClient(cache.ClientOptions{DefaultQueryOptions: cache.Defaults{GCTime: cache.Dur(cache.Never)}})
	defer c.Close()
	segs := []any{"a", "b", 1, 2, cache.M{"p": 1}, cache.M{"p": 2, "q": "x"}, []any{1, 2}, nil}
	randomKey := func(maxLen int) cache.Key {
		k := cache.Key{}
		for range r.IntN(maxLen + 1) {
			k = append(k, segs[r.IntN(len(segs))])
		}
		return k
	}
	var live []cache.Key
	hashes := func(keys []cache.Key) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i], _ = k.Hash()
		}
		slices.Sort(out)
		return out
	}
	for step := range 3000 {
		switch op := r.IntN(10); {
		case op < 5:
			k := randomKey(3)
			require.NoError(t, cache.SetQueryData(c, k, step))
			h, _ := k.Hash()
			if !slices.ContainsFunc(live, func(x cache.Key) bool { xh, _ := x.Hash(); return xh == h }) {
				live = append(live, k)
			}
		case op < 7:
			f := cache.Filter{Key: randomKey(2), Exact: r.IntN(3) == 0}
			c.RemoveQueries(f)
			live = slices.DeleteFunc(live, func(k cache.Key) bool {
				if f.Exact {
					a, _ := k.Hash()
					b, _ := f.Key.Hash()
					return a == b
				}
				return cache.MatchKey(k, f.Key)
			})
		default:
			f := randomKey(3)
			var want []cache.Key
			for _, k := range live {
				if cache.MatchKey(k, f) {
					want = append(want, k)
				}
			}
			var got []cache.Key
			for _, q := range c.Find(cache.Filter{Key: f}) {
				got = append(got, q.Key)
			}
			require.Equal(t, hashes(want), hashes(got), "step %d, filter %v", step, f)
		}
		require.Equal(t, len(live), c.Len(), "step %d", step)
	}
	c.Clear()
	require.Zero(t, c.Len())
	require.Empty(t, c.Find(cache.Filter{Key: cache.Key{"a"}}))
}

func TestRemovedQueryWithLongerKeysKeepsThemFindable(t *testing.T) {
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	for _, k := range []cache.Key{{"a"}, {"a", 1}, {"a", 1, "x"}, {"a", 2}} {
		require.NoError(t, cache.SetQueryData(c, k, 0))
	}
	c.RemoveQueries(cache.Filter{Key: cache.Key{"a"}, Exact: true})
	require.Len(t, c.Find(cache.Filter{Key: cache.Key{"a"}}), 3)
	_, ok := cache.GetQueryData[int](c, cache.Key{"a"})
	require.False(t, ok, "removed")
	require.NoError(t, cache.SetQueryData(c, cache.Key{"a"}, 5))
	v, ok := cache.GetQueryData[int](c, cache.Key{"a"})
	require.True(t, ok)
	require.Equal(t, 5, v)
	c.RemoveQueries(cache.Filter{Key: cache.Key{"a", 1}, Exact: true})
	require.Len(t, c.Find(cache.Filter{Key: cache.Key{"a", 1}}), 1, "[a 1 x] stays")
	info, ok := c.QueryState(cache.Key{"a", 1, "x"})
	require.True(t, ok)
	require.Equal(t, `["a",1,"x"]`, info.Hash)
}
