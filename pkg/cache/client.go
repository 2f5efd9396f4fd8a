package cache

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// ClientOptions configure a Client. The zero value is usable: the system
// clock, inline delivery, always focused, always online.
type ClientOptions struct {
	// Clock tells the time and runs timers; nil means SystemClock().
	Clock Clock
	// Scheduler delivers notifications, once per flush; nil runs them at
	// once on the goroutine that ended the batch.
	Scheduler Scheduler
	// Focus says whether the window is focused; nil means always.
	Focus FocusSource
	// Online says whether the network is reachable; nil means always.
	Online OnlineSource
	// Server makes observers' queries default to no retry, as TanStack does
	// on the server.
	Server bool
	// DefaultQueryOptions apply to every query, below SetQueryDefaults.
	DefaultQueryOptions Defaults
	// DefaultMutationOptions apply to every mutation, below
	// SetMutationDefaults.
	DefaultMutationOptions MutationDefaults
	// MutationCache holds the cache-level mutation callbacks, which run
	// before the mutation's own (QB-54).
	MutationCache MutationCallbacks
	// ReportError receives panics recovered from listeners and callbacks
	// that have no other way to report them; nil drops them.
	ReportError func(error)
}

// Client owns a query cache and a mutation cache, with its clock, scheduler,
// focus and online sources: TanStack's QueryClient without globals, so two
// clients never see each other. It is safe for concurrent use: query
// functions run on their own goroutines and report back under the client's
// lock; listeners are never called with the lock held.
//
// Notifications are batched: every listener of an observer whose result
// changed is called once per flush, through the Scheduler, after the
// outermost operation (or Batch) ends.
type Client struct {
	clock     Clock
	sched     Scheduler
	focus     FocusSource
	online    OnlineSource
	server    bool
	defaults  Defaults
	mdefaults MutationDefaults
	mcache    MutationCallbacks
	report    func(error)
	unsubs    []func()

	mu            clientMutex // guards everything below and all queries, observers and mutations
	count         int         // queries in index
	index         keyIndex
	enc           keyEncoder
	gc            gcSweeper
	nowT          time.Time // the clock read of this hold of mu, see now
	nowOK         bool
	scratch       []*query // reused by find, see takeScratch
	queryDefaults []keyDefaults
	mutations     []*mutation
	// mutOps reaches the mutation cache from Close, Clear and reconnects.
	// The first mutation sets it (addMutation), so that a program that never
	// makes one, such as the JavaScript API's WebAssembly module, does not
	// link the mutation machinery: about 10 KB of its download.
	mutOps         *mutationOps
	mutDefaults    []mutationKeyDefaults
	seq            uint64
	batchDepth     int
	pending        []*listenerSet // queued since the last flush, see listenerSet.queued
	flushes        uint64
	events         []Event
	cacheListeners []*cacheListener
	owed           []Key // invalidations deferred by Invalidates, see mutation.go
	closed         bool
	wasOnline      bool
	plain          *config // see plainConfig

	spare  atomic.Pointer[delivery] // a finished delivery, reused by the next flush
	noWait *Waiter                  // the Waiter of operations that started no fetch
}

type keyDefaults struct {
	key Key
	d   Defaults
}

// NewClient returns a Client; it subscribes to the focus and online sources
// until Close.
func NewClient(opts ClientOptions) *Client {
	c := &Client{
		clock:     opts.Clock,
		sched:     opts.Scheduler,
		focus:     opts.Focus,
		online:    opts.Online,
		server:    opts.Server,
		defaults:  opts.DefaultQueryOptions,
		mdefaults: opts.DefaultMutationOptions,
		mcache:    opts.MutationCache,
		report:    opts.ReportError,
	}
	c.index.init(rand.Uint64())
	c.flushes = 1 // a zero listenerSet.queued is not queued
	c.noWait = &Waiter{c: c}
	if c.clock == nil {
		c.clock = SystemClock()
	}
	if c.sched == nil {
		c.sched = inlineScheduler
	}
	if c.focus != nil {
		c.unsubs = append(c.unsubs, c.focus.Subscribe(c.onFocusChange))
	}
	if c.online != nil {
		c.wasOnline = c.online.Online()
		c.unsubs = append(c.unsubs, c.online.Subscribe(c.onOnlineChange))
	}
	return c
}

// Clock returns the client's clock.
func (c *Client) Clock() Clock { return c.clock }

// Close unsubscribes from the focus and online sources, cancels every fetch
// and mutation attempt in flight (their contexts are cancelled), stops every
// timer and ends polling. Queries stay readable; new fetches fail with
// ErrClosed. Close does not wait for query functions to return. Repeated
// calls do nothing.
func (c *Client) Close() {
	c.lock()
	if c.closed {
		c.unlock()
		return
	}
	c.closed = true
	unsubs := c.unsubs
	c.unsubs = nil
	c.gc.stopTimer()
	c.gc = gcSweeper{} // nothing is collected once closed
	// nothing removes queries meanwhile: a walk, no list of them
	c.index.each(&c.index.root, func(q *query) {
		q.gcOn = false
		for _, o := range q.obs {
			o.clearTimers()
		}
		if q.retryer != nil {
			q.cancel(&CancelledError{Revert: true})
		}
	})
	if c.mutOps != nil {
		c.mutOps.cancelAll()
	}
	c.unlock()
	for _, u := range unsubs {
		u()
	}
}

func (c *Client) lock() { c.mu.Lock() }

// release releases the lock without flushing.
func (c *Client) release() {
	c.nowOK = false
	c.mu.Unlock()
}

// now returns the clock's time, read once per hold of the lock: a clock read
// costs about half a microsecond in WASM, and one operation sees one instant.
func (c *Client) now() time.Time {
	if !c.nowOK {
		c.nowT, c.nowOK = c.clock.Now(), true
	}
	return c.nowT
}

// unlock releases the lock and, unless a batch is open, flushes the queued
// notifications through the scheduler.
func (c *Client) unlock() {
	if c.batchDepth > 0 || (len(c.pending) == 0 && len(c.events) == 0) {
		c.release()
		return
	}
	d := c.spare.Swap(nil)
	if d == nil {
		d = &delivery{c: c}
		d.run = d.deliver
	}
	// swap buffers: the flush hands its queues over and takes the
	// delivery's emptied ones, so a steady state allocates nothing
	d.sets, c.pending = c.pending, d.sets
	d.events, c.events = c.events, d.events
	c.flushes++ // unqueues every set
	d.listeners = c.cacheListeners
	d.armed.Store(true)
	c.release()
	c.sched(d.run)
}

// Batch runs f and delivers the notifications raised inside it once, when
// the outermost Batch returns (QB-44). f may call any Client method; other
// goroutines' notifications raised meanwhile wait for the batch too.
func (c *Client) Batch(f func()) {
	c.lock()
	c.batchDepth++
	c.release()
	defer func() {
		c.lock()
		c.batchDepth--
		c.unlock()
	}()
	f()
}

func (c *Client) enqueue(s *listenerSet) {
	if s.queued != c.flushes && s.len() > 0 {
		s.queued = c.flushes
		c.pending = append(c.pending, s)
	}
}

func (c *Client) nextID() uint64 {
	c.seq++
	return c.seq
}

func (c *Client) isFocused() bool { return c.focus == nil || c.focus.Focused() }
func (c *Client) isOnline() bool  { return c.online == nil || c.online.Online() }

func (c *Client) canFetch(mode NetworkMode) bool {
	return mode != NetworkOnline || c.isOnline()
}

func (c *Client) queryRetry(cfg *config) RetryFunc {
	switch {
	case cfg.retry != nil:
		return cfg.retry
	case cfg.imperative || c.server:
		return NoRetry
	default:
		return RetryCount(3)
	}
}

// resolve merges the client's and the key's defaults into cfg, which it
// returns; cfg.key must be valid.
func (c *Client) resolve(cfg *config) *config {
	for i := len(c.queryDefaults) - 1; i >= 0; i-- {
		if MatchKey(cfg.key, c.queryDefaults[i].key) {
			c.queryDefaults[i].d.applyTo(cfg)
		}
	}
	c.defaults.applyTo(cfg)
	return cfg
}

// SetQueryDefaults sets defaults for every query whose key starts with key
// (QB-05): ['a'] applies to ['a','b'], not the other way round. Later calls
// for the same key replace earlier ones; defaults of several matching keys
// merge, the last set winning. It affects queries built or observed from
// now on.
func (c *Client) SetQueryDefaults(key Key, d Defaults) error {
	h, err := key.Hash()
	if err != nil {
		return err
	}
	c.lock()
	defer c.unlock()
	for i := range c.queryDefaults {
		if hh, _ := c.queryDefaults[i].key.Hash(); hh == h {
			c.queryDefaults[i].d = d
			return nil
		}
	}
	c.queryDefaults = append(c.queryDefaults, keyDefaults{key: key, d: d})
	return nil
}

// QueryDefaults returns the merged defaults that apply to key.
func (c *Client) QueryDefaults(key Key) Defaults {
	c.lock()
	defer c.unlock()
	var cfg config
	cfg.key = key
	out := Defaults{}
	for i := len(c.queryDefaults) - 1; i >= 0; i-- {
		if MatchKey(key, c.queryDefaults[i].key) {
			mergeDefaults(&out, &c.queryDefaults[i].d)
		}
	}
	mergeDefaults(&out, &c.defaults)
	return out
}

func mergeDefaults(dst, src *Defaults) {
	if dst.Fn == nil {
		dst.Fn = src.Fn
	}
	if dst.StaleTime == 0 {
		dst.StaleTime = src.StaleTime
	}
	if dst.GCTime == nil {
		dst.GCTime = src.GCTime
	}
	if dst.Retry == nil {
		dst.Retry = src.Retry
	}
	if dst.RetryDelay == nil {
		dst.RetryDelay = src.RetryDelay
	}
	if dst.NetworkMode == 0 {
		dst.NetworkMode = src.NetworkMode
	}
	if dst.Timeout == 0 {
		dst.Timeout = src.Timeout
	}
	if dst.RefetchOnMount == 0 {
		dst.RefetchOnMount = src.RefetchOnMount
	}
	if dst.RefetchOnWindowFocus == 0 {
		dst.RefetchOnWindowFocus = src.RefetchOnWindowFocus
	}
	if dst.RefetchOnReconnect == 0 {
		dst.RefetchOnReconnect = src.RefetchOnReconnect
	}
	if dst.RefetchInterval == 0 {
		dst.RefetchInterval = src.RefetchInterval
	}
}

// build returns the query for cfg.key, creating it (TanStack's
// QueryCache.build), and gives it cfg as its options. cfg must be resolved
// and its key valid.
func (c *Client) build(cfg *config) *query {
	q, err := c.lookup(cfg.key)
	if err != nil {
		panic("cache: build with an invalid key") // callers validate keys first
	}
	if q != nil {
		q.setOptions(cfg)
		return q
	}
	return c.create(cfg, cfg.key, nil, time.Time{})
}

// create adds the query of key with the options cfg (for a shared plain
// config, key is not cfg.key), holding data, when not nil, as set at at.
// It must follow the lookup of key that found no query: it reuses the
// encoding that lookup left in c.enc.
func (c *Client) create(cfg *config, key Key, data any, at time.Time) *query {
	if data != nil && cfg.initial != nil {
		q := c.create(cfg, key, nil, at) // InitialData first, then data as SetQueryData
		q.setData(data, nil, at, true)
		return q
	}
	st := queryState{status: StatusPending, fetchStatus: FetchIdle}
	var initial *queryState
	if data != nil {
		// the state setData would make from the pending one
		st = queryState{data: data, hasData: true, dataID: c.nextID(), dataUpdateCount: 1, dataUpdatedAt: at, status: StatusSuccess, fetchStatus: FetchIdle}
	} else if cfg.initial != nil {
		if v, ok := cfg.initial(); ok && v != nil {
			at := cfg.initialAt
			if at.IsZero() {
				at = c.now()
			}
			st = queryState{data: v, hasData: true, dataID: c.nextID(), dataUpdatedAt: at, status: StatusSuccess, fetchStatus: FetchIdle}
			initial = new(queryState)
			*initial = st
		}
	}
	var q *query
	if own := c.enc.node; own != nil || len(key) == 0 {
		if own == nil {
			own = &c.index.root
		}
		q = &query{c: c, key: key, cfg: cfg, ver: 1, node: own, state: st, initial: initial}
		own.q = q
	} else {
		// the query and its index node in one allocation: a removed query
		// whose node lives on (it has children) keeps the pair alive, which
		// costs memory only in that case
		ends := c.enc.ends[:c.enc.n]
		size := ends[len(ends)-1]
		enc := append(c.enc.buf[:size], ']')
		hash := string(enc)
		enc = enc[:size]
		parent := c.index.parentFor(key, hash, enc, ends)
		qn := &queryNode{
			q:    query{c: c, key: key, cfg: cfg, ver: 1, state: st, initial: initial},
			node: indexNode{parent: parent, hash: hash, seg: key[len(key)-1], next: parent.first},
		}
		q = &qn.q
		q.node, qn.node.q = &qn.node, q
		c.index.link(parent, &qn.node, c.enc.h)
	}
	q.updateGCTime(cfg.gcTime)
	c.count++
	c.emit(EventAdded, q)
	q.scheduleGC()
	if data != nil {
		c.emit(EventUpdated, q) // what setData's dispatch tells
	}
	return q
}

// queryNode is a query allocated with its index node.
type queryNode struct {
	q    query
	node indexNode
}

// queries returns every query, in no particular order.
func (c *Client) queries() []*query {
	return collect(make([]*query, 0, c.count), &c.index.root)
}

// lookup returns the query of key, nil if there is none. It leaves key's
// encoding and its hash in c.enc for create.
func (c *Client) lookup(key Key) (*query, error) {
	enc, err := c.enc.encode(key)
	if err != nil {
		return nil, err
	}
	if len(enc) == 1 {
		c.enc.node = &c.index.root
		return c.index.root.q, nil
	}
	h := c.index.hashPrefix(enc)
	n := c.index.lookup(enc, h)
	if n != nil && n.q != nil {
		return n.q, nil // a hit: create will not need the node
	}
	c.enc.h, c.enc.node = h, n
	return nil, nil
}

// plainConfig returns the options of a query created by a write (SetQueryData,
// Hydrate): the merged defaults for key, shared when no key defaults apply.
func (c *Client) plainConfig(key Key) *config {
	for i := range c.queryDefaults {
		if MatchKey(key, c.queryDefaults[i].key) {
			return c.resolve(&config{key: key})
		}
	}
	if c.plain == nil {
		c.plain = c.resolve(&config{})
	}
	return c.plain
}

func (c *Client) removeQuery(q *query) {
	if q.removed {
		return
	}
	q.removed = true
	q.clearGC()
	if q.retryer != nil {
		q.cancel(&CancelledError{Silent: true})
	}
	c.count--
	c.index.remove(q)
	c.emit(EventRemoved, q)
}

func (c *Client) onFocusChange() {
	if !c.isFocused() {
		return
	}
	c.lock()
	if !c.closed {
		for _, q := range c.queries() {
			if !q.removed {
				q.onTrigger(TriggerWindowFocus)
			}
		}
	}
	c.unlock()
}

// onOnlineChange, on reconnect, resumes paused mutations and, once they have
// settled, runs the queries' reconnect refetches (QB-58).
func (c *Client) onOnlineChange() {
	online := c.isOnline()
	c.lock()
	was := c.wasOnline
	c.wasOnline = online
	if !online || was || c.closed {
		c.unlock()
		return
	}
	var waits []*mutation
	if c.mutOps != nil {
		waits = c.mutOps.resumePaused()
	}
	if len(waits) == 0 {
		c.queriesOnline()
		c.unlock()
		return
	}
	c.unlock()
	go func() {
		for _, m := range waits {
			<-m.settled
		}
		c.lock()
		if !c.closed {
			c.queriesOnline()
		}
		c.unlock()
	}()
}

func (c *Client) queriesOnline() {
	for _, q := range c.queries() {
		if !q.removed {
			q.onTrigger(TriggerReconnect)
		}
	}
}
