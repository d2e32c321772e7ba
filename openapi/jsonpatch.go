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
					"type":        []string{"object", "array", "string", "number", "boolean", "null"},
					"items":       map[string]any{}, // an array of anything (linters want items beside type array)
					"description": "The value to add, to replace with or to compare with: any JSON value.",
				},
			}, "value"),
			shape([]string{"remove"}, map[string]any{}),
			shape([]string{"move", "copy"}, map[string]any{"from": pointer("JSON Pointer to the value to move or copy.")}, "from"),
		},
		"xml": map[string]any{"name": "item"},
	}
}
