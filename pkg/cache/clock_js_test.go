package cache

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The browser clock derives the time from the monotonic clock between wall
// clock readings: its times must order exactly like time.Now's and carry the
// right wall time.
func TestSystemClockInTheBrowser(t *testing.T) {
	c := new(systemClock)
	prev := c.Now()
	for range 1000 {
		t0 := time.Now()
		n := c.Now()
		t1 := time.Now()
		// monotonic readings: exact
		assert.False(t, n.Before(t0) || n.After(t1), "%v outside [%v, %v]", n, t0, t1)
		assert.False(t, n.Before(prev), "went backwards")
		// wall readings: Date.now has millisecond resolution
		wall := n.Round(0)
		assert.False(t, wall.Before(t0.Round(0).Add(-2*time.Millisecond)) || wall.After(t1.Round(0).Add(2*time.Millisecond)),
			"wall %v outside [%v, %v]", wall, t0.Round(0), t1.Round(0))
		prev = n
	}

	t.Run("reads the wall clock again after wallEvery", func(t *testing.T) {
		c.base = time.Now().Add(-wallEvery - time.Millisecond)
		before := time.Now()
		n := c.Now()
		assert.Equal(t, c.base, n)
		assert.False(t, c.base.Before(before), "base not refreshed")
	})
}
