package server

import (
	"sync"
	"sync/atomic"

	"github.com/tandemkit/tandem/pkg/wire"
)

// maxRestarts is how many times in a row a starting subscription may find
// its held events overrun (more than SubscribeBuffer arrived while it caught
// up) and start over by replay; one more, and the session closes with 4002:
// its client cannot keep up with the topic.
const maxRestarts = 8

// A subscription is one session's interest in one topic. Until it is live,
// events are held in buf so that they follow the snapshot or replay.
//
// An overrun stops the holding: the events of one publish that would not
// fit (in buf while starting, in the session's queue once live) are dropped
// instead, with every later one, and the subscription catches up again by
// replay from the last event its client has (restartFrom) — read from the
// store page by page, as fast as the client takes it. A publish of a big
// cascade thus costs its subscribers a replay, not their connection.
type subscription struct {
	sess   *session
	topic  string
	active atomic.Bool // false after unsub, re-sub or close; the writer drops its queued messages

	mu   sync.Mutex
	live bool
	// epoch and watermark are those of the snapshot or replay, once known:
	// an event at or below the watermark is already in what the client
	// got, and is dropped even after live (it may be published late, by a
	// shared bus).
	epoch     string
	watermark uint64
	buf       []outMsg
	// overrun: events are being dropped and the subscription must catch
	// up again from restartFrom (set when a live subscription overran).
	overrun     bool
	restartFrom uint64
}

func (sub *subscription) deactivate() {
	sub.mu.Lock()
	sub.active.Store(false)
	sub.buf = nil
	sub.mu.Unlock()
}

// deliverAll queues the events of one publish for the subscription's topic,
// in seq order; it is called by the publisher only and never waits on the
// connection.
//
// While starting, the events are held; if they would not fit in
// SubscribeBuffer, the subscription overruns and its catch-up starts over
// when done (goLive). Once live, they are queued; if they would not fit in
// the session's queue, then either the session was keeping up (its queue
// was less than half full: the publish itself is too big) and the
// subscription restarts by replay on the session's restarter, or it was not,
// and the session is a slow consumer: closed with 4002.
func (sub *subscription) deliverAll(evs []*pubEvent, maxMsg int) {
	sess := sub.sess
	sub.mu.Lock()
	for len(evs) > 0 && evs[0].seq <= sub.watermark {
		evs = evs[1:]
	}
	if !sub.active.Load() || sub.overrun || len(evs) == 0 {
		sub.mu.Unlock()
		return
	}
	if !sub.live {
		if len(sub.buf)+len(evs) > sess.h.s.opts.SubscribeBuffer {
			sub.overrun, sub.buf = true, nil
			sub.mu.Unlock()
			return
		}
		for _, e := range evs {
			sub.buf = append(sub.buf, outMsg{data: e.dataFor(sess, maxMsg), sub: sub, seq: e.seq})
		}
		sub.mu.Unlock()
		return
	}
	if queued := len(sess.out); len(evs) > cap(sess.out)-queued {
		if queued >= cap(sess.out)/2 {
			sub.mu.Unlock()
			sess.close(wire.CloseSlowConsumer, "slow consumer")
			return
		}
		sub.live, sub.overrun, sub.restartFrom = false, true, evs[0].prev
		sub.mu.Unlock()
		sess.requestRestart(sub)
		return
	}
	sub.mu.Unlock()
	for _, e := range evs {
		if !sess.offer(outMsg{data: e.dataFor(sess, maxMsg), sub: sub, seq: e.seq}) {
			return
		}
	}
}

// setWatermark records the epoch and seq the snapshot or replay covers.
func (sub *subscription) setWatermark(epoch string, seq uint64) {
	sub.mu.Lock()
	sub.epoch, sub.watermark = epoch, seq
	sub.mu.Unlock()
}

// restart readies an overrun subscription for its next catch-up and
// returns the cursor it starts from: held events are forgotten, new ones
// are held again (from before the catch-up reads the topic's head, so none
// is lost), and those at or below the next watermark will be dropped.
func (sub *subscription) restart() wire.Cursor {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.live, sub.overrun, sub.buf = false, false, nil
	return wire.Cursor{Epoch: sub.epoch, Seq: sub.restartFrom}
}

// goLive queues live, then the events held while starting that are newer
// than the watermark, and switches the subscription to direct delivery once
// nothing is held. It runs on the goroutine that ran the catch-up and waits
// for room in the queue (as the snapshot did) rather than fail when the
// queue is full; the publisher meanwhile keeps holding events without
// waiting. If the held events overran, it reports that the catch-up must
// start over: before live from the watermark, after it from the last held
// event sent.
func (sub *subscription) goLive(live []byte) (restart bool) {
	sub.mu.Lock()
	if sub.overrun {
		sub.restartFrom = sub.watermark
		sub.mu.Unlock()
		return true
	}
	sent := sub.watermark
	sub.mu.Unlock()
	if !sub.sess.send(outMsg{data: live, sub: sub}) {
		return false
	}
	for {
		sub.mu.Lock()
		switch {
		case !sub.active.Load():
			sub.mu.Unlock()
			return false
		case sub.overrun:
			sub.restartFrom = sent
			sub.mu.Unlock()
			return true
		case len(sub.buf) == 0:
			sub.live = true
			sub.mu.Unlock()
			return false
		}
		held := sub.buf
		sub.buf = nil
		sub.mu.Unlock()
		for _, m := range held {
			if m.seq <= sent {
				continue
			}
			if !sub.sess.send(m) {
				return false
			}
			sent = m.seq
		}
	}
}
