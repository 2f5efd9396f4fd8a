package sync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	gosync "sync"
	"time"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

// ConnState is where the realtime connection stands, for the UI.
type ConnState uint8

const (
	// Offline: not connected; a reconnect is scheduled (or Stop was called).
	Offline ConnState = iota + 1
	// Connecting: dialing, or waiting for welcome.
	Connecting
	// Resyncing: connected; some topic is catching up (replay or snapshot).
	Resyncing
	// Live: connected and every topic is live.
	Live
	// Unauthorized: the server refused the credentials (close 4001); the
	// client waits for Reconnect, after the app has new ones.
	Unauthorized
)

func (s ConnState) String() string {
	switch s {
	case Offline:
		return "offline"
	case Connecting:
		return "connecting"
	case Resyncing:
		return "resyncing"
	case Live:
		return "live"
	case Unauthorized:
		return "unauthorized"
	}
	return "unknown"
}

// Options configure a Client. Every zero value has a stated default.
type Options struct {
	// Store is the client runtime whose collections the reconciler keeps
	// in sync, and whose clientID it says hello with. Required.
	Store *store.Store
	// URL is the WebSocket endpoint, e.g. "ws://127.0.0.1:8080/api/ws".
	// Required.
	URL string
	// Dial opens connections; WebSocket() by default.
	Dial Dialer
	// Clock times heartbeats and reconnects; the system clock by default.
	Clock cache.Clock
	// Token returns the hello token (authentication); none by default.
	Token func() string
	// ReconnectBase and ReconnectCap bound the delay before reconnect
	// attempt n: uniformly random in [0, min(cap, base·2^n)] (full jitter);
	// 250 ms and 30 s by default (PROTOCOL.md §4).
	ReconnectBase, ReconnectCap time.Duration
	// StableAfter is how long a connection must last for the attempt count
	// to reset; 30 s by default.
	StableAfter time.Duration
	// HeartbeatGrace is added to twice the server's hbMs before silence
	// counts as a dead connection (closed with 4000); 1 s by default.
	HeartbeatGrace time.Duration
	// DialTimeout bounds a dial and the wait for welcome; 10 s by default.
	DialTimeout time.Duration
	// SubscribeTimeout bounds how long a topic may take to become live
	// before the connection is considered broken; 60 s by default.
	SubscribeTimeout time.Duration
	// Seed seeds the reconnect jitter; random by default. Tests set it.
	Seed uint64
	// Online, if set, pauses reconnect attempts while offline and
	// reconnects at once when the network comes back.
	Online cache.OnlineSource
	// Focus, if set, reconnects at once when the page becomes visible
	// while the connection is down, instead of waiting out the backoff
	// (browsers throttle timers in hidden tabs).
	Focus cache.FocusSource
	// OnEvent is called, on the graph's goroutine, after each event is
	// applied: the bridge to caches that hold the entity
	// (store.EventBridge.OnEvent).
	OnEvent func(ev wire.Event)
	// OnReplace is called, on the graph's goroutine, after a snapshot
	// replaced a topic's confirmed layer, which may have changed anything
	// (store.EventBridge.OnReplace).
	OnReplace func(topic string)
	// OnError receives what goes wrong: protocol errors, refused
	// subscriptions, failed fetches. Dropped by default.
	OnError func(error)
}

// A Client is the realtime reconciler of one store (PROTOCOL.md §3–§4): one
// connection, a subscription per collection with its cursor, duplicate and
// gap detection, resync of a single topic, snapshots applied atomically,
// echoes of this client's mutations confirming them, and reconnects with
// backoff that resume where they stopped.
//
// A Client belongs to the store's graph goroutine: call its methods there.
// Connections read and write on their own goroutines and hand every message
// to the graph through Graph.Schedule.
type Client struct {
	s     *store.Store
	g     *state.Graph
	opts  Options
	rng   *rand.Rand
	state *state.Signal[ConnState]

	topics map[string]*topic
	order  []string // topic names in Add order

	running    bool
	gen        uint64 // connection generation; messages of older ones are ignored
	conn       Conn
	out        *outQueue          // to the writer goroutine of conn
	dialCancel context.CancelFunc // cancels a dial in progress
	attempt    int
	timer      func() bool // the pending reconnect, dial or watchdog timer
	stable     func() bool
	hbMs       int
	maxMsg     int
	heard      time.Time
	// ack holds welcome.lastMutationID until every topic is live again:
	// dropping the covered mutations before their topics have caught up
	// would make their changes vanish and come back (B3's "no flicker"),
	// and the catch-up's echoes settle most of them as succeeded.
	ack      uint64
	ackDue   bool
	unOnline func()
	unFocus  func()
	unTopics func() // stops following the store's collections
	insp     inspection
}

// New returns a stopped Client that keeps every collection of opts.Store in
// sync, those registered later included; Start it.
func New(opts Options) (*Client, error) {
	if opts.Store == nil || opts.URL == "" {
		return nil, errors.New("sync: Options.Store and Options.URL are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.ReconnectBase, 250*time.Millisecond)
	def(&opts.ReconnectCap, 30*time.Second)
	def(&opts.StableAfter, 30*time.Second)
	def(&opts.HeartbeatGrace, time.Second)
	def(&opts.DialTimeout, 10*time.Second)
	def(&opts.SubscribeTimeout, 60*time.Second)
	if opts.Dial == nil {
		opts.Dial = WebSocket()
	}
	if opts.Clock == nil {
		opts.Clock = cache.SystemClock()
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	g := opts.Store.Graph()
	c := &Client{
		s:      opts.Store,
		g:      g,
		opts:   opts,
		rng:    rand.New(rand.NewPCG(seed, seed+1)),
		state:  state.NewSignal(g, Offline),
		insp:   inspection{v: state.NewSignal(g, uint64(0))},
		topics: map[string]*topic{},
		maxMsg: wire.DefaultMaxMsg,
	}
	// Every topic of the store, now and later: its collections synced
	// whole (a collection's name is a valid topic: store.NewCollection
	// checks it) and the partitions the app opens, until it closes them.
	c.unTopics = opts.Store.WatchTopics(func(t store.Topic) { c.addTopic(t) }, c.removeTopic)
	return c, nil
}

// Add syncs coll under its name in place of the store's own collection of
// that name, to observe or filter what the reconciler applies (a test's
// monitor, say); New already syncs every collection of the store. It fails
// once that topic is subscribed.
func (c *Client) Add(coll store.Topic) error {
	if t := c.topics[coll.Name()]; t != nil {
		if t.phase != phaseIdle {
			return fmt.Errorf("sync: topic %q is subscribed already", coll.Name())
		}
		t.coll = coll
		return nil
	}
	if !wire.ValidTopic(coll.Name()) {
		return fmt.Errorf("sync: invalid topic %q", coll.Name())
	}
	c.addTopic(coll)
	return nil
}

// addTopic keeps coll in sync: its topic is its name. Topics added while
// connected subscribe at once.
func (c *Client) addTopic(coll store.Topic) {
	name := coll.Name()
	if old := c.topics[name]; old != nil {
		c.removeTopic(old.coll)
	}
	t := &topic{c: c, name: name, coll: coll, refetch: map[string]bool{}}
	c.topics[name] = t
	c.order = append(c.order, name)
	if c.conn != nil && c.hbMs > 0 {
		t.subscribe()
		c.updateState()
	}
}

// removeTopic stops syncing coll (a partition the app closed): unsub if
// subscribed, and nothing more of it is applied.
func (c *Client) removeTopic(coll store.Topic) {
	name := coll.Name()
	t := c.topics[name]
	if t == nil || t.coll != coll {
		return
	}
	if t.phase != phaseIdle && t.phase != phaseRefused {
		c.send(wire.Unsub{Topic: name})
	}
	t.reset()
	t.gone = true
	delete(c.topics, name)
	c.order = slices.DeleteFunc(c.order, func(n string) bool { return n == name })
	c.updateState()
}

// State returns, tracked, where the connection stands.
func (c *Client) State() ConnState { return c.state.Get() }

// Start connects, and keeps reconnecting until Stop.
func (c *Client) Start() {
	if c.running {
		return
	}
	c.running = true
	if c.opts.Online != nil {
		c.unOnline = c.opts.Online.Subscribe(func() { c.g.Schedule(c.onlineChanged) })
	}
	if c.opts.Focus != nil {
		c.unFocus = c.opts.Focus.Subscribe(func() { c.g.Schedule(c.wake) })
	}
	c.connect()
}

// Stop closes the connection with 1000 and stops reconnecting.
func (c *Client) Stop() {
	if !c.running {
		return
	}
	c.running = false
	for _, un := range []*func(){&c.unOnline, &c.unFocus} {
		if *un != nil {
			(*un)()
			*un = nil
		}
	}
	c.drop(wire.CloseNormal, "stop")
	c.stopTimers()
	c.state.Set(Offline)
}

// Reconnect drops the current connection, if any, and connects at once,
// resetting the backoff: for when the app knows the network is back, or has
// new credentials after Unauthorized.
func (c *Client) Reconnect() {
	if !c.running {
		return
	}
	c.drop(wire.CloseNormal, "reconnect")
	c.stopTimers()
	c.attempt = 0
	c.connect()
}

// onlineChanged follows the browser's word on the network: back online, it
// reconnects at once (wake); gone offline, it drops the connection rather
// than wait for its heartbeat to time out, so the UI says offline now and
// the queued changes wait for the network.
func (c *Client) onlineChanged() {
	if c.opts.Online.Online() || !c.running {
		c.wake()
		return
	}
	if c.conn != nil || c.state.Peek() == Connecting {
		c.drop(wire.CloseNormal, "offline")
		c.stopTimers()
		c.state.Set(Offline)
	}
}

// wake reconnects at once, skipping the backoff, when the network came back
// or the page became visible while the connection is down.
func (c *Client) wake() {
	st := c.state.Peek()
	if !c.running || c.conn != nil || st == Connecting || st == Unauthorized {
		return
	}
	if c.opts.Online != nil && !c.opts.Online.Online() {
		return // connect runs again when it is
	}
	c.stopTimers()
	c.attempt = 0
	c.connect()
}

func (c *Client) report(err error) {
	if c.opts.OnError != nil && err != nil {
		c.opts.OnError(err)
	}
}

func (c *Client) stopTimers() {
	if c.timer != nil {
		c.timer()
		c.timer = nil
	}
	if c.stable != nil {
		c.stable()
		c.stable = nil
	}
}

// after runs fn on the graph's goroutine after d, unless the connection
// generation has changed by then.
func (c *Client) after(d time.Duration, fn func()) func() bool {
	gen := c.gen
	return c.opts.Clock.AfterFunc(d, func() {
		c.g.Schedule(func() {
			if gen == c.gen && c.running {
				fn()
			}
		})
	})
}

// connect dials a new connection.
func (c *Client) connect() {
	if c.opts.Online != nil && !c.opts.Online.Online() {
		c.state.Set(Offline) // wake connects when the network is back
		return
	}
	c.gen++
	gen := c.gen
	c.state.Set(Connecting)
	ctx, cancel := context.WithCancel(context.Background())
	c.dialCancel = cancel
	c.timer = c.after(c.opts.DialTimeout, func() { c.fail(wire.CloseProtocolError, "no welcome in time") })
	dial, url := c.opts.Dial, c.opts.URL
	go func() {
		conn, err := dial(ctx, url)
		cancel() // the dial is over either way; an open connection outlives it
		c.g.Schedule(func() {
			if gen != c.gen || !c.running {
				if conn != nil {
					_ = conn.Close(wire.CloseNormal, "superseded")
				}
				return
			}
			c.dialCancel = nil
			if err != nil {
				c.report(err)
				c.retry()
				return
			}
			c.opened(conn)
		})
	}()
}

// opened starts the reader and writer of a new connection and says hello.
func (c *Client) opened(conn Conn) {
	gen := c.gen
	c.conn = conn
	c.out = newOutQueue()
	c.heard = c.opts.Clock.Now()
	c.hbMs = 0
	c.ackDue = false
	out := c.out
	go func() {
		for {
			msg, ok := out.pop()
			if !ok {
				return
			}
			if err := conn.Write(context.Background(), msg); err != nil {
				return // the reader sees the failure too
			}
		}
	}()
	go func() {
		for {
			msg, err := conn.Read(context.Background())
			if err != nil {
				c.g.Schedule(func() {
					if gen == c.gen {
						c.lost(err)
					}
				})
				return
			}
			c.g.Schedule(func() {
				if gen == c.gen {
					c.received(msg)
				}
			})
		}
	}()
	token := ""
	if c.opts.Token != nil {
		token = c.opts.Token()
	}
	c.send(wire.Hello{V: wire.Version, ClientID: c.s.ClientID(), Token: token})
}

// send queues a message for the writer.
func (c *Client) send(m wire.ClientMessage) {
	if c.conn == nil {
		return
	}
	b, err := wire.EncodeClientMessage(m)
	if err != nil {
		c.report(fmt.Errorf("sync: encoding %s: %w", m.Type(), err))
		return
	}
	c.out.push(b)
}

// drop closes the current connection, if any, and forgets it.
func (c *Client) drop(code wire.CloseCode, reason string) {
	if c.dialCancel != nil {
		c.dialCancel()
		c.dialCancel = nil
	}
	c.gen++
	for _, t := range c.topics {
		t.reset()
	}
	if c.conn == nil {
		return
	}
	conn := c.conn
	c.conn = nil
	c.out.close()
	c.out = nil
	go func() { _ = conn.Close(code, reason) }() // may wait for the close handshake
}

// fail closes the connection with code and schedules a reconnect.
func (c *Client) fail(code wire.CloseCode, reason string) {
	c.report(fmt.Errorf("sync: closing with %d: %s", code, reason))
	c.drop(code, reason)
	c.retry()
}

// lost handles a connection whose read failed: the server closed it, the
// network broke, or a frame was malformed. The client closes it explicitly
// with its own code (B27) and reconnects, except after 4001.
func (c *Client) lost(err error) {
	if closeCode(err) == wire.CloseUnauthorized {
		c.report(fmt.Errorf("sync: unauthorized: %w", err))
		c.drop(wire.CloseNormal, "unauthorized")
		c.stopTimers()
		c.state.Set(Unauthorized)
		return
	}
	if closeCode(err) == wire.CloseRateLimited {
		// The server asks for a pause: wait as after several failures,
		// even if this connection had lasted long enough to reset the
		// backoff.
		c.attempt = max(c.attempt, rateLimitedAttempt)
	}
	code := wire.CloseHeartbeat // the connection failed under us
	if errors.Is(err, wire.ErrMalformed) {
		code = wire.CloseProtocolError
	}
	c.drop(code, "read failed")
	c.retry()
}

// rateLimitedAttempt is the reconnect attempt a close with 4029 (rate
// limited) resumes from at least: the next delay is up to base·2^4, 4 s by
// default, and grows from there.
const rateLimitedAttempt = 4

// retry schedules the next connect with full jitter.
func (c *Client) retry() {
	c.stopTimers()
	c.state.Set(Offline)
	if !c.running {
		return
	}
	delay := reconnectDelay(c.rng, c.opts.ReconnectBase, c.opts.ReconnectCap, c.attempt)
	c.attempt++
	c.timer = c.after(delay, c.connect)
}

// reconnectDelay returns the delay before reconnect attempt n (from 0) that
// a Client with base, cap and generator rng chooses.
func reconnectDelay(rng *rand.Rand, base, cap time.Duration, n int) time.Duration {
	return cache.FullJitter(rng.Float64, base, cap, n)
}

// watchdog fires when the server has been silent too long.
func (c *Client) watchdog() {
	if c.conn == nil || c.hbMs == 0 {
		return
	}
	limit := 2*time.Duration(c.hbMs)*time.Millisecond + c.opts.HeartbeatGrace
	if silent := c.opts.Clock.Now().Sub(c.heard); silent >= limit {
		c.fail(wire.CloseHeartbeat, "heartbeat timeout")
		return
	}
	c.timer = c.after(limit-c.opts.Clock.Now().Sub(c.heard), c.watchdog)
}

// received handles one message from the server.
func (c *Client) received(b []byte) {
	c.heard = c.opts.Clock.Now()
	if len(b) > c.maxMsg {
		c.fail(wire.CloseTooBig, fmt.Sprintf("message of %d bytes over maxMsg %d", len(b), c.maxMsg))
		return
	}
	m, err := wire.DecodeServerMessage(b)
	if err != nil {
		c.fail(wire.CloseProtocolError, err.Error())
		return
	}
	switch m := m.(type) {
	case wire.Welcome:
		c.welcome(m)
	case wire.HB:
		c.send(wire.HB{})
	case wire.ErrorMessage:
		c.report(fmt.Errorf("sync: server error %s: %s (topic %q)", m.Code, m.Message, m.Topic))
		if t := c.topics[m.Topic]; t != nil {
			t.refused(m.Code, m.Message)
			c.updateState()
		}
	default:
		if c.hbMs == 0 {
			c.fail(wire.CloseProtocolError, "message before welcome")
			return
		}
		name := wire.TopicOf(m)
		t := c.topics[name]
		if t == nil {
			return // a topic we unsubscribed from or never asked for
		}
		t.handle(m)
		c.updateState()
	}
}

// welcome starts the session: every topic resubscribes from its cursor
// (B22); once all are live, the mutations the server has processed leave
// the store's queue (B25) and the outbox resumes.
func (c *Client) welcome(w wire.Welcome) {
	if c.hbMs != 0 {
		c.fail(wire.CloseProtocolError, "second welcome")
		return
	}
	c.hbMs = w.HbMs
	if c.hbMs <= 0 {
		c.hbMs = 15000
	}
	c.maxMsg = w.MaxMsg
	if c.maxMsg < wire.MinMaxMsg {
		c.maxMsg = wire.DefaultMaxMsg
	}
	c.stopTimers()
	c.ack, c.ackDue = w.LastMutationID, true
	for _, name := range c.order {
		c.topics[name].subscribe()
	}
	c.timer = c.after(2*time.Duration(c.hbMs)*time.Millisecond+c.opts.HeartbeatGrace, c.watchdog)
	c.stable = c.after(c.opts.StableAfter, func() { c.attempt = 0 })
	c.updateState()
}

// updateState derives the connection state from the topics, and settles
// the welcome's acknowledgement once everything is live.
func (c *Client) updateState() {
	if c.conn == nil || c.hbMs == 0 {
		return
	}
	for _, t := range c.topics {
		if t.phase != phaseLive && t.phase != phaseRefused {
			c.state.Set(Resyncing)
			return
		}
	}
	c.state.Set(Live)
	if c.ackDue {
		c.ackDue = false
		if err := c.s.Acknowledge(c.ack); errors.Is(err, store.ErrClientIDClash) {
			c.Reconnect() // say hello with the new clientID
			return
		}
		c.s.Resume()
	}
}

// outQueue is an unbounded queue of messages for a connection's writer:
// sending never fails or blocks the graph, however many topics subscribe at
// once.
type outQueue struct {
	mu     gosync.Mutex
	msgs   [][]byte // guarded by mu
	closed bool     // guarded by mu
	wake   chan struct{}
}

func newOutQueue() *outQueue { return &outQueue{wake: make(chan struct{}, 1)} }

func (q *outQueue) push(b []byte) {
	q.mu.Lock()
	q.msgs = append(q.msgs, b)
	q.mu.Unlock()
	q.signal()
}

func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *outQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for the next message; false once the queue is closed.
func (q *outQueue) pop() ([]byte, bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		if len(q.msgs) > 0 {
			m := q.msgs[0]
			q.msgs[0] = nil
			q.msgs = q.msgs[1:]
			q.mu.Unlock()
			return m, true
		}
		q.mu.Unlock()
		<-q.wake
	}
}
