// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestXMLRoundTripIsANoOp: a user read as XML and sent back unchanged
// with PUT (or PATCH) changes nothing: no new version, the settings keep
// their JSON types (numbers, booleans, empty objects and arrays), with
// and without an organisation settings schema; and typed values sent as
// XML get the type the schema gives them.
func TestXMLRoundTripIsANoOp(t *testing.T) {
	s := startServer(t)
	plain := s.do("POST", "/v1/orgs", map[string]any{"name": "Plain"}).want(201).str("id")
	typed := s.do("POST", "/v1/orgs", map[string]any{"name": "Typed"}).want(201).str("id")
	s.do("PUT", "/v1/orgs/"+typed+"/settings-schema", map[string]any{
		"type": "object",
		"properties": map[string]any{
			"retries": map[string]any{"type": "integer"},
			"ratio":   map[string]any{"type": "number"},
			"on":      map[string]any{"type": "boolean"},
			"name":    map[string]any{"type": "string"},
			"list":    map[string]any{"type": "array", "items": map[string]any{"type": "integer"}},
			"nested":  map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "boolean"}},
		},
	}).want(200)
	settings := map[string]any{"retries": 3, "ratio": 1.5, "on": true, "name": "007", "list": []any{1, 2}, "nested": map[string]any{"x": false}}
	for i, c := range []struct {
		org      string
		settings map[string]any
	}{
		{plain, map[string]any{}},
		{plain, settings},
		{plain, map[string]any{"empty": map[string]any{}, "none": []any{}, "text": "3", "deep": map[string]any{"n": 2.25, "b": false}}},
		{typed, map[string]any{}},
		{typed, settings},
	} {
		u := s.createUser(map[string]any{"email": "x" + string(rune('a'+i)) + "@example.com", "organization_id": c.org, "settings": c.settings})
		id := u["id"].(string)
		doc := s.do("GET", "/v1/users/"+id+".xml", nil).want(200).Body
		for _, method := range []string{"PUT", "PATCH"} {
			back := s.do(method, "/v1/users/"+id, string(doc), "Content-Type", "application/xml").want(200).obj()
			if back["version"] != u["version"] {
				t.Errorf("case %d: %s of the unchanged XML wrote version %v (was %v)", i, method, back["version"], u["version"])
			}
			if !reflect.DeepEqual(back["settings"], u["settings"]) {
				got, _ := json.Marshal(back["settings"])
				want, _ := json.Marshal(u["settings"])
				t.Errorf("case %d: %s of the unchanged XML changed the settings:\n got  %s\n want %s", i, method, got, want)
			}
		}
	}
	// New values sent as XML are typed by the schema.
	u := s.createUser(map[string]any{"email": "new@example.com", "organization_id": typed})
	xml := `<user><first_name>Test</first_name><organization_id>` + typed + `</organization_id><settings><retries>5</retries><ratio>2</ratio><on>false</on><name>12</name><list><item>7</item></list><nested><y>true</y></nested></settings></user>`
	got := s.do("PUT", "/v1/users/"+u["id"].(string), xml, "Content-Type", "application/xml").want(200).obj()["settings"]
	want := map[string]any{"retries": 5.0, "ratio": 2.0, "on": false, "name": "12", "list": []any{7.0}, "nested": map[string]any{"y": true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("XML settings typed by the schema: got %v, want %v", got, want)
	}
	// Without a schema, new text stays text.
	u = s.createUser(map[string]any{"email": "plain@example.com", "organization_id": plain})
	got = s.do("PATCH", "/v1/users/"+u["id"].(string), `<user><settings><n>4</n></settings></user>`, "Content-Type", "application/xml").want(200).obj()["settings"]
	if !reflect.DeepEqual(got, map[string]any{"n": "4"}) {
		t.Errorf("new XML text without a schema: %v", got)
	}
	if !strings.Contains(string(s.do("GET", "/v1/users/"+u["id"].(string)+".xml", nil).want(200).Body), "<n>4</n>") {
		t.Error("the XML form lost the value")
	}
}
