//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// BoardNumbers are the browser measures of PERFORMANCE.md for a todo board
// that keeps spec/DOM.md's contract (the go-app demo, the React example),
// taken by MeasureBoard on one page load.
type BoardNumbers struct {
	// FirstList is navigation start to the first list rendered with all its
	// rows: performance.now() at the DOM mutation that completed it,
	// recorded in the page from its first node on. A page that holds the
	// list in its HTML completes it while it is parsed.
	FirstList time.Duration
	// FirstPainted is navigation start to the first frame with that list
	// rendered: the second animation frame after that mutation, once the
	// browser has laid out and painted the first (the cost of a long list's
	// layout is in it).
	FirstPainted time.Duration
	// Interactive is navigation start to the list shown with the app live:
	// the DOM mutation after which the list has all its rows and the
	// connection badge (spec/DOM.md, data-testid="connection") says
	// data-state="live", so that the app answers a keystroke or a click (for
	// a page the server rendered: the WebAssembly loaded and mounted, its
	// stream live).
	Interactive time.Duration
	// Keystroke is a key typed at the end of a row's rename input to the
	// DOM showing it in the row's title; Toggle a click on a row's checkbox
	// to its data-done showing the new state. Both are measured in the page,
	// from the event's capture listener to the DOM mutation that shows it.
	Keystroke, Toggle Latency
	// HeapUsed is the JavaScript heap after load and a garbage collection;
	// Backing is the memory of array buffers besides it, where a WebAssembly
	// module's linear memory lives.
	HeapUsed, Backing int64
}

// A Latency is a sample's median and 99th percentile.
type Latency struct {
	Median, P99 time.Duration
	N           int
}

func (l Latency) String() string {
	return fmt.Sprintf("median %.2f ms, p99 %.2f ms (n=%d)", ms(l.Median), ms(l.P99), l.N)
}

func (n BoardNumbers) String() string {
	return fmt.Sprintf("first list %.1f ms (painted %.1f ms); interactive %.1f ms; keystroke %s; toggle %s; JS heap %.1f MB (+%.1f MB array buffers)",
		ms(n.FirstList), ms(n.FirstPainted), ms(n.Interactive), n.Keystroke, n.Toggle, float64(n.HeapUsed)/1e6, float64(n.Backing)/1e6)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sample waits for the page to note the latency of the last event.
func sample(t testing.TB, tab context.Context) float64 {
	t.Helper()
	type got struct{ V float64 }
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[got](`window.__board.want === null && window.__board.got.length > 0 && {V: window.__board.got.pop()}`, chromedp.WithPollingTimeout(4*time.Second)))
	if err != nil {
		t.Fatalf("browsertest: the page did not note the event's effect: %v (waiting for %s)", err,
			Get(t, tab, 5*time.Second, chromedp.Evaluate[string](`String(window.__board?.want)`)))
	}
	return v.V
}

func latency(samples []float64) Latency {
	slices.Sort(samples)
	at := func(q float64) time.Duration {
		i := int(q * float64(len(samples)-1))
		return time.Duration(samples[i] * float64(time.Millisecond))
	}
	return Latency{Median: at(0.5), P99: at(0.99), N: len(samples)}
}

// loadScript records, from the page's first node on (OnNewDocument), when
// the page first satisfied each condition of window.__load.conds: the time
// of the DOM mutation after which it did (dom), and of the second animation
// frame after it (painted), which starts once the browser has laid out and
// painted the frame showing that change.
const loadScript = `(() => {
  const r = window.__load = { conds: %s, dom: {}, painted: {} };
  const check = () => {
    let pending = 0;
    for (const [name, cond] of Object.entries(r.conds)) {
      if (r.dom[name] !== undefined) continue;
      let ok = false;
      try { ok = cond() } catch (e) {}
      if (!ok) { pending++; continue }
      r.dom[name] = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => { r.painted[name] = performance.now() }));
    }
    if (pending === 0) obs.disconnect();
  };
  const obs = new MutationObserver(check);
  obs.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
})()`

// watchLoad installs loadScript in tab for the next navigation: conds maps
// a name to a JavaScript condition on the document.
func watchLoad(t testing.TB, tab context.Context, conds map[string]string) {
	t.Helper()
	b := []byte{'{'}
	for name, cond := range conds {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%q: () => (%s)", name, cond)
	}
	b = append(b, '}')
	OnNewDocument(t, tab, fmt.Sprintf(loadScript, b))
}

// loadTimes waits for condition name to have held and its frame to have
// been painted, and returns both times from navigation start.
func loadTimes(t testing.TB, tab context.Context, name string) (dom, painted time.Duration) {
	t.Helper()
	type times struct{ Dom, Painted float64 }
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	at, err := chromedp.Run(ctx, chromedp.Poll[times](
		fmt.Sprintf(`window.__load?.painted[%[1]q] !== undefined && {Dom: window.__load.dom[%[1]q], Painted: window.__load.painted[%[1]q]}`, name),
		chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(55*time.Second)))
	if err != nil {
		state := Get(t, tab, 5*time.Second, chromedp.Evaluate[string](`JSON.stringify(window.__load ?? null)`))
		t.Fatalf("browsertest: waiting for %s: %v; recorded: %s", name, err, state)
	}
	return time.Duration(at.Dom * float64(time.Millisecond)), time.Duration(at.Painted * float64(time.Millisecond))
}

// measureScript installs the page's side of MeasureBoard: capture
// listeners note when a key or a click arrives, and a MutationObserver
// notes when the DOM first satisfies window.__want after it.
const measureScript = `(() => {
  if (window.__board) return true;
  const b = window.__board = { t0: 0, want: null, got: [] };
  const start = () => { b.t0 = performance.now(); };
  document.addEventListener("keydown", start, true);
  document.addEventListener("click", start, true);
  new MutationObserver(() => {
    if (b.want && b.want()) { b.got.push(performance.now() - b.t0); b.want = null; }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  return true;
})()`

// FullList is the JavaScript condition of a first list rendered with all
// its rows: at least rows of spec/DOM.md's rows in its list.
func FullList(rows int) string {
	return fmt.Sprintf(`document.querySelectorAll('[data-testid="todo-list"] [data-testid="todo-row"]').length >= %d`, rows)
}

// MeasureBoard loads url in tab, a board whose first list has rows todos,
// and measures it: the first rendered list and when it is interactive, then
// samples keystrokes into the rename input of a row and samples toggles of
// rows, then the heap. It fails the test when the board does not keep
// DOM.md's contract.
func MeasureBoard(t testing.TB, tab context.Context, url string, rows, samples int) BoardNumbers {
	t.Helper()
	var n BoardNumbers
	full := FullList(rows)
	watchLoad(t, tab, map[string]string{
		"first":       full,
		"interactive": full + ` && document.querySelector('[data-testid="connection"]')?.dataset.state === "live"`,
	})
	Do(t, tab, 60*time.Second, chromedp.Navigate(url))
	n.FirstList, n.FirstPainted = loadTimes(t, tab, "first")
	n.Interactive, _ = loadTimes(t, tab, "interactive")
	Get(t, tab, 10*time.Second, chromedp.Evaluate[bool](measureScript))

	// Keystrokes, at the end of the rename input of the middle row.
	row := fmt.Sprintf(`document.querySelectorAll('[data-testid="todo-list"] [data-testid="todo-row"]')[%d]`, rows/2)
	Do(t, tab, 10*time.Second, chromedp.Evaluate[chromedp.Void](row+`.querySelector('[data-testid="todo-rename"]').focus()`))
	typed := ""
	var keys []float64
	for i := range samples {
		k := string(rune('a' + i%26))
		typed += k
		Get(t, tab, 5*time.Second, chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { const r = %s; const id = r.dataset.id; window.__board.want = () => document.querySelector('[data-testid="todo-row"][data-id="'+id+'"] [data-testid="todo-title"]')?.textContent.endsWith(%q); return true })()`, row, typed)))
		Do(t, tab, 5*time.Second, chromedp.KeyEvent(k))
		keys = append(keys, sample(t, tab))
	}
	n.Keystroke = latency(keys)
	Do(t, tab, 5*time.Second, chromedp.KeyEvent(kb.Escape)) // no rename

	// Toggles, of the first rows in turn, once they are back on screen and
	// painted: the keystrokes scrolled to the middle row, and a browser lays
	// out a row that skips its rendering off screen (content-visibility)
	// only in the next frame, where a click aimed before it would miss.
	Do(t, tab, 5*time.Second, chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`))
	Get(t, tab, 5*time.Second, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
	var toggles []float64
	for i := range samples {
		r := fmt.Sprintf(`document.querySelectorAll('[data-testid="todo-list"] [data-testid="todo-row"]')[%d]`, i%min(rows, 20))
		id := Get(t, tab, 5*time.Second, chromedp.Evaluate[string](r+`.dataset.id`))
		sel := `[data-testid="todo-row"][data-id="` + id + `"]`
		Get(t, tab, 5*time.Second, chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { const was = document.querySelector(%q).dataset.done; window.__board.want = () => document.querySelector(%q)?.dataset.done !== was; return true })()`, sel, sel)))
		Do(t, tab, 5*time.Second, chromedp.Click(chromedp.CSS(sel+` [data-testid="todo-toggle"]`)))
		toggles = append(toggles, sample(t, tab))
	}
	n.Toggle = latency(toggles)

	n.HeapUsed, n.Backing = heapAfterGC(t, tab)
	return n
}

// PageNumbers are what MeasurePage takes of a page that is not a board.
type PageNumbers struct {
	// FirstRender is navigation start to ready first holding, and
	// FirstPainted to its frame painted, measured as BoardNumbers.FirstList
	// and FirstPainted are; Interactive to interactive first holding.
	FirstRender, FirstPainted, Interactive time.Duration
	// HeapUsed is the JavaScript heap after a garbage collection.
	HeapUsed int64
}

// MeasurePage loads url in tab and measures it as MeasureBoard does a
// board: ready and interactive are JavaScript conditions, checked at every
// DOM mutation, that say the page has rendered (the hello world's button,
// which go-app prerenders into its page) and that it answers (the button
// the WebAssembly mounted in its place).
func MeasurePage(t testing.TB, tab context.Context, url, ready, interactive string) PageNumbers {
	t.Helper()
	var n PageNumbers
	watchLoad(t, tab, map[string]string{"ready": ready, "interactive": interactive})
	Do(t, tab, 60*time.Second, chromedp.Navigate(url))
	n.FirstRender, n.FirstPainted = loadTimes(t, tab, "ready")
	n.Interactive, _ = loadTimes(t, tab, "interactive")
	n.HeapUsed, _ = heapAfterGC(t, tab)
	return n
}

// heapAfterGC collects garbage and returns the JavaScript heap's use and
// the array buffers' memory beside it.
func heapAfterGC(t testing.TB, tab context.Context) (used, backing int64) {
	t.Helper()
	if _, err := chromedp.Call(tab, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		t.Fatalf("browsertest: collecting garbage: %v", err)
	}
	heap, err := chromedp.Call(tab, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		t.Fatalf("browsertest: heap usage: %v", err)
	}
	return int64(heap.UsedSize), int64(heap.BackingStorageSize)
}
