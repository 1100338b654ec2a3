# xdperf build. `make test` and `make demo` are the two entry points the README promises;
# both install what is missing first (scripts/install-deps.sh), so they work on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := build

NODE_BIN := node_modules/.bin
# --strip-debug: Debian's wasi-libc carries DWARF that would triple module size;
# the name section stays, so traps still name functions.
WASI_CC := clang --target=wasm32-wasi --sysroot=/usr -std=c11 -O2 -Wall -Wextra -Werror -Wl,--strip-debug

GO_PLUGINS := simpleudp udp6 vlan
C_PLUGINS := tcpsyn
AS_PLUGINS := imix
FIXTURES := $(basename $(notdir $(wildcard test/fixtures/*.c)))

.PHONY: build deps ts plugins fixtures test unit lint test-ts test-go test-rust bench-plugins demo clean \
	$(addprefix plugin-,$(GO_PLUGINS) $(C_PLUGINS) $(AS_PLUGINS))

deps:
	@scripts/install-deps.sh

build: native ts plugins

ts: node_modules
	$(NODE_BIN)/tsc -p tsconfig.json
	@chmod +x dist/src/cli/main.js

node_modules: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch node_modules

# --- plugins -----------------------------------------------------------------
plugins: $(addprefix plugin-,$(GO_PLUGINS) $(C_PLUGINS) $(AS_PLUGINS))

$(addprefix plugin-,$(GO_PLUGINS)): plugin-%:
	@scripts/build-go-plugin.sh $*

# A pattern replaces only its first %, so plugin-X: plugins/X/out/X.wasm is spelled out.
$(foreach p,$(C_PLUGINS) $(AS_PLUGINS),$(eval plugin-$(p): plugins/$(p)/out/$(p).wasm))

plugins/tcpsyn/out/tcpsyn.wasm: $(wildcard plugins/tcpsyn/*.c plugins/tcpsyn/*.h plugins/sdk/c/*.h plugins/sdk/c/*.c)
	@mkdir -p $(dir $@)
	$(WASI_CC) -mexec-model=reactor -Iplugins/sdk/c -o $@ $(filter %.c,$^)

# AssemblyScript plugins: asc with the SDK's asconfig.json (a wasip1 reactor through
# @assemblyscript/wasi-shim); npm's lock pins the compiler, so the build is reproducible.
AS_SDK := $(wildcard plugins/sdk/assemblyscript/*.ts plugins/sdk/assemblyscript/asconfig.json)

plugins/imix/out/imix.wasm: $(wildcard plugins/imix/*.ts) $(AS_SDK) | node_modules
	@mkdir -p $(dir $@)
	$(NODE_BIN)/asc plugins/imix/imix.ts --config plugins/sdk/assemblyscript/asconfig.json -o $@

# --- test fixtures: deliberately broken plugins, one per refusal ---------------
fixtures: $(addprefix test/fixtures/out/,$(addsuffix .wasm,$(FIXTURES)))

# Fixtures link the C SDK through their build-flags line, so they depend on it too.
test/fixtures/out/%.wasm: test/fixtures/%.c $(wildcard test/fixtures/*.h) $(wildcard plugins/sdk/c/*.h plugins/sdk/c/*.c)
	@mkdir -p $(dir $@)
	$(WASI_CC) $$(sed -n 's|^// build-flags: ||p' $<) -o $@ $<

# --- tests -------------------------------------------------------------------
test: deps
	$(MAKE) build fixtures package
	$(MAKE) lint test-rust test-go test-ts

test-rust:
	cd native && cargo test --release --quiet

# Every test that needs neither root nor the lab, as any user and offline, on a built tree
# (make build fixtures); nothing is installed. Suites that need root skip, saying so in a line.
unit:
	cd native && XDPERF_UNIT=1 cargo test --release --quiet --offline
	$(MAKE) test-go
	XDPERF_UNIT=1 $(MAKE) test-ts

# The Rust style rules (cargo fmt, clippy -D warnings, tests included). A toolchain
# without the rustfmt or clippy component says so and skips that check.
lint:
	@cd native && if cargo fmt --version >/dev/null 2>&1; then cargo fmt --check; \
		else echo "lint: rustfmt is not installed (rustup component add rustfmt); not checked"; fi
	@cd native && if cargo clippy --version >/dev/null 2>&1; then cargo clippy --release --all-targets --quiet -- -D warnings; \
		else echo "lint: clippy is not installed (rustup component add clippy); not checked"; fi

test-ts:
	$(NODE_BIN)/uvu dist/test '\.test\.js$$'

# Go plugin logic also builds natively, so its own tests run without a wasm runtime.
test-go:
	cd plugins && GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=readonly "$$(../scripts/find-go.sh)" test ./...

# Load + call time of each plugin (median of several runs) and .wasm sizes.
bench-plugins: build
	@scripts/bench-plugins.sh

# Sending rate of the afxdp, xdp and packet engines on the veth lab next to trafgen and
# the anchors' C AF_XDP sender and xdp-trafficgen, rate accuracy of every engine, start-up
# time and memory, per-packet flows and IMIX; as root, about 25 minutes (BENCH_DURATION=5
# about 14, BENCH_RUNS=1 about 9; BENCH_ONLY=flows only the flows and IMIX cases, about 7).
# Writes out/bench/bench.md, bench.json and the chart bench.svg; see scripts/bench.sh.
.PHONY: bench
bench: build
	@scripts/bench.sh

# Memory and file descriptors of a long max-rate run (default 30 minutes; SOAK_MINUTES=N).
.PHONY: soak
soak: build
	@scripts/soak.sh $(or $(SOAK_MINUTES),30)

# The installable npm tarball, out/package/xdperf-VERSION.tgz: the compiled controller, the
# prebuilt native addon (BPF objects inside) and plugins, so installing it needs only Node.
.PHONY: package
package: build
	@scripts/package.sh

# --- the README's main job -----------------------------------------------------
demo: deps
	$(MAKE) build
	@scripts/demo.sh

clean:
	rm -rf dist plugins/*/out test/fixtures/out

# --- native core: Rust crate built by @napi-rs/cli into native/xdperf.<platform>.node,
# with the generated loader native/index.js and types native/index.d.ts --------
.PHONY: native
# cargo fetch: the dev-dependencies too, so make unit's cargo test runs offline.
native: node_modules
	cd native && cargo fetch --quiet && ../$(NODE_BIN)/napi build --platform --release
