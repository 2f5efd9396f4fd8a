package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompressFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.wasm")
	src := []byte(strings.Repeat("tandem wasm ", 1000))
	require.NoError(t, os.WriteFile(p, src, 0o644))
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, os.Chtimes(p, mod, mod))
	require.NoError(t, compressFile(p, 256))

	br, err := os.ReadFile(p + ".br")
	require.NoError(t, err)
	got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
	require.NoError(t, err)
	assert.Equal(t, src, got)
	gz, err := os.Open(p + ".gz")
	require.NoError(t, err)
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	require.NoError(t, err)
	got, err = io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, src, got)
	info, err := os.Stat(p + ".br")
	require.NoError(t, err)
	assert.True(t, info.ModTime().Equal(mod), "variants carry the original's time")

	// Incompressible or tiny files get no variant.
	tiny := filepath.Join(dir, "tiny.js")
	require.NoError(t, os.WriteFile(tiny, []byte("x"), 0o644))
	require.NoError(t, compressFile(tiny, 256))
	_, err = os.Stat(tiny + ".br")
	assert.True(t, os.IsNotExist(err))
}
