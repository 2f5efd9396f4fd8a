# Tandem — the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is what those two are made of.

SHELL := /bin/bash
GO    ?= go

# Go's js/wasm test runner (go_js_wasm_exec) lives here since Go 1.24; `go test`
# finds it on PATH and runs each test binary under Node.
WASM_EXEC_DIR := $(shell $(GO) env GOROOT)/lib/wasm
export PATH := $(WASM_EXEC_DIR):$(PATH)

# Packages that ship to the browser: vetted and tested again under GOOS=js.
BROWSER_PKGS := $(foreach d,state cache wire form store sync ui jsapi,$(if $(wildcard pkg/$(d)/*.go),./pkg/$(d)/...)) ./examples/todo/model ./examples/todo/client ./examples/projects/model ./examples/projects/client ./examples/todo/board ./cmd/wasm ./cmd/tandemjs

# The JavaScript-facing WASM (cmd/tandemjs, shipped in web/tandem) is built
# for size: no inlining outside the runtime and the signal graph. That keeps
# it under its 1.0 MB (brotli) budget and costs nothing measurable on the
# JavaScript API's paths (bench/crossing; the README has the numbers).
JSWASM_FLAGS := -trimpath -gcflags=all=-l -gcflags=runtime= -gcflags=github.com/tandemkit/tandem/pkg/state= -ldflags=-s\ -w

# The go-app demo's WebAssembly, and the hello world it is measured against, built the same way.
WASM_FLAGS := -trimpath -ldflags=-s\ -w

# make size builds each of SIZE_BUILDS with GOOS=js GOARCH=wasm and prints
# raw, gzip and brotli sizes. A build names its main package, its flags
# and, optionally, its brotli budget: bytes, or a ratio of an earlier build
# (1.15x:hello); add one with three lines.
SIZE_BUILDS := hello demo tandemjs tandemjs-inlined
size_hello_pkg := ./bench/hello
size_hello_flags := $(WASM_FLAGS)
size_demo_pkg := ./cmd/wasm
size_demo_flags := $(WASM_FLAGS)
size_demo_budget := 1.15x:hello
size_tandemjs_pkg := ./cmd/tandemjs
size_tandemjs_flags := $(JSWASM_FLAGS)
size_tandemjs_budget := 1000000
size_tandemjs-inlined_pkg := ./cmd/tandemjs
size_tandemjs-inlined_flags := -trimpath -ldflags=-s\ -w

ADDR ?= 127.0.0.1:8080

.PHONY: all test deps js-deps check-tracked vet lines test-native test-wasm test-js bench-smoke bench bench-state bench-server bench-crossing bench-browser fuzz soak site static run run-users clean size web/tandem react-todo bin/todoserver

all: test

# PGRUN runs a command beside a throwaway PostgreSQL cluster in a temporary directory
# (initdb and pg_ctl as an unprivileged user when root), with TANDEM_TEST_POSTGRES set
# to its URL, and stops and removes the cluster afterwards. With TANDEM_TEST_POSTGRES
# already set (an enclosing PGRUN, or a database of your own) it just runs the command.
# The PostgreSQL tests fail, never skip, without it.
PGRUN := scripts/pgcluster.sh run

## test: everything CI runs — vet (native and js/wasm), race tests (the demo's and the React
## board's Chromium tests among them), WASM tests under Node, the JavaScript module's and its
## framework bindings' tests, and every benchmark once (each checks its results), so none
## rots unnoticed. One PostgreSQL cluster serves the whole run.
test: deps check-tracked vet react-todo
	$(PGRUN) $(MAKE) --no-print-directory test-native test-wasm test-js bench-smoke

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
	$(MAKE) js-deps

## js-deps: the npm packages of the JavaScript module's tests and of the React board,
## exactly as their committed lockfiles say.
js-deps:
	cd web/tandem && npm ci --no-audit --no-fund
	cd examples/react-todo && npm ci --no-audit --no-fund

## web/tandem: the JavaScript module's WASM and Go's wasm_exec.js beside it (build outputs,
## git-ignored).
web/tandem:
	GOOS=js GOARCH=wasm $(GO) build $(JSWASM_FLAGS) -o web/tandem/tandem.wasm ./cmd/tandemjs
	cp $(WASM_EXEC_DIR)/wasm_exec.js web/tandem/wasm_exec.js

## react-todo: the React board (examples/react-todo/dist), on the module just built.
react-todo: web/tandem
	cd examples/react-todo && npx vite build --logLevel warn

## bin/todoserver: the demo's API on a memory store, for the JavaScript tests.
bin/todoserver:
	$(GO) build -o bin/todoserver ./internal/todoserver/cmd/todoserver

## test-js: the module under Node against the WASM and a todoserver; React, Vue and Svelte
## bindings with their frameworks; npm pack and an install from the tarball; the .d.ts.
test-js: web/tandem bin/todoserver
	cd web/tandem && TANDEM_TODOSERVER=$(CURDIR)/bin/todoserver npm test

## size: the WASM builds' download sizes (SIZE_BUILDS), brotli against their budgets.
size:
	@mkdir -p bin/size
	@$(foreach b,$(SIZE_BUILDS),GOOS=js GOARCH=wasm $(GO) build $(size_$(b)_flags) -o bin/size/$(b).wasm $(size_$(b)_pkg) &&) true
	@$(GO) run ./bench/cmd/wasmsize $(foreach b,$(SIZE_BUILDS),$(b)=bin/size/$(b).wasm$(if $(size_$(b)_budget),@$(size_$(b)_budget)))

## vet: go vet, natively and under GOOS=js, and staticcheck's unused-code check (U1000) both ways.
vet:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "not gofmt-ed (gofmt -w them):"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet $(BROWSER_PKGS)
	GOOS=js GOARCH=wasm $(GO) vet -tags conntest ./pkg/sync
	$(GO) build -o bin/staticcheck honnef.co/go/tools/cmd/staticcheck
	bin/staticcheck -checks U1000 ./...
	GOOS=js GOARCH=wasm bin/staticcheck -checks U1000 $(BROWSER_PKGS)
	GOOS=js GOARCH=wasm bin/staticcheck -tags conntest -checks U1000 ./pkg/sync

test-native:
	$(PGRUN) $(GO) test -race -count=1 ./...

## test-wasm: the browser packages again under GOOS=js, in Node with its default stack
## (about what a browser gives; Go's own runner raises it to 8 MiB, which hides overflows).
WASM_NODE := node $(WASM_EXEC_DIR)/wasm_exec_node.js
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec '$(WASM_NODE)' $(BROWSER_PKGS)

bench-smoke: web/tandem react-todo
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

## bench-crossing: what a call between JavaScript and Go costs, a 1,000-item view's first
## delivery and one item's change in it, under Node and in Chromium (bench/crossing).
bench-crossing: web/tandem
	$(GO) test -run '^$$' -bench Crossing -benchtime 1x -count 3 ./bench/crossing

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
		FuzzDecodeMutationResponse FuzzDecodeDeleteResponse FuzzDecodeErrorResponse FuzzParseHeaders FuzzNextMember; do fuzz1 $$f ./pkg/wire; done; \
	for f in FuzzParseCreate FuzzParsePatch FuzzDecodeCursor FuzzMutationHeaders FuzzHostAndOrigin FuzzClientAddr; do fuzz1 $$f ./pkg/server; done; \
	for f in FuzzAcceptedEncodings FuzzStaticPath; do fuzz1 $$f ./cmd/server; done; \
	for f in FuzzKeyHash FuzzDecodeJSON; do fuzz1 $$f ./pkg/cache; done; \
	fuzz1 FuzzServerMessages ./pkg/sync; \
	for f in FuzzPickJSON FuzzEscape; do fuzz1 $$f ./pkg/store; done

## lines: the lines of Go each example entity takes, as the README's table shows them.
lines:
	$(GO) run ./examples/linecount

## soak: the convergence property test (B36) over 10,000 seeds instead of CI's 200.
SEEDS ?= 10000
soak:
	TANDEM_SEEDS=$(SEEDS) $(GO) test -count=1 -timeout 0 -run '^TestB36_convergence$$' -v ./pkg/sync | grep -E 'convergence:|seed|FAIL|ok'

## site: the demo's development build (with its devtools: Ctrl+Shift+D) written into cmd/server/site,
## with brotli and gzip variants, for the server binary to embed.
site:
	@mkdir -p bin
	GOOS=js GOARCH=wasm $(GO) build $(WASM_FLAGS) -tags devtools -o bin/app.wasm ./cmd/wasm
	$(GO) run ./cmd/site -out cmd/server/site -wasm bin/app.wasm
	$(GO) run ./cmd/precompress cmd/server/site

## run: build the demo and serve it, with the API and an embedded SQLite store (tandem.db), on $(ADDR).
run: site
	$(GO) run ./cmd/server -addr $(ADDR)

## run-users: the signed-in demo on $(ADDR): people sign in with a name (ada, bob, cy; no password:
## a demo) and each syncs only its own boards and those shared with it. Its own SQLite file
## (tandem-users.db): a store cannot switch between the open demo's collections and partitioned ones.
run-users: site
	$(GO) run ./cmd/server -addr $(ADDR) -demo-users ada,bob,cy -db tandem-users.db

## static: the demo as a static site in $(STATIC) for any static file server, talking to the API
## at $(API) ("" for /api on the site's own origin); that server must allow the site's origin
## (cmd/server -origins). A production build: no devtools unless DEVTOOLS=1.
STATIC ?= build/static
API ?=
DEVTOOLS ?=
static:
	@mkdir -p bin
	GOOS=js GOARCH=wasm $(GO) build $(WASM_FLAGS) $(if $(DEVTOOLS),-tags devtools) -o bin/static.wasm ./cmd/wasm
	$(GO) run ./cmd/site -out $(STATIC) -wasm bin/static.wasm $(if $(API),-api $(API))
	$(GO) run ./cmd/precompress $(STATIC)

## bench-browser: headless Chromium on loopback, 1,000 todos, cold loads: the go-app demo, a go-app
## hello world (and its page with 1,000 bare rows: the floor of a first list) and the React board —
## first render, keystroke and toggle to DOM, JS heap. Writes bench/browser.json and the README's table.
bench-browser: react-todo
	TANDEM_BENCH_OUT=$(CURDIR)/bench/browser.json $(GO) test -count=1 -run '^$$' -bench '^BenchmarkBrowser$$' -benchtime 1x -timeout 30m ./cmd/server

clean:
	rm -rf bin build web/tandem/tandem.wasm web/tandem/wasm_exec.js examples/react-todo/dist
