//go:build !js

package ui

import (
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hasDOM reports whether tests run with a DOM (the fake one, under GOOS=js).
const hasDOM = false

func resetDOM()                                       {}
func domHTML(app.Value) string                        { return "" }
func dispatchEvent(app.Value, string, map[string]any) {}

func domWrites() int { return 0 }
