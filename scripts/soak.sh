#!/usr/bin/env bash
# soak.sh - `make soak`: does a long run keep its memory and file descriptors flat?
# Runs `xdperf run` at max rate with --json and --rx-dev on the lab for MINUTES and samples,
# from outside the process, its resident memory (VmRSS, VmHWM) and open file descriptors
# every SOAK_INTERVAL seconds.
#
# Usage: scripts/soak.sh [MINUTES]      (as root; after make build; default 30)
#   SOAK_ENGINE    engine to run (default afxdp)
#   SOAK_INTERVAL  seconds between samples (default 10)
#   SOAK_OUT       output directory (default out/soak)
#   XDPERF_LAB     which lab (as scripts/lab.sh; default 8, so a developer's lab stays up)
# Writes OUT/samples.tsv (elapsed s, RSS KiB, peak RSS KiB, fds) and prints the samples at
# 1, 10 and 30 minutes (those within the run), the RSS slope over the run after its first
# minute, and the fds at start and end. The lab it brings up is taken down on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MINUTES=${1:-30}
ENGINE=${SOAK_ENGINE:-afxdp}
INTERVAL=${SOAK_INTERVAL:-10}
OUT=${SOAK_OUT:-out/soak}
export XDPERF_LAB=${XDPERF_LAB:-8}
TX_IF=xdperf${XDPERF_LAB}0
RX_IF=xdperf${XDPERF_LAB}1
NETNS=xdperf-lab$XDPERF_LAB
SUBNET=10.77.$XDPERF_LAB

die() { echo "soak.sh: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "needs root (it brings up the veth lab)"
[[ $MINUTES =~ ^[1-9][0-9]*$ ]] || die "MINUTES must be a whole number of minutes, got '$MINUTES'"
[[ -f dist/src/cli/main.js ]] || die "not built: run 'make build' first"

pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  scripts/lab.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

scripts/lab.sh up >/dev/null
mkdir -p "$OUT"
node dist/src/cli/main.js run --plugin simpleudp --set "src_ip=$SUBNET.1" --set "dst_ip=$SUBNET.2" \
  --dev "$TX_IF" --engine "$ENGINE" --duration "${MINUTES}m" \
  --rx-dev "$RX_IF" --rx-netns "$NETNS" --json >"$OUT/run.ndjson" 2>"$OUT/run.stderr" &
pid=$!

status() { awk -v key="$1" '$1 == key ":" { print $2 }' "/proc/$pid/status" 2>/dev/null; }
printf 'elapsed_s\trss_kib\tpeak_rss_kib\tfds\n' >"$OUT/samples.tsv"
start=$(date +%s)
sleep 2
while kill -0 "$pid" 2>/dev/null; do
  fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  rss=$(status VmRSS)
  [[ -n $rss ]] && printf '%s\t%s\t%s\t%s\n' $(($(date +%s) - start)) "$rss" "$(status VmHWM)" "$fds" >>"$OUT/samples.tsv"
  sleep "$INTERVAL"
done
wait "$pid" || die "the run failed: $(tail -1 "$OUT/run.stderr")"
pid=

awk -F'\t' -v minutes="$MINUTES" '
  NR == 1 { next }
  { t[++n] = $1; rss[n] = $2; peak[n] = $3; fds[n] = $4 }
  END {
    if (n < 2) { print "soak.sh: too few samples"; exit 1 }
    split("60 600 1800", marks, " ")
    printf "%-10s %12s %14s %5s\n", "at", "RSS (MiB)", "peak (MiB)", "fds"
    for (m = 1; m <= 3; m++) {
      if (marks[m] > minutes * 60) continue
      best = 1
      for (i = 1; i <= n; i++) if ((t[i] - marks[m]) ^ 2 < (t[best] - marks[m]) ^ 2) best = i
      printf "%-10s %12.1f %14.1f %5d\n", t[best] " s", rss[best] / 1024, peak[best] / 1024, fds[best]
    }
    # least-squares slope of RSS after the first minute (start-up settles there)
    for (i = 1; i <= n; i++) if (t[i] >= 60) { k++; sx += t[i]; sy += rss[i]; sxx += t[i] ^ 2; sxy += t[i] * rss[i] }
    if (k >= 2) printf "RSS slope after the first minute: %+.2f KiB/s over %d samples\n", (k * sxy - sx * sy) / (k * sxx - sx ^ 2), k
    printf "fds: %d at the start, %d at the end\n", fds[1], fds[n]
  }' "$OUT/samples.tsv"
