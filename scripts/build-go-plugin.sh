#!/usr/bin/env bash
# Builds the Go plugin plugins/NAME into plugins/NAME/out/NAME.wasm, a wasip1
# reactor module, when its sources are newer than the module.
#
# Uses TinyGo >= 0.34 when installed (a much smaller module), falling back to
# Go if TinyGo fails; else Go >= 1.24 as scripts/find-go.sh finds it.
# XDPERF_GO_COMPILER=go or =tinygo forces one. With neither, it says what to
# install and exits 0, so the rest of the build goes on. Works offline: the
# plugins module has no dependencies.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 NAME   (builds plugins/NAME)" >&2
	exit 2
fi
name=$1
compiler=${XDPERF_GO_COMPILER:-auto}
case $compiler in
auto | go | tinygo) ;;
*)
	echo "build-go-plugin: XDPERF_GO_COMPILER must be go or tinygo, not '$compiler'" >&2
	exit 2
	;;
esac
self=$(realpath "${BASH_SOURCE[0]}")
mod=$(realpath "$(dirname "$self")/../plugins")
out=$mod/$name/out/$name.wasm
rel=plugins/$name/out/$name.wasm

if [[ ! -f $mod/$name/main.go ]]; then
	echo "build-go-plugin: plugins/$name has no main.go" >&2
	exit 1
fi

if [[ -f $out ]] && [[ -z $(find "$mod/$name" "$mod/sdk/go" "$mod/go.mod" "$self" -newer "$out" \
	\( -name '*.go' ! -name '*_test.go' -o -name go.mod -o -path "$self" \) -print -quit) ]]; then
	echo "$rel is up to date"
	exit 0
fi

# The module needs nothing from the network, and must not pick another toolchain.
export GOTOOLCHAIN=local GOPROXY=off GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

# at_least HAVE WANT: true when dotted version HAVE >= WANT.
at_least() { printf '%s\n%s\n' "$2" "$1" | sort -V -C; }

# find-go.sh also knows the Go that scripts/install-deps.sh puts in ~/.cache.
go_bin=$("$(dirname "$self")/find-go.sh" 2>/dev/null || true)
tinygo_version=
if command -v tinygo >/dev/null; then
	tinygo_version=$(tinygo version | awk '{print $3}')
fi
has_go() { [[ -n $go_bin ]]; }
has_tinygo() { [[ -n $tinygo_version ]] && at_least "$tinygo_version" 0.34; }

mkdir -p "$(dirname "$out")"
tmp=$out.tmp
trap 'rm -f "$tmp"' EXIT

# Both run in the module root so the SDK resolves as a package of the same module.
# They also run as if conditions, where set -e is off: hence the || return.
build_go() {
	(cd "$mod" && GOOS=wasip1 GOARCH=wasm "$go_bin" build -buildmode=c-shared -trimpath -ldflags=-s -o "$tmp" "./$name") || return
	built_with=$("$go_bin" env GOVERSION)
}
build_tinygo() {
	(cd "$mod" && tinygo build -target=wasip1 -buildmode=c-shared -no-debug -o "$tmp" "./$name") || return
	built_with="tinygo $tinygo_version"
}

case $compiler in
go)
	if ! has_go; then
		echo "build-go-plugin: XDPERF_GO_COMPILER=go but Go >= 1.24 is not installed; see https://go.dev/dl/ or run scripts/install-deps.sh" >&2
		exit 1
	fi
	build_go
	;;
tinygo)
	if ! has_tinygo; then
		echo "build-go-plugin: XDPERF_GO_COMPILER=tinygo but TinyGo >= 0.34 is not installed (found: ${tinygo_version:-none}); see https://tinygo.org/getting-started/install/" >&2
		exit 1
	fi
	build_tinygo
	;;
auto)
	if has_tinygo && build_tinygo; then
		:
	elif has_go; then
		if has_tinygo; then
			echo "build-go-plugin: TinyGo failed on plugins/$name; building with Go instead" >&2
		fi
		build_go
	elif has_tinygo; then
		exit 1 # TinyGo failed, its errors are above, and there is no Go to fall back on
	else
		echo "build-go-plugin: skipped plugins/$name: needs Go >= 1.24 (https://go.dev/dl/, or run scripts/install-deps.sh) or TinyGo >= 0.34 (https://tinygo.org/getting-started/install/; found: ${tinygo_version:-none})" >&2
		exit 0
	fi
	;;
esac

mv "$tmp" "$out"
echo "$rel: $(stat -c %s "$out") bytes, built with $built_with"
