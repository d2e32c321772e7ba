// SPDX-License-Identifier: Apache-2.0

package openapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The tests below pin what generated clients and validating proxies rely
// on (openapi-typescript, ogen, Prism): a merge patch is not the create
// body, responses say what is always there, scopes belong to an oauth2
// scheme, and each response has one media type.

// TestBuild_MergePatch: the merge-patch body of PATCH is its own schema,
// with nothing required and null where null removes a member.
func TestBuild_MergePatch(t *testing.T) {
	_, doc := mustBuild(t)
	patch := at(t, doc, "components", "schemas", "UserPatch").(map[string]any)
	if r, ok := patch["required"]; ok {
		t.Errorf("UserPatch requires %v; a merge patch requires nothing", r)
	}
	props := patch["properties"].(map[string]any)
	// User requires first_name: removing it (null) cannot be valid.
	jsonEq(t, "first_name", props["first_name"], `{"type":"string","minLength":1,"maxLength":255}`)
	jsonEq(t, "last_name", props["last_name"], `{"type":["string","null"],"maxLength":255}`)
	jsonEq(t, "status", props["status"], `{"type":["string","null"],"enum":["enabled","disabled",null],"description":"A disabled user cannot sign in."}`)
	// Nested objects merge: they are patches too.
	jsonEq(t, "phone", props["phone"], `{"anyOf":[{"$ref":"#/components/schemas/PhonePatch"},{"type":"null"}]}`)
	jsonEq(t, "preferences", props["preferences"], `{"anyOf":[{"$ref":"#/components/schemas/PreferencesPatch"},{"type":"null"}]}`)
	if _, ok := at(t, doc, "components", "schemas", "PhonePatch").(map[string]any)["required"]; ok {
		t.Error("PhonePatch has a required list")
	}
	jsonEq(t, "notifications", props["notifications"], `{"type":["object","null"],"additionalProperties":
		{"anyOf":[{"$ref":"#/components/schemas/NotificationSettingPatch"},{"type":"null"}]}}`)
	// Arrays are replaced whole: their items are complete values.
	jsonEq(t, "tags", props["tags"], `{"type":["array","null"],"items":{"$ref":"#/components/schemas/Tag","xml":{"name":"item"}},"xml":{"wrapped":true}}`)
	jsonEq(t, "Tag required", at(t, doc, "components", "schemas", "Tag", "required"), `["name"]`)
	// The create body keeps its rules.
	jsonEq(t, "User required", at(t, doc, "components", "schemas", "User", "required"), `["email","first_name"]`)
}

// TestBuild_ResponseRequired: a type only responses use lists what is
// always written as required, so generated fields are not optional.
func TestBuild_ResponseRequired(t *testing.T) {
	_, doc := mustBuild(t)
	jsonEq(t, "Token", at(t, doc, "components", "schemas", "Token", "required"), `["access_token","token_type","expires_in"]`)
	// ListUser's next_cursor is omitempty: not required.
	jsonEq(t, "ListUser", at(t, doc, "components", "schemas", "ListUser", "required"), `["items"]`)
	// Problem's members are all omitempty.
	if r, ok := at(t, doc, "components", "schemas", "Problem").(map[string]any)["required"]; ok {
		t.Errorf("Problem requires %v", r)
	}
}

// TestBuild_OneMediaTypePerResponse: every response with a body has
// exactly one media type, a JSON one, except text and HTML pages, and the
// errors of a protocol with its own format (which may also be problems).
func TestBuild_OneMediaTypePerResponse(t *testing.T) {
	_, doc := mustBuild(t)
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			for status, r := range op.(map[string]any)["responses"].(map[string]any) {
				content, ok := r.(map[string]any)["content"].(map[string]any)
				if !ok {
					continue
				}
				if _, protocol := content["application/json"]; len(content) != 1 && !(protocol && status >= "4" && len(content) == 2 && content["application/problem+json"] != nil) {
					t.Errorf("%s %s %s: %d media types", method, path, status, len(content))
				}
				for mt := range content {
					if !strings.HasSuffix(mt, "json") && mt != "text/plain" && mt != "text/html" {
						t.Errorf("%s %s %s: media type %s", method, path, status, mt)
					}
				}
			}
		}
	}
}

// TestBuild_FormatParameter: XML is asked for with the documented format
// parameter, on operations that answer a document.
func TestBuild_FormatParameter(t *testing.T) {
	_, doc := mustBuild(t)
	jsonEq(t, "schema", at(t, doc, "components", "parameters", "format", "schema"), `{"type":"string","enum":["json","xml"],"default":"json"}`)
	params := at(t, doc, "paths", "/v1/users/{id}", "get", "parameters").([]any)
	jsonEq(t, "getUser", params[len(params)-1], `{"$ref":"#/components/parameters/format"}`)
	for _, op := range []any{at(t, doc, "paths", "/v1/users/{id}", "delete"), at(t, doc, "paths", "/docs", "get")} {
		params, _ := op.(map[string]any)["parameters"].([]any)
		for _, p := range params {
			if p.(map[string]any)["$ref"] != nil {
				t.Errorf("an operation without a JSON answer has the format parameter")
			}
		}
	}
	ops := sampleOps()
	for i := range ops {
		ops[i].JSONOnly = ops[i].ID == "getUser"
	}
	b, err := Build(sampleInfo, ops)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b[strings.Index(string(b), `"operationId": "getUser"`):][:600]), "parameters/format") {
		t.Error("a JSONOnly operation has the format parameter")
	}
	noXML := sampleInfo
	noXML.XML = ""
	b, err = Build(noXML, sampleOps())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "parameters/format") {
		t.Error("without Info.XML there is a format parameter")
	}
}

// TestBuild_SchemaTag refuses an unknown schema tag.
func TestBuild_SchemaTag(t *testing.T) {
	op := Operation{Method: "GET", Path: "/x", ID: "x", Tag: "x", Summary: "x", Responses: []Response{{Status: 200, Type: reflect.TypeFor[struct {
		A any `json:"a" schema:"thing"`
	}]()}}}
	if _, err := Build(sampleInfo, []Operation{op}); err == nil || !strings.Contains(err.Error(), `unknown schema:"thing"`) {
		t.Errorf("got %v", err)
	}
}

// TestBuild_Webhooks: requests the server sends are the document's
// webhooks, without the default problem, security or format parameter.
func TestBuild_Webhooks(t *testing.T) {
	info := sampleInfo
	info.Webhooks = []Operation{{Method: "POST", Path: "event", ID: "event", Tag: "users", Summary: "A change",
		Params:    []Param{{Name: "webhook-id", In: "header", Required: true}},
		Body:      []Media{{ContentType: "application/json", Type: reflect.TypeFor[Token]()}},
		Responses: []Response{{Status: 200, Description: "Accepted."}}}}
	b, err := Build(info, sampleOps())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	op := at(t, doc, "webhooks", "event", "post").(map[string]any)
	jsonEq(t, "responses", op["responses"], `{"200":{"description":"Accepted."}}`)
	jsonEq(t, "body", at(t, op, "requestBody", "content"), `{"application/json":{"schema":{"$ref":"#/components/schemas/Token"}}}`)
	if _, ok := op["security"]; ok {
		t.Error("a webhook has a security requirement")
	}
	jsonEq(t, "parameters", op["parameters"], `[{"name":"webhook-id","in":"header","required":true,"schema":{"type":"string"}}]`)
	// Token is now also a request body: no longer response-only.
	if _, ok := at(t, doc, "components", "schemas", "Token").(map[string]any)["required"]; ok {
		t.Error("Token, sent in a webhook, kept its response-only required list")
	}
	info.Webhooks[0].Summary = ""
	if _, err := Build(info, sampleOps()); err == nil {
		t.Error("a webhook without a summary was accepted")
	}
}
