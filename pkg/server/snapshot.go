package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/tandemkit/tandem/pkg/wire"
)

const (
	// A starting subscription reads entities or events from the store a
	// page at a time, one View each: the first page holds catchUpFirstPage
	// rows, the next ones about catchUpPageBytes of data judging by the
	// rows so far, between catchUpMinPage and catchUpMaxPage rows.
	catchUpFirstPage = 16
	catchUpMinPage   = 4
	catchUpMaxPage   = 256
	catchUpPageBytes = 256 << 10
	// catchUpWindow is the most catch-up messages (snapshot parts, replayed
	// events) one connection has queued at once: the next page is read only
	// as the client takes them, so a client that does not read pins little.
	catchUpWindow = 8
)

// errOvertaken ends a replay whose next events the log dropped while it was
// being sent (retention ran ahead of a slow client): the session closes with
// 4002 and the client resumes, from a snapshot if need be.
var errOvertaken = errors.New("server: the log's retention overtook the replay")

// errOverrun ends a subscription whose catch-up overran maxRestarts times
// in a row: the session closes with 4002.
var errOverrun = errors.New("server: the topic outpaces the client")

// catchUp sends what a starting subscription needs after its registration:
// nothing (already current), a replay of the retained events after since,
// or a snapshot; then live at the watermark and the events held meanwhile.
// If the events held meanwhile overran, it starts over from where the
// client is, by replay (resync reason slow), up to maxRestarts times.
// restart says the subscription was live and overran: its catch-up starts
// with a resync of reason slow too.
func (s *session) catchUp(sub *subscription, since *wire.Cursor, restart bool) error {
	for n := 0; ; n++ {
		again, err := s.catchUpOnce(sub, since, restart)
		if err != nil || !again {
			return err
		}
		if n == maxRestarts {
			return errOverrun
		}
		cur := sub.restart()
		since, restart = &cur, true
	}
}

// catchUpOnce runs one catch-up; it reports whether the held events overran
// and it must start over.
//
// It reads page by page (about catchUpPageBytes each), each page in its own
// short View taken under the server's SnapshotReads limit, and sends at most
// catchUpWindow messages ahead of the client, so a connection holds one page
// at most. Snapshot
// pages after the first are read after the watermark, so an item may be
// newer than it; the events above the watermark that follow make the client
// converge (see the protocol decisions in package wire).
func (s *session) catchUpOnce(sub *subscription, since *wire.Cursor, restart bool) (bool, error) {
	srv := s.h.s
	topic := sub.topic
	var (
		st     TopicState
		resync *wire.Resync
		replay bool
		owner  bool // the session's clientID is bound to its principal
		recs   []Record
		evs    []EventRecord
	)
	key, coll := wire.SplitTopic(topic)
	err := srv.readPage(s.ctx, func(rt ReadTx) error {
		var err error
		if st, err = srv.topicState(s.ctx, rt, topic); err != nil {
			return err
		}
		switch {
		case since == nil:
			// A fresh subscription: a snapshot without resync.
		case since.Epoch != st.Epoch || since.Seq > st.Seq:
			resync = &wire.Resync{Topic: topic, Reason: wire.ReasonEpoch, Mode: wire.ModeSnapshot}
		case since.Seq == st.Seq:
			return nil // nothing missed: straight to live
		case st.MinSeq != 0 && since.Seq+1 >= st.MinSeq:
			resync = &wire.Resync{Topic: topic, Reason: wire.ReasonGap, Mode: wire.ModeReplay}
			if restart {
				resync.Reason = wire.ReasonSlow
			}
			replay = true
			// Replayed events carry origin only if the session's
			// clientID is bound to its principal, as live ones do.
			c, bound, err := rt.Client(s.ctx, s.clientID)
			if err != nil {
				return err
			}
			owner = bound && c.Principal == s.principal
			evs, err = rt.Events(s.ctx, topic, since.Seq, int(min(st.Seq-since.Seq, catchUpFirstPage)))
			return err
		default:
			resync = &wire.Resync{Topic: topic, Reason: wire.ReasonRetention, Mode: wire.ModeSnapshot}
		}
		recs, err = listTopic(s.ctx, rt, key, coll, "", catchUpFirstPage)
		return err
	})
	if err != nil {
		return false, err
	}
	// Checked after the read: a subRefusal the hook sees now covers what was
	// read; a change of access after it has a newer generation.
	if err := s.checkAt(sub, st.Access); err != nil {
		return false, err
	}
	sub.setWatermark(st.Epoch, st.Seq)
	live, err := wire.EncodeServerMessage(wire.Live{Topic: topic, Epoch: st.Epoch, Seq: st.Seq})
	if err != nil {
		return false, err
	}
	upToDate := since != nil && resync == nil
	if !upToDate {
		if resync != nil {
			b, err := wire.EncodeServerMessage(*resync)
			if err != nil {
				return false, err
			}
			if !s.sendCatchUp(sub, b) {
				return false, nil
			}
		}
		var ok bool
		if replay {
			ok, err = s.sendReplay(sub, st, since.Seq, evs, owner)
		} else {
			ok, err = s.sendSnapshot(sub, st, recs)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return sub.goLive(live, s.authorize)
}

// listTopic lists a page of a topic's entities, tombstones included: a
// collection's, or one partition's (key).
func listTopic(ctx context.Context, rt ReadTx, key, coll, after string, limit int) ([]Record, error) {
	if key != "" {
		return rt.ListPartition(ctx, coll, key, after, limit, true)
	}
	return rt.List(ctx, coll, after, limit, true)
}

// A subRefusal is the hook's answer to a subscription it no longer (or never)
// allows.
type subRefusal struct{ he *Error }

func (r *subRefusal) Error() string { return "server: subscription refused: " + r.he.Message }

// errCheckFailed: the AuthorizeTopic hook failed rather than answered.
var errCheckFailed = errors.New("server: the authorization check of a subscription failed")

// checkAt has the topic's AuthorizeTopic hook allow sub, if it must be
// (never allowed yet, or a newer access generation seen), after a read of
// the topic at access generation gen: a *subRefusal, or errCheckFailed.
func (s *session) checkAt(sub *subscription, gen uint64) error {
	if !sub.checked {
		return nil
	}
	sub.seen(gen)
	if !sub.isStale() {
		return nil
	}
	_, coll := wire.SplitTopic(sub.topic)
	e, ok := s.h.s.entity(coll)
	if !ok {
		return fmt.Errorf("server: topic %q of no registered collection", sub.topic)
	}
	if err := e.authorizeTopic(s.auth, sub.topic); err != nil {
		he := httpError(err)
		if he == nil || he.Status >= 500 {
			s.h.s.log.Error("subscription check failed: AuthorizeTopic failed", "topic", sub.topic, "err", err)
			return errCheckFailed
		}
		if he.cause != nil {
			s.h.s.log.Info("subscription refused", "topic", sub.topic, "err", he.cause)
		}
		return &subRefusal{he: he}
	}
	sub.allowed(gen)
	return nil
}

// authorize checks sub again before it sends anything more: it reads the
// topic's access generation, then has the hook decide (checkAt).
func (s *session) authorize(sub *subscription) error {
	var gen uint64
	err := s.h.s.readPage(s.ctx, func(rt ReadTx) error {
		st, err := s.h.s.topicState(s.ctx, rt, sub.topic)
		gen = st.Access
		return err
	})
	if err != nil {
		return err
	}
	sub.seen(gen)
	return s.checkAt(sub, gen)
}

// sendReplay sends the events after from up to the watermark st.Seq, first
// the page already read, then page by page. It returns false if the
// session closed.
func (s *session) sendReplay(sub *subscription, st TopicState, from uint64, evs []EventRecord, owner bool) (bool, error) {
	srv := s.h.s
	next := from
	var pages pageSizer
	for {
		for _, ev := range evs {
			pages.saw(len(ev.Data))
			if ev.Seq != next+1 {
				return false, errOvertaken
			}
			b, err := encodeEvent(toWireEvent(ev, st.Epoch, owner && ev.ClientID == s.clientID), srv.opts.MaxMsg)
			if err != nil {
				return false, err
			}
			if !s.sendCatchUp(sub, b) {
				return false, nil
			}
			next = ev.Seq
		}
		if next >= st.Seq {
			return true, nil
		}
		if len(evs) == 0 {
			return false, errOvertaken
		}
		err := srv.readPage(s.ctx, func(rt ReadTx) error {
			var err error
			evs, err = rt.Events(s.ctx, sub.topic, next, int(min(st.Seq-next, uint64(pages.next()))))
			return err
		})
		if err != nil {
			return false, err
		}
		// Events committed after a change of access carry its generation.
		var gen uint64
		for _, ev := range evs {
			gen = max(gen, ev.Access)
		}
		if err := s.checkAt(sub, gen); err != nil {
			return false, err
		}
	}
}

// sendSnapshot sends the snapshot parts of the topic, the first page of
// entities already read, then page by page. It returns false if the session
// closed.
func (s *session) sendSnapshot(sub *subscription, st TopicState, recs []Record) (bool, error) {
	srv := s.h.s
	enc, err := newPartEncoder(sub.topic, st.Epoch, st.Seq, srv.opts.MaxMsg)
	if err != nil {
		return false, err
	}
	limit := catchUpFirstPage
	var pages pageSizer
	for {
		for _, rec := range recs {
			pages.saw(len(rec.Data))
			part, err := enc.add(itemOf(rec))
			if err != nil {
				return false, err
			}
			if part != nil && !s.sendCatchUp(sub, part) {
				return false, nil
			}
		}
		if len(recs) < limit {
			return s.sendCatchUp(sub, enc.finish()), nil
		}
		after := recs[len(recs)-1].ID
		limit = pages.next()
		var gen uint64
		err := srv.readPage(s.ctx, func(rt ReadTx) error {
			if sub.checked {
				st, err := srv.topicState(s.ctx, rt, sub.topic)
				if err != nil {
					return err
				}
				gen = st.Access
			}
			var err error
			key, coll := wire.SplitTopic(sub.topic)
			recs, err = listTopic(s.ctx, rt, key, coll, after, limit)
			return err
		})
		if err != nil {
			return false, err
		}
		if err := s.checkAt(sub, gen); err != nil {
			return false, err
		}
	}
}

// A pageSizer picks the number of rows of the next page so that a page holds
// about catchUpPageBytes, from the average size of the rows seen so far.
type pageSizer struct{ rows, bytes int }

func (p *pageSizer) saw(size int) { p.rows, p.bytes = p.rows+1, p.bytes+size+64 } // + the row's other fields

func (p *pageSizer) next() int {
	if p.rows == 0 {
		return catchUpFirstPage
	}
	return min(max(catchUpPageBytes/(p.bytes/p.rows), catchUpMinPage), catchUpMaxPage)
}

// readPage runs fn in a View once one of the SnapshotReads slots is free.
func (s *Server) readPage(ctx context.Context, fn func(ReadTx) error) error {
	select {
	case s.reads <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.reads }()
	return s.store.View(ctx, fn)
}

// A partEncoder splits a snapshot's items into messages of at most maxMsg
// bytes, numbered from 0, the last one flagged. An item too big to fit
// alone is sent stale (id and version only) for the client to fetch by id.
type partEncoder struct {
	qt, qe []byte // the quoted topic and epoch
	seq    uint64
	room   int // bytes of items one part can hold
	part   int
	cur    [][]byte
	size   int
}

func newPartEncoder(topic, epoch string, seq uint64, maxMsg int) (*partEncoder, error) {
	qt, err := json.Marshal(topic)
	if err != nil {
		return nil, err
	}
	qe, err := json.Marshal(epoch)
	if err != nil {
		return nil, err
	}
	p := &partEncoder{qt: qt, qe: qe, seq: seq}
	// The largest head any part can have, plus the closing "]}".
	p.room = maxMsg - len(p.head(1<<30, false)) - 2
	return p, nil
}

func (p *partEncoder) head(part int, last bool) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"t":"snapshot","topic":`...)
	b = append(b, p.qt...)
	b = append(b, `,"epoch":`...)
	b = append(b, p.qe...)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, p.seq, 10)
	b = append(b, `,"part":`...)
	b = strconv.AppendInt(b, int64(part), 10)
	b = append(b, `,"last":`...)
	b = strconv.AppendBool(b, last)
	b = append(b, `,"items":[`...)
	return b
}

// add appends an item and returns the part it completed, if any.
func (p *partEncoder) add(it wire.Item) ([]byte, error) {
	b, err := json.Marshal(it)
	if err != nil {
		return nil, err
	}
	if len(b) > p.room {
		if b, err = json.Marshal(wire.Item{ID: it.ID, Version: it.Version}); err != nil {
			return nil, err
		}
	}
	var done []byte
	if len(p.cur) > 0 && p.size+1+len(b) > p.room {
		done = p.flush(false)
	}
	if len(p.cur) > 0 {
		p.size++ // the comma
	}
	p.cur = append(p.cur, b)
	p.size += len(b)
	return done, nil
}

// finish returns the last part: possibly empty, for an empty topic.
func (p *partEncoder) finish() []byte { return p.flush(true) }

func (p *partEncoder) flush(last bool) []byte {
	b := p.head(p.part, last)
	for i, it := range p.cur {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	p.part++
	p.cur, p.size = nil, 0
	return append(b, ']', '}')
}
