//go:build js && conntest

package sync

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConn_browserWebSocketKeepsTheConnContract is run by
// TestConn_browserBindingUnderNode, which serves the peer.
func TestConn_browserWebSocketKeepsTheConnContract(t *testing.T) {
	peer := os.Getenv("TANDEM_CONN_PEER")
	require.NotEmpty(t, peer, "TANDEM_CONN_PEER names the peer; TestConn_browserBindingUnderNode sets it")
	runConnSuite(t, WebSocket(), peer)
}
