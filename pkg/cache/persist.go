package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNotFound is returned by a Storage that has nothing under a key.
var ErrNotFound = errors.New("cache: not found")

// A Storage keeps bytes under string keys: localStorage in the browser,
// MemoryStorage elsewhere. Implementations must be safe for concurrent use.
type Storage interface {
	// Get returns the bytes under key, or an error wrapping ErrNotFound.
	Get(key string) ([]byte, error)
	Set(key string, value []byte) error
	Remove(key string) error
}

// MemoryStorage is a Storage in memory. The zero value is ready to use.
type MemoryStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Get implements Storage.
func (s *MemoryStorage) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return append([]byte(nil), v...), nil
}

// Set implements Storage.
func (s *MemoryStorage) Set(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	s.m[key] = append([]byte(nil), value...)
	return nil
}

// Remove implements Storage.
func (s *MemoryStorage) Remove(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// PersistOptions configure Persist.
type PersistOptions struct {
	// Storage receives the snapshot; required.
	Storage Storage
	// Key is the storage key; default "tandem-query-cache".
	Key string
	// MaxAge discards a snapshot older than this at restore; default 24h.
	MaxAge time.Duration
	// Buster discards a snapshot written with another Buster (for example
	// an app version).
	Buster string
	// Throttle is the least time between two saves; default 1s.
	Throttle time.Duration
	// Dehydrate chooses what is saved.
	Dehydrate DehydrateOptions
}

// persistedClient is the stored form.
type persistedClient struct {
	Timestamp   time.Time       `json:"timestamp"`
	Buster      string          `json:"buster"`
	ClientState DehydratedState `json:"clientState"`
}

// Persister saves a client's cache to a Storage after cache changes and
// restores it at start, so that a reload shows cached data at once
// (TanStack's persistQueryClient).
type Persister struct {
	c     *Client
	opts  PersistOptions
	unsub func()

	mu      sync.Mutex // guards the fields below
	stop    func() bool
	closed  bool
	saves   int
	lastErr error
}

// Persist restores the snapshot in opts.Storage into c, unless it is older
// than MaxAge or has another Buster (then it is removed, QB-62), and then
// saves the cache, throttled, whenever a query is added, removed or updated
// (never on observer events). The restore error, if any, is returned with a
// working Persister.
func Persist(c *Client, opts PersistOptions) (*Persister, error) {
	if opts.Key == "" {
		opts.Key = "tandem-query-cache"
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.Throttle == 0 {
		opts.Throttle = time.Second
	}
	p := &Persister{c: c, opts: opts}
	err := p.restore()
	p.unsub = c.Subscribe(func(e Event) {
		switch e.Type {
		case EventAdded, EventRemoved, EventUpdated:
			p.schedule()
		}
	})
	return p, err
}

func (p *Persister) restore() error {
	b, err := p.opts.Storage.Get(p.opts.Key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cache: restore: %w", err)
	}
	var pc persistedClient
	if err := json.Unmarshal(b, &pc); err != nil {
		_ = p.opts.Storage.Remove(p.opts.Key)
		return fmt.Errorf("cache: restore: %w", err)
	}
	if pc.Buster != p.opts.Buster || p.c.clock.Now().Sub(pc.Timestamp) > p.opts.MaxAge {
		return p.opts.Storage.Remove(p.opts.Key)
	}
	return Hydrate(p.c, pc.ClientState)
}

func (p *Persister) schedule() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.stop != nil {
		return
	}
	p.stop = p.c.clock.AfterFunc(p.opts.Throttle, func() {
		p.mu.Lock()
		p.stop = nil
		closed := p.closed
		p.mu.Unlock()
		if !closed {
			_ = p.Save()
		}
	})
}

// Save writes the snapshot now.
func (p *Persister) Save() error {
	state, derr := Dehydrate(p.c, p.opts.Dehydrate)
	b, err := json.Marshal(persistedClient{Timestamp: p.c.clock.Now(), Buster: p.opts.Buster, ClientState: state})
	if err == nil {
		err = p.opts.Storage.Set(p.opts.Key, b)
	}
	if err == nil {
		err = derr
	}
	p.mu.Lock()
	p.saves++
	p.lastErr = err
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("cache: persist: %w", err)
	}
	return nil
}

// Saves returns how many saves ran and the error of the last one.
func (p *Persister) Saves() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.saves, p.lastErr
}

// Close stops saving; a save already scheduled is dropped.
func (p *Persister) Close() {
	p.mu.Lock()
	p.closed = true
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
	p.mu.Unlock()
	p.unsub()
}
