package sdk

import (
	"fmt"
	"net/netip"
)

// DefaultMTU is the MTU a plugin assumes when the host does not say.
const DefaultMTU = 1500

// LinkMTU is the sending device's MTU, DefaultMTU when the host gave none.
func (r Request) LinkMTU() int {
	if r.MTU <= 0 {
		return DefaultMTU
	}
	return r.MTU
}

// Device names the sending device in messages.
func (r Request) Device() string {
	if r.DeviceName == "" {
		return "(unnamed)"
	}
	return r.DeviceName
}

// FrameMACs picks the MACs of a frame to dstIP. The source is srcMAC (the
// config key src_mac) when set, else the device's MAC. The destination is
// dstMAC (dst_mac) when set, else the neighbour the host found for dst_ip,
// else broadcast, with a warning: a receiver then takes the frame whatever
// its own MAC.
func (r Request) FrameMACs(srcMAC, dstMAC *MAC, dstIP netip.Addr) (src, dst MAC, err error) {
	switch {
	case srcMAC != nil:
		src = *srcMAC
	case len(r.DeviceMAC) == len(src):
		src = MAC(r.DeviceMAC)
	case len(r.DeviceMAC) == 0:
		return src, dst, fmt.Errorf("the host gave no MAC address for device %s: set src_mac", r.Device())
	default:
		return src, dst, fmt.Errorf("the host gave a %d-byte MAC address for device %s: set src_mac", len(r.DeviceMAC), r.Device())
	}
	switch {
	case dstMAC != nil:
		dst = *dstMAC
	case len(r.DstMAC) == len(dst):
		dst = MAC(r.DstMAC)
	case len(r.DstMAC) == 0:
		dst = BroadcastMAC
		Warnf("no dst_mac set and no neighbour entry for %s: sending to %s; set dst_mac to reach one host", dstIP, dst)
	default:
		return src, dst, fmt.Errorf("the host gave a %d-byte neighbour MAC address for %s: set dst_mac", len(r.DstMAC), dstIP)
	}
	return src, dst, nil
}
