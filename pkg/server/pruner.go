package server

import (
	"context"
	"sync"
	"time"
)

const (
	// pruneEvery is how often the pruner looks for expired dedup records.
	pruneEvery = time.Hour
	// pruneChunk is the most clients one pruning transaction deletes: a
	// commit waits for one chunk at most, never for the whole backlog.
	pruneChunk = 500
)

// The pruner deletes the dedup records of clients idle for ClientRetention,
// and the events older than RetentionAge if set, once an hour (or every
// RetentionAge/4), on its own goroutine and in chunks of pruneChunk clients
// or events, each chunk its own transaction: pruning never runs on the
// commit path, and a backlog of any size delays a commit by one short chunk
// at most.
type pruner struct {
	s     *Server
	every time.Duration

	mu      sync.Mutex
	stopped bool
	stop    func() bool // the armed timer
	running sync.WaitGroup
}

func newPruner(s *Server) *pruner {
	p := &pruner{s: s, every: pruneEvery}
	if age := s.opts.RetentionAge; age > 0 {
		p.every = min(max(age/4, time.Second), pruneEvery)
	}
	p.mu.Lock()
	p.stop = s.opts.Clock.AfterFunc(p.every, p.tick)
	p.mu.Unlock()
	return p
}

func (p *pruner) tick() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.running.Add(1)
	p.mu.Unlock()
	defer p.running.Done()
	p.prune()
	if p.s.opts.RetentionAge > 0 {
		p.pruneEvents()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stop = p.s.opts.Clock.AfterFunc(p.every, p.tick)
	}
}

// prune deletes every expired record, chunk by chunk, until a chunk comes
// back short, the server stops, or a chunk fails (then it tries again at
// the next tick).
func (p *pruner) prune() {
	s := p.s
	before := s.opts.Clock.Now().Add(-s.opts.ClientRetention)
	total := 0
	for {
		p.mu.Lock()
		stopped := p.stopped
		p.mu.Unlock()
		if stopped {
			break
		}
		var n int
		err := s.store.Update(context.Background(), func(tx WriteTx) error {
			var err error
			n, err = tx.PruneClients(context.Background(), before, pruneChunk)
			return err
		})
		if err != nil {
			s.log.Error("pruning dedup records failed; retrying in an hour", "err", err)
			break
		}
		total += n
		if n < pruneChunk {
			break
		}
	}
	if total > 0 {
		s.log.Info("pruned dedup records of inactive clients", "clients", total)
	}
}

func (p *pruner) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// pruneEvents drops, topic by topic, the events committed before
// RetentionAge ago: the run of them at the start of the log, so that what
// stays is contiguous (an event of another instance whose clock ran ahead
// ends the run early; it goes at a later tick). It reads pruneChunk events
// at a time in a View and drops them in a short Update.
func (p *pruner) pruneEvents() {
	s := p.s
	ctx := context.Background()
	cutoff := s.opts.Clock.Now().Add(-s.opts.RetentionAge).UnixMilli()
	total := 0
	for topic := range p.topics() {
		for !p.isStopped() {
			var evs []EventRecord
			err := s.store.View(ctx, func(rt ReadTx) error {
				var err error
				evs, err = rt.Events(ctx, topic, 0, pruneChunk)
				return err
			})
			n := 0
			for n < len(evs) && evs[n].TS < cutoff {
				n++
			}
			if err == nil && n > 0 {
				err = s.store.Update(ctx, func(tx WriteTx) error { return tx.DropEvents(ctx, topic, evs[n-1].Seq) })
			}
			if err != nil {
				s.log.Error("dropping old events failed; retrying at the next prune", "topic", topic, "err", err)
				return
			}
			total += n
			if n < pruneChunk {
				break
			}
		}
	}
	if total > 0 {
		s.log.Info("dropped events older than RetentionAge", "events", total)
	}
}

// topics yields the names of every topic in the store, partitions'
// included, read a page at a time; a failed read ends it (logged: the next
// prune tries again).
func (p *pruner) topics() func(yield func(string) bool) {
	return func(yield func(string) bool) {
		ctx := context.Background()
		for after := ""; !p.isStopped(); {
			var names []string
			err := p.s.store.View(ctx, func(rt ReadTx) error {
				var err error
				names, err = rt.Topics(ctx, after, pruneChunk)
				return err
			})
			if err != nil {
				p.s.log.Error("listing topics to drop old events failed; retrying at the next prune", "err", err)
				return
			}
			for _, name := range names {
				if !yield(name) {
					return
				}
			}
			if len(names) < pruneChunk {
				return
			}
			after = names[len(names)-1]
		}
	}
}

// close stops the pruner and waits for a prune under way to end its
// chunk, or for ctx.
func (p *pruner) close(ctx context.Context) error {
	p.mu.Lock()
	p.stopped = true
	p.stop()
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.running.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
