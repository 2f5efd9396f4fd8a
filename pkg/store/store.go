package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A Store is one client runtime of the protocol (one browser tab): its
// clientID, the mutationIDs it hands out, and the one queue through which all
// its collections send their mutations, in order, one request in flight
// (PROTOCOL.md §4, B11).
//
// A Store belongs to its graph's goroutine, like the graph: create
// collections, run mutations and read state there. Network work runs on
// other goroutines and comes back through Graph.Schedule.
type Store struct {
	g         *state.Graph
	transport cache.Transport
	baseURL   string
	header    map[string]string
	clock     cache.Clock
	storage   cache.Storage
	storeKey  string
	retryBase time.Duration
	retryCap  time.Duration
	maxServer int
	onError   func(error)

	clientID       string
	lastMutationID uint64
	closed         bool
	depth          int // nesting of Batch
	outbox         outbox
	colls          map[string]*core
	topics         []Topic         // collections synced whole and open partitions, in the order they came
	watchers       []*topicWatcher // see WatchTopics
	pendingCount   *state.Signal[int]
	insp           inspection
	cacheDirty     map[string]bool          // collections whose confirmed layer is to be saved
	cacheTimer     func() bool              // the pending save, if any
	boot           map[string]wire.Snapshot // Options.Boot by topic, until its collection takes it
}

// A Topic is what the realtime reconciler (pkg/sync) subscribes to: a
// collection synced whole (every *Collection that is not partitioned), or
// one open partition of a partitioned one (Collection.Open). Events and
// snapshots of its topic feed its confirmed layer. A Topic that also
// implements TopicObserver hears where its subscription stands.
type Topic interface {
	Name() string
	ApplyItems(items ...wire.Item)
	Replace(items []wire.Item, epoch string, seq uint64, reset bool)
	Cursor() wire.Cursor
	SetCursor(wire.Cursor)
	FetchItem(ctx context.Context, id string) (wire.Item, error)
}

type topicWatcher struct{ added, removed func(Topic) }

// Topics calls fn with every topic of the store, now and as later ones
// come, until stop is called: collections synced whole, in the order they
// were registered, and partitions as they are opened. pkg/sync uses
// WatchTopics, which also tells when a topic goes.
func (s *Store) Topics(fn func(Topic)) (stop func()) { return s.WatchTopics(fn, nil) }

// WatchTopics calls added with every topic of the store, now and as later
// ones come (a collection registered, a partition opened), and removed
// (if not nil) with each that goes (a partition released), until stop is
// called. pkg/sync uses it to keep every collection in sync without being
// told each one, and to follow partitions as the app opens and closes them.
func (s *Store) WatchTopics(added, removed func(Topic)) (stop func()) {
	w := &topicWatcher{added: added, removed: removed}
	s.watchers = append(s.watchers, w)
	for _, t := range slices.Clone(s.topics) {
		added(t)
	}
	return func() { s.watchers = slices.DeleteFunc(s.watchers, func(x *topicWatcher) bool { return x == w }) }
}

// addTopic makes t a topic of the store and tells the watchers.
func (s *Store) addTopic(t Topic) {
	s.topics = append(s.topics, t)
	for _, w := range slices.Clone(s.watchers) {
		w.added(t)
	}
}

// removeTopic stops t being a topic of the store and tells the watchers.
func (s *Store) removeTopic(t Topic) {
	s.topics = slices.DeleteFunc(s.topics, func(x Topic) bool { return x == t })
	for _, w := range slices.Clone(s.watchers) {
		if w.removed != nil {
			w.removed(t)
		}
	}
}

// Options configure a Store. The zero value of every field has a stated
// default.
type Options struct {
	// Graph is the signal graph the store's state lives in. Required.
	Graph *state.Graph
	// Transport sends REST requests; nil means cache.DefaultTransport()
	// (fetch in the browser, net/http natively).
	Transport cache.Transport
	// BaseURL is prefixed to "/{collection}"; "/api" by default.
	BaseURL string
	// Header is sent with every request (authorization, say).
	Header map[string]string
	// Clock times retries; cache.SystemClock() by default.
	Clock cache.Clock
	// Storage keeps the pending mutations across reloads; nil keeps
	// nothing. In the browser, cache.NewSessionStorage survives a reload and
	// belongs to one tab; cache.NewLocalStorage also survives closing the tab,
	// but tabs share it and the last one to save wins.
	Storage cache.Storage
	// StorageKey names the store's record in Storage; "tandem.outbox" by
	// default. Two stores sharing a Storage need different keys.
	StorageKey string
	// ClientID identifies this runtime to the server: 32 lowercase hex
	// digits or a UUID, unique to this runtime; a random one by default.
	ClientID string
	// RetryBase and RetryCap bound the delay before a temporary failure
	// (network error, 429, 5xx) is retried with the same mutationID: full
	// jitter in [0, min(cap, base·2^attempt)]; 250 ms and 30 s by default.
	RetryBase, RetryCap time.Duration
	// MaxServerErrors is how many 5xx answers in a row a mutation may get
	// before it fails with the last of them, so that a mutation the server
	// cannot handle does not hold the queue for ever; 10 by default.
	// Network errors and 429 retry without limit: they say nothing about
	// the mutation.
	MaxServerErrors int
	// OnError receives failures nobody else can: a malformed server answer,
	// a storage failure. Mutation errors go to the mutation's caller. By
	// default they are dropped.
	OnError func(error)
	// Boot is the server's data as a page was rendered with it: one
	// complete snapshot per topic (Part 0, Last, no stale items), its items
	// read with its cursor, as server.Reader.Snapshot gives them. A
	// collection synced whole starts from its topic's snapshot when it is
	// registered, as if a subscription had delivered it, and pkg/sync then
	// resumes from the snapshot's cursor: the server sends what came after,
	// not the snapshot again. When Storage holds a copy of the collection at
	// least as new — the same epoch, a seq at or above the snapshot's — the
	// copy stays instead (a reload of a page the browser or a service
	// worker kept); otherwise the snapshot, which is the server's state when
	// the page was made, replaces it. Pending mutations are replayed over
	// either. Topics of no collection synced whole are ignored; a snapshot
	// that is not complete is reported (OnError) and ignored.
	Boot []wire.Snapshot
}

// ErrClosed is returned for mutations of a collection whose store has been
// closed.
var ErrClosed = errors.New("store: closed")

// New returns a store. If opts.Storage holds a previous session's record,
// its pending mutations show again at once and are resent, in order and
// before any new one, under the clientID and mutationIDs they were made with
// (the server's dedup makes a resend harmless), each once its collection is
// registered. New mutations get a fresh clientID, so that two runtimes
// restoring one record (a duplicated tab) never hand out the same
// (clientID, mutationID) for different changes.
func New(opts Options) (*Store, error) {
	if opts.Graph == nil {
		return nil, errors.New("store: Options.Graph is required")
	}
	if !opts.Graph.HasScheduler() {
		return nil, errors.New("store: the graph needs a scheduler (state.WithScheduler): network answers arrive on other goroutines")
	}
	if opts.ClientID != "" && !wire.ValidClientID(opts.ClientID) {
		return nil, fmt.Errorf("store: invalid ClientID %q: want 32 lowercase hex digits or a UUID", opts.ClientID)
	}
	s := &Store{
		g:         opts.Graph,
		transport: opts.Transport,
		baseURL:   opts.BaseURL,
		header:    opts.Header,
		clock:     opts.Clock,
		storage:   opts.Storage,
		storeKey:  opts.StorageKey,
		retryBase: opts.RetryBase,
		retryCap:  opts.RetryCap,
		maxServer: opts.MaxServerErrors,
		onError:   opts.OnError,
		clientID:  opts.ClientID,
		colls:     map[string]*core{},
	}
	for _, snap := range opts.Boot {
		if s.boot == nil {
			s.boot = map[string]wire.Snapshot{}
		}
		s.boot[snap.Topic] = snap
	}
	if s.transport == nil {
		s.transport = cache.DefaultTransport()
	}
	if s.baseURL == "" {
		s.baseURL = "/api"
	}
	if s.clock == nil {
		s.clock = cache.SystemClock()
	}
	if s.storeKey == "" {
		s.storeKey = "tandem.outbox"
	}
	if s.retryBase <= 0 {
		s.retryBase = 250 * time.Millisecond
	}
	if s.retryCap <= 0 {
		s.retryCap = 30 * time.Second
	}
	if s.maxServer <= 0 {
		s.maxServer = 10
	}
	s.outbox.s = s
	s.pendingCount = state.NewSignal(s.g, 0)
	s.insp.outboxV, s.insp.rbV = state.NewSignal(s.g, uint64(0)), state.NewSignal(s.g, uint64(0))
	if err := s.restore(); err != nil {
		return nil, err
	}
	if s.clientID == "" {
		id, err := randomHex(16)
		if err != nil {
			return nil, fmt.Errorf("store: generating a clientID: %w", err)
		}
		s.clientID = id
	}
	return s, nil
}

// ClientID returns the store's clientID.
func (s *Store) ClientID() string { return s.clientID }

// Graph returns the store's graph.
func (s *Store) Graph() *state.Graph { return s.g }

// PendingCount returns, tracked, how many mutations are waiting for the
// server, in every collection.
func (s *Store) PendingCount() int { return s.pendingCount.Get() }

// LastMutationID returns the highest mutationID handed out so far.
func (s *Store) LastMutationID() uint64 { return s.lastMutationID }

// Resume retries at once a mutation waiting for its backoff to end: call it
// when the browser comes back online or the realtime connection is back.
func (s *Store) Resume() { s.outbox.resume() }

// Acknowledge tells the store that the server has processed every mutation
// of this client up to mutationID: welcome.lastMutationID (PROTOCOL.md §4,
// B25). Covered mutations leave the queue without being sent again, except a
// request still in flight, whose answer is better than not knowing. The
// server counts refusals as processed too, so a covered mutation whose answer
// was lost settles with ErrOutcomeUnknown: what it did is whatever the
// server's state, arriving by events or a snapshot, shows.
//
// A mutationID beyond any this store handed out means another runtime uses
// the same clientID (a duplicated tab, a shared record): the store then takes
// a fresh clientID, renumbers its queue, and returns ErrClientIDClash; the
// caller must say hello again with the new ClientID.
func (s *Store) Acknowledge(mutationID uint64) error {
	if mutationID > s.lastMutationID {
		return s.rotate(mutationID)
	}
	s.Batch(func() { s.outbox.acknowledge(mutationID) })
	return nil
}

// Echo tells the store that the server applied mutation (clientID,
// mutationID) to entity id of collection: an event carried it as its origin
// (B3). If that mutation is queued here — this runtime's, or restored from
// an earlier one's storage — it settles as succeeded and leaves the queue,
// its optimistic change now confirmed. The echo of another entity changed by
// the same mutation (a cascade) settles nothing: the mutation's own entity
// has yet to arrive.
func (s *Store) Echo(clientID string, mutationID uint64, collection, id string) {
	s.Batch(func() { s.outbox.echo(clientID, mutationID, collection, id) })
}

// ErrClientIDClash is returned by Acknowledge when the server has seen
// mutationIDs of this clientID that this store never handed out.
var ErrClientIDClash = errors.New("store: another runtime uses this clientID")

// rotate takes a fresh clientID after a clash and renumbers the queue from 1:
// the server applied none of this store's mutations under the old ID beyond
// what it had recorded for the other runtime, so resending is safe.
func (s *Store) rotate(seen uint64) error {
	id, err := randomHex(16)
	if err != nil {
		return fmt.Errorf("store: generating a clientID: %w", err)
	}
	old := s.clientID
	s.clientID = id
	s.lastMutationID = 0
	s.outbox.halt()
	for _, it := range s.outbox.queue {
		if it.ClientID != old {
			continue // an earlier runtime's, restored: its own clientID stands
		}
		s.lastMutationID++
		it.ClientID, it.MutationID = id, s.lastMutationID
		it.attempts, it.serverErrors = 0, 0
	}
	s.save()
	s.outbox.pump()
	err = fmt.Errorf("%w: the server has processed mutation %d of %s; now %s", ErrClientIDClash, seen, old, id)
	s.report(err)
	return err
}

// ErrOutcomeUnknown settles a mutation the server processed but whose answer
// was lost (see Store.Acknowledge): it may have been applied or refused.
var ErrOutcomeUnknown = errors.New("store: the server processed the mutation; its answer was lost")

// Close stops sending: the request in flight is cancelled and a retry
// waiting for its backoff is dropped. Mutations still queued settle with
// ErrClosed but stay in Storage, and the next session sends them. Runs after
// Close fail with ErrClosed.
func (s *Store) Close() {
	if s.closed {
		return
	}
	if s.cacheTimer != nil {
		s.cacheTimer()
		s.saveCached() // what a reload shows: keep it now
	}
	s.closed = true
	s.outbox.halt()
	for _, it := range s.outbox.queue {
		if it.settle != nil {
			it.settle(ErrClosed)
			it.settle = nil
		}
	}
}

// Batch runs fn as one store operation: every change fn makes to any
// collection — server items, acknowledgements, mutations — shows at once
// when it returns, and intermediate states never do. pkg/sync applies an
// event together with the acknowledgement of its origin this way. Batches
// nest; the outermost one commits, inside one graph Batch.
func (s *Store) Batch(fn func()) {
	s.g.Batch(func() {
		s.depth++
		defer s.endBatch()
		fn()
	})
}

func (s *Store) endBatch() {
	s.depth--
	if s.depth == 0 {
		for _, c := range s.colls {
			c.settleAnswers()
		}
		for _, c := range s.colls {
			c.commit()
		}
	}
}

// report hands err to OnError.
func (s *Store) report(err error) {
	if s.onError != nil && err != nil {
		s.onError(err)
	}
}

// NewID returns a random UUID (version 4) for a client-generated entity id.
func NewID() string {
	var b [16]byte
	if err := randomBytes(b[:]); err != nil {
		panic(fmt.Sprintf("store: no randomness: %v", err)) // never happens: the sources do not fail
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if err := randomBytes(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
