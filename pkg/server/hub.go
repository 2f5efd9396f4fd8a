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
// no subscription (welcome, hb, error); seq orders events.
type outMsg struct {
	data []byte
	sub  *subscription
	seq  uint64
}

// A subscription is one session's interest in one topic. Until it is live,
// events are held in buf so that they follow the snapshot or replay.
type subscription struct {
	sess   *session
	topic  string
	active atomic.Bool // false after unsub, re-sub or close; the writer drops its queued messages

	mu   sync.Mutex
	live bool
	buf  []outMsg
}

func (sub *subscription) deactivate() {
	sub.mu.Lock()
	sub.active.Store(false)
	sub.buf = nil
	sub.mu.Unlock()
}

// deliver queues one event; it is called by the publisher only.
func (sub *subscription) deliver(m outMsg) {
	sub.mu.Lock()
	if !sub.active.Load() {
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

// goLive sends live at the watermark, then the events held while starting
// that are newer than the watermark, and switches the subscription to
// direct delivery.
func (sub *subscription) goLive(watermark uint64, live []byte) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.active.Load() || !sub.sess.offer(outMsg{data: live, sub: sub}) {
		return
	}
	for _, m := range sub.buf {
		if m.seq > watermark && !sub.sess.offer(m) {
			return
		}
	}
	sub.buf = nil
	sub.live = true
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

// publish fans committed events out; it is the Bus subscriber.
func (h *hub) publish(events []wire.Event) {
	maxMsg := h.s.opts.MaxMsg
	for _, ev := range events {
		data, err := encodeEvent(ev, maxMsg)
		if err != nil {
			// A bug, not input: subscribers will see a gap and resync.
			h.s.log.Error("event does not encode; subscribers will resync", "topic", ev.Topic, "seq", ev.Seq, "err", err)
			continue
		}
		h.mu.RLock()
		for sub := range h.topics[ev.Topic] {
			sub.deliver(outMsg{data: data, sub: sub, seq: ev.Seq})
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
func (h *hub) serve(conn wsConn, r *http.Request) {
	sess := newSession(h, conn, r)
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
