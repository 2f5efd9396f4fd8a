//go:build !js

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/internal/browsertest"
)

// The signed-in demo (issue 16) in a real browser: cmd/server -demo-users
// serving the same site as the open demo, which asks the server which demo
// it runs. Each person is a private tab — a browser context of its own, as
// a private window is — since the session cookie belongs to the browser
// context, and two people in one would share it.

func startSignedInDemo(t testing.TB) *demo {
	return startDemo(t, func(c *config) { c.demoUsers = []string{"ada", "bob", "cy"} })
}

// private opens the demo in a private tab of browser, at the sign-in
// screen.
func (d *demo) private(browser context.Context, name string) *tab {
	d.t.Helper()
	ctx := browsertest.Incognito(d.t, browser)
	tb := &tab{t: d.t, ctx: ctx, console: browsertest.Collect(d.t, ctx), name: name}
	browsertest.Do(d.t, ctx, 60*time.Second, chromedp.Navigate(d.url+"/"), chromedp.EmulateViewport(1280, 800))
	tb.wait(`!!document.querySelector('[data-testid="signin"] [data-testid="signin-user"]')`, "the sign-in screen")
	return tb
}

// signIn picks user's button on the sign-in screen and waits for its
// board.
func (tb *tab) signIn(user string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid="signin-user"][data-user=%q]`, user))))
	tb.waitBoardOf(user)
}

// waitBoardOf waits for user's board: signed in, live, its boards loaded.
func (tb *tab) waitBoardOf(user string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf(`document.querySelector('[data-testid="signed-in-as"]')?.textContent === %q && `+
		`document.querySelector('[data-testid="connection"]')?.dataset.state === "live" && `+
		`!!document.querySelector('[data-testid="boards-shared"]')`, user), "signed in as "+user+", live, with its boards")
}

// boards returns the names of the boards in a section of the sidebar
// ("boards-owned", "boards-shared"), in order.
func (tb *tab) boards(section string) string {
	return tb.eval(fmt.Sprintf(`[...document.querySelectorAll('[data-testid=%q] .list-name')].map(e => e.textContent).join("|")`, section))
}

func boardsAre(section, names string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('[data-testid=%q] .list-name')].map(e => e.textContent).join("|") === %q`, section, names)
}

// newBoard creates a board from the sidebar's form and waits for it open.
func (tb *tab) newBoard(name string) string {
	tb.t.Helper()
	tb.type_(`.new-list input`, name)
	tb.do(chromedp.SendKeys(chromedp.CSS(`.new-list input`), "\r"))
	tb.wait(fmt.Sprintf(`document.querySelector('#list-title')?.textContent === %q && !!document.querySelector('[data-testid="new-todo-title"]')`, name), "the new board opens")
	return tb.eval(fmt.Sprintf(`[...document.querySelectorAll('[data-testid="boards-owned"] .list-item')].find(e => e.querySelector('.list-name').textContent === %q).dataset.id`, name))
}

// addTodo adds a todo to the open board and waits for it shown.
func (tb *tab) addTodo(title string) {
	tb.t.Helper()
	tb.type_(`[data-testid="new-todo-title"]`, title)
	tb.do(chromedp.Click(chromedp.CSS(`[data-testid="new-todo-submit"]`)))
	tb.wait(hasTitle(title), "the todo shows")
}

// shots saves what the tab shows at a desktop's size and a phone's.
func (tb *tab) shots(name string) {
	tb.t.Helper()
	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		tb.do(chromedp.EmulateViewport(size[0], size[1]))
		tb.shot(fmt.Sprintf("%s-%d", name, size[0]))
	}
	tb.do(chromedp.EmulateViewport(1280, 800))
}

// as sends a request as user, as its bearer, and returns the status and
// body.
func (d *demo) as(user, method, path string) (int, string) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.url+path, nil)
	require.NoError(d.t, err)
	req.Header.Set("Authorization", "Bearer "+user)
	req.Header.Set("X-Test", "1")
	res, err := http.DefaultClient.Do(req)
	require.NoError(d.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Issue 16: ada's board is hers until she shares it; bob sees it appear
// live, both change it together, and when she takes it back it leaves his
// screen with a message saying so.
func TestBrowser_signedInSharingAndRevoking(t *testing.T) {
	d := startSignedInDemo(t)
	browser := browsertest.Browser(t)
	ada := d.private(browser, "ada")
	ada.shots("0-signin")
	ada.signIn("ada")
	ada.wait(`document.querySelector('.empty h2')?.textContent === "No boards yet"`, "a first board to make")
	ada.shots("1-empty")
	groceries := ada.newBoard("Groceries")
	ada.addTodo("Milk")
	ada.addTodo("Eggs")
	ada.wait(`document.querySelector('[data-testid="share-panel"]')?.textContent.includes("Only you can see this board")`, "the board is ada's alone")

	bob := d.private(browser, "bob")
	bob.signIn("bob")
	bob.wait(`document.querySelector('.empty h2')?.textContent === "No boards yet"`, "bob has no board")
	assert.Equal(t, "", bob.boards("boards-owned")+bob.boards("boards-shared"), "bob sees nothing of ada's")
	assert.NotContains(t, bob.eval(`document.body.innerText`), "Groceries")
	status, _ := d.as("bob", "GET", "/api/todos?partition="+groceries)
	assert.Equal(t, http.StatusForbidden, status, "nor may he read it")

	t.Run("a board ada shares appears in bob's Shared with me, live", func(t *testing.T) {
		ada.type_(`[data-testid="share-user"]`, "bob")
		ada.do(chromedp.Click(chromedp.CSS(`[data-testid="share-submit"]`)))
		ada.wait(`!!document.querySelector('[data-testid="shared-with"][data-user="bob"]')`, "ada sees bob among the people")
		bob.wait(boardsAre("boards-shared", "Groceries"), "the board appears in bob's Shared with me")
		bob.wait(`!!document.querySelector('[data-testid="boards-shared"] .list-item[data-owner="ada"]')`, "owned by ada")
		bob.wait(hasTitle("Milk")+` && `+hasTitle("Eggs"), "and opens with its todos")
		bob.wait(`!!document.querySelector('[data-testid="leave"]') && !document.querySelector('[data-testid="share-user"]')`, "bob may leave it, not share it")
		ada.shots("2-owner")
		bob.shots("2-member")
	})

	t.Run("a todo bob adds shows in ada's tab live", func(t *testing.T) {
		bob.addTodo("Bread")
		ada.wait(hasTitle("Bread"), "ada sees bob's todo")
		bob.do(chromedp.Click(chromedp.CSS(`[data-testid="todo-row"] [data-testid="todo-toggle"]`)))
		ada.wait(`document.querySelector('[data-testid="todo-row"]')?.dataset.done === "true"`, "and his toggle")
	})

	t.Run("a share the server refuses rolls back with its reason under the field", func(t *testing.T) {
		ada.type_(`[data-testid="share-user"]`, "mallory")
		ada.do(chromedp.Click(chromedp.CSS(`[data-testid="share-submit"]`)))
		ada.wait(`document.querySelector('[data-testid="share-error"]')?.textContent === "“mallory” is not a user of this demo."`, "the server's reason")
		ada.wait(`!document.querySelector('[data-testid="shared-with"][data-user="mallory"]')`, "the share rolled back")
		ada.wait(`document.querySelector('[data-testid="share-user"]').value === "mallory"`, "the name back in the field, to be fixed")
		ada.shots("3-refused")
	})

	t.Run("when ada revokes bob, his open board says so and leaves his sidebar", func(t *testing.T) {
		ada.do(chromedp.Click(chromedp.CSS(`[data-testid="shared-with"][data-user="bob"] [data-testid="revoke"]`)))
		ada.wait(`!document.querySelector('[data-testid="shared-with"]')`, "bob leaves ada's people")
		bob.wait(`document.querySelector('[data-testid="board-revoked"]')?.textContent.includes("ada took back your access to “Groceries”.")`, "bob's board says why it went")
		bob.wait(boardsAre("boards-shared", ""), "and it leaves his sidebar")
		assert.Equal(t, "0", bob.eval(`String(document.querySelectorAll('[data-testid="todo-row"]').length)`), "no todo of it is left")
		bob.shots("4-revoked")
		status, _ := d.as("bob", "GET", "/api/todos?partition="+groceries)
		assert.Equal(t, http.StatusForbidden, status, "and the server agrees")
		ada.wait(hasTitle("Bread"), "ada keeps her board")
	})

	t.Run("shared again, bob leaves it himself: it goes without a word", func(t *testing.T) {
		ada.type_(`[data-testid="share-user"]`, "bob")
		ada.do(chromedp.Click(chromedp.CSS(`[data-testid="share-submit"]`)))
		bob.wait(boardsAre("boards-shared", "Groceries"), "the board is back in bob's sidebar")
		bob.do(chromedp.Click(chromedp.CSS(`[data-testid="boards-shared"] .list-link`)))
		bob.wait(hasTitle("Bread"), "and opens again, live")
		bob.do(chromedp.Click(chromedp.CSS(`[data-testid="leave"]`)))
		bob.wait(boardsAre("boards-shared", "")+` && document.querySelector('.empty h2')?.textContent === "No boards yet"`, "it leaves his sidebar and his screen")
		assert.Equal(t, "0", bob.eval(`String(document.querySelectorAll('[data-testid="board-revoked"]').length)`), "no message: he left")
		ada.wait(`!document.querySelector('[data-testid="shared-with"]')`, "ada sees him go")
	})

	assert.Empty(t, unexpected(ada.console.Errors()), "ada's console")
	assert.Empty(t, unexpected(bob.console.Errors()), "bob's console")
}

// The sign-in screen refuses a name the demo does not know, with the
// server's reason.
func TestBrowser_signInRefusesAnUnknownName(t *testing.T) {
	d := startSignedInDemo(t)
	a := d.private(browsertest.Browser(t), "mallory")
	a.type_(`[data-testid="signin-name"]`, "mallory")
	a.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="signin-name"]`), "\r"))
	a.wait(`document.querySelector('[data-testid="signin-error"]')?.textContent === "“mallory” is not a user of this demo."`, "the server's reason under the field")
	assert.Equal(t, "true", a.eval(`document.querySelector('[data-testid="signin-name"]').getAttribute("aria-invalid")`))
	assert.Equal(t, "0", a.eval(`String(document.querySelectorAll('[data-testid="user-menu"]').length)`), "nobody is signed in")
	a.shots("refused")
	a.type_(`[data-testid="signin-name"]`, "cy")
	a.do(chromedp.SendKeys(chromedp.CSS(`[data-testid="signin-name"]`), "\r"))
	a.waitBoardOf("cy")
	assert.Empty(t, unexpected(a.console.Errors()), "the console")
}

// Signing out closes the user's board and shows nothing of it to the next
// user; a reload keeps the user the session cookie names.
func TestBrowser_signOutShowsNothingOfThePreviousUser(t *testing.T) {
	d := startSignedInDemo(t)
	a := d.private(browsertest.Browser(t), "tab")
	a.signIn("ada")
	a.newBoard("Surprise party")
	a.addTodo("Cake for bob")

	a.do(chromedp.Click(chromedp.CSS(`[data-testid="signout"]`)))
	a.wait(`!!document.querySelector('[data-testid="signin"]') && !document.querySelector('[data-testid="user-menu"]')`, "back at the sign-in screen")
	assert.NotContains(t, a.eval(`document.body.innerText`), "Surprise party")
	a.shots("signed-out")

	a.signIn("bob")
	a.wait(`document.querySelector('.empty h2')?.textContent === "No boards yet"`, "bob's own (empty) board")
	text := a.eval(`document.body.innerText`)
	assert.NotContains(t, text, "Surprise party", "nothing of ada's boards")
	assert.NotContains(t, text, "Cake for bob", "nor of her todos")
	assert.Equal(t, "0", a.eval(`String(document.querySelectorAll('[data-testid="todo-row"]').length)`))

	a.do(chromedp.Reload())
	a.waitBoardOf("bob")
	assert.NotContains(t, a.eval(`document.body.innerText`), "Surprise party", "a reload: bob still, by his cookie")

	a.do(chromedp.Click(chromedp.CSS(`[data-testid="signout"]`)))
	a.signIn("ada")
	a.wait(hasTitle("Cake for bob"), "ada's board is hers again")
	assert.Empty(t, unexpected(a.console.Errors()), "the console")
}

// The same site against the open demo asks once, and is the open demo: no
// sign-in, no user.
func TestBrowser_openDemoHasNoSignIn(t *testing.T) {
	d := startDemo(t)
	d.seed("l1", "Oat milk")
	a := d.open(browsertest.Browser(t), "open")
	a.wait(hasTitle("Oat milk"), "the board")
	assert.Equal(t, "0", a.eval(`String(document.querySelectorAll('[data-testid="signin"], [data-testid="user-menu"], [data-testid="share-panel"]').length)`))
	assert.True(t, strings.Contains(a.eval(`document.querySelector('.new-list input').placeholder`), "New list"))
	assert.Empty(t, unexpected(a.console.Errors()), "the console")
}
