package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// storedAnswer reads the recorded answer to (clientID, mutationID).
func storedAnswer(t *testing.T, st Store, clientID string, mutationID uint64) StoredResponse {
	t.Helper()
	var r StoredResponse
	var found bool
	require.NoError(t, st.Update(context.Background(), func(tx WriteTx) error {
		var err error
		r, found, err = tx.Response(context.Background(), clientID, mutationID)
		return err
	}))
	require.True(t, found, "recorded")
	return r
}

// Finding 2: a 400 found before the transaction was recorded for 30 days
// with a message that echoed the input, up to the body limit.
func TestDedup_aRecordedErrorAnswerIsSmallWhateverTheInput(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	long := strings.Repeat("é", 300<<10) // 600 KiB of field name
	for i, body := range []string{
		`{"id":"l1","name":"x","` + long + `":1}`,                                        // unknown field (create form)
		`{"id":"l1","name":"x","position":1` + strings.Repeat("0", 500<<10) + `e999999}`, // out of range, echoing the number
		`{"id":"l1","name":` + strings.Repeat("9", 500<<10) + `}`,                        // wrong type, echoing the value
	} {
		r := env.do("POST", "/api/lists", body, mut(client1, uint64(i+1))...)
		require.Equal(t, http.StatusBadRequest, r.status, "%.200s", r.body)
		assert.Less(t, len(r.body), 512, "answer: %.300s", r.body)
		assert.Less(t, len(storedAnswer(t, env.store, client1, uint64(i+1)).Body), 512)
	}
	env.mustCreate("lists", `{"id":"l1","name":"x"}`)
	r := env.do("PATCH", "/api/lists/l1", `{"`+long+`":1}`, mut(client1, 10)...)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Less(t, len(storedAnswer(t, env.store, client1, 10).Body), 512)
}

func TestDedup_aRecordedConflictKeepsNoCopyOfTheEntity(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	big := strings.Repeat("b", 100)
	env.mustCreate("lists", `{"id":"l1","name":"`+big+`"}`)
	r := env.do("POST", "/api/lists", `{"id":"l1","name":"again"}`, mut(client1, 1)...)
	require.Equal(t, http.StatusConflict, r.status)
	require.NotNil(t, r.errBody(t).Error.Current, "the answer itself carries current")
	assert.NotContains(t, string(storedAnswer(t, env.store, client1, 1).Body), big, "the record does not")
	dup := env.do("POST", "/api/lists", `{"id":"l1","name":"again"}`, mut(client1, 1)...)
	assert.Equal(t, http.StatusConflict, dup.status)
	assert.True(t, dup.errBody(t).Duplicate)
}

func TestError_textIsBoundedWhateverAHookPutsInIt(t *testing.T) {
	e := &Error{Status: 422, Code: wire.CodeInvalid, Message: strings.Repeat("m", 10_000), Fields: map[string]string{}}
	for i := range 100 {
		e.Fields[fmt.Sprintf("%03d", i)+strings.Repeat("f", 200)] = strings.Repeat("v", 1000)
	}
	b := e.recordedBody()
	assert.Less(t, len(b), maxMessageBytes+maxFields*(maxFieldBytes+maxMessageBytes+8)+100)
	got, err := wire.DecodeErrorResponse(b)
	require.NoError(t, err)
	assert.Len(t, got.Error.Fields, maxFields)
	assert.True(t, strings.HasSuffix(got.Error.Message, "…"))
	assert.Equal(t, "ab…", clip("abcdef", 5))
	assert.Equal(t, "é…", clip("éééé", 5), "cut on a rune boundary")
}

// JSON answers say nosniff: a browser never runs one as a script or page.
func TestREST_jsonAnswersSayNosniff(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	for _, r := range []resp{env.do("GET", "/api/lists", nil), env.do("GET", "/api/nope", nil), env.do("POST", "/api/lists", `{`)} {
		assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
		assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	}
}
