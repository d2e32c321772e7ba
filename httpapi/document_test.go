// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/webhook"
)

// TestDocumentForGenerators pins, on Roster's own document, what generated
// clients and validating proxies rely on: merge patches are their own
// schemas, responses list what is always there, scopes belong to an oauth2
// scheme, each response has one media type and free-form JSON has a type.
func TestDocumentForGenerators(t *testing.T) {
	b, err := Document("test")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Security []map[string][]string `json:"security"`
		Paths    map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"responses"`
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
		Components struct {
			Schemas         map[string]map[string]any `json:"schemas"`
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	props := func(name string) map[string]any {
		t.Helper()
		s, ok := schemas[name]
		if !ok {
			t.Fatalf("no %s schema", name)
		}
		p, _ := s["properties"].(map[string]any)
		return p
	}
	requires := func(name string) []string {
		var out []string
		list, _ := schemas[name]["required"].([]any)
		for _, r := range list {
			out = append(out, r.(string))
		}
		return out
	}

	t.Run("MergePatchBodies", func(t *testing.T) {
		for path, want := range map[string]string{"/v1/users/{id}": "UserPatch", "/v1/orgs/{id}": "OrgPatch", "/v1/webhooks/{id}": "WebhookPatch"} {
			content := doc.Paths[path]["patch"].RequestBody.Content
			for _, ct := range []string{"application/merge-patch+json", "application/json"} {
				if got := content[ct].Schema["$ref"]; got != "#/components/schemas/"+want {
					t.Errorf("PATCH %s %s: schema %v, want %s", path, ct, got, want)
				}
			}
			if got := content["application/json-patch+json"].Schema["items"]; !strings.Contains(mustMarshal(t, got), "JSONPatchOperation") {
				t.Errorf("PATCH %s: JSON Patch items %v", path, got)
			}
			if r := requires(want); len(r) > 0 {
				t.Errorf("%s requires %v", want, r)
			}
		}
		// null resets an optional field; a required one cannot be removed.
		if got := mustMarshal(t, props("UserPatch")["last_name"]); !strings.Contains(got, `"null"`) {
			t.Errorf("UserPatch.last_name %s does not take null", got)
		}
		if got := mustMarshal(t, props("UserPatch")["first_name"]); strings.Contains(got, `null`) {
			t.Errorf("UserPatch.first_name %s takes null", got)
		}
		if got := mustMarshal(t, props("WebhookPatch")["auth"]); !strings.Contains(got, "WebhookAuthPatch") || !strings.Contains(got, `"null"`) {
			t.Errorf("WebhookPatch.auth %s", got)
		}
		// The create bodies keep their required fields.
		if r := requires("UserInput"); !slices.Contains(r, "first_name") {
			t.Errorf("UserInput requires %v", r)
		}
	})

	t.Run("ResponsesRequired", func(t *testing.T) {
		for name, want := range map[string][]string{
			"UserResource":    {"id", "organization_id", "email", "first_name", "version", "created_at", "_links"},
			"OrgResource":     {"id", "name", "version"},
			"WebhookResource": {"id", "url", "events", "signing"},
			"UserList":        {"items", "next_cursor"},
			"Event":           {"id", "type", "occurred_at", "actor", "resource", "patch"},
			"TokenResponse":   {"access_token", "token_type"},
		} {
			for _, field := range want {
				if !slices.Contains(requires(name), field) {
					t.Errorf("%s does not require %s (requires %v)", name, field, requires(name))
				}
			}
		}
	})

	t.Run("PreferMinimalIs204", func(t *testing.T) {
		for _, rt := range (&server{}).routeTable() {
			op := rt.op
			takes := slices.ContainsFunc(op.Params, func(p openapi.Param) bool { return p.Name == "Prefer" })
			answers := slices.ContainsFunc(op.Responses, func(r openapi.Response) bool { return r.Status == 204 })
			if takes && !answers {
				t.Errorf("%s %s takes Prefer: return=minimal but documents no 204", op.Method, op.Path)
			}
		}
	})

	t.Run("OAuth2Scopes", func(t *testing.T) {
		o := doc.Components.SecuritySchemes["oauth2"]
		flows, _ := o["flows"].(map[string]any)
		cc, _ := flows["clientCredentials"].(map[string]any)
		if o["type"] != "oauth2" || cc["tokenUrl"] != "/v1/auth/token" {
			t.Fatalf("oauth2 scheme %v", o)
		}
		if scopes, _ := cc["scopes"].(map[string]any); scopes["users:write:all"] == nil || scopes["webhooks:read"] == nil {
			t.Errorf("scopes %v", cc["scopes"])
		}
		n := 0
		for path, item := range doc.Paths {
			for method, op := range item {
				for _, req := range op.Security {
					if s, ok := req["bearer"]; ok && len(s) > 0 {
						t.Errorf("%s %s lists scopes %v against the bearer scheme", method, path, s)
					}
					if _, ok := req["oauth2"]; ok {
						n++
					}
				}
			}
		}
		if n == 0 {
			t.Error("no operation lists oauth2 scopes")
		}
	})

	t.Run("OneMediaTypePerResponse", func(t *testing.T) {
		for path, item := range doc.Paths {
			for method, op := range item {
				for status, r := range op.Responses {
					_, protocol := r.Content["application/json"]
					_, problem := r.Content["application/problem+json"]
					if len(r.Content) > 1 && !(protocol && problem && len(r.Content) == 2 && status >= "4") {
						t.Errorf("%s %s %s has %d media types", method, path, status, len(r.Content))
					}
					for mt := range r.Content {
						if strings.Contains(mt, "xml") {
							t.Errorf("%s %s %s: %s", method, path, status, mt)
						}
					}
				}
			}
		}
	})

	t.Run("OAuthErrorsMayBeProblems", func(t *testing.T) {
		// A bad query or format on the token endpoint is refused before it
		// runs, as a problem document (found through Prism).
		for _, path := range []string{"/v1/auth/token", "/v1/auth/revoke"} {
			c := doc.Paths[path]["post"].Responses["400"].Content
			if _, ok := c["application/json"]; !ok {
				t.Errorf("%s 400: no OAuth error", path)
			}
			if _, ok := c["application/problem+json"]; !ok {
				t.Errorf("%s 400: no problem document", path)
			}
		}
	})

	t.Run("FreeFormJSONHasATypeNow", func(t *testing.T) {
		for _, c := range []struct{ schema, field, want string }{
			{"UserResource", "settings", `"object"`},
			{"UserInput", "settings", `"object"`},
			{"UserPatch", "settings", `"object"`},
			{"Event", "data", `"object"`},
			{"Event", "previous", `"object"`},
			{"Event", "patch", "JSONPatchOperation"},
			{"AuditEntry", "patch", "JSONPatchOperation"},
		} {
			if got := mustMarshal(t, props(c.schema)[c.field]); !strings.Contains(got, c.want) {
				t.Errorf("%s.%s: %s, want %s in it", c.schema, c.field, got, c.want)
			}
		}
		op := mustMarshal(t, schemas["JSONPatchOperation"])
		if !strings.Contains(op, `"oneOf"`) || !strings.Contains(op, `"boolean"`) {
			t.Errorf("JSONPatchOperation: %s", op)
		}
	})
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWebhookMessageMatchesRender: the webhooks section's body is what
// webhook.Render sends, for a change and for a deletion.
func TestWebhookMessageMatchesRender(t *testing.T) {
	names := map[string]bool{}
	var required []string
	rt := reflect.TypeFor[WebhookMessage]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names[name] = true
		if f.Tag.Get("required") == "true" {
			required = append(required, name)
		}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		name string
		e    roster.Event
	}{
		{"update", roster.Event{ID: "evt_1", Type: "user.updated", OccurredAt: at, Actor: roster.Actor{UserID: "usr_1"}, RequestID: "req_1",
			Resource: roster.ResourceRef{Type: "user", ID: "usr_2"}, OrgID: "org_1", Reason: "why",
			Data: json.RawMessage(`{"id":"usr_2"}`), Previous: json.RawMessage(`{"id":"usr_2","x":1}`), Patch: json.RawMessage(`[{"op":"remove","path":"/x"}]`)}},
		{"deletion", roster.Event{ID: "evt_2", Type: "user.deleted", OccurredAt: at, Resource: roster.ResourceRef{Type: "user", ID: "usr_2"},
			Previous: json.RawMessage(`{"id":"usr_2"}`), Patch: json.RawMessage(`[]`)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, err := webhook.Render(&roster.Webhook{IncludePrevious: true}, &c.e)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			for k := range m {
				if !names[k] {
					t.Errorf("Render sends %q, which WebhookMessage does not describe: %s", k, body)
				}
			}
			for _, k := range required {
				if _, ok := m[k]; !ok {
					t.Errorf("Render left out required %q: %s", k, body)
				}
			}
		})
	}
}
