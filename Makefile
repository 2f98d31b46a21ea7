# hashgate — the two user commands are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
HASHGATE_PORT ?= 8080
HASHGATE_DATA_DIR ?= ./var
export NODE_PATH := /usr/share/nodejs
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: all deps build wasm web run run-cluster test test-native test-web test-browser test-reliability test-asan \
        test-fuzz-smoke fuzz bench budgets format format-check clean

all: build

deps:
	@scripts/deps.sh

## Native Release build: build/bin/hashgate, build/bin/hashgate-gateway, test binaries.
build: deps
	@cmake --preset native >/dev/null
	@cmake --build --preset native -j$(JOBS)

## WebAssembly SDK + JS package into web/dist/ (OpenSSL for wasm is cached in ~/.cache/hashgate).
wasm web: deps
	@web/build.sh

## Start the gateway with the demo tenant and the demo pages.
run: build web
	@mkdir -p $(HASHGATE_DATA_DIR)
	HASHGATE_PORT=$(HASHGATE_PORT) HASHGATE_DATA_DIR=$(HASHGATE_DATA_DIR) \
	  build/bin/hashgate-gateway --config examples/config/gateway.json

## Scale-out demo on Kafka: 3 mock brokers, replicas on HASHGATE_PORT and +1, the sink on +2
## (docs/deploy.md).
run-cluster: build web
	@HASHGATE_PORT=$(HASHGATE_PORT) scripts/run-cluster.sh

## Every suite: native unit + integration, wasm under node, browser, sanitizers, fuzz smoke.
test: build web
	@$(MAKE) --no-print-directory format-check test-native test-web test-browser test-reliability test-asan test-fuzz-smoke
	@echo "make test: all suites passed"

test-native:
	@ctest --test-dir build --output-on-failure -j$(JOBS)

test-web:
	@node --test tests/wasm/

test-browser:
	@node --test --test-concurrency=1 tests/browser/

## Whole-gateway suites: crash durability (kill -9), overload, slow clients, timeouts, connection
## cap, TLS (tests/reliability) and end-to-end flows over restarts (tests/e2e).
test-reliability:
	@node --test --test-concurrency=1 tests/reliability/ tests/e2e/

test-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan --output-on-failure -j$(JOBS)

FUZZ_SECONDS ?= 60
test-fuzz-smoke:
	@tests/fuzz/run.sh smoke

fuzz: deps
	@tests/fuzz/run.sh full $(FUZZ_SECONDS)

## Benchmarks against peers, and the budget check (never part of make test's pass/fail).
bench: build web
	@scripts/deps.sh bench
	@bench/run.sh

budgets: web
	@bench/budgets.sh

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror
	@echo "format-check: every C++ file matches .clang-format"

clean:
	rm -rf build build-asan build-fuzz build-wasm web/dist
