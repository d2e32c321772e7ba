// SPDX-License-Identifier: Apache-2.0

package openapi

// JSONPatchOperation is one operation of an RFC 6902 JSON Patch document.
// Its schema (the JSONPatchOperation component) is one of three shapes, by
// op: add, replace and test need a value (any JSON value, null too);
// remove needs neither value nor from; move and copy need from.
type JSONPatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	From  string `json:"from,omitempty"`
	Value any    `json:"value,omitempty"`
}

// OpenAPISchema describes the operation as a oneOf of its three shapes.
func (JSONPatchOperation) OpenAPISchema() map[string]any {
	pointer := func(desc string) map[string]any {
		return map[string]any{"type": "string", "description": desc}
	}
	path := pointer("JSON Pointer (RFC 6901) to the target, e.g. /preferences/language; - appends to an array.")
	shape := func(ops []string, props map[string]any, required ...string) map[string]any {
		props["op"] = map[string]any{"type": "string", "enum": ops}
		props["path"] = path
		return map[string]any{"type": "object", "properties": props, "required": append([]string{"op", "path"}, required...)}
	}
	return map[string]any{
		"description": "One RFC 6902 operation.",
		"oneOf": []any{
			shape([]string{"add", "replace", "test"}, map[string]any{
				"value": map[string]any{
					"oneOf":       anyValueOneOf(),
					"description": "The value to add, to replace with or to compare with: any JSON value.",
				},
			}, "value"),
			shape([]string{"remove"}, map[string]any{}),
			shape([]string{"move", "copy"}, map[string]any{"from": pointer("JSON Pointer to the value to move or copy.")}, "from"),
		},
		"xml": map[string]any{"name": "item"},
	}
}

// anyValueOneOf spells out "any JSON value" as one schema per JSON type,
// exactly one of which matches any value. Generators type it as a union
// (openapi-typescript) or a sum type (ogen, which refuses a type list of
// more than a type and null), where an empty schema gives them nothing.
func anyValueOneOf() []any {
	return []any{
		map[string]any{"type": "object"},
		map[string]any{"type": "array", "items": map[string]any{}},
		map[string]any{"type": "string"},
		map[string]any{"type": "number"},
		map[string]any{"type": "boolean"},
		map[string]any{"type": "null"},
	}
}
