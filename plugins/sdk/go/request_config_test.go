package sdk

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// configured registers a plugin whose Init decodes into a testConfig that
// starts from defaults each time, and records every config Init accepted.
func configured(t *testing.T) (inits *[]testConfig, logs *[]logLine) {
	t.Helper()
	var seen []testConfig
	logs = withPlugin(t, &Plugin{
		Init: func(raw []byte) error {
			c := testConfig{Name: "default", Port: 9}
			if err := DecodeConfig(raw, &c); err != nil {
				return err
			}
			if c.Port > 65535 {
				return fmt.Errorf("port %d is out of range", c.Port)
			}
			seen = append(seen, c)
			return nil
		},
		Process: oneTemplate,
	})
	return &seen, logs
}

func process(t *testing.T, req string) int32 {
	t.Helper()
	return runProcess([]byte(req), make([]byte, 200))
}

func TestRequestWithoutInitGetsDefaults(t *testing.T) {
	inits, _ := configured(t)
	if n := process(t, `{"count":1,"device_mac_addr":"AgAAAAAB","device_name":"eth0"}`); n < 0 {
		t.Fatalf("runProcess = %d", n)
	}
	if want := []testConfig{{Name: "default", Port: 9}}; fmt.Sprint(*inits) != fmt.Sprint(want) {
		t.Fatalf("Init accepted %+v, want %+v", *inits, want)
	}
}

func TestRequestWithoutInitCarriesTheConfig(t *testing.T) {
	inits, _ := configured(t)
	if n := process(t, `{"count":1,"device_mac_addr":"AgAAAAAB","name":"x","port":53}`); n < 0 {
		t.Fatalf("runProcess = %d", n)
	}
	if want := []testConfig{{Name: "x", Port: 53}}; fmt.Sprint(*inits) != fmt.Sprint(want) {
		t.Fatalf("Init accepted %+v, want %+v", *inits, want)
	}
}

func TestRequestKeysWinOverInitConfig(t *testing.T) {
	inits, _ := configured(t)
	if code := runInit([]byte(`{"name":"x","port":53}`)); code != 0 {
		t.Fatalf("runInit = %d", code)
	}
	if n := process(t, `{"count":1,"port":80,"quiet":true}`); n < 0 {
		t.Fatalf("runProcess = %d", n)
	}
	want := []testConfig{{Name: "x", Port: 53}, {Name: "x", Port: 80, Quiet: true}}
	if fmt.Sprint(*inits) != fmt.Sprint(want) {
		t.Fatalf("Init accepted %+v, want %+v", *inits, want)
	}
}

// xdperf's own host repeats the config in the request: Init must not run twice.
func TestRequestRepeatingInitConfigDoesNotRerunInit(t *testing.T) {
	inits, _ := configured(t)
	if code := runInit([]byte(`{"name":"x","port":53}`)); code != 0 {
		t.Fatalf("runInit = %d", code)
	}
	for range 2 {
		if n := process(t, `{ "port": 53, "name": "x", "count": 1, "mtu": 1500 }`); n < 0 {
			t.Fatalf("runProcess = %d", n)
		}
	}
	if len(*inits) != 1 {
		t.Fatalf("Init ran %d times: %+v", len(*inits), *inits)
	}
}

func TestUnknownRequestKeyIsWarnedAndSkipped(t *testing.T) {
	inits, logs := configured(t)
	if n := process(t, `{"count":1,"prot":53,"is_arp_resolve":false,"port":80}`); n < 0 {
		t.Fatalf("runProcess = %d: %s", n, lastError(*logs))
	}
	if want := []testConfig{{Name: "default", Port: 80}}; fmt.Sprint(*inits) != fmt.Sprint(want) {
		t.Fatalf("Init accepted %+v, want %+v", *inits, want)
	}
	var warnings []string
	for _, l := range *logs {
		if l.level == levelWarn {
			warnings = append(warnings, l.msg)
		}
	}
	want := []string{
		`request key "is_arp_resolve" ignored: not a config key of this plugin (known keys: name, port, quiet, small)`,
		`request key "prot" ignored: not a config key of this plugin (known keys: name, port, quiet, small)`,
	}
	if fmt.Sprint(warnings) != fmt.Sprint(want) {
		t.Fatalf("warnings %q, want %q", warnings, want)
	}
}

// plugin_init's config is the user's own: an unknown key there stays an error.
func TestUnknownInitKeyStaysAnError(t *testing.T) {
	_, logs := configured(t)
	if code := runInit([]byte(`{"prot":53}`)); code != initFailed {
		t.Fatalf("runInit = %d, want %d", code, initFailed)
	}
	if got := lastError(*logs); !strings.HasPrefix(got, `unknown config key "prot"`) {
		t.Fatalf("error %q", got)
	}
}

func TestBadRequestConfigFailsTheCall(t *testing.T) {
	for req, want := range map[string]string{
		`{"port":"53"}`:  `config key "port" must be an integer, not a string`,
		`{"port":70000}`: "port 70000 is out of range",
	} {
		_, logs := configured(t)
		if n := process(t, req); n != processFailed {
			t.Errorf("%s: runProcess = %d, want %d", req, n, processFailed)
		}
		if got := lastError(*logs); got != want {
			t.Errorf("%s: error %q, want %q", req, got, want)
		}
	}
}

// A plugin_init that failed leaves no config behind: the request alone decides.
func TestFailedInitIsRetriedFromTheRequest(t *testing.T) {
	inits, _ := configured(t)
	if code := runInit([]byte(`{"port":70000}`)); code != initFailed {
		t.Fatalf("runInit = %d", code)
	}
	if n := process(t, `{"count":1,"port":53}`); n < 0 {
		t.Fatalf("runProcess = %d", n)
	}
	if want := []testConfig{{Name: "default", Port: 53}}; fmt.Sprint(*inits) != fmt.Sprint(want) {
		t.Fatalf("Init accepted %+v, want %+v", *inits, want)
	}
}

func TestCleanupForgetsTheConfig(t *testing.T) {
	inits, _ := configured(t)
	runInit([]byte(`{"port":53}`))
	runCleanup()
	if n := process(t, `{"count":1}`); n < 0 {
		t.Fatalf("runProcess = %d", n)
	}
	if want := []testConfig{{Name: "default", Port: 53}, {Name: "default", Port: 9}}; fmt.Sprint(*inits) != fmt.Sprint(want) {
		t.Fatalf("Init accepted %+v, want %+v", *inits, want)
	}
}

func TestPluginWithoutInitIgnoresRequestKeys(t *testing.T) {
	logs := withPlugin(t, &Plugin{Process: oneTemplate})
	if n := process(t, `{"count":1,"src_ip":"10.0.0.1"}`); n < 0 {
		t.Fatalf("runProcess = %d: %s", n, lastError(*logs))
	}
	if len(*logs) != 1 || (*logs)[0].level != levelWarn || !strings.HasPrefix((*logs)[0].msg, `request key "src_ip" ignored`) {
		t.Fatalf("logs %+v", *logs)
	}
}

func TestInitErrorDuringProcessIsLogged(t *testing.T) {
	logs := withPlugin(t, &Plugin{Init: func([]byte) error { return errors.New("no route to 10.0.0.2") }, Process: oneTemplate})
	if n := process(t, `{"count":1}`); n != processFailed {
		t.Fatalf("runProcess = %d", n)
	}
	if got := lastError(*logs); got != "no route to 10.0.0.2" {
		t.Fatalf("error %q", got)
	}
}
