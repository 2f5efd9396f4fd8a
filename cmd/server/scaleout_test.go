package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// Several cmd/server processes on one PostgreSQL database, with clients on
// different instances (B31), one instance killed mid-load, PostgreSQL
// restarted mid-load. The database is TANDEM_TEST_POSTGRES (make test
// starts a throwaway cluster and sets it; these tests fail without it), in
// a schema of each test's own; the restart test starts a cluster of its own
// with scripts/pgcluster.sh, so as not to restart the one other tests use.

const pgEnv = "TANDEM_TEST_POSTGRES"

func pgBase(t *testing.T) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Fatalf("%s is not set: the PostgreSQL tests need a database. make test starts a throwaway cluster and sets it; "+
			"by hand: scripts/pgcluster.sh run go test ./cmd/server", pgEnv)
	}
	return base
}

// pgSchema creates a fresh schema in the database of base, dropped when the
// test ends, and returns base with search_path set to it.
func pgSchema(t *testing.T, base string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	exec := func(q string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		require.NoError(t, err)
		defer c.Close(ctx)
		_, err = c.Exec(ctx, q)
		require.NoError(t, err)
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// instance is a server process that may not listen yet.
type instance struct {
	*serverProc
	ready func() // waits until it listens
}

// spawn starts the server binary without waiting for it to listen, so that
// several can start at once; ready waits.
func spawn(t *testing.T, bin string, args ...string) *instance {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "TANDEM_ORIGINS=")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &instance{serverProc: &serverProc{t: t, cmd: cmd, done: make(chan error, 1)}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	p.ready = func() {
		select {
		case p.addr = <-addr:
		case err := <-p.done:
			t.Fatalf("server exited before listening: %v\n%s", err, p.logs())
		case <-time.After(90 * time.Second):
			t.Fatalf("server did not listen in time\n%s", p.logs())
		}
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// startInstances starts n servers on db at once and waits for them all.
func startInstances(t *testing.T, bin, db string, n int, args ...string) []*instance {
	t.Helper()
	web := t.TempDir()
	procs := make([]*instance, n)
	for i := range procs {
		procs[i] = spawn(t, bin, append([]string{"-db", db, "-web", web}, args...)...)
	}
	for _, p := range procs {
		p.ready()
	}
	return procs
}

// wsClient is a raw WebSocket client of one instance.
type wsClient struct {
	c   *websocket.Conn
	ctx context.Context
}

func dialInstance(ctx context.Context, addr, clientID string) (*wsClient, error) {
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	w := &wsClient{c: c, ctx: ctx}
	if err := w.send(wire.Hello{V: 1, ClientID: clientID}); err != nil {
		c.CloseNow()
		return nil, err
	}
	return w, nil
}

func (w *wsClient) send(m wire.ClientMessage) error {
	b, err := wire.EncodeClientMessage(m)
	if err != nil {
		return err
	}
	return w.c.Write(w.ctx, websocket.MessageText, b)
}

// next returns the next message other than hb, answering heartbeats.
func (w *wsClient) next() (wire.ServerMessage, error) {
	for {
		_, b, err := w.c.Read(w.ctx)
		if err != nil {
			return nil, err
		}
		m, err := wire.DecodeServerMessage(b)
		if err != nil {
			return nil, err
		}
		if _, hb := m.(wire.HB); hb {
			if err := w.send(wire.HB{}); err != nil {
				return nil, err
			}
			continue
		}
		return m, nil
	}
}

// A follower follows one topic as a client must: it subscribes from its
// cursor, and when its connection drops it resumes from its cursor on the
// next instance that answers. It records every event it applies and every
// breach of the stream's rules: an event whose prev is not its cursor (a
// gap, or a duplicate), a snapshot after the first one.
type follower struct {
	name     string
	clientID string
	topic    string
	addrs    []string
	at       int // index into addrs of the instance it uses

	mu         sync.Mutex
	cursor     wire.Cursor
	started    bool
	events     []wire.Event
	violations []string
	moves      int
	err        error

	cancel context.CancelFunc
	done   chan struct{}
}

func follow(name, clientID, topic string, addrs []string, at int) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{name: name, clientID: clientID, topic: topic, addrs: addrs, at: at, cancel: cancel, done: make(chan struct{})}
	go f.run(ctx)
	return f
}

func (f *follower) run(ctx context.Context) {
	defer close(f.done)
	failures := 0
	for ctx.Err() == nil {
		addr := f.addrs[f.at%len(f.addrs)]
		err := f.session(ctx, addr)
		if ctx.Err() != nil {
			return
		}
		f.mu.Lock()
		f.moves++
		f.mu.Unlock()
		if err != nil {
			failures++
			f.at++ // another instance
		}
		if failures > 200 {
			f.mu.Lock()
			f.err = fmt.Errorf("%s: no instance answers: %w", f.name, err)
			f.mu.Unlock()
			return
		}
		t := time.NewTimer(20 * time.Millisecond) // a reconnect delay, as a client has
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// session runs one connection until it fails.
func (f *follower) session(ctx context.Context, addr string) error {
	w, err := dialInstance(ctx, addr, f.clientID)
	if err != nil {
		return err
	}
	defer w.c.CloseNow()
	if m, err := w.next(); err != nil {
		return err
	} else if _, ok := m.(wire.Welcome); !ok {
		return fmt.Errorf("got %T, want welcome", m)
	}
	f.mu.Lock()
	sub := wire.Sub{Topic: f.topic}
	if f.started {
		cur := f.cursor
		sub.Since = &cur
	}
	first := !f.started
	f.mu.Unlock()
	if err := w.send(sub); err != nil {
		return err
	}
	for {
		m, err := w.next()
		if err != nil {
			return err
		}
		f.mu.Lock()
		switch m := m.(type) {
		case wire.Snapshot:
			if !first {
				f.violations = append(f.violations, fmt.Sprintf("%s on %s: a snapshot when resuming from %d", f.name, addr, f.cursor.Seq))
			}
		case wire.Live:
			if first {
				f.cursor, f.started = wire.Cursor{Epoch: m.Epoch, Seq: m.Seq}, true
			} else if m.Seq != f.cursor.Seq || m.Epoch != f.cursor.Epoch {
				f.violations = append(f.violations, fmt.Sprintf("%s on %s: live at %s/%d, cursor %s/%d", f.name, addr, m.Epoch, m.Seq, f.cursor.Epoch, f.cursor.Seq))
			}
		case wire.Event:
			if m.Prev != f.cursor.Seq || m.Seq != m.Prev+1 || m.Epoch != f.cursor.Epoch {
				f.violations = append(f.violations, fmt.Sprintf("%s on %s: event %d (prev %d) at cursor %d", f.name, addr, m.Seq, m.Prev, f.cursor.Seq))
			} else {
				f.events = append(f.events, m)
				f.cursor.Seq = m.Seq
			}
		case wire.ErrorMessage:
			f.violations = append(f.violations, fmt.Sprintf("%s on %s: error %s: %s", f.name, addr, m.Code, m.Message))
		}
		f.mu.Unlock()
	}
}

func (f *follower) seq() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursor.Seq
}

func (f *follower) stop() {
	f.cancel()
	<-f.done
}

// waitLive waits until every follower has subscribed.
func waitLive(t *testing.T, fs []*follower) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := 0
		for _, f := range fs {
			f.mu.Lock()
			if f.started {
				n++
			}
			f.mu.Unlock()
		}
		if n == len(fs) {
			return
		}
		require.True(t, time.Now().Before(deadline), "followers never went live")
	}
}

// waitCaughtUp waits until every follower's cursor is head (real processes
// over real sockets: bounded polling).
func waitCaughtUp(t *testing.T, fs []*follower, head uint64) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		behind := ""
		for _, f := range fs {
			if s := f.seq(); s != head {
				behind += fmt.Sprintf(" %s at %d", f.name, s)
			}
			f.mu.Lock()
			err := f.err
			f.mu.Unlock()
			require.NoError(t, err)
		}
		if behind == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("followers never reached seq %d:%s", head, behind)
		}
	}
}

// checkFollowers stops the followers and checks that each applied exactly
// the events from the cursor it started at up to head, each once, in
// order, and broke no rule.
func checkFollowers(t *testing.T, fs []*follower, head uint64) {
	t.Helper()
	for _, f := range fs {
		f.stop()
		assert.Empty(t, f.violations, f.name)
		require.NotEmpty(t, f.events, f.name)
		from := f.events[0].Seq
		for i, ev := range f.events {
			require.Equal(t, from+uint64(i), ev.Seq, "%s: event %d", f.name, i)
		}
		assert.Equal(t, head, f.events[len(f.events)-1].Seq, f.name)
	}
}

// A loadWriter creates todos one at a time with its own clientID, spread
// over the instances. A mutation that got no answer, or a 5xx or 429, is
// sent again with the same mutationID, to the next instance for a network
// error: as a client does. Every acknowledged write is recorded.
type loadWriter struct {
	cid   string
	addrs []string
	at    int
	acks  *acks
}

type acks struct {
	mu    sync.Mutex
	by    map[string]uint64 // todo id -> seq its 201 named
	n     atomic.Int64
	fatal atomic.Value // error
	// What the writers met: sends without an answer, 5xx and 429 answers,
	// answers marked duplicate (a retry of a write that had committed).
	lost, failed, dups atomic.Int64
}

func (w *loadWriter) run(stop *atomic.Bool, client *http.Client, list string) {
	for mid := uint64(1); !stop.Load(); mid++ {
		id := fmt.Sprintf("%s-%d", w.cid[len(w.cid)-4:], mid)
		body := fmt.Sprintf(`{"id":%q,"listId":%q,"title":%q}`, id, list, id)
		for attempt := 0; ; attempt++ {
			if attempt > 600 {
				w.acks.fatal.Store(fmt.Errorf("%s: mutation %d never acknowledged", w.cid, mid))
				return
			}
			status, b, err := post(client, "http://"+w.addrs[w.at%len(w.addrs)]+"/api/todos", body, w.cid, mid)
			if err != nil {
				w.acks.lost.Add(1)
				w.at++
				time.Sleep(20 * time.Millisecond) // a client's retry delay
				continue
			}
			if status >= 500 || status == http.StatusTooManyRequests {
				w.acks.failed.Add(1)
				time.Sleep(50 * time.Millisecond) // a client's retry delay
				continue
			}
			if status != http.StatusCreated {
				w.acks.fatal.Store(fmt.Errorf("%s: status %d: %s", w.cid, status, b))
				return
			}
			r, err := wire.DecodeMutationResponse(b)
			if err != nil {
				w.acks.fatal.Store(err)
				return
			}
			if r.Duplicate {
				w.acks.dups.Add(1)
			}
			w.acks.mu.Lock()
			w.acks.by[id] = r.Seq
			w.acks.mu.Unlock()
			w.acks.n.Add(1)
			break
		}
	}
}

// runLoad starts writers; stopLoad ends them and returns the acknowledged
// writes.
type load struct {
	stop atomic.Bool
	wg   sync.WaitGroup
	acks *acks
}

func startLoad(addrs []string, writers int, list string) *load {
	l := &load{acks: &acks{by: map[string]uint64{}}}
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range writers {
		w := &loadWriter{cid: fmt.Sprintf("%032x", 0xa000+i), addrs: addrs, at: i, acks: l.acks}
		l.wg.Go(func() { w.run(&l.stop, client, list) })
	}
	return l
}

// waitAcks waits for n more acknowledged writes than now.
func (l *load) waitAcks(t *testing.T, n int64) {
	t.Helper()
	target := l.acks.n.Load() + n
	for deadline := time.Now().Add(90 * time.Second); l.acks.n.Load() < target; time.Sleep(5 * time.Millisecond) {
		if err, _ := l.acks.fatal.Load().(error); err != nil {
			t.Fatal(err)
		}
		require.True(t, time.Now().Before(deadline), "the load stalled at %d acknowledged writes", l.acks.n.Load())
	}
}

func (l *load) end(t *testing.T) map[string]uint64 {
	t.Helper()
	l.stop.Store(true)
	l.wg.Wait()
	if err, _ := l.acks.fatal.Load().(error); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes acknowledged (%d as duplicates); %d sends without an answer, %d answered 5xx or 429, all sent again",
		len(l.acks.by), l.acks.dups.Load(), l.acks.lost.Load(), l.acks.failed.Load())
	return l.acks.by
}

// checkAcked checks that every acknowledged write is in the listing of an
// instance, at the version its answer gave, and that the log holds one
// event per todo: none doubled.
func checkAcked(t *testing.T, addr string, acked map[string]uint64, fs []*follower) wire.SnapshotPage {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	page := listAll(t, client, "http://"+addr+"/api/todos")
	have := map[string]uint64{}
	for _, it := range page.Items {
		have[it.ID] = it.Version
	}
	for id, seq := range acked {
		v, ok := have[id]
		if assert.True(t, ok, "acknowledged %s lost", id) {
			assert.Equal(t, seq, v, id)
		}
	}
	assert.Len(t, page.Items, int(page.Seq), "one event per todo: no write applied twice")
	for _, f := range fs {
		ids := map[string]bool{}
		for _, ev := range f.events {
			assert.False(t, ids[ev.ID], "%s: %s twice", f.name, ev.ID)
			ids[ev.ID] = true
		}
	}
	return page
}

func addrsOf(procs []*instance) []string {
	out := make([]string, len(procs))
	for i, p := range procs {
		out[i] = p.addr
	}
	return out
}

func createList(t *testing.T, addr string) {
	t.Helper()
	status, b, err := post(&http.Client{Timeout: 10 * time.Second}, "http://"+addr+"/api/lists", `{"id":"l1","name":"load"}`, fmt.Sprintf("%032x", 0xbeef), 1)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, status, string(b))
}

// TestB31_processesOnOneDatabaseStreamEachOthersWrites: two and three
// server processes started at once on one database; a write on any of them
// reaches a subscriber on every other with the seq, prev and epoch its
// answer named, in one order everywhere.
func TestB31_processesOnOneDatabaseStreamEachOthersWrites(t *testing.T) {
	bin := buildServer(t)
	base := pgBase(t)
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d instances", n), func(t *testing.T) {
			procs := startInstances(t, bin, pgSchema(t, base), n)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			subs := make([]*wsClient, n)
			for i, p := range procs {
				w, err := dialInstance(ctx, p.addr, fmt.Sprintf("%032x", 0x5b+i))
				require.NoError(t, err)
				defer w.c.CloseNow()
				_, err = w.next() // welcome
				require.NoError(t, err)
				require.NoError(t, w.send(wire.Sub{Topic: "lists"}))
				for {
					m, err := w.next()
					require.NoError(t, err)
					if _, ok := m.(wire.Live); ok {
						break
					}
				}
				subs[i] = w
			}
			client := &http.Client{Timeout: 10 * time.Second}
			var answers []wire.MutationResponse
			for k := range 3 * n {
				status, b, err := post(client, procs[k%n].url("/api/lists"), fmt.Sprintf(`{"id":"l%d","name":"x"}`, k), fmt.Sprintf("%032x", 0x77), uint64(k+1))
				require.NoError(t, err)
				require.Equal(t, http.StatusCreated, status, string(b))
				a, err := wire.DecodeMutationResponse(b)
				require.NoError(t, err)
				answers = append(answers, a)
			}
			for i, w := range subs {
				for k, a := range answers {
					m, err := w.next()
					require.NoError(t, err)
					ev, ok := m.(wire.Event)
					require.True(t, ok, "instance %d: got %T", i, m)
					assert.Equal(t, a.Seq, ev.Seq, "instance %d, write %d (on instance %d)", i, k, k%n)
					assert.Equal(t, a.Seq-1, ev.Prev)
					assert.Equal(t, a.Epoch, ev.Epoch)
					assert.Equal(t, a.ID, ev.ID)
				}
			}
		})
	}
}

// TestScaleOut_SIGKILLOfAnInstanceMidLoadMovesItsClients: three processes
// on one database, writers and followers spread over them; one is killed
// with SIGKILL mid-load. Its clients move to the others, resuming from
// their cursors: no acknowledged write is lost, no event is doubled or
// skipped on any follower, and the writes in flight at the kill, sent again
// to another instance, apply once.
func TestScaleOut_SIGKILLOfAnInstanceMidLoadMovesItsClients(t *testing.T) {
	bin := buildServer(t)
	procs := startInstances(t, bin, pgSchema(t, pgBase(t)), 3)
	addrs := addrsOf(procs)
	createList(t, addrs[1])
	var fs []*follower
	for i := range 6 {
		fs = append(fs, follow(fmt.Sprintf("follower%d", i), fmt.Sprintf("%032x", 0xf0+i), "todos", addrs, i))
	}
	defer func() {
		for _, f := range fs {
			f.stop()
		}
	}()
	waitLive(t, fs)
	l := startLoad(addrs, 6, "l1")
	l.waitAcks(t, 120)
	require.NoError(t, procs[0].cmd.Process.Signal(syscall.SIGKILL))
	_ = procs[0].wait(t)
	l.waitAcks(t, 120) // the load goes on, on the other two
	acked := l.end(t)
	assert.Positive(t, l.acks.lost.Load(), "writes were in flight on the killed instance")

	head := listPage(t, &http.Client{Timeout: 10 * time.Second}, "http://"+addrs[1]+"/api/todos?limit=1").Seq
	waitCaughtUp(t, fs, head)
	moved := 0
	for _, f := range []*follower{fs[0], fs[3]} { // those that started on the killed instance
		f.mu.Lock()
		moved += f.moves
		f.mu.Unlock()
	}
	assert.Positive(t, moved, "the killed instance's followers moved")
	checkFollowers(t, fs, head)
	checkAcked(t, addrs[2], acked, fs)
}

// pgCluster is a PostgreSQL cluster of the test's own (scripts/pgcluster.sh).
type pgCluster struct {
	t   *testing.T
	dir string
	url string
}

func startCluster(t *testing.T) *pgCluster {
	t.Helper()
	pgBase(t) // PostgreSQL is there (make test installed it)
	// In /tmp, not under t.TempDir() or $TMPDIR: as root, the cluster runs
	// as another user, who must reach the directory, and a Unix socket's
	// path is short.
	dir, err := os.MkdirTemp("/tmp", "tandem-pg-")
	require.NoError(t, err)
	c := &pgCluster{t: t, dir: dir}
	t.Cleanup(func() {
		c.script("stop", dir)
		_ = os.RemoveAll(dir)
	})
	c.url = strings.TrimSpace(c.script("start", dir))
	return c
}

func (c *pgCluster) script(args ...string) string {
	c.t.Helper()
	out, err := exec.Command(filepath.Join("..", "..", "scripts", "pgcluster.sh"), args...).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		c.t.Fatalf("pgcluster.sh %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
	}
	require.NoError(c.t, err)
	return string(out)
}

// TestScaleOut_aPostgreSQLRestartMidLoadLosesNothingAcknowledged: two
// processes on a cluster of the test's own; PostgreSQL crashes and
// restarts (pg_ctl restart -m immediate: recovery from its WAL) under load.
// The instances reconnect (the bus heals what its listener missed), the
// writers' retries go through, every follower converges to the same log
// with no event doubled or skipped, and nothing acknowledged is lost.
func TestScaleOut_aPostgreSQLRestartMidLoadLosesNothingAcknowledged(t *testing.T) {
	bin := buildServer(t)
	cluster := startCluster(t)
	procs := startInstances(t, bin, cluster.url, 2)
	addrs := addrsOf(procs)
	createList(t, addrs[0])
	var fs []*follower
	for i := range 4 {
		fs = append(fs, follow(fmt.Sprintf("follower%d", i), fmt.Sprintf("%032x", 0xf0+i), "todos", addrs, i))
	}
	defer func() {
		for _, f := range fs {
			f.stop()
		}
	}()
	waitLive(t, fs)
	l := startLoad(addrs, 4, "l1")
	l.waitAcks(t, 100)
	cluster.script("restart", cluster.dir, "immediate")
	l.waitAcks(t, 100) // the load goes on once PostgreSQL is back
	acked := l.end(t)
	assert.Positive(t, l.acks.failed.Load(), "writes failed while PostgreSQL was down")

	head := listPage(t, &http.Client{Timeout: 10 * time.Second}, "http://"+addrs[0]+"/api/todos?limit=1").Seq
	waitCaughtUp(t, fs, head)
	checkFollowers(t, fs, head)
	checkAcked(t, addrs[1], acked, fs)
	for _, p := range procs {
		assert.Contains(t, p.logs(), "listening again", "the bus's listener reconnected")
	}
	// A clean stop still works.
	for _, p := range procs {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, p.wait(t), p.logs())
	}
}
