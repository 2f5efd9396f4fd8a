package main

import (
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
)

// staticFiles serves a directory read-only: index.html for "/", a
// precompressed X.br or X.gz next to X when the client accepts that encoding
// and the variant is not older than X, and caching headers.
//
// Caching: no file name is content-hashed yet, so every response says
// Cache-Control: no-cache with a strong ETag (size and modification time, per
// encoding): browsers revalidate on every load and get 304 when nothing
// changed, so a new build is never hidden behind a stale cache.
type staticFiles struct {
	root *os.Root
}

func newStaticFiles(dir string) (*staticFiles, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &staticFiles{root: root}, nil
}

func (s *staticFiles) Close() error { return s.root.Close() }

// encodings in order of preference, with their file suffix.
var encodings = [...]struct{ name, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, "index.html")
	}
	info, err := s.root.Stat(name)
	if err == nil && info.IsDir() {
		name = path.Join(name, "index.html")
		info, err = s.root.Stat(name)
	}
	if err != nil || !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}

	h := w.Header()
	h.Set("Content-Type", contentType(name))
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")

	serve, tag := name, ""
	accepted := acceptedEncodings(r.Header.Get("Accept-Encoding"))
	for _, enc := range encodings {
		if !accepted[enc.name] {
			continue
		}
		vi, err := s.root.Stat(name + enc.suffix)
		if err != nil || !vi.Mode().IsRegular() || vi.ModTime().Before(info.ModTime()) {
			continue
		}
		serve, tag = name+enc.suffix, "-"+enc.name
		h.Set("Content-Encoding", enc.name)
		break
	}
	f, err := s.root.Open(serve)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	h.Set("ETag", `"`+strconv.FormatInt(info.Size(), 36)+"-"+strconv.FormatInt(info.ModTime().UnixNano(), 36)+tag+`"`)
	// ServeContent answers If-None-Match (304), Range and HEAD. The
	// modification time is the original's so that all encodings agree.
	http.ServeContent(w, r, name, info.ModTime(), f)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// acceptedEncodings parses Accept-Encoding; an encoding with q=0 is refused.
func acceptedEncodings(header string) map[string]bool {
	out := map[string]bool{}
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if name == "*" {
			for _, e := range encodings {
				if _, set := out[e.name]; !set {
					out[e.name] = q > 0
				}
			}
			continue
		}
		out[name] = q > 0
	}
	return out
}
