package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestB10_aBodyCutOffByTheNetworkIs408AndNotRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		defer b.stop()
		body := `{"id":"l1","name":"groceries"}`
		req := httptest.NewRequest("POST", "/api/lists", io.MultiReader(strings.NewReader(body[:10]), iotest.ErrReader(io.ErrUnexpectedEOF)))
		req.Host = testHost
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(wire.HeaderClientID, client1)
		req.Header.Set(wire.HeaderMutationID, "1")
		rec := httptest.NewRecorder()
		b.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusRequestTimeout, rec.Code, rec.Body.String())
		e, err := wire.DecodeErrorResponse(rec.Body.Bytes())
		require.NoError(t, err)
		assert.Equal(t, wire.CodeTimeout, e.Error.Code)
		assert.False(t, wire.IsPermanentStatus(rec.Code), "the client retries a 408")

		b.create("lists", body, mut(client1, 1)...) // the retry is applied
		_, w := b.connect(client1)
		assert.Equal(t, uint64(1), w.LastMutationID)
	})
}

func TestB10_aBodyThatDoesNotArriveWithinBodyTimeoutIs408(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{BodyTimeout: 100 * time.Millisecond})
	addr := strings.TrimPrefix(env.http.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	body := `{"id":"l1","name":"groceries"}`
	// Headers and the first bytes, then nothing: a client trickling its body.
	_, err = fmt.Fprintf(conn, "POST /api/lists HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %s\r\n%s: 1\r\n\r\n%s",
		addr, len(body), wire.HeaderClientID, client1, wire.HeaderMutationID, body[:10])
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second))) // a safety net, far above BodyTimeout
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the server answers instead of waiting for the body forever")
	res.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, res.StatusCode)

	env.mustCreate("lists", body, mut(client1, 1)...) // not recorded: the retry is applied

	// A body that arrives in time on a kept-alive connection is unaffected
	// by the deadline of an earlier request on it.
	client := env.http.Client()
	for i := range 3 {
		req, err := http.NewRequest("PATCH", env.http.URL+"/api/lists/l1", strings.NewReader(fmt.Sprintf(`{"name":"n%d"}`, i)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
	}
}

func TestREST_aRequestCancelledBeforeItsMutationIsQueuedGets503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := NewMemStore()
		s := New(st, Options{Bus: &LocalBus{}, Logger: quietLogger(), MaxBatch: 1})
		inHook, release := make(chan struct{}), make(chan struct{})
		require.NoError(t, Register(s, form.Define("nodes", form.String("rule", func(v *node) *string { return &v.Rule })).ReadOnly(), Hooks[node]{
			BeforeWrite: func(ctx context.Context, tx *Tx, w Write[node]) error {
				if w.New.Rule == "block" {
					close(inHook)
					<-release
				}
				return nil
			},
		}))
		b := &bubble{t: t, s: s, h: s.Handler()}
		defer b.stop()
		codes := make(chan int, 2)
		go func() { codes <- b.do("POST", "/api/nodes", `{"id":"a","rule":"block"}`).Code }()
		<-inHook // the committing goroutine is busy
		go func() { codes <- b.do("POST", "/api/nodes", `{"id":"b"}`).Code }()
		synctest.Wait() // b waits in the queue, which is now full

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequestWithContext(ctx, "POST", "/api/nodes", strings.NewReader(`{"id":"c"}`))
		req.Host = testHost
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		b.h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		e, err := wire.DecodeErrorResponse(rec.Body.Bytes())
		require.NoError(t, err)
		assert.Equal(t, wire.CodeUnavailable, e.Error.Code)

		close(release)
		assert.Equal(t, http.StatusCreated, <-codes)
		assert.Equal(t, http.StatusCreated, <-codes)
		assert.Equal(t, http.StatusNotFound, b.do("GET", "/api/nodes/c", "").Code, "c was never applied")
	})
}
