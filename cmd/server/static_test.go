package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, path, content string, mod time.Time) {
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
