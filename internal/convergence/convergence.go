// Package convergence holds what the convergence property tests share
// (PROTOCOL.md's invariants 1–3 and behaviours B36–B38):
// pkg/sync's, over an in-process server, and cmd/server's, across real
// server processes on one database. Each test builds its own world (servers,
// clients and a generated trace of writes and faults); the pieces here are
// the same in all of them:
//
//   - a client runtime's graph goroutine (Loop),
//   - a write run to its end, and what its outcome promises (Settle,
//     Promises: invariant 2),
//   - the check of confirmed versions and cursors on every call the
//     reconciler makes (Monitor: invariant 3),
//   - a transport that loses the next answer (Lossy) and the fault plan of
//     every connection (Plan),
//   - a collection's visible state, checked against its confirmed one
//     (Collect: invariant 1).
//
// It is imported by tests only.
package convergence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	tsync "github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A Loop is a client runtime's graph goroutine: its Graph schedules there,
// and Do runs a function there and waits for it.
type Loop struct {
	Graph *state.Graph
	loop  state.Loop
	stop  context.CancelFunc
	done  chan struct{}
}

// StartLoop starts a graph goroutine.
func StartLoop() *Loop {
	l := &Loop{done: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	l.stop = stop
	go func() { _ = l.loop.Run(ctx); close(l.done) }()
	l.Graph = state.NewGraph(state.WithScheduler(l.loop.Dispatch))
	return l
}

// Do runs fn on the loop and waits until it returned.
func (l *Loop) Do(fn func()) {
	done := make(chan struct{})
	l.loop.Dispatch(func() { defer close(done); fn() })
	<-done
}

// Until waits until cond, a tracked read of the graph, returns nil: an
// effect reruns it as what it read changes, so nothing polls. It returns
// cond's last error after d.
func (l *Loop) Until(d time.Duration, cond func() error) error {
	met := make(chan struct{})
	var last atomic.Pointer[error]
	var e *state.Effect
	l.Do(func() {
		fired := false
		e = l.Graph.Effect(func() {
			if fired {
				return
			}
			err := cond()
			if err == nil {
				fired = true
				close(met)
				return
			}
			last.Store(&err)
		})
	})
	defer l.Do(e.Dispose)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-met:
		return nil
	case <-t.C:
		if err := last.Load(); err != nil {
			return *err
		}
		return errors.New("timed out")
	}
}

// Stop ends the loop and waits for its goroutine.
func (l *Loop) Stop() {
	l.stop()
	<-l.done
}

// An Outcome is how a write ended, as its client learned it.
type Outcome uint8

const (
	Acked   Outcome = iota // the server applied it
	Refused                // the server refused it
	Unknown                // its answer was lost: applied or refused
)

// Settle runs a mutation on the graph goroutine do runs on and waits until
// it settles, reporting whether the server acknowledged it (a refusal is
// part of the history, not a failure of the run) and its mutationID.
func Settle(do func(func()), run func() *store.Pending, timeout time.Duration) (Outcome, uint64, error) {
	var pd *store.Pending
	do(func() { pd = run() })
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := pd.Wait(ctx)
	var me *store.MutationError
	id := pd.MutationID()
	switch {
	case err == nil:
		return Acked, id, nil
	case errors.As(err, &me):
		return Refused, id, nil
	case errors.Is(err, store.ErrOutcomeUnknown):
		return Unknown, id, nil // processed, its answer lost: applied or refused
	}
	return Refused, id, err
}

// Promises are invariant 2's bookkeeping, by "collection/id": the fields
// each acknowledged write set, and the entities an acknowledged delete
// removed. The zero value is ready.
type Promises struct {
	promised map[string]map[string]string
	gone     map[string]bool
	maybe    map[string]bool // may or may not exist (unknown outcomes)
}

// Ack records what a write of outcome o promises about the final state:
// the fields of key (JSON values), unless a later acknowledged write
// changes them; or, for deletes, absence. A write of unknown outcome
// promises nothing and makes what it touched uncertain. It returns err, the
// run's own failure, if any.
func (p *Promises) Ack(o Outcome, err error, key string, fields map[string]string, deleted ...string) error {
	if err != nil || o == Refused {
		return err
	}
	p.init()
	if key != "" && p.promised[key] == nil {
		p.promised[key] = map[string]string{}
	}
	for f, v := range fields {
		if o == Acked {
			p.promised[key][f] = v
		} else {
			delete(p.promised[key], f) // either value may be there
		}
	}
	for _, k := range deleted {
		if o == Acked {
			p.gone[k] = true
		} else {
			p.maybe[k] = true
		}
	}
	return nil
}

// Uncertain records that key may or may not exist in the final state: its
// create's outcome is unknown.
func (p *Promises) Uncertain(key string) {
	p.init()
	p.maybe[key] = true
}

func (p *Promises) init() {
	if p.promised == nil {
		p.promised, p.gone, p.maybe = map[string]map[string]string{}, map[string]bool{}, map[string]bool{}
	}
}

// Check is invariant 2 on the final state (each live entity's JSON by
// "collection/id"): every acknowledged write is in it, unless a later
// acknowledged write replaced it.
func (p *Promises) Check(state map[string]string) error {
	for key := range p.gone {
		if _, ok := state[key]; ok {
			return fmt.Errorf("invariant 2: %s was deleted (acknowledged) but is there", key)
		}
	}
	for key, fields := range p.promised {
		data, ok := state[key]
		if p.gone[key] {
			continue
		}
		if !ok {
			if p.maybe[key] {
				continue // a delete (or the create) of unknown outcome
			}
			return fmt.Errorf("invariant 2: %s was written (acknowledged) but is gone", key)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(data), &obj); err != nil {
			return err
		}
		for f, v := range fields {
			if string(obj[f]) != v {
				return fmt.Errorf("invariant 2: %s.%s is %s, the last acknowledged write set %s", key, f, obj[f], v)
			}
		}
	}
	return nil
}

// A Monitor checks invariant 3 on every call the reconciler makes to the
// topics it watches: confirmed versions and cursors never decrease, except
// on a snapshot with reset. The zero value is ready.
type Monitor struct {
	mu         gosync.Mutex
	versions   map[string]uint64
	cursors    map[string]wire.Cursor
	violations []string
}

// Watch returns t as the reconciler should see it (tsync.Client.Add):
// every call goes to t, then is checked; version returns the confirmed
// version of one of t's entities.
func (m *Monitor) Watch(t store.Topic, version func(id string) uint64) store.Topic {
	return &watched{Topic: t, mon: m, version: version}
}

// Violations returns what broke invariant 3 so far.
func (m *Monitor) Violations() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.violations)
}

type watched struct {
	store.Topic
	mon     *Monitor
	version func(id string) uint64
}

func (w *watched) check(reset bool) {
	m := w.mon
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursors == nil {
		m.cursors = map[string]wire.Cursor{}
	}
	cur, name := w.Topic.Cursor(), w.Topic.Name()
	if old, ok := m.cursors[name]; ok && !reset && cur.Epoch == old.Epoch && cur.Seq < old.Seq {
		m.violations = append(m.violations, fmt.Sprintf("%s cursor went from %d to %d", name, old.Seq, cur.Seq))
	}
	m.cursors[name] = cur
}

func (w *watched) checkItems(items []wire.Item, reset bool) {
	m := w.mon
	for _, it := range items {
		v := w.version(it.ID)
		key := w.Topic.Name() + "/" + it.ID
		m.mu.Lock()
		if m.versions == nil {
			m.versions = map[string]uint64{}
		}
		if old := m.versions[key]; v < old && !reset {
			m.violations = append(m.violations, fmt.Sprintf("%s version went from %d to %d", key, old, v))
		}
		m.versions[key] = v
		m.mu.Unlock()
	}
}

func (w *watched) ApplyItems(items ...wire.Item) {
	w.Topic.ApplyItems(items...)
	w.checkItems(items, false)
}

func (w *watched) Replace(items []wire.Item, epoch string, seq uint64, reset bool) {
	w.Topic.Replace(items, epoch, seq, reset)
	w.checkItems(items, reset)
	w.check(reset)
}

func (w *watched) SetCursor(c wire.Cursor) {
	w.Topic.SetCursor(c)
	w.check(false)
}

// Lossy is a transport that loses the answer of the next mutation (not of
// a GET) once armed: the server applied it, the client never learns how.
type Lossy struct {
	cache.Transport
	armed atomic.Bool
}

// Arm makes the next mutation's answer lost (on), or not (off).
func (l *Lossy) Arm(on bool) { l.armed.Store(on) }

// RoundTrip implements cache.Transport.
func (l *Lossy) RoundTrip(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	resp, err := l.Transport.RoundTrip(ctx, req)
	if err == nil && req.Method != "GET" && l.armed.CompareAndSwap(true, false) {
		return nil, errors.New("answer lost")
	}
	return resp, err
}

// Plan is the faults of the n-th connection client i of the run of seed
// makes (tsync.Faults): a few duplicated, reordered, delayed and dropped
// messages, and a cut now and then.
func Plan(seed uint64, i int, n int64) tsync.FaultPlan {
	return tsync.FaultPlan{Seed: seed ^ uint64(i)<<20 ^ uint64(n)<<40,
		Duplicate: 0.05, Reorder: 0.05, Cut: 0.01, Drop: 0.01, Delay: 0.05, MaxDelay: 5 * time.Millisecond}
}

// Sleep waits d, a real delay on a real connection, or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Collect adds c's visible entities to out as JSON, by "name/id", checking
// invariant 1's visible = confirmed on each. Call it on c's graph
// goroutine.
func Collect[T any](c *store.Collection[T], name string, out map[string]string) error {
	all := c.View()
	defer all.Dispose()
	for _, id := range all.IDs() {
		v, ok := c.Get(id)
		conf, _, cok := c.Confirmed(id)
		if !ok || !cok {
			continue
		}
		vb, cb := JSON(v), JSON(conf)
		if vb != cb {
			return fmt.Errorf("%s/%s: visible %s differs from confirmed %s", name, id, vb, cb)
		}
		out[name+"/"+id] = vb
	}
	return nil
}

// Agrees is invariant 1 for client i (its sync client sc and store s), on
// their graph goroutine: live, nothing pending, and what collect finds
// visible (as Collect does, by "collection/id") is want, entity by entity.
func Agrees(i int, sc *tsync.Client, s *store.Store, collect func(out map[string]string) error, want map[string]string) error {
	if st := sc.State(); st != tsync.Live {
		return fmt.Errorf("c%d is %s", i, st)
	}
	if n := s.PendingCount(); n != 0 {
		return fmt.Errorf("c%d has %d pending", i, n)
	}
	got := map[string]string{}
	if err := collect(got); err != nil {
		return err
	}
	for k, v := range want {
		if got[k] != v {
			return fmt.Errorf("c%d has %s = %s, server %s", i, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			return fmt.Errorf("c%d still shows %s", i, k)
		}
	}
	return nil
}

// JSON is v's JSON encoding, as a string ("" if it has none).
func JSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Q is s as a JSON string: a field's value in Promises.
func Q(s string) string { return JSON(s) }
