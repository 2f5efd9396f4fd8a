//go:build !js

package sync_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/internal/convergence"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/store"
	tsync "github.com/tandemkit/tandem/pkg/sync"
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
	for _, k := range slices.Sorted(maps.Keys(st)) {
		fmt.Fprintf(&b, "%s=%s\n", k, st[k])
	}
	return b.String(), nil
}

// world is one run: a server behind a switchable handler, and the clients.
type world struct {
	*restartable
	seed  uint64
	peers []*peer
	quiet atomic.Bool // faults off
	convergence.Promises
}

// settleTimeout is how long a mutation of the trace may take to settle.
const settleTimeout = 20 * time.Second

func newWorld(seed uint64) (*world, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := startRestartable(server.NewMemStore(), []string{model.Lists.Name(), model.Todos.Name()}, func(st server.Store) (*server.Server, error) {
		srv := server.New(st, server.Options{Logger: log, Clock: frozenClock{}, HeartbeatInterval: 500 * time.Millisecond, Retention: 8})
		return srv, backend.Register(srv)
	})
	if err != nil {
		return nil, err
	}
	w := &world{restartable: r, seed: seed}
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

func (w *world) close() {
	for _, p := range w.peers {
		p.close()
	}
	w.restartable.close()
}

// restartable is a server on store behind a front that stays while the
// server is replaced (restart), for clients to reconnect to.
type restartable struct {
	store   server.Store
	colls   []string                                   // whose logs a restart resets
	newSrv  func(server.Store) (*server.Server, error) // a server on store, its collections registered
	srv     *server.Server
	handler atomic.Pointer[http.Handler]
	front   *httptest.Server
}

// startRestartable starts a server on st (newSrv) and its front; on an
// error it closes st.
func startRestartable(st server.Store, colls []string, newSrv func(server.Store) (*server.Server, error)) (*restartable, error) {
	r := &restartable{store: st, colls: colls, newSrv: newSrv}
	if err := r.start(); err != nil {
		_ = st.Close()
		return nil, err
	}
	r.front = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		(*r.handler.Load()).ServeHTTP(rw, req)
	}))
	return r, nil
}

func (r *restartable) start() error {
	srv, err := r.newSrv(r.store)
	if err != nil {
		return err
	}
	var h http.Handler = srv.Handler()
	r.handler.Store(&h)
	r.srv = srv
	return nil
}

// restart stops the server (the front answers 503 meanwhile), resets the
// logs of its collections — a new epoch for each, and for its partitions —
// and starts a new server on the same data.
func (r *restartable) restart() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var down http.Handler = http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		http.Error(rw, `{"error":{"code":"unavailable","message":"restarting"}}`, http.StatusServiceUnavailable)
	})
	r.handler.Store(&down)
	if err := r.srv.Shutdown(ctx); err != nil {
		return err
	}
	for _, coll := range r.colls {
		if err := server.ResetLog(ctx, r.store, coll); err != nil {
			return err
		}
	}
	return r.start()
}

// close stops the front, the server and the store; close the clients
// first.
func (r *restartable) close() {
	r.front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
	_ = r.store.Close()
}

// peer is one client runtime on its own graph goroutine.
type peer struct {
	*convergence.Loop
	w     *world
	i     int
	s     *store.Store
	lists *store.Collection[model.List]
	todos *store.Collection[model.Todo]
	sc    *tsync.Client
	lossy *convergence.Lossy
	dials atomic.Int64
	mon   convergence.Monitor
}

func newPeer(w *world, i int) (*peer, error) {
	p := &peer{Loop: convergence.StartLoop(), w: w, i: i, lossy: &convergence.Lossy{Transport: cache.DefaultTransport()}}
	var err error
	p.Do(func() {
		p.s, err = store.New(store.Options{Graph: p.Graph, Transport: p.lossy, BaseURL: w.front.URL + "/api",
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
				return tsync.Faults(c, convergence.Plan(w.seed, i, p.dials.Add(1)), convergence.Sleep), nil
			}})
		if err != nil {
			return
		}
		if err = p.sc.Add(p.mon.Watch(p.lists, func(id string) uint64 { _, v, _ := p.lists.Confirmed(id); return v })); err != nil {
			return
		}
		if err = p.sc.Add(p.mon.Watch(p.todos, func(id string) uint64 { _, v, _ := p.todos.Confirmed(id); return v })); err != nil {
			return
		}
		p.sc.Start()
	})
	return p, err
}

func (p *peer) close() {
	p.Do(func() {
		p.sc.Stop()
		p.s.Close()
	})
	p.Stop()
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
	return slices.Sorted(maps.Keys(recs)), recs, err
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
		p.lossy.Arm(true)
		return nil
	case cutConn:
		p.Do(p.sc.Reconnect)
		return nil
	case restartServer:
		return w.restart()
	case createList:
		id := fmt.Sprintf("L%d", s.n)
		m := p.lists.Creates()
		o, err := settle(p, func() *store.Pending { return m.Run(model.List{ID: id, Name: s.title, Position: float64(s.n)}) })
		if o == convergence.Unknown {
			w.Uncertain("lists/" + id)
		}
		return w.Ack(o, err, "lists/"+id, map[string]string{"name": convergence.Q(s.title), "position": strconv.Itoa(s.n)})
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
		if o == convergence.Unknown {
			w.Uncertain("todos/" + id)
		}
		return w.Ack(o, err, "todos/"+id, map[string]string{"listId": convergence.Q(list), "title": convergence.Q(s.title), "position": strconv.Itoa(s.n), "done": "false"})
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
			fields = map[string]string{"title": convergence.Q(s.title)}
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
		return w.Ack(o, err, "todos/"+id, fields, deleted...)
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
			if strings.Contains(string(r.Data), `"listId":`+convergence.Q(id)) {
				deleted = append(deleted, "todos/"+tid)
			}
		}
		o, err := settle(p, func() *store.Pending { return m.Run(id) })
		return w.Ack(o, err, "", nil, deleted...)
	}
	return nil
}

// settle runs a mutation on p and waits until it settles (a refusal is
// part of the history, not a failure of the run).
func settle(p *peer, run func() *store.Pending) (convergence.Outcome, error) {
	o, _, err := convergence.Settle(p.Do, run, settleTimeout)
	return o, err
}

// waitVisible waits until ok, a tracked read of p's collections, holds.
func (p *peer) waitVisible(ok func() bool) error {
	return p.Until(5*time.Second, func() error {
		if ok() {
			return nil
		}
		return fmt.Errorf("c%d never saw the entity", p.i)
	})
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
		p.lossy.Arm(false)
		p.Do(p.sc.Reconnect) // drop faulty connections
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
	if err := w.Check(want); err != nil {
		return err
	}
	for _, p := range w.peers {
		if v := p.mon.Violations(); len(v) > 0 {
			return fmt.Errorf("c%d broke invariant 3: %s", p.i, strings.Join(v, "; "))
		}
	}
	return nil
}

// agrees checks invariant 1 for p (convergence.Agrees).
func (p *peer) agrees(want map[string]string) error {
	var err error
	p.Do(func() { err = convergence.Agrees(p.i, p.sc, p.s, p.collect, want) })
	return err
}

// collect adds the peer's visible lists and todos to out
// (convergence.Collect); on its graph.
func (p *peer) collect(out map[string]string) error {
	if err := convergence.Collect(p.lists, model.Lists.Name(), out); err != nil {
		return err
	}
	return convergence.Collect(p.todos, model.Todos.Name(), out)
}

// frozenClock reads one instant, so that server-set timestamps (updatedAt)
// do not make two runs of one trace differ; its timers are real.
type frozenClock struct{ server.SystemClock }

func (frozenClock) Now() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
