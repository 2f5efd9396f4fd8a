//go:build !js

// Package browsertest drives Debian's Chromium, headless, with chromedp,
// for the tests that prove things in a real browser: the go-app demo, the
// React example, the static site. make test installs Chromium when it is
// missing (apt-get install chromium); a test fails, never skips, without
// it.
//
// Each test gets a browser of its own with a fresh profile, started with
// the flags this machine needs (no sandbox as root, no GPU, no background
// networking: the network is closed). Tabs are contexts of that browser.
// Screenshots go under the git-ignored screenshots/ folder at the module's
// root, one folder per test, to be looked at.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Flags are the command-line flags every browser starts with.
var Flags = []chromedp.ExecAllocatorOption{
	chromedp.NoFirstRun,
	chromedp.NoDefaultBrowserCheck,
	chromedp.Headless,
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.WindowSize(1280, 900),
}

// Chromium returns the path of the browser binary: $CHROMIUM, or chromium
// on the PATH. It fails the test when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("browsertest: no chromium on the PATH (make test installs it: apt-get install -y chromium): %v", err)
	}
	return p
}

// Browser starts a browser for the test and returns its context; the
// browser stops when the test ends. Run actions on a tab (Tab), not on it.
func Browser(t testing.TB) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
	}, Flags...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(browser); err != nil { // starts the process
		cancel()
		cancelAlloc()
		t.Fatalf("browsertest: starting chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return browser
}

// Tab opens a new tab of browser; it closes when the test ends.
func Tab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	return tab
}

// Incognito opens a new tab of browser in a browser context of its own, as
// a private window is: its cookies and storage are apart from every other
// tab's. It closes, with its context, when the test ends.
func Incognito(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("browsertest: opening a private tab: %v", err)
	}
	return tab
}

// Do runs steps on tab, in order, within timeout, failing the test with
// what failed.
func Do(t testing.TB, tab context.Context, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
}

// Get runs action on tab within timeout and returns its value, failing the
// test with what failed.
func Get[T any](t testing.TB, tab context.Context, timeout time.Duration, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return v
}

// OnNewDocument has tab run script in every document it loads from now on,
// before any script of the page: an observer that must see the page from its
// first node. Call it before navigating.
func OnNewDocument(t testing.TB, tab context.Context, script string) {
	t.Helper()
	Do(t, tab, 10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
}

// Screenshot saves what tab shows as screenshots/<test>/<name>.png under
// the module's root, and returns the file's path.
func Screenshot(t testing.TB, tab context.Context, name string) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "screenshots", safe(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	png := Get(t, tab, 20*time.Second, chromedp.FullScreenshot(100))
	path := filepath.Join(dir, safe(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return path
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safe(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// BuildWASM builds the browser main pkg (a package path such as
// "./cmd/wasm", relative to the module's root) into out with GOOS=js
// GOARCH=wasm, trimmed as a release build is.
func BuildWASM(t testing.TB, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = moduleRoot(t)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("browsertest: building %s: %v\n%s", pkg, err, b)
	}
}

// A Console collects what a tab's console shows: logs, errors, uncaught
// exceptions and the browser's own warnings (a Content-Security-Policy
// violation, say).
type Console struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

// Collect starts collecting tab's console until the test ends; call it
// before navigating.
func Collect(t testing.TB, tab context.Context) *Console {
	t.Helper()
	c := &Console{}
	ctx, cancel := context.WithCancel(tab)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

// Messages returns what was collected so far.
func (c *Console) Messages() []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

// Errors returns the errors and exceptions collected so far, as text.
func (c *Console) Errors() []string {
	var out []string
	for _, m := range c.Messages() {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			out = append(out, m.String())
		}
	}
	return out
}
