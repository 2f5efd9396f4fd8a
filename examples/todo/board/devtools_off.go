//go:build !devtools

package board

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Devtools says whether this build carries the devtools panel; build with
// -tags devtools for it.
const Devtools = false

// devtoolsPanel is nothing: this build has no devtools.
func (a *App) devtoolsPanel() app.UI { return nil }
