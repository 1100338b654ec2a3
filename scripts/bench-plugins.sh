#!/usr/bin/env bash
# Load + call time of each example plugin: the median (and range) over RUNS runs of the time
# `xdperf templates` reports from starting the plugin worker to a validated response, and the
# .wasm size. Each run is a fresh process, so compilation is always included.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-9}

measure() {
  local name=$1
  shift
  local times=()
  for ((i = 0; i < RUNS; i++)); do
    times+=("$(node dist/src/cli/main.js templates --plugin "$name" --json "$@" | node -e \
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).elapsed_ms))')")
  done
  local size
  size=$(stat -c %s "plugins/$name/out/$name.wasm")
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" -v size="$size" -v runs="$RUNS" '
    { t[NR] = $1 }
    END { printf "| %s | %d | %.1f | %.1f–%.1f | %d |\n", name, size, (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[1], t[NR], runs }'
}

echo '| plugin | .wasm bytes | load+call median ms | range ms | runs |'
echo '|---|---|---|---|---|'
measure simpleudp
measure tcpsyn --set src_ip=192.0.2.1 --set dst_ip=192.0.2.2
