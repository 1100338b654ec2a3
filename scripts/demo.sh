#!/usr/bin/env bash
# The README's main job. Until the transmit core lands it is the dry run: simpleudp's template,
# decoded layer by layer, written to a pcap, and read back by tshark as an independent check.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${DEMO_PCAP:-out/demo.pcap}
mkdir -p "$(dirname "$out")"
node dist/src/cli/main.js templates --plugin simpleudp --templates 2 --pcap "$out"
echo
echo "tshark reads $out:"
tshark -r "$out" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE 2>/dev/null
