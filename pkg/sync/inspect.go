package sync

import (
	"slices"
	"time"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A TopicInfo is where one topic's subscription stands, for devtools.
type TopicInfo struct {
	Name string
	// Phase is "idle" (not subscribed: offline), "subscribing" (catching
	// up: a snapshot or a replay), "live" or "refused" (not authorised).
	Phase  string
	Cursor wire.Cursor // where the confirmed layer stands in the topic's log
}

// An EventInfo is one event the client applied, for devtools.
type EventInfo struct {
	At    time.Time
	Topic string
	Seq   uint64
	ID    string
	Op    wire.Op
	Own   bool // the echo of this client's own mutation
}

// maxRecent bounds the events a Client remembers.
const maxRecent = 50

// inspection is what devtools read: a version bumped on every change they
// show, and the last events.
type inspection struct {
	v      *state.Signal[uint64]
	recent []EventInfo
}

func (c *Client) changed() { c.insp.v.Set(c.insp.v.Peek() + 1) }

func (p phase) String() string {
	switch p {
	case phaseSubscribing:
		return "subscribing"
	case phaseLive:
		return "live"
	case phaseRefused:
		return "refused"
	}
	return "idle"
}

// Topics returns, tracked, every topic's phase and cursor, in the order the
// collections were registered.
func (c *Client) Topics() []TopicInfo {
	c.insp.v.Get()
	out := make([]TopicInfo, 0, len(c.order))
	for _, name := range c.order {
		t := c.topics[name]
		out = append(out, TopicInfo{Name: name, Phase: t.phase.String(), Cursor: t.coll.Cursor()})
	}
	return out
}

// RecentEvents returns, tracked, the last events applied (up to 50),
// oldest first.
func (c *Client) RecentEvents() []EventInfo {
	c.insp.v.Get()
	return slices.Clone(c.insp.recent)
}

// applied records an applied event.
func (c *Client) applied(ev wire.Event) {
	own := ev.Origin != nil && ev.Origin.ClientID == c.s.ClientID()
	if len(c.insp.recent) == maxRecent {
		c.insp.recent = slices.Delete(c.insp.recent, 0, 1)
	}
	c.insp.recent = append(c.insp.recent, EventInfo{At: c.opts.Clock.Now(), Topic: ev.Topic, Seq: ev.Seq, ID: ev.ID, Op: ev.Op, Own: own})
	c.changed()
}
