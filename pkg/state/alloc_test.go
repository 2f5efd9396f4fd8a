package state

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSteadyStateAllocations checks the allocation bar of the issue: a batched
// write that changes no graph shape allocates nothing.
func TestSteadyStateAllocations(t *testing.T) {
	for _, s := range updateShapes {
		switch s.name {
		case "mux": // its computed builds a fresh slice per run, by design of the case
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			g := NewGraph()
			step := s.build(g)
			require.NoError(t, step())
			var err error
			allocs := testing.AllocsPerRun(20, func() { err = step() })
			require.NoError(t, err)
			assert.Zero(t, allocs, "allocations per step of %d batched writes", s.writes)
		})
	}
}
