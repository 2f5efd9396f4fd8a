package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseConfig(nil, none, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{addr: "127.0.0.1:8080", db: "tandem.db", web: "web"}, c)

	env := map[string]string{"TANDEM_ADDR": ":9000", "TANDEM_DB": "/tmp/x.db", "TANDEM_ORIGINS": "a.example, *.b.example ,", "TANDEM_DEBUG": "true"}
	c, err = parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{addr: ":9000", db: "/tmp/x.db", origins: []string{"a.example", "*.b.example"}, web: "web", debug: true}, c)

	c, err = parseConfig([]string{"-addr", "127.0.0.1:0", "-origins", "c.example"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:0", c.addr, "a flag wins over the environment")
	assert.Equal(t, []string{"c.example"}, c.origins)

	_, err = parseConfig([]string{"extra"}, none, io.Discard)
	assert.Error(t, err)
	_, err = parseConfig([]string{"-nope"}, none, io.Discard)
	assert.Error(t, err)
}
