package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// BenchmarkMutations measures creates per second through the whole REST
// path on SQLite with durable commits (synchronous=FULL), one client at a
// time and many at once (group commit batches concurrent mutations into one
// fsync).
func BenchmarkMutations(b *testing.B) {
	for _, conc := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("sqlite-full/clients=%d", conc), func(b *testing.B) {
			st, err := OpenSQLite(filepath.Join(b.TempDir(), "bench.db"), SQLiteOptions{})
			require.NoError(b, err)
			env := newEnv(b, st, Options{Logger: quietLogger(), Quotas: Unlimited()})
			env.http.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = conc
			var next atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for c := 0; c < conc; c++ {
				cid := fmt.Sprintf("%032x", c+1)
				wg.Go(func() {
					mid := uint64(0)
					for {
						n := next.Add(1)
						if n > int64(b.N) {
							return
						}
						mid++
						r := env.do("POST", "/api/lists", `{"id":"l`+fmt.Sprint(n)+`","name":"bench"}`, mut(cid, mid)...)
						if r.status != 201 {
							b.Errorf("status %d: %s", r.status, r.body)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "mutations/s")
		})
	}
}

const fanoutClients = 1000

// BenchmarkFanout measures the delivery latency of one event to 1,000
// WebSocket subscribers on loopback, through the hub and through a bare
// coder/websocket loop writing the same bytes to every connection in turn.
// Both run in the same process at the same time and alternate event by
// event, so machine noise hits both alike. One op is one event through each;
// p50/p99 are over every delivery, and p99-ratio is tandem's p99 over the
// bare loop's (target: at most 1.5).
func BenchmarkFanout(b *testing.B) {
	data := []byte(`{"id":"l1","name":"a list with a name","position":1,"updatedAt":"2026-01-01T00:00:00Z"}`)
	event := func(epoch string, i int) wire.Event {
		return wire.Event{Topic: "lists", Epoch: epoch, Seq: uint64(i + 1), Prev: uint64(i), ID: "l1", Op: wire.OpUpdate, Version: uint64(i + 1), Data: data, TS: 1}
	}

	// Tandem: the hub behind the real handler.
	env := newEnv(b, NewMemStore(), Options{Logger: quietLogger(), Quotas: Unlimited()})
	epoch := env.srv.epoch("lists")
	tandem := dialFanout(b, "ws"+strings.TrimPrefix(env.http.URL, "http")+"/api/ws", func(ctx context.Context, c *websocket.Conn) error {
		hello, _ := wire.EncodeClientMessage(wire.Hello{V: 1, ClientID: client1})
		sub, _ := wire.EncodeClientMessage(wire.Sub{Topic: "lists"})
		if err := c.Write(ctx, websocket.MessageText, hello); err != nil {
			return err
		}
		if err := c.Write(ctx, websocket.MessageText, sub); err != nil {
			return err
		}
		for { // welcome, snapshot, live
			_, m, err := c.Read(ctx)
			if err != nil {
				return err
			}
			if strings.Contains(string(m), `"t":"live"`) {
				return nil
			}
		}
	})
	defer tandem.close()

	// Bare: accept, keep the connection, write to each in turn.
	var mu sync.Mutex
	var conns []*websocket.Conn
	done := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		<-done
		c.CloseNow()
	}))
	defer hs.Close()
	defer close(done)
	bare := dialFanout(b, "ws"+strings.TrimPrefix(hs.URL, "http"), func(context.Context, *websocket.Conn) error { return nil })
	defer bare.close()
	for deadline := time.Now().Add(30 * time.Second); ; runtime.Gosched() {
		mu.Lock()
		n := len(conns)
		mu.Unlock()
		if n == fanoutClients {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("bare server never registered every connection")
		}
	}

	var tl, bl []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tl = tandem.measure(tl, func() { env.srv.opts.Bus.Publish([]BusEvent{{Event: event(epoch, i)}}) })
		msg, _ := wire.EncodeServerMessage(event(epoch, i))
		bl = bare.measure(bl, func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				if err := c.Write(context.Background(), websocket.MessageText, msg); err != nil {
					b.Error(err)
				}
			}
		})
	}
	b.StopTimer()
	tp50, tp99 := percentiles(tl)
	bp50, bp99 := percentiles(bl)
	b.ReportMetric(tp50, "tandem-p50-µs")
	b.ReportMetric(tp99, "tandem-p99-µs")
	b.ReportMetric(bp50, "bare-p50-µs")
	b.ReportMetric(bp99, "bare-p99-µs")
	b.ReportMetric(tp99/bp99, "p99-ratio")
}

// fanoutSet is fanoutClients client connections, each reading in its own
// goroutine and reporting the latency of every message it receives.
type fanoutSet struct {
	cancel  context.CancelFunc
	conns   []*websocket.Conn
	startNs atomic.Int64
	got     chan time.Duration
	wg      sync.WaitGroup
}

func dialFanout(b *testing.B, url string, setup func(context.Context, *websocket.Conn) error) *fanoutSet {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &fanoutSet{cancel: cancel, got: make(chan time.Duration, fanoutClients)}
	for range fanoutClients {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		require.NoError(b, err)
		c.SetReadLimit(1 << 20)
		require.NoError(b, setup(ctx, c))
		f.conns = append(f.conns, c)
	}
	for _, c := range f.conns {
		f.wg.Go(func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
				f.got <- time.Duration(time.Now().UnixNano() - f.startNs.Load())
			}
		})
	}
	return f
}

// measure runs publish and waits for one message on every connection.
func (f *fanoutSet) measure(lat []time.Duration, publish func()) []time.Duration {
	f.startNs.Store(time.Now().UnixNano())
	publish()
	for range fanoutClients {
		lat = append(lat, <-f.got)
	}
	return lat
}

func (f *fanoutSet) close() {
	for _, c := range f.conns {
		c.CloseNow()
	}
	f.cancel()
	f.wg.Wait()
}

func percentiles(lat []time.Duration) (p50, p99 float64) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	return at(0.50), at(0.99)
}
