package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/wire"
)

// The body deadline of pkg/server reaches the connection through the
// request logger's wrapper (debug mode), so a client trickling a body does
// not hold a handler forever.
func TestLogRequests_keepsTheBodyDeadlineOfRESTRequests(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := server.NewMemStore()
	api := server.New(store, server.Options{Logger: log, BodyTimeout: 100 * time.Millisecond})
	require.NoError(t, backend.Register(api))
	hs := httptest.NewServer(logRequests(log, api.Handler()))
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, api.Shutdown(context.Background()))
	})

	addr := strings.TrimPrefix(hs.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	body := `{"id":"l1","name":"groceries"}`
	_, err = fmt.Fprintf(conn, "POST /api/lists HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s: %032x\r\n%s: 1\r\n\r\n%s",
		addr, len(body), wire.HeaderClientID, 1, wire.HeaderMutationID, body[:5])
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second))) // a safety net far above BodyTimeout
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusRequestTimeout, res.StatusCode)
}
