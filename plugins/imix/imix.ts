// imix: an xdperf plugin that sends IPv4/UDP frames of several sizes in a
// weighted mix, by default the classic "simple IMIX": 60, 590 and 1514-byte
// frames (64/594/1518 with the FCS) at 7:4:1. Written in AssemblyScript on
// the SDK in plugins/sdk/assemblyscript.
//
// Config keys (all optional):
//
//   sizes           frame sizes in bytes without FCS, each 60..MTU+14   [60, 590, 1514]
//   weights         one weight per size, each 1..1048576                [7, 4, 1]; 1 each
//                                                                        when only sizes is set
//   src_ip          IPv4 source address                                 10.250.0.1
//   dst_ip          IPv4 destination address                            10.250.0.2
//   src_port        UDP source port, 0..65535                           12345
//   dst_port        UDP destination port, 1..65535                      9 (discard)
//   ttl, tos        IPv4 time to live and type of service, 0..255       64, 0
//   src_mac         source MAC                                          the device's MAC
//   dst_mac         destination MAC                                     the host's neighbour
//                                                                        entry, else broadcast
//   src_ip_range, dst_ip_range, src_port_range, dst_port_range, vary, seed, flows:
//                   per-packet flows, the same on every size (see flows.ts in the SDK)
//
// Each size is one template, whose weight (metadata.packet_count) is its
// weight in the mix and whose tags are "imix" and the size ("590B"). The
// frames are simpleudp's: Ethernet II, IPv4 (no options, ID 0, DF), UDP with
// its checksum, then a payload whose byte i is i mod 256. The request's
// count (--templates) does not apply: there is one template per size.

export { malloc, free, plugin_init, plugin_process, plugin_cleanup } from "../sdk/assemblyscript/abi";
import {
  Config,
  FLOW_KEYS,
  FlowKeys,
  JsonValue,
  Request,
  Templates,
  Udp4Frame,
  ETH_HEADER_LEN,
  IPV4_HEADER_LEN,
  broadcastMAC,
  formatIPv4,
  formatMAC,
  logInfo,
  logWarn,
  register,
  reportMetric,
} from "../sdk/assemblyscript/index";

const DEFAULT_SIZES: i64[] = [60, 590, 1514];
const DEFAULT_WEIGHTS: i64[] = [7, 4, 1];
const DEFAULT_MTU: i32 = 1500;
/** The host's largest frame: a 9000-byte jumbo payload, the header and one VLAN tag. */
const MAX_FRAME: i64 = 9018;
const MAX_WEIGHT: i64 = 1 << 20;
const MAX_SIZES: i32 = 1024;

const KEYS: string[] = ["sizes", "weights", "src_ip", "dst_ip", "src_port", "dst_port", "ttl", "tos", "src_mac", "dst_mac"].concat(FLOW_KEYS);

/** A validated config; the MACs and the MTU check wait for a request. */
class Settings {
  sizes: i64[] = DEFAULT_SIZES;
  weights: i64[] = DEFAULT_WEIGHTS;
  frame: Udp4Frame = new Udp4Frame();
  srcMAC: Uint8Array | null = null;
  dstMAC: Uint8Array | null = null;
  flows: FlowKeys = new FlowKeys();
}

let current = new Settings();

function configure(config: JsonValue): string {
  const c = new Config(config, KEYS);
  const s = new Settings();
  s.sizes = c.intList("sizes", DEFAULT_SIZES, 60, MAX_FRAME, 1, MAX_SIZES);
  const fallbackWeights = c.has("sizes") ? ones(s.sizes.length) : DEFAULT_WEIGHTS;
  s.weights = c.intList("weights", fallbackWeights, 1, MAX_WEIGHT, 1, MAX_SIZES);
  if (c.ok && s.weights.length != s.sizes.length) {
    c.fail("weights has " + s.weights.length.toString() + " entries and sizes " + s.sizes.length.toString() + ": give one weight per size");
  }
  const f = s.frame;
  f.srcIP = c.ipv4("src_ip", "10.250.0.1");
  f.dstIP = c.ipv4("dst_ip", "10.250.0.2");
  // Zero is a valid UDP source port (RFC 768: "not used"), never a destination.
  f.srcPort = <u16>c.int("src_port", 12345, 0, 65535);
  f.dstPort = <u16>c.int("dst_port", 9, 1, 65535);
  f.ttl = <u8>c.int("ttl", 64, 0, 255);
  f.tos = <u8>c.int("tos", 0, 0, 255);
  s.srcMAC = c.mac("src_mac");
  s.dstMAC = c.mac("dst_mac");
  s.flows = FlowKeys.read(c);
  if (!c.ok) return c.error;

  // A range sets the base frame to its first value.
  f.srcIP = s.flows.firstSrcIP(f.srcIP);
  f.dstIP = s.flows.firstDstIP(f.dstIP);
  f.srcPort = s.flows.firstSrcPort(f.srcPort);
  f.dstPort = s.flows.firstDstPort(f.dstPort);
  current = s;
  logInfo("imix " + joinInts(s.sizes, "/") + " bytes at " + joinInts(s.weights, ":") + ", udp " + formatIPv4(f.srcIP) + ":" + f.srcPort.toString() +
    " -> " + formatIPv4(f.dstIP) + ":" + f.dstPort.toString() + ", ttl " + f.ttl.toString() + ", tos " + f.tos.toString());
  const flows = s.flows.flowCount;
  if (flows > 1) logInfo(flows.toString() + " flows per template, " + s.flows.describe());
  return "";
}

function templates(req: Request, out: Templates): string {
  const s = current;
  const f = s.frame;
  const srcMAC = s.srcMAC;
  if (srcMAC != null) f.srcMAC = srcMAC;
  else if (req.deviceMAC.length == 6) f.srcMAC = req.deviceMAC;
  else if (req.deviceMAC.length == 0) return "the host gave no MAC address for device " + req.deviceLabel + ": set src_mac";
  else return "the host gave a " + req.deviceMAC.length.toString() + "-byte MAC address for device " + req.deviceLabel + ": set src_mac";
  const dstMAC = s.dstMAC;
  if (dstMAC != null) f.dstMAC = dstMAC;
  else if (req.dstMAC.length == 6) f.dstMAC = req.dstMAC;
  else if (req.dstMAC.length == 0) {
    f.dstMAC = broadcastMAC();
    logWarn("no dst_mac set and no neighbour entry for " + formatIPv4(f.dstIP) + ": sending to " + formatMAC(f.dstMAC) + "; set dst_mac to reach one host");
  } else {
    return "the host gave a " + req.dstMAC.length.toString() + "-byte neighbour MAC address for " + formatIPv4(f.dstIP) + ": set dst_mac";
  }

  const mtu = req.mtu > 0 ? req.mtu : DEFAULT_MTU;
  const largest = <i64>(mtu + ETH_HEADER_LEN);
  for (let i = 0; i < s.sizes.length; i++) {
    if (s.sizes[i] > largest) {
      return "sizes[" + i.toString() + "] " + s.sizes[i].toString() + " does not fit the MTU " + mtu.toString() + " of device " + req.deviceLabel + ": at most " + largest.toString();
    }
  }
  if (req.count > 1) {
    logWarn("imix sends one template per size (" + s.sizes.length.toString() + "); the " + req.count.toString() + " templates asked for are not made: use the range keys for more flows");
  }

  for (let i = 0; i < s.sizes.length; i++) {
    const t = out.add(f.build(<i32>s.sizes[i]));
    t.packetCount = <u64>s.weights[i];
    t.tags = ["imix", s.sizes[i].toString() + "B"];
    s.flows.apply(t, ETH_HEADER_LEN, ETH_HEADER_LEN + IPV4_HEADER_LEN);
  }
  reportMetric("templates", <f64>out.length);
  return "";
}

function ones(n: i32): i64[] {
  const w = new Array<i64>(n);
  for (let i = 0; i < n; i++) w[i] = 1;
  return w;
}

function joinInts(values: i64[], sep: string): string {
  let out = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += sep;
    out += values[i].toString();
  }
  return out;
}

register(configure, templates);
