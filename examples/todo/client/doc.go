// Package client is the browser's side of the demo's entities: each
// collection of a store with the mutations people make, declared from
// package model's forms. Every change shows at once, is sent in order, and
// is confirmed or rolled back by the server's answer; with pkg/sync on the
// same store, every collection also follows the other clients' changes.
package client
