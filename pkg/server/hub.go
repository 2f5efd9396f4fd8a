package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

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
}

func newHub(s *Server) *hub {
	return &hub{s: s, topics: make(map[string]map[*subscription]struct{}), sessions: make(map[*session]struct{})}
}

// An outMsg is one queued message. sub is nil for messages that belong to
// no subscription (welcome, hb, error); seq orders events; slot marks a
// catch-up message holding one of the session's catch-up slots, which the
// writer gives back once the message is written or dropped.
type outMsg struct {
	data []byte
	sub  *subscription
	seq  uint64
	slot bool
}

// A subscription is one session's interest in one topic. Until it is live,
// events are held in buf so that they follow the snapshot or replay.
type subscription struct {
	sess   *session
	topic  string
	active atomic.Bool // false after unsub, re-sub or close; the writer drops its queued messages

	mu   sync.Mutex
	live bool
	// watermark is the seq the snapshot or replay covers, once known: an
	// event at or below it is already in what the client got, and is
	// dropped even after live (it may be published late, by a shared bus).
	watermark uint64
	buf       []outMsg
}

func (sub *subscription) deactivate() {
	sub.mu.Lock()
	sub.active.Store(false)
	sub.buf = nil
	sub.mu.Unlock()
}

// deliver queues one event; it is called by the publisher only and never
// waits on the connection.
func (sub *subscription) deliver(m outMsg) {
	sub.mu.Lock()
	if !sub.active.Load() || m.seq <= sub.watermark {
		sub.mu.Unlock()
		return
	}
	if !sub.live {
		if len(sub.buf) >= sub.sess.h.s.opts.SubscribeBuffer {
			sub.mu.Unlock()
			sub.sess.close(wire.CloseSlowConsumer, "slow consumer")
			return
		}
		sub.buf = append(sub.buf, m)
		sub.mu.Unlock()
		return
	}
	sub.mu.Unlock()
	sub.sess.offer(m)
}

// setWatermark records the seq the snapshot or replay covers.
func (sub *subscription) setWatermark(seq uint64) {
	sub.mu.Lock()
	sub.watermark = seq
	sub.mu.Unlock()
}

// goLive queues live, then the events held while starting that are newer
// than the watermark, and switches the subscription to direct delivery once
// nothing is held. It runs on the session's reader goroutine and waits for
// room in the queue (as the snapshot did) rather than fail when the queue is
// full; the publisher meanwhile keeps holding events without waiting.
func (sub *subscription) goLive(live []byte) {
	if !sub.sess.send(outMsg{data: live, sub: sub}) {
		return
	}
	for {
		sub.mu.Lock()
		if !sub.active.Load() {
			sub.mu.Unlock()
			return
		}
		if len(sub.buf) == 0 {
			sub.live = true
			sub.mu.Unlock()
			return
		}
		held, watermark := sub.buf, sub.watermark
		sub.buf = nil
		sub.mu.Unlock()
		for _, m := range held {
			if m.seq > watermark && !sub.sess.send(m) {
				return
			}
		}
	}
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

// publish fans committed events out; it is the Bus subscriber. An event's
// origin goes only to the sessions of the client that made the mutation
// (hello clientID = origin.clientID, and the session's principal is the one
// the clientID is bound to); every other subscriber gets the event without
// origin, so clientIDs and mutationIDs do not leak to other clients.
func (h *hub) publish(events []BusEvent) {
	maxMsg := h.s.opts.MaxMsg
	for _, bev := range events {
		ev := bev.Event
		origin := ev.Origin
		ev.Origin = nil
		data, err := encodeEvent(ev, maxMsg)
		if err != nil {
			// A bug, not input: subscribers will see a gap and resync.
			h.s.log.Error("event does not encode; subscribers will resync", "topic", ev.Topic, "seq", ev.Seq, "err", err)
			continue
		}
		var own []byte // with origin, encoded for the first matching session
		h.mu.RLock()
		for sub := range h.topics[ev.Topic] {
			d := data
			if origin != nil && sub.sess.clientID == origin.ClientID && sub.sess.principal == bev.Principal {
				if own == nil {
					ev.Origin = origin
					if own, err = encodeEvent(ev, maxMsg); err != nil {
						own = data
					}
				}
				d = own
			}
			sub.deliver(outMsg{data: d, sub: sub, seq: ev.Seq})
		}
		h.mu.RUnlock()
	}
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

// close ends every session with 1001 and waits for them.
func (h *hub) close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	for sess := range h.sessions {
		sess.close(wire.CloseGoingAway, "server shutting down")
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server: waiting for WebSocket sessions to end: %w", ctx.Err())
	}
}
