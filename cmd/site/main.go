// Command site writes the demo as a static website: go-app's page, scripts,
// manifest and service worker, the board's shell prerendered (a skeleton
// shown while the WebAssembly loads), the stylesheet and icons, and the
// WebAssembly itself. Any static file server can host the folder; make run
// writes it into cmd/server/site, which the server binary embeds.
//
// Usage:
//
//	site -wasm bin/app.wasm -out DIR [-api URL] [-ws URL]
//
// -api is the base URL of the REST API, "/api" on the page's own origin by
// default: a site hosted elsewhere names the API server's, which must allow
// the site's origin (cmd/server -origins). -ws is the WebSocket URL, derived
// from -api by default. Whether the devtools panel is in is the WebAssembly's
// choice: GOOS=js GOARCH=wasm go build -tags devtools ./cmd/wasm.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/board"
)

func main() {
	out := flag.String("out", "", "the folder to write (required)")
	wasm := flag.String("wasm", "bin/app.wasm", "the board compiled to WebAssembly (GOOS=js GOARCH=wasm go build ./cmd/wasm)")
	web := flag.String("web", "web", "the folder of the stylesheet")
	api := flag.String("api", "", `the REST API's base URL; "" for /api on the page's own origin`)
	ws := flag.String("ws", "", `the WebSocket URL; "" to derive it from -api`)
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "site: -out is required")
		os.Exit(2)
	}
	if err := write(*out, *wasm, *web, *api, *ws); err != nil {
		fmt.Fprintln(os.Stderr, "site:", err)
		os.Exit(1)
	}
}

func write(out, wasm, web, api, ws string) error {
	version, err := fileHash(wasm)
	if err != nil {
		return fmt.Errorf("the WebAssembly: %w (build it first: GOOS=js GOARCH=wasm go build -o %s ./cmd/wasm)", err, wasm)
	}
	env := map[string]string{"TANDEM_API": api, "TANDEM_WS": ws}
	// The prerendered shell: the board without its state, a skeleton.
	app.Route("/", func() app.Composer { return &board.Board{} })
	h := &app.Handler{
		Name:            "Tandem board",
		ShortName:       "Tandem",
		Title:           "Tandem — board",
		Description:     "A collaborative todo board in Go and WebAssembly: every change shows at once, and in every tab.",
		Author:          "Tandem",
		Lang:            "en",
		ThemeColor:      "#1c2230",
		BackgroundColor: "#f5f6f8",
		LoadingLabel:    "Loading the board… {progress}%",
		Icon:            app.Icon{Default: "/web/icon-192.png", Large: "/web/icon-512.png", Maskable: "/web/icon-512.png", SVG: "/web/icon.svg"},
		Styles:          []string{"/web/app.css"},
		RawHeaders:      []string{board.PageMarker}, // cmd/server renders the board into this page
		Env:             env,
		Version:         version,
	}
	if err := clear(out); err != nil {
		return err
	}
	if err := app.GenerateStaticWebsite(out, h); err != nil {
		return err
	}
	dir := filepath.Join(out, "web")
	if err := copyFile(wasm, filepath.Join(dir, "app.wasm")); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(web, "app.css"), filepath.Join(dir, "app.css")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "icon.svg"), []byte(iconSVG), 0o644); err != nil {
		return err
	}
	for _, size := range []int{192, 512} {
		if err := writeIcon(filepath.Join(dir, fmt.Sprintf("icon-%d.png", size)), size); err != nil {
			return err
		}
	}
	return nil
}

// clear empties dir of an earlier build, keeping the dotfiles that hold it
// in git (cmd/server/site/.keep).
func clear(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name()[0] == '.' {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// iconSVG is the board's mark: a diamond on a dark tile.
const iconSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">` +
	`<rect width="64" height="64" rx="14" fill="#1c2230"/>` +
	`<path d="M32 12 52 32 32 52 12 32Z" fill="#5b8def"/>` +
	`<path d="M32 22 42 32 32 42 22 32Z" fill="#c9dbff"/></svg>`

// writeIcon draws the mark as a PNG of size×size pixels (the manifest's
// icons must be PNG).
func writeIcon(path string, size int) error {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	bg := color.RGBA{0x1c, 0x22, 0x30, 0xff}
	outer := color.RGBA{0x5b, 0x8d, 0xef, 0xff}
	inner := color.RGBA{0xc9, 0xdb, 0xff, 0xff}
	c := float64(size) / 2
	for y := range size {
		for x := range size {
			d := abs(float64(x)+0.5-c) + abs(float64(y)+0.5-c) // distance in the diamond's metric
			switch {
			case d < c*10/32:
				img.Set(x, y, inner)
			case d < c*20/32:
				img.Set(x, y, outer)
			default:
				img.Set(x, y, bg)
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
