package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/cache/cachetest"
	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}

// Todo is the demo entity, as the server sends it and as the UI uses it.
type Todo struct {
	ID        string  `json:"id"`
	ListID    string  `json:"listId"`
	Title     string  `json:"title"`
	Done      bool    `json:"done"`
	Position  float64 `json:"position"`
	UpdatedAt string  `json:"updatedAt,omitempty"`
}

var todoSchema = form.New(
	form.String("id", func(t *Todo) *string { return &t.ID }).Required(),
	form.String("listId", func(t *Todo) *string { return &t.ListID }).Required(),
	form.String("title", func(t *Todo) *string { return &t.Title }).Required().Length(1, 200),
	form.Float("position", func(t *Todo) *float64 { return &t.Position }).Min(0),
)

var renameSchema = todoSchema.Pick("id", "title")

// exchange is one request the fake transport received, waiting for its
// answer.
type exchange struct {
	req  *cache.Request
	resp chan exchangeResult
}

type exchangeResult struct {
	resp *cache.Response
	err  error
}

// fakeTransport hands every request to the test, which answers it.
type fakeTransport struct {
	reqs chan *exchange
}

func (f *fakeTransport) RoundTrip(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	ex := &exchange{req: req, resp: make(chan exchangeResult, 1)}
	select {
	case f.reqs <- ex:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-ex.resp:
		return r.resp, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// harness is a store with one todos collection over a fake transport, a fake
// clock and a graph whose scheduler queues work until the test drains it.
// Tests run inside a synctest bubble, so "every goroutine is blocked" is an
// observable moment.
type harness struct {
	t     *testing.T
	g     *state.Graph
	sched *cachetest.Scheduler
	clock *cachetest.Clock
	tr    *fakeTransport
	s     *Store
	todos *Collection[Todo]
	errs  []error
	seq   uint64
}

func newHarness(t *testing.T, opts ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, sched: &cachetest.Scheduler{}, clock: cachetest.NewClock(time.Unix(1_700_000_000, 0)),
		tr: &fakeTransport{reqs: make(chan *exchange, 64)}}
	h.g = state.NewGraph(state.WithScheduler(h.sched.Schedule), state.WithErrorHandler(func(err error) { h.errs = append(h.errs, err) }))
	o := Options{Graph: h.g, Transport: h.tr, Clock: h.clock, ClientID: "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1", OnError: func(err error) { h.errs = append(h.errs, err) }}
	for _, fn := range opts {
		fn(&o)
	}
	s, err := New(o)
	require.NoError(t, err)
	h.s = s
	h.todos, err = NewCollection(s, CollectionOptions[Todo, Todo]{Name: "todos", Codec: Identity[Todo]()})
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Close()
		h.drainRequests()
	})
	return h
}

// inBubble runs fn in a synctest bubble.
func inBubble(t *testing.T, fn func(t *testing.T)) {
	synctest.Test(t, fn)
}

// settle lets every goroutine run until blocked, then runs what they handed
// to the graph, until nothing is left.
func (h *harness) settle() {
	for {
		synctest.Wait()
		if h.sched.Drain() == 0 {
			return
		}
	}
}

// next returns the request the transport is holding, failing if there is
// none.
func (h *harness) next() *exchange {
	h.t.Helper()
	h.settle()
	select {
	case ex := <-h.tr.reqs:
		return ex
	default:
		h.t.Fatal("no request in flight")
		return nil
	}
}

// none asserts that no request is in flight.
func (h *harness) none() {
	h.t.Helper()
	h.settle()
	select {
	case ex := <-h.tr.reqs:
		h.t.Fatalf("unexpected request %s %s", ex.req.Method, ex.req.URL)
	default:
	}
}

func (h *harness) reply(ex *exchange, status int, body any) {
	h.t.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(h.t, err)
	}
	ex.resp <- exchangeResult{resp: &cache.Response{Status: status, Body: b}}
	h.settle()
}

func (h *harness) fail(ex *exchange, err error) {
	ex.resp <- exchangeResult{err: err}
	h.settle()
}

// drainRequests answers whatever is still waiting, so no goroutine outlives
// the test.
func (h *harness) drainRequests() {
	for {
		select {
		case ex := <-h.tr.reqs:
			ex.resp <- exchangeResult{err: context.Canceled}
		default:
			return
		}
	}
}

// confirmOf answers a create or patch with the full object at the next
// server version.
func (h *harness) confirmOf(ex *exchange, t Todo) wire.MutationResponse {
	h.seq++
	data, _ := json.Marshal(t)
	mid := mutationIDOf(ex)
	return wire.MutationResponse{ID: t.ID, Version: h.seq, Data: data, Topic: "todos", Seq: h.seq, MutationID: mid}
}

func mutationIDOf(ex *exchange) uint64 {
	var mid uint64
	fmt.Sscan(ex.req.Header[wire.HeaderMutationID], &mid)
	return mid
}

// item is a server object at a version.
func item(t Todo, version uint64) wire.Item {
	data, _ := json.Marshal(t)
	return wire.Item{ID: t.ID, Version: version, Data: data}
}

func errorBody(code, msg string, fields map[string]string) wire.ErrorResponse {
	return wire.ErrorResponse{Error: wire.ErrorBody{Code: code, Message: msg, Fields: fields}}
}

// mutations of the demo.
func createTodo(c *Collection[Todo]) *Mutation[Todo] {
	return NewMutation(c, todoSchema, func(in Todo) Op[Todo] { return Create(in.ID, in) })
}

func renameTodo(c *Collection[Todo]) *Mutation[Todo] {
	return NewMutation(c, renameSchema, func(in Todo) Op[Todo] {
		return Patch(in.ID, func(t *Todo) { t.Title = in.Title }, "title")
	})
}

func toggleTodo(c *Collection[Todo]) *Mutation[string] {
	return NewMutation(c, nil, func(id string) Op[Todo] {
		return Patch(id, func(t *Todo) { t.Done = !t.Done }, "done")
	})
}

func deleteTodo(c *Collection[Todo]) *Mutation[string] {
	return NewMutation(c, nil, func(id string) Op[Todo] { return Delete[Todo](id) })
}

// visible returns what the user sees of id.
func (h *harness) visible(id string) (Todo, bool) { return h.todos.Get(id) }

func bodyJSON(t *testing.T, ex *exchange) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(ex.req.Body, &m))
	return m
}

func pathOf(ex *exchange) string { return ex.req.Method + " " + strings.TrimPrefix(ex.req.URL, "/api") }
