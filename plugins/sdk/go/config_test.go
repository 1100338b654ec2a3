package sdk

import (
	"reflect"
	"strings"
	"testing"
)

type testConfig struct {
	Name  string `json:"name"`
	Port  int    `json:"port"`
	Small uint8  `json:"small,omitempty"`
	Quiet bool   `json:"quiet"`
}

func TestDecodeConfigSkipsHostKeys(t *testing.T) {
	c := testConfig{Port: 9}
	req := `{"name":"x","count":3,"device_mac_addr":"AgAAAAAB","dst_mac_addr":"AgAAAAAC","device_name":"eth0","mtu":1500,"queues":2}`
	if err := DecodeConfig([]byte(req), &c); err != nil {
		t.Fatal(err)
	}
	if c != (testConfig{Name: "x", Port: 9}) {
		t.Fatalf("got %+v; absent keys must keep their defaults", c)
	}
}

func TestDecodeConfigEmpty(t *testing.T) {
	for _, in := range []string{"", " \n", "null", "{}"} {
		c := testConfig{Port: 9}
		if err := DecodeConfig([]byte(in), &c); err != nil || c.Port != 9 {
			t.Errorf("DecodeConfig(%q) = %v, %+v", in, err, c)
		}
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"nmae":"x"}`:      `unknown config key "nmae" (known keys: name, port, quiet, small)`,
		`{"port":"9"}`:      `config key "port" must be an integer, not a string`,
		`{"port":1.5}`:      `config key "port" must be an integer, not 1.5`,
		`{"small":300}`:     `config key "small" must be an integer that fits uint8, not 300`,
		`{"name":true}`:     `config key "name" must be a string, not a boolean`,
		`{"quiet":"yes"}`:   `config key "quiet" must be true or false, not a string`,
		`[1]`:               `config must be a JSON object, not an array`,
		`{"name":"x"`:       `config is not valid JSON: unexpected end of JSON input`,
		`{"name":"x"} {}`:   `config is not valid JSON: invalid character '{' after top-level value (at byte 14)`,
		`{"port":9,}`:       `config is not valid JSON: invalid character '}' looking for beginning of object key string (at byte 11)`,
		`{"count":1,"x":1}`: `unknown config key "x"`,
	} {
		var c testConfig
		err := DecodeConfig([]byte(in), &c)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("DecodeConfig(%s) = %v, want %q", in, err, want)
		}
	}
}

func TestHostKeysMatchRequest(t *testing.T) {
	got := knownKeys(&Request{})
	want := append([]string(nil), hostKeys...)
	if len(got) != len(want) {
		t.Fatalf("Request keys %v, hostKeys %v", got, want)
	}
	for _, k := range want {
		if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+k+" ") {
			t.Fatalf("hostKeys has %q, which Request lacks (Request: %v)", k, got)
		}
	}
	if !reflect.DeepEqual(knownKeys(&testConfig{}), []string{"name", "port", "quiet", "small"}) {
		t.Fatalf("knownKeys(testConfig) = %v", knownKeys(&testConfig{}))
	}
}
