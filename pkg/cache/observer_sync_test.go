package cache_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

// TestQB43_resultsFollowEveryWriteWhetherReadOrNot interleaves writes, reads
// and (un)subscriptions of several observers of one query: each Result must
// show the latest data, and a listener sees each write exactly once.
func TestQB43_resultsFollowEveryWriteWhetherReadOrNot(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 0))
		obs := make([]*cache.Observer[int], 4)
		calls := make([]int, len(obs))
		unsub := make([]func(), len(obs))
		for i := range obs {
			obs[i] = cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), StaleTime: cache.Never})
			unsub[i] = obs[i].Subscribe(func() { calls[i]++ })
		}
		var version uint64
		for n := 1; n <= 60; n++ {
			require.NoError(t, cache.SetQueryData(e.c, key("q"), n))
			i := n % len(obs)
			if n%3 == 0 {
				r := obs[i].Result()
				assert.Equal(t, n, r.Data, "write %d", n)
				assert.Greater(t, r.DataVersion, version)
				version = r.DataVersion
			}
			if n%7 == 0 { // leave and come back: the result must not go stale meanwhile
				unsub[i]()
				require.NoError(t, cache.SetQueryData(e.c, key("q"), -n))
				assert.Equal(t, -n, obs[i].Result().Data, "unsubscribed, write %d", n)
				unsub[i] = obs[i].Subscribe(func() { calls[i]++ })
				assert.Equal(t, -n, obs[i].Result().Data)
			}
		}
		for i, o := range obs {
			assert.Equal(t, 60, o.Result().Data, "observer %d", i)
			unsub[i]()
		}
		total := 0
		for _, n := range calls {
			total += n
		}
		// 60 writes seen by all 4, and 8 writes made while one was away seen
		// by the other 3
		assert.Equal(t, 60*len(obs)+8*(len(obs)-1), total)
	})
}
