package cache

import (
	"fmt"
	"time"
)

// MutationStatus is the state of a mutation.
type MutationStatus uint8

// The statuses of a mutation.
const (
	MutationIdle MutationStatus = iota + 1
	MutationPending
	MutationSuccess
	MutationError
)

func (s MutationStatus) String() string {
	switch s {
	case MutationIdle:
		return "idle"
	case MutationPending:
		return "pending"
	case MutationSuccess:
		return "success"
	case MutationError:
		return "error"
	}
	return "any"
}

// MutationDefaults are the untyped mutation options that
// ClientOptions.DefaultMutationOptions give to every mutation.
type MutationDefaults struct {
	Retry       RetryFunc
	RetryDelay  RetryDelayFunc
	NetworkMode NetworkMode
	Timeout     time.Duration
	GCTime      *time.Duration
}

// MutationCallbacks are the cache-level mutation callbacks (TanStack's
// MutationCache config). They run before the mutation's own callbacks, on
// the same goroutine, with no lock held; an error returned by OnMutate or
// OnSuccess fails the mutation like the mutation's own.
type MutationCallbacks struct {
	OnMutate  func(vars any, m MutationInfo) error
	OnSuccess func(data, vars, mctx any, m MutationInfo) error
	OnError   func(err error, vars, mctx any, m MutationInfo) error
	OnSettled func(data any, err error, vars, mctx any, m MutationInfo) error
}

// MutationInfo is a read-only snapshot of a mutation.
type MutationInfo struct {
	ID            uint64
	Key           Key
	Scope         string
	Status        MutationStatus
	IsPaused      bool
	Variables     any
	Context       any
	Data          any
	Error         error
	FailureCount  int
	FailureReason error
	SubmittedAt   time.Time
}

// MutationFilter selects mutations; its conditions combine with AND.
type MutationFilter struct {
	// Key matches mutation keys as a prefix (see MatchKey) unless Exact.
	Key   Key
	Exact bool
	// Status selects one status; zero means any (IsMutating uses pending).
	Status MutationStatus
	// Predicate runs with the client locked and must not call the Client.
	Predicate func(MutationInfo) bool
}

func (f *MutationFilter) matches(m *mutation) bool {
	if f.Status != 0 && m.state.status != f.Status {
		return false
	}
	if len(f.Key) > 0 {
		if f.Exact {
			a, err1 := f.Key.Hash()
			b, err2 := m.cfg.key.Hash()
			if err1 != nil || err2 != nil || a != b {
				return false
			}
		} else if !MatchKey(m.cfg.key, f.Key) {
			return false
		}
	}
	return f.Predicate == nil || f.Predicate(m.info())
}

// IsMutating counts the pending mutations matching f (QB-54: a mutation is
// still pending while its OnSettled runs).
func (c *Client) IsMutating(f MutationFilter) int {
	f.Status = MutationPending
	c.lock()
	defer c.unlock()
	n := 0
	for _, m := range c.mutations {
		if f.matches(m) {
			n++
		}
	}
	return n
}

// FindMutations returns snapshots of the mutations matching f, oldest
// first.
func (c *Client) FindMutations(f MutationFilter) []MutationInfo {
	c.lock()
	defer c.unlock()
	var out []MutationInfo
	for _, m := range c.mutations {
		if f.matches(m) {
			out = append(out, m.info())
		}
	}
	return out
}

type mutationKeyDefaults struct {
	key Key
	cfg *mutationConfig
}

// mutationCanRun: a mutation without scope runs at once; within a scope,
// only the oldest pending mutation runs (QB-57).
func (c *Client) mutationCanRun(m *mutation) bool {
	if m.cfg.scope == "" {
		return true
	}
	for _, x := range c.mutations {
		if x.cfg.scope == m.cfg.scope && x.state.status == MutationPending {
			return x == m
		}
	}
	return true
}

// runNext continues the next paused mutation of m's scope.
func (c *Client) runNext(m *mutation) {
	if m.cfg.scope == "" {
		return
	}
	for _, x := range c.mutations {
		if x != m && x.cfg.scope == m.cfg.scope && x.state.isPaused {
			x.continueRun()
			return
		}
	}
}

// ResumePausedMutations continues every paused mutation (in parallel,
// serially within a scope), re-executing restored ones with the function of
// SetMutationDefaults (QB-58, QB-59). Offline it does nothing. The Waiter
// waits for them to settle.
func (c *Client) ResumePausedMutations() *Waiter {
	c.lock()
	defer c.unlock()
	w := &Waiter{c: c}
	if !c.isOnline() {
		return w
	}
	w.ms = c.resumePausedMutations()
	return w
}

func (c *Client) resumePausedMutations() []*mutation {
	var paused []*mutation
	for _, m := range c.mutations {
		if m.state.isPaused && m.state.status == MutationPending {
			paused = append(paused, m)
		}
	}
	for _, m := range paused {
		m.continueRun()
	}
	return paused
}

// mutationOps are the Client's ways into its mutation cache; see
// Client.mutOps.
type mutationOps struct {
	cancelAll    func() // Close: stop every GC timer and attempt
	resumePaused func() []*mutation
	removeAll    func() // Clear
}

func (c *Client) addMutation(m *mutation) {
	if c.mutOps == nil {
		c.mutOps = &mutationOps{
			cancelAll: func() {
				for _, m := range c.mutations {
					m.clearGC()
					if m.retryer != nil {
						m.retryer.cancel(&CancelledError{})
					}
				}
			},
			resumePaused: c.resumePausedMutations,
			removeAll: func() {
				for _, m := range append([]*mutation(nil), c.mutations...) {
					c.removeMutation(m)
				}
			},
		}
	}
	c.mutations = append(c.mutations, m)
	c.emitMutation(EventMutationAdded, m)
	m.scheduleGC()
}

func (c *Client) removeMutation(m *mutation) {
	if m.removed {
		return
	}
	m.removed = true
	m.clearGC()
	for i, x := range c.mutations {
		if x == m {
			c.mutations = append(c.mutations[:i], c.mutations[i+1:]...)
			break
		}
	}
	c.emitMutation(EventMutationRemoved, m)
}

// resolveMutation merges defaults into cfg.
func (c *Client) resolveMutation(cfg *mutationConfig) *mutationConfig {
	for i := len(c.mutDefaults) - 1; i >= 0; i-- {
		d := c.mutDefaults[i]
		if len(cfg.key) > 0 && MatchKey(cfg.key, d.key) {
			cfg.fill(d.cfg)
		}
	}
	d := &c.mdefaults
	if cfg.retry == nil {
		cfg.retry = d.Retry
	}
	if cfg.retryDelay == nil {
		cfg.retryDelay = d.RetryDelay
	}
	if cfg.networkMode == 0 {
		cfg.networkMode = d.NetworkMode
	}
	if cfg.timeout == 0 {
		cfg.timeout = d.Timeout
	}
	if cfg.gcTime == nil {
		cfg.gcTime = d.GCTime
	}
	return cfg
}

// invalidateAfter runs the Invalidates helper for m, which is settling
// but still pending: it invalidates m's keys only when no other pending
// mutation touches an overlapping key; otherwise it owes them to the last
// one that does.
func (c *Client) invalidateAfter(m *mutation) {
	keys := m.cfg.invalidates
	if len(keys) == 0 {
		return
	}
	for _, x := range c.mutations {
		if x != m && x.state.status == MutationPending && keysOverlap(x.cfg.invalidates, keys) {
			c.owed = append(c.owed, keys...)
			return
		}
	}
	all := append([]Key(nil), keys...)
	rest := c.owed[:0]
	for _, k := range c.owed {
		if keysOverlap([]Key{k}, keys) {
			all = append(all, k)
		} else {
			rest = append(rest, k)
		}
	}
	c.owed = rest
	for _, k := range all {
		c.invalidateLocked(Filter{Key: k}, InvalidateOptions{})
	}
}

func keysOverlap(a, b []Key) bool {
	for _, x := range a {
		for _, y := range b {
			if MatchKey(x, y) || MatchKey(y, x) {
				return true
			}
		}
	}
	return false
}

// SetMutationDefaults sets options for every mutation whose key starts with
// key; a mutation restored by Hydrate runs with them (QB-59). Later calls
// for the same key replace earlier ones.
func SetMutationDefaults[V, R any](c *Client, key Key, opts MutationOptions[V, R]) error {
	h, err := key.Hash()
	if err != nil {
		return err
	}
	cfg := mutationConfigOf(&opts)
	c.lock()
	defer c.unlock()
	for i := range c.mutDefaults {
		if hh, _ := c.mutDefaults[i].key.Hash(); hh == h {
			c.mutDefaults[i].cfg = cfg
			return nil
		}
	}
	c.mutDefaults = append(c.mutDefaults, mutationKeyDefaults{key: key, cfg: cfg})
	return nil
}

func mutationError(stage string, err error) error {
	return fmt.Errorf("cache: mutation %s: %w", stage, err)
}
