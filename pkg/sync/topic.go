package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

// phase is where one topic's subscription stands (PROTOCOL.md §4:
// Idle → Subscribing (buffer events) → Live; a gap or an epoch change moves
// to Resyncing (buffer) and back to Live).
type phase uint8

const (
	phaseIdle        phase = iota // not subscribed (disconnected)
	phaseSubscribing              // sub sent; snapshot, replay or live expected
	phaseLive                     // applying events as they come
	phaseRefused                  // the server refused the subscription
)

// topic is one collection's subscription.
type topic struct {
	c     *Client
	name  string
	coll  store.Topic
	phase phase
	// replaying is true between a resync{replay} and live: events are the
	// missing ones and apply at once, in order.
	replaying bool
	buf       []wire.Event // events held until live
	parts     []wire.Item  // snapshot parts so far
	nextPart  int
	snap      wire.Cursor // the snapshot's epoch and watermark
	deadline  func() bool // SubscribeTimeout
	// refetch holds ids to read by id (invalidate events, stale snapshot
	// items) until a fetch succeeds: the cursor has moved past their event,
	// so a failed fetch must be retried, never forgotten.
	refetch  map[string]bool
	fetching bool
	failures int
	gone     bool // removed from the client (a partition closed): fetches apply nothing
}

// observe tells the topic's collection, if it listens, where its
// subscription stands.
func (t *topic) observe(fn func(store.TopicObserver)) {
	if o, ok := t.coll.(store.TopicObserver); ok {
		fn(o)
	}
}

// collection is the name of the topic's collection (the topic without its
// partition key): mutations and echoes name it.
func (t *topic) collection() string {
	_, coll := wire.SplitTopic(t.name)
	return coll
}

// subscribe asks for the topic from its cursor: replay if the server still
// has the events, else a snapshot (B22).
func (t *topic) subscribe() {
	t.reset()
	t.phase = phaseSubscribing
	t.c.changed()
	sub := wire.Sub{Topic: t.name}
	if cur := t.coll.Cursor(); cur.Epoch != "" {
		sub.Since = &cur
	}
	t.c.send(sub)
	t.arm()
}

// arm bounds the catch-up: a topic that does not become live in time means a
// broken connection.
func (t *topic) arm() {
	c := t.c
	if t.deadline != nil {
		t.deadline()
	}
	t.deadline = c.after(c.opts.SubscribeTimeout, func() {
		if t.phase == phaseSubscribing {
			c.fail(wire.CloseProtocolError, "topic "+t.name+" did not become live in time")
		}
	})
}

// reset forgets a subscription in progress; a snapshot not complete is
// dropped whole, leaving the confirmed layer as it was (B20).
func (t *topic) reset() {
	if t.phase == phaseLive {
		t.observe(func(o store.TopicObserver) { o.Live(false) })
	}
	t.phase = phaseIdle
	t.c.changed()
	t.replaying = false
	t.buf = nil
	t.parts = nil
	t.nextPart = 0
	t.snap = wire.Cursor{}
	if t.deadline != nil {
		t.deadline()
		t.deadline = nil
	}
}

// refused ends the subscription the server refused or ended (an error
// message about the topic: forbidden, not_found, unavailable, revoked); it
// is tried again after the next reconnect. The collection hears why, and
// drops what it holds of a topic the principal may not read.
func (t *topic) refused(code, message string) {
	t.reset()
	t.phase = phaseRefused
	t.c.changed()
	t.observe(func(o store.TopicObserver) { o.Refused(code, message) })
}

// resync starts the topic over from its cursor (B15: this topic only).
func (t *topic) resync(why string) {
	t.c.report(fmt.Errorf("sync: %s: resync: %s", t.name, why))
	t.subscribe()
}

func (t *topic) handle(m wire.ServerMessage) {
	if t.phase == phaseIdle || t.phase == phaseRefused {
		return
	}
	switch m := m.(type) {
	case wire.Resync:
		if t.phase == phaseLive {
			t.phase = phaseSubscribing // the server restarted this subscription
			t.c.changed()
			t.arm()
		}
		t.replaying = m.Mode == wire.ModeReplay
		t.parts, t.nextPart = nil, 0
	case wire.Snapshot:
		t.snapshot(m)
	case wire.Live:
		t.live(m)
	case wire.Event:
		if t.phase == phaseLive || t.replaying {
			t.event(m)
			return
		}
		t.buf = append(t.buf, m)
	}
}

// snapshot collects one part; the whole applies when the last arrives.
func (t *topic) snapshot(m wire.Snapshot) {
	if t.phase != phaseSubscribing || t.replaying {
		t.resync("unexpected snapshot")
		return
	}
	if m.Part != t.nextPart || m.Part > 0 && (m.Epoch != t.snap.Epoch || m.Seq != t.snap.Seq) {
		t.resync(fmt.Sprintf("snapshot part %d out of order (want %d)", m.Part, t.nextPart))
		return
	}
	if m.Part == 0 {
		t.snap = wire.Cursor{Epoch: m.Epoch, Seq: m.Seq}
	}
	t.parts = append(t.parts, m.Items...)
	t.nextPart++
	if !m.Last {
		return
	}
	cur := t.coll.Cursor()
	reset := cur.Epoch != "" && cur.Epoch != m.Epoch
	items := t.parts
	t.parts = nil
	s := t.c.s
	s.Batch(func() { t.coll.Replace(items, m.Epoch, m.Seq, reset) })
	for _, it := range items {
		if it.Stale() {
			t.fetch(it.ID)
		}
	}
	if t.c.opts.OnReplace != nil {
		t.c.opts.OnReplace(t.name)
	}
}

// live ends the catch-up: buffered events after the watermark apply, in
// order, and the topic goes live (B19).
func (t *topic) live(m wire.Live) {
	if t.phase != phaseSubscribing {
		return
	}
	cur := t.coll.Cursor()
	if cur.Epoch != m.Epoch || cur.Seq < m.Seq {
		t.resync(fmt.Sprintf("live at %s/%d but the cursor is %s/%d", m.Epoch, m.Seq, cur.Epoch, cur.Seq))
		return
	}
	t.phase = phaseLive
	t.c.changed()
	t.observe(func(o store.TopicObserver) { o.Live(true) })
	t.replaying = false
	if t.deadline != nil {
		t.deadline()
		t.deadline = nil
	}
	t.fetchNext() // retry what failed while disconnected
	buf := t.buf
	t.buf = nil
	for _, ev := range buf {
		if t.phase != phaseLive {
			return // a buffered event started a resync
		}
		t.event(ev)
	}
}

// event applies one event by the rules of PROTOCOL.md §4.
func (t *topic) event(ev wire.Event) {
	cur := t.coll.Cursor()
	if cur.Epoch != "" && ev.Epoch != cur.Epoch {
		// B18: subscribing again from the old cursor makes the server send
		// a snapshot, which replaces the confirmed layer with reset.
		t.resync("epoch changed from " + cur.Epoch + " to " + ev.Epoch)
		return
	}
	if ev.Seq <= cur.Seq {
		return // B14: a duplicate
	}
	if ev.Prev != cur.Seq {
		t.resync(fmt.Sprintf("gap: event %d follows %d, cursor at %d", ev.Seq, ev.Prev, cur.Seq))
		return
	}
	s := t.c.s
	s.Batch(func() {
		switch ev.Op {
		case wire.OpCreate, wire.OpUpdate:
			t.coll.ApplyItems(wire.Item{ID: ev.ID, Version: ev.Version, Data: ev.Data})
		case wire.OpDelete:
			t.coll.ApplyItems(wire.Item{ID: ev.ID, Version: ev.Version, Deleted: true})
		case wire.OpInvalidate:
			t.fetch(ev.ID)
		}
		if ev.Origin != nil {
			s.Echo(ev.Origin.ClientID, ev.Origin.MutationID, t.collection(), ev.ID) // B3: the echo confirms
		}
		t.coll.SetCursor(wire.Cursor{Epoch: ev.Epoch, Seq: ev.Seq})
	})
	t.c.applied(ev)
	if t.c.opts.OnEvent != nil {
		t.c.opts.OnEvent(ev)
	}
}

// fetch reads one entity by id (an invalidate event, a stale snapshot item)
// and applies it when it arrives; failed reads retry with backoff until one
// succeeds.
func (t *topic) fetch(id string) {
	t.refetch[id] = true
	t.fetchNext()
}

// fetchNext starts reading one id of the refetch set, one at a time per
// topic.
func (t *topic) fetchNext() {
	if t.fetching || len(t.refetch) == 0 {
		return
	}
	var id string
	for id = range t.refetch {
		break
	}
	t.fetching = true
	c, coll := t.c, t.coll
	ctx, cancel := context.WithCancel(context.Background())
	stop := c.opts.Clock.AfterFunc(30*time.Second, cancel)
	go func() {
		item, err := coll.FetchItem(ctx, id)
		stop()
		cancel()
		c.g.Schedule(func() { t.fetched(id, item, err) })
	}()
}

func (t *topic) fetched(id string, item wire.Item, err error) {
	t.fetching = false
	c := t.c
	if t.gone {
		return // closed meanwhile: its entities are not to be shown
	}
	if err != nil {
		c.report(fmt.Errorf("sync: fetching %s/%s: %w", t.name, id, err))
		t.failures++
		delay := reconnectDelay(c.rng, c.opts.ReconnectBase, c.opts.ReconnectCap, t.failures-1)
		c.opts.Clock.AfterFunc(delay, func() { c.g.Schedule(t.fetchNext) })
		return
	}
	t.failures = 0
	delete(t.refetch, id)
	c.s.Batch(func() { t.coll.ApplyItems(item) })
	t.fetchNext()
}
