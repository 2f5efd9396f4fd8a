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
// gap by prev and resynchronise, so a drop is never silent.
type Bus interface {
	Publish(events []wire.Event)
	// Subscribe registers fn for every later Publish; cancel removes it.
	Subscribe(fn func(events []wire.Event)) (cancel func())
}

// LocalBus is the in-process Bus: Publish calls every subscriber
// synchronously. The zero value is ready to use.
type LocalBus struct {
	mu   sync.RWMutex
	next int
	subs map[int]func([]wire.Event)
}

// Publish implements Bus.
func (b *LocalBus) Publish(events []wire.Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, fn := range b.subs {
		fn(events)
	}
}

// Subscribe implements Bus.
func (b *LocalBus) Subscribe(fn func([]wire.Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]func([]wire.Event))
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
