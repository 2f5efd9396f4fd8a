package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// pipeConn is an in-memory wsConn. The test plays the client on the other
// end: it sends into toServer and receives from toClient.
type pipeConn struct {
	toServer chan []byte
	toClient chan []byte
	done     chan struct{}
	once     sync.Once
	mu       sync.Mutex
	code     wire.CloseCode
	reason   string
}

func newPipe(clientBuffer int) *pipeConn {
	return &pipeConn{toServer: make(chan []byte), toClient: make(chan []byte, clientBuffer), done: make(chan struct{})}
}

func (p *pipeConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-p.toServer:
		if len(b) > wire.MaxClientMessage {
			return nil, errTooBig
		}
		return b, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeConn) Write(ctx context.Context, b []byte) error {
	select {
	case p.toClient <- b:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return net.ErrClosed
	}
}

func (p *pipeConn) Close(code wire.CloseCode, reason string) error {
	p.once.Do(func() {
		p.mu.Lock()
		p.code, p.reason = code, reason
		p.mu.Unlock()
		close(p.done)
	})
	return nil
}

// Abort closes without a code; closeCode reports 1006 (abnormal closure).
func (p *pipeConn) Abort() error { return p.Close(1006, "") }

func (p *pipeConn) closeCode() (wire.CloseCode, bool) {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.code, true
	default:
		return 0, false
	}
}

// bubble is one synctest test: a server on a MemStore, driven in memory.
type bubble struct {
	t   *testing.T
	s   *Server
	st  *hookStore
	h   http.Handler
	bus *recordingBus
}

// hookStore runs callbacks around the next View (the subscribe's read).
type hookStore struct {
	Store
	mu          sync.Mutex
	before      func()
	after       func()
	viewsToSkip int
}

func (h *hookStore) arm(skip int, before, after func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.viewsToSkip, h.before, h.after = skip, before, after
}

func (h *hookStore) View(ctx context.Context, fn func(ReadTx) error) error {
	h.mu.Lock()
	var before, after func()
	if h.before != nil || h.after != nil {
		if h.viewsToSkip > 0 {
			h.viewsToSkip--
		} else {
			before, after = h.before, h.after
			h.before, h.after = nil, nil
		}
	}
	h.mu.Unlock()
	if before != nil {
		before()
	}
	err := h.Store.View(ctx, fn)
	if after != nil {
		after()
	}
	return err
}

// newBubble starts a server in memory. Its quotas are off unless opts sets
// some: a bubble's clock hardly moves, and many tests write thousands of
// entities to set the scene.
func newBubble(t *testing.T, opts Options) *bubble {
	st := &hookStore{Store: NewMemStore()}
	bus := &recordingBus{}
	opts.Bus = bus
	if opts.Quotas == (Quotas{}) {
		opts.Quotas = Unlimited()
	}
	s := New(st, opts)
	registerDemo(t, s, nil)
	return &bubble{t: t, s: s, st: st, h: s.Handler(), bus: bus}
}

// stop shuts the server down; every session ends with 1001.
func (b *bubble) stop() {
	require.NoError(b.t, b.s.Shutdown(context.Background()))
}

// testHost is the Host of the in-memory requests: a name a Server always
// answers for (httptest.NewRequest's own, example.com, it would refuse).
const testHost = "localhost"

// do runs one REST request in memory.
func (b *bubble) do(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = testHost
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	return rec
}

func (b *bubble) create(coll, body string, hdr ...string) {
	b.t.Helper()
	rec := b.do("POST", "/api/"+coll, body, hdr...)
	require.Equal(b.t, 201, rec.Code, rec.Body.String())
}

type tclient struct {
	t *testing.T
	p *pipeConn
}

// connect starts a session and completes hello/welcome.
func (b *bubble) connect(clientID string) (*tclient, wire.Welcome) {
	c := b.dial()
	c.send(wire.Hello{V: 1, ClientID: clientID})
	w, ok := c.next().(wire.Welcome)
	require.True(b.t, ok, "welcome expected")
	return c, w
}

func (b *bubble) dial() *tclient {
	return b.dialBuffered(4096)
}

func (b *bubble) dialBuffered(n int) *tclient {
	p := newPipe(n)
	go b.s.hub.serve(p, nil)
	return &tclient{t: b.t, p: p}
}

func (c *tclient) send(m wire.ClientMessage) {
	c.t.Helper()
	b, err := wire.EncodeClientMessage(m)
	require.NoError(c.t, err)
	c.sendRaw(b)
}

func (c *tclient) sendRaw(b []byte) {
	select {
	case c.p.toServer <- b:
	case <-c.p.done:
	}
}

// next returns the next message, after letting the bubble settle.
func (c *tclient) next() wire.ServerMessage {
	c.t.Helper()
	synctest.Wait()
	select {
	case b := <-c.p.toClient:
		m, err := wire.DecodeServerMessage(b)
		require.NoError(c.t, err, string(b))
		return m
	default:
		c.t.Fatal("no message from the server")
		return nil
	}
}

func (c *tclient) nextRaw() []byte {
	c.t.Helper()
	synctest.Wait()
	select {
	case b := <-c.p.toClient:
		return b
	default:
		c.t.Fatal("no message from the server")
		return nil
	}
}

// none asserts that the server sent nothing more.
func (c *tclient) none() {
	c.t.Helper()
	synctest.Wait()
	select {
	case b := <-c.p.toClient:
		c.t.Fatalf("unexpected message %s", b)
	default:
	}
}

// subscribeFresh subscribes without since and returns the snapshot items
// and live.
func (c *tclient) subscribe(topic string, since *wire.Cursor) ([]wire.ServerMessage, wire.Live) {
	c.t.Helper()
	c.send(wire.Sub{Topic: topic, Since: since})
	var got []wire.ServerMessage
	for {
		m := c.next()
		if l, ok := m.(wire.Live); ok {
			return got, l
		}
		got = append(got, m)
	}
}

func itemIDs(msgs []wire.ServerMessage) []string {
	var ids []string
	for _, m := range msgs {
		if s, ok := m.(wire.Snapshot); ok {
			for _, it := range s.Items {
				ids = append(ids, it.ID)
			}
		}
	}
	return ids
}
