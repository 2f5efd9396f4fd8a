package store

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPickJSON(t *testing.T) {
	out, missing, err := pickJSON([]byte(`{"id":"a","title":"x\"}","n":[1,{"a":"]"}],"o":{"k":null},"b":true}`), []string{"o", "title", "zz", "n"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"o":{"k":null},"title":"x\"}","n":[1,{"a":"]"}]}`, string(out))
	assert.Equal(t, []string{"zz"}, missing)
	_, _, err = pickJSON([]byte(`[1]`), []string{"a"})
	assert.Error(t, err)
}

// FuzzPickJSON checks pickJSON against decoding into a map, on any object
// encoding/json can produce.
func FuzzPickJSON(f *testing.F) {
	f.Add(`{"a":1,"b":"two","c":[1,2,{"d":null}],"e\u00e9":{"f":"\"}"}}`, "a", "c")
	f.Add(`{}`, "x", "y")
	f.Add(`{"a":"\\","b":1e10}`, "b", "a")
	f.Fuzz(func(t *testing.T, doc, k1, k2 string) {
		var m map[string]any
		if json.Unmarshal([]byte(doc), &m) != nil {
			return
		}
		canon, err := json.Marshal(m) // what encoding/json writes
		require.NoError(t, err)
		out, _, err := pickJSON(canon, []string{k1, k2})
		require.NoError(t, err)
		var got map[string]any
		require.NoError(t, json.Unmarshal(out, &got), "output %s", out)
		for _, k := range []string{k1, k2} {
			want, ok := m[k]
			if !ok {
				assert.NotContains(t, got, k)
				continue
			}
			assert.Equal(t, want, got[k])
		}
	})
}
