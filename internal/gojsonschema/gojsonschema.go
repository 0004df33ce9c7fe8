// Package gojsonschema derives a JSON Schema (2020-12) from the Go types
// a document is encoded from with encoding/json, so the schema shipped
// beside a format cannot drift from what the code writes: a field is
// required unless its tag says omitempty (or it is a pointer), objects
// allow no other properties, time.Time is a date-time string.
package gojsonschema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// For returns the schema of values of type t, with the given $id and
// title; consts fixes the value of top-level string properties (such as
// apiVersion and kind).
func For(t reflect.Type, id, title string, consts map[string]string) ([]byte, error) {
	s, err := schemaOf(t)
	if err != nil {
		return nil, err
	}
	props, _ := s["properties"].(map[string]any)
	for k, v := range consts {
		if _, ok := props[k]; !ok {
			return nil, fmt.Errorf("gojsonschema: %s has no property %q", t, k)
		}
		props[k] = map[string]any{"const": v}
	}
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = id
	s["title"] = title
	out, err := json.MarshalIndent(s, "", "  ")
	return append(out, '\n'), err
}

var timeType = reflect.TypeOf(time.Time{})

func schemaOf(t reflect.Type) (map[string]any, error) {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}, nil
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}, nil
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}, nil
	case reflect.Slice, reflect.Array:
		items, err := schemaOf(t.Elem())
		if err != nil {
			return nil, err
		}
		// encoding/json writes a nil slice as null.
		return map[string]any{"type": []string{"array", "null"}, "items": items}, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("gojsonschema: map key %s is no string", t.Key())
		}
		v, err := schemaOf(t.Elem())
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "object", "additionalProperties": v}, nil
	case reflect.Struct:
		return structSchema(t)
	case reflect.Interface:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("gojsonschema: no schema for %s", t)
}

func structSchema(t reflect.Type) (map[string]any, error) {
	props := map[string]any{}
	required := []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if f.Anonymous && tag == "" {
			return nil, fmt.Errorf("gojsonschema: embedded %s in %s is not supported", f.Type, t)
		}
		s, err := schemaOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name(), f.Name, err)
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}, nil
}
