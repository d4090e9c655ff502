# caduce: the two commands of the README, and a few more for developers.
#   make run    install what is missing, build (release), create the demo database, serve
#   make test   install what is missing, build (ASan+UBSan), run every test suite
#   make bench  build (release) and run the benchmarks under bench/
#   make e2e    the web UI's end-to-end walk in Chromium (CADUCE_BIN, default the dev build)
SHELL := /bin/bash
DEV := build/dev
REL := build/release
DB ?= var/caduce.db
CADUCE := $(REL)/src/cli/caduce

.PHONY: all setup build-dev build-release run test bench fuzz e2e clean

all: build-release

setup:
	@bash scripts/setup.sh

build-dev: setup
	@cmake -S . -B $(DEV) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCADUCE_SANITIZE=ON >/dev/null
	@ninja -C $(DEV)

build-release: setup
	@cmake -S . -B $(REL) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCADUCE_BUILD_TESTS=OFF \
	  -DCADUCE_BUILD_BENCH=ON >/dev/null
	@ninja -C $(REL)

run: build-release
	@bash scripts/run.sh $(CADUCE) $(DB)

test: setup
	@bash scripts/test.sh

bench: build-release
	@bash scripts/bench.sh $(REL)

fuzz: setup
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash scripts/fuzz.sh

e2e: build-dev
	@CADUCE_BIN=$${CADUCE_BIN:-$(DEV)/src/cli/caduce} node tests/e2e/run.mjs

clean:
	rm -rf build
