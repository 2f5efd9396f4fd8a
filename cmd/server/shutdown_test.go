package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// Finding 1: one stalled connection spent the whole shutdown budget, and
// SIGTERM exited 1 after 20 s without draining sessions or queued mutations.
func TestShutdown_exitsZeroWithinItsBudgetDespiteStalledConnections(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	// Long read timeouts: only the shutdown can free these connections.
	srv := startServer(t, bin, filepath.Join(dir, "tandem.db"), dir,
		"-shutdown-timeout", "4s", "-read-timeout", "1m", "-read-header-timeout", "1m")
	var stalled []net.Conn
	dial := func(format string, args ...any) {
		c, err := net.Dial("tcp", srv.addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		_, err = fmt.Fprintf(c, format, args...)
		require.NoError(t, err)
		stalled = append(stalled, c)
	}
	for range 5 {
		dial("GET /api/lists HTTP/1.1\r\nHost: %s\r\nX-Half: ", srv.addr)                                                        // headers never end
		dial("POST /api/lists HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", srv.addr) // body never ends
		dial("GET /api/lists HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n", srv.addr)                                     // body nobody reads
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 3 {
		c, _, err := websocket.Dial(ctx, "ws://"+srv.addr+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		require.NoError(t, err)
		t.Cleanup(func() { c.CloseNow() })
		if i == 0 {
			continue // never says hello
		}
		hello, _ := wire.EncodeClientMessage(wire.Hello{V: 1, ClientID: fmt.Sprintf("%032x", i)})
		sub, _ := wire.EncodeClientMessage(wire.Sub{Topic: "lists"})
		require.NoError(t, c.Write(ctx, websocket.MessageText, hello))
		require.NoError(t, c.Write(ctx, websocket.MessageText, sub))
		// and never reads again, nor answers the close handshake
	}
	status, body, err := post(&http.Client{Timeout: 10 * time.Second}, srv.url("/api/lists"), `{"id":"l1","name":"x"}`, fmt.Sprintf("%032x", 9), 1)
	require.NoError(t, err)
	require.Equal(t, 201, status, string(body))

	start := time.Now()
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, srv.wait(t), "a clean stop exits 0\n%s", srv.logs())
	took := time.Since(start)
	// The budget, plus the process's exit (a -race binary sleeps 1 s there).
	assert.Less(t, took, 6*time.Second, "within the 4 s budget\n%s", srv.logs())
	assert.Contains(t, srv.logs(), "msg=stopped")
	t.Logf("stopped in %v with %d stalled connections and 3 WebSockets", took, len(stalled))
}
