package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

// requestTimeout bounds one attempt of a mutation request; a request that
// takes longer is cancelled and retried like a network error.
const requestTimeout = 30 * time.Second

// An outItem is one mutation in the outbox: everything needed to send it
// again, after a retry or a reload.
type outItem struct {
	ClientID   string          `json:"clientID"` // the runtime that made it; see Store.ClientID
	MutationID uint64          `json:"mutationID"`
	Collection string          `json:"collection"`
	Kind       opKind          `json:"kind"`
	ID         string          `json:"id"`
	Body       json.RawMessage `json:"body,omitempty"`
	Fields     []string        `json:"fields,omitempty"`
	IfMatch    bool            `json:"ifMatch,omitempty"` // send If-Match with the version confirmed at send time
	Optimistic bool            `json:"optimistic"`

	attempts     int
	serverErrors int
	settle       func(error)                     // the caller's; nil for a mutation restored from storage
	encode       func() (json.RawMessage, error) // makes Body when first needed (see body)
}

// body returns the request body, encoding it on first use: a patch made on
// every keystroke is encoded only when it is sent or saved.
func (it *outItem) body() (json.RawMessage, error) {
	if it.encode != nil {
		b, err := it.encode()
		if err != nil {
			return nil, err
		}
		it.Body, it.encode = b, nil
	}
	return it.Body, nil
}

// outbox sends mutations in mutationID order, one at a time: mutation N+1
// leaves only after N has settled (PROTOCOL.md §4, B11). Temporary failures
// retry the same mutationID with backoff (B10).
type outbox struct {
	s        *Store
	queue    []*outItem // in mutationID order; queue[0] is in flight when sending
	sending  bool
	gen      uint64      // bumped when the head is abandoned; late answers are ignored
	stop     func() bool // cancels the retry timer
	cancelRT func()      // cancels the request in flight
}

// enqueue adds a new mutation and sends it if nothing is in flight.
func (o *outbox) enqueue(it *outItem) {
	o.queue = append(o.queue, it)
	o.s.pendingCount.Set(len(o.queue))
	o.s.changedOutbox()
	o.s.save()
	o.pump()
}

// pump sends the head of the queue unless something is in flight. A head
// restored from storage waits until its collection is registered, which
// decodes its answer.
func (o *outbox) pump() {
	if o.sending || len(o.queue) == 0 || o.s.closed || o.s.colls[o.queue[0].Collection] == nil {
		return
	}
	o.sending = true
	o.send(o.queue[0])
}

func (o *outbox) send(it *outItem) {
	s := o.s
	req, err := s.request(it)
	if err != nil {
		// A body that cannot be encoded, or a corrupted restored item: it
		// must not block the queue.
		if c := s.colls[it.Collection]; c != nil {
			c.drop(it)
		}
		o.settled(it, fmt.Errorf("store: mutation %d: %w", it.MutationID, err))
		return
	}
	gen := o.gen
	ctx, cancel := context.WithCancel(context.Background())
	o.cancelRT = cancel
	s.changedOutbox()
	stopTimeout := s.clock.AfterFunc(requestTimeout, cancel)
	go func() {
		resp, err := s.transport.RoundTrip(ctx, req)
		stopTimeout()
		cancel()
		s.g.Schedule(func() { o.answered(it, gen, resp, err) })
	}()
}

// request builds the HTTP request of a mutation.
func (s *Store) request(it *outItem) (*cache.Request, error) {
	u := s.baseURL + "/" + pathEscape(it.Collection)
	req := &cache.Request{Header: map[string]string{
		wire.HeaderClientID:   it.ClientID,
		wire.HeaderMutationID: strconv.FormatUint(it.MutationID, 10),
	}}
	for k, v := range s.header {
		req.Header[k] = v
	}
	body, err := it.body()
	if err != nil {
		return nil, err
	}
	switch it.Kind {
	case opCreate:
		req.Method, req.URL, req.Body = "POST", u, body
	case opPatch:
		req.Method, req.URL, req.Body = "PATCH", u+"/"+pathEscape(it.ID), body
	case opDelete:
		req.Method, req.URL = "DELETE", u+"/"+pathEscape(it.ID)
	default:
		return nil, fmt.Errorf("unknown operation %d", it.Kind)
	}
	if req.Body != nil {
		req.Header["Content-Type"] = "application/json"
	}
	if it.IfMatch && it.Kind != opCreate {
		// Known only now: a mutation queued behind another on the same
		// entity must match the version that one will have confirmed.
		if c := s.colls[it.Collection]; c != nil {
			if v := c.version(it.ID); v > 0 {
				req.Header[wire.HeaderIfMatch] = wire.FormatETag(v)
			}
		}
	}
	return req, nil
}

// answered handles the answer to an attempt of it, on the graph's goroutine.
func (o *outbox) answered(it *outItem, gen uint64, resp *cache.Response, err error) {
	if gen != o.gen || len(o.queue) == 0 || o.queue[0] != it {
		return // abandoned: acknowledged or dropped meanwhile
	}
	o.cancelRT = nil
	s := o.s
	if resp != nil && resp.Status >= 500 {
		it.serverErrors++
	}
	// Not recorded by the server, so safe to send again: network errors,
	// 408, 429 and 5xx (PROTOCOL.md §2; pkg/wire's protocol decisions).
	if err != nil || !wire.IsPermanentStatus(resp.Status) && (resp.Status < 500 || it.serverErrors < s.maxServer) {
		o.retry(it)
		return
	}
	c := s.colls[it.Collection]
	if resp.Status >= 200 && resp.Status < 300 {
		item, epoch, mid, derr := decodeAnswer(it.Kind, resp.Body)
		if derr == nil && (item.ID != it.ID || mid != 0 && mid != it.MutationID) {
			derr = fmt.Errorf("the answer is about %s (mutation %d)", item.ID, mid)
		}
		if derr != nil {
			// The server applied it but its answer is unreadable: drop the
			// pending entry and let the next refetch or event bring the truth.
			err := fmt.Errorf("store: mutation %d: reading the answer: %w", it.MutationID, derr)
			s.report(err)
			if c != nil {
				c.drop(it)
			}
			o.settled(it, err)
			return
		}
		// One store operation: the mutation's OnSettled callbacks run
		// before its answer shows, and may open the partition it landed
		// in (settleAnswers).
		s.Batch(func() {
			if c != nil {
				c.confirm(it, item, epoch)
			}
			o.settled(it, nil)
		})
		return
	}
	var body *wire.ErrorBody
	if er, derr := wire.DecodeErrorResponse(resp.Body); derr == nil {
		body = &er.Error
	} else {
		body = &wire.ErrorBody{Code: codeForStatus(resp.Status), Message: fmt.Sprintf("HTTP %d", resp.Status)}
	}
	merr := &MutationError{MutationID: it.MutationID, Status: resp.Status, Body: *body}
	if c != nil {
		c.reject(it, body.Current)
	}
	s.rolledBack(it, merr)
	o.settled(it, merr)
}

// decodeAnswer reads a 2xx mutation answer as an Item, the epoch of its
// topic ("" if the server did not say) and the mutationID it answers.
func decodeAnswer(kind opKind, body []byte) (wire.Item, string, uint64, error) {
	if kind == opDelete {
		r, err := wire.DecodeDeleteResponse(body)
		if err != nil {
			return wire.Item{}, "", 0, err
		}
		return r.Item(), r.Epoch, r.MutationID, nil
	}
	r, err := wire.DecodeMutationResponse(body)
	if err != nil {
		return wire.Item{}, "", 0, err
	}
	return r.Item(), r.Epoch, r.MutationID, nil
}

func codeForStatus(status int) string {
	switch status {
	case 400:
		return wire.CodeBadRequest
	case 401:
		return wire.CodeUnauthorized
	case 403:
		return wire.CodeForbidden
	case 404:
		return wire.CodeNotFound
	case 409:
		return wire.CodeConflict
	case 413:
		return wire.CodeTooLarge
	case 422:
		return wire.CodeInvalid
	}
	return "http_" + strconv.Itoa(status)
}

// retry schedules another attempt of the head after a full-jitter backoff.
func (o *outbox) retry(it *outItem) {
	s := o.s
	delay := cache.FullJitter(rand.Float64, s.retryBase, s.retryCap, it.attempts)
	it.attempts++
	gen := o.gen
	defer s.changedOutbox()
	o.stop = s.clock.AfterFunc(delay, func() {
		s.g.Schedule(func() {
			if gen == o.gen && len(o.queue) > 0 && o.queue[0] == it && o.stop != nil {
				o.stop = nil
				o.send(it)
			}
		})
	})
}

// halt abandons the attempt in flight and any retry timer.
func (o *outbox) halt() {
	o.gen++
	o.sending = false
	if o.stop != nil {
		o.stop()
		o.stop = nil
	}
	if o.cancelRT != nil {
		o.cancelRT()
		o.cancelRT = nil
	}
}

// resume sends a head waiting for its backoff at once.
func (o *outbox) resume() {
	if o.s.closed {
		return
	}
	if o.stop != nil && len(o.queue) > 0 {
		if o.stop() {
			o.stop = nil
			o.send(o.queue[0])
		}
		return
	}
	o.pump()
}

// settled removes the head after its final answer and sends the next.
func (o *outbox) settled(it *outItem, err error) {
	o.queue[0] = nil
	o.queue = o.queue[1:]
	o.sending = false
	o.s.pendingCount.Set(len(o.queue))
	o.s.changedOutbox()
	o.s.save()
	if it.settle != nil {
		it.settle(err)
	}
	o.pump()
}

// acknowledge drops every mutation up to mutationID, which the server has
// processed already. A covered head whose request is still in flight stays:
// its answer, or the server's stored copy of it on a retry, will tell how it
// went, which is better than not knowing.
func (o *outbox) acknowledge(mutationID uint64) {
	// Mutations of earlier runtimes, restored from storage, come first and
	// are not this clientID's: their answers settle them.
	start := 0
	for start < len(o.queue) && o.queue[start].ClientID != o.s.clientID {
		start++
	}
	n := start
	for n < len(o.queue) && o.queue[n].MutationID <= mutationID {
		n++
	}
	if n == start {
		return
	}
	if start == 0 && o.sending {
		if o.cancelRT != nil {
			start = 1 // in flight: wait for its answer
		} else {
			o.halt() // waiting to retry: forget its attempt
		}
	}
	if start == n {
		return
	}
	done := slices.Clone(o.queue[start:n])
	o.queue = slices.Delete(o.queue, start, n)
	o.s.pendingCount.Set(len(o.queue))
	o.s.changedOutbox()
	o.s.save()
	for _, it := range done {
		if c := o.s.colls[it.Collection]; c != nil {
			c.drop(it)
		}
	}
	for _, it := range done {
		if it.settle != nil {
			it.settle(ErrOutcomeUnknown)
		}
	}
	o.pump()
}

// echo settles mutation (clientID, mutationID), whose echo for its own
// entity arrived.
func (o *outbox) echo(clientID string, mutationID uint64, collection, id string) {
	i := slices.IndexFunc(o.queue, func(it *outItem) bool { return it.ClientID == clientID && it.MutationID == mutationID })
	if i < 0 {
		return
	}
	it := o.queue[i]
	if it.Collection != collection || it.ID != id {
		return // another entity of a cascade: its own echo or answer will come
	}
	if i == 0 && o.sending {
		o.halt() // the event carried the authoritative object already
	}
	o.queue = slices.Delete(o.queue, i, i+1)
	o.s.pendingCount.Set(len(o.queue))
	o.s.changedOutbox()
	o.s.save()
	if c := o.s.colls[it.Collection]; c != nil {
		c.drop(it)
	}
	if it.settle != nil {
		it.settle(nil)
	}
	o.pump()
}

// A MutationError is a mutation the server refused for good (PROTOCOL.md §2):
// 400, 401, 403, 404, 409, 413, 422. For a 422, Body.Fields holds a message
// per field from the same form schema the client validated with.
type MutationError struct {
	MutationID uint64
	Status     int
	Body       wire.ErrorBody
}

func (e *MutationError) Error() string {
	return fmt.Sprintf("store: mutation %d refused (%d): %s", e.MutationID, e.Status, e.Body.Error())
}

// Unwrap returns the server's error body.
func (e *MutationError) Unwrap() error { return &e.Body }

// Fields returns the per-field messages of a 422, or nil.
func (e *MutationError) Fields() map[string]string { return e.Body.Fields }

// IsConflict reports whether err is a refusal because the entity changed or
// was deleted meanwhile (409).
func IsConflict(err error) bool {
	var me *MutationError
	return errors.As(err, &me) && me.Status == 409
}
