package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// doFrom runs one REST request in memory from a client address.
func (b *bubble) doFrom(addr, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Host = testHost
	req.RemoteAddr = addr + ":40000"
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

// freshClient returns the i-th clientID of a flood.
func freshClient(i int) string { return fmt.Sprintf("%032x", 0xf100d000+i) }

func countClients(t *testing.T, st Store) int {
	t.Helper()
	n := 0
	require.NoError(t, st.View(context.Background(), func(rt ReadTx) error {
		for i := range 1000 {
			if _, found, err := rt.Client(context.Background(), freshClient(i)); err != nil {
				return err
			} else if found {
				n++
			}
		}
		return nil
	}))
	return n
}

// Finding 2: clientIDs were free, so one client recorded a 400 under a new
// clientID per request, each kept for 30 days: the disk filled up.
func TestQuota_aFloodOfFreshClientIDsRecordsABoundedNumber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{Quotas: Quotas{NewClients: Rate{PerSecond: 1, Burst: 10}}})
		defer b.stop()
		var limited int
		for i := range 100 {
			rec := b.doFrom("192.0.2.7", "POST", "/api/todos", `{"id":"x","bogus":1}`, mut(freshClient(i), 1)...)
			switch rec.Code {
			case http.StatusBadRequest:
			case http.StatusTooManyRequests:
				limited++
				e, err := wire.DecodeErrorResponse(rec.Body.Bytes())
				require.NoError(t, err)
				assert.Equal(t, wire.CodeRateLimited, e.Error.Code)
				assert.Equal(t, "1", rec.Header().Get("Retry-After"))
				assert.False(t, wire.IsPermanentStatus(rec.Code), "the client retries a 429")
			default:
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		assert.Equal(t, 90, limited)
		assert.Equal(t, 10, countClients(t, b.st), "only the burst was recorded")

		// Another address has its own quota; a refused clientID is not
		// recorded, so its retry after the pause goes through.
		assert.Equal(t, http.StatusBadRequest, b.doFrom("198.51.100.1", "POST", "/api/todos", `{"id":"x","bogus":1}`, mut(freshClient(500), 1)...).Code)
		time.Sleep(time.Second)
		assert.Equal(t, http.StatusBadRequest, b.doFrom("192.0.2.7", "POST", "/api/todos", `{"id":"x","bogus":1}`, mut(freshClient(99), 1)...).Code)
		// A known clientID is no new client: not limited by this quota.
		assert.Equal(t, http.StatusBadRequest, b.doFrom("192.0.2.7", "POST", "/api/todos", `{"id":"x","bogus":1}`, mut(freshClient(0), 2)...).Code)
	})
}

func TestQuota_mutationsArePerAddressAndPerPrincipal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := principalOptions()
		opts.Quotas = Quotas{Mutations: Rate{PerSecond: 2, Burst: 3}}
		b := newBubble(t, opts)
		defer b.stop()
		create := func(addr, user string, i int) int {
			return b.doFrom(addr, "POST", "/api/lists", fmt.Sprintf(`{"id":"%s%d","name":"x"}`, user, i), "X-User", user).Code
		}
		for i := range 3 {
			require.Equal(t, http.StatusCreated, create("192.0.2.1", "alice", i))
		}
		assert.Equal(t, http.StatusTooManyRequests, create("192.0.2.1", "alice", 3))
		assert.Equal(t, http.StatusTooManyRequests, create("192.0.2.2", "alice", 3), "alice from another address: her principal's quota")
		assert.Equal(t, http.StatusTooManyRequests, create("192.0.2.1", "bob", 0), "bob from alice's address: the address's quota")
		assert.Equal(t, http.StatusCreated, create("192.0.2.3", "bob", 0))
		time.Sleep(500 * time.Millisecond)
		assert.Equal(t, http.StatusCreated, create("192.0.2.1", "alice", 3), "one token back after half a second")
	})
}

func TestQuota_recordedBytesAreLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{Quotas: Quotas{DedupBytes: Rate{PerSecond: 100, Burst: 2000}}})
		defer b.stop()
		name := strings.Repeat("n", 90)
		var created int
		for i := range 20 {
			rec := b.doFrom("192.0.2.1", "POST", "/api/lists", fmt.Sprintf(`{"id":"l%d","name":%q}`, i, name), mut(client1, uint64(i+1))...)
			if rec.Code == http.StatusTooManyRequests {
				break
			}
			require.Equal(t, http.StatusCreated, rec.Code)
			created++
		}
		assert.InDelta(t, 2000/240, created, 2, "about 240 bytes recorded per answer")
		rec := b.doFrom("192.0.2.1", "POST", "/api/lists", `{"id":"z","name":"x"}`)
		assert.Equal(t, http.StatusCreated, rec.Code, "a mutation without a clientID records nothing")
	})
}

// Finding 6: a 40-byte sub restarts a full snapshot and could be repeated
// at once, as fast as the client could send it.
func TestQuota_subscriptionsAreRateLimitedWith4029(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{Quotas: Quotas{Subscribes: Rate{PerSecond: 1, Burst: 5}}})
		defer b.stop()
		b.create("lists", `{"id":"l1","name":"one"}`)
		c, _ := b.connect(client1)
		for range 5 {
			c.subscribe("lists", nil)
		}
		c.send(wire.Sub{Topic: "lists"})
		synctest.Wait()
		code, closed := c.p.closeCode()
		require.True(t, closed)
		assert.Equal(t, wire.CloseRateLimited, code)
		assert.True(t, code.Reconnect(), "the client reconnects, with backoff")
	})
}

func TestQuota_helloMustArriveWithinHelloTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		defer b.stop()
		c := b.dial()
		time.Sleep(9 * time.Second)
		synctest.Wait()
		_, closed := c.p.closeCode()
		require.False(t, closed)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		code, closed := c.p.closeCode()
		require.True(t, closed, "10 s by default, not the 35 s heartbeat timeout")
		assert.Equal(t, wire.CloseProtocolError, code)
	})
}

// dialRaw opens a WebSocket from addr without saying hello; it returns
// the connection or the handshake's status.
func dialRaw(t *testing.T, env *testEnv, addr string) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.http.URL, "http")+"/api/ws", &websocket.DialOptions{
		Subprotocols: []string{wire.Subprotocol},
		HTTPHeader:   http.Header{"X-Test-Addr": {addr}},
	})
	if err != nil {
		require.NotNil(t, res, "%v", err)
		return nil, res.StatusCode
	}
	t.Cleanup(func() { c.CloseNow() })
	return c, res.StatusCode
}

// Finding 6: a WebSocket cost about 23 KiB before hello, held up to 35 s
// before any authentication, and 45 KiB after, with no limit on their
// number.
func TestQuota_websocketsWaitingForHelloAndSessionsAreBounded(t *testing.T) {
	opts := principalOptions()
	opts.ClientAddr = func(r *http.Request) string { return r.Header.Get("X-Test-Addr") }
	opts.Quotas = Quotas{Handshakes: 2, Sessions: 3, MaxHandshakes: 3}
	env := newEnv(t, NewMemStore(), opts)

	a1, _ := dialRaw(t, env, "a")
	a2, _ := dialRaw(t, env, "a")
	_, status := dialRaw(t, env, "a")
	assert.Equal(t, http.StatusTooManyRequests, status, "a third connection waiting for hello from one address")
	b1, _ := dialRaw(t, env, "b")
	_, status = dialRaw(t, env, "c")
	assert.Equal(t, http.StatusTooManyRequests, status, "a fourth waiting for hello server-wide")

	writeMsg(t, a1, wire.Hello{V: 1, ClientID: client1, Token: "alice"})
	assert.IsType(t, wire.Welcome{}, readMsg(t, a1))
	a3, status := dialRaw(t, env, "a")
	require.Equal(t, http.StatusSwitchingProtocols, status, "hello gave the slot back")
	_, status = dialRaw(t, env, "a")
	assert.Equal(t, http.StatusTooManyRequests, status, "three sessions from one address at most")

	writeMsg(t, a2, wire.Hello{V: 1, ClientID: client1, Token: "alice"})
	assert.IsType(t, wire.Welcome{}, readMsg(t, a2))
	writeMsg(t, b1, wire.Hello{V: 1, ClientID: client1, Token: "alice"})
	assert.IsType(t, wire.Welcome{}, readMsg(t, b1))
	writeMsg(t, a3, wire.Hello{V: 1, ClientID: client1, Token: "alice"})
	assert.Equal(t, websocket.StatusCode(wire.CloseRateLimited), closeStatus(t, a3), "a fourth session of alice")

	a1.Close(websocket.StatusNormalClosure, "")
	require.Eventually(t, func() bool {
		c, status := dialRaw(t, env, "a")
		if c != nil {
			c.CloseNow()
		}
		return status == http.StatusSwitchingProtocols
	}, 10*time.Second, 10*time.Millisecond, "a closed session gives its slot back")
}

func TestQuota_bucketsForgetIdleKeysPastTheirBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBuckets(Rate{PerSecond: 1, Burst: 2}, SystemClock{})
		for i := range maxKeys {
			ok, _ := b.take([]string{fmt.Sprint(i)}, 1)
			require.True(t, ok)
		}
		time.Sleep(2 * time.Second)
		ok, _ := b.take([]string{"new"}, 1)
		require.True(t, ok)
		assert.Len(t, b.m, 1, "the idle keys were dropped")
	})
}

func TestForwardedAddr_takesTheLastAddressTheProxyAppended(t *testing.T) {
	fa := ForwardedAddr("X-Forwarded-For")
	for _, tc := range []struct {
		hdr  []string
		want string
	}{
		{nil, "192.0.2.9"},
		{[]string{"203.0.113.1"}, "203.0.113.1"},
		{[]string{"1.1.1.1, 203.0.113.1"}, "203.0.113.1"},
		{[]string{"spoofed", "203.0.113.1 "}, "203.0.113.1"},
		{[]string{"2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2::/64"},
		{[]string{"203.0.113.1, garbage"}, "192.0.2.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2.9:1234"
		for _, h := range tc.hdr {
			r.Header.Add("X-Forwarded-For", h)
		}
		assert.Equal(t, tc.want, fa(r), "%q", tc.hdr)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[::ffff:192.0.2.3]:1"
	assert.Equal(t, "192.0.2.3", RemoteAddr(r))
}

func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1:1", "[::1]:80", "junk", "", "[fe80::1%eth0]:1"} {
		f.Add(s, "1.2.3.4, 5.6.7.8")
	}
	fa := ForwardedAddr("X-Forwarded-For")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		for _, a := range []string{RemoteAddr(r), fa(r)} {
			if len(a) > 64 {
				t.Fatalf("address key %q is not an address", a)
			}
		}
	})
}

// Finding 6: 64 mutations of 1 MB in flight at once added about 200 MiB;
// nothing bounded how many bodies the server held.
func TestMutationMemory_boundsTheBodiesHeldAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{MaxBodyBytes: 1 << 20, MutationMemory: 2 << 20, BodyTimeout: 5 * time.Second})
		defer b.stop()
		// Two uploads of 1 MiB from two addresses, still arriving.
		var writers []*io.PipeWriter
		codes := make(chan int, 3)
		for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
			pr, pw := io.Pipe()
			writers = append(writers, pw)
			req := httptest.NewRequest("POST", "/api/lists", pr)
			req.Host, req.RemoteAddr, req.ContentLength = testHost, addr+":1", 1<<20
			req.Header.Set("Content-Type", "application/json")
			go func() {
				rec := httptest.NewRecorder()
				b.h.ServeHTTP(rec, req)
				codes <- rec.Code
			}()
		}
		synctest.Wait()
		start := time.Now()
		rec := b.doFrom("192.0.2.3", "POST", "/api/lists", `{"id":"c","name":"`+strings.Repeat("x", 90)+`"}`)
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "no room: waited, then refused")
		assert.Equal(t, 5*time.Second, time.Since(start), "it waited BodyTimeout")

		go func() {
			body := `{"id":"a","name":"a"}`
			_, _ = io.WriteString(writers[0], body+strings.Repeat(" ", 1<<20-len(body)))
			writers[0].Close()
		}()
		assert.Equal(t, http.StatusCreated, <-codes, "the first upload completes")
		assert.Equal(t, http.StatusCreated, b.doFrom("192.0.2.3", "POST", "/api/lists", `{"id":"c","name":"c"}`).Code, "and makes room")
		writers[1].CloseWithError(io.ErrUnexpectedEOF)
		assert.Equal(t, http.StatusRequestTimeout, <-codes)
	})
}
