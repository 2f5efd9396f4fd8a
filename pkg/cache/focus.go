package cache

import "sync"

// A FocusSource says whether the window is focused and tells subscribers
// when that may have changed. Refetch-on-focus and paused retries follow it.
type FocusSource interface {
	Focused() bool
	// Subscribe registers f, called (on any goroutine) after a change;
	// the returned function unsubscribes.
	Subscribe(f func()) (unsubscribe func())
}

// An OnlineSource says whether the network is reachable and tells
// subscribers when that may have changed. Paused fetches and mutations
// resume when it turns online.
type OnlineSource interface {
	Online() bool
	Subscribe(f func()) (unsubscribe func())
}

// FocusManager is a FocusSource: TanStack's focusManager as an instance. It
// reports the platform's answer (a probe, for example the document's
// visibility) unless SetFocused overrode it. Safe for concurrent use.
type FocusManager struct {
	mu        sync.Mutex
	probe     func() bool
	override  *bool
	listeners subscribers
}

// NewFocusManager returns a FocusManager asking probe, or always focused
// when probe is nil.
func NewFocusManager(probe func() bool) *FocusManager {
	return &FocusManager{probe: probe}
}

// Focused reports the override if set, otherwise the probe (QB-35).
func (m *FocusManager) Focused() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.focusedLocked()
}

func (m *FocusManager) focusedLocked() bool {
	if m.override != nil {
		return *m.override
	}
	return m.probe == nil || m.probe()
}

// SetFocused overrides the probe and notifies subscribers if the answer
// changed.
func (m *FocusManager) SetFocused(focused bool) {
	m.mu.Lock()
	before := m.focusedLocked()
	m.override = &focused
	m.mu.Unlock()
	if before != focused {
		m.listeners.notify()
	}
}

// ClearOverride returns to the probe's answer and notifies subscribers.
func (m *FocusManager) ClearOverride() {
	m.mu.Lock()
	m.override = nil
	m.mu.Unlock()
	m.listeners.notify()
}

// Changed tells subscribers that the probe's answer may have changed; the
// platform's event handler calls it.
func (m *FocusManager) Changed() { m.listeners.notify() }

// Subscribe registers f; see FocusSource.
func (m *FocusManager) Subscribe(f func()) func() { return m.listeners.add(f) }

// OnlineManager is an OnlineSource: TanStack's onlineManager as an
// instance. It starts online and changes only through SetOnline, which the
// browser's online and offline events call. Safe for concurrent use.
type OnlineManager struct {
	mu        sync.Mutex
	offline   bool
	listeners subscribers
}

// NewOnlineManager returns an OnlineManager reporting online.
func NewOnlineManager() *OnlineManager { return &OnlineManager{} }

// Online reports the current state.
func (m *OnlineManager) Online() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.offline
}

// SetOnline sets the state and, if it changed, notifies subscribers.
func (m *OnlineManager) SetOnline(online bool) {
	m.mu.Lock()
	changed := m.offline == online
	m.offline = !online
	m.mu.Unlock()
	if changed {
		m.listeners.notify()
	}
}

// Subscribe registers f; see OnlineSource.
func (m *OnlineManager) Subscribe(f func()) func() { return m.listeners.add(f) }

// subscribers is a small listener list for the managers.
type subscribers struct {
	mu   sync.Mutex
	next int
	fs   map[int]func()
}

func (s *subscribers) add(f func()) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fs == nil {
		s.fs = make(map[int]func())
	}
	id := s.next
	s.next++
	s.fs[id] = f
	return func() {
		s.mu.Lock()
		delete(s.fs, id)
		s.mu.Unlock()
	}
}

func (s *subscribers) notify() {
	s.mu.Lock()
	ids := make([]int, 0, len(s.fs))
	for id := range s.fs {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	// in subscription order
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	for _, id := range ids {
		s.mu.Lock()
		f := s.fs[id]
		s.mu.Unlock()
		if f != nil {
			f()
		}
	}
}
