// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/rosterhq/roster"
)

// XML carries no types: a user's settings sent as XML arrive with every
// number and boolean as a string and every empty object or array as "".
// typeXMLSettings gives them their types back, so that a document read
// as XML and sent back unchanged changes nothing:
//
//  1. where the organisation's settings schema says what a value is
//     (type integer, number, boolean, object, array or null), text that
//     reads as such is that;
//  2. elsewhere, text equal to what the stored value is written as in
//     XML ("3" for 3, "true" for true, "" for {} or []) is the stored
//     value;
//  3. anything else stays a string (and the schema, if any, judges it).
//
// The settings object itself is an object even when empty.
func (s *Service) typeXMLSettings(ctx context.Context, r roster.Reader, orgID string, stored, settings json.RawMessage) (json.RawMessage, error) {
	v, ok := decodeNumbers(settings)
	if !ok {
		return settings, nil // not JSON: BuildUser says so
	}
	if str, isStr := v.(string); isStr && str == "" {
		v = map[string]any{}
	}
	var schema any
	if doc, err := nearestSchema(ctx, r, orgID); err != nil {
		return nil, err
	} else if doc != nil {
		schema, _ = decodeNumbers(doc)
	}
	old, _ := decodeNumbers(stored)
	out, err := json.Marshal(typeXMLValue(v, old, schema))
	if err != nil {
		return nil, err
	}
	return out, nil
}

func decodeNumbers(raw []byte) (any, bool) {
	var v any
	return v, len(raw) > 0 && unmarshalNumbers(raw, &v) == nil
}

// typeXMLValue types v (a value read from XML) by schema (the part of
// the settings schema that describes it, nil when none does) and old
// (the stored value at the same place, nil when none).
func typeXMLValue(v, old, schema any) any {
	switch x := v.(type) {
	case map[string]any:
		oldObj, _ := old.(map[string]any)
		for k, item := range x {
			x[k] = typeXMLValue(item, oldObj[k], propertySchema(schema, k))
		}
		return x
	case []any:
		oldArr, _ := old.([]any)
		for i, item := range x {
			var o any
			if i < len(oldArr) {
				o = oldArr[i]
			}
			x[i] = typeXMLValue(item, o, itemSchema(schema, i))
		}
		return x
	case string:
		for _, t := range schemaTypes(schema) {
			if typed, ok := textAs(x, t); ok {
				return typed
			}
		}
		if old != nil && xmlText(old) == x {
			if _, isStr := old.(string); !isStr {
				return old
			}
		}
		return x
	}
	return v
}

// xmlText is how a JSON value is written as XML text (for the scalars and
// empty containers that are written as text alone).
func xmlText(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case map[string]any:
		if len(x) == 0 {
			return ""
		}
	case []any:
		if len(x) == 0 {
			return ""
		}
	}
	return "\x00" // matches no XML text
}

// textAs reads XML text as a value of a JSON Schema type.
func textAs(text, typ string) (any, bool) {
	switch typ {
	case "integer":
		if _, err := strconv.ParseInt(text, 10, 64); err == nil && json.Valid([]byte(text)) {
			return json.Number(text), true
		}
	case "number":
		// JSON's number grammar (no NaN, Inf or hex), within float64.
		if _, err := strconv.ParseFloat(text, 64); err == nil && json.Valid([]byte(text)) {
			return json.Number(text), true
		}
	case "boolean":
		if b, err := strconv.ParseBool(text); err == nil && (text == "true" || text == "false") {
			return b, true
		}
	case "object":
		if text == "" {
			return map[string]any{}, true
		}
	case "array":
		if text == "" {
			return []any{}, true
		}
	case "null":
		if text == "" {
			return nil, true
		}
	case "string":
		return text, true
	}
	return nil, false
}

// schemaTypes returns the types a schema allows, in its order ("type"
// as a string or a list); none when it says nothing.
func schemaTypes(schema any) []string {
	m, _ := schema.(map[string]any)
	switch t := m["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// propertySchema returns the schema of an object's member: from
// properties, else additionalProperties.
func propertySchema(schema any, key string) any {
	m, _ := schema.(map[string]any)
	if props, ok := m["properties"].(map[string]any); ok {
		if p, ok := props[key]; ok {
			return p
		}
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		return ap
	}
	return nil
}

// itemSchema returns the schema of an array's i-th item: from
// prefixItems, else items.
func itemSchema(schema any, i int) any {
	m, _ := schema.(map[string]any)
	if prefix, ok := m["prefixItems"].([]any); ok && i < len(prefix) {
		return prefix[i]
	}
	if items, ok := m["items"].(map[string]any); ok {
		return items
	}
	return nil
}
