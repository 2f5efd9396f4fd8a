//go:build !js

package sync_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/internal/convergence"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

// B36 with partitions and permissions: the signed-in demo's real backend
// (examples/todo/backend: boards, each a partition of its own, their todos
// and shares partitioned by board, each user's accesses by user) on SQLite,
// and four clients — ada, bob, cy, and a second tab of ada's — each the
// real store and reconciler over WebSocket, through fault-injecting
// connections. A seeded trace of random steps runs one step after the
// other: boards created, renamed, deleted (their todos and shares go with
// them); todos created, renamed, toggled, deleted and moved between boards;
// boards shared and shares deleted (revoking, or leaving); boards opened and
// closed by the clients (todos, shares and the board itself: three
// partitions), those a client may not read included; lost REST answers, cut
// connections and a server restart that resets every epoch. Writes go
// wherever the trace says, allowed or not: each settles as the server's
// rules say it must (acknowledged or refused), and a refused one is rolled
// back at once. When a user loses a board (a share deleted, the board
// deleted), every client of that user with the board open is told, on the
// connection it has, within seconds.
//
// At the end, first on the connections the trace left, faults and all,
// every client lets go of whatever its user may no longer read; then, the
// faults off and every client reconnected, for every client:
//   - it is live and has nothing pending, and what it shows of every entity
//     is its confirmed state;
//   - of every partition it has open, it holds exactly what the server lists
//     for its user if the server lets the user read it (and that partition
//     is live), and nothing if not; of partitions it has not open, nothing;
//   - the server never sent it an event or a snapshot of a board at a
//     moment the user could not read that board (unless the user could read
//     it again later: read access includes the retained log), nor another
//     user's accesses — checked on every message, below the faults;
//   - each of its acknowledged mutations was applied exactly once (one
//     event per entity and topic carries its origin), each refused one not
//     at all, and every acknowledged write is in the final state unless a
//     later acknowledged write replaced it (invariant 2).
//
// The files convergence_partition_world_test.go (the server, the clients)
// and convergence_partition_check_test.go (the checks at the end) hold the
// rest. TANDEM_PARTITION_SEEDS sets how many seeds run (30 by default);
// TANDEM_PARTITION_SEED=<seed> replays one, and a failure prints its trace.

type pKind uint8

const (
	pCreateBoard pKind = iota
	pRenameBoard
	pDeleteBoard
	pCreateTodo
	pRenameTodo
	pToggleTodo
	pDeleteTodo
	pMoveTodo
	pShare
	pRevoke
	pOpenBoard
	pCloseBoard
	pLoseAnswer
	pCutConn
	pRestart
)

var pKindNames = [...]string{"create board", "rename board", "delete board", "create todo", "rename todo", "toggle todo", "delete todo",
	"move todo", "share board", "delete share", "open board", "close board", "lose next answer", "cut connection", "restart server (new epochs)"}

// pWeights are the kinds' chances, in percent.
var pWeights = [...]int{5, 4, 3, 13, 7, 5, 5, 10, 10, 8, 15, 6, 4, 4, 1}

// The users, and whose each client is: c3 is a second tab of ada's.
var (
	pUsers      = []string{"ada", "bob", "cy"}
	pClientUser = []string{"ada", "bob", "cy", "ada"}
)

type pStep struct {
	kind   pKind
	client int
	pick   int // which board, todo or share, by index into the candidates
	pick2  int // the move's target board, the share's user
	// prefer narrows the candidates to those the rules allow (three steps
	// in four), so that most writes land and most boards opened are read:
	// permission changes then meet clients following what they change.
	prefer bool
	title  string
	n      int // the step's number, for ids
}

func (s pStep) String() string {
	return fmt.Sprintf("c%d %s pick=%d pick2=%d prefer=%v title=%q n=%d", s.client, pKindNames[s.kind], s.pick, s.pick2, s.prefer, s.title, s.n)
}

func genPartitionTrace(seed uint64, steps int) []pStep {
	r := rand.New(rand.NewPCG(seed, 0xb0a4d5))
	titles := []string{"milk", "eggs", "bread", "tea"}
	var tr []pStep
	for i := range steps {
		s := pStep{client: r.IntN(len(pClientUser)), pick: r.IntN(1 << 20), pick2: r.IntN(1 << 20), prefer: r.IntN(4) > 0, title: titles[r.IntN(len(titles))], n: i}
		for p := r.IntN(100); p >= pWeights[s.kind]; s.kind++ {
			p -= pWeights[s.kind]
		}
		tr = append(tr, s)
	}
	return tr
}

func TestB36_convergenceWithPartitions(t *testing.T) {
	seeds := 30
	if v, err := strconv.Atoi(os.Getenv("TANDEM_PARTITION_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	first, last := uint64(1), uint64(seeds)
	if only := os.Getenv("TANDEM_PARTITION_SEED"); only != "" {
		seed, err := strconv.ParseUint(only, 10, 64)
		if err != nil || seed == 0 {
			t.Fatalf("TANDEM_PARTITION_SEED=%q: want a seed from 1", only)
		}
		first, last = seed, seed
	}
	failures := 0
	stats := map[string]int{}
	for seed := first; seed <= last; seed++ {
		tr := genPartitionTrace(seed, 40)
		if err := runPartitionTrace(t.TempDir(), seed, tr, stats); err != nil {
			failures++
			var b strings.Builder
			for i, s := range tr {
				fmt.Fprintf(&b, "\n  %2d %v", i, s)
			}
			t.Errorf("seed %d failed: %v\nreplay: TANDEM_PARTITION_SEED=%d go test -run TestB36_convergenceWithPartitions ./pkg/sync\ntrace:%s", seed, err, seed, b.String())
			if failures >= 3 {
				t.FailNow()
			}
		}
	}
	t.Logf("convergence with partitions: %d seeds, %d failures", last-first+1, failures)
	for _, k := range sortedKeys(stats) {
		t.Logf("  %s: %d", k, stats[k])
	}
}

// runPartitionTrace runs tr and adds what it did to stats.
func runPartitionTrace(dir string, seed uint64, tr []pStep, stats map[string]int) error {
	w, err := newPWorld(dir, seed)
	if err != nil {
		return err
	}
	defer w.close()
	defer func() {
		for k, n := range w.stats {
			stats[k] += n
		}
	}()
	for i, s := range tr {
		if err := w.exec(s); err != nil {
			return fmt.Errorf("step %d (%v): %w", i, s, err)
		}
		w.record()
	}
	return w.quiesce()
}

// expect checks a mutation's outcome against the server's rules: allowed
// must be acknowledged, anything else refused; an unknown outcome (a lost
// answer) proves nothing. It records the outcome by origin.
func (w *pWorld) expect(p *pPeer, o convergence.Outcome, mid uint64, err error, allowed bool, what string) error {
	if err != nil {
		return fmt.Errorf("c%d %s: %w", p.i, what, err)
	}
	if mid != 0 {
		w.settled[wire.Origin{ClientID: p.clientID, MutationID: mid}] = o
	}
	w.stats[pKindNames[w.kind]+": "+[...]string{"acknowledged", "refused", "unknown"}[o]]++
	switch {
	case o == convergence.Acked && !allowed:
		return fmt.Errorf("c%d (%s) %s: acknowledged, but the rules refuse it", p.i, p.user, what)
	case o == convergence.Refused && allowed:
		return fmt.Errorf("c%d (%s) %s: refused, but the rules allow it", p.i, p.user, what)
	}
	return nil
}

// rolledBack checks, right after a refusal, that the client shows its
// confirmed state of the entity: nothing else is pending, the steps run one
// at a time.
func rolledBack[T any](p *pPeer, c *store.Collection[T], id string) error {
	var err error
	p.Do(func() {
		v, ok := c.Get(id)
		cv, _, cok := c.Confirmed(id)
		vb := convergence.JSON(v)
		cb := convergence.JSON(cv)
		if ok != cok || ok && vb != cb {
			err = fmt.Errorf("c%d: a refused mutation of %s/%s was not rolled back: shows %v %s, confirmed %v %s", p.i, c.Name(), id, ok, vb, cok, cb)
		}
	})
	return err
}

// visible waits until the client shows entity id of c, reading it in a live
// partition; false if it does not (a revocation on its way).
func visible[T any](p *pPeer, c *store.Collection[T], id string) bool {
	return p.Until(5*time.Second, func() error {
		if _, ok := c.Get(id); !ok {
			return errors.New("not visible")
		}
		return nil
	}) == nil
}

func pick[T any](s []T, i int) T { return s[i%len(s)] }

// narrow returns the candidates ok allows if the step prefers them and
// there are any, else all of them.
func narrow(s pStep, cands []string, ok func(string) bool) []string {
	if !s.prefer {
		return cands
	}
	var out []string
	for _, c := range cands {
		if ok(c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return cands
	}
	return out
}

func (w *pWorld) exec(s pStep) error {
	w.kind = s.kind
	p := w.peers[s.client]
	u := p.user
	st, err := w.state()
	if err != nil {
		return err
	}
	boards := sortedKeys(st.boards)
	switch s.kind {
	case pLoseAnswer:
		p.lossy.Arm(true)
		return nil
	case pCutConn:
		p.Do(p.sc.Reconnect)
		return nil
	case pRestart:
		return w.restart()
	case pOpenBoard:
		// A board its user may read, or any, or one that does not exist.
		open := p.openBoards()
		board := pick(narrow(s, append(boards, "nope"), func(b string) bool { return st.mayRead(u, b) && !slices.Contains(open, b) }), s.pick)
		return p.open(board)
	case pCloseBoard:
		open := p.openBoards()
		if len(open) == 0 {
			return nil
		}
		board := pick(open, s.pick)
		p.Do(func() {
			rs := p.opened[board]
			rs[len(rs)-1]()
			if p.opened[board] = rs[:len(rs)-1]; len(p.opened[board]) == 0 {
				delete(p.opened, board)
			}
		})
		return nil
	case pCreateBoard:
		id := "B" + strconv.Itoa(s.n)
		if s.n < 0 {
			id = "B" + u
		}
		o, mid, err := convergence.Settle(p.Do, func() *store.Pending {
			return p.lists.Creates().Run(model.List{ID: id, Name: "board " + id, Position: float64(s.n)})
		}, settleTimeout)
		if o == convergence.Unknown {
			w.Uncertain("lists/" + id)
		}
		if err := w.expect(p, o, mid, err, true, "create "+id); err != nil {
			return err
		}
		return w.Ack(o, nil, "lists/"+id, map[string]string{"name": convergence.Q("board " + id), "owner": convergence.Q(u)})
	case pCreateTodo:
		if len(boards) == 0 {
			return nil
		}
		board := pick(narrow(s, boards, func(b string) bool { return st.mayRead(u, b) }), s.pick)
		id := "T" + strconv.Itoa(s.n)
		o, mid, err := convergence.Settle(p.Do, func() *store.Pending {
			return p.todos.Creates().Run(model.Todo{ID: id, ListID: board, Title: s.title, Position: float64(s.n)})
		}, settleTimeout)
		if o == convergence.Unknown {
			w.Uncertain("todos/" + id)
		}
		if err := w.expect(p, o, mid, err, st.mayRead(u, board) && !st.titleTaken(board, s.title, id), "create "+id+" in "+board); err != nil {
			return err
		}
		if o == convergence.Refused {
			return rolledBack(p, p.todos, id)
		}
		return w.Ack(o, nil, "todos/"+id, map[string]string{"listId": convergence.Q(board), "title": convergence.Q(s.title), "done": "false"})
	case pShare:
		if len(boards) == 0 {
			return nil
		}
		isShared := func(board, user string) bool {
			for _, sh := range st.shares {
				if sh.ListID == board && sh.User == user {
					return true
				}
			}
			return false
		}
		board := pick(narrow(s, boards, func(b string) bool { return st.boards[b].Owner == u }), s.pick)
		user := pick(narrow(s, pUsers, func(v string) bool { return v != st.boards[board].Owner && !isShared(board, v) }), s.pick2)
		shared := isShared(board, user)
		o, mid, err := convergence.Settle(p.Do, func() *store.Pending {
			return p.shares.Creates().Run(model.Share{ID: "S" + strconv.Itoa(s.n), ListID: board, User: user})
		}, settleTimeout)
		allowed := st.boards[board].Owner == u && user != u && !shared
		if err := w.expect(p, o, mid, err, allowed, "share "+board+" with "+user); err != nil {
			return err
		}
		if o == convergence.Refused {
			return rolledBack(p, p.shares, "S"+strconv.Itoa(s.n))
		}
		if o == convergence.Unknown {
			w.Uncertain("shares/S" + strconv.Itoa(s.n))
		}
		return w.Ack(o, nil, "shares/S"+strconv.Itoa(s.n), map[string]string{"listId": convergence.Q(board), "user": convergence.Q(user)})
	}

	// The rest change what the client shows: an entity of a board open and
	// live on it.
	live, err := p.liveBoards()
	if err != nil {
		return err
	}
	inLive := func(board string) bool { return slices.Contains(live, board) }
	switch s.kind {
	case pRenameBoard, pDeleteBoard:
		var cands []string
		for _, b := range boards {
			if inLive(b) {
				cands = append(cands, b)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		board := pick(cands, s.pick)
		if !visible(p, p.lists, board) {
			return nil
		}
		if s.kind == pRenameBoard {
			name := s.title + " " + strconv.Itoa(s.n)
			o, mid, err := convergence.Settle(p.Do, func() *store.Pending {
				return p.lists.Updates(model.RenameBoard).Run(model.List{ID: board, Name: name})
			}, settleTimeout)
			if err := w.expect(p, o, mid, err, st.mayRead(u, board), "rename "+board); err != nil {
				return err
			}
			if o == convergence.Refused {
				return rolledBack(p, p.lists, board)
			}
			return w.Ack(o, nil, "lists/"+board, map[string]string{"name": convergence.Q(name)})
		}
		deleted := []string{"lists/" + board}
		for id, t := range st.todos {
			if t.ListID == board {
				deleted = append(deleted, "todos/"+id)
			}
		}
		for id, sh := range st.shares {
			if sh.ListID == board {
				deleted = append(deleted, "shares/"+id)
			}
		}
		o, mid, err := convergence.Settle(p.Do, func() *store.Pending { return p.lists.Deletes().Run(board) }, settleTimeout)
		if err := w.expect(p, o, mid, err, st.boards[board].Owner == u, "delete "+board); err != nil {
			return err
		}
		if o == convergence.Refused {
			return rolledBack(p, p.lists, board)
		}
		for _, sh := range st.shares {
			if sh.ListID == board && o == convergence.Acked {
				if err := w.lostAccess(sh.User, board); err != nil {
					return err
				}
			}
		}
		return w.Ack(o, nil, "", nil, deleted...)
	case pRenameTodo, pToggleTodo, pDeleteTodo, pMoveTodo:
		var cands []string
		for _, id := range sortedKeys(st.todos) {
			if inLive(st.todos[id].ListID) {
				cands = append(cands, id)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		id := pick(cands, s.pick)
		if !visible(p, p.todos, id) {
			return nil
		}
		from := st.todos[id].ListID
		patch := func(fields []string, fn func(*model.Todo)) *store.Mutation[string] {
			return store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] { return store.Patch(id, fn, fields...) })
		}
		var m *store.Mutation[string]
		var fields map[string]string
		var deleted []string
		allowed := st.mayRead(u, from)
		what := pKindNames[s.kind] + " " + id
		switch s.kind {
		case pRenameTodo:
			m = patch([]string{"title"}, func(t *model.Todo) { t.Title = s.title })
			fields = map[string]string{"title": convergence.Q(s.title)}
			allowed = allowed && !st.titleTaken(from, s.title, id)
		case pToggleTodo:
			done := !st.todos[id].Done
			m = patch([]string{"done"}, func(t *model.Todo) { t.Done = done })
			fields = map[string]string{"done": strconv.FormatBool(done)}
		case pDeleteTodo:
			m = store.NewMutation(p.todos, nil, func(id string) store.Op[model.Todo] { return store.Delete[model.Todo](id) })
			deleted = []string{"todos/" + id}
		case pMoveTodo:
			to := pick(narrow(s, boards, func(b string) bool { return st.mayRead(u, b) && b != from }), s.pick2)
			m = patch([]string{"listId"}, func(t *model.Todo) { t.ListID = to })
			fields = map[string]string{"listId": convergence.Q(to)}
			allowed = allowed && st.mayRead(u, to) && !st.titleTaken(to, st.todos[id].Title, id)
			what += " from " + from + " to " + to
		}
		o, mid, err := convergence.Settle(p.Do, func() *store.Pending { return m.Run(id) }, settleTimeout)
		if err := w.expect(p, o, mid, err, allowed, what); err != nil {
			return err
		}
		if o == convergence.Refused {
			return rolledBack(p, p.todos, id)
		}
		return w.Ack(o, nil, "todos/"+id, fields, deleted...)
	case pRevoke:
		var cands []string
		for _, id := range sortedKeys(st.shares) {
			if inLive(st.shares[id].ListID) {
				cands = append(cands, id)
			}
		}
		if len(cands) == 0 {
			return nil
		}
		id := pick(narrow(s, cands, func(id string) bool {
			return st.boards[st.shares[id].ListID].Owner == u || st.shares[id].User == u
		}), s.pick)
		if !visible(p, p.shares, id) {
			return nil
		}
		sh := st.shares[id]
		o, mid, err := convergence.Settle(p.Do, func() *store.Pending { return p.shares.Deletes().Run(id) }, settleTimeout)
		if err := w.expect(p, o, mid, err, st.boards[sh.ListID].Owner == u || sh.User == u, "delete share "+id+" of "+sh.ListID+" with "+sh.User); err != nil {
			return err
		}
		if o == convergence.Refused {
			return rolledBack(p, p.shares, id)
		}
		if o == convergence.Acked {
			if err := w.lostAccess(sh.User, sh.ListID); err != nil {
				return err
			}
		}
		return w.Ack(o, nil, "", nil, "shares/"+id)
	}
	return nil
}

// lostAccess waits until every client of user that has board open knows it
// may no longer read it, without a reconnect of its own doing: the
// revocation reaches it (or, if its connection was cut meanwhile, the
// refusal of its new subscription), and each of the board's partitions
// says so.
func (w *pWorld) lostAccess(user, board string) error {
	for _, q := range w.peers {
		if q.user != user || !slices.Contains(q.openBoards(), board) {
			continue
		}
		err := q.Until(3*time.Second, func() error {
			for _, st := range q.boardStatus(board) {
				if st.Status != store.PartitionRevoked && st.Status != store.PartitionRefused {
					return fmt.Errorf("c%d (%s) lost access to %s, which it has open, but a partition of it is %s", q.i, user, board, st.Status)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		w.stats["clients told of a lost access"]++
	}
	return nil
}
