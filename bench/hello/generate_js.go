//go:build js

package main

func generate() {}
