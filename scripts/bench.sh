#!/usr/bin/env bash
# bench.sh - `make bench`: xdperf's sending rate with each engine (afxdp, xdp, packet),
# rate accuracy of every engine, start-up time and memory on the project's veth lab
# (scripts/lab.sh), next to Debian's trafgen and, as anchors, the reference C AF_XDP
# sender and xdp-trafficgen of BENCH_ANCHORS, all in one run; then per-packet flows
# (65,535 and 1,000,000 flows against a fixed template), IMIX and `templates --variants`,
# and stamps (stamped against unstamped, the receiver's exact counts, the latency floor).
#
# Usage: scripts/bench.sh            (as root; after make build)
#   BENCH_DURATION  seconds per run (default 10; at least 3)
#   BENCH_RUNS      runs per max-rate case (default 3; cases are interleaved run by run)
#   BENCH_ANCHORS   the anchors directory (default /work/shared/anchors); absent or
#                   unusable -> the table says "anchor not available" and the rest runs
#   BENCH_OUT       output directory (default out/bench)
#   BENCH_IDLE_WAIT before each run, wait up to this many seconds for the machine to be
#                   >= 90 % idle (default 10; 0 = do not wait); the idle % is recorded
#   BENCH_NO_INSTALL=1  do not apt-get install netsniff-ng when trafgen is missing
#   XDPERF_LAB      which lab (as scripts/lab.sh: unset = xdperf-lab, N = xdperf-labN)
#   BENCH_ONLY=flows  only the flows/IMIX section (its own lab up and down, 1 queue):
#                   BENCH_RUNS x 10 runs, then 5 x `templates --variants 1000`; the
#                   report (with only that section and its targets) is still written.
#                   About 7 minutes with the defaults, 3 with BENCH_RUNS=1.
#   BENCH_ONLY=stamp  only the stamps section (its own lab, 1 queue): BENCH_RUNS x 6 runs.
# With the defaults it takes about 25 minutes: 3 runs x 16 max-rate cases x 10 s, then
# 3 x 11 rate-accuracy runs of 10 s, trafgen's, 5 x `--count 1`, one 5 s memory run,
# then 3 runs x 10 flows/IMIX cases x 10 s and 5 x `templates --variants 1000`; each
# 10 s case costs about 12 s with start-up, and each run brings 5 labs up and down.
# BENCH_DURATION=5 takes about 14 minutes, BENCH_RUNS=1 about 9.
#
# Writes OUT/bench.md (also printed), OUT/bench.json, the chart OUT/bench.svg and
# OUT/raw.ndjson; what each case measures, and how, is in docs/bench.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DUR=${BENCH_DURATION:-10}
RUNS=${BENCH_RUNS:-3}
ANCHORS=${BENCH_ANCHORS:-/work/shared/anchors}
OUT=${BENCH_OUT:-out/bench}
IDLE_WAIT=${BENCH_IDLE_WAIT:-10}
ONLY=${BENCH_ONLY:-}
LENS=(60 1514)
PAYLOAD=([60]=18 [1514]=1472) # simpleudp payload_size for each frame length
RATES=(10000 100000 500000) # afxdp, xdp, packet
RAW_RATES=(10000 20000)     # raw: paced in JavaScript, modest by design
TRAFGEN_RATE=100000
RSS_SECONDS=5
NCPU=$(nproc)
SAMPLER_CPU=$((NCPU - 1)) # the measuring helper's core; senders use CPU 0 (and 1 for 2 queues)
# the lab's names, as scripts/lab.sh derives them from XDPERF_LAB
LABN=${XDPERF_LAB:-}
NETNS=xdperf-lab$LABN LAB_DEV=xdperf${LABN}0 RX_IF=xdperf${LABN}1
SUBNET_PREFIX=10.77 SUBNET_OCTET=${LABN:-0} # the lab's 10.77.N.0/24
RX_IP=$SUBNET_PREFIX.$SUBNET_OCTET.2 TX_IP=$SUBNET_PREFIX.$SUBNET_OCTET.1
PIN=/sys/fs/bpf/xdperf/netns/$NETNS/$RX_IF

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root: it creates a veth lab in a network namespace and sends on it with AF_XDP (try: sudo make bench)"
if ! [[ $DUR =~ ^[0-9]+$ ]] || [ "$DUR" -lt 3 ]; then die "BENCH_DURATION must be a whole number of seconds >= 3, got '$DUR'"; fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive whole number, got '$RUNS'"
[[ $IDLE_WAIT =~ ^[0-9]+$ ]] || die "BENCH_IDLE_WAIT must be a whole number of seconds, got '$IDLE_WAIT'"
[[ -z $ONLY || $ONLY == flows || $ONLY == stamp ]] || die "BENCH_ONLY must be unset (everything), flows or stamp, got '$ONLY'"
if [ ! -f dist/src/cli/main.js ] || [ ! -f native/index.js ]; then die "xdperf is not built: run make build"; fi
for t in node taskset ip; do command -v "$t" >/dev/null || die "$t is missing"; done
XDPERF=(node "$ROOT/dist/src/cli/main.js")
# The engines under test, by the tool name the results carry.
declare -A ENGINE_OF=([xdperf-afxdp]=afxdp [xdperf-xdp]=xdp [xdperf-packet]=packet [xdperf-raw]=raw)

# Our lab or the anchors' already up: another benchmark is running, or one was left
# behind. Either would share the veth names or the CPUs, so wait for it to go.
up=$(ip netns list | awk -v me="$NETNS" '$1 == me || $1 == "xdpf-tx" || $1 == "xdpf-rx" { printf "%s ", $1 }')
if [ -n "$up" ] || ip link show "$LAB_DEV" >/dev/null 2>&1; then
	up=${up% }
	die "a lab is already up (${up:-$LAB_DEV}): another benchmark is using it, or it was left behind; retry when it is gone, or take it down (scripts/lab.sh down; for xdpf-*: the anchors' lab-down.sh)"
fi
# Another xdperf lab (a test run) does not collide, but shares the CPUs.
others=$(ip netns list | awk -v me="$NETNS" '$1 ~ /^xdperf-lab/ && $1 != me { printf "%s ", $1 }')
[ -z "$others" ] || echo "bench: warning: other xdperf labs are up ($others): a test run may be using the CPUs" >&2

mkdir -p "$OUT"
# fine dumps of the last run only (BENCH_FINE_KEEP in measure)
rm -rf "$OUT/fine"
RAW=$OUT/raw.ndjson
: >"$RAW"
TMP=$(mktemp -d /tmp/xdperf-bench.XXXXXX)
OUR_LAB=0 ANCHOR_LAB=0 CHILD=""

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
		# the run going on: bench-run.mjs and measure.sh stop their sender on SIGTERM
		pkill -TERM -P "$CHILD" 2>/dev/null || true
		kill -TERM "$CHILD" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$CHILD" 2>/dev/null || true
	fi
	if [ "$OUR_LAB" = 1 ]; then scripts/lab.sh down >/dev/null 2>&1 || log "scripts/lab.sh down failed: check with scripts/lab.sh status"; fi
	if [ "$ANCHOR_LAB" = 1 ]; then "$ANCHORS/lab-down.sh" >/dev/null 2>&1 || log "the anchors' lab-down.sh failed"; fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# run_child OUT CMD...: runs CMD in the background, its stdout to OUT and its stderr to
# $TMP/child.err (overwritten), and waits for it. Not in the foreground: a foreground
# command that handles SIGINT itself and exits 0 hides Ctrl-C from the trap (bash
# assumes the child dealt with it and carries on). `wait` returns at once on a signal,
# the trap runs, and cleanup stops CHILD. Returns CMD's status.
run_child() {
	local out=$1 rc=0
	shift
	"$@" >"$out" 2>"$TMP/child.err" &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=""
	return "$rc"
}

# emit JSON: one result line
emit() { echo "$1" >>"$RAW"; }
# jstr S: S as a JSON string
jstr() { node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$1"; }
note() { emit "{\"kind\":\"note\",\"tool\":\"$1\",\"error\":$(jstr "$2")}"; log "$1: $2"; }

# idle_wait: waits (up to IDLE_WAIT s) until the machine is >= 90 % idle over 0.5 s,
# so another process's load does not skew a run; sets PRE_IDLE.
cpu_idle_total() { awk '/^cpu /{ print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
idle_wait() {
	local end=$((SECONDS + IDLE_WAIT)) a b
	PRE_IDLE=null
	while :; do
		read -r -a a < <(cpu_idle_total)
		sleep 0.5
		read -r -a b < <(cpu_idle_total)
		PRE_IDLE=$((100 * (b[0] - a[0]) / ((b[1] - a[1]) > 0 ? (b[1] - a[1]) : 1)))
		[ "$PRE_IDLE" -ge 90 ] || [ "$SECONDS" -ge "$end" ] && return 0
	done
}

# lab_up QUEUES: the lab, its receiver's counter re-pinned count-only: the senders are measured
# against the receiver the anchors' lab has (a counter and nothing more), since on a veth the
# receiver's XDP program runs on the sending CPU and a stamp-reading one costs it ~11 ns a frame
lab_up() {
	# lab.sh up would replace a lab someone else brought up meanwhile
	if ip netns list | grep -qE "^$NETNS( |\$)"; then die "netns $NETNS appeared while the benchmark ran: someone else is using this lab"; fi
	OUR_LAB=1 # from here on cleanup takes it down, even if up is interrupted halfway
	scripts/lab.sh up "$1" >"$TMP/lab.log" 2>&1 || { cat "$TMP/lab.log" >&2; die "scripts/lab.sh up $1 failed"; }
	repin_counter --count-only
}
lab_down() {
	scripts/lab.sh down >/dev/null
	OUR_LAB=0
}

# counter: the lab receiver's packet total
counter() { node -e "process.stdout.write(String(require('$ROOT/native/index.js').openPinnedCounter('$PIN').counts().packets))"; }

# measure META BENCH-RUN-OPTIONS... -- COMMAND...: one run through bench-run.mjs,
# after idle_wait; its JSON line (with META and pre_idle) goes to RAW.
measure() {
	local meta=$1 line
	shift
	idle_wait
	meta="${meta%\}},\"pre_idle\":$PRE_IDLE}"
	BENCH_FINE_KEEP="$OUT/fine" run_child "$TMP/line" node scripts/bench-run.mjs --cpu "$SAMPLER_CPU" --dur "$DUR" --pin "$PIN" --txdev "$LAB_DEV" --meta "$meta" "$@" || true
	line=$(tail -1 "$TMP/line")
	[ -n "$line" ] || line="${meta%\}},\"error\":$(jstr "bench-run.mjs failed: $(tail -1 "$TMP/child.err")")}"
	emit "$line"
	log "$(node -e 'const r = JSON.parse(process.argv[1]); const { cmd, output_tail, ...rest } = r;
		console.log(Object.entries(rest).map(([k, v]) => k + "=" + (typeof v === "number" ? Math.round(v * 1000) / 1000 : v)).join(" "))' "$line")"
}

xdperf_args() { # LEN: sets XA, the plugin settings for a LEN-byte frame (without FCS)
	XA=(--plugin simpleudp --dev "$LAB_DEV" --set "dst_ip=$RX_IP" --set "src_ip=$TX_IP" --set "payload_size=${PAYLOAD[$1]}")
	XR=("${XA[@]}" --engine afxdp) # for run
}

# xdperf_max TOOL QUEUES LEN REP: one max-rate run of xdperf with TOOL's engine, one TX
# thread per queue, pinned to CPU 0 (and 1).
xdperf_max() {
	local tool=$1 q=$2 len=$3 rep=$4 cpus=0
	[ "$q" = 1 ] || cpus=$(seq -s, 0 $((q - 1)))
	local eng=(--engine "${ENGINE_OF[$tool]}")
	xdperf_args "$len"
	# one queue: also the spread of the 10 ms window rates (the core's capacity over time)
	local fine=()
	[ "$q" != 1 ] || fine=(--fine 10)
	measure "{\"kind\":\"max\",\"tool\":\"$tool\",\"queues\":$q,\"len\":$len,\"rep\":$rep}" --sent xdperf "${fine[@]}" -- \
		"${XDPERF[@]}" run "${XA[@]}" "${eng[@]}" --queues "$q" --cpus "$cpus" --duration "${DUR}s" --json
}

# --- flows and IMIX (functions; the section runs last, or alone with BENCH_ONLY=flows) ------
# Per-packet flows, 1 queue on CPU 0, 60 B: a fixed template against 65,535 flows (source
# ports) and 1,000,000 chained flows (1,000 source addresses from the lab's TX address on
# x 1,000 source ports). From 10.77.N.1, 999 more addresses run on into the next /24s
# (10.77.N+3.232): fine for a generator, the receiver counts every frame at XDP whatever
# its address. Then IMIX (the imix plugin's default 60/590/1514 B at 7:4:1) per engine.
FLOW_COUNTS=(1 65535 1000000)
FLOW_ADDRS=1000 FLOW_PORTS=1000
flow_last=$((SUBNET_OCTET * 256 + 1 + FLOW_ADDRS - 1))
FLOW_SRC_RANGE=$TX_IP-$SUBNET_PREFIX.$((flow_last / 256)).$((flow_last % 256))
IMIX_TOOLS=(xdperf-afxdp xdperf-xdp xdperf-packet)
VARIANTS=1000 VARIANTS_RUNS=5
VARIANTS_ARGS=(--plugin simpleudp --set dst_port_range=1-65535 --variants "$VARIANTS")

# flow_args FLOWS: sets FA, the plugin settings that make FLOWS flows (none for 1)
flow_args() {
	case $1 in
	1) FA=() ;;
	65535) FA=(--set src_port_range=1-65535) ;;
	1000000) FA=(--set "src_ip_range=$FLOW_SRC_RANGE" --set "src_port_range=1-$FLOW_PORTS") ;;
	*) die "flow_args: no settings for $1 flows" ;;
	esac
}

# xdperf_flows TOOL FLOWS REP: one max-rate run of TOOL's engine with FLOWS flows, 60 B,
# 1 queue on CPU 0
xdperf_flows() {
	local tool=$1 flows=$2 rep=$3
	xdperf_args 60
	flow_args "$flows"
	measure "{\"kind\":\"flows\",\"tool\":\"$tool\",\"queues\":1,\"len\":60,\"flows\":$flows,\"rep\":$rep}" --sent xdperf -- \
		"${XDPERF[@]}" run "${XA[@]}" "${FA[@]}" --engine "${ENGINE_OF[$tool]}" --queues 1 --cpus 0 --duration "${DUR}s" --json
}

# xdperf_imix TOOL REP: one max-rate run of the imix plugin with TOOL's engine, 1 queue on CPU 0
xdperf_imix() {
	local tool=$1 rep=$2
	measure "{\"kind\":\"imix\",\"tool\":\"$tool\",\"queues\":1,\"rep\":$rep}" --sent xdperf -- \
		"${XDPERF[@]}" run --plugin imix --dev "$LAB_DEV" --set "dst_ip=$RX_IP" --set "src_ip=$TX_IP" \
		--engine "${ENGINE_OF[$tool]}" --queues 1 --cpus 0 --duration "${DUR}s" --json
}

flows_section() {
	local rep flows tool
	log "$RUNS runs x (afxdp and xdp with 1, 65,535 and 1,000,000 flows, packet with 1; imix with ${IMIX_TOOLS[*]#xdperf-}), 1 queue, 64 B, $DUR s each"
	for rep in $(seq "$RUNS"); do
		lab_up 1
		for flows in "${FLOW_COUNTS[@]}"; do
			xdperf_flows xdperf-afxdp "$flows" "$rep"
			xdperf_flows xdperf-xdp "$flows" "$rep"
			# the packet engine's 64 B rate, next to its IMIX
			if [ "$flows" = 1 ]; then xdperf_flows xdperf-packet 1 "$rep"; fi
		done
		for tool in "${IMIX_TOOLS[@]}"; do
			xdperf_imix "$tool" "$rep"
		done
		lab_down
	done

	# `xdperf templates --variants N` (no lab needed), start to exit, stdout to /dev/null
	idle_wait
	local ms=() err="" t0 t1
	for _ in $(seq "$VARIANTS_RUNS"); do
		t0=$(date +%s%N)
		if ! run_child /dev/null "${XDPERF[@]}" templates "${VARIANTS_ARGS[@]}"; then
			err="failed: $(tail -1 "$TMP/child.err")"
			break
		fi
		t1=$(date +%s%N)
		ms+=("$(((t1 - t0) / 1000))")
	done
	local meta
	meta="\"kind\":\"variants\",\"variants\":$VARIANTS,\"cmd\":$(jstr "xdperf templates ${VARIANTS_ARGS[*]} > /dev/null"),\"pre_idle\":$PRE_IDLE"
	if [ -n "$err" ]; then
		emit "{$meta,\"error\":$(jstr "$err")}"
	else
		emit "{$meta,\"ms\":[$(IFS=,; echo "${ms[*]/%/e-3}")]}"
	fi
	log "templates --variants $VARIANTS: ${ms[*]/%/ µs}${err:+ error: $err}"
}

# --- stamps (functions; the section runs last, or alone with BENCH_ONLY=stamp) --------------
# Stamped against unstamped at max rate, 60 B, 1 queue on CPU 0, afxdp and xdp, interleaved,
# twice: with the lab's counter re-pinned count-only (`recv --count-only`: on the veth lab the
# receiver's XDP runs on the sender's CPU, so this is the senders' own cost, what the target
# is about), then with the stamp-tracking counter, whose stamped runs also read the stream
# state (--rx-dev), which must be exact: no loss and no veth drop at the xdp engine's full
# stamped rate. Then the veth lab's latency floor: paced stamped runs with nothing in the way.
STAMP_TOOLS=(xdperf-afxdp xdperf-xdp)
STAMP_LATENCY_PPS=100000
STAMP_RX=(--rx-dev "$RX_IF" --rx-netns "$NETNS")

# repin_counter [--count-only]: the lab receiver's pinned counter replaced by one as given
repin_counter() {
	run_child /dev/null "${XDPERF[@]}" recv --dev "$RX_IF" --netns "$NETNS" --unpin || die "unpinning the lab's counter failed: $(tail -1 "$TMP/child.err")"
	run_child /dev/null "${XDPERF[@]}" recv --dev "$RX_IF" --netns "$NETNS" --pin --action drop "$@" || die "pinning the lab's counter $* failed: $(tail -1 "$TMP/child.err")"
}

# veth_drops: frames the lab's veth pair dropped (the sender's tx, the receiver's rx)
veth_drops() {
	local tx rx
	tx=$(ip -s -j link show "$LAB_DEV" | node -e 'const [l] = JSON.parse(require("fs").readFileSync(0)); process.stdout.write(String(l.stats64.tx.dropped))')
	rx=$(ip -n "$NETNS" -s -j link show "$RX_IF" | node -e 'const [l] = JSON.parse(require("fs").readFileSync(0)); process.stdout.write(String(l.stats64.rx.dropped))')
	echo $((tx + rx))
}

# xdperf_stamp TOOL STAMPED RECEIVER REP: one max-rate run, 60 B, 1 queue on CPU 0, stamped
# (1) or not (0), the lab's counter RECEIVER (count-only | stamps); stamped runs on the
# stamp-tracking counter read it (--rx-dev)
xdperf_stamp() {
	local tool=$1 stamped=$2 receiver=$3 rep=$4 before after flag=false
	local extra=()
	if [ "$stamped" = 1 ]; then
		flag=true
		extra=(--stamp)
		[ "$receiver" = count-only ] || extra+=("${STAMP_RX[@]}")
	fi
	local meta="{\"kind\":\"stamp\",\"tool\":\"$tool\",\"stamped\":$flag,\"receiver\":\"$receiver\",\"rep\":$rep}"
	xdperf_args 60
	before=$(veth_drops)
	measure "$meta" --sent xdperf -- \
		"${XDPERF[@]}" run "${XA[@]}" "${extra[@]}" --engine "${ENGINE_OF[$tool]}" --queues 1 --cpus 0 --duration "${DUR}s" --json
	after=$(veth_drops)
	emit "{\"kind\":\"stamp_drops\",\"tool\":\"$tool\",\"stamped\":$flag,\"receiver\":\"$receiver\",\"rep\":$rep,\"veth_drops\":$((after - before))}"
}

# xdperf_stamp_latency TOOL REP: a paced stamped run with nothing in the way: the lab's floor
xdperf_stamp_latency() {
	local tool=$1 rep=$2
	xdperf_args 60
	measure "{\"kind\":\"stamp_latency\",\"tool\":\"$tool\",\"pps\":$STAMP_LATENCY_PPS,\"rep\":$rep}" --sent xdperf --target "$STAMP_LATENCY_PPS" -- \
		"${XDPERF[@]}" run "${XA[@]}" --stamp "${STAMP_RX[@]}" --engine "${ENGINE_OF[$tool]}" --queues 1 --cpus 0 --pps "$STAMP_LATENCY_PPS" --duration "${DUR}s" --json
}

stamp_section() {
	local rep tool receiver
	log "$RUNS runs x (afxdp and xdp unstamped and stamped at max rate, on a count-only and on the stamp-tracking receiver, then stamped at $STAMP_LATENCY_PPS pps), 1 queue, 64 B, $DUR s each"
	for rep in $(seq "$RUNS"); do
		lab_up 1
		# lab_up pinned a count-only counter
		for receiver in count-only stamps; do
			[ "$receiver" = count-only ] || repin_counter
			for tool in "${STAMP_TOOLS[@]}"; do
				xdperf_stamp "$tool" 0 "$receiver" "$rep"
				xdperf_stamp "$tool" 1 "$receiver" "$rep"
			done
		done
		for tool in "${STAMP_TOOLS[@]}"; do
			xdperf_stamp_latency "$tool" "$rep"
		done
		lab_down
	done
}

# the commit, "-dirty" if tracked files differ from it (read-only git commands)
xdperf_rev() {
	local rev
	rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) || { echo unknown; return; }
	git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || rev+=-dirty
	echo "$rev"
}

# write_report: OUT/bench.md (printed), OUT/bench.json and OUT/bench.svg from RAW
TRAFGEN_VERSION="" XDPTG_VERSION=""
write_report() {
	local meta
	meta=$(IDLE_WAIT=$IDLE_WAIT RATES="${RATES[*]}" RAW_RATES="${RAW_RATES[*]}" ONLY=$ONLY FLOW_SRC_RANGE=$FLOW_SRC_RANGE FLOW_PORTS=$FLOW_PORTS \
		VARIANTS_CMD="xdperf templates ${VARIANTS_ARGS[*]} > /dev/null" node -e '
		const [date, kernel, cpus, model, xdperf, trafgen, anchors, dur, runs, sampler, xdptg] = process.argv.slice(1);
		const rates = process.env.RATES.split(" ").map(Number);
		const e = process.env;
		console.log(JSON.stringify({ date, kernel, cpus: Number(cpus), cpu_model: model, xdperf, node: process.version,
			trafgen: trafgen || "trafgen: not installed", xdp_trafficgen: xdptg || "xdp-trafficgen: not installed",
			anchors, duration: Number(dur), runs: Number(runs), lens: [60, 1514], sampler_cpu: Number(sampler),
			rate_pps: { afxdp: rates, xdp: rates, packet: rates, raw: e.RAW_RATES.split(" ").map(Number) },
			idle_wait: Number(e.IDLE_WAIT), only: e.ONLY || null,
			flow_sets: { 65535: "--set src_port_range=1-65535", 1000000: "--set src_ip_range=" + e.FLOW_SRC_RANGE + " --set src_port_range=1-" + e.FLOW_PORTS },
			variants_cmd: e.VARIANTS_CMD }));' \
		"$(date -Is)" "$(uname -r)" "$NCPU" "$(awk -F': ' '/^model name/{ print $2; exit }' /proc/cpuinfo)" \
		"$(xdperf_rev)" "$TRAFGEN_VERSION" "$ANCHORS" "$DUR" "$RUNS" "$SAMPLER_CPU" "$XDPTG_VERSION")
	node scripts/bench-report.mjs report "$RAW" "$OUT" "$meta"
	echo
	log "wrote $OUT/bench.md, $OUT/bench.json, $OUT/bench.svg and $OUT/raw.ndjson"
}

if [ "$ONLY" = flows ]; then
	flows_section
	write_report
	exit 0
fi
if [ "$ONLY" = stamp ]; then
	stamp_section
	write_report
	exit 0
fi

# --- trafgen: installed? ---------------------------------------------------------------
TRAFGEN_ERR=""
if ! command -v trafgen >/dev/null; then
	if [ "${BENCH_NO_INSTALL:-0}" != 1 ] && command -v apt-get >/dev/null; then
		log "trafgen is missing: apt-get install -y netsniff-ng"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q netsniff-ng >"$TMP/apt.log" 2>&1 || true
	fi
	command -v trafgen >/dev/null || TRAFGEN_ERR="trafgen not installed (apt-get install -y netsniff-ng failed or was not tried)"
fi
[ -z "$TRAFGEN_ERR" ] || note trafgen "$TRAFGEN_ERR"
TRAFGEN_VERSION=$( (trafgen -v 2>/dev/null || true) | head -1)

# trafgen_cfgs: trafgen configs with xdperf's template bytes for each length; the lab's
# MAC addresses change with each lab_up, so this runs after each one.
trafgen_cfgs() {
	[ -z "$TRAFGEN_ERR" ] || return 0
	local len
	for len in "${LENS[@]}"; do
		xdperf_args "$len"
		if ! "${XDPERF[@]}" templates "${XA[@]}" --json >"$TMP/tpl.json" 2>"$TMP/tpl.err" ||
			! node scripts/bench-report.mjs trafgen-cfg <"$TMP/tpl.json" >"$TMP/trafgen-$len.cfg" 2>>"$TMP/tpl.err"; then
			TRAFGEN_ERR="no trafgen config: $(tail -1 "$TMP/tpl.err")"
			note trafgen "$TRAFGEN_ERR"
			return 0
		fi
	done
}
# trafgen's own flags: one worker; --no-sock-mem leaves the machine's wmem sysctls alone
# (trafgen would otherwise raise them for the run); --notouch-irq leaves IRQ affinity.
TRAFGEN_FLAGS=(-o "$LAB_DEV" -P 1 --no-sock-mem --notouch-irq)

# --- the anchors: usable? ----------------------------------------------------------------
# ANCHOR_ERR: the anchors' harness cannot run at all (both anchors out); XDPTG_ERR: only
# xdp-trafficgen cannot.
ANCHOR_ERR="" XDPTG_ERR=""
if [ ! -d "$ANCHORS" ]; then
	ANCHOR_ERR="$ANCHORS does not exist"
else
	for f in measure.sh lab-up.sh lab-down.sh rx-count.sh; do
		[ -x "$ANCHORS/$f" ] || { ANCHOR_ERR="$ANCHORS/$f missing or not executable"; break; }
	done
	if [ -z "$ANCHOR_ERR" ] && [ ! -x "$ANCHORS/afxdp_tx" ] && [ ! -f /usr/include/xdp/xsk.h ]; then
		ANCHOR_ERR="afxdp_tx is not built and libxdp-dev is missing (apt-get install -y libxdp-dev libbpf-dev clang bpftool)"
	fi
	# lab-up.sh (re)builds the preload shim when it is missing or older than its source,
	# and fails if it cannot: then neither anchor's lab comes up
	if [ -z "$ANCHOR_ERR" ] && [ -f "$ANCHORS/xdptools_compat.c" ] && { [ ! -f "$ANCHORS/xdptools_compat.so" ] ||
		[ "$ANCHORS/xdptools_compat.c" -nt "$ANCHORS/xdptools_compat.so" ]; } && [ ! -f /usr/include/bpf/libbpf.h ]; then
		ANCHOR_ERR="the anchors' lab-up.sh must build xdptools_compat.so and libbpf-dev is missing (apt-get install -y libbpf-dev gcc)"
	fi
	for t in bpftool bc; do
		[ -n "$ANCHOR_ERR" ] || command -v $t >/dev/null || ANCHOR_ERR="$t is missing (the anchors need it)"
	done
fi
if [ -n "$ANCHOR_ERR" ]; then
	XDPTG_ERR=$ANCHOR_ERR
	note c-afxdp "anchor not available: $ANCHOR_ERR"
else
	if ! command -v xdp-trafficgen >/dev/null; then
		XDPTG_ERR="xdp-trafficgen is not installed (apt-get install -y xdp-tools)"
	elif [ ! -f "$ANCHORS/xdptools_compat.so" ] && [ ! -f "$ANCHORS/xdptools_compat.c" ]; then
		XDPTG_ERR="$ANCHORS has no xdptools_compat.so (the shim xdp-trafficgen 1.3.1 needs on this kernel)"
	elif ! grep -q '^xdp-trafficgen)' "$ANCHORS/measure.sh"; then
		XDPTG_ERR="$ANCHORS/measure.sh has no xdp-trafficgen tool"
	fi
fi
[ -z "$XDPTG_ERR" ] || note xdp-trafficgen "anchor not available: $XDPTG_ERR"
XDPTG_VERSION=$( (xdp-trafficgen udp --version 2>/dev/null || true) | head -1)
# Its rate option, if it has one: 1.3.1 has none (-n caps the packet count, -I is the
# stats interval), so it can only send as fast as it can.
XDPTG_RATE_OPT=$( (xdp-trafficgen udp --help 2>&1 || true) | grep -iwE 'rate|pps|bps|bandwidth|throttle|speed|delay|gap' | head -1 | sed 's/^ *//; s/  */ /g' || true)

# anchor_lab_up QUEUES / anchor_lab_down: the anchors' lab, inline receive
anchor_lab_up() {
	ANCHOR_LAB=1
	if ! THREADED=0 "$ANCHORS/lab-up.sh" "$1" >"$TMP/alab.log" 2>&1; then
		ANCHOR_ERR="lab-up.sh $1 failed: $( (grep -iE 'error|fail|cannot|no such' "$TMP/alab.log" || tail -1 "$TMP/alab.log") | head -1)"
		note c-afxdp "anchor not available: $ANCHOR_ERR"
		[ -n "$XDPTG_ERR" ] || { XDPTG_ERR=$ANCHOR_ERR; note xdp-trafficgen "anchor not available: $ANCHOR_ERR"; }
		"$ANCHORS/lab-down.sh" >/dev/null 2>&1 || true
		ANCHOR_LAB=0
		return 1
	fi
}
anchor_lab_down() {
	"$ANCHORS/lab-down.sh" >/dev/null
	ANCHOR_LAB=0
}

# anchor_measure TOOL QUEUES LEN REP CPU MEASURE-ARGS...: one run of the anchors'
# measure.sh (its lab up), as a result line with TOOL, QUEUES, LEN, REP; sets
# ANCHOR_RUN_ERR to the run's error, if any.
anchor_measure() {
	local tool=$1 q=$2 len=$3 rep=$4 cpu=$5 meta line mlen
	shift 5
	mlen=$len
	[ "$tool" != xdp-trafficgen ] || mlen=60 # its own 64 B frame (LEN > 64 would grow it through the shim)
	idle_wait
	meta="{\"kind\":\"max\",\"tool\":\"$tool\",\"queues\":$q,\"len\":$len,\"rep\":$rep,\"dur\":$DUR,\"pre_idle\":$PRE_IDLE}"
	run_child "$TMP/measure.out" env NO_QUIET_WAIT=1 DUR="$DUR" LEN="$mlen" CPU="$cpu" "$ANCHORS/measure.sh" "$@" ||
		echo " err=measure.sh_failed:_$(tail -1 "$TMP/child.err" | tr ' =' '_:')" >>"$TMP/measure.out"
	line=$(tr '\n' ' ' <"$TMP/measure.out")
	line=$(node scripts/bench-report.mjs anchor-line "$meta" "$line")
	emit "$line"
	ANCHOR_RUN_ERR=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).error ?? "")' "$line")
	log "$tool q=$q len=$len rep=$rep: $(tr '\n' ' ' <"$TMP/measure.out")"
}

# xdptg_run QUEUES REP: xdp-trafficgen with one thread per queue, on CPU 0 (or 0-1). A
# failed first run (the shim not loading, the kernel refusing live frames) takes it
# out of the rest of the bench.
xdptg_run() {
	local q=$1 cpu=0
	[ "$q" = 1 ] || cpu=0-$(($1 - 1))
	[ -z "$XDPTG_ERR" ] || return 0
	anchor_measure xdp-trafficgen "$q" 64 "$2" "$cpu" xdp-trafficgen -t "$q"
	if [ -n "$ANCHOR_RUN_ERR" ] && [ "$2" = 1 ] && [ "$q" = 1 ]; then
		XDPTG_ERR="xdp-trafficgen failed: $ANCHOR_RUN_ERR"
		note xdp-trafficgen "anchor not available: $XDPTG_ERR"
	fi
}

anchor_runs() { # REP
	[ -z "$ANCHOR_ERR" ] || return 0
	local len
	# lab-up.sh would tear down the anchors' lab of someone measuring with it right now
	if ip netns list | grep -qE '^xdpf-(tx|rx)( |$)'; then
		for len in "${LENS[@]}"; do
			emit "{\"kind\":\"max\",\"tool\":\"c-afxdp\",\"queues\":1,\"len\":$len,\"rep\":$1,\"error\":\"the anchors' lab (xdpf-tx/xdpf-rx) was in use by someone else\"}"
		done
		if [ -z "$XDPTG_ERR" ]; then
			local q
			for q in 1 2; do
				emit "{\"kind\":\"max\",\"tool\":\"xdp-trafficgen\",\"queues\":$q,\"len\":64,\"rep\":$1,\"error\":\"the anchors' lab (xdpf-tx/xdpf-rx) was in use by someone else\"}"
			done
		fi
		log "anchor run $1 skipped: the anchors' lab is in use by someone else"
		return 0
	fi
	anchor_lab_up 1 || return 0
	for len in "${LENS[@]}"; do
		anchor_measure c-afxdp 1 "$len" "$1" 0 afxdp -c
	done
	xdptg_run 1 "$1"
	anchor_lab_down
	if [ "$NCPU" -ge 2 ] && [ -z "$XDPTG_ERR" ]; then
		anchor_lab_up 2 || return 0
		xdptg_run 2 "$1"
		anchor_lab_down
	fi
}

# --- 1-3: maximum rate, interleaved run by run ------------------------------------------------
log "$RUNS runs x (${#LENS[@]} sizes x (xdperf afxdp 1 and 2 queues, xdp 1 and 2 threads, packet, trafgen, C AF_XDP anchor) + xdp-trafficgen -t 1 and -t 2), $DUR s each"
for rep in $(seq "$RUNS"); do
	lab_up 1
	trafgen_cfgs
	for len in "${LENS[@]}"; do
		xdperf_max xdperf-afxdp 1 "$len" "$rep"
		xdperf_max xdperf-xdp 1 "$len" "$rep"
		xdperf_max xdperf-packet 1 "$len" "$rep"
		if [ -z "$TRAFGEN_ERR" ]; then
			measure "{\"kind\":\"max\",\"tool\":\"trafgen\",\"queues\":1,\"len\":$len,\"rep\":$rep}" --sent trafgen --stop-at "$DUR" -- \
				taskset -c 0 trafgen "${TRAFGEN_FLAGS[@]}" -i "$TMP/trafgen-$len.cfg"
		fi
	done
	lab_down

	if [ "$NCPU" -ge 2 ]; then
		lab_up 2
		for len in "${LENS[@]}"; do
			xdperf_max xdperf-afxdp 2 "$len" "$rep"
			xdperf_max xdperf-xdp 2 "$len" "$rep"
		done
		lab_down
	elif [ "$rep" = 1 ]; then
		note xdperf-afxdp "2 queues need 2 CPUs; this machine has $NCPU"
	fi

	anchor_runs "$rep"
done

# --- 5: rate accuracy; 6: start-up and memory ---------------------------------------------
lab_up 1
trafgen_cfgs
xdperf_args 60
# xdperf_rate TOOL PPS REP: one rate-accuracy run of TOOL's engine, 1 queue, 60 B
xdperf_rate() {
	local tool=$1 pps=$2 rep=$3
	local eng=(--engine "${ENGINE_OF[$tool]}")
	measure "{\"kind\":\"rate\",\"tool\":\"$tool\",\"pps\":$pps,\"rep\":$rep}" --sent xdperf --fine 10 --target "$pps" -- \
		"${XDPERF[@]}" run "${XA[@]}" "${eng[@]}" --queues 1 --cpus 0 --pps "$pps" --duration "${DUR}s" --json
}
# a run's worst 10 ms window is one stall away from another run's, so each case runs
# RUNS times, interleaved
log "$RUNS runs x rate accuracy (afxdp, xdp, packet at ${RATES[*]} pps; raw at ${RAW_RATES[*]} pps), $DUR s each"
for rep in $(seq "$RUNS"); do
	for pps in "${RATES[@]}"; do
		xdperf_rate xdperf-afxdp "$pps" "$rep"
		xdperf_rate xdperf-xdp "$pps" "$rep"
		xdperf_rate xdperf-packet "$pps" "$rep"
	done
	for pps in "${RAW_RATES[@]}"; do
		xdperf_rate xdperf-raw "$pps" "$rep"
	done
done
if [ -z "$TRAFGEN_ERR" ]; then
	measure "{\"kind\":\"rate\",\"tool\":\"trafgen\",\"pps\":$TRAFGEN_RATE}" --sent trafgen --stop-at "$DUR" --fine 10 --target "$TRAFGEN_RATE" -- \
		taskset -c 0 trafgen "${TRAFGEN_FLAGS[@]}" -i "$TMP/trafgen-60.cfg" -b "${TRAFGEN_RATE}pps"
else
	emit "{\"kind\":\"rate\",\"tool\":\"trafgen\",\"pps\":$TRAFGEN_RATE,\"error\":$(jstr "$TRAFGEN_ERR")}"
fi
# xdp-trafficgen: a row saying whether it can pace at all
if [ -n "$XDPTG_ERR" ]; then
	emit "{\"kind\":\"rate\",\"tool\":\"xdp-trafficgen\",\"pps\":null,\"error\":$(jstr "anchor not available: $XDPTG_ERR")}"
elif [ -z "$XDPTG_RATE_OPT" ]; then
	emit "{\"kind\":\"rate\",\"tool\":\"xdp-trafficgen\",\"pps\":null,\"no_rate\":$(jstr "no rate option: \`xdp-trafficgen udp --help\` lists none (-n caps the packet count, -I is the stats interval), so it always sends as fast as it can")}"
else
	emit "{\"kind\":\"rate\",\"tool\":\"xdp-trafficgen\",\"pps\":null,\"no_rate\":$(jstr "its --help lists what may be a rate option ($XDPTG_RATE_OPT); this bench does not drive it")}"
fi

# `xdperf run --count 1`, start to exit, 5 times
idle_wait
before=$(counter)
ms=() c1err=""
for _ in 1 2 3 4 5; do
	t0=$(date +%s%N)
	if ! run_child "$TMP/count1.log" "${XDPERF[@]}" run "${XR[@]}" --count 1; then
		c1err="failed: $(tail -1 "$TMP/child.err")"
		break
	fi
	t1=$(date +%s%N)
	ms+=("$(((t1 - t0) / 1000))")
done
sleep 0.1
delta=$(($(counter) - before))
if [ -n "$c1err" ]; then
	emit "{\"kind\":\"count1\",\"error\":$(jstr "$c1err")}"
else
	emit "{\"kind\":\"count1\",\"ms\":[$(IFS=,; echo "${ms[*]/%/e-3}")],\"rx_delta\":$delta}"
fi
log "--count 1: ${ms[*]/%/ µs} (counter +$delta)${c1err:+ error: $c1err}"

# peak RSS of a run at max rate
idle_wait
RSS_CMD=("${XDPERF[@]}" run "${XR[@]}" --queues 1 --cpus 0 --duration "${RSS_SECONDS}s")
rss_kb="" rss_err="" method=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then
	method="/usr/bin/time %M"
	run_child "$TMP/rss.log" /usr/bin/time -f %M -o "$TMP/rss" "${RSS_CMD[@]}" || rss_err="failed: $(tail -1 "$TMP/child.err")"
	rss_kb=$(tail -1 "$TMP/rss" 2>/dev/null || true)
else
	method="VmHWM sampled every 0.1 s"
	"${RSS_CMD[@]}" >"$TMP/rss.log" 2>&1 &
	CHILD=$!
	while kill -0 "$CHILD" 2>/dev/null; do
		v=$(awk '/^VmHWM:/{ print $2 }' "/proc/$CHILD/status" 2>/dev/null || true)
		[ -z "$v" ] || rss_kb=$v
		sleep 0.1
	done
	wait "$CHILD" || rss_err="exit $?: $(tail -1 "$TMP/rss.log")"
	CHILD=""
fi
if [ -n "$rss_err" ] || ! [[ $rss_kb =~ ^[0-9]+$ ]]; then
	emit "{\"kind\":\"rss\",\"error\":$(jstr "${rss_err:-no RSS reading}")}"
else
	emit "{\"kind\":\"rss\",\"kb\":$rss_kb,\"seconds\":$RSS_SECONDS,\"method\":\"$method\"}"
fi
log "peak RSS: ${rss_kb:-?} kB ($method)${rss_err:+ error: $rss_err}"
lab_down

# --- 7: flows and IMIX; 8: stamps; the report -----------------------------------------------
flows_section
stamp_section
write_report
