//go:build devtools

package board

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/pkg/ui/devtools"
)

// Devtools says whether this build carries the devtools panel; make run
// and the browser tests build with -tags devtools, make static without.
const Devtools = true

// devtoolsPanel is the panel's button, and the panel it opens.
func (a *App) devtoolsPanel() app.UI {
	return devtools.Panel(a.RT, devtools.Sources{Store: a.Store, Sync: a.Sync})
}
