//go:build !js

package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	tsync "github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/wire"
)

// B36–B38: K clients — the real store and reconciler, natively — against the
// real pkg/server on loopback, through fault-injecting connections, with
// random creates, patches and deletes, lost REST answers, cut connections and
// a server restart that resets the epoch. After quiescence, invariants 1–5.
//
// A trace is generated from a seed before it runs; its steps run one after
// the other (each mutation settles before the next starts), so the server's
// history, and therefore the final state every client must reach, is a
// function of the trace. Delivery to the other clients stays asynchronous
// and faulty. A failing seed is printed; TANDEM_SEED=<seed> replays it, and
// the failure is shrunk to a shorter trace that still fails.
//
// TANDEM_SEEDS sets how many seeds run (200 by default; make soak runs
// 10,000).

type stepKind uint8

const (
	createList stepKind = iota
	createTodo
	renameTodo
	toggleTodo
	deleteTodo
	deleteList
	loseAnswer
	cutConn
	restartServer
)

var kindNames = [...]string{"create list", "create todo", "rename todo", "toggle todo", "delete todo", "delete list", "lose next answer", "cut connection", "restart server (new epoch)"}

type step struct {
	kind   stepKind
	client int
	pick   int    // which live list or todo, by index into the server's sorted ids
	title  string // for creates and renames
	n      int    // a sequence number, for generated ids
}

func (s step) String() string {
	return fmt.Sprintf("c%d %s pick=%d title=%q n=%d", s.client, kindNames[s.kind], s.pick, s.title, s.n)
}

const clients = 3

func genTrace(seed uint64, steps int) []step {
	r := rand.New(rand.NewPCG(seed, 0xc0ffee))
	titles := []string{"milk", "eggs", "bread", "tea", "jam"}
	var tr []step
	for i := range steps {
		s := step{client: r.IntN(clients), pick: r.IntN(1 << 20), title: titles[r.IntN(len(titles))], n: i}
		switch p := r.IntN(100); {
		case p < 12:
			s.kind = createList
		case p < 40:
			s.kind = createTodo
		case p < 58:
			s.kind = renameTodo
		case p < 72:
			s.kind = toggleTodo
		case p < 80:
			s.kind = deleteTodo
		case p < 84:
			s.kind = deleteList
		case p < 91:
			s.kind = loseAnswer
		case p < 98:
			s.kind = cutConn
		default:
			s.kind = restartServer
		}
		tr = append(tr, s)
	}
	return tr
}

func TestB36_convergence(t *testing.T) {
	seeds := 200
	if v, err := strconv.Atoi(os.Getenv("TANDEM_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	first, last := uint64(1), uint64(seeds)
	if only := os.Getenv("TANDEM_SEED"); only != "" { // replay one seed
		seed, err := strconv.ParseUint(only, 10, 64)
		if err != nil || seed == 0 {
			t.Fatalf("TANDEM_SEED=%q: want a seed from 1", only)
		}
		first, last = seed, seed
	}
	failures := 0
	ran := 0
	for seed := first; seed <= last; seed++ {
		ran++
		tr := genTrace(seed, 25)
		if err := runTrace(seed, tr); err != nil {
			failures++
			t.Errorf("seed %d failed: %v\nreplay: TANDEM_SEED=%d go test -run TestB36_convergence ./pkg/sync", seed, err, seed)
			small := shrink(seed, tr)
			var b strings.Builder
			for _, s := range small {
				b.WriteString("\n  " + s.String())
			}
			t.Errorf("seed %d shrunk to %d of %d steps:%s", seed, len(small), len(tr), b.String())
			if failures >= 3 {
				t.FailNow()
			}
		}
	}
	t.Logf("convergence: %d seeds, %d failures", ran, failures)
	if testing.Verbose() && ran > 0 {
		st, err := finalState(1, genTrace(1, 25))
		if err == nil {
			t.Logf("final state of seed 1:\n%s", st)
		}
	}
}

// TestB37_sameSeedSameTrace: the trace and the final server state are a
// function of the seed.
func TestB37_sameSeedSameTrace(t *testing.T) {
	a, b := genTrace(42, 25), genTrace(42, 25)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed generated two traces")
	}
	s1, err := finalState(42, a)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := finalState(42, b)
	if err != nil {
		t.Fatal(err)
	}
	if s1 != s2 {
		t.Fatalf("the same trace ended in two states:\n%s\n---\n%s", s1, s2)
	}
	if s1 == "" {
		t.Fatal("empty final state: the trace did nothing")
	}
}

// shrink removes steps while the trace still fails (one pass of delta
// debugging, one step at a time), within a time budget.
func shrink(seed uint64, tr []step) []step {
	budget := time.Now().Add(2 * time.Minute)
	for i := 0; i < len(tr) && time.Now().Before(budget); {
		smaller := slices.Delete(slices.Clone(tr), i, i+1)
		if runTrace(seed, smaller) != nil {
			tr = smaller
			continue
		}
		i++
	}
	return tr
}

func runTrace(seed uint64, tr []step) error {
	w, err := newWorld(seed)
	if err != nil {
		return err
	}
	defer w.close()
	return w.run(tr)
}

func finalState(seed uint64, tr []step) (string, error) {
	w, err := newWorld(seed)
	if err != nil {
		return "", err
	}
	defer w.close()
	if err := w.run(tr); err != nil {
		return "", err
	}
	st, err := w.serverState()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, k := range slices.Sorted(mapsKeys(st)) {
		fmt.Fprintf(&b, "%s=%s\n", k, st[k])
	}
	return b.String(), nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// world is one run: a server behind a switchable handler, and the clients.
type world struct {
	seed    uint64
	store   *server.MemStore
	srv     *server.Server
	handler atomic.Pointer[http.Handler]
	front   *httptest.Server
	peers   []*peer
	quiet   atomic.Bool // faults off
	log     *slog.Logger
	promises
}

// promises are invariant 2's bookkeeping, by "collection/id": the fields
// each acknowledged write set, and the entities an acknowledged delete
// removed.
type promises struct {
	promised map[string]map[string]string
	gone     map[string]bool
	maybe    map[string]bool // may or may not exist (unknown outcomes)
}

func newPromises() promises {
	return promises{promised: map[string]map[string]string{}, gone: map[string]bool{}, maybe: map[string]bool{}}
}

func newWorld(seed uint64) (*world, error) {
	w := &world{seed: seed, store: server.NewMemStore(), log: slog.New(slog.NewTextHandler(io.Discard, nil)), promises: newPromises()}
	if err := w.startServer(); err != nil {
		return nil, err
	}
	w.front = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		(*w.handler.Load()).ServeHTTP(rw, r)
	}))
	for i := range clients {
		p, err := newPeer(w, i)
		if err != nil {
			w.close()
			return nil, err
		}
		w.peers = append(w.peers, p)
	}
	return w, nil
}

func (w *world) startServer() error {
	srv := server.New(w.store, server.Options{Logger: w.log, Clock: frozenClock{}, HeartbeatInterval: 500 * time.Millisecond, Retention: 8})
	if err := backend.Register(srv); err != nil {
		return err
	}
	var h http.Handler = srv.Handler()
	w.handler.Store(&h)
	w.srv = srv
	return nil
}

// restart stops the server, resets its logs (a new epoch per topic) and
// starts a new one on the same data.
func (w *world) restart() error {
	return restartBehind(&w.handler, w.srv, w.store, []string{model.Lists.Name(), model.Todos.Name()}, w.startServer)
}

// restartBehind stops srv, which serves behind handler (answering 503
// meanwhile), resets the logs of collections in st — a new epoch for each,
// and for its partitions — and starts a new server with start.
func restartBehind(handler *atomic.Pointer[http.Handler], srv *server.Server, st server.Store, collections []string, start func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var down http.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Error(rw, `{"error":{"code":"unavailable","message":"restarting"}}`, http.StatusServiceUnavailable)
	})
	handler.Store(&down)
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	for _, coll := range collections {
		if err := server.ResetLog(ctx, st, coll); err != nil {
			return err
		}
	}
	return start()
}

func (w *world) close() {
	for _, p := range w.peers {
		p.close()
	}
	w.front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.srv.Shutdown(ctx)
	_ = w.store.Close()
}

// peer is one client runtime on its own graph goroutine.
type peer struct {
	w     *world
	i     int
	loop  *state.Loop
	stop  context.CancelFunc
	done  chan struct{}
	g     *state.Graph
	s     *store.Store
	lists *store.Collection[model.List]
	todos *store.Collection[model.Todo]
	sc    *tsync.Client
	lossy *lossy
	dials atomic.Int64
	mon   monitor
}

func newPeer(w *world, i int) (*peer, error) {
	p := &peer{w: w, i: i, loop: &state.Loop{}, done: make(chan struct{}), lossy: &lossy{Transport: cache.DefaultTransport()}}
	ctx, stop := context.WithCancel(context.Background())
	p.stop = stop
	go func() { p.loop.Run(ctx); close(p.done) }()
	p.g = state.NewGraph(state.WithScheduler(p.loop.Dispatch))
	var err error
	p.do(func() {
		p.s, err = store.New(store.Options{Graph: p.g, Transport: p.lossy, BaseURL: w.front.URL + "/api",
			ClientID: fmt.Sprintf("%032x", w.seed*1000+uint64(i)+1), RetryBase: time.Millisecond, RetryCap: 20 * time.Millisecond})
		if err != nil {
			return
		}
		if p.lists, err = store.Collect(p.s, model.Lists); err != nil {
			return
		}
		if p.todos, err = store.Collect(p.s, model.Todos); err != nil {
			return
		}
		ws := tsync.WebSocket()
		p.sc, err = tsync.New(tsync.Options{Store: p.s, URL: "ws" + strings.TrimPrefix(w.front.URL, "http") + "/api/ws",
			Seed: w.seed*31 + uint64(i), ReconnectBase: time.Millisecond, ReconnectCap: 30 * time.Millisecond,
			Dial: func(ctx context.Context, url string) (tsync.Conn, error) {
				c, err := ws(ctx, url)
				if err != nil || w.quiet.Load() {
					return c, err
				}
				n := p.dials.Add(1)
				return tsync.Faults(c, tsync.FaultPlan{Seed: w.seed ^ uint64(i)<<20 ^ uint64(n)<<40,
					Duplicate: 0.05, Reorder: 0.05, Cut: 0.01, Drop: 0.01, Delay: 0.05, MaxDelay: 5 * time.Millisecond}, sleep), nil
			}})
		if err != nil {
			return
		}
		p.mon = monitor{versions: map[string]uint64{}, cursors: map[string]wire.Cursor{}}
		if err = p.sc.Add(&watched{Topic: p.lists, mon: &p.mon}); err != nil {
			return
		}
		if err = p.sc.Add(&watched{Topic: p.todos, mon: &p.mon}); err != nil {
			return
		}
		p.sc.Start()
	})
	return p, err
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d) // a real delay on a real connection
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func (p *peer) do(fn func()) {
	done := make(chan struct{})
	p.loop.Dispatch(func() { defer close(done); fn() })
	<-done
}

func (p *peer) close() {
	p.do(func() {
		p.sc.Stop()
		p.s.Close()
	})
	p.stop()
	<-p.done
}

// lossy loses the answer of the next mutation when armed.
type lossy struct {
	cache.Transport
	armed atomic.Bool
}

func (l *lossy) RoundTrip(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	resp, err := l.Transport.RoundTrip(ctx, req)
	if err == nil && req.Method != "GET" && l.armed.CompareAndSwap(true, false) {
		return nil, errors.New("answer lost")
	}
	return resp, err
}

// monitor checks invariant 3 on every call the reconciler makes: confirmed
// versions and cursors never decrease, except on a snapshot with reset.
type monitor struct {
	mu         gosync.Mutex
	versions   map[string]uint64
	cursors    map[string]wire.Cursor
	violations []string
}

type watched struct {
	store.Topic
	mon *monitor
}

func (w *watched) check(reset bool) {
	m := w.mon
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := w.Topic.Cursor()
	name := w.Topic.Name()
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
		if old := m.versions[key]; v < old && !reset {
			m.violations = append(m.violations, fmt.Sprintf("%s version went from %d to %d", key, old, v))
		}
		m.versions[key] = v
		m.mu.Unlock()
	}
}

func (w *watched) version(id string) uint64 {
	switch c := w.Topic.(type) {
	case *store.Collection[model.Todo]:
		_, v, _ := c.Confirmed(id)
		return v
	case *store.Collection[model.List]:
		_, v, _ := c.Confirmed(id)
		return v
	}
	return 0
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

// run executes the trace, then waits for quiescence and checks the
// invariants.
func (w *world) run(tr []step) error {
	for _, s := range tr {
		if err := w.exec(s); err != nil {
			return fmt.Errorf("step %v: %w", s, err)
		}
	}
	return w.quiesce()
}

// live returns the server's live ids of a collection, sorted, and the
// objects.
func (w *world) live(collection string) ([]string, map[string]server.Record, error) {
	recs := map[string]server.Record{}
	err := w.store.View(context.Background(), func(rt server.ReadTx) error {
		rs, err := rt.List(context.Background(), collection, "", 1<<20, false)
		for _, r := range rs {
			recs[r.ID] = r
		}
		return err
	})
	return slices.Sorted(mapsKeys(recs)), recs, err
}

func (w *world) exec(s step) error {
	p := w.peers[s.client]
	lists, _, err := w.live(model.Lists.Name())
	if err != nil {
		return err
	}
	todos, todoRecs, err := w.live(model.Todos.Name())
	if err != nil {
		return err
	}
	switch s.kind {
	case loseAnswer:
		p.lossy.armed.Store(true)
		return nil
	case cutConn:
		p.do(p.sc.Reconnect)
		return nil
	case restartServer:
		return w.restart()
	case createList:
		id := fmt.Sprintf("L%d", s.n)
		m := p.lists.Creates()
		o, err := settle(p, func() *store.Pending { return m.Run(model.List{ID: id, Name: s.title, Position: float64(s.n)}) })
		if o == unknown {
			w.maybe["lists/"+id] = true
		}
		return w.ack(o, err, "lists/"+id, map[string]string{"name": q(s.title), "position": strconv.Itoa(s.n)})
	case createTodo:
		if len(lists) == 0 {
			return nil
		}
		list := lists[s.pick%len(lists)]
		if err := p.waitVisible(func() bool { _, ok := p.lists.Get(list); return ok }); err != nil {
			return err
		}
		id := fmt.Sprintf("T%d", s.n)
		m := p.todos.Creates()
		o, err := settle(p, func() *store.Pending {
			return m.Run(model.Todo{ID: id, ListID: list, Title: s.title, Position: float64(s.n)})
		})
		if o == unknown {
			w.maybe["todos/"+id] = true
		}
		return w.ack(o, err, "todos/"+id, map[string]string{"listId": q(list), "title": q(s.title), "position": strconv.Itoa(s.n), "done": "false"})
	case renameTodo, toggleTodo, deleteTodo:
		if len(todos) == 0 {
			return nil
		}
		id := todos[s.pick%len(todos)]
		if err := p.waitVisible(func() bool { _, ok := p.todos.Get(id); return ok }); err != nil {
			return err
		}
		var m *store.Mutation[string]
		var fields map[string]string
		var deleted []string
		switch s.kind {
		case renameTodo:
			m = store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] {
				return store.Patch(id, func(t *model.Todo) { t.Title = s.title }, "title")
			})
			fields = map[string]string{"title": q(s.title)}
		case toggleTodo:
			done := !strings.Contains(string(todoRecs[id].Data), `"done":true`)
			m = store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] {
				return store.Patch(id, func(t *model.Todo) { t.Done = done }, "done")
			})
			fields = map[string]string{"done": strconv.FormatBool(done)}
		default:
			m = store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] { return store.Delete[model.Todo](id) })
			deleted = []string{"todos/" + id}
		}
		o, err := settle(p, func() *store.Pending { return m.Run(id) })
		return w.ack(o, err, "todos/"+id, fields, deleted...)
	case deleteList:
		if len(lists) == 0 {
			return nil
		}
		id := lists[s.pick%len(lists)]
		if err := p.waitVisible(func() bool { _, ok := p.lists.Get(id); return ok }); err != nil {
			return err
		}
		m := store.NewMutation(p.lists, nil, func(id string) store.Op[model.List] { return store.Delete[model.List](id) })
		deleted := []string{"lists/" + id}
		for tid, r := range todoRecs { // the cascade: the list's todos go with it
			if strings.Contains(string(r.Data), `"listId":`+q(id)) {
				deleted = append(deleted, "todos/"+tid)
			}
		}
		o, err := settle(p, func() *store.Pending { return m.Run(id) })
		return w.ack(o, err, "", nil, deleted...)
	}
	return nil
}

// settle runs a mutation on p and waits until it settles, reporting whether
// the server acknowledged it; a refusal is part of the history, not a
// failure of the run.
func settle(p *peer, run func() *store.Pending) (outcome, error) {
	o, _, err := settleOn(p.do, run)
	return o, err
}

// settleOn is settle on the graph goroutine do runs on; it also returns the
// mutationID.
func settleOn(do func(func()), run func() *store.Pending) (outcome, uint64, error) {
	var pd *store.Pending
	do(func() { pd = run() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := pd.Wait(ctx)
	var me *store.MutationError
	id := pd.MutationID()
	switch {
	case err == nil:
		return acked, id, nil
	case errors.As(err, &me):
		return refused, id, nil
	case errors.Is(err, store.ErrOutcomeUnknown):
		return unknown, id, nil // processed, its answer lost: applied or refused
	}
	return refused, id, err
}

type outcome uint8

const (
	acked outcome = iota
	refused
	unknown
)

// ack records what an acknowledged write promises about the final state
// (invariant 2): these fields, unless a later acknowledged write changes
// them; or, for deletes, absence. A write of unknown outcome promises
// nothing and makes what it touched uncertain.
func (w *promises) ack(o outcome, err error, key string, fields map[string]string, deleted ...string) error {
	if err != nil || o == refused {
		return err
	}
	if key != "" && w.promised[key] == nil {
		w.promised[key] = map[string]string{}
	}
	for f, v := range fields {
		if o == acked {
			w.promised[key][f] = v
		} else {
			delete(w.promised[key], f) // either value may be there
		}
	}
	for _, k := range deleted {
		if o == acked {
			w.gone[k] = true
		} else {
			w.maybe[k] = true
		}
	}
	return nil
}

func (p *peer) waitVisible(ok func() bool) error {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var seen bool
		p.do(func() { seen = ok() })
		if seen {
			return nil
		}
		time.Sleep(time.Millisecond) // waiting on real network delivery
	}
	return fmt.Errorf("c%d never saw the entity", p.i)
}

// serverState returns every live entity's data by "collection/id".
func (w *world) serverState() (map[string]string, error) {
	out := map[string]string{}
	for _, coll := range []string{model.Lists.Name(), model.Todos.Name()} {
		_, recs, err := w.live(coll)
		if err != nil {
			return nil, err
		}
		for id, r := range recs {
			out[coll+"/"+id] = string(r.Data)
		}
	}
	return out, nil
}

// quiesce stops the faults and waits until every client agrees with the
// server, then checks invariants 1–3.
func (w *world) quiesce() error {
	w.quiet.Store(true)
	for _, p := range w.peers {
		p.lossy.armed.Store(false)
		p.do(p.sc.Reconnect) // drop faulty connections
	}
	want, err := w.serverState()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Second) // convergence takes milliseconds
	var last error
	for time.Now().Before(deadline) {
		last = nil
		for _, p := range w.peers {
			if err := p.agrees(want); err != nil {
				last = err
				break
			}
		}
		if last == nil {
			break
		}
		time.Sleep(2 * time.Millisecond) // waiting on real network delivery
	}
	if last != nil {
		return fmt.Errorf("no convergence: %w", last)
	}
	if err := w.checkPromises(want); err != nil {
		return err
	}
	for _, p := range w.peers {
		p.mon.mu.Lock()
		v := slices.Clone(p.mon.violations)
		p.mon.mu.Unlock()
		if len(v) > 0 {
			return fmt.Errorf("c%d broke invariant 3: %s", p.i, strings.Join(v, "; "))
		}
	}
	return nil
}

// agrees checks invariant 1 for p: live, nothing pending, and visible =
// confirmed = the server's state, entity by entity.
func (p *peer) agrees(want map[string]string) error {
	var err error
	p.do(func() {
		if st := p.sc.State(); st != tsync.Live {
			err = fmt.Errorf("c%d is %s", p.i, st)
			return
		}
		if n := p.s.PendingCount(); n != 0 {
			err = fmt.Errorf("c%d has %d pending", p.i, n)
			return
		}
		got := map[string]string{}
		collect(p.lists, model.Lists.Name(), got, &err)
		collect(p.todos, model.Todos.Name(), got, &err)
		if err != nil {
			return
		}
		for k, v := range want {
			if got[k] != v {
				err = fmt.Errorf("c%d has %s = %s, server %s", p.i, k, got[k], v)
				return
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				err = fmt.Errorf("c%d still shows %s", p.i, k)
				return
			}
		}
	})
	return err
}

func collect[T any](c *store.Collection[T], name string, out map[string]string, errp *error) {
	all := c.View()
	defer all.Dispose()
	for _, id := range all.IDs() {
		v, ok := c.Get(id)
		conf, _, cok := c.Confirmed(id)
		if !ok || !cok {
			continue
		}
		vb, _ := jsonOf(v)
		cb, _ := jsonOf(conf)
		if vb != cb {
			*errp = fmt.Errorf("%s/%s: visible %s differs from confirmed %s", name, id, vb, cb)
			return
		}
		out[name+"/"+id] = vb
	}
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// frozenClock reads one instant, so that server-set timestamps (updatedAt)
// do not make two runs of one trace differ; its timers are real.
type frozenClock struct{ server.SystemClock }

func (frozenClock) Now() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

// checkPromises is invariant 2: every acknowledged write is in the final
// state, unless a later acknowledged write replaced it.
func (w *promises) checkPromises(state map[string]string) error {
	for key, fields := range w.promised {
		data, ok := state[key]
		if w.gone[key] {
			if ok {
				return fmt.Errorf("invariant 2: %s was deleted (acknowledged) but is there", key)
			}
			continue
		}
		if !ok {
			if w.maybe[key] {
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
