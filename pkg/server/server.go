package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemkit/tandem/pkg/wire"
)

// Options configures a Server. The zero value of every field means its
// default.
type Options struct {
	// Clock tells time and arms timers; SystemClock by default.
	Clock Clock
	// Logger receives structured logs; slog.Default() by default.
	Logger *slog.Logger
	// Bus carries committed events to the WebSocket hub; a LocalBus by
	// default. Several instances sharing a store share a Bus.
	Bus Bus

	// MaxBodyBytes is the request body limit; over it a request gets 413.
	// 1 MiB by default.
	MaxBodyBytes int64
	// MutationMemory is the most bytes of mutation bodies the server holds
	// at once (being read, parsed or waiting to commit), each mutation
	// counting the size its Content-Length declares (MaxBodyBytes if it
	// declares none); one client address holds at most a quarter of it
	// (and at least MaxBodyBytes). A mutation waits for room up to
	// BodyTimeout (10 s at most), then gets 503 (not recorded: the client
	// retries).
	// 32 MiB by default, never less than MaxBodyBytes.
	MutationMemory int64
	// BodyTimeout bounds reading a REST request body, from the moment the
	// handler starts reading it: a body that has not fully arrived by then
	// gets 408 (not recorded; the client retries). It is a read deadline on
	// the connection (http.ResponseController), so it never applies to
	// WebSockets. 30 s by default.
	BodyTimeout time.Duration
	// PageSize is the default number of items per list page; 500 by default.
	PageSize int
	// MaxPageSize caps ?limit=; 1000 by default.
	MaxPageSize int
	// Retention is the number of events kept per topic for replay; a client
	// further behind gets a snapshot. 10000 by default.
	Retention int
	// RetentionAge, if set, also drops the events older than it (by their
	// commit time), whatever their number: a client whose cursor is older
	// gets a snapshot. The pruner drops them every RetentionAge/4 (at least
	// every second, at most every hour), off the commit path, in chunks of
	// 500 events per transaction. 0, the default, keeps events by count only.
	RetentionAge time.Duration
	// ResponseRetention is the number of answers kept per client for dedup;
	// 32 by default (a client has one mutation in flight at a time).
	ResponseRetention int
	// ClientRetention is how long the dedup record of a client (its
	// principal binding, lastMutationID and kept answers) outlives its last
	// recorded mutation. Older records are pruned once an hour, off the
	// commit path, in transactions of at most 500 clients each; the server
	// then forgets the client's lastMutationID (welcome says 0) and would
	// apply a re-sent old mutation again. 30 days by default.
	ClientRetention time.Duration
	// MaxChanges is the most entities one mutation may change: its own and
	// those its hooks change (cascading deletes). A mutation that would
	// change more is refused whole, with 422 rejected (recorded: sending it
	// again would fail again), after at most MaxChanges writes: it neither
	// holds the writer nor fans out without bound. A transaction of several
	// mutations ends once they changed MaxChanges entities; the rest of the
	// batch commits in the next one. 1000 by default.
	MaxChanges int
	// MaxBatch is the most mutations committed in one transaction (group
	// commit): each still has its own savepoint and outcome. 64 by default.
	MaxBatch int

	// MaxMsg is the largest WebSocket message the server sends, advertised
	// in welcome; 32 KiB by default (the browser client's read limit).
	MaxMsg int
	// HelloTimeout bounds the wait for hello on a new WebSocket: a
	// connection that has not said hello by then is closed with 4003. The
	// smaller of 10 s and HeartbeatTimeout by default.
	HelloTimeout time.Duration
	// HeartbeatInterval is how often the server sends hb; 15 s by default.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout closes a connection with 4000 when nothing was heard
	// from the client for that long, and bounds the wait for hello;
	// 2·HeartbeatInterval + 5 s by default.
	HeartbeatTimeout time.Duration
	// WriteTimeout bounds every WebSocket write; 10 s by default.
	WriteTimeout time.Duration
	// SendQueue is the number of messages queued per connection; 1024 by
	// default. A connection whose queue fills up is closed with 4002 —
	// unless one publish alone brought more events for a subscription than
	// the queue had room for while it was less than half full: then that
	// subscription catches up again by replay instead.
	SendQueue int
	// SubscribeBuffer is the number of events held for one subscription
	// while its snapshot or replay is sent; 4096 by default. Beyond it the
	// held events are dropped and, once the snapshot or replay is sent,
	// the subscription catches up by replay from there (eight times in a
	// row at most, then 4002).
	SubscribeBuffer int
	// SnapshotReads is the most store reads of snapshot or replay pages
	// running at once across all connections: many clients reconnecting
	// together queue here instead of loading the store (and memory) all at
	// once. A connection reads one page (about 256 KiB of entities or
	// events) at a time and keeps at most 8 messages of it queued, however
	// slowly its client reads. 4 by default.
	SnapshotReads int
	// Quotas bound what one caller may make the server do: mutations, new
	// clientIDs, recorded bytes, subscriptions and WebSocket sessions, per
	// client address and per principal (see Quotas for the defaults).
	Quotas Quotas
	// ClientAddr names the client address of a request for the quotas;
	// RemoteAddr by default. Behind a reverse proxy every request comes
	// from the proxy: use ForwardedAddr with the header the proxy sets.
	ClientAddr func(r *http.Request) string

	// AllowedHosts lists the host names (the Host header without its port)
	// the server answers for besides the loopback names, which are always
	// allowed: localhost and the loopback addresses (127.0.0.0/8, ::1). An
	// entry is a name ("app.example.com"), "*.example.com" for any
	// subdomain of a name (not the name itself), an IP address, or "*" for
	// any host (only behind a proxy that checks Host itself). A request for
	// any other host gets 403 before anything else runs, on every route of
	// Handler and of CheckHost: a page of another site that makes its own
	// name resolve to this server's address (DNS rebinding) gets nothing.
	AllowedHosts []string
	// OriginPatterns lists the other origins whose pages may use the API —
	// a static build of the app hosted elsewhere: host patterns of
	// path.Match, or scheme://host patterns; "*" allows every web origin.
	// Such a page's WebSocket handshake is accepted and its REST calls get
	// CORS headers (preflights answered, no cookies). The server's own
	// origin under an allowed host is always allowed; a handshake from any
	// other origin, or from the opaque origin "null", gets 403, and its
	// REST answers carry no CORS headers, so the browser hides them.
	OriginPatterns []string

	// Authenticate runs first on every REST request. It returns the context
	// the request continues with, carrying the caller's identity for the
	// Authorize hooks and its principal (WithPrincipal), to which the server
	// binds the clientIDs it uses; or an error: 401 with the fixed message
	// "unauthorized" (the error itself is logged, never sent), or the
	// status and message of an *Error it returns. Nil allows everyone, as
	// the anonymous principal "": then every caller is trusted with every
	// clientID (see WithPrincipal).
	//
	// Authenticate alone also authenticates WebSocket handshakes: it is
	// called with the upgrade request (which carries the same cookies and
	// headers as a REST request) when a hello arrives, unless
	// AuthenticateWS is set.
	Authenticate func(r *http.Request) (context.Context, error)
	// AuthenticateWS checks a WebSocket hello and returns the session's
	// context, with the same principal Authenticate gives that caller; an
	// error closes with 4001 before any data is sent (the error is logged).
	// It needs Authenticate: AuthenticateWS alone would leave REST open to
	// everyone, so Register refuses such a server and its Handler answers
	// every request 500.
	AuthenticateWS func(r *http.Request, hello wire.Hello) (context.Context, error)
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Bus == nil {
		o.Bus = &LocalBus{}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MutationMemory <= 0 {
		o.MutationMemory = 32 << 20
	}
	o.MutationMemory = max(o.MutationMemory, o.MaxBodyBytes)
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = 30 * time.Second
	}
	if o.ClientRetention <= 0 {
		o.ClientRetention = 30 * 24 * time.Hour
	}
	def(&o.SnapshotReads, 4)
	def(&o.PageSize, 500)
	def(&o.MaxPageSize, 1000)
	if o.PageSize > o.MaxPageSize {
		o.PageSize = o.MaxPageSize
	}
	def(&o.Retention, 10000)
	def(&o.ResponseRetention, 32)
	def(&o.MaxBatch, 64)
	def(&o.MaxChanges, 1000)
	def(&o.MaxMsg, wire.DefaultMaxMsg)
	if o.MaxMsg < wire.MinMaxMsg {
		o.MaxMsg = wire.MinMaxMsg
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 15 * time.Second
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = 2*o.HeartbeatInterval + 5*time.Second
	}
	if o.HelloTimeout <= 0 {
		o.HelloTimeout = min(10*time.Second, o.HeartbeatTimeout)
	}
	o.Quotas = o.Quotas.withDefaults()
	if o.ClientAddr == nil {
		o.ClientAddr = RemoteAddr
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	def(&o.SendQueue, 1024)
	def(&o.SubscribeBuffer, 4096)
	return o
}

// A Server serves the REST API and the WebSocket stream of PROTOCOL.md for
// the entities registered on it. Create it with New, register entities with
// Register before serving, mount Handler, and call Shutdown when done.
type Server struct {
	store Store
	opts  Options
	log   *slog.Logger

	mu       sync.RWMutex
	entities map[string]entityOps // by collection (= topic)
	// referrers holds, by collection, the Refs of other collections to it.
	referrers map[string][]referrer
	epochs    map[string]string // by topic, fixed once the topic is created
	serving   atomic.Bool       // set by Handler; Register fails afterwards

	// configErr is a configuration New refuses to serve with (a
	// half-configured authentication pair): Register returns it and
	// Handler answers every request 500.
	configErr error
	// authenticateWS is Options.AuthenticateWS, or derived from
	// Authenticate.
	authenticateWS func(r *http.Request, hello wire.Hello) (context.Context, error)

	hosts  hostPolicy // AllowedHosts
	quota  *quotas
	bodies *memBudget // MutationMemory

	reads     chan struct{} // SnapshotReads slots
	mut       *mutator
	pruner    *pruner
	hub       *hub
	unsubBus  func()
	closeOnce sync.Once
	closeErr  error
}

// New returns a Server on store. It starts the goroutine that commits
// mutations; Shutdown stops it.
func New(store Store, opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		store:     store,
		opts:      opts,
		log:       opts.Logger,
		entities:  make(map[string]entityOps),
		referrers: make(map[string][]referrer),
		epochs:    make(map[string]string),
		reads:     make(chan struct{}, opts.SnapshotReads),
		hosts:     newHostPolicy(opts.AllowedHosts),
		quota:     newQuotas(opts.Quotas, opts.Clock),
		bodies:    newMemBudget(opts.MutationMemory, max(opts.MutationMemory/4, opts.MaxBodyBytes), opts.Clock),
	}
	s.authenticateWS = opts.AuthenticateWS
	switch {
	case opts.AuthenticateWS != nil && opts.Authenticate == nil:
		s.configErr = errors.New("server: AuthenticateWS is set but Authenticate is not: REST would serve everyone; set Authenticate too")
		s.log.Error("refusing to serve", "err", s.configErr)
	case opts.Authenticate != nil && opts.AuthenticateWS == nil:
		s.authenticateWS = func(r *http.Request, _ wire.Hello) (context.Context, error) {
			if r == nil {
				return nil, ErrUnauthorized
			}
			return opts.Authenticate(r)
		}
	}
	s.hub = newHub(s)
	s.unsubBus = opts.Bus.Subscribe(s.hub.publish)
	s.mut = newMutator(s)
	s.pruner = newPruner(s)
	return s
}

// Shutdown stops the server gracefully: it closes every WebSocket with 1001
// (going away: clients reconnect) and waits for the connections to end —
// for the first half of the time ctx leaves, then it cuts those still open
// (a peer that does not answer the close) and waits for them to end —,
// stops the pruner, then lets queued mutations commit and stops the
// committing goroutine. It returns an error only if that did not all end
// before ctx. Mutations submitted after Shutdown get 503. Stop the
// http.Server first so that in-flight REST requests finish. Shutdown does
// not close the Store; a second call returns the first one's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.unsubBus()
		err1 := s.hub.close(ctx)
		err2 := s.pruner.close(ctx)
		err3 := s.mut.close(ctx)
		s.closeErr = errors.Join(err1, err2, err3)
	})
	return s.closeErr
}

func (s *Server) entity(collection string) (entityOps, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.entities[collection]
	return e, ok
}

// epoch returns the epoch of a topic: its collection's, which its
// partitions share.
func (s *Server) epoch(topic string) string {
	_, coll := wire.SplitTopic(topic)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.epochs[coll]
}

// addEntity registers e, creating its topic log on first start and
// rebuilding its changed indexes. It never holds s.mu across the store
// transaction: a committing mutation may need s.mu (Tx.Delete) while it
// holds the store.
func (s *Server) addEntity(e entityOps) error {
	if s.configErr != nil {
		return s.configErr
	}
	coll := e.collection()
	if !wire.ValidCollection(coll) || coll == "ws" {
		return fmt.Errorf("server: %q is not a valid collection name", coll)
	}
	if s.serving.Load() {
		return fmt.Errorf("server: Register of %q after Handler: register every entity before serving", coll)
	}
	if _, dup := s.entity(coll); dup {
		return fmt.Errorf("server: collection %q registered twice", coll)
	}
	ctx := context.Background()
	var st TopicState
	err := s.store.Update(ctx, func(tx WriteTx) error {
		var err error
		if st, err = tx.CreateTopic(ctx, coll, newEpoch()); err != nil {
			return err
		}
		// A collection is partitioned or synced whole for good: its
		// entities, versions and topics are kept one way or the other.
		first, err := tx.List(ctx, coll, "", 1, true)
		switch {
		case err != nil:
			return err
		case len(first) > 0 && (first[0].Partition == "") != (e.partition() == ""):
			return fmt.Errorf("the stored %s were written %s: a collection cannot change between partitioned and synced whole; use a store of its own",
				coll, map[bool]string{true: "synced whole", false: "partitioned"}[first[0].Partition == ""])
		}
		return e.syncIndexes(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("server: register %q: %w", coll, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.entities[coll]; dup {
		return fmt.Errorf("server: collection %q registered twice", coll)
	}
	s.entities[coll] = e
	s.epochs[coll] = st.Epoch
	return nil
}

// ResetLog gives topic a new epoch and forgets its retained events: the
// operator's recovery step when the log can no longer be trusted to serve
// old cursors (restored from a backup, events lost). Entities and their
// versions stay; every client resynchronises with a snapshot (PROTOCOL.md
// §1, B18). The topic of a partitioned collection resets the topics of all
// its partitions with it, to one new epoch: they share their collection's.
// Run it while no Server uses store: a Server reads epochs when it starts.
func ResetLog(ctx context.Context, store Store, topic string) error {
	epoch := newEpoch()
	err := store.Update(ctx, func(tx WriteTx) error {
		if err := tx.ResetTopic(ctx, topic, epoch); err != nil {
			return err
		}
		for after := ""; ; {
			names, err := tx.Topics(ctx, after, 1000)
			if err != nil {
				return err
			}
			for _, name := range names {
				if key, coll := wire.SplitTopic(name); key != "" && coll == topic {
					if err := tx.ResetTopic(ctx, name, epoch); err != nil {
						return err
					}
				}
			}
			if len(names) < 1000 {
				return nil
			}
			after = names[len(names)-1]
		}
	})
	if err != nil {
		return fmt.Errorf("server: reset log of %q: %w", topic, err)
	}
	return nil
}

// newEpoch returns a random epoch: 16 hex digits.
func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
