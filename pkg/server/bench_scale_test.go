package server

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// BenchmarkScaleOut measures, on SQLite (one instance) and on PostgreSQL
// with 1, 2 and 3 instances on one database (each with its own pool, bus
// and server, in this process), with durable commits on both (SQLite
// synchronous=FULL; make bench-server runs PostgreSQL with fsync on):
//
//   - mutations/s: creates through the whole REST path, from `clients`
//     writers at once, each on an instance of its own in turn;
//   - delivery latency, p50 and p99 in ms, from the commit of each event
//     (when its Update returned) to its arrival at a WebSocket subscriber
//     on every instance, one subscriber per instance: on the instance that
//     committed it, the hub's path; on the others, NOTIFY, the outbox read
//     and the hub.
//
// One op is one mutation; every event reaches every subscriber before the
// op count is done.
func BenchmarkScaleOut(b *testing.B) {
	for _, clients := range []int{1, 32} {
		for _, cfg := range []struct {
			db        string
			instances int
		}{{"sqlite", 1}, {"postgres", 1}, {"postgres", 2}, {"postgres", 3}} {
			b.Run(fmt.Sprintf("%s/instances=%d/clients=%d", cfg.db, cfg.instances, clients), func(b *testing.B) {
				benchScaleOut(b, cfg.db, cfg.instances, clients)
			})
		}
	}
}

func benchScaleOut(b *testing.B, db string, instances, clients int) {
	stamps := &commitStamps{at: map[uint64]time.Time{}}
	opts := Options{Logger: quietLogger(), Quotas: Unlimited()}
	var envs []*testEnv
	if db == "sqlite" {
		st, err := OpenSQLite(filepath.Join(b.TempDir(), "bench.db"), SQLiteOptions{})
		require.NoError(b, err)
		opts.Bus = &LocalBus{}
		envs = append(envs, newEnv(b, &stampStore{Store: st, stamps: stamps}, opts))
	} else {
		url := pgSchemaURL(b)
		for range instances {
			envs = append(envs, newInstanceWith(b, url, opts, PostgresBusOptions{}, func(s Store) Store { return &stampStore{Store: s, stamps: stamps} }))
		}
	}
	subs := make([]*benchSub, len(envs))
	for i, env := range envs {
		subs[i] = newBenchSub(b, env, b.N)
	}
	defer func() {
		for _, s := range subs {
			s.close()
		}
	}()
	for _, env := range envs {
		env.http.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = clients
	}

	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		env := envs[c%len(envs)]
		cid := fmt.Sprintf("%032x", c+1)
		wg.Go(func() {
			for mid := uint64(1); ; mid++ {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				r := env.do("POST", "/api/lists", `{"id":"l`+fmt.Sprint(n)+`","name":"bench"}`, mut(cid, mid)...)
				if r.status != 201 {
					b.Errorf("status %d: %s", r.status, r.body)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, s := range subs {
		s.wait(b)
	}
	b.StopTimer()
	var lat []time.Duration
	for _, s := range subs {
		for seq, at := range s.got {
			lat = append(lat, max(at.Sub(stamps.get(uint64(seq+1))), 0))
		}
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "mutations/s")
	b.ReportMetric(p50/1000, "p50-ms")
	b.ReportMetric(p99/1000, "p99-ms")
}

// commitStamps records when each event of topic lists committed.
type commitStamps struct {
	mu sync.Mutex
	at map[uint64]time.Time
}

func (c *commitStamps) get(seq uint64) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at[seq]
}

// stampStore stamps the events of each committed Update.
type stampStore struct {
	Store
	stamps *commitStamps
}

func (s *stampStore) Update(ctx context.Context, fn func(WriteTx) error) error {
	var seqs []uint64
	err := s.Store.Update(ctx, func(tx WriteTx) error {
		seqs = seqs[:0]
		return fn(stampTx{WriteTx: tx, seqs: &seqs})
	})
	if err == nil && len(seqs) > 0 {
		now := time.Now()
		s.stamps.mu.Lock()
		for _, seq := range seqs {
			s.stamps.at[seq] = now
		}
		s.stamps.mu.Unlock()
	}
	return err
}

type stampTx struct {
	WriteTx
	seqs *[]uint64
}

func (t stampTx) AppendEvent(ctx context.Context, ev EventRecord, keep int) error {
	if ev.Topic == "lists" {
		*t.seqs = append(*t.seqs, ev.Seq)
	}
	return t.WriteTx.AppendEvent(ctx, ev, keep)
}

// benchSub is a WebSocket subscriber to lists on one instance that records
// when each event arrives.
type benchSub struct {
	c      *websocket.Conn
	cancel context.CancelFunc
	got    []time.Time // by seq-1
	all    chan struct{}
	done   chan struct{}
	err    error
}

func newBenchSub(b testing.TB, env *testEnv, n int) *benchSub {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.http.URL, "http")+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	require.NoError(b, err)
	c.SetReadLimit(1 << 20)
	for _, m := range []wire.ClientMessage{wire.Hello{V: 1, ClientID: fmt.Sprintf("%032x", 0xbe)}, wire.Sub{Topic: "lists"}} {
		msg, err := wire.EncodeClientMessage(m)
		require.NoError(b, err)
		require.NoError(b, c.Write(ctx, websocket.MessageText, msg))
	}
	for {
		_, msg, err := c.Read(ctx)
		require.NoError(b, err)
		if strings.Contains(string(msg), `"t":"live"`) {
			break
		}
	}
	s := &benchSub{c: c, cancel: cancel, got: make([]time.Time, 0, n), all: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for len(s.got) < n {
			_, msg, err := c.Read(ctx)
			if err != nil {
				s.err = err
				return
			}
			now := time.Now()
			m, err := wire.DecodeServerMessage(msg)
			if err != nil {
				s.err = err
				return
			}
			switch m := m.(type) {
			case wire.Event:
				if m.Seq != uint64(len(s.got)+1) {
					s.err = fmt.Errorf("event %d after %d", m.Seq, len(s.got))
					return
				}
				s.got = append(s.got, now)
			case wire.HB:
				hb, _ := wire.EncodeClientMessage(wire.HB{})
				_ = c.Write(ctx, websocket.MessageText, hb)
			}
		}
		close(s.all)
	}()
	return s
}

func (s *benchSub) wait(b testing.TB) {
	b.Helper()
	select {
	case <-s.all:
	case <-s.done:
		select {
		case <-s.all:
		default:
			b.Fatalf("subscriber stopped: %v", s.err)
		}
	case <-time.After(2 * time.Minute):
		b.Fatal("not every event reached the subscriber")
	}
}

func (s *benchSub) close() {
	s.c.CloseNow()
	s.cancel()
	<-s.done
}
