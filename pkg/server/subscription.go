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
//
// Who may read a topic can change (Tx.Reauthorize): each event carries the
// topic's access generation at its commit, and a subscription whose topic
// has an AuthorizeTopic hook (checked) sends nothing of a generation newer
// than the one it was last authorized at (authGen) before the hook allowed
// it again. A live subscription that meets a newer generation, in an event
// or a Reauthorize mark, holds its events as a starting one does while the
// session's restarter checks it; a starting one checks before it sends each
// page it read and before it goes live. Refused, it ends: the client gets
// an error message of code revoked, and nothing more of the topic.
type subscription struct {
	sess    *session
	topic   string
	checked bool        // an AuthorizeTopic hook decides who may read the topic
	active  atomic.Bool // false after unsub, re-sub, revocation or close; the writer drops its queued messages

	mu   sync.Mutex
	live bool
	// announced: the client was sent live for this subscription, so a
	// refusal from now on is a revocation, not a refused subscribe.
	announced bool
	// epoch and watermark are those of the snapshot or replay, once known:
	// an event at or below the watermark is already in what the client
	// got, and is dropped even after live (it may be published late, by a
	// shared bus).
	epoch     string
	watermark uint64
	// sent is the seq of the last event queued for the client (or the
	// watermark): where a held subscription resumes.
	sent uint64
	buf  []outMsg
	// overrun: events are being dropped and the subscription must catch
	// up again from restartFrom (set when a live subscription overran).
	overrun     bool
	restartFrom uint64
	// authorized: the hook allowed the subscription once, at access
	// generation authGen; needGen is the newest generation seen since (in
	// events and marks). needGen > authGen asks for a check.
	authorized bool
	authGen    uint64
	needGen    uint64
}

func (sub *subscription) deactivate() {
	sub.mu.Lock()
	sub.active.Store(false)
	sub.buf = nil
	sub.mu.Unlock()
}

// stale reports whether the subscription must be authorized again before it
// sends anything more; called with mu held.
func (sub *subscription) stale() bool {
	return sub.checked && (!sub.authorized || sub.needGen > sub.authGen)
}

// deliverAll queues the events of one publish for the subscription's topic,
// in seq order, with the Reauthorize marks among them; it is called by the
// publisher only and never waits on the connection.
//
// While starting, the events are held; if they would not fit in
// SubscribeBuffer, the subscription overruns and its catch-up starts over
// when done (goLive). Once live, they are queued; if they would not fit in
// the session's queue, then either the session was keeping up (its queue
// was less than half full: the publish itself is too big) and the
// subscription restarts by replay on the session's restarter, or it was not,
// and the session is a slow consumer: closed with 4002. From the first
// event or mark of an access generation newer than the subscription's, a
// live subscription holds the rest and asks the restarter to check it.
func (sub *subscription) deliverAll(evs []*pubEvent, maxMsg int) {
	sess := sub.sess
	sub.mu.Lock()
	if !sub.active.Load() {
		sub.mu.Unlock()
		return
	}
	var now, held []*pubEvent
	hold, check := !sub.live, false
	for _, e := range evs {
		if sub.checked && e.access > sub.needGen {
			sub.needGen = e.access
		}
		if !hold && sub.stale() {
			hold, check = true, true
			sub.live = false
		}
		switch {
		case e.mark || e.seq <= sub.watermark:
		case hold:
			held = append(held, e)
		default:
			now = append(now, e)
		}
	}
	if sub.overrun || len(now)+len(held) == 0 {
		sub.mu.Unlock()
		if check {
			sess.requestRestart(sub)
		}
		return
	}
	if len(now) > 0 {
		if queued := len(sess.out); len(now) > cap(sess.out)-queued {
			if queued >= cap(sess.out)/2 {
				sub.mu.Unlock()
				sess.close(wire.CloseSlowConsumer, "slow consumer")
				return
			}
			sub.live, sub.overrun, sub.restartFrom, sub.buf = false, true, now[0].prev, nil
			sub.mu.Unlock()
			sess.requestRestart(sub)
			return
		}
		sub.sent = now[len(now)-1].seq
	}
	if len(held) > 0 {
		if len(sub.buf)+len(held) > sess.h.s.opts.SubscribeBuffer {
			// A catch-up from what the client has makes up for them.
			sub.overrun, sub.buf, sub.restartFrom = true, nil, sub.sent
		} else {
			for _, e := range held {
				sub.buf = append(sub.buf, outMsg{data: e.dataFor(sess, maxMsg), sub: sub, seq: e.seq, access: e.access})
			}
		}
	}
	sub.mu.Unlock()
	for _, e := range now {
		if !sess.offer(outMsg{data: e.dataFor(sess, maxMsg), sub: sub, seq: e.seq, access: e.access}) {
			return
		}
	}
	if check {
		sess.requestRestart(sub)
	}
}

// setWatermark records the epoch and seq the snapshot or replay covers.
func (sub *subscription) setWatermark(epoch string, seq uint64) {
	sub.mu.Lock()
	sub.epoch, sub.watermark, sub.sent = epoch, seq, seq
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

// goLive queues live (none when a held live subscription resumes after a
// check), then the events held meanwhile that are newer than what the
// client has, and switches the subscription to direct delivery once
// nothing is held. It runs on the goroutine that ran the catch-up (or the
// check) and waits for room in the queue (as the snapshot did) rather than
// fail when the queue is full; the publisher meanwhile keeps holding events
// without waiting. Before it sends anything of an access generation newer
// than the subscription's, it has the hook check it again (authorize); a
// refusal or a failed check is its error. If the held events overran, it
// reports that the catch-up must start over: before live from the
// watermark, after it from the last held event sent.
func (sub *subscription) goLive(live []byte, authorize func(sub *subscription) error) (restart bool, err error) {
	sub.mu.Lock()
	if sub.overrun {
		sub.restartFrom = sub.sent
		sub.mu.Unlock()
		return true, nil
	}
	stale := sub.stale()
	sub.mu.Unlock()
	if stale {
		if err := authorize(sub); err != nil {
			return false, err
		}
	}
	if live != nil {
		if !sub.sess.send(outMsg{data: live, sub: sub}) {
			return false, nil
		}
		sub.mu.Lock()
		sub.announced = true
		sub.mu.Unlock()
	}
	for {
		sub.mu.Lock()
		switch {
		case !sub.active.Load():
			sub.mu.Unlock()
			return false, nil
		case sub.overrun:
			sub.restartFrom = sub.sent
			sub.mu.Unlock()
			return true, nil
		case sub.stale():
			sub.mu.Unlock()
			if err := authorize(sub); err != nil {
				return false, err
			}
			continue
		case len(sub.buf) == 0:
			sub.live = true
			sub.mu.Unlock()
			return false, nil
		}
		held := sub.buf
		sub.buf = nil
		sent, authGen := sub.sent, sub.authGen
		sub.mu.Unlock()
		for i, m := range held {
			if m.seq <= sent {
				continue
			}
			if sub.checked && m.access > authGen {
				// Of a newer generation than the last check: hold it
				// again, with the rest, until the next one allows it.
				sub.mu.Lock()
				sub.buf = append(held[i:len(held):len(held)], sub.buf...)
				sub.needGen = max(sub.needGen, m.access)
				sub.mu.Unlock()
				break
			}
			if !sub.sess.send(m) {
				return false, nil
			}
			sent = m.seq
			sub.mu.Lock()
			sub.sent = sent
			sub.mu.Unlock()
		}
	}
}

// allowed records that the hook allowed the subscription when the topic's
// access generation was gen (or newer).
func (sub *subscription) allowed(gen uint64) {
	sub.mu.Lock()
	sub.authorized = true
	sub.authGen = max(sub.authGen, gen)
	sub.mu.Unlock()
}

// seen raises the newest access generation the subscription knows of, from
// what a catch-up read.
func (sub *subscription) seen(gen uint64) {
	if !sub.checked {
		return
	}
	sub.mu.Lock()
	sub.needGen = max(sub.needGen, gen)
	sub.mu.Unlock()
}

// isStale is stale for callers without mu.
func (sub *subscription) isStale() bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.stale()
}
