package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// serverProc is the real server binary running in a child process.
type serverProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  strings.Builder
	done chan error
}

var listenRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func startServer(t *testing.T, bin, db, web string, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-db", db, "-web", web}, args...)...)
	cmd.Env = append(os.Environ(), "TANDEM_ORIGINS=")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &serverProc{t: t, cmd: cmd, done: make(chan error, 1)}
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
	select {
	case p.addr = <-addr:
	case err := <-p.done:
		t.Fatalf("server exited before listening: %v\n%s", err, p.logs())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not listen in time\n%s", p.logs())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *serverProc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func (p *serverProc) url(path string) string { return "http://" + p.addr + path }

func (p *serverProc) wait(t *testing.T) error {
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not exit\n%s", p.logs())
		return nil
	}
}

type acked struct {
	id  string
	seq uint64
	cid string
	mid uint64
}

func post(client *http.Client, url, body, cid string, mid uint64) (int, []byte, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(wire.HeaderClientID, cid)
	req.Header.Set(wire.HeaderMutationID, fmt.Sprint(mid))
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// TestDurability_SIGKILLMidLoadLosesNoAcknowledgedMutation starts the server
// binary, runs concurrent mutations, kills it with SIGKILL mid-load,
// restarts it on the same file and checks that every acknowledged mutation
// is there, that seq has no gap, that in-flight mutations retried after the
// restart apply at most once, and that SIGTERM shuts down cleanly.
func TestDurability_SIGKILLMidLoadLosesNoAcknowledgedMutation(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "tandem.db")
	srv := startServer(t, bin, db, dir)
	client := &http.Client{Timeout: 10 * time.Second}

	status, body, err := post(client, srv.url("/api/lists"), `{"id":"l1","name":"load"}`, fmt.Sprintf("%032x", 99), 1)
	require.NoError(t, err)
	require.Equal(t, 201, status, string(body))
	epochBefore := listPage(t, client, srv.url("/api/todos")).Epoch

	const workers = 8
	var mu sync.Mutex
	var ok []acked
	inflight := make([]acked, workers) // the mutation each worker had in flight at the kill
	var count atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		cid := fmt.Sprintf("%032x", w+1)
		wg.Go(func() {
			for mid := uint64(1); ; mid++ {
				id := fmt.Sprintf("w%d-%d", w, mid)
				body := fmt.Sprintf(`{"id":%q,"listId":"l1","title":%q}`, id, id)
				inflight[w] = acked{id: id, cid: cid, mid: mid}
				status, b, err := post(client, srv.url("/api/todos"), body, cid, mid)
				if err != nil {
					return // the server is gone
				}
				if status != 201 {
					t.Errorf("status %d: %s", status, b)
					return
				}
				r, err := wire.DecodeMutationResponse(b)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ok = append(ok, acked{id: id, seq: r.Seq, cid: cid, mid: mid})
				mu.Unlock()
				count.Add(1)
			}
		})
	}
	// Wait for real load on the external process, then kill it mid-flight.
	for deadline := time.Now().Add(20 * time.Second); count.Load() < 300 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGKILL))
	wg.Wait()
	srv.wait(t)
	require.GreaterOrEqual(t, len(ok), 50, "too little load before the kill\n%s", srv.logs())
	t.Logf("%d mutations acknowledged before SIGKILL", len(ok))

	srv = startServer(t, bin, db, dir)
	page := listAll(t, client, srv.url("/api/todos"))
	assert.Equal(t, epochBefore, page.Epoch, "the epoch survives a restart")
	present := map[string]uint64{}
	for _, it := range page.Items {
		present[it.ID] = it.Version
	}
	for _, a := range ok {
		v, found := present[a.id]
		if assert.True(t, found, "acknowledged %s lost", a.id) {
			assert.Equal(t, a.seq, v)
		}
	}

	// Seq has no gap: replay the whole retained log from seq 0. An
	// observer's replay carries no origin (origins go to their own client
	// only); each worker's replay carries the origins of its mutations,
	// which the outbox kept through the kill.
	observer := fmt.Sprintf("%032x", 1234)
	events := replay(t, srv.addr, "todos", page.Epoch, observer)
	require.Len(t, events, int(page.Seq))
	for i, ev := range events {
		require.Equal(t, uint64(i+1), ev.Seq)
		require.Equal(t, uint64(i), ev.Prev)
		require.Nil(t, ev.Origin, "seq %d: another client's origin", ev.Seq)
	}
	for w := range workers {
		cid := fmt.Sprintf("%032x", w+1)
		bySeq := map[uint64]wire.Event{}
		for _, ev := range replay(t, srv.addr, "todos", page.Epoch, cid) {
			bySeq[ev.Seq] = ev
		}
		for _, a := range ok {
			ev := bySeq[a.seq]
			assert.Equal(t, a.id, ev.ID)
			if a.cid == cid {
				assert.Equal(t, &wire.Origin{ClientID: a.cid, MutationID: a.mid}, ev.Origin)
			} else {
				assert.Nil(t, ev.Origin)
			}
		}
	}

	// Retrying each in-flight mutation applies it at most once.
	for _, f := range inflight {
		status, b, err := post(client, srv.url("/api/todos"), fmt.Sprintf(`{"id":%q,"listId":"l1","title":%q}`, f.id, f.id), f.cid, f.mid)
		require.NoError(t, err)
		require.Equal(t, 201, status, string(b))
	}
	after := listAll(t, client, srv.url("/api/todos"))
	assert.Equal(t, len(page.Items)+countMissing(page, inflight), len(after.Items))
	assert.Len(t, replay(t, srv.addr, "todos", page.Epoch, observer), int(after.Seq))

	// SIGTERM: graceful shutdown, exit status 0.
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, srv.wait(t), srv.logs())
	assert.Contains(t, srv.logs(), "msg=stopped")
}

func countMissing(page wire.SnapshotPage, inflight []acked) int {
	have := map[string]bool{}
	for _, it := range page.Items {
		have[it.ID] = true
	}
	n := 0
	for _, f := range inflight {
		if !have[f.id] {
			n++
		}
	}
	return n
}

func listPage(t *testing.T, client *http.Client, url string) wire.SnapshotPage {
	t.Helper()
	res, err := client.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode, string(b))
	p, err := wire.DecodeSnapshotPage(b)
	require.NoError(t, err)
	return p
}

// listAll follows next and returns every item with the first page's watermark.
func listAll(t *testing.T, client *http.Client, url string) wire.SnapshotPage {
	t.Helper()
	first := listPage(t, client, url+"?limit=1000")
	out := first
	for next := first.Next; next != ""; {
		p := listPage(t, client, url+"?limit=1000&after="+next)
		out.Items = append(out.Items, p.Items...)
		next = p.Next
	}
	return out
}

// replay subscribes from seq 0 as clientID and returns the replayed events.
func replay(t *testing.T, addr, topic, epoch, clientID string) []wire.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	require.NoError(t, err)
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for _, m := range []wire.ClientMessage{wire.Hello{V: 1, ClientID: clientID}, wire.Sub{Topic: topic, Since: &wire.Cursor{Epoch: epoch, Seq: 0}}} {
		b, err := wire.EncodeClientMessage(m)
		require.NoError(t, err)
		require.NoError(t, c.Write(ctx, websocket.MessageText, b))
	}
	var evs []wire.Event
	for {
		_, b, err := c.Read(ctx)
		require.NoError(t, err)
		m, err := wire.DecodeServerMessage(b)
		require.NoError(t, err)
		switch m := m.(type) {
		case wire.Event:
			evs = append(evs, m)
		case wire.Snapshot:
			t.Fatalf("got a snapshot, want a replay: %s", b)
		case wire.Live:
			c.Close(websocket.StatusNormalClosure, "")
			return evs
		}
	}
}
