#!/usr/bin/env bash
# Installs what building and testing xdperf needs and is missing, so `make test` and `make demo`
# work on a fresh Debian/Ubuntu machine: Debian packages (clang/lld/wasi-libc for C plugins,
# tshark for pcap checks, chromium for the HTML report's test), npm packages, and Go >= 1.24
# for Go plugins (from the Go module proxy when the system has none), and checks for the Rust
# toolchain the native core needs.
# Quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install-deps: %s\n' "$*" >&2; }

# clang/lld/wasi-libc: C plugins and fixtures; libbpf-dev: BPF headers for the XDP counter;
# tshark: the independent pcap reader of the tests; iproute2: the veth lab; prometheus: the
# server that scrapes --metrics-addr in the metrics test; chromium: the browser that renders
# run --report's page in its test (headless).
APT_PACKAGES=(clang lld wasi-libc libclang-rt-14-dev-wasm32 libbpf-dev linux-libc-dev tshark iproute2 curl python3 prometheus chromium)
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    say "missing Debian packages: ${missing[*]} (install them as root with apt-get)"
    exit 1
  fi
  say "installing ${missing[*]}"
  # tshark asks whether non-root users may capture; the answer does not matter here.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
  # The package starts a Prometheus of its own, on :9090 for good; the test runs its own, so the
  # one installed here is stopped and kept from starting at boot.
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    if [[ -d /run/systemd/system ]]; then
      systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    else
      service prometheus stop >/dev/null 2>&1 || true
      update-rc.d prometheus disable >/dev/null 2>&1 || true
    fi
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  say "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none)); see https://nodejs.org"
  exit 1
fi
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  say "installing npm packages"
  # Not `npm ci`: npm 11 refuses this lock file because @napi-rs/cli's optional per-platform
  # packages were skipped for an engine mismatch; `npm install` honours the same lock.
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules
fi

scripts/find-go.sh --install >/dev/null

if ! command -v cargo >/dev/null; then
  say "the native core needs Rust (cargo): install it with rustup, https://rustup.rs"
  exit 1
fi
