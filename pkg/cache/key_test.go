package cache_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func hash(t *testing.T, k cache.Key) string {
	t.Helper()
	h, err := k.Hash()
	require.NoError(t, err)
	return h
}

func TestQB01_hashIsOrderInsensitiveForMapsAndSensitiveForLists(t *testing.T) {
	a := key(cache.M{"a": 1, "b": 2})
	b := key(cache.M{"b": 2, "a": 1})
	assert.Equal(t, hash(t, a), hash(t, b), "map entries hash in sorted order")
	assert.NotEqual(t, hash(t, key([]any{1, 2})), hash(t, key([]any{2, 1})), "lists keep their order")
	assert.Equal(t, `[{"a":1,"b":2}]`, hash(t, a))
	// numbers hash by value, so keys survive a JSON round trip
	raw, err := json.Marshal(key("todos", cache.M{"page": 3}))
	require.NoError(t, err)
	var back cache.Key
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, hash(t, key("todos", cache.M{"page": 3})), hash(t, back))
}

func TestQB02_nilMapValueHashesAndMatchesAsAbsent(t *testing.T) {
	assert.Equal(t, hash(t, key(cache.M{"a": 1, "b": nil})), hash(t, key(cache.M{"a": 1})))
	assert.True(t, cache.MatchKey(key("t", cache.M{"a": 1}), key("t", cache.M{"a": 1, "b": nil})))
}

func TestQB03_filterKeyMatchesAsPrefixUnlessExact(t *testing.T) {
	assert.True(t, cache.MatchKey(key("todos"), key("todos")))
	assert.True(t, cache.MatchKey(key("todos", cache.M{"page": 1}), key("todos")))
	assert.False(t, cache.MatchKey(key("todos"), key("todos", cache.M{"type": "done"})))
	assert.True(t, cache.MatchKey(key("todos", cache.M{"type": "done", "page": 2}), key("todos", cache.M{"type": "done"})))
	assert.False(t, cache.MatchKey(key("todos", cache.M{"type": "open"}), key("todos", cache.M{"type": "done"})))

	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("todos"), 1))
		require.NoError(t, cache.SetQueryData(e.c, key("todos", cache.M{"page": 1}), 2))
		require.NoError(t, cache.SetQueryData(e.c, key("todos", cache.M{"type": "done", "page": 1}), 3))
		require.NoError(t, cache.SetQueryData(e.c, key("users"), 4))
		assert.Len(t, e.c.Find(cache.Filter{Key: key("todos")}), 3)
		assert.Len(t, e.c.Find(cache.Filter{Key: key("todos"), Exact: true}), 1)
		assert.Len(t, e.c.Find(cache.Filter{Key: key("todos", cache.M{"type": "done"})}), 1)
		assert.Len(t, e.c.Find(cache.Filter{}), 4)
	})
}

func TestKey_rejectsUnsupportedValues(t *testing.T) {
	for name, k := range map[string]cache.Key{
		"struct":  {struct{}{}},
		"NaN":     {math.NaN()},
		"nested":  {cache.M{"f": func() {}}},
		"channel": {make(chan int)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := k.Hash()
			assert.ErrorIs(t, err, cache.ErrInvalidKey)
		})
	}
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	_, err := cache.Key{cyclic}.Hash()
	assert.ErrorIs(t, err, cache.ErrInvalidKey, "a cycle is too deep, not a hang")
}

func TestKey_invalidKeyNeverPanics(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		bad := key(struct{}{})
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: bad, Fn: (&counter{}).fn})
		r := o.Result()
		assert.True(t, r.IsError())
		assert.ErrorIs(t, r.Error, cache.ErrInvalidKey)
		o.Subscribe(func() {})()
		_, err := cache.Fetch(e.ctx(), e.c, cache.QueryOptions[int]{Key: bad, Fn: (&counter{}).fn})
		assert.ErrorIs(t, err, cache.ErrInvalidKey)
		assert.ErrorIs(t, cache.SetQueryData(e.c, bad, 1), cache.ErrInvalidKey)
		assert.Empty(t, e.c.Find(cache.Filter{Key: bad}))
	})
}
