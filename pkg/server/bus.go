package server

import (
	"sync"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A Bus carries committed events from the server instance that committed
// them to the WebSocket hubs of every instance. Publish is called after each
// commit with that commit's events in seq order, never concurrently with
// itself on one instance; a Bus delivers them to every subscriber in that
// order. A Bus spanning instances (B31) may drop events: clients detect the
// gap by prev and resynchronise, so a drop is never silent. A Bus spanning
// instances carries Principal along with each event: it is server-side
// data, never sent to clients. LocalBus serves one instance; PostgresBus
// the instances of one PostgreSQL database, and drops nothing unless an
// instance falls further behind than the outbox's retention.
type Bus interface {
	Publish(events []BusEvent)
	// Subscribe registers fn for every later Publish; cancel removes it.
	Subscribe(fn func(events []BusEvent)) (cancel func())
}

// A BusEvent is one committed event as a Bus carries it: the wire event
// with its origin, if any, and the principal that origin's clientID is
// bound to. The hub sends the origin only to the sessions whose hello named
// that clientID and whose principal is that principal; every other
// subscriber gets the event without it.
type BusEvent struct {
	wire.Event
	Principal string
	// Access is the access generation of the event's topic at its commit
	// (Tx.Reauthorize counts them): a subscription last authorized at an
	// older one is checked again before it gets the event.
	Access uint64
	// Reauthorize marks not an event but a change of who may read Topic,
	// whose access generation is now Access: the hub checks the topic's
	// subscriptions again at once. The rest of Event is zero.
	Reauthorize bool
}

// LocalBus is the in-process Bus: Publish calls every subscriber
// synchronously. The zero value is ready to use.
type LocalBus struct {
	mu   sync.RWMutex
	next int
	subs map[int]func([]BusEvent)
}

// Publish implements Bus.
func (b *LocalBus) Publish(events []BusEvent) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, fn := range b.subs {
		fn(events)
	}
}

// Subscribe implements Bus.
func (b *LocalBus) Subscribe(fn func([]BusEvent)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]func([]BusEvent))
	}
	id := b.next
	b.next++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}
