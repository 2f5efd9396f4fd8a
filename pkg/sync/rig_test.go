package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/cache/cachetest"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}

type Todo struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// rig is a Client over in-memory pipes, with the test playing the server,
// a fake clock, and a graph whose work queues until the test drains it. It
// runs inside a synctest bubble.
type rig struct {
	t      *testing.T
	g      *state.Graph
	sched  *cachetest.Scheduler
	clock  *cachetest.Clock
	s      *store.Store
	todos  *store.Collection[Todo]
	lists  *store.Collection[Todo]
	c      *Client
	conns  chan Conn // the server ends of dialed pipes
	closes []wire.CloseCode
	errs   []error
	rest   *restFake
}

// recordingConn notes the close codes the client sends.
type recordingConn struct {
	Conn
	r *rig
}

func (c recordingConn) Close(code wire.CloseCode, reason string) error {
	c.r.closes = append(c.r.closes, code)
	return c.Conn.Close(code, reason)
}

func newRig(t *testing.T, mutate ...func(*Options)) *rig {
	t.Helper()
	r := &rig{t: t, sched: &cachetest.Scheduler{}, clock: cachetest.NewClock(time.Unix(1_700_000_000, 0)),
		conns: make(chan Conn, 16), rest: &restFake{reqs: make(chan *restCall, 64)}}
	r.g = state.NewGraph(state.WithScheduler(r.sched.Schedule))
	var err error
	r.s, err = store.New(store.Options{Graph: r.g, Transport: r.rest, Clock: r.clock, ClientID: "0123456789abcdef0123456789abcdef",
		RetryBase: 10 * time.Second, RetryCap: 10 * time.Second})
	require.NoError(t, err)
	r.todos, err = store.NewCollection(r.s, store.CollectionOptions[Todo, Todo]{Name: "todos", Codec: store.Identity[Todo]()})
	require.NoError(t, err)
	r.lists, err = store.NewCollection(r.s, store.CollectionOptions[Todo, Todo]{Name: "lists", Codec: store.Identity[Todo]()})
	require.NoError(t, err)
	opts := Options{Store: r.s, URL: "ws://test/api/ws", Clock: r.clock, Seed: 1,
		Dial: func(ctx context.Context, url string) (Conn, error) {
			a, b := Pipe()
			r.conns <- b
			return recordingConn{a, r}, nil
		},
		OnError: func(err error) { r.errs = append(r.errs, err) }}
	for _, m := range mutate {
		m(&opts)
	}
	r.c, err = New(opts)
	require.NoError(t, err) // it follows every collection of the store
	t.Cleanup(func() {
		r.c.Stop()
		r.s.Close()
		r.settle()
		for {
			select {
			case srv := <-r.conns:
				_ = srv.Close(wire.CloseNormal, "")
			case call := <-r.rest.reqs:
				call.resp <- restResult{err: context.Canceled}
			default:
				r.settle()
				return
			}
		}
	})
	return r
}

func inBubble(t *testing.T, fn func(t *testing.T)) { synctest.Test(t, fn) }

func (r *rig) settle() {
	for {
		synctest.Wait()
		if r.sched.Drain() == 0 {
			return
		}
	}
}

// accept returns the server end of the connection the client just dialed.
func (r *rig) accept() Conn {
	r.t.Helper()
	r.settle()
	select {
	case c := <-r.conns:
		return c
	default:
		r.t.Fatal("the client did not dial")
		return nil
	}
}

// recv returns the next message the client sent on srv.
func (r *rig) recv(srv Conn) wire.ClientMessage {
	r.t.Helper()
	r.settle()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := srv.Read(ctx)
	require.NoError(r.t, err, "no message from the client")
	m, err := wire.DecodeClientMessage(b)
	require.NoError(r.t, err)
	return m
}

// quiet asserts the client sent nothing more on srv.
func (r *rig) quiet(srv Conn) {
	r.t.Helper()
	r.settle()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := srv.Read(ctx)
	if err == nil {
		r.t.Fatalf("unexpected client message %s", b)
	}
}

func (r *rig) send(srv Conn, m wire.ServerMessage) {
	r.t.Helper()
	b, err := wire.EncodeServerMessage(m)
	require.NoError(r.t, err)
	require.NoError(r.t, srv.Write(context.Background(), b))
	r.settle()
}

// connect starts the client and plays the server's handshake up to the
// subscriptions, which it returns by topic.
func (r *rig) connect(lastMutationID uint64) (Conn, map[string]wire.Sub) {
	r.t.Helper()
	if !r.c.running {
		r.c.Start()
	}
	return r.handshake(lastMutationID, 2)
}

// reconnect has the server close srv, lets the client's reconnect delay
// pass, and plays the handshake of the next connection up to its n
// subscriptions, which it returns by topic.
func (r *rig) reconnect(srv Conn, n int) (Conn, map[string]wire.Sub) {
	r.t.Helper()
	require.NoError(r.t, srv.Close(wire.CloseGoingAway, "restart"))
	r.settle()
	r.clock.Advance(r.c.opts.ReconnectCap)
	return r.handshake(0, n)
}

// handshake accepts the client's next connection and answers its hello,
// then reads its n subscriptions.
func (r *rig) handshake(lastMutationID uint64, n int) (Conn, map[string]wire.Sub) {
	r.t.Helper()
	srv := r.accept()
	hello, ok := r.recv(srv).(wire.Hello)
	require.True(r.t, ok, "hello first")
	require.Equal(r.t, r.s.ClientID(), hello.ClientID)
	r.send(srv, wire.Welcome{V: 1, HbMs: 1000, MaxMsg: 4096, LastMutationID: lastMutationID})
	subs := map[string]wire.Sub{}
	for range n {
		sub, ok := r.recv(srv).(wire.Sub)
		require.True(r.t, ok)
		subs[sub.Topic] = sub
	}
	return srv, subs
}

// goLive answers every subscription with an empty snapshot at epoch e1,
// seq 0, then live.
func (r *rig) goLive(srv Conn, subs map[string]wire.Sub) {
	for topic := range subs {
		r.send(srv, wire.Snapshot{Topic: topic, Epoch: "e1", Seq: 0, Part: 0, Last: true, Items: []wire.Item{}})
		r.send(srv, wire.Live{Topic: topic, Epoch: "e1", Seq: 0})
	}
}

func ev(topic string, seq uint64, id, title string) wire.Event {
	data, _ := json.Marshal(Todo{ID: id, Title: title})
	return wire.Event{Topic: topic, Epoch: "e1", Seq: seq, Prev: seq - 1, ID: id, Op: wire.OpUpdate, Version: seq, Data: data, TS: 1}
}

func itm(id, title string, version uint64) wire.Item {
	data, _ := json.Marshal(Todo{ID: id, Title: title})
	return wire.Item{ID: id, Version: version, Data: data}
}

func (r *rig) title(id string) string {
	v, ok := r.todos.Get(id)
	if !ok {
		return "<absent>"
	}
	return v.Title
}

// restFake holds the store's REST calls for the test to answer.
type restFake struct {
	reqs chan *restCall
}

type restCall struct {
	req  *cache.Request
	resp chan restResult
}

type restResult struct {
	resp *cache.Response
	err  error
}

func (f *restFake) RoundTrip(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	call := &restCall{req: req, resp: make(chan restResult, 1)}
	select {
	case f.reqs <- call:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-call.resp:
		return res.resp, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *rig) restCall() *restCall {
	r.t.Helper()
	r.settle()
	select {
	case c := <-r.rest.reqs:
		return c
	default:
		r.t.Fatal("no REST call")
		return nil
	}
}

func (r *rig) noRestCall() {
	r.t.Helper()
	r.settle()
	select {
	case c := <-r.rest.reqs:
		r.t.Fatalf("unexpected REST call %s %s", c.req.Method, c.req.URL)
	default:
	}
}

func (r *rig) answer(call *restCall, status int, body any) {
	b, _ := json.Marshal(body)
	call.resp <- restResult{resp: &cache.Response{Status: status, Body: b}}
	r.settle()
}

func mutationID(call *restCall) uint64 {
	var id uint64
	fmt.Sscan(call.req.Header[wire.HeaderMutationID], &id)
	return id
}
