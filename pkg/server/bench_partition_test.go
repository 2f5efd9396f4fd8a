package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// What one write costs in a partitioned app (issue 16): with 10,000
// partitions and 1,000 connected clients each following 5 of them, one
// write costs the subscribers of its partition, not the connections and not
// the partitions. The world: items partitioned by "part", one in each
// partition (so that every partition's topic exists), and clients whose
// subscriptions fanPlan lays out.

type fanItem struct {
	ID    string `json:"id"`
	Part  string `json:"part"`
	Title string `json:"title"`
}

// A fanImport creates, with itself, an item in each of its Partitions
// partitions: one transaction through the real write path (forms, topics,
// events), as a server-side import would, instead of a request per item.
type fanImport struct {
	ID         string `json:"id"`
	Partitions int    `json:"partitions"`
}

var (
	fanItems = form.Define("items",
		form.String("part", func(i *fanItem) *string { return &i.Part }).Required(),
		form.String("title", func(i *fanItem) *string { return &i.Title }).Required(),
	).Partition("part")
	fanImports = form.Define("imports", form.Int("partitions", func(i *fanImport) *int { return &i.Partitions }).Required())
)

// fanSubs is how many partitions each client follows.
const fanSubs = 5

// fanPartition is the key of partition n, which holds item fanItemID(n).
func fanPartition(n int) string { return "p" + strconv.Itoa(n) }
func fanItemID(n int) string    { return "i" + strconv.Itoa(n) }
func fanTopic(n int) string     { return wire.PartitionTopic(fanPartition(n), "items") }

// newFanServer is a Server on st serving partitions partitions of items,
// one item in each.
func newFanServer(t testing.TB, st Store, partitions int) *Server {
	t.Helper()
	s := New(st, Options{Logger: quietLogger(), Quotas: Unlimited(), HeartbeatInterval: time.Hour, MaxChanges: partitions + 1})
	// An app's check, run on every sub as any would; everyone may read.
	allow := func(context.Context, Request) error { return nil }
	require.NoError(t, Register(s, fanItems, Hooks[fanItem]{Authorize: allow}))
	require.NoError(t, Register(s, fanImports, Hooks[fanImport]{
		BeforeWrite: func(ctx context.Context, tx *Tx, w Write[fanImport]) error {
			for n := range w.New.Partitions {
				if err := Create(tx, fanItems, fanItem{ID: fanItemID(n), Part: fanPartition(n), Title: "item"}); err != nil {
					return err
				}
			}
			return nil
		},
	}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/imports", strings.NewReader(`{"id":"all","partitions":`+strconv.Itoa(partitions)+`}`))
	req.Host = testHost
	req.Header.Set("Content-Type", "application/json")
	s.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	return s
}

// fanPlan lays out what each of clients clients follows among partitions
// partitions: hot partition i (partition i) has exactly hot[i]
// subscribers, clients 0 to hot[i]-1; every client then follows
// partitions drawn at random (seeded) among the others, fanSubs in all. It
// returns each client's topics, in order.
func fanPlan(partitions, clients int, hot []int) [][]string {
	rng := rand.New(rand.NewPCG(uint64(partitions), uint64(clients)))
	plan := make([][]string, clients)
	for c := range plan {
		var mine []int
		for i, k := range hot {
			if c < k {
				mine = append(mine, i)
			}
		}
		for len(mine) < fanSubs {
			if n := len(hot) + rng.IntN(partitions-len(hot)); !slices.Contains(mine, n) {
				mine = append(mine, n)
			}
		}
		slices.Sort(mine)
		for _, n := range mine {
			plan[c] = append(plan[c], fanTopic(n))
		}
	}
	return plan
}

// TestPartition_aWriteCostsTheSubscribersOfItsPartitionNotTheConnectionsOrPartitions
// proves, by counting rather than timing, what BenchmarkPartitionFanout
// measures: with 10,000 partitions and 1,000 sessions following 5 each,
// the hub holds the subscribed topics only, and a write into a partition
// with k subscribers is handed to exactly k subscriptions — the hub visits
// no other — and reaches those k sessions once each and no other session.
func TestPartition_aWriteCostsTheSubscribersOfItsPartitionNotTheConnectionsOrPartitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const partitions, clients = 10000, 1000
		s := newFanServer(t, NewMemStore(), partitions)
		defer func() { require.NoError(t, s.Shutdown(context.Background())) }()
		h := s.Handler()
		plan := fanPlan(partitions, clients, []int{1, 10, 100})
		subscribers := map[string][]int{} // by topic, in order
		pipes := make([]*pipeConn, clients)
		for c, topics := range plan {
			pipes[c] = newPipe(4 * fanSubs)
			go s.hub.serve(pipes[c], nil)
			tc := &tclient{t: t, p: pipes[c]}
			tc.send(wire.Hello{V: 1, ClientID: fmt.Sprintf("%032x", c+1)})
			for _, topic := range topics {
				tc.send(wire.Sub{Topic: topic})
				subscribers[topic] = append(subscribers[topic], c)
			}
		}
		drain := func(p *pipeConn) []wire.ServerMessage {
			var out []wire.ServerMessage
			for {
				select {
				case b := <-p.toClient:
					m, err := wire.DecodeServerMessage(b)
					require.NoError(t, err)
					out = append(out, m)
				default:
					return out
				}
			}
		}
		synctest.Wait()
		for c, p := range pipes {
			var live []string
			for _, m := range drain(p) {
				switch m := m.(type) {
				case wire.Welcome, wire.Snapshot:
				case wire.Live:
					live = append(live, m.Topic)
				default:
					t.Fatalf("c%d got %v", c, m)
				}
			}
			require.ElementsMatch(t, plan[c], live, "c%d is live on what it follows", c)
		}
		s.hub.mu.RLock()
		held := len(s.hub.topics)
		s.hub.mu.RUnlock()
		assert.Equal(t, len(subscribers), held, "the hub holds the %d topics followed, not the %d partitions", len(subscribers), partitions)

		cold := -1
		for n := range partitions {
			if len(subscribers[fanTopic(n)]) == 0 {
				cold = n
				break
			}
		}
		require.GreaterOrEqual(t, cold, 3, "a partition nobody follows")
		for _, tc := range []struct{ partition, k int }{{0, 1}, {1, 10}, {2, 100}, {cold, 0}} {
			topic := fanTopic(tc.partition)
			require.Len(t, subscribers[topic], tc.k, "the plan gives %s %d subscribers", topic, tc.k)
			before := s.hub.handed.Load()
			req := httptest.NewRequest("PATCH", "/api/items/"+fanItemID(tc.partition), strings.NewReader(`{"title":"changed"}`))
			req.Host = testHost
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			synctest.Wait()
			assert.Equal(t, tc.k, int(s.hub.handed.Load()-before), "a write into %s is handed to its %d subscribers, no other subscription", topic, tc.k)
			var got []int
			for c, p := range pipes {
				for _, m := range drain(p) {
					ev, ok := m.(wire.Event)
					require.True(t, ok, "c%d got %v", c, m)
					require.Equal(t, topic, ev.Topic)
					require.Equal(t, fanItemID(tc.partition), ev.ID)
					got = append(got, c)
				}
			}
			assert.Equal(t, subscribers[topic], got, "the write reaches the subscribers of %s, once each, and no other session", topic)
		}
	})
}

// BenchmarkPartitionFanout measures one write into a partition with k
// subscribers, k = 1, 10 and 100: a PATCH over loopback, committed on
// SQLite, until each of the k WebSocket subscribers has read its event.
// Each k runs in the world of issue 16 — 10,000 partitions, 1,000 connected
// clients following 5 each (about half a subscriber per partition) — and
// in a baseline of 10 partitions and only as many connections as the write
// has subscribers (10 at least); if a write costs its subscribers only,
// both take the same time and allocations. deliveries/op counts the events
// the clients read, handed/op the subscriptions the hub handed the write
// to: both are k; x-baseline is the time per write over the baseline's.
//
// SQLite runs with synchronous=NORMAL: the fsync of a durable commit
// (BenchmarkMutations measures it) would add the same milliseconds to
// every case and drown the rest. Setting the world up — one transaction
// writing 10,000 items, 1,000 WebSockets subscribing 5,000 times — takes a
// few seconds and is not timed.
func BenchmarkPartitionFanout(b *testing.B) {
	dir := b.TempDir() // the worlds outlive the sub-benchmark that made them
	worlds := map[[2]int]*fanWorld{}
	world := func(b *testing.B, partitions, clients int, hot []int) *fanWorld {
		key := [2]int{partitions, clients}
		if w := worlds[key]; w != nil {
			return w
		}
		w := newFanWorld(b, filepath.Join(dir, fmt.Sprintf("fan-%d-%d.db", partitions, clients)), partitions, clients, hot)
		worlds[key] = w
		return w
	}
	defer func() {
		for _, w := range worlds {
			w.close(b)
		}
	}()
	for _, k := range []int{1, 10, 100} {
		var baseline float64 // ns/op
		b.Run(fmt.Sprintf("subscribers=%d/baseline", k), func(b *testing.B) {
			clients, hot := 10, []int{1, 10}
			if k > clients {
				clients, hot = k, []int{k}
			}
			baseline = world(b, 10, clients, hot).measure(b, k)
		})
		b.Run(fmt.Sprintf("subscribers=%d/partitions=10000/clients=1000", k), func(b *testing.B) {
			ns := world(b, 10000, 1000, []int{1, 10, 100}).measure(b, k)
			if baseline > 0 {
				b.ReportMetric(ns/baseline, "x-baseline")
			}
		})
	}
}

// A fanWorld is a Server on SQLite with partitions partitions of items and
// clients WebSocket clients following them as fanPlan says, each reading
// in its own goroutine and reporting every event on got.
type fanWorld struct {
	s      *Server
	st     *SQLite
	hs     *httptest.Server
	partOf map[int]int // the hot partition with k subscribers, by k
	conns  []*websocket.Conn
	got    chan struct{}
	events atomic.Int64 // read by every client, in all
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mid    uint64 // the writer's last mutationID
}

func newFanWorld(b *testing.B, path string, partitions, clients int, hot []int) *fanWorld {
	b.Helper()
	start := time.Now()
	st, err := OpenSQLite(path, SQLiteOptions{Synchronous: "NORMAL"})
	require.NoError(b, err)
	w := &fanWorld{st: st, s: newFanServer(b, st, partitions), partOf: map[int]int{}, got: make(chan struct{}, clients)}
	w.hs = httptest.NewServer(w.s.Handler())
	w.hs.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 4
	for i, k := range hot {
		w.partOf[k] = i
	}
	plan := fanPlan(partitions, clients, hot)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.conns = make([]*websocket.Conn, clients)
	url := "ws" + strings.TrimPrefix(w.hs.URL, "http") + "/api/ws"
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var dialers sync.WaitGroup
	for range 8 {
		dialers.Go(func() {
			for c := int(next.Add(1) - 1); c < clients && failed.Load() == nil; c = int(next.Add(1) - 1) {
				conn, err := dialFan(ctx, url, c, plan[c])
				if err != nil {
					failed.Store(&err)
					return
				}
				w.conns[c] = conn
			}
		})
	}
	dialers.Wait()
	if p := failed.Load(); p != nil {
		w.close(b)
		b.Fatal(*p)
	}
	for _, conn := range w.conns {
		w.wg.Go(func() {
			for {
				_, m, err := conn.Read(ctx)
				if err != nil {
					return
				}
				if bytes.Contains(m, []byte(`"t":"event"`)) {
					w.events.Add(1)
					select {
					case w.got <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
			}
		})
	}
	b.Logf("%d partitions, %d clients following %d each: set up in %v", partitions, clients, fanSubs, time.Since(start).Round(time.Millisecond))
	return w
}

// dialFan connects client c, subscribes to its topics and waits until
// every one is live.
func dialFan(ctx context.Context, url string, c int, topics []string) (*websocket.Conn, error) {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	msgs := []wire.ClientMessage{wire.Hello{V: 1, ClientID: fmt.Sprintf("%032x", c+1)}}
	for _, topic := range topics {
		msgs = append(msgs, wire.Sub{Topic: topic})
	}
	for _, m := range msgs {
		b, _ := wire.EncodeClientMessage(m)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			conn.CloseNow()
			return nil, err
		}
	}
	for live := 0; live < len(topics); {
		_, m, err := conn.Read(ctx)
		if err != nil {
			conn.CloseNow()
			return nil, err
		}
		switch {
		case bytes.Contains(m, []byte(`"t":"live"`)):
			live++
		case bytes.Contains(m, []byte(`"t":"error"`)):
			conn.CloseNow()
			return nil, fmt.Errorf("client %d: %s", c, m)
		}
	}
	return conn, nil
}

// measure runs b's loop of writes into the partition with k subscribers,
// after one to warm up, and returns the time per write.
func (w *fanWorld) measure(b *testing.B, k int) float64 {
	id := fanItemID(w.partOf[k])
	w.write(b, id, k)
	runtime.GC() // the setup's garbage is not the writes' to collect
	handed, events := w.s.hub.handed.Load(), w.events.Load()
	b.ReportAllocs()
	for b.Loop() {
		w.write(b, id, k)
	}
	n := float64(b.N)
	b.ReportMetric(float64(w.events.Load()-events)/n, "deliveries/op")
	b.ReportMetric(float64(w.s.hub.handed.Load()-handed)/n, "handed/op")
	return float64(b.Elapsed().Nanoseconds()) / n
}

// write changes item id and waits until its k subscribers have the event.
func (w *fanWorld) write(b *testing.B, id string, k int) {
	const writer = "0000000000000000000000000000ffff"
	w.mid++
	mid := strconv.FormatUint(w.mid, 10)
	req, err := http.NewRequest("PATCH", w.hs.URL+"/api/items/"+id, strings.NewReader(`{"title":"t`+mid+`"}`))
	require.NoError(b, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(wire.HeaderClientID, writer)
	req.Header.Set(wire.HeaderMutationID, mid)
	res, err := w.hs.Client().Do(req)
	require.NoError(b, err)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("status %d", res.StatusCode)
	}
	for range k {
		<-w.got
	}
}

func (w *fanWorld) close(b *testing.B) {
	for _, c := range w.conns {
		if c != nil {
			c.CloseNow()
		}
	}
	w.cancel()
	w.wg.Wait()
	w.hs.Close()
	require.NoError(b, w.s.Shutdown(context.Background()))
	require.NoError(b, w.st.Close())
}
