//go:build unix

package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/tandemkit/tandem/pkg/wire"
)

// The load test's attack, and its bounds.
const (
	stalledConns   = 1000            // held open, never completing a request
	stalledSources = 8               // loopback addresses they come from
	floodSources   = 4               // loopback addresses of the 400 flood
	floodWorkers   = 4               // per flood address (1 under -race: see floodersPerAddr)
	floodFor       = 3 * time.Second // how long the flood lasts
	floodMax       = 50_000          // and at most how many requests it sends
	minRounds      = 3               // the normal client's rounds during the flood, at least
	maxRounds      = 50              // and at most (each subscribes: 100 at once is the quota)
	normalWithin   = time.Second     // each of its operations completes within
	growthBound    = 1 << 20         // the database grows by at most (after a checkpoint)
	unknownField   = 64 << 10        // bytes of the unknown field name each flood request carries
)

// floodersPerAddr is how many requests each flood address keeps in flight.
// The attacker runs in the test's process, sharing the server's two cores:
// under the race detector, which makes every request several times costlier
// for both, one per address keeps the attack a flood without turning the
// test into a measure of the detector.
func floodersPerAddr() int {
	if raceEnabled {
		return 1
	}
	return floodWorkers
}

// raiseFileLimit makes room for n more open files in this process, raising
// the soft limit up to the hard one if need be.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	t.Logf("open file limit: soft %d, hard %d", lim.Cur, lim.Max)
	if lim.Cur >= n {
		return
	}
	require.GreaterOrEqual(t, lim.Max, n, "the hard open file limit is too low for this test")
	lim.Cur = n
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
}

// dialer returns a dialer whose connections come from a loopback address.
func dialer(src string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
}

// dbSize checkpoints the WAL into the database file and returns the bytes
// the database holds.
func dbSize(t *testing.T, path string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	require.NoError(t, err)
	var size int64
	require.NoError(t, db.QueryRow("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&size))
	return size
}

// TestLoad_aNormalClientIsServedWithinASecondUnderAttack holds 1,000
// stalled connections open against the server (headers that never end,
// bodies that never arrive or that no handler reads, WebSockets that never
// say hello) from 8 addresses, and floods it from 4 more with 400s under
// fresh clientIDs (each body naming a 64 KiB unknown field), while a normal
// client, from its own address, subscribes and mutates. Each of its
// operations (subscribe, mutate and see the event), round after round for
// as long as the flood lasts, completes within a second, and the database
// grows by at most 1 MiB (without the quotas and the bounded error answers:
// 69 MB in the same 3 s).
func TestLoad_aNormalClientIsServedWithinASecondUnderAttack(t *testing.T) {
	raiseFileLimit(t, 3*stalledConns+1000)
	dir := t.TempDir()
	db := filepath.Join(dir, "tandem.db")
	a := startApp(t, config{db: db})
	addr := a.ln.Addr().String()
	normal := &http.Client{Timeout: 10 * time.Second}
	status, body, err := post(normal, a.url("/api/lists"), `{"id":"l1","name":"mine"}`, fmt.Sprintf("%032x", 1), 1)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, status, string(body))
	before := dbSize(t, db)

	// 1,000 stalled connections.
	kinds := []string{
		"GET /api/lists HTTP/1.1\r\nHost: %s\r\nX-Never: ends",
		"POST /api/todos HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":",
		"GET /api/lists HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n",
		"GET /api/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: tandem.v1\r\n\r\n",
	}
	var stalled []net.Conn
	t.Cleanup(func() {
		for _, c := range stalled {
			c.Close()
		}
	})
	for i := range stalledConns {
		src := fmt.Sprintf("127.0.0.%d", 10+i%stalledSources)
		c, err := dialer(src).Dial("tcp", addr)
		require.NoError(t, err, "stalled connection %d", i)
		stalled = append(stalled, c)
		kind := kinds[i%len(kinds)]
		if i%len(kinds) == 3 && i/len(kinds)/stalledSources >= 16 {
			kind = kinds[0] // 16 WebSockets waiting for hello per address: the quota
		}
		_, err = fmt.Fprintf(c, kind, addr)
		require.NoError(t, err)
	}

	// The flood: 400s under fresh clientIDs.
	var sent, bad, limited, other atomic.Int64
	var otherStatus atomic.Int64
	floodCtx, stopFlood := context.WithTimeout(context.Background(), floodFor)
	defer stopFlood()
	floodBody := `{"id":"t1","listId":"l1","title":"x","` + strings.Repeat("f", unknownField) + `":1}`
	var wg sync.WaitGroup
	var floodClients []*http.Client
	for s := range floodSources {
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dialer(fmt.Sprintf("127.0.0.%d", 30+s)).DialContext}}
		floodClients = append(floodClients, client)
		for w := range floodersPerAddr() {
			wg.Go(func() {
				for i := 0; floodCtx.Err() == nil; i++ {
					n := sent.Add(1)
					if n > floodMax {
						return
					}
					req, _ := http.NewRequestWithContext(floodCtx, "POST", a.url("/api/todos"), strings.NewReader(floodBody))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set(wire.HeaderClientID, fmt.Sprintf("f%07x%08x%016x", s, w, i))
					req.Header.Set(wire.HeaderMutationID, "1")
					res, err := client.Do(req)
					if err != nil {
						continue // the flood's end cancels requests in flight
					}
					rb, _ := io.ReadAll(res.Body)
					res.Body.Close()
					switch res.StatusCode {
					case http.StatusBadRequest:
						bad.Add(1)
					case http.StatusTooManyRequests:
						limited.Add(1)
					default:
						other.Add(1)
						otherStatus.Store(int64(res.StatusCode))
						t.Errorf("flood answer %d: %.300s", res.StatusCode, rb)
					}
				}
			})
		}
	}

	// The normal client, while the flood lasts.
	require.Eventually(t, func() bool { return bad.Load()+limited.Load() >= 100 }, 10*time.Second, time.Millisecond, "the flood is under way")
	var worst time.Duration
	rounds := 0
	for round := 0; floodCtx.Err() == nil && round < maxRounds; round++ {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, _, err := websocket.Dial(ctx, "ws://"+addr+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		require.NoError(t, err)
		send := func(m wire.ClientMessage) {
			b, err := wire.EncodeClientMessage(m)
			require.NoError(t, err)
			require.NoError(t, c.Write(ctx, websocket.MessageText, b))
		}
		next := func() wire.ServerMessage {
			_, b, err := c.Read(ctx)
			require.NoError(t, err)
			m, err := wire.DecodeServerMessage(b)
			require.NoError(t, err)
			return m
		}
		send(wire.Hello{V: 1, ClientID: fmt.Sprintf("%032x", 1)})
		send(wire.Sub{Topic: "lists"})
		for {
			if _, ok := next().(wire.Live); ok {
				break
			}
		}
		subscribed := time.Since(start)

		start = time.Now()
		id := fmt.Sprintf("n%d", round)
		status, body, err := post(normal, a.url("/api/lists"), `{"id":"`+id+`","name":"mine"}`, fmt.Sprintf("%032x", 1), uint64(round+2))
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, status, string(body))
		mutated := time.Since(start)
		for {
			if ev, ok := next().(wire.Event); ok && ev.ID == id {
				break
			}
		}
		echoed := time.Since(start)
		c.Close(websocket.StatusNormalClosure, "")
		cancel()
		if round%10 == 0 {
			t.Logf("round %d: subscribed in %v, mutation answered in %v, its event in %v", round, subscribed, mutated, echoed)
		}
		worst = max(worst, subscribed, mutated, echoed)
		if floodCtx.Err() == nil {
			rounds++ // completed while the flood still ran
		}
		assert.Less(t, subscribed, normalWithin, "subscription, round %d", round)
		assert.Less(t, echoed, normalWithin, "mutation and its event, round %d", round)
	}
	wg.Wait()
	for _, c := range append(floodClients, normal) {
		c.CloseIdleConnections()
	}

	// The stalled connections were held all along, not refused: reading
	// one finds what the server sent (the WebSocket's 101) or nothing yet,
	// never its end.
	var held atomic.Int64
	var check sync.WaitGroup
	for _, c := range stalled {
		check.Go(func() {
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			_, err := c.Read(make([]byte, 1024))
			if ne, ok := err.(net.Error); err == nil || ok && ne.Timeout() {
				held.Add(1)
			}
		})
	}
	check.Wait()
	after := dbSize(t, db)
	t.Logf("stalled connections still open: %d of %d; flood: %d requests, %d answered 400, %d answered 429, %d other; normal client: %d rounds, worst operation %v; database %d → %d bytes (+%d)",
		held.Load(), stalledConns, min(sent.Load(), floodMax), bad.Load(), limited.Load(), other.Load(), rounds, worst, before, after, after-before)
	assert.GreaterOrEqual(t, rounds, minRounds, "the normal client's rounds ran during the flood")
	assert.Zero(t, other.Load(), "another answer: %d", otherStatus.Load())
	assert.Positive(t, limited.Load(), "the quota refused the rest of the flood before it was recorded")
	assert.LessOrEqual(t, bad.Load(), int64(floodSources*40), "recorded at most the new-clientID burst (30) and refill per address")
	assert.LessOrEqual(t, after-before, int64(growthBound), "database growth")
	assert.GreaterOrEqual(t, held.Load(), int64(stalledConns*9/10), "the stalled connections were held, and the server still served")
}
