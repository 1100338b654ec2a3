package sdk

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// Hosts differ in where the user's config arrives. xdperf passes it to
// plugin_init and again inside each request; the seed's xdperf host never
// calls plugin_init and passes it only inside the request, beside keys it
// adds for itself. So that a plugin works under either, the SDK reads a
// request's config keys as config too, laid over what plugin_init gave (the
// request wins), and runs Init again before Process whenever that changes the
// config Init last accepted, or Init never succeeded: a plugin then starts
// from its defaults, not from zero values.

var (
	// initConfig is the object plugin_init gave, once Init has accepted it;
	// nil when plugin_init never succeeded (or plugin_cleanup ran since).
	initConfig map[string]json.RawMessage
	// accepted is the config Init last accepted: initConfig, or initConfig
	// with a request's config keys over it. nil until Init succeeds.
	accepted map[string]json.RawMessage
	// requestOnlyKeys are the keys of the config being decoded that only a
	// request gave; DecodeConfig skips those it does not know, with a warning.
	requestOnlyKeys map[string]bool
)

// configObject reads a config as a JSON object; no config at all, or one
// that is not an object (which Init has accepted, so it is the plugin's
// business), is an empty one.
func configObject(data []byte) map[string]json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil {
		return map[string]json.RawMessage{}
	}
	return obj
}

// configureFromRequest makes sure Init has accepted the config this request
// asks for before Process runs.
func configureFromRequest(request []byte) error {
	merged := maps.Clone(initConfig)
	if merged == nil {
		merged = map[string]json.RawMessage{}
	}
	fresh := map[string]bool{}
	for key, value := range configObject(request) {
		if slices.Contains(hostKeys, key) {
			continue
		}
		if _, fromInit := initConfig[key]; !fromInit {
			fresh[key] = true
		}
		merged[key] = value
	}
	if accepted != nil && maps.EqualFunc(merged, accepted, sameJSON) {
		return nil
	}
	data, err := json.Marshal(merged)
	if err != nil {
		return err
	}
	requestOnlyKeys = fresh
	defer func() { requestOnlyKeys = nil }()
	accepted = nil
	if err := callInit(data); err != nil {
		return err
	}
	accepted = merged
	return nil
}

// sameJSON tells whether two JSON values are written the same, spacing aside.
func sameJSON(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
