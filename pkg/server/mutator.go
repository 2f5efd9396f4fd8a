package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A job is one mutation waiting to be committed.
type job struct {
	ctx        context.Context // the request's; values only, cancellation is ignored once queued
	principal  string          // Principal(ctx): the owner the clientID must be bound to
	clientID   string          // "" for a mutation without dedup headers
	mutationID uint64
	keys       []string // the caller's quota keys (callerKeys)
	// pre is a permanent error found before the transaction (bad body,
	// failed form, refused authorization): recorded like any other answer.
	pre error
	// run applies the mutation and returns its 2xx status and body.
	run func(tx *Tx) (status int, body []byte, err error)
	out chan outcome
}

// An outcome is the HTTP answer to a job. body is the answer as recorded;
// answer, for an error, is the full answer (with Current), which the
// request goroutine sends instead when the caller may see it.
type outcome struct {
	status int
	body   []byte
	answer *Error
	wait   time.Duration // Retry-After of a 429
}

// The mutator commits mutations in batches on one goroutine: each batch is
// one store transaction (one durable commit), each mutation inside it has its
// own savepoint, so a failing mutation is undone alone. Events are published
// only after the commit succeeded, in seq order.
type mutator struct {
	s      *Server
	jobs   chan *job
	quit   chan struct{}
	done   chan struct{}
	mu     sync.RWMutex // guards closed against submit
	closed bool
}

func newMutator(s *Server) *mutator {
	m := &mutator{s: s, jobs: make(chan *job, s.opts.MaxBatch), quit: make(chan struct{}), done: make(chan struct{})}
	go m.loop()
	return m
}

var (
	unavailable = outcome{status: http.StatusServiceUnavailable, body: (&Error{Code: wire.CodeUnavailable, Message: "server is shutting down"}).body()}
	// gone answers a request whose client went away before its mutation was
	// queued: nothing was applied, the client may retry.
	gone = outcome{status: http.StatusServiceUnavailable, body: (&Error{Code: wire.CodeUnavailable, Message: "the request was cancelled before it was queued"}).body()}
)

// submit queues j and waits for its outcome.
func (m *mutator) submit(j *job) outcome {
	j.out = make(chan outcome, 1)
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return unavailable
	}
	select {
	case m.jobs <- j:
	case <-j.ctx.Done():
		m.mu.RUnlock()
		return gone
	}
	m.mu.RUnlock()
	return <-j.out
}

func (m *mutator) close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	close(m.quit)
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server: waiting for mutations to commit: %w", ctx.Err())
	}
}

func (m *mutator) loop() {
	defer close(m.done)
	batch := make([]*job, 0, m.s.opts.MaxBatch)
	for {
		select {
		case j := <-m.jobs:
			batch = append(batch[:0], j)
		case <-m.quit:
			// submit cannot add more once closed is set; drain what is queued.
			for {
				select {
				case j := <-m.jobs:
					m.commit([]*job{j}) // one job always commits whole
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case j := <-m.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		for len(batch) > 0 {
			batch = batch[m.commit(batch):]
		}
	}
}

// commit runs the first jobs of batch in one transaction, answers them and
// returns how many it ran: all of them, unless they changed MaxChanges
// entities before the end (then the rest waits for the next transaction,
// so that no transaction holds the writer or fans out without bound).
func (m *mutator) commit(batch []*job) int {
	s := m.s
	outs := make([]outcome, len(batch))
	var events []EventRecord
	var principals []string // of each event's mutation
	n := len(batch)
	now := s.opts.Clock.Now()
	ctx := context.Background()
	err := s.store.Update(ctx, func(st WriteTx) error {
		events, principals = events[:0], principals[:0]
		n = len(batch)
		for i, j := range batch {
			if i > 0 && len(events) >= s.opts.MaxChanges {
				n = i
				break
			}
			sp := "m" + strconv.Itoa(i)
			if err := st.Savepoint(ctx, sp); err != nil {
				return err
			}
			out, evs, err := m.apply(ctx, st, sp, now, j)
			if err != nil {
				return err // the store is unusable: fail the whole batch
			}
			if err := st.Release(ctx, sp); err != nil {
				return err
			}
			outs[i] = out
			events = append(events, evs...)
			for range evs {
				principals = append(principals, j.principal)
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("mutation batch failed; nothing was committed", "err", err, "mutations", len(batch))
		for i := range outs {
			outs[i] = outcome{status: http.StatusInternalServerError, body: internalBody}
		}
		events = nil
		n = len(batch)
	}
	if len(events) > 0 {
		wev := make([]BusEvent, len(events))
		for i, ev := range events {
			if ev.isMark() {
				wev[i] = BusEvent{Event: wire.Event{Topic: ev.Topic}, Access: ev.Access, Reauthorize: true}
				continue
			}
			// The hub strips origin per session.
			wev[i] = BusEvent{Event: toWireEvent(ev, s.epoch(ev.Topic), true), Principal: principals[i], Access: ev.Access}
		}
		s.opts.Bus.Publish(wev)
	}
	for i, j := range batch[:n] {
		j.out <- outs[i]
	}
	return n
}

// apply runs one job inside the batch transaction. A returned error means
// the store failed and the batch must roll back; every other failure is an
// outcome.
//
// The dedup record of a clientID belongs to the principal of the first
// mutation recorded for it: another principal gets 403, which is not
// recorded and reveals nothing of the owner's answers.
func (m *mutator) apply(ctx context.Context, st WriteTx, sp string, now time.Time, j *job) (out outcome, evs []EventRecord, err error) {
	s := m.s
	if j.clientID != "" {
		cl, bound, err := st.Client(ctx, j.clientID)
		if err != nil {
			return outcome{}, nil, err
		}
		if bound && cl.Principal != j.principal {
			e := &Error{Status: http.StatusForbidden, Code: wire.CodeForbidden,
				Message: wire.HeaderClientID + " belongs to another principal: use a clientID of your own"}
			return outcome{status: e.Status, body: e.body()}, nil, nil
		}
		stored, found, err := st.Response(ctx, j.clientID, j.mutationID)
		if err != nil {
			return outcome{}, nil, err
		}
		if found {
			return outcome{status: stored.Status, body: markDuplicate(stored.Body)}, nil, nil
		}
		if !bound {
			// This mutation would create a dedup record: a new clientID.
			if ok, wait := s.quota.newClients.take(j.keys, 1); !ok {
				e := rateLimited("too many new clientIDs from this caller: retry later")
				return outcome{status: e.Status, body: e.body(), wait: wait}, nil, nil
			}
		}
		lmid := cl.LastMutationID
		if j.mutationID <= lmid {
			e := &Error{Status: http.StatusConflict, Code: wire.CodeProcessed,
				Message: fmt.Sprintf("mutation %d was already processed (last processed: %d) and its answer is no longer stored", j.mutationID, lmid)}
			return outcome{status: e.Status, body: e.body()}, nil, nil
		}
	}

	failure := j.pre
	if failure == nil {
		tx := &Tx{s: s, st: guardedTx{st}, ctx: context.WithoutCancel(j.ctx), now: now, events: &evs}
		if j.clientID != "" {
			tx.origin = &wire.Origin{ClientID: j.clientID, MutationID: j.mutationID}
		}
		out, failure = m.run(tx, j)
		if tx.overLimit {
			failure = tooManyChanges(s.opts.MaxChanges)
		}
	}
	if failure != nil {
		if rbErr := st.RollbackTo(ctx, sp); rbErr != nil {
			return outcome{}, nil, rbErr
		}
		evs = nil
		he := mutationError(failure)
		if he == nil || he.Status >= 500 {
			s.log.Error("mutation failed; not recorded, the client retries", "err", failure, "clientID", j.clientID, "mutationID", j.mutationID)
			if he == nil {
				return outcome{status: http.StatusInternalServerError, body: internalBody}, nil, nil
			}
		} else if pe := (*panicError)(nil); errors.As(failure, &pe) {
			s.log.Error("panic in a mutation; rejected and recorded", "err", failure, "clientID", j.clientID, "mutationID", j.mutationID)
		} else if he.cause != nil {
			s.log.Info("mutation rejected by a hook", "err", he.cause, "clientID", j.clientID, "mutationID", j.mutationID)
		}
		out = outcome{status: he.Status, body: he.recordedBody(), answer: he}
		if !he.recorded() {
			return out, nil, nil
		}
	}
	if j.clientID != "" {
		if err := st.SaveResponse(ctx, j.clientID, j.principal, j.mutationID, StoredResponse{Status: out.status, Body: out.body}, s.opts.ResponseRetention, now); err != nil {
			return outcome{}, nil, err
		}
		s.quota.dedupBytes.debit(j.keys, float64(len(out.body)))
	}
	return out, evs, nil
}

// run calls j.run, turning a panic into a panicError.
func (m *mutator) run(tx *Tx, j *job) (out outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p, stack: debug.Stack()}
		}
	}()
	status, body, err := j.run(tx)
	return outcome{status: status, body: body}, err
}

// markDuplicate sets "duplicate":true in a stored JSON answer, keeping its
// field order: success bodies end with "duplicate":false, error bodies have
// no duplicate field.
func markDuplicate(body []byte) []byte {
	b := bytes.TrimSpace(body)
	const falseTail = `"duplicate":false}`
	if bytes.HasSuffix(b, []byte(falseTail)) {
		out := append([]byte(nil), b[:len(b)-len("false}")]...)
		return append(out, "true}"...)
	}
	if len(b) > 2 && b[0] == '{' && b[len(b)-1] == '}' && !bytes.Contains(b, []byte(`"duplicate"`)) {
		out := append([]byte(nil), b[:len(b)-1]...)
		return append(out, `,"duplicate":true}`...)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return body
	}
	m["duplicate"] = json.RawMessage("true")
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
