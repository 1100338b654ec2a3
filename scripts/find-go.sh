#!/usr/bin/env bash
# Prints the path of a Go >= 1.24 toolchain (needed for //go:wasmexport). With --install, fetches
# one from the Go module proxy into ~/.cache/xdperf when none is on the machine; the proxy serves
# toolchains as modules (golang.org/toolchain), the same way `GOTOOLCHAIN=` downloads them.
set -euo pipefail

GO_VERSION=1.26.0
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xdperf/go$GO_VERSION

usable() {
  local go=$1 version
  version=$("$go" env GOVERSION 2>/dev/null) || return 1
  version=${version#go}
  local major=${version%%.*} rest=${version#*.}
  local minor=${rest%%.*}
  ((major > 1 || (major == 1 && minor >= 24)))
}

for candidate in "$(command -v go || true)" /usr/local/go/bin/go "$CACHE/bin/go"; do
  if [[ -n $candidate && -x $candidate ]] && usable "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

if [[ ${1:-} != --install ]]; then
  echo "no Go >= 1.24 found: install one from https://go.dev/dl/ or run scripts/install-deps.sh" >&2
  exit 1
fi

arch=$(uname -m)
case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
url="https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-$arch.zip"
echo "install-deps: fetching Go $GO_VERSION from the Go module proxy" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/go.zip" "$url"
python3 - "$tmp/go.zip" "$tmp/x" <<'PY'
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        z.extract(info, sys.argv[2])
        mode = info.external_attr >> 16
        if mode:
            os.chmod(os.path.join(sys.argv[2], info.filename), mode & 0o777)
PY
mkdir -p "$(dirname "$CACHE")"
rm -rf "$CACHE"
mv "$tmp/x/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$arch" "$CACHE"
echo "$CACHE/bin/go"
