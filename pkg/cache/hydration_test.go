package cache_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func TestQB60_dehydrateKeepsSuccessfulQueriesAndPausedMutations(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("ok"), []string{"a"}))
		_, err := cache.Fetch(e.ctx(), e.c, cache.QueryOptions[int]{Key: key("bad"), Fn: func(context.Context, cache.Key) (int, error) { return 0, errors.New("x") }})
		require.Error(t, err)
		g := newGate[int](true)
		retrying := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: func(ctx context.Context, _ int) (int, error) { return g.fn(ctx, nil) }, Retry: cache.RetryCount(1)})
		retrying.Mutate(1)
		e.settle()
		g.fail(errors.New("first"))
		s, err := cache.Dehydrate(e.c, cache.DehydrateOptions{})
		require.NoError(t, err)
		require.Len(t, s.Queries, 1)
		assert.JSONEq(t, `["a"]`, string(s.Queries[0].Data))
		assert.Empty(t, s.Mutations, "retrying online is not paused")

		e.setOnline(false)
		paused := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Key: key("m"), Fn: func(_ context.Context, v int) (int, error) { return v, nil }})
		paused.Mutate(5)
		s, err = cache.Dehydrate(e.c, cache.DehydrateOptions{})
		require.NoError(t, err)
		require.Len(t, s.Mutations, 1)
		assert.JSONEq(t, `5`, string(s.Mutations[0].Variables))
		e.setOnline(true)
		e.advance(time.Second)
		g.answer(1)
	})
}

func TestQB61_hydrateNeverOverwritesNewerDataAndStartsIdle(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("newer"), "cached"))
		old := epoch.Add(-time.Hour)
		s := cache.DehydratedState{Queries: []cache.DehydratedQuery{
			{Key: key("newer"), Data: json.RawMessage(`"old"`), DataUpdatedAt: old, Status: cache.StatusSuccess},
			{Key: key("fresh"), Data: json.RawMessage(`{"ID":1,"Title":"t"}`), DataUpdatedAt: old, Status: cache.StatusSuccess},
		}}
		require.NoError(t, cache.Hydrate(e.c, s))
		v, _ := cache.GetQueryData[string](e.c, key("newer"))
		assert.Equal(t, "cached", v)
		st, ok := e.c.QueryState(key("fresh"))
		require.True(t, ok)
		assert.Equal(t, cache.FetchIdle, st.FetchStatus)
		td, ok := cache.GetQueryData[todo](e.c, key("fresh"))
		require.True(t, ok, "decoded on first typed read")
		assert.Equal(t, todo{ID: 1, Title: "t"}, td)
	})
}

func TestQB62_persisterDiscardsOldOrBustedAndSavesOnCacheEventsOnly(t *testing.T) {
	save := func(t *testing.T, e *env, store cache.Storage, buster string) {
		p, err := cache.Persist(e.c, cache.PersistOptions{Storage: store, Buster: buster})
		require.NoError(t, err)
		require.NoError(t, cache.SetQueryData(e.c, key("q"), 1))
		e.advance(time.Second)
		n, err := p.Saves()
		require.NoError(t, err)
		require.Equal(t, 1, n)
		p.Close()
	}
	restore := func(t *testing.T, store cache.Storage, buster string, after time.Duration) (restored bool) {
		bubble(t, func(t *testing.T, e *env) {
			e.advance(after)
			p, err := cache.Persist(e.c, cache.PersistOptions{Storage: store, Buster: buster})
			require.NoError(t, err)
			defer p.Close()
			_, restored = cache.GetQueryData[int](e.c, key("q"))
		})
		return restored
	}
	for _, tc := range []struct {
		name   string
		buster string
		after  time.Duration
		want   bool
	}{
		{"kept", "v1", time.Hour, true},
		{"expired", "v1", 25 * time.Hour, false},
		{"busted", "v2", time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &cache.MemoryStorage{}
			bubble(t, func(t *testing.T, e *env) { save(t, e, store, "v1") })
			assert.Equal(t, tc.want, restore(t, store, tc.buster, tc.after))
			if !tc.want {
				_, err := store.Get("tandem-query-cache")
				assert.ErrorIs(t, err, cache.ErrNotFound, "discarded")
			}
		})
	}
	t.Run("observer events do not save", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			require.NoError(t, cache.SetQueryData(e.c, key("q"), 1))
			p, err := cache.Persist(e.c, cache.PersistOptions{Storage: &cache.MemoryStorage{}})
			require.NoError(t, err)
			defer p.Close()
			o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), StaleTime: cache.Never})
			o.Subscribe(func() {})()
			e.advance(time.Minute)
			n, _ := p.Saves()
			assert.Zero(t, n)
		})
	})
}
