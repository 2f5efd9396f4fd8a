package cachetest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/tandemkit/tandem/pkg/cache/cachetest"
)

var start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestClockFiresDueTimersInOrderOnAdvance(t *testing.T) {
	c := cachetest.NewClock(start)
	var fired []string
	c.AfterFunc(2*time.Second, func() { fired = append(fired, "2s") })
	c.AfterFunc(time.Second, func() {
		fired = append(fired, fmt.Sprint("1s at ", c.Now().Sub(start)))
		c.AfterFunc(0, func() { fired = append(fired, "chained") })
	})
	stop := c.AfterFunc(1500*time.Millisecond, func() { fired = append(fired, "stopped") })
	c.AfterFunc(0, func() { fired = append(fired, "now") })
	assert.Empty(t, fired, "nothing fires before Advance")
	assert.True(t, stop())
	assert.False(t, stop(), "stopping twice reports false")
	assert.Equal(t, []time.Duration{0, time.Second, 2 * time.Second}, c.Pending())
	c.Advance(2 * time.Second)
	assert.Equal(t, []string{"now", "1s at 1s", "chained", "2s"}, fired)
	assert.Equal(t, start.Add(2*time.Second), c.Now())
	assert.Empty(t, c.Pending())
}

func TestSchedulerQueuesUntilDrained(t *testing.T) {
	var s cachetest.Scheduler
	n := 0
	s.Schedule(func() { n++; s.Schedule(func() { n++ }) })
	assert.Equal(t, 1, s.Len())
	assert.Equal(t, 2, s.Drain())
	assert.Equal(t, 2, n)
}

func ExampleClock() {
	c := cachetest.NewClock(start)
	c.AfterFunc(time.Minute, func() { fmt.Println("fired at", c.Now().Format(time.TimeOnly)) })
	c.Advance(time.Hour)
	// Output: fired at 00:01:00
}
