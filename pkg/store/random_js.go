//go:build js

package store

import (
	"errors"
	"syscall/js"
)

// randomBytes fills b from the browser's secure source,
// crypto.getRandomValues (which Go's own runtime needs under GOOS=js, so
// every host that runs this program has it). See random.go.
func randomBytes(b []byte) error {
	c := js.Global().Get("crypto")
	if c.Type() != js.TypeObject {
		return errors.New("store: this JavaScript host has no crypto.getRandomValues")
	}
	// getRandomValues fills at most 65,536 bytes per call.
	for len(b) > 0 {
		n := min(len(b), 65536)
		arr := js.Global().Get("Uint8Array").New(n)
		c.Call("getRandomValues", arr)
		js.CopyBytesToGo(b[:n], arr)
		b = b[n:]
	}
	return nil
}
