# Tandem — the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is what those two are made of.

SHELL := /bin/bash
GO    ?= go

# Go's js/wasm test runner (go_js_wasm_exec) lives here since Go 1.24; `go test`
# finds it on PATH and runs each test binary under Node.
WASM_EXEC_DIR := $(shell $(GO) env GOROOT)/lib/wasm
export PATH := $(WASM_EXEC_DIR):$(PATH)

# Packages that ship to the browser: vetted and tested again under GOOS=js.
BROWSER_PKGS := $(foreach d,state cache wire form store sync ui,$(if $(wildcard pkg/$(d)/*.go),./pkg/$(d)/...)) ./examples/todo/model ./examples/todo/client ./examples/projects/model ./examples/projects/client

ADDR ?= 127.0.0.1:8080

.PHONY: all test deps check-tracked vet lines test-native test-wasm bench-smoke bench bench-state bench-server fuzz soak precompress run clean

all: test

# PGRUN runs a command beside a throwaway PostgreSQL cluster in a temporary directory
# (initdb and pg_ctl as an unprivileged user when root), with TANDEM_TEST_POSTGRES set
# to its URL, and stops and removes the cluster afterwards. With TANDEM_TEST_POSTGRES
# already set (an enclosing PGRUN, or a database of your own) it just runs the command.
# The PostgreSQL tests fail, never skip, without it.
PGRUN := scripts/pgcluster.sh run

## test: everything CI runs — vet (native and js/wasm), race tests, WASM tests under Node,
## and every benchmark once (each checks its results), so none rots unnoticed. One
## PostgreSQL cluster serves the whole run.
test: deps check-tracked vet
	$(PGRUN) $(MAKE) --no-print-directory test-native test-wasm bench-smoke

## check-tracked: fail when git tracks a build output (an ELF or WebAssembly binary).
check-tracked:
	@bad=$$(git ls-files -z | xargs -0 -r perl -e 'for (@ARGV) { open(F, "<", $$_) or next; read(F, $$m, 4); print "$$_\n" if $$m eq "\x7fELF" || $$m eq "\0asm" }'); \
	if [ -n "$$bad" ]; then echo "build outputs tracked by git (git rm --cached them):"; echo "$$bad"; exit 1; fi

## deps: install what the tests need on a fresh machine: Node for the WASM tests, Debian's
## Chromium for the browser tests, PostgreSQL for the storage and scale-out tests.
deps:
	@command -v node >/dev/null || { echo "installing nodejs"; apt-get update -qq && apt-get install -y -qq nodejs >/dev/null; }
	@command -v chromium >/dev/null || { echo "installing chromium"; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	scripts/pgcluster.sh install
	$(GO) mod download

## vet: go vet, natively and under GOOS=js, and staticcheck's unused-code check (U1000) both ways.
vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet $(BROWSER_PKGS)
	$(GO) build -o bin/staticcheck honnef.co/go/tools/cmd/staticcheck
	bin/staticcheck -checks U1000 ./...
	GOOS=js GOARCH=wasm bin/staticcheck -checks U1000 $(BROWSER_PKGS)

test-native:
	$(PGRUN) $(GO) test -race -count=1 ./...

## test-wasm: the browser packages again under GOOS=js, in Node with its default stack
## (about what a browser gives; Go's own runner raises it to 8 MiB, which hides overflows).
WASM_NODE := node $(WASM_EXEC_DIR)/wasm_exec_node.js
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec '$(WASM_NODE)' $(BROWSER_PKGS)

bench-smoke:
	$(PGRUN) $(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./...
	GOOS=js GOARCH=wasm $(GO) test -count=1 -run '^$$' -bench . -benchtime 1x $(BROWSER_PKGS) ./bench/floor
	node bench/floor/floor.mjs

## bench: every Go benchmark, natively, once.
bench:
	PG_FSYNC=on $(PGRUN) $(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

## bench-state: the SIGNALS.md shapes, native beside WASM under Node; writes bench/state.json.
## JS=<path of shared/bench/js-signals> also runs alien-signals and MobX in the same sitting.
bench-state:
	$(GO) run ./bench/cmd/benchstate -out bench/state.json $(if $(JS),-js $(JS))

## bench-server: mutations per second on SQLite; one event fanned out to 1,000 WebSocket subscribers;
## then SQLite beside PostgreSQL with 1, 2 and 3 instances on one database: mutations per second and
## the delivery latency of each event to a subscriber on every instance (p50, p99). PostgreSQL runs in
## a throwaway cluster with fsync on, as SQLite runs with synchronous=FULL: every commit is durable.
bench-server:
	$(GO) test -run '^$$' -bench Mutations -benchtime 3s ./pkg/server
	$(GO) test -run '^$$' -bench Fanout -benchtime 300x -count 3 ./pkg/server
	PG_FSYNC=on $(PGRUN) $(GO) test -run '^$$' -bench ScaleOut -benchtime 2000x -count 3 ./pkg/server

## fuzz: run every fuzz target for a while (by hand; the seed corpora run in make test).
## FUZZTIME is a count budget (Nx) by default: Go 1.26's fuzz coordinator can fail a
## duration budget with "context deadline exceeded" and no crasher (golang/go#75804).
## With a duration (FUZZTIME=30s), such a failure that wrote no crasher counts as clean.
FUZZTIME ?= 200000x
fuzz:
	@set -e; \
	fuzz1() { \
		if out=$$($(GO) test -run '^$$' -fuzz "^$$1$$" -fuzztime $(FUZZTIME) $$2 2>&1); then echo "$$out" | tail -n 3; return 0; fi; \
		echo "$$out"; \
		if grep -q 'context deadline exceeded' <<<"$$out" && ! grep -q 'Failing input written to' <<<"$$out"; then \
			echo "fuzz: $$1: the coordinator's deadline race (golang/go#75804), no crasher written: clean"; return 0; fi; \
		return 1; \
	}; \
	for f in FuzzDecodeClientMessage FuzzDecodeServerMessage FuzzDecodeItem FuzzDecodeSnapshotPage \
		FuzzDecodeMutationResponse FuzzDecodeDeleteResponse FuzzDecodeErrorResponse FuzzParseHeaders; do fuzz1 $$f ./pkg/wire; done; \
	for f in FuzzParseCreate FuzzParsePatch FuzzDecodeCursor FuzzMutationHeaders FuzzHostAndOrigin FuzzClientAddr; do fuzz1 $$f ./pkg/server; done; \
	for f in FuzzAcceptedEncodings FuzzStaticPath; do fuzz1 $$f ./cmd/server; done; \
	for f in FuzzKeyHash FuzzDecodeJSON; do fuzz1 $$f ./pkg/cache; done; \
	fuzz1 FuzzServerMessages ./pkg/sync; \
	fuzz1 FuzzPickJSON ./pkg/store

## lines: the lines of Go each example entity takes, as the README's table shows them.
lines:
	$(GO) run ./examples/linecount

## soak: the convergence property test (B36) over 10,000 seeds instead of CI's 200.
SEEDS ?= 10000
soak:
	TANDEM_SEEDS=$(SEEDS) $(GO) test -count=1 -timeout 0 -run '^TestB36_convergence$$' -v ./pkg/sync | grep -E 'convergence:|seed|FAIL|ok'

## precompress: brotli and gzip variants of the static files, served when the browser accepts them.
precompress:
	$(GO) run ./cmd/precompress web

## run: build the WASM app and serve the demo (embedded SQLite in tandem.db) on $(ADDR).
run: precompress
	$(GO) run ./cmd/server -addr $(ADDR)

clean:
	rm -rf bin web/*.br web/*.gz
