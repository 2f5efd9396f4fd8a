//go:build !js

package sync

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConn_coderWebSocketKeepsTheConnContract(t *testing.T) {
	runConnSuite(t, WebSocket(), startConnPeer(t))
}

// TestConn_browserBindingUnderNode runs the same suite on the browser
// binding (websocket_js.go): it builds this package's tests for GOOS=js
// with the conntest tag and runs TestConn_browserWebSocketKeepsTheConnContract
// in Node, whose WebSocket is the browser's API (undici's; a flag in Node
// 20), against a peer this test serves.
func TestConn_browserBindingUnderNode(t *testing.T) {
	node, err := exec.LookPath("node")
	require.NoError(t, err, "node is needed (make deps installs it)")
	bin := filepath.Join(t.TempDir(), "sync.test.wasm")
	build := exec.Command("go", "test", "-c", "-tags", "conntest", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	runner := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec_node.js")
	run := exec.Command(node, "--experimental-websocket", runner, bin, "-test.run", "^TestConn_browserWebSocketKeepsTheConnContract$", "-test.v")
	run.Env = append(os.Environ(), "TANDEM_CONN_PEER="+startConnPeer(t))
	out, err = run.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestConn_browserWebSocketKeepsTheConnContract")
	assert.NotContains(t, string(out), "--- FAIL")
	assert.Equal(t, 11, strings.Count(string(out), "    --- PASS:"), "every case of the suite ran:\n%s", out)
}
