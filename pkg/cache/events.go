package cache

// EventType names a cache event.
type EventType uint8

// The cache events. Persisters react to Added, Removed and Updated only
// (QB-62); the observer events serve devtools.
const (
	EventAdded EventType = iota + 1
	EventRemoved
	EventUpdated
	EventObserverAdded
	EventObserverRemoved
	EventObserverResultsUpdated
	EventObserverOptionsUpdated
	EventMutationAdded
	EventMutationRemoved
	EventMutationUpdated
)

func (t EventType) String() string {
	switch t {
	case EventAdded:
		return "added"
	case EventRemoved:
		return "removed"
	case EventUpdated:
		return "updated"
	case EventObserverAdded:
		return "observerAdded"
	case EventObserverRemoved:
		return "observerRemoved"
	case EventObserverResultsUpdated:
		return "observerResultsUpdated"
	case EventObserverOptionsUpdated:
		return "observerOptionsUpdated"
	case EventMutationAdded:
		return "mutationAdded"
	case EventMutationRemoved:
		return "mutationRemoved"
	case EventMutationUpdated:
		return "mutationUpdated"
	}
	return "unknown"
}

// An Event tells a cache listener what happened to which query or mutation.
type Event struct {
	Type EventType
	// Key and Hash name the query, or the mutation's key (possibly nil).
	Key  Key
	Hash string
}

type cacheListener struct {
	f       func(Event)
	removed flag
}

// Subscribe registers f for cache events, delivered in order, in batches,
// through the Scheduler. It returns the function that unsubscribes f.
func (c *Client) Subscribe(f func(Event)) (unsubscribe func()) {
	l := &cacheListener{f: f}
	c.lock()
	c.cacheListeners = append(append([]*cacheListener(nil), c.cacheListeners...), l)
	c.unlock()
	return func() {
		c.lock()
		defer c.unlock()
		if l.removed.Swap(true) {
			return
		}
		next := make([]*cacheListener, 0, len(c.cacheListeners))
		for _, x := range c.cacheListeners {
			if x != l {
				next = append(next, x)
			}
		}
		c.cacheListeners = next
	}
}

func (c *Client) emit(t EventType, q *query) {
	if len(c.cacheListeners) == 0 {
		return
	}
	c.events = append(c.events, Event{Type: t, Key: q.key, Hash: q.hash()})
}

func (c *Client) emitMutation(t EventType, m *mutation) {
	if len(c.cacheListeners) == 0 {
		return
	}
	c.events = append(c.events, Event{Type: t, Key: m.cfg.key})
}
