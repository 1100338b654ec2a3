package main

import (
	"fmt"
	"strings"

	sdk "xdperf/plugins/sdk/go"
)

// config is the plugin config as the user writes it: the tags' keys, then
// simpleudp's.
type config struct {
	VLAN      sdk.RangeSetting `json:"vlan"`
	OuterVLAN sdk.RangeSetting `json:"outer_vlan"`
	PCP       int              `json:"pcp"`
	sdk.UDP4Keys
}

// VLAN ids 0 (priority tag only) and 4095 are reserved (IEEE 802.1Q).
const minVLAN, maxVLAN = 1, 4094

// parseConfig checks the tags' keys, then simpleudp's.
func parseConfig(raw []byte) (sdk.UDPFlows, error) {
	c := config{VLAN: "100", UDP4Keys: sdk.DefaultUDP4Keys()}
	if err := sdk.DecodeConfig(raw, &c); err != nil {
		return sdk.UDPFlows{}, err
	}
	tags, err := c.tags()
	if err != nil {
		return sdk.UDPFlows{}, err
	}
	return c.UDP4Keys.Flows(tags)
}

// vlanTags are the frame's VLAN tags, checked: the sdk.FrameExtension of
// the plugin's UDP flows.
type vlanTags struct {
	// tags are outermost first, as they sit in the frame.
	tags []vlanTag
	pcp  uint8
}

// vlanTag is one tag: its TPID and the range of its VLAN id.
type vlanTag struct {
	tpid uint16
	ids  sdk.NumberRange
}

// vlanKey is a config key that sets the VLAN id of one tag.
type vlanKey struct {
	key     string
	setting sdk.RangeSetting
	tpid    uint16
}

func (c config) tags() (vlanTags, error) {
	if err := sdk.CheckIntKey("pcp", c.PCP, 0, 7); err != nil {
		return vlanTags{}, err
	}
	keys := []vlanKey{{"vlan", c.VLAN, sdk.TPIDCustomer}}
	if c.OuterVLAN != "" {
		keys = []vlanKey{{"outer_vlan", c.OuterVLAN, sdk.TPIDService}, keys[0]}
	}
	t := vlanTags{pcp: uint8(c.PCP)}
	for _, k := range keys {
		ids, err := sdk.ParseNumberRange(k.key, k.setting, minVLAN, maxVLAN)
		if err != nil {
			return vlanTags{}, err
		}
		t.tags = append(t.tags, vlanTag{k.tpid, ids})
	}
	return t, nil
}

// Extend puts the tags in frame, each with its first VLAN id, and returns
// the ranges of their TCIs.
func (t vlanTags) Extend(frame *sdk.UDPFrame) []sdk.FieldRange {
	var fields []sdk.FieldRange
	for i, tag := range t.tags {
		frame.VLANTags = append(frame.VLANTags, sdk.VLANTag{TPID: tag.tpid, TCI: uint16(t.tci(tag.ids.First))})
		// The field covers the whole TCI, so its values carry the priority.
		tcis := sdk.NumberRange{Key: tag.ids.Key, First: t.tci(tag.ids.First), Last: t.tci(tag.ids.Last)}
		fields = append(fields, tcis.Field(frame.TCIOffset(i), 2))
	}
	return fields
}

// tci is the tag control information of VLAN id: the priority, drop
// eligible 0, the id.
func (t vlanTags) tci(id uint64) uint64 {
	return uint64(t.pcp)<<13 | id
}

func (t vlanTags) String() string {
	var tags []string
	for _, tag := range t.tags {
		tags = append(tags, fmt.Sprintf("%s %s (TPID %#04x)", tag.ids.Key, tag.ids, tag.tpid))
	}
	return fmt.Sprintf("%s, pcp %d", strings.Join(tags, ", "), t.pcp)
}
