package sdk

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
)

// oneVLANTag is a FrameExtension: a VLAN tag whose id goes 1..2.
type oneVLANTag struct{}

func (oneVLANTag) Extend(frame *UDPFrame) []FieldRange {
	frame.VLANTags = append(frame.VLANTags, VLANTag{TPID: TPIDCustomer, TCI: 1})
	return []FieldRange{NumberRange{Key: "vlan", First: 1, Last: 2}.Field(frame.TCIOffset(0), 2)}
}

func (oneVLANTag) String() string { return "vlan 1-2" }

// UDPPlugin logs what it sends, and sends it with the extension's headers
// in the frame and their fields after the flows'.
func TestUDPPlugin(t *testing.T) {
	var logs []string
	savedLog := writeLog
	writeLog = func(l level, msg string) {
		if l == levelInfo {
			logs = append(logs, msg)
		}
	}
	t.Cleanup(func() { writeLog = savedLog })

	for _, tc := range []struct {
		name  string
		flows func() (UDPFlows, error)
		count int
		log   []string
		// headers are the frame's bytes from the source MAC's end to the IP header.
		headers string
		// srcPortAt is where template 0's source port, srcPort, sits in the
		// frame; template i sends from srcPort+i.
		srcPortAt, srcPort int
		fields             string
	}{
		{"IPv4 with an extension", func() (UDPFlows, error) {
			k := DefaultUDP4Keys()
			k.SrcPortRange, k.TOS = "1000-1001", 184
			return k.Flows(oneVLANTag{})
		}, 1, []string{
			"vlan 1-2: udp 10.250.0.1:1000-1001 -> 10.250.0.2:9, 18-byte payload, ttl 64, tos 0xb8",
			"4 flows per template, sequential",
		}, "81000001" + "0800", 38, 1000, `[{"offset":38,"size":2,"op":"inc","min":1000,"max":1001},` +
			`{"offset":14,"size":2,"op":"inc","min":1,"max":2,"chain":true}]`},
		{"IPv6, two templates", func() (UDPFlows, error) {
			return ParseUDP6Keys([]byte(`{"flow_label":74565}`))
		}, 2, []string{
			"udp6 [fd00:250::1]:12345 -> [fd00:250::2]:9, 18-byte payload, hop limit 64, traffic class 0x00, flow label 0x12345",
		}, "86dd", 54, 12345, "null"},
	} {
		logs = nil
		p := UDPPlugin{Tag: "t", Parse: func([]byte) (UDPFlows, error) { return tc.flows() }}
		if err := p.Init(nil); err != nil {
			t.Fatalf("%s: Init: %v", tc.name, err)
		}
		if fmt.Sprint(logs) != fmt.Sprint(tc.log) {
			t.Errorf("%s: logged %q, want %q", tc.name, logs, tc.log)
		}
		resps, err := p.Process(Request{DeviceMAC: testSrcMAC[:], Count: tc.count})
		if err != nil || len(resps) != tc.count {
			t.Fatalf("%s: Process = %d templates, %v; want %d", tc.name, len(resps), err, tc.count)
		}
		for i, r := range resps {
			frame := r.Template.BasePacket.Data
			fields, _ := json.Marshal(r.Template.Fields)
			srcPort := binary.BigEndian.Uint16(frame[tc.srcPortAt:])
			if got := hex.EncodeToString(frame[12 : 12+len(tc.headers)/2]); got != tc.headers || srcPort != uint16(tc.srcPort+i) {
				t.Errorf("%s: template %d: headers %s, src port %d", tc.name, i, got, srcPort)
			}
			if string(fields) != tc.fields || fmt.Sprint(r.Metadata) != fmt.Sprint(Metadata{PacketCount: 1, Tags: []string{"t"}}) {
				t.Errorf("%s: template %d: fields %s, metadata %+v", tc.name, i, fields, r.Metadata)
			}
		}
	}
}
