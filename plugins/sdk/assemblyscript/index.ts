// xdperf AssemblyScript guest SDK (plugin ABI v1).
//
// A plugin is one entry file, built by asc with this folder's asconfig.json
// (a wasip1 reactor: the top level runs in _initialize, WASI only through
// @assemblyscript/wasi-shim). It re-exports the ABI and registers its
// callbacks at its top level:
//
//   export { malloc, free, plugin_init, plugin_process, plugin_cleanup } from "../sdk/assemblyscript/abi";
//   import { Config, JsonValue, Request, Templates, Udp4Frame, register } from "../sdk/assemblyscript/index";
//
//   let dstPort: u16 = 9;
//   function configure(config: JsonValue): string {
//     const c = new Config(config, ["dst_port"]);
//     dstPort = <u16>c.int("dst_port", 9, 1, 65535);
//     return c.error;                       // "" accepts the config
//   }
//   function templates(req: Request, out: Templates): string {
//     if (req.deviceMAC.length != 6) return "the host gave no MAC address: set one";
//     const f = new Udp4Frame();
//     f.srcMAC = req.deviceMAC;
//     f.dstPort = dstPort;
//     const t = out.add(f.build(60));
//     t.tags = ["udp"];
//     return "";                            // or the error for the user
//   }
//   register(configure, templates);
//
// plugins/README.md ("AssemblyScript") describes the API; imix (plugins/imix)
// is a complete plugin.
//
// The SDK exports malloc, free, plugin_init, plugin_process and
// plugin_cleanup, and imports env.host_log and env.host_report_metric; the
// runtime adds only wasi_snapshot_preview1 imports (fd_write, proc_exit and
// the clock, through the shim). A failing callback returns its error text:
// the SDK logs it at ERROR level, the line the host shows the user, and
// returns the code the host expects (plugin_init 1; plugin_process -1, or
// -3 when the JSON does not fit the host's buffer), as the Go SDK does.

export { JsonKind, JsonValue, JsonWriter, parseJson, decodeBase64 } from "./json";
export { LogLevel, log, logDebug, logInfo, logWarn, logError, reportMetric } from "./host";
export { Config, HOST_KEYS, MAX_SAFE_INTEGER } from "./config";
export {
  ETH_HEADER_LEN,
  IPV4_HEADER_LEN,
  UDP_HEADER_LEN,
  ETH_MIN_FRAME,
  PROTO_TCP,
  PROTO_UDP,
  broadcastMAC,
  parseIPv4,
  formatIPv4,
  parseMAC,
  formatMAC,
  putU16,
  putU32,
  getU16,
  onesSum,
  fold,
  checksum,
  ipv4HeaderChecksum,
  ipv4TransportChecksum,
  Udp4Frame,
} from "./net";
export { Field, FieldOp, FieldValue } from "./fields";
export { FLOW_KEYS, MAX_FIELDS_PER_TEMPLATE, MAX_SEED, FlowKeys, Range, ipv4Range, numberRange, portRange } from "./flows";
export { Request } from "./request";
export { Template, Templates } from "./response";
export { register, InitFunction, ProcessFunction, CleanupFunction } from "./plugin";
