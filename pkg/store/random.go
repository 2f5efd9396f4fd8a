//go:build !js

package store

import "crypto/rand"

// randomBytes fills b from the operating system's secure source: the ids
// and clientIDs a store hands out. In the browser, random_js.go asks
// crypto.getRandomValues instead, so that browser builds do not link
// crypto/rand (with its FIPS module and math/big, about 40 KB of a
// download, brotli-compressed).
func randomBytes(b []byte) error {
	_, err := rand.Read(b)
	return err
}
