//go:build !js

package reacttodo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/internal/browsertest"
	"github.com/tandemkit/tandem/internal/todoserver"
	"github.com/tandemkit/tandem/pkg/store"
)

// board is the React board served on the same origin as the demo's API
// (pkg/server with examples/todo/backend, on a memory store), as cmd/server
// would serve it, with a gate that can hold the API's todo mutations to show
// what the page does before the server answers.
type board struct {
	t    testing.TB
	url  string
	api  string
	gate *gate
}

func startBoard(t testing.TB) *board {
	t.Helper()
	dist, err := filepath.Abs("dist")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("examples/react-todo/dist is missing: make react-todo builds it (npm ci, vite build): %v", err)
	}
	srv, err := todoserver.New(dist)
	require.NoError(t, err)
	g := &gate{}
	hs := httptest.NewServer(g.wrap(srv.Handler))
	t.Cleanup(func() {
		g.release()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		hs.Close()
	})
	return &board{t: t, url: hs.URL, api: hs.URL + "/api", gate: g}
}

// gate holds the todos' mutation requests (POST, PATCH, DELETE) while
// closed.
type gate struct {
	mu   gosync.Mutex
	open chan struct{} // nil: pass; else closed on release
}

func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open != nil {
		close(g.open)
		g.open = nil
	}
}

func (g *gate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/todos") {
			g.mu.Lock()
			wait := g.open
			g.mu.Unlock()
			if wait != nil {
				select {
				case <-wait:
				case <-r.Context().Done():
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// send makes a REST call as another client would, and decodes the entity
// the answer carries into out (nil: ignore it).
func (b *board) send(method, path string, body any, out any) int {
	b.t.Helper()
	var rd *bytes.Reader
	if m, ok := body.(map[string]any); ok && method == http.MethodPost && m["id"] == nil {
		m["id"] = store.NewID() // ids are the client's (PROTOCOL.md §1)
	}
	if body != nil {
		buf, err := json.Marshal(body)
		require.NoError(b.t, err)
		rd = bytes.NewReader(buf)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, b.api+path, rd)
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	if out != nil && res.StatusCode < 300 {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		require.NoError(b.t, json.NewDecoder(res.Body).Decode(&env))
		require.NoError(b.t, json.Unmarshal(env.Data, out))
	}
	return res.StatusCode
}

// todo reads a todo from the server: what it has, not what a page shows.
func (b *board) todo(id string) (model.Todo, bool) {
	var t model.Todo
	return t, b.send(http.MethodGet, "/todos/"+id, nil, &t) == http.StatusOK
}

// todoTitled finds the todo of list titled title on the server.
func (b *board) todoTitled(list, title string) (model.Todo, bool) {
	b.t.Helper()
	res, err := http.Get(b.api + "/todos?limit=1000")
	require.NoError(b.t, err)
	defer res.Body.Close()
	var page struct {
		Items []struct {
			Data model.Todo `json:"data"`
		} `json:"items"`
	}
	require.NoError(b.t, json.NewDecoder(res.Body).Decode(&page))
	for _, it := range page.Items {
		if it.Data.ListID == list && it.Data.Title == title {
			return it.Data, true
		}
	}
	return model.Todo{}, false
}

func row(id string) string { return `[data-testid="todo-row"][data-id="` + id + `"]` }

// waitFor polls a JavaScript predicate in the page until it holds.
func waitFor(t *testing.T, tab context.Context, what, expr string) {
	t.Helper()
	_, err := chromedp.Run(tab, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "waiting for %s: %s", what, expr)
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// titles is the page's todo titles, in order.
const titles = `[...document.querySelectorAll('[data-testid="todo-list"] [data-testid="todo-row"] [data-testid="todo-title"]')].map(e => e.textContent)`

// saved holds once the page has no mutation waiting for the server.
const saved = `document.querySelector('.saving')?.textContent === 'All changes saved'`

func TestBoard_inChromium(t *testing.T) {
	b := startBoard(t)
	var list model.List
	require.Equal(t, http.StatusCreated, b.send(http.MethodPost, "/lists", map[string]any{"name": "Groceries", "position": 1}, &list))
	var milk, bread model.Todo
	require.Equal(t, http.StatusCreated, b.send(http.MethodPost, "/todos", map[string]any{"listId": list.ID, "title": "Milk", "position": 1}, &milk))
	require.Equal(t, http.StatusCreated, b.send(http.MethodPost, "/todos", map[string]any{"listId": list.ID, "title": "Bread", "position": 2}, &bread))

	tab := browsertest.Tab(t, browsertest.Browser(t))
	browsertest.Do(t, tab, 30*time.Second, chromedp.Navigate(b.url))
	waitFor(t, tab, "the live connection", `document.querySelector('[data-testid="connection"]')?.dataset.state === 'live'`)
	waitFor(t, tab, "the list's todos", titles+`.join() === 'Milk,Bread'`)
	assert.Equal(t, "Groceries", browsertest.Get(t, tab, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="lists"] [aria-current="page"]`))))
	browsertest.Screenshot(t, tab, "1-loaded")

	t.Run("a new todo shows at once, before the server answers, then is saved", func(t *testing.T) {
		b.gate.hold()
		browsertest.Do(t, tab, 10*time.Second,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="new-todo-title"]`), "Eggs"),
			chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
		waitFor(t, tab, "the optimistic row", titles+`.join() === 'Milk,Bread,Eggs'`)
		_, onServer := b.todoTitled(list.ID, "Eggs")
		assert.False(t, onServer, "the server has not seen it yet: the page shows it optimistically")
		browsertest.Screenshot(t, tab, "2-optimistic-create")
		b.gate.release()
		waitFor(t, tab, "the confirmation", saved)
		eggs, ok := b.todoTitled(list.ID, "Eggs")
		require.True(t, ok, "the server has it")
		assert.Equal(t, "true", browsertest.Get(t, tab, 5*time.Second, chromedp.Evaluate[string](`String(!!document.querySelector(`+jsString(row(eggs.ID))+`))`)))
	})

	t.Run("a duplicate title is refused: the row rolls back and the form shows the server's message", func(t *testing.T) {
		b.gate.hold()
		browsertest.Do(t, tab, 10*time.Second,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="new-todo-title"]`), " MILK"),
			chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
		waitFor(t, tab, "the optimistic duplicate", titles+`.includes(' MILK')`)
		b.gate.release()
		waitFor(t, tab, "the rollback", `!`+titles+`.includes(' MILK')`)
		msg := browsertest.Get(t, tab, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="new-todo-error"]`)))
		assert.Equal(t, "Title is already used in this list.", msg, "the server's field message (the rule is the server's: Unique within the list, folded)")
		assert.Equal(t, " MILK", browsertest.Get(t, tab, 5*time.Second, chromedp.Value(chromedp.CSS(`[data-testid="new-todo-title"]`))), "the refused title is back in the form")
		assert.Equal(t, []string{"Milk", "Bread", "Eggs"}, browsertest.Get(t, tab, 5*time.Second, chromedp.Evaluate[[]string](titles)))
		browsertest.Screenshot(t, tab, "3-rolled-back")
	})

	t.Run("a toggle shows at once and reaches the server", func(t *testing.T) {
		b.gate.hold()
		browsertest.Do(t, tab, 10*time.Second, chromedp.Click(chromedp.CSS(row(milk.ID)+` [data-testid="todo-toggle"]`)))
		waitFor(t, tab, "the optimistic toggle", `document.querySelector(`+jsString(row(milk.ID))+`).dataset.done === 'true' && document.querySelector(`+jsString(row(milk.ID)+` [data-testid="todo-toggle"]`)+`).checked`)
		onServer, _ := b.todo(milk.ID)
		assert.False(t, onServer.Done, "not yet on the server")
		b.gate.release()
		waitFor(t, tab, "the confirmation", saved)
		onServer, _ = b.todo(milk.ID)
		assert.True(t, onServer.Done)
	})

	t.Run("a rename previews as it is typed and Enter saves it", func(t *testing.T) {
		rename := chromedp.CSS(row(bread.ID) + ` [data-testid="todo-rename"]`)
		title := row(bread.ID) + ` [data-testid="todo-title"]`
		browsertest.Do(t, tab, 10*time.Second, chromedp.Focus(rename))
		typed := ""
		for _, k := range "Rye bread" {
			typed += string(k)
			browsertest.Do(t, tab, 5*time.Second, chromedp.KeyEvent(string(k)))
			waitFor(t, tab, "the preview of "+typed, `document.querySelector(`+jsString(title)+`).textContent.endsWith(`+jsString(typed)+`)`)
		}
		browsertest.Screenshot(t, tab, "4-rename-preview")
		browsertest.Do(t, tab, 5*time.Second, chromedp.KeyEvent(kb.Enter))
		waitFor(t, tab, "the confirmation", saved)
		onServer, _ := b.todo(bread.ID)
		assert.Equal(t, "Rye bread", onServer.Title)
	})

	t.Run("a refused rename rolls back and the row shows the server's message", func(t *testing.T) {
		eggs, ok := b.todoTitled(list.ID, "Eggs")
		require.True(t, ok)
		b.gate.hold()
		browsertest.Do(t, tab, 10*time.Second,
			chromedp.SendKeys(chromedp.CSS(row(eggs.ID)+` [data-testid="todo-rename"]`), "RYE bread"+kb.Enter))
		waitFor(t, tab, "the optimistic rename", `document.querySelector(`+jsString(row(eggs.ID)+` [data-testid="todo-title"]`)+`).textContent === 'RYE bread'`)
		b.gate.release()
		waitFor(t, tab, "the rollback", `document.querySelector(`+jsString(row(eggs.ID)+` [data-testid="todo-title"]`)+`).textContent === 'Eggs'`)
		assert.Equal(t, "Title is already used in this list.", browsertest.Get(t, tab, 5*time.Second, chromedp.Text(chromedp.CSS(row(eggs.ID)+` [role="alert"]`))))
		onServer, _ := b.todo(eggs.ID)
		assert.Equal(t, "Eggs", onServer.Title)
		browsertest.Screenshot(t, tab, "5-rename-refused")
	})

	t.Run("changes made through the API show live", func(t *testing.T) {
		var jam model.Todo
		require.Equal(t, http.StatusCreated, b.send(http.MethodPost, "/todos", map[string]any{"listId": list.ID, "title": "Jam", "position": 0.5}, &jam))
		waitFor(t, tab, "the new todo", titles+`[0] === 'Jam'`)
		require.Equal(t, http.StatusOK, b.send(http.MethodPatch, "/todos/"+jam.ID, map[string]any{"title": "Apricot jam", "done": true}, nil))
		waitFor(t, tab, "the change", `document.querySelector(`+jsString(row(jam.ID))+`)?.dataset.done === 'true' && `+titles+`[0] === 'Apricot jam'`)
		browsertest.Screenshot(t, tab, "6-live")
		require.Equal(t, http.StatusOK, b.send(http.MethodDelete, "/todos/"+jam.ID, nil, nil))
		waitFor(t, tab, "the delete", `!document.querySelector(`+jsString(row(jam.ID))+`)`)
	})

	t.Run("a delete hides the row at once and reaches the server", func(t *testing.T) {
		b.gate.hold()
		browsertest.Do(t, tab, 10*time.Second, chromedp.Click(chromedp.CSS(row(milk.ID)+` [data-testid="todo-delete"]`)))
		waitFor(t, tab, "the row to go", `!document.querySelector(`+jsString(row(milk.ID))+`)`)
		_, onServer := b.todo(milk.ID)
		assert.True(t, onServer, "still on the server")
		b.gate.release()
		waitFor(t, tab, "the confirmation", saved)
		_, onServer = b.todo(milk.ID)
		assert.False(t, onServer)
		browsertest.Screenshot(t, tab, "7-final")
	})

	t.Run("the keyboard reaches every control", func(t *testing.T) {
		browsertest.Do(t, tab, 10*time.Second, chromedp.Focus(chromedp.CSS(`[data-testid="new-todo-title"]`)))
		var focused []string
		for range 4 {
			browsertest.Do(t, tab, 5*time.Second, chromedp.KeyEvent(kb.Tab))
			focused = append(focused, browsertest.Get(t, tab, 5*time.Second, chromedp.Evaluate[string](`document.activeElement.dataset.testid ?? document.activeElement.tagName`)))
		}
		assert.Equal(t, []string{"new-todo-submit", "todo-toggle", "todo-rename", "todo-delete"}, focused)
		browsertest.Screenshot(t, tab, "8-keyboard-focus")
	})
}

// BenchmarkBoard_1000Todos measures the React board as PERFORMANCE.md asks,
// with 1,000 todos in its list: browsertest.MeasureBoard, which the go-app
// demo's side of make bench-browser calls the same way.
func BenchmarkBoard_1000Todos(b *testing.B) {
	brd := startBoard(b)
	var list model.List
	require.Equal(b, http.StatusCreated, brd.send(http.MethodPost, "/lists", map[string]any{"name": "Big", "position": 1}, &list))
	for i := range 1000 {
		require.Equal(b, http.StatusCreated, brd.send(http.MethodPost, "/todos", map[string]any{"listId": list.ID, "title": "todo " + strconv.Itoa(i), "position": i}, nil))
	}
	var n browsertest.BoardNumbers
	for b.Loop() {
		tab := browsertest.Tab(b, browsertest.Browser(b))
		n = browsertest.MeasureBoard(b, tab, brd.url, 1000, 30)
	}
	b.ReportMetric(ms(n.FirstList), "ms/first-list")
	b.ReportMetric(ms(n.Keystroke.Median), "ms/keystroke-median")
	b.ReportMetric(ms(n.Keystroke.P99), "ms/keystroke-p99")
	b.ReportMetric(ms(n.Toggle.Median), "ms/toggle-median")
	b.ReportMetric(ms(n.Toggle.P99), "ms/toggle-p99")
	b.ReportMetric(float64(n.HeapUsed)/1e6, "MB-JS-heap")
	b.Logf("React board, 1,000 todos: %s", n)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
