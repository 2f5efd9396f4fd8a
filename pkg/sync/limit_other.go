//go:build !js

package sync

// hardReadLimit bounds the memory one message may take natively; the
// reconciler's own, smaller limit (maxMsg) closes with 4009 first.
const hardReadLimit = 4 << 20
