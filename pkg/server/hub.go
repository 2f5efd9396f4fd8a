package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemkit/tandem/pkg/wire"
)

// The hub routes committed events to the subscriptions of every WebSocket
// session. Publishing never blocks on a connection: each session has a
// bounded queue, and a session that cannot keep up is closed with 4002.
type hub struct {
	s *Server

	mu       sync.RWMutex
	topics   map[string]map[*subscription]struct{}
	sessions map[*session]struct{}
	closed   bool
	wg       sync.WaitGroup // one per running session

	// handed counts the subscriptions publish has handed events to, for
	// the tests that measure what a write costs the hub
	// (bench_partition_test.go).
	handed atomic.Uint64
}

func newHub(s *Server) *hub {
	return &hub{s: s, topics: make(map[string]map[*subscription]struct{}), sessions: make(map[*session]struct{})}
}

// An outMsg is one queued message. sub is nil for messages that belong to
// no subscription (welcome, hb, error); seq orders events; slot marks a
// catch-up message holding one of the session's catch-up slots, which the
// writer gives back once the message is written or dropped.
type outMsg struct {
	data   []byte
	sub    *subscription
	seq    uint64
	access uint64 // an event's access generation
	slot   bool
}

func (h *hub) register(sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.topics[sub.topic]
	if set == nil {
		set = make(map[*subscription]struct{})
		h.topics[sub.topic] = set
	}
	set[sub] = struct{}{}
}

func (h *hub) unregister(sub *subscription) {
	sub.deactivate()
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.topics[sub.topic]; set != nil {
		delete(set, sub)
		if len(set) == 0 {
			delete(h.topics, sub.topic)
		}
	}
}

// publish fans committed events out; it is the Bus subscriber. It costs
// the subscribers of the events' topics, never the other connections or
// topics: a partition's write reaches that partition's subscribers only.
// Reauthorize marks go along with the events of their topic, in order
// (see subscription.deliverAll). An event's
// origin goes only to the sessions of the client that made the mutation
// (hello clientID = origin.clientID, and the session's principal is the one
// the clientID is bound to); every other subscriber gets the event without
// origin, so clientIDs and mutationIDs do not leak to other clients.
//
// Each event is encoded once (once more with its origin). A subscription
// gets the events of its topic in this publish together, so that a burst
// (a big cascade) is told apart from a slow consumer (see deliverAll).
func (h *hub) publish(events []BusEvent) {
	maxMsg := h.s.opts.MaxMsg
	var order []string // topics in order of first appearance
	groups := make(map[string][]*pubEvent)
	for _, bev := range events {
		if bev.Reauthorize {
			if _, seen := groups[bev.Topic]; !seen {
				order = append(order, bev.Topic)
			}
			groups[bev.Topic] = append(groups[bev.Topic], &pubEvent{mark: true, access: bev.Access})
			continue
		}
		ev := bev.Event
		origin := ev.Origin
		ev.Origin = nil
		data, err := encodeEvent(ev, maxMsg)
		if err != nil {
			// A bug, not input: subscribers will see a gap and resync.
			h.s.log.Error("event does not encode; subscribers will resync", "topic", ev.Topic, "seq", ev.Seq, "err", err)
			continue
		}
		pe := &pubEvent{seq: ev.Seq, prev: ev.Prev, data: data, access: bev.Access}
		if origin != nil {
			ev.Origin = origin
			pe.withOrigin, pe.principal = ev, bev.Principal
		}
		if _, seen := groups[ev.Topic]; !seen {
			order = append(order, ev.Topic)
		}
		groups[ev.Topic] = append(groups[ev.Topic], pe)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	var handed uint64
	for _, topic := range order {
		for sub := range h.topics[topic] {
			sub.deliverAll(groups[topic], maxMsg)
			handed++
		}
	}
	h.handed.Add(handed)
}

// A pubEvent is one event of a publish, encoded for its subscribers.
type pubEvent struct {
	seq, prev uint64
	access    uint64 // the topic's access generation at the commit
	mark      bool   // a Reauthorize mark: no event, only access
	data      []byte // without origin
	// withOrigin is the event with its origin, for the sessions of
	// origin.clientID under principal; own is its encoding, made for the
	// first of them (the publisher's goroutine only).
	withOrigin wire.Event
	principal  string
	own        []byte
}

// dataFor returns the encoding of e that sess gets.
func (e *pubEvent) dataFor(sess *session, maxMsg int) []byte {
	o := e.withOrigin.Origin
	if o == nil || sess.clientID != o.ClientID || sess.principal != e.principal {
		return e.data
	}
	if e.own == nil {
		var err error
		if e.own, err = encodeEvent(e.withOrigin, maxMsg); err != nil {
			e.own = e.data
		}
	}
	return e.own
}

// encodeEvent encodes an event, as op invalidate without data when the full
// event would exceed maxMsg.
func encodeEvent(ev wire.Event, maxMsg int) ([]byte, error) {
	b, err := wire.EncodeServerMessage(ev)
	if err != nil {
		return nil, err
	}
	if len(b) > maxMsg && ev.Data != nil {
		ev.Op, ev.Data = wire.OpInvalidate, nil
		return wire.EncodeServerMessage(ev)
	}
	return b, nil
}

// serve runs one session to its end.
func (h *hub) serve(conn wsConn, r *http.Request) { h.serveWith(conn, r, nil) }

// serveWith runs one session to its end; helloDone, if not nil, is called
// once hello has arrived or the wait for it has ended.
func (h *hub) serveWith(conn wsConn, r *http.Request, helloDone func()) {
	sess := newSession(h, conn, r)
	sess.helloDone = helloDone
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		_ = conn.Close(wire.CloseGoingAway, "server shutting down")
		return
	}
	h.sessions[sess] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.sessions, sess)
		h.mu.Unlock()
		h.wg.Done()
	}()
	sess.run()
}

// close ends every session with 1001 and waits for them: gracefully during
// the first half of the time ctx leaves (all of it if ctx has no deadline),
// then it aborts the sessions still open — a peer that does not read its
// close frame, a client still sending a snapshot's worth of heartbeats —
// and waits for them until ctx is done. An aborted session ends at once: its
// reads and writes fail and its catch-up stops.
func (h *hub) close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	for sess := range h.sessions {
		sess.close(wire.CloseGoingAway, "server shutting down")
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	grace := ctx
	// ctx's deadline is wall-clock time (the context package's), so half of
	// what it leaves is measured against the wall clock too, not the Clock.
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		grace, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/2))
		defer cancel()
	}
	select {
	case <-done:
		return nil
	case <-grace.Done():
	}
	h.mu.Lock()
	open := make([]*session, 0, len(h.sessions))
	for sess := range h.sessions {
		open = append(open, sess)
	}
	h.mu.Unlock()
	for _, sess := range open {
		sess.abort()
		go sess.conn.Abort() // abort is a no-op after close: cut the connection under the close handshake
	}
	h.s.log.Warn("aborted WebSocket sessions that did not close in time", "sessions", len(open))
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server: waiting for WebSocket sessions to end: %w", ctx.Err())
	}
}
