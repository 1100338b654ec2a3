#!/usr/bin/env bash
# package.sh - writes the installable npm tarball to out/package/ (run by `make package`, after
# `make build`). It follows napi-rs's single-package layout: the loader @napi-rs/cli generated
# (native/index.js) next to the prebuilt addon for this platform (native/xdperf.linux-x64-gnu.node,
# the BPF objects embedded in it), the compiled controller and the prebuilt plugins, so
# `npm install -g out/package/xdperf-*.tgz` needs Node >= 20 and nothing else: no Rust, Go or clang.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "package.sh: $*" >&2; exit 1; }

# What the installed command cannot work without; a tarball missing one of them is not written.
REQUIRED=(
	package.json
	dist/src/cli/main.js
	dist/src/plugin/plugin-worker.js
	src/config/profile.schema.json
	src/plugin/generator-response.schema.json
	native/package.json
	native/index.js
	native/xdperf.linux-x64-gnu.node
	plugins/simpleudp/out/simpleudp.wasm
)

# tsc never deletes output, so a module removed from src/ would live on in dist/ and ship: the
# package is compiled into a clean dist.
rm -rf dist
node_modules/.bin/tsc -p tsconfig.json
chmod +x dist/src/cli/main.js

staging=$(mktemp -d out/.package.XXXXXX 2>/dev/null || { mkdir -p out && mktemp -d out/.package.XXXXXX; })
trap 'rm -rf "$staging"' EXIT

npm pack --silent --json --pack-destination "$staging" >"$staging/pack.json"
node - "$staging/pack.json" "${REQUIRED[@]}" <<'EOF'
const [listing, ...required] = process.argv.slice(2);
const [pack] = JSON.parse(require('node:fs').readFileSync(listing, 'utf8'));
const paths = new Set(pack.files.map((file) => file.path));
const missing = required.filter((path) => !paths.has(path));
if (missing.length > 0) {
  console.error(`package.sh: ${pack.filename} lacks ${missing.join(', ')} (run 'make build' first)`);
  process.exit(1);
}
const mib = (bytes) => (bytes / 1048576).toFixed(1) + ' MiB';
console.log(`out/package/${pack.filename}: ${mib(pack.size)} (${pack.entryCount} files, ${mib(pack.unpackedSize)} unpacked)`);
EOF

rm -rf out/package
mkdir -p out/package
mv "$staging"/*.tgz out/package/
