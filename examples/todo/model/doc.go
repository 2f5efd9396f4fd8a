// Package model declares the demo's entities once, for both sides: their
// types, the forms their mutations take, and the rules only a server can
// check. The browser validates with the same forms (inline errors, before
// anything is sent) and the server answers 422 with the same messages. It
// imports only pkg/form, so that it ships to the browser.
package model
