package cache

import (
	"sync"
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

	mu             sync.Mutex // guards everything below and all queries, observers and mutations
	queries        map[string]*query
	index          keyIndex
	queryDefaults  []keyDefaults
	mutations      []*mutation
	mutDefaults    []mutationKeyDefaults
	seq            uint64
	batchDepth     int
	pending        []*listenerSet
	events         []Event
	cacheListeners []*cacheListener
	owed           []Key // invalidations deferred by Invalidates, see mutation.go
	closed         bool
	wasOnline      bool
	plain          *config // see plainConfig
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
		queries:   make(map[string]*query),
	}
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
	for _, q := range c.queries {
		q.clearGC()
		for _, o := range q.obs {
			o.clearTimers()
		}
		q.cancel(&CancelledError{Revert: true})
	}
	for _, m := range c.mutations {
		m.clearGC()
		if m.retryer != nil {
			m.retryer.cancel(&CancelledError{})
		}
	}
	c.unlock()
	for _, u := range unsubs {
		u()
	}
}

func (c *Client) lock() { c.mu.Lock() }

// unlock releases the lock and, unless a batch is open, flushes the queued
// notifications through the scheduler.
func (c *Client) unlock() {
	if c.batchDepth > 0 || (len(c.pending) == 0 && len(c.events) == 0) {
		c.mu.Unlock()
		return
	}
	sets, events := c.pending, c.events
	c.pending, c.events = nil, nil
	for _, s := range sets {
		s.queued = false
	}
	listeners := c.cacheListeners
	report := c.report
	c.mu.Unlock()
	c.sched(func() {
		for _, e := range events {
			for _, l := range listeners {
				if !l.removed.Load() {
					callListener(func() { l.f(e) }, report)
				}
			}
		}
		for _, s := range sets {
			s.deliver(report)
		}
	})
}

// Batch runs f and delivers the notifications raised inside it once, when
// the outermost Batch returns (QB-44). f may call any Client method; other
// goroutines' notifications raised meanwhile wait for the batch too.
func (c *Client) Batch(f func()) {
	c.lock()
	c.batchDepth++
	c.mu.Unlock()
	defer func() {
		c.lock()
		c.batchDepth--
		c.unlock()
	}()
	f()
}

func (c *Client) enqueue(s *listenerSet) {
	if !s.queued && s.len() > 0 {
		s.queued = true
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
	var stack [8]int
	hash, ends, err := hashKeySegments(cfg.key, stack[:0])
	if err != nil {
		panic("cache: build with an invalid key") // callers validate keys first
	}
	if q := c.queries[hash]; q != nil {
		q.setOptions(cfg)
		return q
	}
	return c.buildHashed(cfg, hash, ends)
}

// buildHashed creates the query of cfg.key (or, for a shared plain config,
// of key) whose hash and segment ends are given.
func (c *Client) buildHashed(cfg *config, hash string, ends []int, key ...Key) *query {
	k := cfg.key
	if len(key) > 0 {
		k = key[0]
	}
	q := c.newQuery(cfg, k, hash)
	c.queries[hash] = q
	c.index.insert(q, ends)
	c.emit(EventAdded, q)
	q.scheduleGC()
	return q
}

func (c *Client) lookup(key Key) (*query, error) {
	var stack [128]byte
	b, err := appendKey(stack[:0], key)
	if err != nil {
		return nil, err
	}
	return c.queries[string(b)], nil // no allocation for the lookup
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
	q.cancel(&CancelledError{Silent: true})
	delete(c.queries, q.hash)
	c.index.remove(q)
	c.emit(EventRemoved, q)
}

func (c *Client) onFocusChange() {
	if !c.isFocused() {
		return
	}
	c.lock()
	if !c.closed {
		for _, q := range c.queries {
			q.onTrigger(TriggerWindowFocus)
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
	waits := c.resumePausedMutations()
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
	for _, q := range c.queries {
		q.onTrigger(TriggerReconnect)
	}
}
