//go:build !js

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"

	"github.com/tandemkit/tandem/internal/browsertest"
	"github.com/tandemkit/tandem/pkg/server"
)

// The open demo's page rendered by the server (boardPage) in a real
// browser: the list is there before the WebAssembly runs, never leaves the
// DOM while go-app replaces the server's markup with its own, and the board
// then works as ever, its stream resumed from the page's cursors.

// pageWatch records, from the page's first node on (before any script of
// the page), what a test of the rendered page asks about, in window.__page:
//
//   - rows, at every MutationObserver callback (a microtask checkpoint, so
//     at least once before any paint) and at every animation frame (the one
//     the browser paints next): min is the fewest seen once there were all
//     of want, and drops the callbacks or frames that saw fewer;
//   - full, when the DOM first held all of want; wasm, when the WebAssembly
//     was instantiated; dcl, the rows and the title of row l1-2 at
//     DOMContentLoaded, and whether the WebAssembly ran by then;
//   - ws, the type of every message the page's WebSockets received.
const pageWatch = `(() => {
  const want = %d;
  const p = window.__page = { min: null, drops: [], callbacks: 0, frames: 0, full: null, wasm: null, dcl: null, ws: [] };
  const rows = () => document.querySelectorAll('[data-testid="todo-list"] [data-testid="todo-row"]').length;
  const see = (where) => {
    const n = rows();
    if (p.full === null && n >= want) p.full = performance.now();
    if (p.full === null) return;
    if (p.min === null || n < p.min) p.min = n;
    if (n < want) p.drops.push(where + ":" + n);
  };
  new MutationObserver(() => { p.callbacks++; see("mutation") }).observe(document, { subtree: true, childList: true });
  const frame = () => { p.frames++; see("frame"); requestAnimationFrame(frame) };
  requestAnimationFrame(frame);
  document.addEventListener("DOMContentLoaded", () => {
    const t = document.querySelector('[data-testid="todo-row"][data-id="l1-2"] [data-testid="todo-title"]');
    p.dcl = { rows: rows(), title: t ? t.textContent : null, wasm: p.wasm !== null };
  });
  for (const name of ["instantiateStreaming", "instantiate"]) {
    const orig = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      const r = orig.apply(this, args);
      r.then(() => { if (p.wasm === null) p.wasm = performance.now() });
      return r;
    };
  }
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => { try { p.ws.push(JSON.parse(e.data).t) } catch { p.ws.push("?") } });
    }
  };
})()`

// pageTab opens a tab watched by pageWatch (want rows), not yet navigated.
func (d *demo) pageTab(browser context.Context, name string, want int) *tab {
	d.t.Helper()
	ctx := browsertest.Tab(d.t, browser)
	browsertest.OnNewDocument(d.t, ctx, fmt.Sprintf(pageWatch, want))
	return &tab{t: d.t, ctx: ctx, console: browsertest.Collect(d.t, ctx), name: name}
}

func (tb *tab) go_(url string) {
	tb.t.Helper()
	browsertest.Do(tb.t, tb.ctx, 60*time.Second, chromedp.Navigate(url))
}

// holdWASM makes requests for the WebAssembly wait at the server until the
// returned func is called.
func (d *demo) holdWASM() (release func()) {
	serve := d.a.hs.Handler
	held := make(chan struct{})
	d.a.hs.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			select {
			case <-held:
			case <-r.Context().Done():
				return
			}
		}
		serve.ServeHTTP(w, r)
	})
	return func() { close(held) }
}

const live = `document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`

// Issue 13: the page comes with the list; the WebAssembly takes over without
// a flash and without downloading the board again, and the board works.
func TestBrowser_thePageComesWithTheList(t *testing.T) {
	d := startDemo(t, func(c *config) { c.quotas.Mutations = server.Rate{PerSecond: 1e6, Burst: 1e6} })
	d.seedMany("l1", 1000)
	browser := browsertest.Browser(t)
	a := d.pageTab(browser, "A", 1000)
	a.go_(d.url + "/")
	a.wait(`window.__page?.dcl !== null`, "the HTML parsed")
	assert.Equal(t, "1000", a.eval(`String(window.__page.dcl.rows)`), "every row there at DOMContentLoaded")
	assert.Equal(t, "false", a.eval(`String(window.__page.dcl.wasm)`), "before the WebAssembly ran")
	a.wait(live, "the WebAssembly mounted and live")
	a.wait(`document.querySelectorAll('[data-testid="devtools-toggle"]').length === 1`, "the mounted app (this build has devtools)")
	assert.Equal(t, "true", a.eval(`String(window.__page.full < window.__page.wasm)`), "the list was whole before the WebAssembly was instantiated")
	assert.Equal(t, "1000", a.eval(`String(window.__page.min)`), "never fewer rows once all were there: %s",
		a.eval(`JSON.stringify({drops: window.__page.drops.slice(0, 10), callbacks: window.__page.callbacks, frames: window.__page.frames})`))
	assert.Equal(t, "", a.eval(`window.__page.drops.join(",")`))
	assert.NotEqual(t, "0", a.eval(`String(window.__page.frames)`))
	assert.Equal(t, "", a.eval(`document.getElementById("tandem-boot") ? "still there" : ""`), "the page's data read and dropped")

	ws := a.eval(`window.__page.ws.join(",")`)
	t.Logf("rows whole at %s ms, WebAssembly instantiated at %s ms; %s observer callbacks and %s frames since, none with fewer rows; received %s",
		a.eval(`window.__page.full.toFixed(0)`), a.eval(`window.__page.wasm.toFixed(0)`), a.eval(`String(window.__page.callbacks)`), a.eval(`String(window.__page.frames)`), ws)
	assert.NotContains(t, ws, "snapshot", "resumed from the page's cursors: no snapshot downloaded")
	assert.Equal(t, 2, strings.Count(ws, "live"), "both topics live: %s", ws)

	t.Run("a rename typed into a row saves", func(t *testing.T) {
		sel := rowSel("l1-500", "todo-rename")
		a.do(chromedp.Click(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), " (renamed)"))
		a.wait(fmt.Sprintf(`document.querySelector(%q).textContent === "Todo number 500 (renamed)"`, rowSel("l1-500", "todo-title")), "the title previews it")
		a.do(chromedp.SendKeys(chromedp.CSS(sel), "\r"))
		assert.Eventually(t, func() bool { return d.serverTitle("l1-500") == "Todo number 500 (renamed)" }, 10*time.Second, 20*time.Millisecond)
	})
	t.Run("a change made in another tab arrives live", func(t *testing.T) {
		b := d.pageTab(browser, "B", 1000)
		b.go_(d.url + "/")
		b.wait(live+` && `+hasTitle("Todo number 500 (renamed)"), "B shows the rename, in its page")
		b.do(chromedp.Click(chromedp.CSS(rowSel("l1-7", "todo-toggle"))))
		a.wait(`document.querySelector('[data-testid="todo-row"][data-id="l1-7"]').dataset.done === "true"`, "A gets B's toggle")
		d.api("PATCH", "/api/todos/l1-2", map[string]any{"title": "Changed by a script"})
		a.wait(hasTitle("Changed by a script"), "and a change from elsewhere")
		assert.NotContains(t, a.eval(`window.__page.ws.join(",")`), "snapshot")
		assert.NotContains(t, b.eval(`window.__page.ws.join(",")`), "snapshot")
		assert.Empty(t, unexpected(b.console.Errors()), "B's console")
	})
	assert.Empty(t, unexpected(a.console.Errors()), "A's console")
}

// What the page shows before the WebAssembly runs, and after: screenshots
// to look at, and the same board in both.
func TestBrowser_thePageBeforeAndAfterTheWebAssembly(t *testing.T) {
	d := startDemo(t)
	d.seed("l1", "Oat milk", "Eggs", `A title with "quotes" & <angle brackets>`, "Coffee beans")
	d.api("POST", "/api/lists", map[string]any{"id": "l2", "name": "Hardware", "position": 2})
	d.api("PATCH", "/api/todos/l1-2", map[string]any{"done": true})
	release := d.holdWASM()
	browser := browsertest.Browser(t)
	a := d.pageTab(browser, "A", 4)
	a.go_(d.url + "/")
	a.wait(`window.__page?.dcl !== null && document.fonts.status === "loaded"`, "the page, parsed")
	board := `document.querySelector('nav').innerText + "\n" + document.querySelector('main').innerText`
	before := a.eval(board)
	// Where the rows are: nothing moves when the WebAssembly takes over.
	place := `JSON.stringify([...document.querySelectorAll('[data-testid="todo-row"]')].map(r => { const b = r.getBoundingClientRect(); return [b.left, b.top, b.width, b.height] }))`
	placed := a.eval(place)
	assert.Contains(t, before, `A title with "quotes" & <angle brackets>`)
	assert.Equal(t, "true", a.eval(`String(document.querySelector('[data-testid="todo-row"][data-id="l1-2"] [data-testid="todo-toggle"]').checked)`))
	assert.Equal(t, "null", a.eval(`String(window.__page.wasm)`), "the WebAssembly held at the server")
	a.shot("1-before-wasm")
	release()
	a.wait(live, "live")
	a.shot("2-after-wasm")
	assert.Equal(t, before, a.eval(board), "the same board")
	assert.Equal(t, placed, a.eval(place), "in the same place")
	t.Logf("devtools button %s px high", a.eval(`String(document.querySelector('[data-testid="devtools-toggle"]').getBoundingClientRect().height)`))
	assert.Equal(t, "", a.eval(`window.__page.drops.join(",")`))
	assert.Empty(t, unexpected(a.console.Errors()), "the console")
}

// go-app's service worker keeps the page it fetched when it was installed
// and serves it on later visits: its data is old, but its cursors are its
// data's, and the board catches up from them (a replay, not a snapshot).
func TestBrowser_aPageKeptByTheServiceWorkerCatchesUp(t *testing.T) {
	d := startDemo(t)
	d.seed("l1", "Oat milk", "Eggs", "Coffee beans")
	browser := browsertest.Browser(t)
	a := d.pageTab(browser, "A", 3)
	a.go_(d.url + "/")
	a.wait(live, "live")
	a.wait(`navigator.serviceWorker.controller !== null`, "the service worker controls the page")
	a.eval(`(caches.match("/").then(r => r ? r.text() : "").then(s => { window.__kept = s }), "")`)
	a.wait(`typeof window.__kept === "string" && window.__kept.includes('id="tandem-boot"')`, "it keeps the page, data and all")

	d.api("PATCH", "/api/todos/l1-2", map[string]any{"title": "Free-range eggs"})
	d.api("DELETE", "/api/todos/l1-1", nil)
	d.api("POST", "/api/todos", map[string]any{"id": "l1-9", "listId": "l1", "title": "Lemons", "position": 9})

	b := d.pageTab(browser, "B", 3) // a new tab: no copy of its own
	b.go_(d.url + "/")
	b.wait(`window.__page?.dcl !== null`, "the page parsed")
	assert.Equal(t, "Eggs", b.eval(`window.__page.dcl.title`), "the kept page, with the data it was kept with")
	b.wait(live+` && `+hasTitle("Free-range eggs")+` && `+hasTitle("Lemons")+` && !document.querySelector('[data-id="l1-1"]')`, "caught up")
	b.wait(`document.querySelector('.list-meta')?.textContent === "3 left of 3" && document.querySelector('.list-item[data-id="l1"] .count')?.textContent === "3"`,
		"the views that count the todos too")
	ws := b.eval(`window.__page.ws.join(",")`)
	assert.Contains(t, ws, "resync", "the missed events replayed")
	assert.NotContains(t, ws, "snapshot")
	b.shot("caught-up")
	assert.Empty(t, unexpected(a.console.Errors()), "A's console")
	assert.Empty(t, unexpected(b.console.Errors()), "B's console")
}
