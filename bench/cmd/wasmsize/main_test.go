package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Budgets in bytes and as a ratio of an earlier build: over one, the
// report says so and make size fails.
func TestReport_budgets(t *testing.T) {
	files := map[string][]byte{
		"small": bytes.Repeat([]byte("go-app hello world "), 2000),
		"big":   append(bytes.Repeat([]byte("go-app hello world "), 2000), []byte("and much more, all of it different: 0123456789abcdefghijklmnopqrstuvwxyz")...),
	}
	read := func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return b, nil
		}
		return nil, errors.New("no such file")
	}
	table, over, err := report([]string{"hello=small", "demo=big@3x:hello", "tiny=big@10"}, read)
	require.NoError(t, err)
	assert.True(t, over, "tiny is over its 10 bytes")
	assert.Regexp(t, `\| demo \| 38,0\d\d \| [\d,]+ \| [\d,]+ \| ≤ 3× hello = [\d,]+ ✓ \(2\.\d\d×\) \|`, table)
	assert.Contains(t, table, "| ≤ 10 ✗ |")

	_, over, err = report([]string{"hello=small", "demo=big@1000x:hello"}, read)
	require.NoError(t, err)
	assert.False(t, over)

	_, _, err = report([]string{"demo=big@1.1x:hello"}, read)
	assert.ErrorContains(t, err, `no earlier build is named "hello"`)
	_, _, err = report([]string{"demo=big@lots"}, read)
	assert.ErrorContains(t, err, "want bytes, or a ratio")
	_, _, err = report([]string{"demo=missing"}, read)
	assert.ErrorContains(t, err, "no such file")
}
