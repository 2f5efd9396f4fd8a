//go:build !js

package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/internal/convergence"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/store"
	tsync "github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/wire"
)

// pWorld is one run: the demo's server on SQLite behind a switchable
// handler, and the clients.
type pWorld struct {
	*restartable
	seed  uint64
	demo  *backend.Demo
	bus   *pBus
	peers []*pPeer
	quiet atomic.Bool // faults off
	convergence.Promises
	// steps[k] is who may read which board once step k was done (step 0:
	// the setup); eventStep[i] is the step that published the bus's i-th
	// event.
	steps     []pAccess
	eventStep []int
	// settled holds the outcome of every mutation, by origin.
	settled map[wire.Origin]convergence.Outcome
	// stats counts what the run did, for the test's log: mutations by
	// kind and outcome, steps that found nothing to do, messages.
	stats map[string]int
	kind  pKind // of the step running
}

// pAccess says, by user and board, who may read which board.
type pAccess map[string]map[string]bool

// pBus is the servers' Bus: a LocalBus that keeps every event published.
type pBus struct {
	server.LocalBus
	mu     gosync.Mutex
	events []server.BusEvent
}

func (b *pBus) Publish(evs []server.BusEvent) {
	b.mu.Lock()
	b.events = append(b.events, evs...)
	b.mu.Unlock()
	b.LocalBus.Publish(evs)
}

func (b *pBus) all() []server.BusEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.events)
}

func newPWorld(dir string, seed uint64) (*pWorld, error) {
	st, err := server.OpenSQLite(filepath.Join(dir, fmt.Sprintf("seed%d.db", seed)), server.SQLiteOptions{Synchronous: "NORMAL"})
	if err != nil {
		return nil, err
	}
	demo, err := backend.NewDemo(pUsers)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	w := &pWorld{seed: seed, demo: demo, bus: &pBus{}, settled: map[wire.Origin]convergence.Outcome{}, stats: map[string]int{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	colls := []string{model.Boards.Name(), model.BoardTodos.Name(), model.Shares.Name(), model.Accesses.Name()}
	w.restartable, err = startRestartable(st, colls, func(st server.Store) (*server.Server, error) {
		srv := server.New(st, server.Options{Logger: log, Clock: frozenClock{}, Bus: w.bus, HeartbeatInterval: 500 * time.Millisecond,
			Retention: 8, Quotas: server.Unlimited(), Authenticate: demo.Authenticate, AuthenticateWS: demo.AuthenticateWS})
		return srv, demo.RegisterBoards(srv)
	})
	if err != nil {
		return nil, err
	}
	for i := range pClientUser {
		p, err := newPPeer(w, i)
		if err != nil {
			w.close()
			return nil, err
		}
		w.peers = append(w.peers, p)
	}
	// Every user starts with a board of its own, open on its first client.
	for i, u := range pUsers {
		if err := w.exec(pStep{kind: pCreateBoard, client: i, n: -1 - i}); err != nil {
			w.close()
			return nil, err
		}
		if err := w.peers[i].open("B" + u); err != nil {
			w.close()
			return nil, err
		}
	}
	w.record()
	return w, nil
}

func (w *pWorld) close() {
	for _, p := range w.peers {
		p.close()
	}
	w.restartable.close()
}

// pPeer is one client runtime, signed in as user, on its own graph
// goroutine.
type pPeer struct {
	w        *pWorld
	i        int
	user     string
	clientID string
	*convergence.Loop
	s      *store.Store
	lists  *store.Collection[model.List]
	todos  *store.Collection[model.Todo]
	shares *store.Collection[model.Share]
	access *store.Collection[model.Access]
	sc     *tsync.Client
	lossy  *convergence.Lossy
	dials  atomic.Int64
	tap    *pTap
	// opened holds, by board, the releases of its Opens (graph
	// goroutine).
	opened map[string][]func()
}

func newPPeer(w *pWorld, i int) (*pPeer, error) {
	p := &pPeer{w: w, i: i, user: pClientUser[i], clientID: fmt.Sprintf("%032x", w.seed*1000+uint64(i)+1), Loop: convergence.StartLoop(),
		lossy: &convergence.Lossy{Transport: cache.DefaultTransport()}, tap: &pTap{}, opened: map[string][]func(){}}
	var err error
	p.Do(func() {
		p.s, err = store.New(store.Options{Graph: p.Graph, Transport: p.lossy, BaseURL: w.front.URL + "/api",
			Header:   map[string]string{"Authorization": "Bearer " + p.user},
			ClientID: p.clientID, RetryBase: time.Millisecond, RetryCap: 20 * time.Millisecond})
		if err != nil {
			return
		}
		if p.lists, err = store.Collect(p.s, model.Boards); err != nil {
			return
		}
		if p.todos, err = store.Collect(p.s, model.BoardTodos); err != nil {
			return
		}
		if p.shares, err = store.Collect(p.s, model.Shares); err != nil {
			return
		}
		if p.access, err = store.Collect(p.s, model.Accesses); err != nil {
			return
		}
		// Its user's accesses, always open; the second tab also asks
		// for another user's, which the server refuses.
		if _, err = p.access.Open(p.user); err != nil {
			return
		}
		if i == 3 {
			if _, err = p.access.Open("bob"); err != nil {
				return
			}
		}
		ws := tsync.WebSocket()
		p.sc, err = tsync.New(tsync.Options{Store: p.s, URL: "ws" + strings.TrimPrefix(w.front.URL, "http") + "/api/ws",
			Token: func() string { return p.user },
			Seed:  w.seed*31 + uint64(i), ReconnectBase: time.Millisecond, ReconnectCap: 30 * time.Millisecond,
			Dial: func(ctx context.Context, url string) (tsync.Conn, error) {
				c, err := ws(ctx, url)
				if err != nil {
					return c, err
				}
				c = &tapConn{Conn: c, tap: p.tap}
				if w.quiet.Load() {
					return c, nil
				}
				return tsync.Faults(c, convergence.Plan(w.seed, i, p.dials.Add(1)), convergence.Sleep), nil
			}})
		if err != nil {
			return
		}
		p.sc.Start()
	})
	return p, err
}

func (p *pPeer) close() {
	p.Do(func() {
		if p.sc != nil {
			p.sc.Stop()
		}
		if p.s != nil {
			p.s.Close()
		}
	})
	p.Stop()
}

// boardParts are the partitions opening a board opens: its list, todos and
// shares.
func (p *pPeer) boardStatus(board string) []store.PartitionState {
	return []store.PartitionState{p.lists.Partition(board), p.todos.Partition(board), p.shares.Partition(board)}
}

// open opens board's three partitions and waits until the server has
// answered for each: live, or refused.
func (p *pPeer) open(board string) error {
	var err error
	p.Do(func() {
		var releases []func()
		for _, open := range []func(string) (func(), error){p.lists.Open, p.todos.Open, p.shares.Open} {
			r, oerr := open(board)
			if oerr != nil {
				err = oerr
				return
			}
			releases = append(releases, r)
		}
		p.opened[board] = append(p.opened[board], func() {
			for _, r := range releases {
				r()
			}
		})
	})
	if err != nil {
		return err
	}
	return p.Until(10*time.Second, func() error {
		for _, st := range p.boardStatus(board) {
			if st.Status == store.PartitionOpening {
				return fmt.Errorf("c%d: board %s still opening", p.i, board)
			}
		}
		return nil
	})
}

// openBoards returns the boards the client has open, sorted.
func (p *pPeer) openBoards() []string {
	var out []string
	p.Do(func() {
		for b := range p.opened {
			out = append(out, b)
		}
	})
	slices.Sort(out)
	return out
}

// liveBoards returns the boards open and live on the client (todos, shares
// and the list alike), once none is opening; sorted.
func (p *pPeer) liveBoards() ([]string, error) {
	boards := p.openBoards()
	var live []string
	err := p.Until(10*time.Second, func() error {
		live = live[:0]
		for _, b := range boards {
			all := true
			for _, st := range p.boardStatus(b) {
				switch st.Status {
				case store.PartitionOpening:
					return fmt.Errorf("c%d: board %s still opening", p.i, b)
				case store.PartitionLive:
				default:
					all = false
				}
			}
			if all {
				live = append(live, b)
			}
		}
		return nil
	})
	return live, err
}

// pTap keeps the server's messages about topics, as received below the
// faults: what the server sent, whether or not the client got it.
type pTap struct {
	mu   gosync.Mutex
	msgs []wire.ServerMessage
}

type tapConn struct {
	tsync.Conn
	tap *pTap
}

func (c *tapConn) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	if err == nil {
		if m, derr := wire.DecodeServerMessage(b); derr == nil {
			switch m.(type) {
			case wire.Event, wire.Snapshot, wire.ErrorMessage:
				c.tap.mu.Lock()
				c.tap.msgs = append(c.tap.msgs, m)
				c.tap.mu.Unlock()
			}
		}
	}
	return b, err
}

func (t *pTap) all() []wire.ServerMessage {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.msgs)
}

// pState is the server's state, read from its store: every live board,
// todo and share.
type pState struct {
	boards map[string]model.List
	todos  map[string]model.Todo
	shares map[string]model.Share
}

func (w *pWorld) state() (pState, error) {
	st := pState{boards: map[string]model.List{}, todos: map[string]model.Todo{}, shares: map[string]model.Share{}}
	err := w.store.View(context.Background(), func(rt server.ReadTx) error {
		return errors.Join(readAll(rt, model.Boards.Name(), st.boards), readAll(rt, model.BoardTodos.Name(), st.todos), readAll(rt, model.Shares.Name(), st.shares))
	})
	return st, err
}

func readAll[T any](rt server.ReadTx, coll string, into map[string]T) error {
	recs, err := rt.List(context.Background(), coll, "", 1<<20, false)
	for _, r := range recs {
		var v T
		if err := json.Unmarshal(r.Data, &v); err != nil {
			return err
		}
		into[r.ID] = v
	}
	return err
}

// mayRead is the demo's rule: a board's owner and the users it is shared
// with read it.
func (st pState) mayRead(user, board string) bool {
	b, ok := st.boards[board]
	if !ok {
		return false
	}
	if b.Owner == user {
		return true
	}
	for _, sh := range st.shares {
		if sh.ListID == board && sh.User == user {
			return true
		}
	}
	return false
}

// titleTaken reports whether board has a todo other than id called title.
func (st pState) titleTaken(board, title, id string) bool {
	for tid, t := range st.todos {
		if tid != id && t.ListID == board && strings.EqualFold(t.Title, title) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// record notes who may read what once a step is done, and which step
// published the events since the last call: the steps run one at a time.
func (w *pWorld) record() {
	st, err := w.state()
	if err != nil {
		panic(err) // the test's own store read
	}
	acc := pAccess{}
	for _, u := range pUsers {
		acc[u] = map[string]bool{}
		for b := range st.boards {
			acc[u][b] = st.mayRead(u, b)
		}
	}
	w.steps = append(w.steps, acc)
	for n := len(w.bus.all()); len(w.eventStep) < n; {
		w.eventStep = append(w.eventStep, len(w.steps)-1)
	}
}
