//go:build !js

package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/internal/browsertest"
)

func TestABrowserRendersAPageAndScriptRuns(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!doctype html><title>t</title><p id="p">static</p><script>document.getElementById("p").textContent = "scripted"</script>`))
	}))
	t.Cleanup(hs.Close)
	tab := browsertest.Tab(t, browsertest.Browser(t))
	browsertest.Do(t, tab, 30*time.Second, chromedp.Navigate(hs.URL))
	text := browsertest.Get(t, tab, 10*time.Second, chromedp.Text(chromedp.CSS("#p")))
	assert.Equal(t, "scripted", text)
	path := browsertest.Screenshot(t, tab, "page")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Positive(t, info.Size())
}
