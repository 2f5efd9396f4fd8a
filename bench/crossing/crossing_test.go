//go:build !js

// Package crossing measures what crossing between JavaScript and Go costs
// the JavaScript API, and what its batching saves: web/tandem/bench's
// crossing.mjs, under Node and in Chromium, against a todoserver. make
// bench-crossing runs it; make test runs it once (bench-smoke).
package crossing_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandemkit/tandem/internal/browsertest"
	"github.com/tandemkit/tandem/internal/todoserver"
)

// results is what crossing.mjs reports.
type results struct {
	Host            string  `json:"host"`
	N               int     `json:"n"`
	CrossingNs      float64 `json:"crossingNs"`
	RoundTripNs     float64 `json:"roundTripNs"`
	FirstDeliveryMs float64 `json:"firstDeliveryMs"`
	FirstColdMs     float64 `json:"firstDeliveryColdMs"`
	OneChangeUs     float64 `json:"oneChangeUs"`
	OneByOneMs      float64 `json:"oneByOneMs"`
	Error           string  `json:"error"`
}

func (r results) report(b *testing.B) {
	b.Helper()
	if r.Error != "" {
		b.Fatal(r.Error)
	}
	b.ReportMetric(r.CrossingNs, "ns/call-into-Go")
	b.ReportMetric(r.RoundTripNs, "ns/call-into-Go-and-back")
	b.ReportMetric(r.FirstDeliveryMs, "ms/first-delivery-1000")
	b.ReportMetric(r.FirstColdMs, "ms/first-delivery-1000-cold")
	b.ReportMetric(r.OneChangeUs, "µs/one-change-in-1000")
	b.ReportMetric(r.OneByOneMs, "ms/1000-reads-one-by-one")
	b.Logf("%s: %+v", r.Host, r)
}

// serve starts a todoserver whose static files are web/tandem: the module,
// its WASM and the bench page.
func serve(b *testing.B) (string, string) {
	b.Helper()
	dir, err := filepath.Abs("../../web/tandem")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tandem.wasm")); err != nil {
		b.Fatalf("web/tandem/tandem.wasm is missing: make web/tandem builds it: %v", err)
	}
	srv, err := todoserver.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		hs.Close()
	})
	return hs.URL, dir
}

func BenchmarkCrossing(b *testing.B) {
	b.Run("node", func(b *testing.B) {
		url, dir := serve(b)
		var r results
		for b.Loop() {
			out, err := exec.Command("node", "--experimental-websocket", filepath.Join(dir, "bench/node.mjs"), url, "1000").Output()
			if err != nil {
				b.Fatalf("%v: %s", err, out)
			}
			if err := json.Unmarshal(lastLine(out), &r); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		r.report(b)
	})
	b.Run("chromium", func(b *testing.B) {
		url, _ := serve(b)
		var r results
		for b.Loop() {
			tab := browsertest.Tab(b, browsertest.Browser(b))
			browsertest.Do(b, tab, 30*time.Second, chromedp.Navigate(url+"/bench/index.html?n=1000"))
			raw := browsertest.Get(b, tab, 120*time.Second, chromedp.Poll[json.RawMessage](`window.results`, chromedp.WithPollingTimeout(110*time.Second)))
			if err := json.Unmarshal(raw, &r); err != nil {
				b.Fatalf("%v: %s", err, raw)
			}
		}
		r.report(b)
	})
}

func lastLine(b []byte) []byte {
	lines := splitLines(b)
	return lines[len(lines)-1]
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			if i > start {
				out = append(out, b[start:i])
			}
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	if len(out) == 0 {
		out = append(out, b)
	}
	return out
}
