package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// transportEnv serves a demo Server through Transport t on a loopback
// listener, as cmd/server does.
type transportEnv struct {
	srv    *Server
	store  Store
	addr   string        // host:port
	closed chan net.Conn // the server closed this connection
}

func newTransportEnv(t *testing.T, tr Transport, opts Options) *transportEnv {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	opts.Bus = &recordingBus{}
	st := NewMemStore()
	s := New(st, opts)
	registerDemo(t, s, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := tr.HTTPServer(s.Handler(), opts.Logger)
	e := &transportEnv{srv: s, store: st, addr: ln.Addr().String(), closed: make(chan net.Conn, 1024)}
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			select {
			case e.closed <- c:
			default:
			}
		}
	}
	go func() { _ = hs.Serve(tr.Listener(ln, opts.Logger)) }()
	t.Cleanup(func() {
		require.NoError(t, hs.Close())
		require.NoError(t, s.Shutdown(context.Background()))
	})
	return e
}

// dialFrom opens a TCP connection from a loopback source address.
func (e *transportEnv) dialFrom(t *testing.T, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", e.addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads from c until the server closes it, and returns how long
// that took; it fails if the server has not closed it within limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	require.NoError(t, c.SetReadDeadline(start.Add(limit)))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if err != nil && (!assert.ErrorAs(t, err, &ne) || ne.Timeout()) {
		t.Fatalf("the server still holds the connection after %v", limit)
	}
	return time.Since(start)
}

// createLists stores n lists with names of size bytes, straight into the
// store (the form would refuse such names).
func (e *transportEnv) createLists(t *testing.T, n, size int) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, e.store.Update(ctx, func(tx WriteTx) error {
		for i := range n {
			seq, _, err := tx.NextSeq(ctx, "lists")
			if err != nil {
				return err
			}
			id := fmt.Sprintf("l%05d", i)
			data := fmt.Sprintf(`{"id":%q,"name":%q,"position":0,"updatedAt":"2026-01-01T00:00:00Z"}`, id, strings.Repeat("n", size))
			if err := tx.Put(ctx, Record{Collection: "lists", ID: id, Version: seq, Data: []byte(data)}); err != nil {
				return err
			}
			if err := tx.AppendEvent(ctx, EventRecord{Topic: "lists", Seq: seq, ID: id, Op: wire.OpCreate, Version: seq, Data: []byte(data)}, 1000); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Finding 1: a request declaring a body its handler never reads (a GET, a
// 404, a 405, a DELETE) was held forever: net/http drains the unread body
// before it is done, and nothing bounded that read.
func TestTransport_aBodyNoHandlerReadsIsCutAfterReadTimeout(t *testing.T) {
	e := newTransportEnv(t, Transport{ReadTimeout: 300 * time.Millisecond}, Options{})
	for _, req := range []string{
		"GET /api/lists HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n",
		"GET /api/nope HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n",
		"PUT /api/lists HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n",
		"DELETE /api/lists/x HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\n",
	} {
		c := e.dialFrom(t, "127.0.0.1")
		_, err := fmt.Fprintf(c, req, e.addr)
		require.NoError(t, err)
		took := closedWithin(t, c, 5*time.Second)
		assert.Less(t, took, 3*time.Second, "%q", strings.SplitN(req, "\r\n", 2)[0])
	}
}

// Finding 1: a client that never reads pinned its answer, and the memory
// behind it, for as long as it liked.
func TestTransport_aClientThatDoesNotReadIsCutAfterWriteTimeout(t *testing.T) {
	e := newTransportEnv(t, Transport{WriteTimeout: 500 * time.Millisecond}, Options{Quotas: Unlimited()})
	e.createLists(t, 1000, 8000) // a listing of 8 MB: more than the socket buffers hold
	c := e.dialFrom(t, "127.0.0.1")
	require.NoError(t, c.(*net.TCPConn).SetReadBuffer(4096))
	_, err := fmt.Fprintf(c, "GET /api/lists?limit=1000 HTTP/1.1\r\nHost: %s\r\n\r\n", e.addr)
	require.NoError(t, err)
	// Read nothing: the server gives up on the write, and its memory, after
	// WriteTimeout.
	start := time.Now()
	select {
	case <-e.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the server still writes to a client that does not read")
	}
	assert.Less(t, time.Since(start), 3*time.Second)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(2*time.Second)))
	n, _ := io.Copy(io.Discard, c)
	assert.Less(t, n, int64(8_000_000), "the answer was cut short")
}

func TestTransport_connectionsAreCappedPerAddressAndInAll(t *testing.T) {
	e := newTransportEnv(t, Transport{MaxConns: 5, MaxConnsPerAddr: 3}, Options{})
	get := func(c net.Conn) int {
		_, err := fmt.Fprintf(c, "GET /api/lists HTTP/1.1\r\nHost: %s\r\n\r\n", e.addr)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	var held []net.Conn
	for range 3 {
		c := e.dialFrom(t, "127.0.0.2")
		require.Equal(t, http.StatusOK, get(c))
		held = append(held, c)
	}
	assert.Equal(t, http.StatusServiceUnavailable, get(e.dialFrom(t, "127.0.0.2")), "a fourth from one address")
	for range 2 {
		require.Equal(t, http.StatusOK, get(e.dialFrom(t, "127.0.0.3")))
	}
	assert.Equal(t, http.StatusServiceUnavailable, get(e.dialFrom(t, "127.0.0.4")), "a sixth in all")
	held[0].Close()
	assert.Eventually(t, func() bool { return get(e.dialFrom(t, "127.0.0.4")) == http.StatusOK }, 5*time.Second, 20*time.Millisecond,
		"a closed connection gives its slot back")
}

func TestTransport_aHeaderSectionOverTheLimitGets431(t *testing.T) {
	e := newTransportEnv(t, Transport{}, Options{})
	req, err := http.NewRequest("GET", "http://"+e.addr+"/api/lists", nil)
	require.NoError(t, err)
	req.Header.Set("X-Padding", strings.Repeat("p", 32<<10))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, res.StatusCode)
	req.Header.Set("X-Padding", strings.Repeat("p", 8<<10)) // a big cookie still fits
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestTransport_timeoutsDoNotApplyToWebSockets(t *testing.T) {
	short := 200 * time.Millisecond
	e := newTransportEnv(t, Transport{ReadHeaderTimeout: short, ReadTimeout: short, WriteTimeout: short, IdleTimeout: short},
		Options{HeartbeatInterval: 100 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+e.addr+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	require.NoError(t, err)
	defer c.CloseNow()
	send := func(m wire.ClientMessage) {
		b, err := wire.EncodeClientMessage(m)
		require.NoError(t, err)
		require.NoError(t, c.Write(ctx, websocket.MessageText, b))
	}
	send(wire.Hello{V: 1, ClientID: client1})
	send(wire.Sub{Topic: "lists"})
	// Answer heartbeats for five times every timeout of the transport.
	start := time.Now()
	for time.Since(start) < 5*short {
		_, b, err := c.Read(ctx)
		require.NoError(t, err, "the session outlives the HTTP timeouts")
		if m, _ := wire.DecodeServerMessage(b); m != nil {
			if _, ok := m.(wire.HB); ok {
				send(wire.HB{})
			}
		}
	}
	res, err := http.Post("http://"+e.addr+"/api/lists", "application/json", strings.NewReader(`{"id":"l00000","name":"x"}`))
	require.NoError(t, err)
	res.Body.Close()
	for {
		_, b, err := c.Read(ctx)
		require.NoError(t, err)
		if m, _ := wire.DecodeServerMessage(b); m != nil {
			if ev, ok := m.(wire.Event); ok {
				assert.Equal(t, "l00000", ev.ID)
				return
			}
		}
	}
}
