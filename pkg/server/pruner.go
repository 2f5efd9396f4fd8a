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
// once an hour, on its own goroutine and in chunks of pruneChunk clients,
// each chunk its own transaction: pruning never runs on the commit path,
// and a backlog of any size delays a commit by one short chunk at most.
type pruner struct {
	s *Server

	mu      sync.Mutex
	stopped bool
	stop    func() bool // the armed timer
	running sync.WaitGroup
}

func newPruner(s *Server) *pruner {
	p := &pruner{s: s}
	p.mu.Lock()
	p.stop = s.opts.Clock.AfterFunc(pruneEvery, p.tick)
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stop = p.s.opts.Clock.AfterFunc(pruneEvery, p.tick)
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
