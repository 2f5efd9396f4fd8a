package backend_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/wire"
)

func post(t *testing.T, url, body string) (int, wire.ErrorResponse) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var e wire.ErrorResponse
	if res.StatusCode >= 400 {
		e, err = wire.DecodeErrorResponse(b)
		require.NoError(t, err, string(b))
	}
	return res.StatusCode, e
}

// Finding 7: the unique-title key did not normalize Unicode, so the NFC and
// NFD spellings of one title coexisted in a list.
func TestTitle_theNFCAndNFDSpellingsOfATitleAreOneTitle(t *testing.T) {
	s := server.New(server.NewMemStore(), server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, backend.Register(s))
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Shutdown(context.Background()))
	})
	status, _ := post(t, hs.URL+"/api/lists", `{"id":"l1","name":"groceries"}`)
	require.Equal(t, http.StatusCreated, status)
	status, _ = post(t, hs.URL+"/api/todos", `{"id":"t1","listId":"l1","title":"Caf\u00e9 au lait"}`) // é: one code point
	require.Equal(t, http.StatusCreated, status)
	for i, title := range []string{"Cafe\u0301 au lait", " CAFE\u0301 AU LAIT ", "caf\u00c9 au lait"} { // e + combining acute
		status, e := post(t, hs.URL+"/api/todos", `{"id":"t`+string(rune('2'+i))+`","listId":"l1","title":"`+title+`"}`)
		assert.Equal(t, http.StatusUnprocessableEntity, status, "%q", title)
		assert.Equal(t, "is already used in this list", e.Error.Fields["title"], "%q", title)
	}
	status, _ = post(t, hs.URL+"/api/todos", `{"id":"t9","listId":"l1","title":"Cafe au lait"}`)
	assert.Equal(t, http.StatusCreated, status, "no accent is another title")
}
