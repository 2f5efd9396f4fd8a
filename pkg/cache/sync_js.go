//go:build js

package cache

// clientMutex is Client.mu under GOOS=js, where sync.Mutex's atomic
// operations are each a chain of function calls: one thread runs every
// goroutine and switches only where one blocks, so testing and setting held
// with no call in between cannot interleave with another goroutine. A
// goroutine that finds it held (its holder blocked, in a callback that must
// not block but might) waits on a channel of its own, woken in order.
type clientMutex struct {
	held    bool
	waiters []chan struct{}
}

func (m *clientMutex) Lock() {
	for m.held {
		ch := make(chan struct{})
		m.waiters = append(m.waiters, ch)
		<-ch
	}
	m.held = true
}

func (m *clientMutex) Unlock() {
	if !m.held {
		panic("cache: unlock of unlocked mutex")
	}
	m.held = false
	if len(m.waiters) > 0 {
		ch := m.waiters[0]
		m.waiters[0] = nil
		m.waiters = m.waiters[1:]
		close(ch)
	}
}

// flag and listPtr are plain fields under GOOS=js: a single thread runs
// every goroutine and switches only where one blocks, so a load or store
// of a word cannot be torn or reordered, and sync/atomic's operations
// would each be a function call. See sync_native.go.
type flag struct{ v bool }

func (f *flag) Load() bool         { return f.v }
func (f *flag) Swap(new bool) bool { old := f.v; f.v = new; return old }
func (f *flag) Store(v bool)       { f.v = v }
func (f *flag) CompareAndSwap(old, new bool) bool {
	if f.v != old {
		return false
	}
	f.v = new
	return true
}

type listPtr struct{ p *[]*listener }

func (l *listPtr) Load() *[]*listener   { return l.p }
func (l *listPtr) Store(p *[]*listener) { l.p = p }
