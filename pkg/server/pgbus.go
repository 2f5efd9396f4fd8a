package server

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tandemkit/tandem/pkg/wire"
)

// PostgresBusOptions configures NewPostgresBus; the zero value gives the
// defaults.
type PostgresBusOptions struct {
	// Clock arms the bus's timers; SystemClock by default.
	Clock Clock
	// Logger receives the listener's reconnects and the bus's failures;
	// slog.Default() by default.
	Logger *slog.Logger
	// PollInterval is how often the bus reads every topic's head even
	// without a notification, the safety net under NOTIFY; 2 s by default.
	PollInterval time.Duration
	// ReconnectWait is the first pause before the listener connects again
	// after losing its connection; it doubles on each failed attempt up to
	// ReconnectMax. 100 ms and 5 s by default.
	ReconnectWait time.Duration
	ReconnectMax  time.Duration
}

func (o PostgresBusOptions) withDefaults() PostgresBusOptions {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = 100 * time.Millisecond
	}
	if o.ReconnectMax <= 0 {
		o.ReconnectMax = 5 * time.Second
	}
	o.ReconnectMax = max(o.ReconnectMax, o.ReconnectWait)
	return o
}

// tailPage is the most events the bus reads from the outbox at once.
const tailPage = 256

// PostgresBus is the Bus of the server instances sharing one PostgreSQL
// database (one Postgres store each): it hands every instance's hub the
// events committed by any instance, each topic's in seq order, each event
// once. The outbox is the log; NOTIFY only wakes the instances up.
//
// Each instance keeps, per topic, the seq of the last event it delivered.
// Its own commits arrive through Publish and are delivered at once when
// they follow that seq (one instance alone never reads its outbox back).
// Everything else is read from the outbox, from that seq on, by the bus's
// tailer goroutine, when a notification names a topic whose head moved
// ahead, when Publish finds that another instance committed in between,
// after the listener (re)connects, and every PollInterval: so a lost
// notification (a listener that reconnected, a PostgreSQL restart) delays
// events by PollInterval at most and never loses one.
//
// The tailer delivers only a contiguous run after the last delivered seq:
// should it read seq 42 while 41 is not there, it delivers nothing and
// reads again later (Postgres.Update makes that impossible: 42 cannot
// commit before 41 is visible; this guards any other writer). Only when
// the outbox no longer holds 41 (retention dropped it: the instance fell
// further behind than Retention) does it go on from 42: its subscribers
// see the gap by prev and resynchronise (B31).
//
// The events of the outbox carry their origin, and the principal its
// clientID is bound to (read from the dedup record), as the hub needs them.
type PostgresBus struct {
	pg   *Postgres
	opts PostgresBusOptions
	log  *slog.Logger

	// mu is held while delivering, so that subscribers get each topic's
	// events in seq order, never concurrently; it guards subs and topics.
	mu     sync.Mutex
	subs   map[int]func([]BusEvent)
	nextID int
	topics map[string]*busTopic

	// hintMu guards the work the tailer is asked to do.
	hintMu sync.Mutex
	dirty  map[string]bool // topics to read from the outbox
	all    bool            // read every topic's head first
	wake   chan struct{}

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	pollMu  sync.Mutex
	stopped bool
	poll    func() bool
	// listening is closed once the listener has LISTENed the first time.
	listening chan struct{}
}

// busTopic is what the bus knows of one topic; guarded by PostgresBus.mu.
type busTopic struct {
	last   uint64 // the seq of the last event delivered
	access uint64 // the access generation last delivered (in events or marks)
}

// NewPostgresBus returns the Bus of pg's database and starts its listener
// and tailer goroutines; Close stops them. It reads every topic's head
// first: events committed before it was created are not delivered (a
// subscription catches up from the store), every later one is. Create it
// before the Server that uses it, and close it after that Server's
// Shutdown, before pg's Close.
func NewPostgresBus(ctx context.Context, pg *Postgres, opts PostgresBusOptions) (*PostgresBus, error) {
	opts = opts.withDefaults()
	b := &PostgresBus{
		pg: pg, opts: opts, log: opts.Logger,
		subs:      make(map[int]func([]BusEvent)),
		topics:    make(map[string]*busTopic),
		dirty:     make(map[string]bool),
		wake:      make(chan struct{}, 1),
		listening: make(chan struct{}),
	}
	heads, err := pg.heads(ctx)
	if err != nil {
		return nil, err
	}
	for topic, h := range heads {
		b.topics[topic] = &busTopic{last: h.Seq, access: h.Access}
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(2)
	go b.listen()
	go b.tail()
	b.pollMu.Lock()
	b.poll = opts.Clock.AfterFunc(opts.PollInterval, b.tick)
	b.pollMu.Unlock()
	return b, nil
}

// Close stops the bus and waits for its goroutines. Publish delivers
// nothing afterwards. A second call does nothing.
func (b *PostgresBus) Close() error {
	b.pollMu.Lock()
	if b.stopped {
		b.pollMu.Unlock()
		return nil
	}
	b.stopped = true
	b.poll()
	b.pollMu.Unlock()
	b.cancel()
	b.wg.Wait()
	return nil
}

// Subscribe implements Bus.
func (b *PostgresBus) Subscribe(fn func([]BusEvent)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.nextID
	b.nextID++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}

// Publish implements Bus: events were just committed by this instance.
// Those of a topic whose last delivered seq they follow are delivered at
// once; for any other topic another instance committed in between, and the
// tailer reads the topic from the outbox instead.
func (b *PostgresBus) Publish(events []BusEvent) {
	if b.ctx.Err() != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]BusEvent, 0, len(events))
	var behind []string
	for _, ev := range events {
		t := b.topic(ev.Topic)
		if ev.Reauthorize {
			// A mark only hastens the checks (events carry their
			// generation): it goes at once, whatever the topic's seq.
			if ev.Access > t.access {
				t.access = ev.Access
				out = append(out, ev)
			}
			continue
		}
		switch {
		case ev.Seq <= t.last: // read from the outbox already
		case ev.Seq == t.last+1 && !slices.Contains(behind, ev.Topic):
			out = append(out, ev)
			t.last, t.access = ev.Seq, max(t.access, ev.Access)
		case !slices.Contains(behind, ev.Topic):
			behind = append(behind, ev.Topic)
		}
	}
	b.deliver(out)
	if len(behind) > 0 {
		b.hint(behind...)
	}
}

// topic returns the state of a topic, adding it at seq 0: a topic unknown
// when the bus started was created afterwards, so all its events are new.
// Called with mu held.
func (b *PostgresBus) topic(name string) *busTopic {
	t := b.topics[name]
	if t == nil {
		t = &busTopic{}
		b.topics[name] = t
	}
	return t
}

// deliver hands events to every subscriber; called with mu held.
func (b *PostgresBus) deliver(events []BusEvent) {
	if len(events) == 0 {
		return
	}
	for _, fn := range b.subs {
		fn(events)
	}
}

// hint asks the tailer to read topics from the outbox.
func (b *PostgresBus) hint(topics ...string) {
	b.hintMu.Lock()
	for _, t := range topics {
		b.dirty[t] = true
	}
	b.hintMu.Unlock()
	b.nudge()
}

// hintAll asks the tailer to read every topic's head, then the topics
// that moved.
func (b *PostgresBus) hintAll() {
	b.hintMu.Lock()
	b.all = true
	b.hintMu.Unlock()
	b.nudge()
}

func (b *PostgresBus) nudge() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// tick is the poll: read every head, then arm the next one.
func (b *PostgresBus) tick() {
	b.hintAll()
	b.pollMu.Lock()
	defer b.pollMu.Unlock()
	if !b.stopped {
		b.poll = b.opts.Clock.AfterFunc(b.opts.PollInterval, b.tick)
	}
}

// listen is the listener goroutine: it holds a connection of its own that
// LISTENs on the schema's channel and turns each notification into a hint.
// After every (re)connect it asks for every head to be read, which heals
// whatever was committed while it was not listening.
func (b *PostgresBus) listen() {
	defer b.wg.Done()
	wait := b.opts.ReconnectWait
	first := true
	for b.ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(b.ctx, b.pg.conn.Copy())
		if err == nil {
			if _, err = conn.Exec(b.ctx, "LISTEN "+pgx.Identifier{b.pg.channel}.Sanitize()); err != nil {
				closeConn(conn)
			}
		}
		if err != nil {
			if b.ctx.Err() != nil {
				return
			}
			b.log.Warn("postgres bus: cannot listen; retrying", "in", wait, "err", err)
			if !b.sleep(wait) {
				return
			}
			wait = min(2*wait, b.opts.ReconnectMax)
			continue
		}
		if !first {
			b.log.Info("postgres bus: listening again")
		}
		wait = b.opts.ReconnectWait
		b.hintAll()
		if first {
			close(b.listening)
			first = false
		}
		for {
			n, err := conn.WaitForNotification(b.ctx)
			if err != nil {
				if b.ctx.Err() == nil {
					b.log.Warn("postgres bus: lost the listening connection; reconnecting", "err", err)
				}
				break
			}
			if topic, _, ok := parseNote(n.Payload); ok {
				b.hint(topic)
			}
		}
		closeConn(conn)
	}
}

func closeConn(conn *pgx.Conn) {
	// A connection to a server that went away may not answer Terminate.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// sleep waits d on the Clock; false if the bus closed meanwhile.
func (b *PostgresBus) sleep(d time.Duration) bool {
	done := make(chan struct{})
	stop := b.opts.Clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return true
	case <-b.ctx.Done():
		stop()
		return false
	}
}

// tail is the tailer goroutine: it does the work hints ask for.
func (b *PostgresBus) tail() {
	defer b.wg.Done()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-b.wake:
		}
		b.hintMu.Lock()
		all, dirty := b.all, b.dirty
		b.all, b.dirty = false, make(map[string]bool)
		b.hintMu.Unlock()
		if err := b.catchUp(all, dirty); err != nil && b.ctx.Err() == nil {
			// The next poll (or notification) tries again.
			b.log.Warn("postgres bus: reading the outbox failed; retrying at the next poll", "err", err)
		}
	}
}

// catchUp reads the heads if all, then every topic of dirty and every topic
// whose head is past its last delivered seq, from the outbox.
func (b *PostgresBus) catchUp(all bool, dirty map[string]bool) error {
	if all {
		heads, err := b.pg.heads(b.ctx)
		if err != nil {
			b.hintMu.Lock()
			b.all = true
			b.hintMu.Unlock()
			return err
		}
		b.mu.Lock()
		for topic, h := range heads {
			if t := b.topic(topic); h.Seq > t.last || h.Access > t.access {
				dirty[topic] = true
			}
		}
		b.mu.Unlock()
	}
	for _, topic := range slices.Sorted(maps.Keys(dirty)) {
		if err := b.readTopic(topic); err != nil {
			b.hint(topic)
			return err
		}
	}
	return nil
}

// readTopic delivers a topic's events after its last delivered seq, page by
// page, until the outbox has no more or holds a hole.
func (b *PostgresBus) readTopic(topic string) error {
	for b.ctx.Err() == nil {
		b.mu.Lock()
		after := b.topic(topic).last
		b.mu.Unlock()
		var (
			st         TopicState
			found      bool
			evs        []EventRecord
			principals = map[string]string{}
		)
		err := b.pg.View(b.ctx, func(rt ReadTx) error {
			var err error
			if st, found, err = rt.Topic(b.ctx, topic); err != nil || !found || st.Seq <= after {
				return err
			}
			if evs, err = rt.Events(b.ctx, topic, after, tailPage); err != nil {
				return err
			}
			for _, ev := range evs {
				if _, seen := principals[ev.ClientID]; seen || ev.ClientID == "" {
					continue
				}
				c, bound, err := rt.Client(b.ctx, ev.ClientID)
				if err != nil {
					return err
				}
				if bound {
					principals[ev.ClientID] = c.Principal
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !found || st.Seq <= after || len(evs) == 0 {
			b.deliverAccess(topic, st.Access)
			return nil
		}
		if !b.deliverRead(topic, st, evs, principals) || len(evs) < tailPage {
			b.deliverAccess(topic, st.Access)
			return nil
		}
	}
	return b.ctx.Err()
}

// deliverAccess delivers a Reauthorize mark when a topic's access
// generation (read with its head) moved past what the bus delivered: who
// may read it changed on another instance, which may commit no event of it.
func (b *PostgresBus) deliverAccess(topic string, access uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t := b.topic(topic); access > t.access {
		t.access = access
		b.deliver([]BusEvent{{Event: wire.Event{Topic: topic}, Access: access, Reauthorize: true}})
	}
}

// deliverRead delivers the contiguous run of evs (read from the outbox,
// with the topic's state st of the same read) after the topic's last
// delivered seq, and reports whether it delivered any.
func (b *PostgresBus) deliverRead(topic string, st TopicState, evs []EventRecord, principals map[string]string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topic(topic)
	for len(evs) > 0 && evs[0].Seq <= t.last {
		evs = evs[1:] // Publish delivered them meanwhile
	}
	if len(evs) == 0 {
		return false
	}
	if evs[0].Seq != t.last+1 {
		if st.MinSeq <= t.last+1 {
			// t.last+1 is not visible yet, though a later seq is: deliver
			// nothing, so that it is not skipped; read again later.
			return false
		}
		b.log.Warn("postgres bus: the outbox's retention dropped events before this instance read them; its subscribers resync",
			"topic", topic, "from", t.last+1, "to", evs[0].Seq-1)
	}
	out := make([]BusEvent, 0, len(evs))
	for i, ev := range evs {
		if i > 0 && ev.Seq != evs[i-1].Seq+1 {
			break
		}
		principal, bound := principals[ev.ClientID]
		if ev.ClientID != "" && !bound {
			// The dedup record is gone (expired): without its principal
			// the origin could reach a session of another principal.
			ev.ClientID, ev.MutationID = "", 0
		}
		out = append(out, BusEvent{Event: toWireEvent(ev, st.Epoch, true), Principal: principal, Access: ev.Access})
		t.access = max(t.access, ev.Access)
	}
	t.last = out[len(out)-1].Seq
	b.deliver(out)
	return true
}

// A topicHead is the epoch, seq and access generation of one topic.
type topicHead struct {
	Epoch  string
	Seq    uint64
	Access uint64
}

// heads reads every topic's epoch, seq and access generation.
func (p *Postgres) heads(ctx context.Context) (map[string]topicHead, error) {
	if p.closed.Load() {
		return nil, ErrStoreClosed
	}
	rows, err := p.pool.Query(ctx, `SELECT topic, epoch, seq, access FROM tandem_topics`)
	if err != nil {
		return nil, p.wrapErr("heads", err)
	}
	defer rows.Close()
	out := make(map[string]topicHead)
	for rows.Next() {
		var topic string
		var h topicHead
		var seq, access int64
		if err := rows.Scan(&topic, &h.Epoch, &seq, &access); err != nil {
			return nil, p.wrapErr("heads", err)
		}
		h.Seq, h.Access = uint64(seq), uint64(access)
		out[topic] = h
	}
	if err := rows.Err(); err != nil {
		return nil, p.wrapErr("heads", err)
	}
	return out, nil
}

// errBusClosed is returned by waits on a closed bus.
var errBusClosed = errors.New("server: postgres bus closed")

// waitListening waits until the listener has LISTENed once (tests).
func (b *PostgresBus) waitListening(ctx context.Context) error {
	select {
	case <-b.listening:
		return nil
	case <-b.ctx.Done():
		return errBusClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}
