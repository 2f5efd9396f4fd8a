package wire_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// members reads obj with NextMember into a map of decoded keys to values,
// the last of a repeated key winning, as in encoding/json.
func members(t testing.TB, obj []byte) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for i := 0; ; {
		var key, val []byte
		if key, val, i = wire.NextMember(obj, i); i < 0 {
			return out
		}
		var name string
		require.NoError(t, json.Unmarshal(key, &name), "key %s", key)
		out[name] = val
	}
}

func TestNextMember_readsTheMembersEncodingJSONReads(t *testing.T) {
	obj := []byte(` { "id" : "a", "n":-1.5e2, "s":"x\"y}", "o":{"id":"inner","l":[1,"]}"]}, "t":true,"f":false,"z":null, "a\u0062":"escaped key", "l":[{"x":"}"}] } `)
	var want map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(obj, &want))
	got := members(t, obj)
	require.Len(t, got, len(want))
	for k, v := range want {
		assert.JSONEq(t, string(v), string(got[k]), k)
	}
	for _, s := range []string{`{}`, ` { } `, `[1]`, `"s"`, `7`, ``} {
		_, _, next := wire.NextMember([]byte(s), 0)
		assert.Equal(t, -1, next, "%q has no members", s)
	}
}

func FuzzNextMember(f *testing.F) {
	f.Add([]byte(`{"a":"x","b":[1,{"c":"}"}],"d":2}`))
	f.Add([]byte(`{"a\"b":{"c":[]},"e":"\\"}`))
	f.Add([]byte(`{"":{},"":""}`)) // a repeated key: the last counts
	f.Fuzz(func(t *testing.T, obj []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(obj, &want) != nil || want == nil {
			return // entities are valid JSON objects
		}
		got := members(t, obj)
		for k, v := range want {
			g, ok := got[k]
			if !ok {
				t.Fatalf("%s: member %q missing", obj, k)
			}
			var a, b any
			require.NoError(t, json.Unmarshal(g, &a), "member %q: %s", k, g)
			require.NoError(t, json.Unmarshal(v, &b))
			if !assert.ObjectsAreEqual(a, b) {
				t.Fatalf("%s: member %q is %s, want %s", obj, k, g, v)
			}
		}
	})
}
