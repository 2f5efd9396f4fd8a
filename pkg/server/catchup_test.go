package server

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// readAvailable reads what the server has sent by the time the bubble
// settles, one message at a time as a client reading at its own pace would,
// up to and including live.
func readUntilLive(t *testing.T, c *tclient) []wire.ServerMessage {
	t.Helper()
	var got []wire.ServerMessage
	for {
		synctest.Wait()
		select {
		case b := <-c.p.toClient:
			m, err := wire.DecodeServerMessage(b)
			require.NoError(t, err, string(b))
			got = append(got, m)
			if _, ok := m.(wire.Live); ok {
				return got
			}
		default:
			return got
		}
	}
}

// slowClient connects a client whose pipe holds nothing: the server's
// writer waits for each read.
func (b *bubble) slowClient(clientID string) *tclient {
	c := b.dialBuffered(0)
	c.send(wire.Hello{V: 1, ClientID: clientID})
	require.IsType(b.t, wire.Welcome{}, readNow(b.t, c))
	return c
}

func readNow(t *testing.T, c *tclient) wire.ServerMessage {
	t.Helper()
	synctest.Wait()
	select {
	case b := <-c.p.toClient:
		m, err := wire.DecodeServerMessage(b)
		require.NoError(t, err, string(b))
		return m
	default:
		return nil
	}
}

func listEpoch(t *testing.T, b *bubble) string {
	t.Helper()
	rec := b.do("GET", "/api/lists", "")
	require.Equal(t, 200, rec.Code)
	p, err := wire.DecodeSnapshotPage(rec.Body.Bytes())
	require.NoError(t, err)
	return p.Epoch
}

func TestB16_replayLongerThanSendQueueCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{SendQueue: 4, Logger: quietLogger()})
		defer b.stop()
		for i := range 600 { // more than two store pages
			b.create("lists", `{"id":"l`+strconv.Itoa(i)+`","name":"x"}`)
		}
		c := b.slowClient(client1)
		c.send(wire.Sub{Topic: "lists", Since: &wire.Cursor{Epoch: listEpoch(t, b), Seq: 0}})
		got := readUntilLive(t, c)
		_, closed := c.p.closeCode()
		require.False(t, closed, "a client that reads steadily stays connected")
		require.Len(t, got, 602, "resync, 600 events, live")
		assert.Equal(t, wire.ModeReplay, got[0].(wire.Resync).Mode)
		for i, m := range got[1:601] {
			require.Equal(t, uint64(i+1), m.(wire.Event).Seq)
		}
		assert.Equal(t, uint64(600), got[601].(wire.Live).Seq)
	})
}

func TestB20_snapshotLongerThanSendQueueCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{SendQueue: 4, MaxMsg: wire.MinMaxMsg, Logger: quietLogger()})
		defer b.stop()
		for i := range 600 {
			b.create("lists", `{"id":"l`+strconv.Itoa(1000+i)+`","name":"`+strings.Repeat("n", 90)+`"}`)
		}
		for attempt := range 2 { // a reconnect gets it whole again
			c := b.slowClient(client1)
			c.send(wire.Sub{Topic: "lists"})
			got := readUntilLive(t, c)
			_, closed := c.p.closeCode()
			require.False(t, closed, "attempt %d", attempt)
			require.NotEmpty(t, got)
			live, ok := got[len(got)-1].(wire.Live)
			require.True(t, ok, "attempt %d ends with live", attempt)
			assert.Equal(t, uint64(600), live.Seq)
			var ids []string
			for i, m := range got[:len(got)-1] {
				s := m.(wire.Snapshot)
				require.Equal(t, i, s.Part)
				require.Equal(t, i == len(got)-2, s.Last)
				for _, it := range s.Items {
					ids = append(ids, it.ID)
				}
			}
			require.Len(t, ids, 600)
			for i, id := range ids {
				require.Equal(t, "l"+strconv.Itoa(1000+i), id, "in id order across store pages")
			}
			c.p.Close(1000, "")
		}
	})
}

func TestB19_eventsHeldDuringCatchUpFollowLiveEvenBeyondSendQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{SendQueue: 4, Logger: quietLogger()})
		defer b.stop()
		b.create("lists", `{"id":"l0","name":"x"}`)
		c := b.slowClient(client1)
		// 20 writes commit right after the snapshot's read: they are held
		// until live, then queued behind it although the queue holds 4.
		b.st.arm(0, nil, func() {
			for i := 1; i <= 20; i++ {
				b.create("lists", `{"id":"l`+strconv.Itoa(i)+`","name":"x"}`)
			}
		})
		c.send(wire.Sub{Topic: "lists"})
		got := readUntilLive(t, c)
		require.Len(t, got, 2)
		assert.Equal(t, uint64(1), got[1].(wire.Live).Seq)
		for i := 2; i <= 21; i++ {
			m := readNow(t, c)
			require.NotNil(t, m, "event %d", i)
			require.Equal(t, uint64(i), m.(wire.Event).Seq)
		}
		_, closed := c.p.closeCode()
		assert.False(t, closed)
		b.create("lists", `{"id":"l21","name":"x"}`)
		assert.Equal(t, uint64(22), readNow(t, c).(wire.Event).Seq, "then live delivery")
	})
}

// gateBus holds the next Publish until its gate is closed: it widens the
// window between a commit and its publication, as a shared bus does.
type gateBus struct {
	LocalBus
	mu   sync.Mutex
	gate chan struct{}
}

func (g *gateBus) hold() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	return g.gate
}

func (g *gateBus) Publish(evs []BusEvent) {
	g.mu.Lock()
	ch := g.gate
	g.gate = nil
	g.mu.Unlock()
	if ch != nil {
		<-ch
	}
	g.LocalBus.Publish(evs)
}

func TestB19_eventAtOrBelowTheWatermarkIsDroppedEvenAfterLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gb := &gateBus{}
		st := &hookStore{Store: NewMemStore()}
		s := New(st, Options{Bus: gb, Logger: quietLogger()})
		registerDemo(t, s, nil)
		b := &bubble{t: t, s: s, st: st, h: s.Handler()}
		defer b.stop()
		b.create("lists", `{"id":"l1","name":"one"}`)
		c, _ := b.connect(client1)

		gate := gb.hold()
		done := make(chan int)
		go func() { done <- b.do("POST", "/api/lists", `{"id":"l2","name":"two"}`).Code }()
		synctest.Wait() // l2 is committed at seq 2; its Publish waits on the gate

		msgs, live := c.subscribe("lists", nil)
		assert.Equal(t, []string{"l1", "l2"}, itemIDs(msgs), "the snapshot holds l2")
		assert.Equal(t, uint64(2), live.Seq)

		close(gate) // l2's event arrives after live
		require.Equal(t, 201, <-done)
		c.none()
		b.create("lists", `{"id":"l3","name":"three"}`)
		assert.Equal(t, uint64(3), c.next().(wire.Event).Seq)
	})
}

func TestSnapshot_aClientThatDoesNotReadHoldsOnlyAFewPartsQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var views atomic.Int64
		cs := &countingStore{Store: NewMemStore(), views: &views}
		s := New(cs, Options{Bus: &LocalBus{}, Logger: quietLogger(), MaxMsg: wire.MinMaxMsg, Quotas: Unlimited()})
		registerDemo(t, s, nil)
		b := &bubble{t: t, s: s, h: s.Handler()}
		defer b.stop()
		for i := range 1000 { // about 120 parts of 1 KiB
			b.create("lists", `{"id":"l`+strconv.Itoa(1000+i)+`","name":"`+strings.Repeat("n", 90)+`"}`)
		}
		c := b.slowClient(client1)
		before := views.Load()
		c.send(wire.Sub{Topic: "lists"})
		synctest.Wait()
		sess := b.onlySession()
		assert.LessOrEqual(t, len(sess.out), catchUpWindow, "parts queued for a client that does not read")
		assert.Equal(t, int64(2), views.Load()-before, "the first page (16 entities, 3 parts) went out; the second waits on the client")

		// Reading it all reads the other pages, one at a time.
		got := readUntilLive(t, c)
		require.IsType(t, wire.Live{}, got[len(got)-1])
		assert.Greater(t, len(got), 100)
		assert.Equal(t, int64(5), views.Load()-before, "1000 small entities: a first page of 16, then pages of 256")
	})
}

func TestSnapshot_storeReadsAcrossConnectionsAreLimitedBySnapshotReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gs := &gatedStore{Store: NewMemStore(), release: make(chan struct{})}
		s := New(gs, Options{Bus: &LocalBus{}, Logger: quietLogger(), SnapshotReads: 2})
		registerDemo(t, s, nil)
		b := &bubble{t: t, s: s, h: s.Handler()}
		defer b.stop()
		b.create("lists", `{"id":"l1","name":"one"}`)
		var clients []*tclient
		for range 5 {
			c, _ := b.connect(client1)
			clients = append(clients, c)
		}
		gs.gating.Store(true)
		for _, c := range clients {
			c.send(wire.Sub{Topic: "lists"})
		}
		synctest.Wait()
		assert.Equal(t, int64(2), gs.inView.Load(), "two reads run, three wait for a slot")
		for range 5 {
			gs.release <- struct{}{}
			synctest.Wait()
			assert.LessOrEqual(t, gs.inView.Load(), int64(2))
		}
		gs.gating.Store(false)
		for _, c := range clients {
			_, live := func() ([]wire.ServerMessage, wire.Live) {
				msgs := readUntilLive(t, c)
				require.NotEmpty(t, msgs)
				return msgs, msgs[len(msgs)-1].(wire.Live)
			}()
			assert.Equal(t, uint64(1), live.Seq)
		}
	})
}

// countingStore counts Views.
type countingStore struct {
	Store
	views *atomic.Int64
}

func (c *countingStore) View(ctx context.Context, fn func(ReadTx) error) error {
	c.views.Add(1)
	return c.Store.View(ctx, fn)
}

// gatedStore makes each View wait for release while gating is set.
type gatedStore struct {
	Store
	gating  atomic.Bool
	inView  atomic.Int64
	release chan struct{}
}

func (g *gatedStore) View(ctx context.Context, fn func(ReadTx) error) error {
	if g.gating.Load() {
		g.inView.Add(1)
		defer g.inView.Add(-1)
		<-g.release
	}
	return g.Store.View(ctx, fn)
}

// onlySession returns the hub's one session.
func (b *bubble) onlySession() *session {
	b.t.Helper()
	b.s.hub.mu.RLock()
	defer b.s.hub.mu.RUnlock()
	require.Len(b.t, b.s.hub.sessions, 1)
	for s := range b.s.hub.sessions {
		return s
	}
	return nil
}

func TestSnapshot_pagesHoldAboutAQuarterMebibyteOfData(t *testing.T) {
	var p pageSizer
	assert.Equal(t, catchUpFirstPage, p.next(), "the first page, before any size is known")
	for range 16 {
		p.saw(10_000)
	}
	assert.Equal(t, 26, p.next(), "10 KB rows: 256 KiB / (10 KB + 64 bytes of other fields)")
	for range 16 {
		p.saw(1 << 20)
	}
	assert.Equal(t, catchUpMinPage, p.next(), "huge rows: at least a few a page")
	var small pageSizer
	small.saw(10)
	assert.Equal(t, catchUpMaxPage, small.next(), "tiny rows: at most 256 a page")
}
