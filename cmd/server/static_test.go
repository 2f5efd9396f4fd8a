package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t testing.TB, path, content string, mod time.Time) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	require.NoError(t, os.Chtimes(path, mod, mod))
}

func TestStaticFiles(t *testing.T) {
	dir := t.TempDir()
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeFile(t, filepath.Join(dir, "index.html"), "<h1>hi</h1>", mod)
	writeFile(t, filepath.Join(dir, "app.wasm"), "WASM-ORIGINAL", mod)
	writeFile(t, filepath.Join(dir, "app.wasm.br"), "WASM-BR", mod)
	var gz strings.Builder
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("WASM-ORIGINAL"))
	zw.Close()
	writeFile(t, filepath.Join(dir, "app.wasm.gz"), gz.String(), mod)
	writeFile(t, filepath.Join(dir, "old.js"), "new content", mod)
	writeFile(t, filepath.Join(dir, "old.js.br"), "stale", mod.Add(-time.Hour))
	writeFile(t, filepath.Join(dir, "sub", "index.html"), "sub", mod)
	writeFile(t, filepath.Join(filepath.Dir(dir), "secret.txt"), "secret", mod)

	sf, err := newStaticFiles(dir)
	require.NoError(t, err)
	defer sf.Close()
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		sf.ServeHTTP(rec, req)
		return rec
	}

	t.Run("root serves index.html without caching blindly", func(t *testing.T) {
		r := get("/")
		require.Equal(t, 200, r.Code)
		assert.Equal(t, "<h1>hi</h1>", r.Body.String())
		assert.Equal(t, "text/html; charset=utf-8", r.Header().Get("Content-Type"))
		assert.Equal(t, "no-cache", r.Header().Get("Cache-Control"))
		assert.NotEmpty(t, r.Header().Get("ETag"))
	})
	t.Run("wasm prefers brotli when accepted", func(t *testing.T) {
		r := get("/app.wasm", "Accept-Encoding", "gzip, deflate, br")
		require.Equal(t, 200, r.Code)
		assert.Equal(t, "WASM-BR", r.Body.String())
		assert.Equal(t, "br", r.Header().Get("Content-Encoding"))
		assert.Equal(t, "application/wasm", r.Header().Get("Content-Type"))
		assert.Equal(t, "Accept-Encoding", r.Header().Get("Vary"))
	})
	t.Run("gzip when brotli is refused", func(t *testing.T) {
		r := get("/app.wasm", "Accept-Encoding", "br;q=0, gzip")
		require.Equal(t, 200, r.Code)
		assert.Equal(t, "gzip", r.Header().Get("Content-Encoding"))
		zr, err := gzip.NewReader(r.Body)
		require.NoError(t, err)
		b, _ := io.ReadAll(zr)
		assert.Equal(t, "WASM-ORIGINAL", string(b))
	})
	t.Run("identity without Accept-Encoding", func(t *testing.T) {
		r := get("/app.wasm")
		assert.Equal(t, "WASM-ORIGINAL", r.Body.String())
		assert.Empty(t, r.Header().Get("Content-Encoding"))
	})
	t.Run("each encoding has its own ETag and revalidates to 304", func(t *testing.T) {
		br := get("/app.wasm", "Accept-Encoding", "br").Header().Get("ETag")
		id := get("/app.wasm").Header().Get("ETag")
		assert.NotEqual(t, br, id)
		r := get("/app.wasm", "Accept-Encoding", "br", "If-None-Match", br)
		assert.Equal(t, http.StatusNotModified, r.Code)
	})
	t.Run("a stale variant is not served", func(t *testing.T) {
		r := get("/old.js", "Accept-Encoding", "br")
		assert.Equal(t, "new content", r.Body.String())
		assert.Empty(t, r.Header().Get("Content-Encoding"))
	})
	t.Run("directories serve their index", func(t *testing.T) {
		assert.Equal(t, "sub", get("/sub/").Body.String())
		assert.Equal(t, "sub", get("/sub").Body.String())
	})
	t.Run("nothing outside the directory", func(t *testing.T) {
		assert.Equal(t, 404, get("/../secret.txt").Code)
		assert.Equal(t, 404, get("/%2e%2e/secret.txt").Code)
		assert.Equal(t, 404, get("/missing").Code)
	})
	t.Run("only GET and HEAD", func(t *testing.T) {
		rec := httptest.NewRecorder()
		sf.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
		assert.Equal(t, 405, rec.Code)
	})
}

func TestAcceptedEncodings(t *testing.T) {
	assert.Equal(t, map[string]bool{"gzip": true, "br": true}, acceptedEncodings("gzip, br"))
	assert.Equal(t, map[string]bool{"br": false, "gzip": true}, acceptedEncodings("br;q=0, *"))
	assert.Equal(t, map[string]bool{"gzip": false}, acceptedEncodings("GZIP; q=0"))
	assert.Empty(t, acceptedEncodings(""))
}

func TestStaticFiles_dotfilesAndEditorBackupsAreNeverServed(t *testing.T) {
	dir := t.TempDir()
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"index.html", ".env", ".git/config", "index.html~", "#index.html#", "app.js.swp",
		"config.bak", "index.html.orig", "sub/.htpasswd", ".well-hidden/index.html"} {
		writeFile(t, filepath.Join(dir, name), "x", mod)
	}
	sf, err := newStaticFiles(dir)
	require.NoError(t, err)
	defer sf.Close()
	for _, p := range []string{"/.env", "/.git/config", "/.git/", "/index.html~", "/%23index.html%23", "/app.js.swp",
		"/config.bak", "/index.html.orig", "/sub/.htpasswd", "/.well-hidden/", "/x/../.env"} {
		rec := httptest.NewRecorder()
		sf.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		assert.Equal(t, http.StatusNotFound, rec.Code, p)
		assert.NotEqual(t, "x", rec.Body.String(), p)
	}
	rec := httptest.NewRecorder()
	sf.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code, "ordinary files are still served")
}

func TestStaticFiles_htmlForbidsFramingAndForeignScripts(t *testing.T) {
	dir := t.TempDir()
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	writeFile(t, filepath.Join(dir, "index.html"), "<h1>hi</h1>", mod)
	writeFile(t, filepath.Join(dir, "app.js"), "1", mod)
	sf, err := newStaticFiles(dir)
	require.NoError(t, err)
	defer sf.Close()
	rec := httptest.NewRecorder()
	sf.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	assert.Contains(t, csp, "default-src 'self'")
	assert.Contains(t, csp, "script-src 'self' 'wasm-unsafe-eval'")
	assert.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))

	rec = httptest.NewRecorder()
	sf.ServeHTTP(rec, httptest.NewRequest("GET", "/app.js", nil))
	assert.Empty(t, rec.Header().Get("Content-Security-Policy"), "the policy is the page's, not every file's")
}

func TestAcceptedEncodings_aMebibyteHeaderCostsLittleMemory(t *testing.T) {
	header := strings.Repeat("x-enc;q=0.5, ", (1<<20)/13) + "br"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := acceptedEncodings(header)
	runtime.ReadMemStats(&after)
	assert.Equal(t, map[string]bool{"br": true}, got)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(16<<10), "bytes allocated to parse a %d-byte header", len(header))
}

func TestAcceptedEncodings_anExplicitEncodingWinsOverTheWildcardInAnyOrder(t *testing.T) {
	assert.Equal(t, map[string]bool{"br": false, "gzip": true}, acceptedEncodings("*, br;q=0"))
	assert.Equal(t, map[string]bool{"br": true, "gzip": false}, acceptedEncodings("*;q=0, BR"))
	assert.Equal(t, map[string]bool{"gzip": true}, acceptedEncodings("deflate, gzip;q=0.1, identity"))
}

func FuzzAcceptedEncodings(f *testing.F) {
	for _, s := range []string{"", "gzip, br", "br;q=0, *", "GZIP; q=0", "*;q=0,br;q=1.0", ",,;;=,", "br;q=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := acceptedEncodings(header)
		for name := range got {
			if name != "br" && name != "gzip" {
				t.Fatalf("unexpected encoding %q from %q", name, header)
			}
		}
	})
}

func FuzzStaticPath(f *testing.F) {
	dir := f.TempDir()
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"index.html", ".env", "a/.secret", "index.html~", "a/b.txt"} {
		writeFile(f, filepath.Join(dir, name), "SECRET-"+name, mod)
	}
	writeFile(f, filepath.Join(dir, "index.html"), "ok", mod)
	writeFile(f, filepath.Join(dir, "a/b.txt"), "ok", mod)
	sf, err := newStaticFiles(dir)
	require.NoError(f, err)
	f.Cleanup(func() { sf.Close() })
	for _, s := range []string{"/", "/.env", "/a/.secret", "/a/../.env", "/index.html~", "/a/b.txt", "//.env", "/a/./.secret"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		sf.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "SECRET-") {
			t.Fatalf("path %q served a hidden file: %q", p, rec.Body.String())
		}
	})
}
