package cache_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

// randomSegment builds segments from a small vocabulary, so that map name
// sets repeat and the client's memory of them is exercised, with nil
// entries, nesting and every number type.
func randomSegment(r *rand.Rand, depth int) any {
	names := []string{"page", "done", "q", "sort", "a", "b", "c", "x\"y", "é", ""}
	switch n := r.IntN(12); {
	case n == 0 && depth < 3:
		m := cache.M{}
		for range r.IntN(5) {
			m[names[r.IntN(len(names))]] = randomSegment(r, depth+1)
		}
		return m
	case n == 1 && depth < 3:
		l := make([]any, r.IntN(3))
		for i := range l {
			l[i] = randomSegment(r, depth+1)
		}
		return l
	case n == 2:
		return nil
	case n == 3:
		return r.IntN(3) == 0
	case n == 4:
		return float64(r.IntN(5)) / 2
	case n == 5:
		return int64(-r.IntN(1000))
	case n == 6:
		return uint8(r.IntN(256))
	case n == 7:
		return names[r.IntN(len(names))] + "\n"
	case n < 10:
		return names[r.IntN(len(names))]
	default:
		return r.IntN(100_000)
	}
}

func TestKeyEncoding_clientLookupsEncodeAsHash(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	for i := range 20_000 {
		k := cache.Key{"todos"}
		for range r.IntN(3) {
			k = append(k, randomSegment(r, 0))
		}
		want, err := k.Hash()
		require.NoError(t, err)
		got, err := cache.HashWithClient(c, k)
		require.NoError(t, err)
		require.Equal(t, want, got, "key %d", i)
	}
}

func TestKeyEncoding_mapsWithKnownNamesStillHashByContent(t *testing.T) {
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	for _, k := range []cache.Key{
		{cache.M{"page": 1}},
		{cache.M{"page": 1, "q": nil}},     // a nil entry is absent
		{cache.M{"page": nil}},             // so this is {}
		{cache.M{"q": 1}},                  // same size, other name
		{cache.M{"page": "1"}},             // other value type
		{cache.M{"page": cache.M{"a": 1}}}, // nested, reorders the remembered sets
		{cache.M{"page": 1}},
		{cache.M{"page": func() {}}}, // invalid, not cached
	} {
		want, wantErr := k.Hash()
		got, err := cache.HashWithClient(c, k)
		if wantErr != nil {
			assert.ErrorIs(t, err, cache.ErrInvalidKey, fmt.Sprint(k...))
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}
