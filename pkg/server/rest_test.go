package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

func TestREST_errorStatuses(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{
		MaxBodyBytes: 4096,
		Authenticate: func(r *http.Request) (context.Context, error) {
			switch r.Header.Get("Authorization") {
			case "bad":
				return nil, ErrUnauthorized
			case "reader":
				return context.WithValue(r.Context(), ctxKey{}, "reader"), nil
			}
			return nil, nil
		},
	})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "Groceries"})
	env.mustCreate("todos", map[string]any{"id": "t1", "listId": "l1", "title": "milk"})
	env.mustCreate("todos", map[string]any{"id": "t2", "listId": "l1", "title": "eggs"})
	require.Equal(t, http.StatusOK, env.do("DELETE", "/api/todos/t2", nil).status)

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		hdr    []string
		status int
		code   string
		check  func(t *testing.T, e wire.ErrorResponse)
	}{
		{"400 malformed JSON", "POST", "/api/lists", `{"id":"l2",`, nil, 400, wire.CodeBadRequest, nil},
		{"400 body not an object", "POST", "/api/lists", `[1]`, nil, 400, wire.CodeBadRequest, nil},
		{"400 trailing data", "POST", "/api/lists", `{"id":"l2","name":"x"} {}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 wrong type", "POST", "/api/lists", `{"id":"l2","name":5}`, nil, 400, wire.CodeBadRequest, func(t *testing.T, e wire.ErrorResponse) {
			assert.Equal(t, `field "name" must be a string, not number`, e.Error.Message)
		}},
		{"400 unknown field on create", "POST", "/api/lists", `{"id":"l2","name":"x","color":"red"}`, nil, 400, wire.CodeBadRequest, func(t *testing.T, e wire.ErrorResponse) {
			assert.Contains(t, e.Error.Message, `unknown field "color"`)
		}},
		{"400 server-set field on create", "POST", "/api/lists", `{"id":"l2","name":"x","updatedAt":"2020-01-01T00:00:00Z"}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 create without id", "POST", "/api/lists", `{"name":"x"}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 create with invalid id", "POST", "/api/lists", `{"id":"a b","name":"x"}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 create with id .. (unreachable: URL paths drop dot segments)", "POST", "/api/lists", `{"id":"..","name":"x"}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 create with id .", "POST", "/api/lists", `{"id":".","name":"x"}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 unknown field on patch", "PATCH", "/api/lists/l1", `{"nope":1}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 id in patch", "PATCH", "/api/lists/l1", `{"id":"l9"}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 null in patch", "PATCH", "/api/lists/l1", `{"name":null}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 empty patch", "PATCH", "/api/lists/l1", `{}`, nil, 400, wire.CodeBadRequest, nil},
		{"400 wrong type in patch", "PATCH", "/api/todos/t1", `{"done":"yes"}`, nil, 400, wire.CodeBadRequest, func(t *testing.T, e wire.ErrorResponse) {
			assert.Equal(t, `field "done" must be a boolean, not string`, e.Error.Message)
		}},
		{"400 malformed If-Match", "PATCH", "/api/lists/l1", `{"name":"y"}`, []string{"If-Match", "7"}, 400, wire.CodeBadRequest, nil},
		{"400 If-Match 0 (no version is 0; it is not a way to skip the check)", "PATCH", "/api/lists/l1", `{"name":"y"}`, []string{"If-Match", `"0"`}, 400, wire.CodeBadRequest, nil},
		{"400 only one dedup header", "POST", "/api/lists", `{"id":"l2","name":"x"}`, []string{wire.HeaderClientID, client1}, 400, wire.CodeBadRequest, nil},
		{"400 bad client id", "POST", "/api/lists", `{"id":"l2","name":"x"}`, []string{wire.HeaderClientID, "XYZ", wire.HeaderMutationID, "1"}, 400, wire.CodeBadRequest, nil},
		{"400 bad mutation id", "POST", "/api/lists", `{"id":"l2","name":"x"}`, mut(client1, 0), 400, wire.CodeBadRequest, nil},
		{"400 bad list cursor", "GET", "/api/lists?after=zzz", nil, nil, 400, wire.CodeBadRequest, nil},
		{"400 bad list limit", "GET", "/api/lists?limit=0", nil, nil, 400, wire.CodeBadRequest, nil},
		{"401 authentication refused", "GET", "/api/lists", nil, []string{"Authorization", "bad"}, 401, wire.CodeUnauthorized, nil},
		{"403 authorization refused", "POST", "/api/lists", `{"id":"l2","name":"x"}`, []string{"Authorization", "reader"}, 403, wire.CodeForbidden, nil},
		{"404 unknown collection", "GET", "/api/nope", nil, nil, 404, wire.CodeNotFound, nil},
		{"404 unknown route", "GET", "/api/lists/l1/x", nil, nil, 404, wire.CodeNotFound, nil},
		{"404 unknown id", "GET", "/api/lists/zz", nil, nil, 404, wire.CodeNotFound, nil},
		{"404 deleted id carries the tombstone", "GET", "/api/todos/t2", nil, nil, 404, wire.CodeNotFound, func(t *testing.T, e wire.ErrorResponse) {
			require.NotNil(t, e.Error.Current)
			assert.True(t, e.Error.Current.Deleted)
		}},
		{"404 patch unknown id", "PATCH", "/api/lists/zz", `{"name":"y"}`, nil, 404, wire.CodeNotFound, nil},
		{"404 delete unknown id", "DELETE", "/api/lists/zz", nil, nil, 404, wire.CodeNotFound, nil},
		{"405 method", "PUT", "/api/lists/l1", `{}`, nil, 405, wire.CodeMethodNotAllowed, nil},
		{"409 If-Match mismatch carries current", "PATCH", "/api/lists/l1", `{"name":"y"}`, []string{"If-Match", `"999"`}, 409, wire.CodeConflict, func(t *testing.T, e wire.ErrorResponse) {
			require.NotNil(t, e.Error.Current)
			assert.Equal(t, "l1", e.Error.Current.ID)
			assert.JSONEq(t, `"Groceries"`, string(mustField(t, e.Error.Current.Data, "name")))
		}},
		{"409 create on a live id", "POST", "/api/lists", `{"id":"l1","name":"x"}`, nil, 409, wire.CodeConflict, func(t *testing.T, e wire.ErrorResponse) {
			require.NotNil(t, e.Error.Current)
		}},
		{"409 create on a deleted id", "POST", "/api/todos", `{"id":"t2","listId":"l1","title":"again"}`, nil, 409, wire.CodeDeleted, func(t *testing.T, e wire.ErrorResponse) {
			require.NotNil(t, e.Error.Current)
			assert.True(t, e.Error.Current.Deleted)
		}},
		{"409 patch on a deleted id", "PATCH", "/api/todos/t2", `{"done":true}`, nil, 409, wire.CodeDeleted, nil},
		{"413 body over the limit", "POST", "/api/lists", `{"id":"l3","name":"` + strings.Repeat("x", 5000) + `"}`, nil, 413, wire.CodeTooLarge, nil},
		{"415 wrong content type", "POST", "/api/lists", `{"id":"l3","name":"x"}`, []string{"Content-Type", "text/plain"}, 415, wire.CodeUnsupportedMedia, nil},
		{"422 form failure", "POST", "/api/lists", `{"id":"l3","name":""}`, nil, 422, wire.CodeInvalid, func(t *testing.T, e wire.ErrorResponse) {
			assert.Equal(t, map[string]string{"name": "is required"}, e.Error.Fields)
		}},
		{"422 patch validates only present fields", "PATCH", "/api/todos/t1", `{"title":"` + strings.Repeat("x", 201) + `"}`, nil, 422, wire.CodeInvalid, func(t *testing.T, e wire.ErrorResponse) {
			assert.Equal(t, map[string]string{"title": "must be 1 to 200 characters"}, e.Error.Fields)
		}},
		{"422 server-only rule: list must exist", "POST", "/api/todos", `{"id":"t3","listId":"nope","title":"x"}`, nil, 422, wire.CodeInvalid, func(t *testing.T, e wire.ErrorResponse) {
			assert.Equal(t, map[string]string{"listId": "must name an existing list"}, e.Error.Fields)
		}},
		{"422 server-only rule: title unique in its list", "POST", "/api/todos", `{"id":"t3","listId":"l1","title":"MILK "}`, nil, 422, wire.CodeInvalid, func(t *testing.T, e wire.ErrorResponse) {
			assert.Equal(t, map[string]string{"title": "is already used in this list"}, e.Error.Fields)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := env.do(tc.method, tc.path, tc.body, tc.hdr...)
			require.Equal(t, tc.status, r.status, string(r.body))
			assert.Equal(t, "application/json", r.header.Get("Content-Type"))
			e := r.errBody(t)
			assert.Equal(t, tc.code, e.Error.Code)
			assert.NotEmpty(t, e.Error.Message)
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}

func mustField(t *testing.T, data json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m))
	return m[name]
}

func TestREST_happyPaths(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	r := env.mustCreate("lists", map[string]any{"id": "l1", "name": "Groceries", "position": 1}, mut(client1, 1)...)
	assert.Equal(t, wire.MutationResponse{ID: "l1", Version: 1, Data: r.Data, Topic: "lists", Seq: 1, Epoch: r.Epoch, MutationID: 1}, r)
	assert.NotEmpty(t, r.Epoch)
	assert.NotEqual(t, `"0001-01-01T00:00:00Z"`, string(mustField(t, r.Data, "updatedAt")), "BeforeWrite sets updatedAt")

	t.Run("get with ETag", func(t *testing.T) {
		g := env.do("GET", "/api/lists/l1", nil)
		require.Equal(t, 200, g.status)
		assert.Equal(t, `"1"`, g.header.Get("ETag"))
		it, err := wire.DecodeItem(g.body)
		require.NoError(t, err)
		assert.Equal(t, uint64(1), it.Version)
	})
	t.Run("PATCH merges field by field and returns the full object", func(t *testing.T) {
		p := env.do("PATCH", "/api/lists/l1", `{"position":2}`, append(mut(client1, 2), "If-Match", `"1"`)...)
		require.Equal(t, 200, p.status, string(p.body))
		mr, err := wire.DecodeMutationResponse(p.body)
		require.NoError(t, err)
		assert.Equal(t, uint64(2), mr.Version)
		assert.JSONEq(t, `"Groceries"`, string(mustField(t, mr.Data, "name")))
		assert.JSONEq(t, `2`, string(mustField(t, mr.Data, "position")))
	})
	t.Run("delete leaves a tombstone and cascades with one event per entity", func(t *testing.T) {
		env.mustCreate("todos", map[string]any{"id": "t1", "listId": "l1", "title": "milk"})
		env.mustCreate("todos", map[string]any{"id": "t2", "listId": "l1", "title": "eggs"})
		before := len(env.bus.all())
		d := env.do("DELETE", "/api/lists/l1", nil, mut(client1, 3)...)
		require.Equal(t, 200, d.status, string(d.body))
		dr, err := wire.DecodeDeleteResponse(d.body)
		require.NoError(t, err)
		assert.Equal(t, "lists", dr.Topic)
		evs := env.bus.all()[before:]
		require.Len(t, evs, 3)
		var topics []string
		for _, ev := range evs {
			topics = append(topics, ev.Topic+"/"+ev.ID)
			assert.Equal(t, wire.OpDelete, ev.Op)
			require.NotNil(t, ev.Origin)
			assert.Equal(t, uint64(3), ev.Origin.MutationID)
		}
		assert.Equal(t, []string{"todos/t1", "todos/t2", "lists/l1"}, topics)
		assert.Equal(t, dr.Seq, evs[2].Seq)
		assert.Equal(t, 404, env.do("GET", "/api/todos/t1", nil).status)
	})
	t.Run("list pages share one watermark", func(t *testing.T) {
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			env.mustCreate("lists", map[string]any{"id": id, "name": id})
		}
		p1 := env.do("GET", "/api/lists?limit=2", nil)
		require.Equal(t, 200, p1.status)
		page1, err := wire.DecodeSnapshotPage(p1.body)
		require.NoError(t, err)
		require.Len(t, page1.Items, 2)
		require.NotEmpty(t, page1.Next)
		env.mustCreate("lists", map[string]any{"id": "z", "name": "late"})
		var all []string
		for _, it := range page1.Items {
			all = append(all, it.ID)
		}
		next := page1.Next
		for next != "" {
			p := env.do("GET", "/api/lists?limit=2&after="+next, nil)
			require.Equal(t, 200, p.status, string(p.body))
			page, err := wire.DecodeSnapshotPage(p.body)
			require.NoError(t, err)
			assert.Equal(t, page1.Epoch, page.Epoch)
			assert.Equal(t, page1.Seq, page.Seq)
			for _, it := range page.Items {
				all = append(all, it.ID)
			}
			next = page.Next
		}
		assert.Equal(t, []string{"a", "b", "c", "d", "e", "z"}, all, "tombstone l1 is not listed")
	})
}

// Mutation answers carry the topic's epoch (a protocol decision, see
// pkg/wire): the epoch the snapshot of the same topic reports.
func TestREST_mutationAnswersCarryTheEpoch(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	created := env.mustCreate("lists", map[string]any{"id": "l1", "name": "Groceries"})
	list := env.do("GET", "/api/lists", nil)
	require.Equal(t, http.StatusOK, list.status)
	page, err := wire.DecodeSnapshotPage(list.body)
	require.NoError(t, err)
	require.NotEmpty(t, page.Epoch)
	assert.Equal(t, page.Epoch, created.Epoch, "create")

	patched := env.do("PATCH", "/api/lists/l1", map[string]any{"name": "Food"})
	require.Equal(t, http.StatusOK, patched.status)
	mr, err := wire.DecodeMutationResponse(patched.body)
	require.NoError(t, err)
	assert.Equal(t, page.Epoch, mr.Epoch, "patch")

	deleted := env.do("DELETE", "/api/lists/l1", nil)
	require.Equal(t, http.StatusOK, deleted.status)
	dr, err := wire.DecodeDeleteResponse(deleted.body)
	require.NoError(t, err)
	assert.Equal(t, page.Epoch, dr.Epoch, "delete")
}
