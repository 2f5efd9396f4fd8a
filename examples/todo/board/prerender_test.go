//go:build !js

// Natively only, as board_test.go.

package board

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/ui"
	"github.com/tandemkit/tandem/pkg/wire"
)

// bootData is a server's snapshots of two lists and n todos in the first
// one, plus one in the second, at cursors lists e1/3 and todos e1/n+10.
func bootData(n int, title func(i int) string) []wire.Snapshot {
	lists := wire.Snapshot{Topic: "lists", Epoch: "e1", Seq: 3, Last: true, Items: []wire.Item{
		item("l2", model.List{ID: "l2", Name: "Second", Position: 2}),
		item("l1", model.List{ID: "l1", Name: `Groceries "&" <b>`, Position: 1}),
	}}
	todos := wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: uint64(n + 10), Last: true}
	for i := range n {
		id := fmt.Sprintf("t%04d", i)
		todos.Items = append(todos.Items, item(id, model.Todo{ID: id, ListID: "l1", Title: title(i), Position: float64(i), Done: i%3 == 0}))
	}
	todos.Items = append(todos.Items, item("x1", model.Todo{ID: "x1", ListID: "l2", Title: "elsewhere", Position: 1}))
	return []wire.Snapshot{lists, todos}
}

func numbered(i int) string { return fmt.Sprintf("Todo number %d", i+1) }

var rowRE = regexp.MustCompile(`<li class="todo[^"]*" data-testid="todo-row" data-id="([^"]+)" data-done="(true|false)">`)

// The server's page: the board with its lists and the first list's todos,
// every row as the browser's Rows writes it, in the list's order.
func TestPrerender_showsTheFirstListWithEveryRow(t *testing.T) {
	html, err := Prerender(bootData(1000, numbered))
	require.NoError(t, err)
	rows := rowRE.FindAllStringSubmatch(html, -1)
	require.Len(t, rows, 1000, "the open list's todos, not the other list's")
	assert.Equal(t, "t0000", rows[0][1])
	assert.Equal(t, "true", rows[0][2])
	assert.Equal(t, "t0999", rows[999][1])
	assert.Contains(t, html, `<ul class="todos" data-testid="todo-list">`)
	assert.Contains(t, html, `<h1 class="list-title" id="list-title">Groceries &#34;&amp;&#34; &lt;b&gt;</h1>`, "the first list by position is open")
	assert.Contains(t, html, `666 left of 1000`)
	assert.Contains(t, html, `data-state="reconnecting"`, "not live: the WebAssembly connects")
	assert.Contains(t, html, `Connecting…`)
	assert.NotContains(t, html, "skeleton")
	assert.NotContains(t, html, "autofocus", "the mounted field takes the focus")
	assert.NotContains(t, html, "<!--tandem")
}

// Titles and names are users' data: in text and in attributes, escaped.
func TestPrerender_escapesUsersData(t *testing.T) {
	evil := `x" onfocus="alert(1)" autofocus y="</script><script>alert(2)</script>`
	boot := bootData(2, func(int) string { return evil })
	boot[0].Items[1] = item("l1", model.List{ID: "l1", Name: evil, Position: 1})
	html, err := Prerender(boot)
	require.NoError(t, err)
	assert.NotContains(t, html, "<script")
	assert.NotContains(t, html, `onfocus="`)
	assert.Contains(t, html, `title="Delete list x&#34; onfocus=&#34;alert(1)&#34; autofocus y=&#34;&lt;/script&gt;`, "the sidebar's button, go-app's attribute")
	assert.Contains(t, html, `aria-label="Done: x&#34; onfocus=&#34;alert(1)&#34;`, "a row's, package dom's")
	assert.Contains(t, html, `>x&#34; onfocus=&#34;alert(1)&#34; autofocus y=&#34;&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;</span>`)

	js, err := EncodeBoot(boot)
	require.NoError(t, err)
	assert.NotContains(t, string(js), "</script", "the boot element cannot be ended by data")
	assert.NotContains(t, string(js), "<")
	back, err := DecodeBoot(js)
	require.NoError(t, err)
	var todo model.Todo
	require.NoError(t, json.Unmarshal(back[1].Items[0].Data, &todo))
	assert.Equal(t, evil, todo.Title, "and reads back as it was")
}

// The WebAssembly's first render, started from the page's data, is the
// page: go-app replaces the server's markup with the same.
func TestPrerender_isTheFirstRenderOfABoardStartedFromItsData(t *testing.T) {
	boot := bootData(50, numbered)
	page, err := Prerender(boot)
	require.NoError(t, err)
	cfg := testConfig(&demoServer{open: true}, nil)
	cfg.Boot = func() []wire.Snapshot { return boot }
	a, err := New(cfg)
	require.NoError(t, err)
	defer a.Close()
	assert.Equal(t, 50+1, a.Todos.Len())
	assert.Equal(t, "l1", a.Open())
	first := strings.Replace(htmlOf(&Board{App: a}), " autofocus", "", 1)
	assert.Equal(t, page, first)
}

func htmlOf(c app.UI) string { return ui.HTMLString(c) }

// A page is rendered per request, concurrently.
func TestPrerender_concurrently(t *testing.T) {
	var wg gosync.WaitGroup
	for range 4 {
		wg.Go(func() {
			html, err := Prerender(bootData(100, numbered))
			assert.NoError(t, err)
			assert.Len(t, rowRE.FindAllString(html, -1), 100)
		})
	}
	wg.Wait()
}

func TestDecodeBoot_refusesWhatIsNotSnapshots(t *testing.T) {
	for _, bad := range []string{`{}`, `[{"t":"live","topic":"lists","epoch":"e1","seq":1}]`, `[{"t":"snapshot","topic":"lists"}]`, `not json`} {
		_, err := DecodeBoot([]byte(bad))
		assert.Error(t, err, bad)
	}
	boot, err := DecodeBoot([]byte(`[]`))
	require.NoError(t, err)
	assert.Empty(t, boot)
}

// The realtime client resumes from the page's cursors: a subscription from
// each, which the server answers with what came after (or live), never a
// snapshot of the whole board again.
func TestBoard_resumesFromThePagesCursors(t *testing.T) {
	boot := bootData(3, numbered)
	conns := make(chan sync.Conn, 1)
	cfg := testConfig(&demoServer{open: true}, nil)
	cfg.Boot = func() []wire.Snapshot { return boot }
	cfg.Dial = func(ctx context.Context, url string) (sync.Conn, error) {
		a, b := sync.Pipe()
		conns <- b
		return a, nil
	}
	a, err := New(cfg)
	require.NoError(t, err)
	defer a.Close()
	e := app.NewTestEngine()
	require.NoError(t, e.Load(&Board{App: a}))
	var srv sync.Conn
	read := func() wire.ClientMessage {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			e.ConsumeAll()
			if srv == nil {
				select {
				case srv = <-conns:
				default:
					continue
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			b, err := srv.Read(ctx)
			cancel()
			if err == nil {
				m, err := wire.DecodeClientMessage(b)
				require.NoError(t, err)
				return m
			}
		}
		t.Fatal("the client sent nothing")
		return nil
	}
	require.IsType(t, wire.Hello{}, read())
	welcome, _ := wire.EncodeServerMessage(wire.Welcome{V: 1, HbMs: 15000, MaxMsg: 1 << 20})
	require.NoError(t, srv.Write(context.Background(), welcome))
	subs := map[string]*wire.Cursor{}
	for range 2 {
		sub := read().(wire.Sub)
		subs[sub.Topic] = sub.Since
	}
	assert.Equal(t, map[string]*wire.Cursor{"lists": {Epoch: "e1", Seq: 3}, "todos": {Epoch: "e1", Seq: 13}}, subs)
	for _, s := range boot {
		live, _ := wire.EncodeServerMessage(wire.Live{Topic: s.Topic, Epoch: s.Epoch, Seq: s.Seq})
		require.NoError(t, srv.Write(context.Background(), live))
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.Sync.State() != sync.Live && time.Now().Before(deadline) {
		e.ConsumeAll()
	}
	assert.Equal(t, sync.Live, a.Sync.State(), "live, without a snapshot")
	assert.Equal(t, 4, a.Todos.Len())
}

// The page's data is read once, by the open demo's board, which Start makes
// without asking the server which demo it runs: only the open demo's server
// renders the board into its page. Without it, Start asks.
func TestStart_aPageWithTheBoardsDataIsTheOpenDemoWithoutAQuestion(t *testing.T) {
	calls := 0
	srv := &demoServer{open: true}
	cfg := testConfig(srv, nil)
	cfg.Boot = func() []wire.Snapshot { calls++; return bootData(2, numbered) }
	route, err := Start(context.Background(), cfg)
	require.NoError(t, err)
	p, ok := route().(*Board)
	require.True(t, ok, "the open demo's board")
	assert.Equal(t, 3, p.App.Todos.Len(), "the board starts from the page's data")
	p.App.Close()
	assert.Equal(t, 1, calls)
	srv.mu.Lock()
	assert.NotContains(t, srv.calls, "GET /api/session", "no question asked")
	srv.mu.Unlock()

	for _, open := range []bool{true, false} {
		srv := &demoServer{open: open}
		route, err := Start(context.Background(), testConfig(srv, nil))
		require.NoError(t, err)
		switch p := route().(type) {
		case *Board:
			assert.True(t, open)
			p.App.Close()
		case *SignedInPage:
			assert.False(t, open)
			p.SignedIn.Close()
		}
		srv.mu.Lock()
		assert.Equal(t, "GET /api/session", srv.calls[0], "without the page's data, Start asks")
		srv.mu.Unlock()
	}
}
