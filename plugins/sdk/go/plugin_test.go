package sdk

import (
	"errors"
	"strings"
	"testing"
)

type logLine struct {
	level level
	msg   string
}

// withPlugin registers p, with no config accepted yet, for one test and
// captures what it logs.
func withPlugin(t *testing.T, p *Plugin) *[]logLine {
	t.Helper()
	var logs []logLine
	savedLog, savedPlugin := writeLog, registered
	writeLog = func(l level, msg string) { logs = append(logs, logLine{l, msg}) }
	registered, initConfig, accepted = p, nil, nil
	t.Cleanup(func() { writeLog, registered, initConfig, accepted = savedLog, savedPlugin, nil, nil })
	return &logs
}

func lastError(logs []logLine) string {
	for i := len(logs) - 1; i >= 0; i-- {
		if logs[i].level == levelError {
			return logs[i].msg
		}
	}
	return ""
}

func oneTemplate(Request) ([]GeneratorResponse, error) {
	return []GeneratorResponse{{Template: Template{BasePacket: BasePacket{Data: []byte{1, 2, 3}}}}}, nil
}

func TestProcessFillsDefaults(t *testing.T) {
	withPlugin(t, &Plugin{Process: oneTemplate})
	out := make([]byte, 200)
	n := runProcess([]byte(`{}`), out)
	want := `[{"template":{"base_packet":{"data":"AQID","length":3}},"metadata":{"packet_count":1,"rate_pps":0,"tags":[]}}]`
	if n < 0 || string(out[:n]) != want {
		t.Fatalf("runProcess = %d %q, want %q", n, out[:max(n, 0)], want)
	}
}

func TestProcessNoTemplatesIsEmptyArray(t *testing.T) {
	withPlugin(t, &Plugin{Process: func(Request) ([]GeneratorResponse, error) { return nil, nil }})
	out := make([]byte, 10)
	if n := runProcess([]byte(`{}`), out); string(out[:n]) != "[]" {
		t.Fatalf("runProcess = %d %q, want []", n, out[:n])
	}
}

func TestProcessOutputTooSmall(t *testing.T) {
	logs := withPlugin(t, &Plugin{Process: oneTemplate})
	out := make([]byte, 109) // one byte short of the 110-byte response
	if n := runProcess([]byte(`{}`), out); n != outputTooSmall {
		t.Fatalf("runProcess = %d, want %d", n, outputTooSmall)
	}
	if got := lastError(*logs); !strings.Contains(got, "need 110 bytes") || !strings.Contains(got, "holds 109") {
		t.Fatalf("error %q must say how many bytes were needed", got)
	}
	if string(out) != string(make([]byte, 109)) {
		t.Fatal("runProcess wrote into a buffer too small for the response")
	}
}

func TestProcessSeesRequest(t *testing.T) {
	var got Request
	withPlugin(t, &Plugin{Process: func(r Request) ([]GeneratorResponse, error) { got = r; return nil, nil }})
	in := `{"count":4,"device_mac_addr":"AgAAAAAB","dst_mac_addr":"qrvM3e7/","device_name":"veth0","mtu":9000,"queues":2,"x":1}`
	if n := runProcess([]byte(in), make([]byte, 10)); n != 2 {
		t.Fatalf("runProcess = %d", n)
	}
	if got.Count != 4 || string(got.DeviceMAC) != "\x02\x00\x00\x00\x00\x01" || string(got.DstMAC) != "\xaa\xbb\xcc\xdd\xee\xff" ||
		got.DeviceName != "veth0" || got.MTU != 9000 || got.Queues != 2 || string(got.Raw) != in {
		t.Fatalf("request decoded as %+v", got)
	}
}

func TestFailuresAreLoggedAsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *Plugin
		call func() int32
		code int32
		msg  string
	}{
		{"init error", &Plugin{Init: func([]byte) error { return errors.New(`src_ip "1.2.3" is not an IPv4 address`) }, Process: oneTemplate},
			func() int32 { return runInit([]byte(`{}`)) }, initFailed, `src_ip "1.2.3" is not an IPv4 address`},
		{"init panic", &Plugin{Init: func([]byte) error { panic("boom") }, Process: oneTemplate},
			func() int32 { return runInit([]byte(`{}`)) }, initPanicked, "internal error in the plugin: boom"},
		{"config without Init", &Plugin{Process: oneTemplate},
			func() int32 { return runInit([]byte(`{"a":1}`)) }, initFailed, `unknown config key "a"`},
		{"not registered", nil,
			func() int32 { return runInit([]byte(`{}`)) }, initFailed, "no plugin registered"},
		{"process error", &Plugin{Process: func(Request) ([]GeneratorResponse, error) { return nil, errors.New("no route") }},
			func() int32 { return runProcess([]byte(`{}`), make([]byte, 100)) }, processFailed, "no route"},
		{"process panic", &Plugin{Process: func(Request) ([]GeneratorResponse, error) { panic("boom") }},
			func() int32 { return runProcess([]byte(`{}`), make([]byte, 100)) }, processPanicked, "internal error in the plugin: boom"},
		{"bad request", &Plugin{Process: oneTemplate},
			func() int32 { return runProcess([]byte(`{"count":"x"}`), make([]byte, 100)) }, processFailed, "the host sent a request the plugin cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := withPlugin(t, tc.p)
			if code := tc.call(); code != tc.code {
				t.Errorf("code = %d, want %d", code, tc.code)
			}
			if got := lastError(*logs); !strings.HasPrefix(got, tc.msg) {
				t.Errorf("last ERROR log %q, want %q", got, tc.msg)
			}
		})
	}
}

func TestInitWithoutInitAcceptsEmptyConfig(t *testing.T) {
	withPlugin(t, &Plugin{Process: oneTemplate})
	if code := runInit([]byte(`{}`)); code != 0 {
		t.Fatalf("runInit = %d", code)
	}
}

func TestCleanupPanicIsLogged(t *testing.T) {
	logs := withPlugin(t, &Plugin{Process: oneTemplate, Cleanup: func() { panic("boom") }})
	runCleanup()
	if got := lastError(*logs); got != "internal error in the plugin: boom" {
		t.Fatalf("last ERROR log %q", got)
	}
}

func TestRegisterMisuse(t *testing.T) {
	withPlugin(t, nil)
	mustPanic := func(name string, f func()) {
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("Register without Process", func() { Register(Plugin{}) })
	Register(Plugin{Process: oneTemplate})
	mustPanic("second Register", func() { Register(Plugin{Process: oneTemplate}) })
}
