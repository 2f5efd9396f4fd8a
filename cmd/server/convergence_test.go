package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tandemkit/tandem/internal/convergence"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/store"
	tsync "github.com/tandemkit/tandem/pkg/sync"
)

// B36 (and B38) across instances: the convergence property test of
// pkg/sync, with its clients spread over three cmd/server processes on one
// PostgreSQL database. Each client reaches the instances through a front of
// its own, a reverse proxy that sends each request — REST call or
// WebSocket — to the next instance in turn, so its mutations land on every
// instance and every reconnect moves it to another one. The clients are the
// real pkg/store and pkg/sync, through fault-injecting connections
// (duplicated, reordered, delayed, dropped and cut messages), with lost
// REST answers and a restart of every instance that resets the epochs
// (ResetLog while they are down). After quiescence: invariants 1–3.
//
// Seeds: 20 in CI; TANDEM_SEEDS=<n> runs more, TANDEM_SEED=<seed> replays
// one (the failure message says how).

const (
	convInstances = 3
	convClients   = 3
	convSteps     = 25
	// The demo's topics.
	convLists = "lists"
	convTodos = "todos"
)

type convKind uint8

const (
	cCreateList convKind = iota
	cCreateTodo
	cRenameTodo
	cToggleTodo
	cDeleteTodo
	cDeleteList
	cLoseAnswer
	cCutConn
	cRestart
)

var convKindNames = [...]string{"create list", "create todo", "rename todo", "toggle todo", "delete todo", "delete list", "lose next answer", "cut connection", "restart every instance (new epochs)"}

type convStep struct {
	kind   convKind
	client int
	pick   int
	title  string
	n      int
}

func (s convStep) String() string {
	return fmt.Sprintf("c%d %s pick=%d title=%q n=%d", s.client, convKindNames[s.kind], s.pick, s.title, s.n)
}

func convTrace(seed uint64) []convStep {
	r := rand.New(rand.NewPCG(seed, 0x5ca1e))
	titles := []string{"milk", "eggs", "bread", "tea", "jam"}
	var tr []convStep
	for i := range convSteps {
		s := convStep{client: r.IntN(convClients), pick: r.IntN(1 << 20), title: titles[r.IntN(len(titles))], n: i}
		switch p := r.IntN(100); {
		case p < 12:
			s.kind = cCreateList
		case p < 40:
			s.kind = cCreateTodo
		case p < 58:
			s.kind = cRenameTodo
		case p < 72:
			s.kind = cToggleTodo
		case p < 80:
			s.kind = cDeleteTodo
		case p < 84:
			s.kind = cDeleteList
		case p < 91:
			s.kind = cLoseAnswer
		case p < 98:
			s.kind = cCutConn
		default:
			s.kind = cRestart
		}
		tr = append(tr, s)
	}
	return tr
}

func TestB36_convergenceAcrossInstances(t *testing.T) {
	base := pgBase(t)
	bin := buildServer(t)
	seeds := 20
	if v, err := strconv.Atoi(os.Getenv("TANDEM_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	first, last := uint64(1), uint64(seeds)
	if only := os.Getenv("TANDEM_SEED"); only != "" {
		seed, err := strconv.ParseUint(only, 10, 64)
		if err != nil || seed == 0 {
			t.Fatalf("TANDEM_SEED=%q: want a seed from 1", only)
		}
		first, last = seed, seed
	}
	failures := 0
	for seed := first; seed <= last; seed++ {
		tr := convTrace(seed)
		w, err := newConvWorld(t, bin, seed, pgSchema(t, base))
		if err == nil {
			err = w.run(tr)
			w.close()
		}
		if err != nil {
			failures++
			var b strings.Builder
			for _, s := range tr {
				b.WriteString("\n  " + s.String())
			}
			t.Errorf("seed %d failed: %v\nreplay: TANDEM_SEED=%d scripts/pgcluster.sh run go test -run TestB36_convergenceAcrossInstances ./cmd/server\ntrace:%s", seed, err, seed, b.String())
			if failures >= 3 {
				t.FailNow()
			}
		}
	}
	t.Logf("convergence across %d instances: seeds %d–%d, %d failures", convInstances, first, last, failures)
}

// convWorld is one run: the instances, a front per client, the clients.
type convWorld struct {
	t      *testing.T
	bin    string
	seed   uint64
	db     string
	pg     *server.Postgres // the test's own view of the database
	procs  []*instance
	mu     gosync.Mutex
	addrs  []string // of the instances; nil while they restart
	fronts []*httptest.Server
	peers  []*convPeer
	quiet  atomic.Bool // faults off
	convergence.Promises
}

func newConvWorld(t *testing.T, bin string, seed uint64, db string) (*convWorld, error) {
	w := &convWorld{t: t, bin: bin, seed: seed, db: db}
	w.startInstances()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if w.pg, err = server.OpenPostgres(ctx, db, server.PostgresOptions{MaxConns: 2}); err != nil {
		w.stopInstances()
		return nil, err
	}
	for i := range convClients {
		var turn atomic.Uint64
		turn.Store(uint64(i))
		proxy := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				w.mu.Lock()
				addrs := w.addrs
				w.mu.Unlock()
				if addrs == nil {
					addrs = []string{"127.0.0.1:1"} // restarting: nothing answers
				}
				pr.SetURL(&url.URL{Scheme: "http", Host: addrs[turn.Add(1)%uint64(len(addrs))]})
			},
			ErrorLog: log.New(io.Discard, "", 0),
		}
		w.fronts = append(w.fronts, httptest.NewServer(proxy))
	}
	for i := range convClients {
		p, err := newConvPeer(w, i)
		if err != nil {
			w.close()
			return nil, err
		}
		w.peers = append(w.peers, p)
	}
	return w, nil
}

// startInstances starts the server processes, all at once: a small
// retention (8 events) makes resuming clients fall back to snapshots, a
// short heartbeat makes a message held back by the faults move on.
func (w *convWorld) startInstances() {
	w.procs = startInstances(w.t, w.bin, w.db, convInstances, "-retention", "8", "-heartbeat", "500ms")
	w.mu.Lock()
	w.addrs = addrsOf(w.procs)
	w.mu.Unlock()
}

// stopInstances stops the processes with SIGTERM and waits for them.
func (w *convWorld) stopInstances() error {
	w.mu.Lock()
	w.addrs = nil
	w.mu.Unlock()
	var errs []error
	for _, p := range w.procs {
		errs = append(errs, p.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, p := range w.procs {
		if err := p.wait(w.t); err != nil {
			errs = append(errs, fmt.Errorf("server exited with %v:\n%s", err, p.logs()))
		}
	}
	w.procs = nil
	return errors.Join(errs...)
}

// restart stops every instance, resets the logs (a new epoch per topic)
// and starts them again on the same data.
func (w *convWorld) restart() error {
	if err := w.stopInstances(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, topic := range []string{convLists, convTodos} {
		if err := server.ResetLog(ctx, w.pg, topic); err != nil {
			return err
		}
	}
	w.startInstances()
	return nil
}

func (w *convWorld) close() {
	for _, p := range w.peers {
		p.close()
	}
	for _, f := range w.fronts {
		f.Close()
	}
	_ = w.stopInstances()
	if w.pg != nil {
		w.pg.Close()
	}
}

// view reads the database.
func (w *convWorld) view(fn func(rt server.ReadTx) error) error {
	return w.pg.View(context.Background(), fn)
}

// live returns the server's live ids of a collection, sorted, and the
// records.
func (w *convWorld) live(collection string) ([]string, map[string]server.Record, error) {
	recs := map[string]server.Record{}
	err := w.view(func(rt server.ReadTx) error {
		rs, err := rt.List(context.Background(), collection, "", 1<<20, false)
		for _, r := range rs {
			recs[r.ID] = r
		}
		return err
	})
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, recs, err
}

func (w *convWorld) serverState() (map[string]string, error) {
	out := map[string]string{}
	for _, coll := range []string{convLists, convTodos} {
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

func (w *convWorld) run(tr []convStep) error {
	for _, s := range tr {
		if err := w.exec(s); err != nil {
			return fmt.Errorf("step %v: %w", s, err)
		}
	}
	return w.quiesce()
}

func (w *convWorld) exec(s convStep) error {
	p := w.peers[s.client]
	lists, _, err := w.live(convLists)
	if err != nil {
		return err
	}
	todos, todoRecs, err := w.live(convTodos)
	if err != nil {
		return err
	}
	switch s.kind {
	case cLoseAnswer:
		p.lossy.Arm(true)
		return nil
	case cCutConn:
		p.Do(p.sc.Reconnect)
		return nil
	case cRestart:
		return w.restart()
	case cCreateList:
		id := fmt.Sprintf("L%d", s.n)
		o, err := p.settle(func() *store.Pending { return p.createList(id, s.title, s.n) })
		if o == convergence.Unknown {
			w.Uncertain("lists/" + id)
		}
		return w.Ack(o, err, "lists/"+id, map[string]string{"name": convergence.Q(s.title), "position": strconv.Itoa(s.n)})
	case cCreateTodo:
		if len(lists) == 0 {
			return nil
		}
		list := lists[s.pick%len(lists)]
		if err := p.waitVisible(func() bool { _, ok := p.lists.Get(list); return ok }); err != nil {
			return err
		}
		id := fmt.Sprintf("T%d", s.n)
		o, err := p.settle(func() *store.Pending { return p.createTodo(id, list, s.title, s.n) })
		if o == convergence.Unknown {
			w.Uncertain("todos/" + id)
		}
		return w.Ack(o, err, "todos/"+id, map[string]string{"listId": convergence.Q(list), "title": convergence.Q(s.title), "position": strconv.Itoa(s.n), "done": "false"})
	case cRenameTodo, cToggleTodo, cDeleteTodo:
		if len(todos) == 0 {
			return nil
		}
		id := todos[s.pick%len(todos)]
		if err := p.waitVisible(func() bool { _, ok := p.todos.Get(id); return ok }); err != nil {
			return err
		}
		switch s.kind {
		case cRenameTodo:
			o, err := p.settle(func() *store.Pending { return p.renameTodo(id, s.title) })
			return w.Ack(o, err, "todos/"+id, map[string]string{"title": convergence.Q(s.title)})
		case cToggleTodo:
			done := !strings.Contains(string(todoRecs[id].Data), `"done":true`)
			o, err := p.settle(func() *store.Pending { return p.setDone(id, done) })
			return w.Ack(o, err, "todos/"+id, map[string]string{"done": strconv.FormatBool(done)})
		default:
			o, err := p.settle(func() *store.Pending { return p.deleteTodo(id) })
			return w.Ack(o, err, "todos/"+id, nil, "todos/"+id)
		}
	case cDeleteList:
		if len(lists) == 0 {
			return nil
		}
		id := lists[s.pick%len(lists)]
		if err := p.waitVisible(func() bool { _, ok := p.lists.Get(id); return ok }); err != nil {
			return err
		}
		deleted := []string{"lists/" + id}
		for tid, r := range todoRecs { // the cascade: the list's todos go with it
			if strings.Contains(string(r.Data), `"listId":`+convergence.Q(id)) {
				deleted = append(deleted, "todos/"+tid)
			}
		}
		o, err := p.settle(func() *store.Pending { return p.deleteList(id) })
		return w.Ack(o, err, "", nil, deleted...)
	}
	return nil
}

// quiesce stops the faults and waits until every client agrees with the
// database, then checks invariants 1–3.
func (w *convWorld) quiesce() error {
	w.quiet.Store(true)
	for _, p := range w.peers {
		p.lossy.Arm(false)
		p.Do(p.sc.Reconnect) // drop faulty connections
	}
	want, err := w.serverState()
	if err != nil {
		return err
	}
	var last error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) { // real network delivery
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

// The client side: pkg/store collections and a pkg/sync client on a graph
// goroutine of their own. Everything that names pkg/store's API is below.

type convPeer struct {
	*convergence.Loop
	w     *convWorld
	i     int
	s     *store.Store
	lists *listColl
	todos *todoColl
	sc    *tsync.Client
	lossy *convergence.Lossy
	dials atomic.Int64
	mon   convergence.Monitor
}

func newConvPeer(w *convWorld, i int) (*convPeer, error) {
	p := &convPeer{Loop: convergence.StartLoop(), w: w, i: i, lossy: &convergence.Lossy{Transport: cache.DefaultTransport()}}
	front := w.fronts[i].URL
	var err error
	p.Do(func() {
		p.s, err = store.New(store.Options{Graph: p.Graph, Transport: p.lossy, BaseURL: front + "/api",
			ClientID: fmt.Sprintf("%032x", w.seed*1000+uint64(i)+1), RetryBase: time.Millisecond, RetryCap: 20 * time.Millisecond})
		if err != nil {
			return
		}
		if err = p.openCollections(); err != nil {
			return
		}
		ws := tsync.WebSocket()
		p.sc, err = tsync.New(tsync.Options{Store: p.s, URL: "ws" + strings.TrimPrefix(front, "http") + "/api/ws",
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
		if err = p.watch(); err != nil {
			return
		}
		p.sc.Start()
	})
	return p, err
}

// settle runs a mutation on p's graph and waits until it settles.
func (p *convPeer) settle(run func() *store.Pending) (convergence.Outcome, error) {
	o, _, err := convergence.Settle(p.Do, run, 30*time.Second)
	return o, err
}

// agrees checks invariant 1 for p (convergence.Agrees).
func (p *convPeer) agrees(want map[string]string) error {
	var err error
	p.Do(func() { err = convergence.Agrees(p.i, p.sc, p.s, p.collect, want) })
	return err
}

// waitVisible waits until ok, a tracked read of p's collections, holds.
func (p *convPeer) waitVisible(ok func() bool) error {
	return p.Until(10*time.Second, func() error {
		if ok() {
			return nil
		}
		return fmt.Errorf("c%d never saw the entity", p.i)
	})
}

func (p *convPeer) close() {
	p.Do(func() {
		p.sc.Stop()
		p.s.Close()
	})
	p.Stop()
}
