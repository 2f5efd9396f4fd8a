// Command precompress writes brotli (quality 11) and gzip (level 9)
// variants next to static files, X.br and X.gz, for cmd/server to serve to
// clients that accept them. A variant is written only when it is smaller
// than the original; it gets the original's modification time, and a stale
// variant (older than its original) is never served.
//
// Usage:
//
//	precompress [-min bytes] path...
//
// A directory path is walked for files with the extensions .wasm .js .mjs
// .css .html .svg .json .txt .map; a file path is compressed whatever its
// extension. -min (default 256) skips smaller files.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"
)

var compressible = map[string]bool{
	".wasm": true, ".js": true, ".mjs": true, ".css": true, ".html": true,
	".svg": true, ".json": true, ".txt": true, ".map": true,
}

func main() {
	min := flag.Int("min", 256, "skip files smaller than this many bytes")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: precompress [-min bytes] path...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	for _, root := range flag.Args() {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || (p != root && !compressible[strings.ToLower(filepath.Ext(p))]) {
				return nil
			}
			return compressFile(p, *min)
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// compressFile writes p.br and p.gz when they are smaller than p.
func compressFile(p string, min int) error {
	info, err := os.Stat(p)
	if err != nil {
		return err
	}
	if info.Size() < int64(min) {
		return nil
	}
	src, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var br bytes.Buffer
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	if _, err := bw.Write(src); err != nil {
		return err
	}
	if err := bw.Close(); err != nil {
		return err
	}
	var gz bytes.Buffer
	gw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := gw.Write(src); err != nil {
		return err
	}
	if err := gw.Close(); err != nil {
		return err
	}
	for _, v := range []struct {
		suffix string
		data   []byte
	}{{".br", br.Bytes()}, {".gz", gz.Bytes()}} {
		out := p + v.suffix
		if len(v.data) >= len(src) {
			os.Remove(out) // a stale variant must not outlive a worse one
			continue
		}
		if err := os.WriteFile(out, v.data, 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(out, info.ModTime(), info.ModTime()); err != nil {
			return err
		}
		fmt.Printf("%s: %d -> %d bytes\n", out, len(src), len(v.data))
	}
	return nil
}
