//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/internal/browsertest"
)

// The demo in a real browser (issue 13): the board built to WebAssembly and
// served as the static site cmd/site writes, by this server on a temporary
// SQLite file, in headless Chromium. The test sits between the tabs and the
// server, where it can hold or refuse requests and drop the WebSockets.

// site builds the board and its static site once per test binary.
var builtSite struct {
	once gosync.Once
	dir  string
	err  error
}

func demoSite(t testing.TB) string {
	t.Helper()
	builtSite.once.Do(func() {
		builtSite.dir, builtSite.err = buildSite(false)
	})
	require.NoError(t, builtSite.err)
	return builtSite.dir
}

// buildSite compiles cmd/wasm and runs cmd/site into a temporary folder
// (removed by TestMain), as make site does.
func buildSite(static bool, extra ...string) (string, error) {
	dir, err := os.MkdirTemp("", "tandem-site-")
	if err != nil {
		return "", err
	}
	siteDirs = append(siteDirs, dir)
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	wasm := filepath.Join(dir, "app.wasm")
	tags := "devtools"
	if static {
		tags = ""
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-tags="+tags, "-o", wasm, "./cmd/wasm")
	build.Dir, build.Env = root, append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building cmd/wasm: %v\n%s", err, out)
	}
	args := append([]string{"run", "./cmd/site", "-out", filepath.Join(dir, "site"), "-wasm", wasm, "-web", "web"}, extra...)
	gen := exec.Command("go", args...)
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cmd/site: %v\n%s", err, out)
	}
	return filepath.Join(dir, "site"), nil
}

// siteDirs are removed when the tests end.
var siteDirs []string

// demo is the server of one test, with the switches the test holds.
type demo struct {
	t   testing.TB
	a   *app
	url string

	mu         gosync.Mutex
	hold       chan struct{} // mutations wait on it while set
	refuseMut  bool          // mutations answer 503
	refuseWS   bool          // WebSocket handshakes answer 503
	refuseList bool          // listings answer 503
	ws         []net.Conn    // the WebSockets' connections
}

type connKey struct{}

// startDemo serves the demo's development build (with devtools), or the
// site an option names, on a temporary SQLite file.
func startDemo(t testing.TB, opts ...func(*config)) *demo {
	t.Helper()
	d := &demo{t: t}
	cfg := config{addr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "tandem.db")}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.web == "" {
		cfg.web = demoSite(t)
	}
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	d.a = a
	a.hs.ConnContext = func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, connKey{}, c) }
	a.hs.Handler = d.between(a.hs.Handler)
	served := make(chan error, 1)
	go func() { served <- a.hs.Serve(a.ln) }()
	d.url = "http://" + a.ln.Addr().String()
	t.Cleanup(func() {
		d.release()
		require.NoError(t, a.shutdown(10*time.Second))
		<-served
		a.close()
	})
	return d
}

// between is where the test stands between the tabs and the server.
func (d *demo) between(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		hold, refuseMut, refuseWS, refuseList := d.hold, d.refuseMut, d.refuseWS, d.refuseList
		mutation := strings.HasPrefix(r.URL.Path, "/api/") && r.Method != http.MethodGet && r.Method != http.MethodOptions
		ws := r.URL.Path == "/api/ws"
		if ws && !refuseWS {
			d.ws = append(d.ws, r.Context().Value(connKey{}).(net.Conn))
		}
		d.mu.Unlock()
		switch {
		case mutation && r.Header.Get("X-Test") == "" && refuseMut,
			ws && refuseWS,
			!ws && !mutation && strings.HasPrefix(r.URL.Path, "/api/") && refuseList:
			http.Error(w, `{"error":{"code":"unavailable","message":"held by the test"}}`, http.StatusServiceUnavailable)
			return
		case mutation && r.Header.Get("X-Test") == "" && hold != nil:
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (d *demo) set(fn func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fn()
}

// holdMutations makes the tabs' mutations wait at the server until release.
func (d *demo) holdMutations() { d.set(func() { d.hold = make(chan struct{}) }) }

func (d *demo) release() {
	d.set(func() {
		if d.hold != nil {
			close(d.hold)
			d.hold = nil
		}
	})
}

// dropWebSockets cuts every WebSocket connection, as a server restart or a
// network failure would.
func (d *demo) dropWebSockets() {
	d.set(func() {
		for _, c := range d.ws {
			_ = c.Close()
		}
		d.ws = nil
	})
}

// api sends a request as another client would (a script, another device):
// the test's own requests are never held.
func (d *demo) api(method, path string, body any) map[string]any {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(d.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.url+path, rd)
	require.NoError(d.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test", "1")
	res, err := http.DefaultClient.Do(req)
	require.NoError(d.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	require.Less(d.t, res.StatusCode, 300, "%s %s: %s", method, path, b)
	var m map[string]any
	require.NoError(d.t, json.Unmarshal(b, &m))
	return m
}

// seed makes one list of todos, in order.
func (d *demo) seed(list string, titles ...string) {
	d.api("POST", "/api/lists", map[string]any{"id": list, "name": "Groceries", "position": 1})
	for i, title := range titles {
		d.api("POST", "/api/todos", map[string]any{"id": fmt.Sprintf("%s-%d", list, i+1), "listId": list, "title": title, "position": i + 1})
	}
}

// serverTodos returns the server's todos by title: id and version.
func (d *demo) serverTodos() map[string][2]any {
	d.t.Helper()
	res, err := http.Get(d.url + "/api/todos")
	require.NoError(d.t, err)
	defer res.Body.Close()
	var page struct {
		Items []struct {
			ID      string `json:"id"`
			Version uint64 `json:"version"`
			Data    struct {
				Title string `json:"title"`
			} `json:"data"`
		} `json:"items"`
	}
	require.NoError(d.t, json.NewDecoder(res.Body).Decode(&page))
	out := map[string][2]any{}
	for _, it := range page.Items {
		out[it.Data.Title] = [2]any{it.ID, it.Version}
	}
	return out
}

// serverTitle returns the title the server has for a todo, or "" if none.
func (d *demo) serverTitle(id string) string {
	req, _ := http.NewRequest("GET", d.url+"/api/todos/"+id, nil)
	res, err := http.DefaultClient.Do(req)
	require.NoError(d.t, err)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return ""
	}
	var it struct {
		Data struct{ Title string } `json:"data"`
	}
	require.NoError(d.t, json.NewDecoder(res.Body).Decode(&it))
	return it.Data.Title
}

// tab is one browser tab on the board.
type tab struct {
	t       testing.TB
	ctx     context.Context
	console *browsertest.Console
	name    string
}

func (d *demo) open(browser context.Context, name string) *tab {
	d.t.Helper()
	tb := d.navigate(browser, name, d.url+"/")
	tb.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`, "the board goes live")
	return tb
}

// navigate opens url in a new tab, without waiting for the board.
func (d *demo) navigate(browser context.Context, name, url string) *tab {
	d.t.Helper()
	ctx := browsertest.Tab(d.t, browser)
	tb := &tab{t: d.t, ctx: ctx, console: browsertest.Collect(d.t, ctx), name: name}
	browsertest.Do(d.t, ctx, 60*time.Second, chromedp.Navigate(url))
	return tb
}

// wait polls a JavaScript condition for up to 15 seconds.
func (tb *tab) wait(cond, what string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(10*time.Millisecond))); err != nil {
		tb.shot("timeout")
		for _, m := range tb.console.Messages() {
			tb.t.Log(m.String())
		}
		tb.t.Fatalf("%s: %s: waited 15 s for %s: %v; console: %v", tb.name, what, cond, err, tb.console.Errors())
	}
}

func (tb *tab) eval(expr string) string {
	tb.t.Helper()
	return browsertest.Get(tb.t, tb.ctx, 10*time.Second, chromedp.Evaluate[string](expr))
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	browsertest.Do(tb.t, tb.ctx, 15*time.Second, steps...)
}

func (tb *tab) shot(name string) { browsertest.Screenshot(tb.t, tb.ctx, tb.name+"-"+name) }

// type_ types text into the field sel after emptying it, as a user would.
func (tb *tab) type_(sel, text string) {
	tb.t.Helper()
	tb.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.focus(); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); return "" })()`, sel))
	tb.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// titles returns the titles of the rows, in order.
func (tb *tab) titles() string {
	return tb.eval(`[...document.querySelectorAll('[data-testid="todo-row"]')].map(r => r.querySelector('[data-testid="todo-title"]').textContent).join("|")`)
}

func rowSel(id, part string) string {
	return fmt.Sprintf(`[data-testid="todo-row"][data-id=%q] [data-testid=%q]`, id, part)
}

func hasTitle(title string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('[data-testid="todo-title"]')].some(e => e.textContent === %q)`, title)
}

// offline cuts the tab's network (and says so to the page), or restores it.
func (tb *tab) offline(off bool) {
	tb.t.Helper()
	tb.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		conds := []*network.Conditions{{URLPattern: "", Offline: off, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1}}
		// go-app's service worker would fetch for the page, beyond the
		// emulation: the page fetches by itself while the test cuts it.
		if _, err := cdp.Call(ctx, t, network.SetBypassServiceWorker, network.SetBypassServiceWorkerParams{Bypass: off}); err != nil {
			return err
		}
		params := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds, EmulateOfflineServiceWorker: &off}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, params); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

func TestBrowser_demo(t *testing.T) {
	d := startDemo(t)
	d.seed("l1", "Oat milk", "Eggs", "Sourdough bread", "Coffee beans")
	browser := browsertest.Browser(t)
	a := d.open(browser, "A")
	b := d.open(browser, "B")
	a.wait(hasTitle("Coffee beans"), "the list shows on load")
	a.shot("0-loaded")

	t.Run("1 a create shows in A before the server answers, and in B live", func(t *testing.T) {
		d.holdMutations()
		a.type_(`[data-testid="new-todo-title"]`, "Lemons")
		a.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
		a.wait(hasTitle("Lemons"), "A shows it at once")
		a.wait(`document.querySelector('[data-testid="new-todo-title"]').value === ""`, "the field empties")
		a.shot("1-optimistic")
		assert.NotContains(t, b.titles(), "Lemons", "the server has not answered: B knows nothing yet")
		d.release()
		b.wait(hasTitle("Lemons"), "B shows it through the WebSocket")
		b.shot("1-live")
		assert.Contains(t, d.serverTodos(), "Lemons", "the server has it")
	})

	t.Run("2 a refusal by a rule only the server knows rolls back in A with its message", func(t *testing.T) {
		before := b.titles()
		d.holdMutations()
		a.type_(`[data-testid="new-todo-title"]`, " eggs ")
		a.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
		a.wait(hasTitle(" eggs "), "A shows it at once")
		d.release()
		a.wait(`!(`+hasTitle(" eggs ")+`)`, "A rolls it back")
		a.wait(`document.querySelector('[data-testid="new-todo-error"]').textContent === "is already used in this list"`, "A shows the server's message")
		a.wait(`[...document.querySelectorAll('[data-testid="notice"]')].some(e => e.textContent.includes("already used in this list"))`, "and says so in words")
		a.wait(`document.querySelector('[data-testid="new-todo-title"]').value === " eggs "`, "the title comes back to the field, to be fixed")
		a.shot("2-rolled-back")
		assert.Equal(t, before, b.titles(), "B never saw it")
		assert.NotContains(t, d.serverTodos(), " eggs ", "nor did the server keep it")
	})

	t.Run("3 after the server drops every WebSocket, both tabs reconnect and catch up", func(t *testing.T) {
		d.set(func() { d.refuseWS = true })
		d.dropWebSockets()
		a.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "reconnecting"`, "A says reconnecting")
		b.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "reconnecting"`, "B says reconnecting")
		a.shot("3-reconnecting")
		d.api("PATCH", "/api/todos/l1-2", map[string]any{"title": "Free-range eggs"})
		d.set(func() { d.refuseWS = false })
		a.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`, "A is live again")
		b.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`, "B is live again")
		a.wait(hasTitle("Free-range eggs"), "the change made meanwhile shows in A")
		a.shot("3-live")
	})

	t.Run("4 offline changes are queued and reach the server in order", func(t *testing.T) {
		a.offline(true)
		a.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "offline"`, "A says offline")
		a.type_(`[data-testid="new-todo-title"]`, "Oranges")
		a.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
		a.wait(hasTitle("Oranges"), "shown at once")
		a.do(chromedp.Click(chromedp.CSS(rowSel("l1-1", "todo-toggle"))))
		a.wait(`document.querySelector('[data-testid="todo-row"][data-id="l1-1"]').dataset.done === "true"`, "the toggle shows")
		a.wait(`document.querySelector('[data-testid="connection"]')?.textContent.includes("2 changes queued")`, "A shows them queued")
		a.shot("4-offline-queued")
		a.offline(false)
		a.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`, "A is live again")
		b.wait(hasTitle("Oranges"), "B gets the create")
		b.wait(`document.querySelector('[data-testid="todo-row"][data-id="l1-1"]')?.dataset.done === "true"`, "and the toggle")
		b.shot("4-synced")
		todos := d.serverTodos()
		assert.Less(t, todos["Oranges"][1], todos["Oat milk"][1], "in the order they were made: the create, then the toggle")
	})

	t.Run("6 a half-typed rename stays with its todo when a row above is deleted", func(t *testing.T) {
		a.do(chromedp.Click(chromedp.CSS(rowSel("l1-3", "todo-rename"))), chromedp.SendKeys(chromedp.CSS(rowSel("l1-3", "todo-rename")), " (rye)"))
		a.wait(fmt.Sprintf(`document.querySelector(%q).textContent === "Sourdough bread (rye)"`, rowSel("l1-3", "todo-title")), "the title previews the draft")
		d.api("DELETE", "/api/todos/l1-1", nil)
		a.wait(`!document.querySelector('[data-testid="todo-row"][data-id="l1-1"]')`, "row 1 goes")
		assert.Equal(t, "Sourdough bread (rye)", a.eval(fmt.Sprintf(`document.querySelector(%q).value`, rowSel("l1-3", "todo-rename"))), "the draft stays on its todo")
		assert.Equal(t, "", a.eval(fmt.Sprintf(`document.querySelector(%q).value`, rowSel("l1-4", "todo-rename"))), "and on no other")
		a.shot("6-keyed")
		a.do(chromedp.SendKeys(chromedp.CSS(rowSel("l1-3", "todo-rename")), "\r"))
		b.wait(hasTitle("Sourdough bread (rye)"), "Enter saves it")
		assert.Eventually(t, func() bool { return d.serverTitle("l1-3") == "Sourdough bread (rye)" }, 5*time.Second, 20*time.Millisecond)
	})

	t.Run("5 a reload shows the cached board at once, then live, and sends what was queued", func(t *testing.T) {
		d.set(func() { d.refuseMut = true })
		a.do(chromedp.Click(chromedp.CSS(rowSel("l1-4", "todo-toggle"))))
		a.wait(`document.querySelector('[data-testid="connection"]')?.textContent.includes("saving 1")`, "the change waits to be saved")
		d.set(func() { d.refuseWS, d.refuseList = true, true }) // after the reload, only the tab's copy can show the board
		a.do(chromedp.Reload())
		a.wait(hasTitle("Coffee beans")+` && document.querySelector('[data-testid="todo-row"][data-id="l1-4"]').dataset.done === "true"`, "the cached board, and the queued change on it")
		assert.NotEqual(t, "live", a.eval(`document.querySelector('[data-testid="connection"]')?.dataset.state`))
		a.shot("5-cached")
		d.set(func() { d.refuseMut, d.refuseWS, d.refuseList = false, false, false })
		a.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`, "then live")
		b.wait(`document.querySelector('[data-testid="todo-row"][data-id="l1-4"]')?.dataset.done === "true"`, "the queued change was sent")
		a.shot("5-live")
	})

	assert.Empty(t, unexpected(a.console.Errors()), "tab A's console")
	assert.Empty(t, unexpected(b.console.Errors()), "tab B's console")
}

// unexpected drops the errors the scenarios cause on purpose: refused
// requests and WebSocket handshakes, and requests while offline. What is
// left — an exception, a Content-Security-Policy violation — is a bug.
func unexpected(errs []string) []string {
	var out []string
	for _, e := range errs {
		if strings.Contains(e, "Failed to load resource") || strings.Contains(e, "WebSocket connection to") ||
			strings.Contains(e, "net::ERR_INTERNET_DISCONNECTED") {
			continue
		}
		out = append(out, e)
	}
	return out
}

// The first load of a tab with no copy of the board shows a skeleton until
// data arrives; a board without lists says how to start.
func TestBrowser_skeletonAndEmptyBoard(t *testing.T) {
	d := startDemo(t)
	browser := browsertest.Browser(t)
	d.set(func() { d.refuseWS, d.refuseList = true, true })
	a := d.navigate(browser, "A", d.url+"/")
	a.wait(`!!document.querySelector('.skeleton') && document.querySelector('[data-testid="connection"]')?.dataset.state !== "live"`, "the skeleton, while nothing has arrived")
	a.shot("skeleton")
	d.set(func() { d.refuseWS, d.refuseList = false, false })
	a.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`, "live")
	a.wait(`!document.querySelector('.skeleton') && document.querySelector('.empty h2')?.textContent === "No lists yet"`, "an empty board says how to start")
	a.shot("empty")
	a.type_(`.new-list input`, "Errands")
	a.do(chromedp.SendKeys(chromedp.CSS(`.new-list input`), "\r"))
	a.wait(`[...document.querySelectorAll('.list-link')].some(e => e.textContent.includes("Errands"))`, "the new list shows")
	a.wait(`document.querySelector('[data-testid="new-todo-title"]') !== null`, "and opens, ready for its first todo")
	a.shot("first-list")
	assert.Empty(t, unexpected(a.console.Errors()), "the console")
}

// The devtools panel (issue 13): Ctrl+Shift+D opens it; it shows the queue
// with clientID, mutationID and state, the stream with each topic's phase and
// cursor and the last events, and the rollbacks with their reasons.
func TestBrowser_devtools(t *testing.T) {
	d := startDemo(t)
	d.seed("l1", "Oat milk", "Eggs")
	browser := browsertest.Browser(t)
	a := d.open(browser, "A")
	a.wait(hasTitle("Eggs"), "the list shows")
	panel := `document.querySelector('[data-testid="devtools"]')`
	a.do(chromedp.KeyEvent("d", chromedp.KeyModifiers(chromedp.ModifierCtrl, chromedp.ModifierShift)))
	a.wait(panel+` !== null`, "Ctrl+Shift+D opens the panel")
	tabButton := func(label string) {
		a.t.Helper()
		a.eval(fmt.Sprintf(`(() => { [...document.querySelectorAll('.dt-tab')].find(b => b.textContent === %q).click(); return "" })()`, label))
	}

	d.holdMutations()
	a.type_(`[data-testid="new-todo-title"]`, "Lemons")
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
	a.wait(panel+`.textContent.includes("sending") && `+panel+`.textContent.includes("create todos/")`, "the queue shows the create in flight")
	clientID := a.eval(`sessionStorage.getItem("tandem:clientID") || ""`)
	a.shot("devtools-queue")
	d.release()
	a.wait(panel+`.textContent.includes("No mutation waiting for the server")`, "and empties when the server answers")
	if clientID != "" {
		assert.Contains(t, a.eval(panel+`.textContent`), clientID, "with the tab's clientID")
	}

	tabButton("Stream")
	a.wait(panel+`.textContent.includes("Connection: live")`, "the stream tab shows the connection")
	topics := a.eval(`[...document.querySelectorAll('[data-testid="devtools"] tbody')[0].rows].map(r => [...r.cells].slice(0, 3).map(c => c.textContent).join(" ")).join("|")`)
	assert.Regexp(t, `lists live \d+\|todos live \d+`, topics, "each topic's phase and cursor")
	a.wait(panel+`.textContent.includes("todos #") && `+panel+`.textContent.includes("own")`, "and the last events, our own echo among them")
	a.shot("devtools-stream")

	a.type_(`[data-testid="new-todo-title"]`, " eggs ")
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
	a.wait(`document.querySelector('[data-testid="new-todo-error"]')?.textContent === "is already used in this list"`, "the server refuses a duplicate")
	tabButton("Rollbacks")
	a.wait(panel+`.textContent.includes("422") && `+panel+`.textContent.includes("is already used in this list")`, "the rollbacks tab shows it with its reason")
	a.shot("devtools-rollbacks")

	tabButton("Queries")
	a.wait(panel+`.textContent.includes("no query cache")`, "the demo has no query cache, and the panel says so")

	a.do(chromedp.KeyEvent("d", chromedp.KeyModifiers(chromedp.ModifierCtrl, chromedp.ModifierShift)))
	a.wait(panel+` === null`, "Ctrl+Shift+D closes it")
	assert.Empty(t, unexpected(a.console.Errors()), "the console")
}

// The static site (issue 13): make static's folder, hosted by a plain file
// server on another port, talks to the API and WebSocket of a server that
// allows its origin.
func TestBrowser_staticSiteOnAnotherOrigin(t *testing.T) {
	files := http.NewServeMux()
	host := httptest.NewServer(files)
	defer host.Close()
	siteOrigin := strings.TrimPrefix(host.URL, "http://")
	d := startDemo(t, func(c *config) { c.origins = []string{siteOrigin} })
	dir, err := buildSite(true, "-api", d.url+"/api")
	require.NoError(t, err)
	files.Handle("/", http.FileServer(http.Dir(dir)))
	d.seed("l1", "Oat milk", "Eggs")

	browser := browsertest.Browser(t)
	a := d.navigate(browser, "static", host.URL+"/")
	a.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`, "the board goes live against the API's origin")
	a.wait(hasTitle("Eggs"), "with the server's data")
	assert.NotContains(t, a.eval(`document.documentElement.outerHTML`), `data-testid="devtools-toggle"`, "a production build has no devtools")
	a.type_(`[data-testid="new-todo-title"]`, "Lemons")
	a.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
	a.wait(hasTitle("Lemons"), "a create shows")
	assert.Eventually(t, func() bool { _, ok := d.serverTodos()["Lemons"]; return ok }, 10*time.Second, 20*time.Millisecond, "and reaches the server across origins")
	d.api("PATCH", "/api/todos/l1-2", map[string]any{"title": "Free-range eggs"})
	a.wait(hasTitle("Free-range eggs"), "a change from elsewhere arrives live")
	a.shot("static")
	assert.Empty(t, unexpected(a.console.Errors()), "the console")
}

// Issue 14: the React board (examples/react-todo, on web/tandem) and the
// go-app demo side by side on one server: a todo created in either shows in
// the other; React's changes show at once, before the server answers; a
// refusal rolls back in React with the server's field error.
func TestBrowser_reactAndGoAppSideBySide(t *testing.T) {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(root, "web/tandem/tandem.wasm")); err != nil {
		t.Fatalf("the JavaScript module's WASM is not built: make react-todo: %v", err)
	}
	react := t.TempDir()
	vite := exec.Command("npx", "vite", "build", "--logLevel", "warn", "--base=/react/", "--outDir", react, "--emptyOutDir")
	vite.Dir = filepath.Join(root, "examples/react-todo")
	out, err := vite.CombinedOutput()
	require.NoError(t, err, "vite build (make react-todo installs its packages): %s", out)

	d := startDemo(t)
	serve := d.a.hs.Handler
	files := http.StripPrefix("/react", http.FileServer(http.Dir(react)))
	d.a.hs.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/react/") {
			files.ServeHTTP(w, r)
			return
		}
		serve.ServeHTTP(w, r)
	})
	d.seed("l1", "Oat milk", "Eggs")
	browser := browsertest.Browser(t)
	g := d.open(browser, "go-app")
	r := d.navigate(browser, "react", d.url+"/react/")
	r.wait(`document.querySelector('[data-testid="connection"]')?.dataset.state === "live" && `+hasTitle("Eggs"), "the React board goes live with the list")

	d.holdMutations()
	r.type_(`[data-testid="new-todo-title"]`, "Lemons")
	r.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
	r.wait(hasTitle("Lemons"), "React shows its create at once")
	assert.NotContains(t, g.titles(), "Lemons", "held at the server: go-app knows nothing yet")
	r.shot("1-optimistic")
	d.release()
	g.wait(hasTitle("Lemons"), "go-app shows React's create, live")

	g.type_(`[data-testid="new-todo-title"]`, "Pears")
	g.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
	r.wait(hasTitle("Pears"), "React shows go-app's create, live")

	d.holdMutations()
	r.do(chromedp.Click(chromedp.CSS(rowSel("l1-1", "todo-toggle"))))
	r.wait(`document.querySelector('[data-testid="todo-row"][data-id="l1-1"]').dataset.done === "true"`, "React's toggle shows at once")
	assert.Equal(t, "false", g.eval(`document.querySelector('[data-testid="todo-row"][data-id="l1-1"]').dataset.done`))
	d.release()
	g.wait(`document.querySelector('[data-testid="todo-row"][data-id="l1-1"]').dataset.done === "true"`, "and in go-app once saved")

	before := g.titles()
	r.type_(`[data-testid="new-todo-title"]`, " eggs ")
	r.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
	r.wait(`document.querySelector('[data-testid="new-todo-error"]')?.textContent.includes("already used in this list")`, "React shows the server's field error")
	r.wait(`!(`+hasTitle(" eggs ")+`)`, "and rolls the create back")
	r.shot("2-refused")
	g.shot("2-go-app")
	assert.Equal(t, before, g.titles(), "go-app never saw it")
	assert.Empty(t, unexpected(r.console.Errors()), "React's console")
	assert.Empty(t, unexpected(g.console.Errors()), "go-app's console")
}
