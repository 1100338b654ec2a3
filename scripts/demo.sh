#!/usr/bin/env bash
# The README's main job: bring up the veth lab, send simpleudp's template from xdperf0 to the
# counter on xdperf1 (in its own network namespace), stamped, show sent vs received (loss,
# duplicates, reordering and latency of the stream), take the lab down.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/lab.sh up
trap 'scripts/lab.sh down >/dev/null' EXIT
# the sender gets the first CPU this process may use to itself, as a user who cares about
# the rate would give it (the receiver's softirq runs there too: veth receives inline)
cpu=$(awk '/^Cpus_allowed_list/ { split($2, first, /[-,]/); print first[1] }' /proc/self/status)
node dist/src/cli/main.js run --plugin simpleudp --set src_ip=10.77.0.1 --set dst_ip=10.77.0.2 \
  --dev xdperf0 --pps "${DEMO_PPS:-200k}" --duration "${DEMO_DURATION:-5s}" --cpus "$cpu" \
  --stamp --rx-dev xdperf1 --rx-netns xdperf-lab
