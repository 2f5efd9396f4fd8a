//go:build !js

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/internal/browsertest"
	"github.com/tandemkit/tandem/pkg/server"
)

// make bench-browser (PERFORMANCE.md, "In the browser"): in headless
// Chromium on loopback, served by this server from a temporary SQLite file
// with the sites precompressed as make site does, cold loads (a fresh
// browser each), a list of 1,000 todos:
//
//   - the go-app demo as make static builds it (no devtools), its page
//     rendered by this server with the data (boardPage): navigation to the
//     first rendered list, to the board interactive (the WebAssembly mounted
//     and the connection live), a keystroke in a rename field to the DOM
//     showing it, a click on a checkbox to the DOM showing it, the JS heap;
//   - the same demo with "/" served as a static file, as make static's site
//     is anywhere (no page rendered by the server): the same measures;
//   - a go-app hello world (bench/hello, one counter component) built the
//     same way: navigation to its first render (the button go-app
//     prerendered into its page), to it interactive (the button its
//     WebAssembly mounted in that one's place), the JS heap;
//   - the React board (examples/react-todo, make react-todo) on the same
//     server: the same measures as the demo.
//
// Times are recorded in the page from its first node on: to the DOM
// mutation that showed it, and to the frame painted with it (see
// browsertest.BoardNumbers).
//
// With TANDEM_BENCH_OUT set (make bench-browser) it takes 5 loads and 60
// samples of each latency, writes the results there as JSON and the table
// into the README; otherwise (make test's single run) one load and 5
// samples, checked only for sense.
func BenchmarkBrowser(b *testing.B) {
	out := os.Getenv("TANDEM_BENCH_OUT")
	loads, samples := 1, 5
	if out != "" {
		loads, samples = 7, 60
	}
	root, err := filepath.Abs("../..")
	require.NoError(b, err)
	react := filepath.Join(root, "examples/react-todo/dist")
	if _, err := os.Stat(filepath.Join(react, "index.html")); err != nil {
		b.Fatalf("the React board is not built: make react-todo (npm ci, vite build): %v", err)
	}
	demoDir, err := buildSite(true)
	require.NoError(b, err)
	helloDir, err := buildHello(root)
	require.NoError(b, err)
	floorDir, err := buildFloor(helloDir, 1000)
	require.NoError(b, err)
	for _, dir := range []string{demoDir, helloDir, floorDir} {
		precompress(b, root, dir)
	}

	var res browserBench
	res.Date = time.Now().UTC().Format("2006-01-02")
	res.Chromium = chromiumVersion(b)
	res.Machine = fmt.Sprintf("%d cores", runtime.NumCPU())
	res.Loads, res.Samples, res.Todos = loads, samples, 1000
	for range b.N {
		res.Apps = nil
		hello := startDemo(b, func(c *config) { c.web = helloDir })
		res.Apps = append(res.Apps, measureApp(b, "go-app hello world", hello.url+"/", 0, loads, samples))
		floor := startDemo(b, func(c *config) { c.web = floorDir })
		res.Apps = append(res.Apps, measureFloor(b, floorName, floor.url+"/", 1000, loads))
		for _, app := range []struct {
			name, web string
			noPage    bool
		}{{"Tandem go-app demo", demoDir, false}, {"Tandem go-app demo, static page", demoDir, true}, {"React board (web/tandem)", react, false}} {
			d := startDemo(b, func(c *config) {
				c.web, c.noPage, c.quotas.Mutations = app.web, app.noPage, server.Rate{PerSecond: 1e6, Burst: 1e6}
			})
			d.seedMany("l1", 1000)
			res.Apps = append(res.Apps, measureApp(b, app.name, d.url+"/", 1000, loads, samples))
		}
	}
	for _, a := range res.Apps {
		b.Logf("%s: %s", a.Name, a)
		require.Greater(b, a.FirstMedian, 0.0, "%s: a first render", a.Name)
		if !a.Floor {
			require.GreaterOrEqual(b, a.InteractiveMedian, a.FirstMedian, "%s: interactive once rendered", a.Name)
		}
	}
	demo := res.Apps[2]
	b.ReportMetric(demo.FirstMedian, "ms/first-list")
	b.ReportMetric(demo.FirstMedian/res.Apps[0].FirstMedian, "first-list/hello")
	b.ReportMetric(demo.PaintedMedian, "ms/first-list-painted")
	b.ReportMetric(demo.InteractiveMedian, "ms/interactive")
	b.ReportMetric(demo.Keystroke.Median, "ms/keystroke-median")
	b.ReportMetric(demo.Keystroke.P99, "ms/keystroke-p99")
	b.ReportMetric(demo.Toggle.Median, "ms/toggle-median")
	b.ReportMetric(demo.Toggle.P99, "ms/toggle-p99")
	if out == "" {
		return
	}
	js, err := json.MarshalIndent(res, "", "  ")
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(out, append(js, '\n'), 0o644))
	readme := filepath.Join(root, "README.md")
	text, err := os.ReadFile(readme)
	require.NoError(b, err)
	updated, err := replaceBetween(string(text), browserMarker, res.table())
	require.NoError(b, err)
	require.NoError(b, os.WriteFile(readme, []byte(updated), 0o644))
	fmt.Print(res.table())
}

// The hello world's button: in the page go-app prerendered (its first
// render), then the one its WebAssembly mounted in that one's place, which
// answers clicks.
const (
	helloReady       = `document.getElementById("count") !== null`
	helloInteractive = `(() => { const c = document.getElementById("count"); window.__count ??= c; return c !== null && c !== window.__count })()`
)

// measureApp loads url in a fresh browser loads times and measures the
// last load's keystrokes and toggles (a board of rows todos), or, for the
// hello world (rows 0), its first render, when it is interactive, and its
// heap.
func measureApp(b *testing.B, name, url string, rows, loads, samples int) appNumbers {
	b.Helper()
	a := appNumbers{Name: name}
	for i := range loads {
		tab := browsertest.Tab(b, browsertest.Browser(b))
		if rows == 0 {
			n := browsertest.MeasurePage(b, tab, url, helloReady, helloInteractive)
			a.First = append(a.First, ms(n.FirstRender))
			a.Painted = append(a.Painted, ms(n.FirstPainted))
			a.Interactive = append(a.Interactive, ms(n.Interactive))
			a.HeapMB = float64(n.HeapUsed) / 1e6
			continue
		}
		s := samples
		if i < loads-1 {
			s = 1 // the latencies of the last load are the ones kept
		}
		n := browsertest.MeasureBoard(b, tab, url, rows, s)
		a.First = append(a.First, ms(n.FirstList))
		a.Painted = append(a.Painted, ms(n.FirstPainted))
		a.Interactive = append(a.Interactive, ms(n.Interactive))
		a.HeapMB = float64(n.HeapUsed) / 1e6
		a.Keystroke = latencyMS(n.Keystroke)
		a.Toggle = latencyMS(n.Toggle)
	}
	a.FirstMedian = median(a.First)
	a.PaintedMedian = median(a.Painted)
	a.InteractiveMedian = median(a.Interactive)
	return a
}

// floorName is the floor's row in the table: the hello world's page with
// a list of bare rows, the least DOM.md's first list can be.
const floorName = "floor: the hello world's page + 1,000 bare rows"

// measureFloor loads the floor page (buildFloor) loads times: its first
// list, as MeasureBoard times a board's.
func measureFloor(b *testing.B, name, url string, rows, loads int) appNumbers {
	b.Helper()
	a := appNumbers{Name: name, Floor: true}
	for range loads {
		tab := browsertest.Tab(b, browsertest.Browser(b))
		n := browsertest.MeasurePage(b, tab, url, browsertest.FullList(rows), browsertest.FullList(rows))
		a.First = append(a.First, ms(n.FirstRender))
		a.Painted = append(a.Painted, ms(n.FirstPainted))
		a.HeapMB = float64(n.HeapUsed) / 1e6
	}
	a.FirstMedian = median(a.First)
	a.PaintedMedian = median(a.Painted)
	return a
}

// buildFloor writes a copy of the hello world's site whose page holds,
// besides the hello world, a list of rows of spec/DOM.md's rows with
// nothing in them but a title: no input, checkbox or button. No board's
// first list can be in the DOM sooner than this one.
func buildFloor(helloDir string, rows int) (string, error) {
	dir, err := os.MkdirTemp("", "tandem-floor-")
	if err != nil {
		return "", err
	}
	siteDirs = append(siteDirs, dir)
	if err := os.CopyFS(dir, os.DirFS(helloDir)); err != nil {
		return "", err
	}
	index := filepath.Join(dir, "index.html")
	page, err := os.ReadFile(index)
	if err != nil {
		return "", err
	}
	var list strings.Builder
	list.WriteString(`<ul data-testid="todo-list">`)
	for i := range rows {
		fmt.Fprintf(&list, `<li data-testid="todo-row" data-id="l1-%d">Todo number %d</li>`, i+1, i+1)
	}
	list.WriteString(`</ul>`)
	body := bytes.Index(page, []byte("<body"))
	end := bytes.IndexByte(page[max(body, 0):], '>')
	if body < 0 || end < 0 {
		return "", fmt.Errorf("the hello world's page has no <body>")
	}
	at := body + end + 1
	page = slices.Concat(page[:at], []byte(list.String()), page[at:])
	for _, variant := range []string{".br", ".gz"} {
		os.Remove(index + variant) // precompress writes them again
	}
	return dir, os.WriteFile(index, page, 0o644)
}

// browserBench is bench/browser.json.
type browserBench struct {
	Date     string       `json:"date"`
	Chromium string       `json:"chromium"`
	Machine  string       `json:"machine"`
	Todos    int          `json:"todos"`
	Loads    int          `json:"loads"`
	Samples  int          `json:"samples"`
	Apps     []appNumbers `json:"apps"`
}

type appNumbers struct {
	Name string `json:"name"`
	// Floor marks the floor (buildFloor): a first list only.
	Floor bool `json:"floor,omitempty"`
	// First is navigation to the first rendered list (to the first render,
	// for the hello world), per load, in ms; FirstMedian their median.
	First       []float64 `json:"firstMs"`
	FirstMedian float64   `json:"firstMedianMs"`
	// Painted is navigation to the frame with it laid out and painted
	// (browsertest.BoardNumbers.FirstPainted); PaintedMedian their median.
	Painted       []float64 `json:"paintedMs"`
	PaintedMedian float64   `json:"paintedMedianMs"`
	// Interactive is navigation to the list shown with the app live (its
	// connection badge says so; the hello world: its button mounted by the
	// WebAssembly), per load, in ms; InteractiveMedian their median.
	Interactive       []float64 `json:"interactiveMs"`
	InteractiveMedian float64   `json:"interactiveMedianMs"`
	Keystroke         latMS     `json:"keystrokeMs"`
	Toggle            latMS     `json:"toggleMs"`
	HeapMB            float64   `json:"jsHeapMB"`
}

type latMS struct {
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
	N      int     `json:"n"`
}

func latencyMS(l browsertest.Latency) latMS {
	return latMS{Median: ms(l.Median), P99: ms(l.P99), N: l.N}
}

func (a appNumbers) String() string {
	return fmt.Sprintf("first %.0f ms (%v); painted %.0f ms (%v); interactive %.0f ms (%v); keystroke %.1f/%.1f ms; toggle %.1f/%.1f ms; heap %.1f MB",
		a.FirstMedian, a.First, a.PaintedMedian, a.Painted, a.InteractiveMedian, a.Interactive, a.Keystroke.Median, a.Keystroke.P99, a.Toggle.Median, a.Toggle.P99, a.HeapMB)
}

const browserMarker = "bench-browser"

// table is the README's table of the results.
func (r browserBench) table() string {
	var w strings.Builder
	fmt.Fprintf(&w, "Measured %s by `make bench-browser` (bench/browser.json): headless Chromium %s on loopback, %s, %d todos in one list, cold loads (median of %d), %d samples of each latency. "+
		"Times run from navigation, recorded in the page from its first node on: to the DOM holding the whole list (the hello world: its button, which go-app prerenders into the page), to the frame showing it laid out and painted, and to the app interactive: the list shown with the connection badge live, the WebAssembly mounted and its stream live (the hello world: the button its WebAssembly mounted).\n\n",
		r.Date, r.Chromium, r.Machine, r.Todos, r.Loads, r.Samples)
	w.WriteString("| app | first rendered list | vs hello world | painted | interactive | vs hello world | keystroke → DOM (median / p99) | toggle → DOM (median / p99) | JS heap |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	hello, helloLive := r.Apps[0].FirstMedian, r.Apps[0].InteractiveMedian
	for _, a := range r.Apps {
		if a.Floor {
			fmt.Fprintf(&w, "| %s | %.0f ms | %.2f× | %.0f ms | — | — | — | — | %.1f MB |\n",
				a.Name, a.FirstMedian, a.FirstMedian/hello, a.PaintedMedian, a.HeapMB)
			continue
		}
		if a.Keystroke.N == 0 {
			fmt.Fprintf(&w, "| %s | %.0f ms (first render) | 1.00× | %.0f ms | %.0f ms | 1.00× | — | — | %.1f MB |\n",
				a.Name, a.FirstMedian, a.PaintedMedian, a.InteractiveMedian, a.HeapMB)
			continue
		}
		fmt.Fprintf(&w, "| %s | %.0f ms | %.2f× | %.0f ms | %.0f ms | %.2f× | %.1f / %.1f ms | %.1f / %.1f ms | %.1f MB |\n",
			a.Name, a.FirstMedian, a.FirstMedian/hello, a.PaintedMedian, a.InteractiveMedian, a.InteractiveMedian/helloLive,
			a.Keystroke.Median, a.Keystroke.P99, a.Toggle.Median, a.Toggle.P99, a.HeapMB)
	}
	return w.String()
}

// replaceBetween puts body between <!-- name --> and <!-- /name --> in text.
func replaceBetween(text, name, body string) (string, error) {
	open, shut := "<!-- "+name+" -->\n", "<!-- /"+name+" -->"
	i, j := strings.Index(text, open), strings.Index(text, shut)
	if i < 0 || j < i {
		return "", fmt.Errorf("README.md has no %q … %q section", strings.TrimSpace(open), shut)
	}
	return text[:i+len(open)] + body + text[j:], nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// seedMany makes one list of n todos through the API, as fast as one
// client can.
func (d *demo) seedMany(list string, n int) {
	d.api("POST", "/api/lists", map[string]any{"id": list, "name": "A thousand things", "position": 1})
	for i := range n {
		d.api("POST", "/api/todos", map[string]any{"id": fmt.Sprintf("%s-%d", list, i+1), "listId": list, "title": fmt.Sprintf("Todo number %d", i+1), "position": i + 1})
	}
}

// buildHello compiles bench/hello as the demo is compiled and writes its
// static site.
func buildHello(root string) (string, error) {
	dir, err := os.MkdirTemp("", "tandem-hello-")
	if err != nil {
		return "", err
	}
	siteDirs = append(siteDirs, dir)
	wasm := filepath.Join(dir, "hello.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", wasm, "./bench/hello")
	build.Dir, build.Env = root, append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building bench/hello: %v\n%s", err, out)
	}
	gen := exec.Command("go", "run", "./bench/hello", "-out", filepath.Join(dir, "site"), "-wasm", wasm)
	gen.Dir = root
	if out, err := gen.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench/hello: %v\n%s", err, out)
	}
	return filepath.Join(dir, "site"), nil
}

// precompress writes the brotli and gzip variants make site writes.
func precompress(b *testing.B, root, dir string) {
	b.Helper()
	cmd := exec.Command("go", "run", "./cmd/precompress", dir)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(b, err, "%s", out)
}

func chromiumVersion(b *testing.B) string {
	out, err := exec.Command(browsertest.Chromium(b), "--version").Output()
	require.NoError(b, err)
	if m := regexp.MustCompile(`\d+(\.\d+)*`).Find(out); m != nil {
		return string(m)
	}
	return strings.TrimSpace(string(out))
}

// The README's browser table is bench/browser.json's, as make bench-browser
// wrote them together.
func TestREADME_browserTableIsBenchJSON(t *testing.T) {
	js, err := os.ReadFile("../../bench/browser.json")
	require.NoError(t, err, "make bench-browser writes it")
	var r browserBench
	require.NoError(t, json.Unmarshal(js, &r))
	require.NotEmpty(t, r.Apps)
	text, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	want, err := replaceBetween(string(text), browserMarker, r.table())
	require.NoError(t, err)
	require.Equal(t, want, string(text), "the README's table differs from bench/browser.json: run make bench-browser")
}
