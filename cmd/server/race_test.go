//go:build race

package main

// raceEnabled makes the durability test build the server with -race too, so
// that the build reuses the packages the race-enabled test already compiled.
const raceEnabled = true
