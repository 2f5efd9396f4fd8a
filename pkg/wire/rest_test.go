package wire_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

func TestDecodeRESTBodies(t *testing.T) {
	t.Run("item", func(t *testing.T) {
		it, err := wire.DecodeItem([]byte(`{"id":"a","version":3,"data":{"x":1}}`))
		require.NoError(t, err)
		assert.Equal(t, wire.Item{ID: "a", Version: 3, Data: json.RawMessage(`{"x":1}`)}, it)
		for _, bad := range []string{`{"id":"a","version":3}`, `{"id":"a","version":3,"deleted":true}`, `{"version":3,"data":{}}`, `{"id":"a","data":{}}`, `{"id":"a","version":3,"data":"s"}`, `null`, ``} {
			_, err := wire.DecodeItem([]byte(bad))
			assert.ErrorIs(t, err, wire.ErrMalformed, bad)
		}
	})
	t.Run("snapshot page", func(t *testing.T) {
		p, err := wire.DecodeSnapshotPage([]byte(`{"items":[{"id":"a","version":1,"data":{}}],"epoch":"e","seq":7,"next":"cur"}`))
		require.NoError(t, err)
		assert.Equal(t, wire.SnapshotPage{Items: []wire.Item{{ID: "a", Version: 1, Data: json.RawMessage(`{}`)}}, Epoch: "e", Seq: 7, Next: "cur"}, p)
		for _, bad := range []string{`{"epoch":"e","seq":7}`, `{"items":[],"seq":7}`, `{"items":[],"epoch":"e"}`, `{"items":[{"id":"a","version":1,"deleted":true}],"epoch":"e","seq":1}`} {
			_, err := wire.DecodeSnapshotPage([]byte(bad))
			assert.ErrorIs(t, err, wire.ErrMalformed, bad)
		}
	})
	t.Run("mutation response", func(t *testing.T) {
		r, err := wire.DecodeMutationResponse([]byte(`{"id":"a","version":42,"data":{"t":1},"topic":"todos","seq":42,"mutationID":17,"duplicate":true}`))
		require.NoError(t, err)
		assert.Equal(t, wire.MutationResponse{ID: "a", Version: 42, Data: json.RawMessage(`{"t":1}`), Topic: "todos", Seq: 42, MutationID: 17, Duplicate: true}, r)
		assert.Equal(t, wire.Item{ID: "a", Version: 42, Data: json.RawMessage(`{"t":1}`)}, r.Item())
		r, err = wire.DecodeMutationResponse([]byte(`{"id":"a","version":42,"data":{},"topic":"todos","seq":42,"epoch":"e2","mutationID":17,"duplicate":false}`))
		require.NoError(t, err)
		assert.Equal(t, "e2", r.Epoch)
		for _, bad := range []string{
			`{"id":"a","version":42,"data":{},"topic":"todos","seq":42,"epoch":""}`,
			`{"id":"a","version":42,"data":{},"topic":"todos","seq":42,"epoch":"a b"}`,
			`{"id":"a","version":42,"topic":"todos","seq":42}`,
			`{"id":"a","version":42,"data":{},"seq":42}`,
			`{"id":"a","version":42,"data":{},"topic":"todos","seq":0}`,
			`{"id":"a","version":42,"deleted":true,"topic":"todos","seq":42}`,
		} {
			_, err := wire.DecodeMutationResponse([]byte(bad))
			assert.ErrorIs(t, err, wire.ErrMalformed, bad)
		}
	})
	t.Run("delete response", func(t *testing.T) {
		r, err := wire.DecodeDeleteResponse([]byte(`{"id":"a","version":43,"deleted":true,"topic":"todos","seq":43,"mutationID":18}`))
		require.NoError(t, err)
		assert.Equal(t, wire.DeleteResponse{ID: "a", Version: 43, Deleted: true, Topic: "todos", Seq: 43, MutationID: 18}, r)
		assert.Equal(t, wire.Item{ID: "a", Version: 43, Deleted: true}, r.Item())
		r, err = wire.DecodeDeleteResponse([]byte(`{"id":"a","version":43,"deleted":true,"topic":"todos","seq":43,"epoch":"e2"}`))
		require.NoError(t, err)
		assert.Equal(t, "e2", r.Epoch)
		_, err = wire.DecodeDeleteResponse([]byte(`{"id":"a","version":43,"deleted":true,"topic":"todos","seq":43,"epoch":7}`))
		assert.ErrorIs(t, err, wire.ErrMalformed)
		_, err = wire.DecodeDeleteResponse([]byte(`{"id":"a","version":43,"topic":"todos","seq":43}`))
		assert.ErrorIs(t, err, wire.ErrMalformed)
		_, err = wire.DecodeDeleteResponse([]byte(`{"id":"a","version":43,"deleted":true,"data":{},"topic":"todos","seq":43}`))
		assert.ErrorIs(t, err, wire.ErrMalformed)
	})
	t.Run("error response", func(t *testing.T) {
		r, err := wire.DecodeErrorResponse([]byte(`{"error":{"code":"invalid","message":"bad","fields":{"title":"is required"}},"duplicate":true}`))
		require.NoError(t, err)
		assert.Equal(t, wire.ErrorResponse{Error: wire.ErrorBody{Code: "invalid", Message: "bad", Fields: map[string]string{"title": "is required"}}, Duplicate: true}, r)
		assert.Equal(t, "wire: invalid: bad; title: is required", r.Error.Error())

		r, err = wire.DecodeErrorResponse([]byte(`{"error":{"code":"deleted","message":"gone","current":{"id":"a","version":9,"deleted":true}}}`))
		require.NoError(t, err)
		assert.Equal(t, &wire.Item{ID: "a", Version: 9, Deleted: true}, r.Error.Current)

		for _, bad := range []string{`{}`, `{"error":{}}`, `{"error":{"code":""}}`, `{"error":{"code":"x","current":{"id":"a"}}}`, `{"error":{"code":"x","fields":{"a":1}}}`} {
			_, err := wire.DecodeErrorResponse([]byte(bad))
			assert.ErrorIs(t, err, wire.ErrMalformed, bad)
		}
	})
}

func TestHeaders(t *testing.T) {
	assert.Equal(t, `"42"`, wire.FormatETag(42))
	v, err := wire.ParseIfMatch(` "42" `)
	require.NoError(t, err)
	assert.Equal(t, uint64(42), v)
	for _, bad := range []string{`42`, `W/"42"`, `*`, `"4 2"`, `"42", "43"`, `""`, `"-1"`, `"0"`} {
		_, err := wire.ParseIfMatch(bad)
		assert.ErrorIs(t, err, wire.ErrBadHeader, bad)
	}
	n, err := wire.ParseMutationID("17")
	require.NoError(t, err)
	assert.Equal(t, uint64(17), n)
	for _, bad := range []string{"", "0", "-1", "017", "1.5", "9007199254740992", "x"} {
		_, err := wire.ParseMutationID(bad)
		assert.ErrorIs(t, err, wire.ErrBadHeader, bad)
	}
}

func TestIdentifiers(t *testing.T) {
	assert.True(t, wire.ValidClientID(cid))
	assert.True(t, wire.ValidClientID(uuid))
	assert.False(t, wire.ValidClientID("01234567-89ab-cdef-0123_456789abcdef"))
	assert.False(t, wire.ValidClientID(cid[:31]))
	assert.True(t, wire.ValidID(uuid))
	assert.False(t, wire.ValidID("a/b"))
	assert.False(t, wire.ValidID(""))
	assert.True(t, wire.ValidID("..a"))
	assert.True(t, wire.ValidID("..."), "only the dot segments are refused")
	assert.False(t, wire.ValidID("."), "a dot segment is cleaned out of URL paths")
	assert.False(t, wire.ValidID(".."), "a dot segment is cleaned out of URL paths")
	assert.True(t, wire.ValidTopic("acme/todos"))
	assert.False(t, wire.ValidTopic("/todos"))
	assert.False(t, wire.ValidTopic("todos/"))
	assert.False(t, wire.ValidTopic("../todos"), "a partition key is an id")
	assert.True(t, wire.ValidTopic(strings.Repeat("k", wire.MaxIDLen)+"/todos"), "any id is a partition key")
	assert.True(t, wire.ValidCollection("todos"))
	assert.False(t, wire.ValidCollection("acme/todos"))
	assert.False(t, wire.ValidEpoch(`a"b`))
}

func TestStatusAndCloseCodes(t *testing.T) {
	for status, perm := range map[int]bool{200: true, 400: true, 401: true, 403: true, 404: true, 408: false, 409: true, 413: true, 422: true, 429: false, 500: false, 503: false, 0: false} {
		assert.Equal(t, perm, wire.IsPermanentStatus(status), status)
	}
	assert.False(t, wire.CloseUnauthorized.Reconnect())
	assert.True(t, wire.CloseSlowConsumer.Reconnect())
	assert.True(t, wire.CloseGoingAway.Reconnect())
}
