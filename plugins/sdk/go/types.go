package sdk

// Request is what the host passes to plugin_process: the user's plugin
// config merged with the keys below, which the host adds. For the config
// part, keep what Init decoded: the SDK has already run Init with the
// request's config keys when they change the config.
type Request struct {
	// Count is how many templates the user wants; 0 leaves it to the plugin.
	Count int `json:"count"`
	// DeviceMAC is the sending interface's MAC address (6 bytes).
	DeviceMAC []byte `json:"device_mac_addr"`
	// DstMAC is the destination's MAC address from the host's neighbour
	// table (6 bytes), or empty when the host has none.
	DstMAC []byte `json:"dst_mac_addr"`
	// DeviceName is the sending interface's name, e.g. "eth0".
	DeviceName string `json:"device_name"`
	// MTU is the sending interface's MTU; 0 when the host did not say.
	MTU int `json:"mtu"`
	// Queues is how many TX queues the host will send on.
	Queues int `json:"queues"`
	// Raw is the whole request JSON, config keys included.
	Raw []byte `json:"-"`
}

// hostKeys are the keys the host adds to a request; DecodeConfig skips them.
var hostKeys = []string{"count", "device_mac_addr", "dst_mac_addr", "device_name", "mtu", "queues"}

// GeneratorResponse is one packet template and how to send it.
type GeneratorResponse struct {
	Template Template `json:"template"`
	Metadata Metadata `json:"metadata"`
}

// Template describes the packet to send.
type Template struct {
	BasePacket BasePacket `json:"base_packet"`
	// Fields ask the host to vary bytes of the base packet per packet (see
	// Field); none sends the base packet every time, and leaves the key out
	// so that such a template is the seed's JSON byte for byte.
	Fields []Field `json:"fields,omitempty"`
	// Flows caps the template's flows: it repeats its first Flows variants.
	// 0, no cap, leaves the key out. Used only with Fields.
	Flows uint64 `json:"flows,omitempty"`
}

// BasePacket is a whole frame, from the Ethernet header on.
type BasePacket struct {
	Data []byte `json:"data"`
	// Length is how many bytes of Data to send; 0 means all of Data.
	Length int `json:"length"`
}

// Metadata says how a template takes part in the traffic mix.
type Metadata struct {
	// PacketCount is the template's weight in the mix; 0 means 1.
	PacketCount int `json:"packet_count"`
	// RatePPS is the plugin's suggested rate in packets per second, used only
	// when the user sets none; 0 means no suggestion.
	RatePPS int `json:"rate_pps"`
	// Tags label the template's counters in the report.
	Tags []string `json:"tags"`
}
