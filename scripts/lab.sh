#!/usr/bin/env bash
# lab.sh - xdperf's veth lab: the only place xdperf's tests and benchmarks send to.
#
# Usage: scripts/lab.sh up [QUEUES] [drop|pass] [--router] | down | status | impair [SPEC]   (as root)
#
#   root namespace          xdperf0  10.77.0.1/24  ──veth──  xdperf1  10.77.0.2/24   netns xdperf-lab
#
# With --router, a router namespace stands between the two ends:
#
#   xdperf0 10.77.0.1/24 ──veth── xdperfr0 ┤netns xdperf-lab-router├ xdperfr1 ──veth── xdperf1 10.77.0.2/24
#                                 10.77.0.253/32   IPv4 forwarding   10.77.0.254/32        (netns xdperf-lab)
#
# up      Creates the pair with QUEUES TX/RX queues (default 1), MTU 1500, IPv6 off
#         (no ND/MLD noise), both ends up, a permanent neighbour entry for 10.77.0.2
#         on xdperf0 (no ARP needed), and xdperf's XDP counter attached to xdperf1 in
#         drop mode (natively; `pass` lets the frames on into the namespace's stack,
#         where a capture on xdperf1 sees them), pinned under /sys/fs/bpf/xdperf/netns/xdperf-lab/xdperf1
#         (<netns>/<interface>: bpffs refuses "." in names) so it outlives the
#         attaching process and `xdperf recv` / `xdperf run --rx-dev` can read it. A lab that partly exists is removed first; if up
#         fails halfway, it removes what it made. Needs the native module
#         (make native).
#         --router puts the router namespace in the middle (QUEUES on every veth):
#         xdperf0's neighbour entry for 10.77.0.2 names xdperfr0's MAC, the router
#         has routes and permanent neighbour entries for both ends, and xdperf1 one
#         for 10.77.0.1 naming xdperfr1's MAC, so nothing ever needs ARP. xdperfr0
#         carries the impairment steering program (native XDP, pinned under
#         /sys/fs/bpf/xdperf/netns/xdperf-lab-router/xdperfr0): it sends the test
#         flow, IPv4 UDP to 10.77.0.2, to the impairment forwarder while one runs;
#         everything else, and the test flow while none runs, the router's kernel
#         forwards. Its XDP program also lets the xdp engine send on xdperf0.
# impair SPEC  (router lab only) Sets the impairment of the test flow; exactly one:
#         none      the forwarder stops; the router's kernel forwards the flow.
#         drop=N    drops frames N, 2N, 3N, ... (counted from 1, from this command).
#         dup=N     sends frames N, 2N, ... twice, the copy right after.
#         swap=N    swaps the two frames of pairs N, 2N, ... (pair p: frames 2p-1, 2p; a
#                   first frame whose partner has not come within 10 ms goes alone).
#         delay=D   holds every frame D (1us..100ms, e.g. 5ms or 500us), in order.
#         The forwarder (native/src/impair/) is a process of its own: AF_XDP sockets on
#         every queue of xdperfr0 and on xdperfr1, routing each frame as the router
#         would (MACs, TTL - 1). It prints what is active; a bad SPEC changes nothing.
#         Should the forwarder die, its sockets leave the steering map and the router's
#         kernel forwards the flow, unimpaired; status and impair say so.
# impair  Prints the forwarder's counts as one line of JSON ({"impairment":"none"}
#         when none): received, sent, dropped, duplicated, swapped, pending (held
#         or still being sent), lost (frames it lost itself, falling behind: none at
#         the tests' rates) and txInvalid. Fails if the forwarder has died.
# down    Stops the forwarder, removes the pins (detaching the programs) and the
#         namespaces, which removes the veth pairs. Safe to run twice or when
#         nothing exists.
# status  Prints the interfaces, the counter's totals and, with a router, the
#         impairment; exits 1 if the forwarder has died.
set -euo pipefail

# XDPERF_LAB=N (1..200) makes a second, separate lab (netns xdperf-labN, xdperfN0/xdperfN1,
# 10.77.N.0/24), so a benchmark and a test run, or two developers, do not share one.
LAB=${XDPERF_LAB:-}
NETNS=xdperf-lab$LAB
TX_IF=xdperf${LAB}0
RX_IF=xdperf${LAB}1
SUBNET=10.77.${LAB:-0}
TX_ADDR=$SUBNET.1/24
RX_ADDR=$SUBNET.2/24
TX_IP=$SUBNET.1
RX_IP=$SUBNET.2
ROUTER_NETNS=$NETNS-router
ROUTER_IN_IF=xdperf${LAB}r0
ROUTER_OUT_IF=xdperf${LAB}r1
ROUTER_IN_ADDR=$SUBNET.253/32
ROUTER_OUT_ADDR=$SUBNET.254/32
MTU=1500
BPFFS=/sys/fs/bpf
PIN_ROOT=$BPFFS/xdperf
# The path xdperf run/recv look for (src/engine/rx-counter.ts, counterPinDir).
PIN_DIR=$PIN_ROOT/netns/$NETNS/$RX_IF
STEERING_PIN_DIR=$PIN_ROOT/netns/$ROUTER_NETNS/$ROUTER_IN_IF
# The impairment forwarder's pid, log, spec and counts.
RUN_DIR=/run/xdperf/$NETNS
FORWARDER_PID=$RUN_DIR/forwarder.pid
FORWARDER_LOG=$RUN_DIR/forwarder.log
IMPAIRMENT_SPEC=$RUN_DIR/impairment
IMPAIRMENT_STATE=$RUN_DIR/impairment.json
# On the forwarder's command line, so a pid reused by another process is never taken for it.
FORWARDER_TAG=xdperf-impair-forwarder
NATIVE=$(cd "$(dirname "$0")/.." && pwd)/native/index.js

die() { echo "lab.sh: $*" >&2; exit 1; }

[[ -z $LAB || ($LAB =~ ^[1-9][0-9]*$ && $LAB -le 200) ]] || die "XDPERF_LAB must be 1..200, got '$LAB'"

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (it creates a network namespace and attaches an XDP program)"
}

need_native() {
	[ -f "$NATIVE" ] || die "native module not built ($NATIVE missing): run make native"
}

# The native module's errors carry a JSON object as their message; this is its one line.
JS_MESSAGE='const message = (e) => { try { return JSON.parse(e.message).message; } catch { return e.message; } };'

# native CALL: runs one call of the native module in node, e.g.
# native "n.removePinned('/x')". Its result is printed (a string as it is, else as JSON).
native() {
	XDPERF_NATIVE="$NATIVE" node -e "$JS_MESSAGE
		const n = require(process.env.XDPERF_NATIVE);
		try { const r = $1; if (r !== undefined) console.log(typeof r === 'string' ? r : JSON.stringify(r)); }
		catch (e) { console.error('lab.sh: ' + message(e)); process.exit(1); }"
}

# The forwarder process: argv is TAG NETNS SPEC INGRESS EGRESS RECEIVER_MAC PIN_DIR STATE_FILE.
# It runs until killed (or an error, which it logs).
FORWARDER_JS="$JS_MESSAGE
	const n = require(process.env.XDPERF_NATIVE);
	const [, , netns, impairment, ingress, egress, receiverMac, steeringPinDir, stateFile] = process.argv;
	try { n.runImpairmentForwarder({ impairment, netns, ingress, egress, receiverMac, steeringPinDir, stateFile }); }
	catch (e) { console.error('forwarder: ' + message(e)); process.exit(1); }"

# mac_of NETNS IFNAME (NETNS empty: the root namespace)
mac_of() {
	local mac
	mac=$(ip ${1:+-n "$1"} -o link show "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }')
	[ -n "$mac" ] || die "cannot read the MAC of $2"
	echo "$mac"
}

has_router() {
	[ -e "/var/run/netns/$ROUTER_NETNS" ]
}

# Prints the forwarder's pid if the pid file names a forwarder of this lab that is alive.
forwarder_pid() {
	local pid
	pid=$(cat "$FORWARDER_PID" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	# A dead process (a zombie included) has an empty command line.
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$FORWARDER_TAG $ROUTER_NETNS " || return 1
	echo "$pid"
}

stop_forwarder() {
	local pid
	if pid=$(forwarder_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 40); do
			forwarder_pid >/dev/null || break
			sleep 0.05
		done
		if forwarder_pid >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
	fi
	rm -f "$FORWARDER_PID" "$FORWARDER_LOG" "$IMPAIRMENT_SPEC" "$IMPAIRMENT_STATE" "$IMPAIRMENT_STATE.tmp"
}

# The forwarder's last words (": <its last log line>"), if it left any.
last_words() {
	local line
	line=$(tail -n 1 "$FORWARDER_LOG" 2>/dev/null) || true
	echo "${line:+: $line}"
}

# running PID: whether a child of this script still runs (an exited one stays a zombie until waited).
running() {
	local state
	state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# start_forwarder SPEC: starts it in a session of its own (so it outlives this script) and
# waits until it has bound its sockets and steered the flow to them (its first state file).
start_forwarder() {
	local spec=$1 rx_mac pid
	rx_mac=$(mac_of "$NETNS" "$RX_IF")
	mkdir -p "$RUN_DIR"
	echo "$spec" >"$IMPAIRMENT_SPEC"
	XDPERF_NATIVE="$NATIVE" setsid node -e "$FORWARDER_JS" "$FORWARDER_TAG" "$ROUTER_NETNS" "$spec" \
		"$ROUTER_IN_IF" "$ROUTER_OUT_IF" "$rx_mac" "$STEERING_PIN_DIR" "$IMPAIRMENT_STATE" \
		</dev/null >"$FORWARDER_LOG" 2>&1 &
	pid=$!
	echo "$pid" >"$FORWARDER_PID"
	for _ in $(seq 100); do
		[ -s "$IMPAIRMENT_STATE" ] && return 0
		if ! running "$pid"; then
			wait "$pid" || true
			local why
			why=$(last_words)
			stop_forwarder
			die "impair $spec: the forwarder failed$why"
		fi
		sleep 0.05
	done
	stop_forwarder
	die "impair $spec: the forwarder did not start within 5 s"
}

remove_lab() {
	# rm unpins (bpffs files are removed like any file); with the last
	# reference gone the kernel detaches the program.
	# Every step runs even if an earlier one fails; `down` checks the result.
	# The forwarder first: its sockets would keep the router namespace alive.
	stop_forwarder || true
	rm -rf "$PIN_DIR" "$STEERING_PIN_DIR" || true
	rmdir "$PIN_ROOT/netns/$NETNS" "$PIN_ROOT/netns/$ROUTER_NETNS" "$PIN_ROOT/netns" "$PIN_ROOT" 2>/dev/null || true
	ip netns del "$ROUTER_NETNS" 2>/dev/null || true
	ip netns del "$NETNS" 2>/dev/null || true
	# A half-made pair whose peer never reached the namespace.
	ip link del "$TX_IF" 2>/dev/null || true
	rm -rf "$RUN_DIR" || true
	rmdir /run/xdperf 2>/dev/null || true
}

lab_exists() {
	[ -e "$PIN_DIR" ] || [ -e "$STEERING_PIN_DIR" ] || [ -e "/var/run/netns/$NETNS" ] || has_router ||
		[ -e "$RUN_DIR" ] || ip link show "$TX_IF" >/dev/null 2>&1
}

up() {
	local router=0 positional=()
	for arg in "$@"; do
		case $arg in
		--router) router=1 ;;
		-*) die "up: unknown option '$arg' (the only one is --router)" ;;
		*) positional+=("$arg") ;;
		esac
	done
	[ ${#positional[@]} -le 2 ] || die "up: too many arguments: ${positional[*]} (usage: up [QUEUES] [drop|pass] [--router])"
	local queues=${positional[0]:-1}
	local action=${positional[1]:-drop}
	if ! [[ $queues =~ ^[1-9][0-9]*$ ]] || [ "$queues" -gt 64 ]; then
		die "QUEUES must be 1..64, got '$queues'"
	fi
	[[ $action == drop || $action == pass ]] || die "the receiver's action must be drop or pass, got '$action'"
	need_native
	if lab_exists; then
		echo "lab.sh: removing the existing lab first"
		remove_lab
	fi
	# shellcheck disable=SC2154 # rc is assigned inside the trap
	trap 'rc=$?; if [ $rc -ne 0 ]; then echo "lab.sh: up failed; removing the partial lab" >&2; remove_lab; fi' EXIT

	local veth_queues=(numtxqueues "$queues" numrxqueues "$queues")
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	ip netns add "$NETNS"
	if [ $router -eq 1 ]; then
		ip netns add "$ROUTER_NETNS"
		ip netns exec "$ROUTER_NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		ip link add "$TX_IF" "${veth_queues[@]}" type veth peer name "$ROUTER_IN_IF" "${veth_queues[@]}" netns "$ROUTER_NETNS"
		ip -n "$ROUTER_NETNS" link add "$ROUTER_OUT_IF" "${veth_queues[@]}" type veth \
			peer name "$RX_IF" "${veth_queues[@]}" netns "$NETNS"
		for ifname in "$ROUTER_IN_IF" "$ROUTER_OUT_IF"; do
			ip -n "$ROUTER_NETNS" link set "$ifname" mtu "$MTU"
		done
		ip -n "$ROUTER_NETNS" addr add "$ROUTER_IN_ADDR" dev "$ROUTER_IN_IF"
		ip -n "$ROUTER_NETNS" addr add "$ROUTER_OUT_ADDR" dev "$ROUTER_OUT_IF"
		ip -n "$ROUTER_NETNS" link set lo up
	else
		ip link add "$TX_IF" "${veth_queues[@]}" type veth peer name "$RX_IF" "${veth_queues[@]}" netns "$NETNS"
	fi
	sysctl -qw "net.ipv6.conf.$TX_IF.disable_ipv6=1"
	ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip link set "$TX_IF" mtu "$MTU"
	ip -n "$NETNS" link set "$RX_IF" mtu "$MTU"
	ip addr add "$TX_ADDR" dev "$TX_IF"
	ip -n "$NETNS" addr add "$RX_ADDR" dev "$RX_IF"
	ip -n "$NETNS" link set lo up

	# The programs go on before the links come up, so they see every frame.
	# (The lead's CLI will offer the counter as `xdperf recv --pin`.)
	local mode
	mode=$(native "n.attachCounter('$RX_IF', { action: '$action', netns: '$NETNS', pinDir: '$PIN_DIR' }).mode")
	if [ $router -eq 1 ]; then
		native "n.attachImpairmentSteering('$ROUTER_IN_IF', { receiverIp: '$RX_IP', netns: '$ROUTER_NETNS', pinDir: '$STEERING_PIN_DIR' })"
	fi

	ip -n "$NETNS" link set "$RX_IF" up
	if [ $router -eq 1 ]; then
		ip -n "$ROUTER_NETNS" link set "$ROUTER_OUT_IF" up
		ip -n "$ROUTER_NETNS" link set "$ROUTER_IN_IF" up
	fi
	ip link set "$TX_IF" up
	local rx_mac
	rx_mac=$(mac_of "$NETNS" "$RX_IF")
	if [ $router -eq 1 ]; then
		ip -n "$ROUTER_NETNS" route add "$TX_IP/32" dev "$ROUTER_IN_IF"
		ip -n "$ROUTER_NETNS" route add "$RX_IP/32" dev "$ROUTER_OUT_IF"
		ip -n "$ROUTER_NETNS" neigh replace "$TX_IP" lladdr "$(mac_of "" "$TX_IF")" dev "$ROUTER_IN_IF" nud permanent
		ip -n "$ROUTER_NETNS" neigh replace "$RX_IP" lladdr "$rx_mac" dev "$ROUTER_OUT_IF" nud permanent
		ip -n "$NETNS" neigh replace "$TX_IP" lladdr "$(mac_of "$ROUTER_NETNS" "$ROUTER_OUT_IF")" dev "$RX_IF" nud permanent
		ip neigh replace "$RX_IP" lladdr "$(mac_of "$ROUTER_NETNS" "$ROUTER_IN_IF")" dev "$TX_IF" nud permanent
	else
		ip neigh replace "$RX_IP" lladdr "$rx_mac" dev "$TX_IF" nud permanent
	fi

	trap - EXIT
	local via=""
	[ $router -eq 1 ] && via=" via router netns $ROUTER_NETNS ($ROUTER_IN_IF <-> $ROUTER_OUT_IF, no impairment)"
	echo "lab up: $TX_IF ($TX_ADDR) <-> $RX_IF ($RX_ADDR, $rx_mac) in netns $NETNS$via, queues=$queues, counter=$PIN_DIR mode=$mode action=$action"
}

down() {
	remove_lab
	if lab_exists; then
		die "down: the lab is still present"
	fi
	echo "lab down"
}

# Prints the forwarder's counts (one JSON line), or fails naming why it is gone.
show_impairment() {
	if [ ! -e "$FORWARDER_PID" ]; then
		echo '{"impairment":"none"}'
		return 0
	fi
	local pid
	if ! pid=$(forwarder_pid); then
		die "impairment $(cat "$IMPAIRMENT_SPEC" 2>/dev/null): its forwarder (pid $(cat "$FORWARDER_PID")) has exited$(last_words)"
	fi
	cat "$IMPAIRMENT_STATE"
}

impair() {
	[ $# -le 1 ] || die "usage: lab.sh impair [none|drop=N|dup=N|swap=N|delay=D]"
	if [ $# -eq 0 ]; then
		show_impairment
		return
	fi
	local spec=$1
	has_router || die "impair: the lab has no router (scripts/lab.sh up --router)"
	if [ "$spec" = none ]; then
		stop_forwarder
		echo "impairment: none (the router's kernel forwards the test flow)"
		return 0
	fi
	need_native
	local checked
	checked=$(XDPERF_IMPAIRMENT=$spec native "(d => d.spec + ': ' + d.description)(n.describeImpairment(process.env.XDPERF_IMPAIRMENT))")
	stop_forwarder
	start_forwarder "$spec"
	echo "impairment: $checked (test flow: IPv4 UDP to $RX_IP; forwarder pid $(forwarder_pid))"
}

status() {
	if [ ! -e "/var/run/netns/$NETNS" ]; then
		echo "lab down"
		return 0
	fi
	ip -br link show "$TX_IF" || true
	if has_router; then
		ip -n "$ROUTER_NETNS" -br link show "$ROUTER_IN_IF" || true
		ip -n "$ROUTER_NETNS" -br link show "$ROUTER_OUT_IF" || true
	fi
	ip -n "$NETNS" -br link show "$RX_IF" || true
	if [ -e "$PIN_DIR" ]; then
		need_native
		echo "counter $PIN_DIR: $(native "n.openPinnedCounter('$PIN_DIR').counts()")"
	else
		echo "counter: not pinned"
	fi
	has_router || return 0
	local pid
	if [ ! -e "$FORWARDER_PID" ]; then
		echo "impairment: none"
	elif pid=$(forwarder_pid); then
		echo "impairment: $(cat "$IMPAIRMENT_SPEC"), forwarder pid $pid: $(cat "$IMPAIRMENT_STATE")"
	else
		echo "impairment: $(cat "$IMPAIRMENT_SPEC" 2>/dev/null), but its forwarder (pid $(cat "$FORWARDER_PID")) has exited$(last_words)"
		return 1
	fi
}

need_root
case "${1:-}" in
up) shift; up "$@" ;;
down) down ;;
status) status ;;
impair) shift; impair "$@" ;;
*) die "usage: lab.sh up [QUEUES] [drop|pass] [--router] | down | status | impair [SPEC]" ;;
esac
