package main

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
)

// site is the built app that the binary serves unless -web names a
// directory: make site (and so make run) generates it here before building
// the server. A clone that has not built it holds only .keep, and the
// server serves fallback.html instead.
//
//go:embed all:site
var site embed.FS

// staticFiles serves a directory read-only: index.html for "/", a
// precompressed X.br or X.gz next to X when the client accepts that encoding
// and the variant is not older than X, and caching headers.
//
// It never serves a file or directory whose name starts with "." (.env,
// .git/config) nor an editor's backup or swap file (index.html~, #x#, .swp,
// .bak, .orig): a web directory is often a working directory too.
//
// Every answer says nosniff; HTML also carries a Content-Security-Policy
// (scripts and styles of this origin only, WebAssembly allowed, no framing)
// and X-Frame-Options: DENY for browsers without frame-ancestors.
//
// Caching: no file name is content-hashed yet, so every response says
// Cache-Control: no-cache with a strong ETag (size and modification time, per
// encoding; a content hash for embedded files, which have no time):
// browsers revalidate on every load and get 304 when nothing changed, so a
// new build is never hidden behind a stale cache.
type staticFiles struct {
	fsys   fs.FS
	close  func() error
	hashes sync.Map // name → ETag body, for files without a modification time
}

// newStaticFiles serves the directory dir, which links cannot escape.
func newStaticFiles(dir string) (*staticFiles, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &staticFiles{fsys: root.FS(), close: root.Close}, nil
}

// embeddedSite serves the app built into the binary, or, when it was not
// built, the fallback page at "/".
func embeddedSite() *staticFiles {
	sub, err := fs.Sub(site, "site")
	if err != nil {
		panic(err) // cannot happen: "site" is a valid path
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		sub = fallbackFS{}
	}
	return &staticFiles{fsys: sub, close: func() error { return nil }}
}

// fallbackFS holds only index.html: the fallback page.
type fallbackFS struct{}

func (fallbackFS) Open(name string) (fs.File, error) {
	if name != "index.html" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	sub, _ := fs.Sub(fallbackOnly, ".")
	return sub.Open("fallback.html")
}

//go:embed fallback.html
var fallbackOnly embed.FS

func (s *staticFiles) Close() error { return s.close() }

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
	if hidden(name) {
		http.NotFound(w, r)
		return
	}
	info, err := fs.Stat(s.fsys, name)
	if err == nil && info.IsDir() {
		name = path.Join(name, "index.html")
		info, err = fs.Stat(s.fsys, name)
	}
	if err != nil || !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}

	h := w.Header()
	ct := contentType(name)
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(ct, "text/html") {
		h.Set("Content-Security-Policy", htmlCSP)
		h.Set("X-Frame-Options", "DENY")
	}
	h.Add("Vary", "Accept-Encoding")

	serve, tag := name, ""
	accepted := acceptedEncodings(r.Header.Get("Accept-Encoding"))
	for _, enc := range encodings {
		if !accepted[enc.name] {
			continue
		}
		vi, err := fs.Stat(s.fsys, name+enc.suffix)
		if err != nil || !vi.Mode().IsRegular() || vi.ModTime().Before(info.ModTime()) {
			continue
		}
		serve, tag = name+enc.suffix, "-"+enc.name
		h.Set("Content-Encoding", enc.name)
		break
	}
	f, err := s.fsys.Open(serve)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	h.Set("ETag", `"`+s.version(name, info)+tag+`"`)
	// ServeContent answers If-None-Match (304), Range and HEAD. The
	// modification time is the original's so that all encodings agree.
	http.ServeContent(w, r, name, info.ModTime(), rs)
}

// version names the content of file name: its size and modification time,
// or, for an embedded file (which has none), a hash of its bytes.
func (s *staticFiles) version(name string, info fs.FileInfo) string {
	if !info.ModTime().IsZero() {
		return strconv.FormatInt(info.Size(), 36) + "-" + strconv.FormatInt(info.ModTime().UnixNano(), 36)
	}
	if v, ok := s.hashes.Load(name); ok {
		return v.(string)
	}
	b, err := fs.ReadFile(s.fsys, name)
	if err != nil {
		return strconv.FormatInt(info.Size(), 36)
	}
	sum := sha256.Sum256(b)
	v := base64.RawURLEncoding.EncodeToString(sum[:12])
	s.hashes.Store(name, v)
	return v
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

// htmlCSP is the Content-Security-Policy of HTML pages: everything from this
// origin only (connect-src 'self' covers its WebSocket), WebAssembly
// compilation allowed (the app is Go compiled to WASM), inline styles
// allowed (no script can be inlined), no plugins, no <base> rewriting, and
// no framing by any site (clickjacking).
const htmlCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hidden reports whether a cleaned, root-relative path names something that
// is never served: a segment starting with "." (dotfiles and dot
// directories), or a final name that is an editor's backup or swap file.
func hidden(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	base := path.Base(name)
	if strings.HasSuffix(base, "~") || strings.HasPrefix(base, "#") && strings.HasSuffix(base, "#") {
		return true
	}
	for _, ext := range backupExts {
		if strings.HasSuffix(base, ext) || strings.HasSuffix(base, ext+".br") || strings.HasSuffix(base, ext+".gz") {
			return true
		}
	}
	return false
}

// backupExts are the suffixes of editors' backup, swap and merge leftovers.
var backupExts = [...]string{".swp", ".swo", ".swx", ".bak", ".orig", ".rej", ".tmp"}

// acceptedEncodings parses Accept-Encoding for the encodings this server
// has variants of (br, gzip); an encoding with q=0 is refused, and one named
// explicitly wins over "*" whatever the order. It scans the header once and
// allocates only the small result, however long the header.
func acceptedEncodings(header string) map[string]bool {
	var explicit, star [len(encodings)]int8 // 0 unset, 1 accepted, -1 refused
	starSet := false
	for rest := header; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		v := int8(1)
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, val, ok := strings.Cut(p, "=")
			if ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && f <= 0 {
					v = -1
				} else if err == nil {
					v = 1
				}
			}
		}
		if name == "*" {
			starSet = true
			for i := range star {
				star[i] = v
			}
			continue
		}
		for i, e := range encodings {
			if strings.EqualFold(name, e.name) {
				explicit[i] = v
			}
		}
	}
	out := make(map[string]bool, len(encodings))
	for i, e := range encodings {
		switch {
		case explicit[i] != 0:
			out[e.name] = explicit[i] > 0
		case starSet:
			out[e.name] = star[i] > 0
		}
	}
	return out
}
