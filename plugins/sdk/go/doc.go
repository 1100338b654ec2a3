// Package sdk holds what every xdperf plugin written in Go needs, so that a
// plugin's own files hold only its logic.
//
// A plugin registers its callbacks from an init function and is built as a
// wasip1 reactor (scripts/build-go-plugin.sh does this):
//
//	func init() {
//		sdk.Register(sdk.Plugin{Init: configure, Process: templates})
//	}
//
//	func main() {} // required by the compiler; a reactor never runs it
//
// The package supplies the module's side of xdperf's plugin ABI v1: the
// exports malloc, free, plugin_init, plugin_process and plugin_cleanup, and
// the imports env.host_log and env.host_report_metric. The Go runtime adds
// only wasi_snapshot_preview1 imports.
//
// A plugin that makes many flows of one template embeds FlowKeys in its
// config, checks them with FlowKeys.Ranges, places the ranges in its frame
// (FlowRanges.Fields, IPRange.Field, NumberRange.Field) and makes each
// template with Variation.Template, which emits the template's field
// program; the host varies the frame per packet. UDPFrame lays out the
// frames of the bundled UDP plugins.
//
// A UDP plugin gets all of that in one piece: it registers a UDPPlugin,
// which keeps the UDPFlows its Parse makes of the config and makes their
// templates for each request. The config is UDP4Keys or UDP6Keys (the
// bundled UDP plugins' keys, FlowKeys included), which ParseUDP4Keys and
// ParseUDP6Keys read; a plugin with keys of its own embeds one in its
// config struct and makes the flows with its Flows, passing a
// FrameExtension that adds its own headers to the frame, as vlan adds its
// VLAN tags.
//
// A failing callback never has to log for itself: the SDK logs the returned
// error (or a recovered panic) at ERROR level, the line the host shows the
// user, and returns a code that says where it failed:
//
//	plugin_init     1  Init returned an error (or no config was expected)
//	                2  Init panicked
//	plugin_process -1  the request was not valid, Init refused its config,
//	                   or Process returned an error
//	               -2  Process (or Init, run for the request) panicked
//	               -3  the response did not fit the host's output buffer
//
// Built for any other target (go test on the developer's machine) the same
// code runs without a host: logs and metrics go to stderr.
package sdk
