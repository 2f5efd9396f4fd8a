# Tandem — the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is what those two are made of.

SHELL := /bin/bash
GO    ?= go

# Go's js/wasm test runner (go_js_wasm_exec) lives here since Go 1.24; `go test`
# finds it on PATH and runs each test binary under Node.
WASM_EXEC_DIR := $(shell $(GO) env GOROOT)/lib/wasm
export PATH := $(WASM_EXEC_DIR):$(PATH)

# Packages that ship to the browser: vetted and tested again under GOOS=js.
BROWSER_PKGS := $(foreach d,state cache wire form store sync,$(if $(wildcard pkg/$(d)/*.go),./pkg/$(d)/...))

.PHONY: all test deps vet test-native test-wasm bench bench-state run clean

all: test

## test: everything CI runs — vet (native and js/wasm), race tests, WASM tests under Node.
test: deps vet test-native test-wasm

## deps: install what the tests need on a fresh machine (Node for the WASM tests).
deps:
	@command -v node >/dev/null || { echo "installing nodejs"; apt-get update -qq && apt-get install -y -qq nodejs >/dev/null; }
	$(GO) mod download

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet $(BROWSER_PKGS)

test-native:
	$(GO) test -race -count=1 ./...

test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 $(BROWSER_PKGS)

## bench: every Go benchmark, natively, once.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

## bench-state: the SIGNALS.md shapes, native beside WASM under Node; writes bench/state.json.
## JS=<path of shared/bench/js-signals> also runs alien-signals and MobX in the same sitting.
bench-state:
	$(GO) run ./bench/cmd/benchstate -out bench/state.json $(if $(JS),-js $(JS))

## run: build the WASM app and serve the demo on 127.0.0.1:8080.
run:
	@echo "make run: the demo server arrives with issue 4 (pkg/server, cmd/server)"
	@echo "and the app with the UI issue; until then there is nothing to serve."

clean:
	rm -rf bin
