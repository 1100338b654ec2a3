package sdk

import (
	"encoding/json"
	"runtime/debug"
)

// Plugin is a plugin's answer to the host's calls.
type Plugin struct {
	// Init receives the user's plugin config, a JSON object, before any
	// Process call: from plugin_init, and again before a Process whose
	// request brings config keys that change it, or when plugin_init never
	// succeeded (see request_config.go), so Init should start from the
	// plugin's defaults each time. Nil means the plugin takes no config: any
	// key is an error.
	Init func(config []byte) error
	// Process returns the packet templates for one request. Required.
	Process func(req Request) ([]GeneratorResponse, error)
	// Cleanup runs once before the host unloads the plugin. Optional.
	Cleanup func()
}

const (
	initFailed      int32 = 1
	initPanicked    int32 = 2
	processFailed   int32 = -1
	processPanicked int32 = -2
	outputTooSmall  int32 = -3
)

var registered *Plugin

// Register installs p as the module's plugin. Call it from an init function:
// _initialize runs package initialisation, and the host calls plugin_init
// right after (or, like the seed's host, goes straight to plugin_process).
// It panics on misuse, which the plugin's own go test reveals, since init
// functions run there too.
func Register(p Plugin) {
	if registered != nil {
		panic("sdk.Register called twice")
	}
	if p.Process == nil {
		panic("sdk.Register: Plugin.Process is nil")
	}
	registered = &p
}

// logPanic reports a panic recovered from plugin code, which callers turn
// into a return code: left alone, the panic would end the module through
// proc_exit and the user would see an exit status instead of the reason.
func logPanic(r any) bool {
	if r == nil {
		return false
	}
	Debugf("%s", debug.Stack())
	Errorf("internal error in the plugin: %v", r)
	return true
}

func runInit(config []byte) (code int32) {
	defer func() {
		if logPanic(recover()) {
			code = initPanicked
		}
	}()
	initConfig, accepted = nil, nil
	if registered == nil {
		Errorf("no plugin registered: the plugin must call sdk.Register from an init function")
		return initFailed
	}
	if err := callInit(config); err != nil {
		Errorf("%v", err)
		return initFailed
	}
	initConfig = configObject(config)
	accepted = initConfig
	return 0
}

func callInit(config []byte) error {
	if registered.Init != nil {
		return registered.Init(config)
	}
	return DecodeConfig(config, &struct{}{})
}

func runProcess(in, out []byte) (code int32) {
	defer func() {
		if logPanic(recover()) {
			code = processPanicked
		}
	}()
	if registered == nil {
		Errorf("no plugin registered: the plugin must call sdk.Register from an init function")
		return processFailed
	}
	req := Request{Raw: in}
	if err := json.Unmarshal(in, &req); err != nil {
		Errorf("the host sent a request the plugin cannot read: %v", err)
		return processFailed
	}
	if err := configureFromRequest(in); err != nil {
		Errorf("%v", err)
		return processFailed
	}
	resps, err := registered.Process(req)
	if err != nil {
		Errorf("%v", err)
		return processFailed
	}
	data, err := encodeResponses(resps)
	if err != nil {
		Errorf("cannot encode the templates: %v", err)
		return processFailed
	}
	if len(data) > len(out) {
		Errorf("the templates need %d bytes of JSON but the host's output buffer holds %d", len(data), len(out))
		return outputTooSmall
	}
	return int32(copy(out, data))
}

func runCleanup() {
	defer func() { logPanic(recover()) }()
	initConfig, accepted = nil, nil
	if registered != nil && registered.Cleanup != nil {
		registered.Cleanup()
	}
}

// encodeResponses fills in the defaults documented on the response types,
// which keeps out of the JSON the zero values the host would reject.
func encodeResponses(resps []GeneratorResponse) ([]byte, error) {
	if resps == nil {
		resps = []GeneratorResponse{}
	}
	for i := range resps {
		pkt, meta := &resps[i].Template.BasePacket, &resps[i].Metadata
		if pkt.Length == 0 {
			pkt.Length = len(pkt.Data)
		}
		if meta.PacketCount == 0 {
			meta.PacketCount = 1
		}
		if meta.Tags == nil {
			meta.Tags = []string{}
		}
	}
	return json.Marshal(resps)
}
