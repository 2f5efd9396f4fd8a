package store

import (
	"context"
	gosync "sync"

	"github.com/tandemkit/tandem/pkg/state"
)

// A Pending follows one mutation from Run until the server settles it. Its
// Status and Err are tracked reads, so a component can show a spinner or an
// error; OnSettled and Wait suit code outside the graph.
type Pending struct {
	g         *state.Graph
	id        uint64
	st        Status
	status    *state.Signal[Status] // made on the first tracked read
	err       error
	callbacks []func(error)

	mu   gosync.Mutex  // guards done, which Wait may ask for from any goroutine
	done chan struct{} // made on the first Done or Wait
}

// Status is where a mutation stands.
type Status uint8

const (
	// Waiting: queued or sent, no final answer yet.
	Waiting Status = iota + 1
	// Succeeded: the server applied it (or had applied it already).
	Succeeded
	// Failed: it was invalid, or the server refused it; Err says why.
	Failed
)

func (s Status) String() string {
	switch s {
	case Waiting:
		return "waiting"
	case Succeeded:
		return "succeeded"
	case Failed:
		return "failed"
	}
	return "unknown"
}

func newPending(g *state.Graph) *Pending {
	return &Pending{g: g, st: Waiting}
}

// MutationID returns the mutation's id, or 0 if it never reached the queue
// (invalid form value).
func (p *Pending) MutationID() uint64 { return p.id }

// Status returns, tracked, where the mutation stands.
func (p *Pending) Status() Status {
	if p.status == nil {
		p.status = state.NewSignal(p.g, p.st)
	}
	return p.status.Get()
}

// Err returns, tracked, why the mutation failed: a *form.Errors for an
// invalid form value, a *MutationError for a refusal, or nil.
func (p *Pending) Err() error {
	p.Status()
	return p.err
}

// OnSettled calls fn with the outcome once the mutation settles, on the
// graph's goroutine; at once if it has settled already.
func (p *Pending) OnSettled(fn func(error)) {
	if p.st != Waiting {
		fn(p.err)
		return
	}
	p.callbacks = append(p.callbacks, fn)
}

// Done is closed when the mutation settles; it lets goroutines other than
// the graph's wait, and may be called from any goroutine.
func (p *Pending) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		p.done = make(chan struct{})
		if p.st != Waiting {
			close(p.done)
		}
	}
	return p.done
}

// Wait blocks until the mutation settles or ctx is done. It must not be
// called on the graph's goroutine, which has to run for the mutation to
// settle.
func (p *Pending) Wait(ctx context.Context) error {
	select {
	case <-p.Done():
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pending) settle(err error) {
	if p.st != Waiting {
		return
	}
	p.err = err
	st := Succeeded
	if err != nil {
		st = Failed
	}
	p.mu.Lock()
	p.st = st
	if p.done != nil {
		close(p.done)
	}
	p.mu.Unlock()
	if p.status != nil {
		p.status.Set(st)
	}
	cbs := p.callbacks
	p.callbacks = nil
	for _, fn := range cbs {
		fn(err)
	}
}
