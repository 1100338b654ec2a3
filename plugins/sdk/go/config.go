package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// DecodeConfig decodes a plugin config, or a request (which carries the
// config), into the struct v points to. A key v has no field for is an
// error, so that a misspelt key fails instead of leaving a silent default;
// the keys the host adds to a request are skipped, so config structs must not
// use their names. Fields absent from data keep their values: set defaults
// before calling. Errors are worded for the user, naming the offending key.
//
// One exception to the rule on unknown keys: when Init runs for a request
// (see request_config.go), a key that only the request gave and v has no
// field for is skipped with a warning instead. A host that passes the config
// in the request may add keys of its own there, which the plugin cannot tell
// from a typo; refusing them would make the plugin unusable in that host,
// with nothing the user could change, while the warning still shows a typo.
func DecodeConfig(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return describeConfigError(err, v)
	}
	for _, k := range hostKeys {
		delete(obj, k)
	}
	skipUnknownRequestKeys(obj, v)
	rest, err := json.Marshal(obj)
	if err != nil {
		return describeConfigError(err, v)
	}
	dec := json.NewDecoder(bytes.NewReader(rest))
	dec.DisallowUnknownFields()
	return describeConfigError(dec.Decode(v), v)
}

func skipUnknownRequestKeys(obj map[string]json.RawMessage, v any) {
	known := knownKeys(v)
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		// encoding/json matches keys to fields regardless of case, so this does too.
		isKnown := slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, key) })
		if requestOnlyKeys[key] && !isKnown {
			Warnf("request key %q ignored: not a config key of this plugin (known keys: %s)", key, strings.Join(known, ", "))
			delete(obj, key)
		}
	}
}

func describeConfigError(err error, v any) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syntax):
		return fmt.Errorf("config is not valid JSON: %s (at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Errorf("config must be a JSON object, not %s", valueName(typ.Value))
	case errors.As(err, &typ):
		return fmt.Errorf("config key %q must be %s, not %s", configKey(typ.Field, v), kindName(typ.Type), valueName(typ.Value))
	}
	// encoding/json reports unknown fields with a plain error.
	if key, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown config key %s (known keys: %s)", key, strings.Join(knownKeys(v), ", "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

// configKey is the key an UnmarshalTypeError's Field path names, without
// the Go names encoding/json puts in it for the embedded structs (such as
// FlowKeys) the key is promoted from.
func configKey(path string, v any) string {
	t := reflect.TypeOf(v)
	var key []string
	for _, name := range strings.Split(path, ".") {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t != nil && t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(name); ok && f.Anonymous {
				t = f.Type
				continue
			}
		}
		key = append(key, name)
		t = nil // a nested object's keys are JSON names: the rest stays as it is
	}
	return strings.Join(key, ".")
}

func kindName(t reflect.Type) string {
	if t == rangeSettingType {
		return `a range "A-B" or a single value`
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Int8, reflect.Int16, reflect.Int32,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer that fits " + t.Kind().String()
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}

// valueName words what UnmarshalTypeError.Value says was found: a JSON
// type ("string", "array"), or "number" and the number itself.
func valueName(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return n
	}
	switch v {
	case "array", "object":
		return "an " + v
	case "bool":
		return "a boolean"
	}
	return "a " + v
}

// knownKeys lists the JSON keys of the struct v points to.
func knownKeys(v any) []string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	keys := structKeys(t)
	slices.Sort(keys)
	return keys
}

// structKeys lists the JSON keys of struct type t, those of an untagged
// embedded struct (such as FlowKeys) included, as encoding/json reads them.
func structKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			keys = append(keys, structKeys(f.Type)...)
			continue
		case !f.IsExported() || name == "-":
			continue
		case name == "":
			name = f.Name
		}
		keys = append(keys, name)
	}
	return keys
}

// CheckIntKey checks that value, the integer config key key, lies in lo..hi.
func CheckIntKey(key string, value, lo, hi int) error {
	if value < lo || value > hi {
		return fmt.Errorf("%s %d is out of range %d..%d", key, value, lo, hi)
	}
	return nil
}
