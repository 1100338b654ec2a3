#!/usr/bin/env bash
# lab.sh - xdperf's veth lab: the only place xdperf's tests and benchmarks send to.
#
# Usage: scripts/lab.sh up [QUEUES] [drop|pass] | down | status      (as root)
#
#   root namespace          xdperf0  10.77.0.1/24  ──veth──  xdperf1  10.77.0.2/24   netns xdperf-lab
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
# down    Removes the pins (detaching the counter) and the namespace, which removes
#         the veth pair. Safe to run twice or when nothing exists.
# status  Prints the interfaces and the counter's totals.
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
RX_IP=$SUBNET.2
MTU=1500
BPFFS=/sys/fs/bpf
PIN_ROOT=$BPFFS/xdperf
# The path xdperf run/recv look for (src/engine/rx-counter.ts, counterPinDir).
PIN_DIR=$PIN_ROOT/netns/$NETNS/$RX_IF
NATIVE=$(cd "$(dirname "$0")/.." && pwd)/native/index.js

die() { echo "lab.sh: $*" >&2; exit 1; }

[[ -z $LAB || ($LAB =~ ^[1-9][0-9]*$ && $LAB -le 200) ]] || die "XDPERF_LAB must be 1..200, got '$LAB'"

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (it creates a network namespace and attaches an XDP program)"
}

need_native() {
	[ -f "$NATIVE" ] || die "native module not built ($NATIVE missing): run make native"
}

# native CALL: runs one call of the native module in node, e.g.
# native "n.removePinned('/x')". Its result is printed as JSON.
native() {
	XDPERF_NATIVE="$NATIVE" node -e "
		const n = require(process.env.XDPERF_NATIVE);
		try { const r = $1; if (r !== undefined) console.log(JSON.stringify(r)); }
		catch (e) { console.error('lab.sh: ' + e.message); process.exit(1); }"
}

remove_lab() {
	# rm unpins (bpffs files are removed like any file); with the last
	# reference gone the kernel detaches the program.
	# Every step runs even if an earlier one fails; `down` checks the result.
	rm -rf "$PIN_DIR" || true
	rmdir "$PIN_ROOT/netns/$NETNS" "$PIN_ROOT/netns" "$PIN_ROOT" 2>/dev/null || true
	ip netns del "$NETNS" 2>/dev/null || true
	# A half-made pair whose peer never reached the namespace.
	ip link del "$TX_IF" 2>/dev/null || true
}

lab_exists() {
	[ -e "$PIN_DIR" ] || [ -e "/var/run/netns/$NETNS" ] || ip link show "$TX_IF" >/dev/null 2>&1
}

up() {
	local queues=${1:-1}
	local action=${2:-drop}
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

	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
	ip netns add "$NETNS"
	ip link add "$TX_IF" numtxqueues "$queues" numrxqueues "$queues" type veth \
		peer name "$RX_IF" numtxqueues "$queues" numrxqueues "$queues" netns "$NETNS"
	sysctl -qw "net.ipv6.conf.$TX_IF.disable_ipv6=1"
	ip netns exec "$NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip link set "$TX_IF" mtu "$MTU"
	ip -n "$NETNS" link set "$RX_IF" mtu "$MTU"
	ip addr add "$TX_ADDR" dev "$TX_IF"
	ip -n "$NETNS" addr add "$RX_ADDR" dev "$RX_IF"
	ip -n "$NETNS" link set lo up

	# The counter goes on before the link comes up, so it sees every frame.
	# (The lead's CLI will offer this as `xdperf recv --pin`.)
	local mode
	mode=$(native "n.attachCounter('$RX_IF', { action: '$action', netns: '$NETNS', pinDir: '$PIN_DIR' }).mode")

	ip -n "$NETNS" link set "$RX_IF" up
	ip link set "$TX_IF" up
	local rx_mac
	rx_mac=$(ip -n "$NETNS" -o link show "$RX_IF" | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }')
	[ -n "$rx_mac" ] || die "cannot read the MAC of $RX_IF"
	ip neigh replace "$RX_IP" lladdr "$rx_mac" dev "$TX_IF" nud permanent

	trap - EXIT
	echo "lab up: $TX_IF ($TX_ADDR) <-> $RX_IF ($RX_ADDR, $rx_mac) in netns $NETNS, queues=$queues, counter=$PIN_DIR mode=${mode//\"/} action=$action"
}

down() {
	remove_lab
	if [ -e "$PIN_DIR" ] || [ -e "/var/run/netns/$NETNS" ] || ip link show "$TX_IF" >/dev/null 2>&1; then
		die "down: the lab is still present"
	fi
	echo "lab down"
}

status() {
	if [ ! -e "/var/run/netns/$NETNS" ]; then
		echo "lab down"
		return 0
	fi
	ip -br link show "$TX_IF" || true
	ip -n "$NETNS" -br link show "$RX_IF" || true
	if [ -e "$PIN_DIR" ]; then
		need_native
		echo "counter $PIN_DIR: $(native "n.openPinnedCounter('$PIN_DIR').counts()")"
	else
		echo "counter: not pinned"
	fi
}

need_root
case "${1:-}" in
up) up "${2:-1}" "${3:-drop}" ;;
down) down ;;
status) status ;;
*) die "usage: lab.sh up [QUEUES] [drop|pass] | down | status" ;;
esac
