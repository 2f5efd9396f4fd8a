package cache_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/tandemkit/tandem/pkg/cache"
)

// FuzzKeyHash: any JSON value used as a key segment hashes without panic,
// hashing is deterministic, survives a JSON round trip, and a key matches
// itself and its prefixes.
func FuzzKeyHash(f *testing.F) {
	for _, s := range []string{`"todos"`, `{"a":1,"b":[1,2,{"c":null}]}`, `[1.5,-0,1e300]`, `null`, `[[[[[]]]]]`, `{"":true}`, `"\u0000\uffff"`} {
		f.Add(s, int64(7))
	}
	f.Fuzz(func(t *testing.T, segJSON string, n int64) {
		var seg any
		if json.Unmarshal([]byte(segJSON), &seg) != nil {
			return
		}
		k := cache.Key{"root", seg, n}
		h1, err := k.Hash()
		if err != nil {
			return // too deep: a clear error, no panic
		}
		h2, _ := k.Hash()
		if h1 != h2 {
			t.Fatalf("hash not deterministic: %q vs %q", h1, h2)
		}
		raw, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back cache.Key
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if h3, err := back.Hash(); err != nil || h3 != h1 {
			t.Fatalf("round trip changed the hash: %q vs %q (%v)", h1, h3, err)
		}
		if !cache.MatchKey(k, k) || !cache.MatchKey(k, k[:2]) || !cache.MatchKey(k, nil) {
			t.Fatalf("%s does not match itself or its prefixes", h1)
		}
	})
}

// FuzzDecodeJSON: the JSON helper's decoder never panics and reports bad
// input as ErrDecode.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`[{"ID":1,"Title":"a","Tags":["x"]}]`, `{"ID":`, ``, `null`, `[1,2`, `"\xff"`, `[{"ID":"nope"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err1 := cache.DecodeJSON[[]todo](body)
		_, err2 := cache.DecodeJSON[map[string]any](body)
		for _, err := range []error{err1, err2} {
			if err != nil && !errorsIs(err, cache.ErrDecode) {
				t.Fatalf("error does not wrap ErrDecode: %v", err)
			}
		}
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
