// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// settingsExample is one of the example schemas in examples/settings and
// the values its seed page gives.
type settingsExample struct {
	file    string            // in examples/settings
	seed    string            // settings: the seed page's own example values
	invalid []settingsInvalid // merge patches of seed that the schema refuses
}

// settingsInvalid is a merge patch of a user's settings that the schema
// must refuse.
type settingsInvalid struct {
	name  string
	patch string   // RFC 7396 merge patch of the settings
	where []string // the error names one of these locations
	value string   // JSON of the rejected value the error should carry; "" not checked
	names string   // a word the location or message must contain; "" not checked
}

var settingsExamples = []settingsExample{
	{
		// Page 000 (fax): its request example, settings plus account_data.
		file: "fax.schema.json",
		seed: `{"caller_id_name": "Fax.Plus",
			"send_fax": {"options": {}, "retry": {"count": 0, "delay": 0}, "should_enhance": true},
			"account_data": {"default_file_type": "pdf", "save_history": true}}`,
		invalid: []settingsInvalid{
			{name: "NegativeRetryCount", patch: `{"send_fax": {"retry": {"count": -1}}}`, where: []string{"body.settings.send_fax.retry.count"}, value: `-1`},
			{name: "RetryCountOverMax", patch: `{"send_fax": {"retry": {"count": 1000}}}`, where: []string{"body.settings.send_fax.retry.count"}, value: `1000`},
			{name: "FractionalRetryDelay", patch: `{"send_fax": {"retry": {"delay": 1.5}}}`, where: []string{"body.settings.send_fax.retry.delay"}, value: `1.5`},
			{name: "StringBoolean", patch: `{"send_fax": {"should_enhance": "yes"}}`, where: []string{"body.settings.send_fax.should_enhance"}, value: `"yes"`},
			{name: "UnknownFileType", patch: `{"account_data": {"default_file_type": "docx"}}`, where: []string{"body.settings.account_data.default_file_type"}, value: `"docx"`},
			{name: "LongCallerID", patch: `{"caller_id_name": "` + strings.Repeat("x", 65) + `"}`, where: []string{"body.settings.caller_id_name"}},
			{name: "UnknownProperty", patch: `{"send_fax": {"colour": "red"}}`, where: []string{"body.settings.send_fax", "body.settings.send_fax.colour"}, names: "colour"},
		},
	},
	{
		// Page 001 (telephony) gives the enums but no example values.
		file: "telephony.schema.json",
		seed: `{"webphone": {"ring_tone": "ringtone3", "ring_device": true,
			"call_waiting": {"enabled": true, "play_waiting_tone": false}}}`,
		invalid: []settingsInvalid{
			{name: "UnknownRingTone", patch: `{"webphone": {"ring_tone": "ringtone9"}}`, where: []string{"body.settings.webphone.ring_tone"}, value: `"ringtone9"`},
			{name: "StringBoolean", patch: `{"webphone": {"ring_device": "true"}}`, where: []string{"body.settings.webphone.ring_device"}, value: `"true"`},
			{name: "NumberBoolean", patch: `{"webphone": {"call_waiting": {"play_waiting_tone": 1}}}`, where: []string{"body.settings.webphone.call_waiting.play_waiting_tone"}, value: `1`},
			{name: "PageCamelCase", patch: `{"webphone": {"ringTone": "ringtone1"}}`, where: []string{"body.settings.webphone", "body.settings.webphone.ringTone"}, names: "ringTone"},
		},
	},
	{
		// Page 002 (scheduling reseller) has no example values.
		file: "scheduling-reseller.schema.json",
		seed: `{"client_name": "Acme Dental", "created_time_zone": "Europe/Amsterdam",
			"tools": ["scheduling", "call"], "additional_users": 2}`,
		invalid: []settingsInvalid{
			{name: "NegativeAdditionalUsers", patch: `{"additional_users": -1}`, where: []string{"body.settings.additional_users"}, value: `-1`},
			{name: "BadTimeZone", patch: `{"created_time_zone": "not a zone"}`, where: []string{"body.settings.created_time_zone"}, value: `"not a zone"`},
			{name: "EmptyClientName", patch: `{"client_name": ""}`, where: []string{"body.settings.client_name"}, value: `""`},
			{name: "ToolsNotAList", patch: `{"tools": "scheduling"}`, where: []string{"body.settings.tools"}, value: `"scheduling"`},
			{name: "UnknownTool", patch: `{"tools": ["scheduling", "fax"]}`, where: []string{"body.settings.tools[1]"}, value: `"fax"`},
			{name: "SSOTokenIsNoSetting", patch: `{"sso_token": "abc"}`, where: []string{"body.settings", "body.settings.sso_token"}, names: "sso_token"},
		},
	},
	{
		// Page 003 (voice): dashboardPermissions ["ViewFiles"] from its
		// response sample; its avatarUrl "String" is a placeholder, not a
		// URL, and is refused below.
		file: "voice.schema.json",
		seed: `{"dashboard_permissions": ["ViewFiles"], "avatar_url": "https://evovoice.example/avatars/473e1eb6.png"}`,
		invalid: []settingsInvalid{
			{name: "PlaceholderAvatar", patch: `{"avatar_url": "String"}`, where: []string{"body.settings.avatar_url"}, value: `"String"`},
			{name: "ScriptAvatar", patch: `{"avatar_url": "javascript:alert(1)"}`, where: []string{"body.settings.avatar_url"}, value: `"javascript:alert(1)"`},
			{name: "PermissionsNotAList", patch: `{"dashboard_permissions": "ViewFiles"}`, where: []string{"body.settings.dashboard_permissions"}, value: `"ViewFiles"`},
			{name: "UnknownPermission", patch: `{"dashboard_permissions": ["ViewFiles", "EditFlows"]}`, where: []string{"body.settings.dashboard_permissions[1]"}, value: `"EditFlows"`},
			{name: "RolesAreNoSetting", patch: `{"roles": ["SystemAdministrator"]}`, where: []string{"body.settings", "body.settings.roles"}, names: "roles"},
		},
	},
	{
		// Page 004 (accounting): its request sample.
		file: "accounting.schema.json",
		seed: `{"timezone_id": 7, "date_time_format_id": 64, "number_format_id": 64}`,
		invalid: []settingsInvalid{
			{name: "FormatOverByte", patch: `{"date_time_format_id": 256}`, where: []string{"body.settings.date_time_format_id"}, value: `256`},
			{name: "NegativeFormat", patch: `{"number_format_id": -1}`, where: []string{"body.settings.number_format_id"}, value: `-1`},
			{name: "StringTimeZoneID", patch: `{"timezone_id": "7"}`, where: []string{"body.settings.timezone_id"}, value: `"7"`},
			{name: "AccessKeyIsNoSetting", patch: `{"ws_access_key": "wsk-secret-0123456789"}`, where: []string{"body.settings", "body.settings.ws_access_key"}, names: "ws_access_key"},
		},
	},
}

// overrideSchema is what a child organisation registers to override its
// parent's schema: it refuses every example's settings and accepts one
// that every example refuses.
const overrideSchema = `{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Override",
	"type": "object", "additionalProperties": false, "properties": {"note": {"type": "string"}}}`

func TestSettingsExampleSchemas(t *testing.T) {
	dir := filepath.Join(settingsRepoRoot(t), "examples", "settings")
	files, err := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tested []string
	for _, ex := range settingsExamples {
		tested = append(tested, filepath.Join(dir, ex.file))
	}
	slices.Sort(files)
	slices.Sort(tested)
	if !slices.Equal(files, tested) {
		t.Errorf("examples/settings holds %v, the test covers %v", files, tested)
	}
	for _, ex := range settingsExamples {
		t.Run(strings.TrimSuffix(ex.file, ".schema.json"), func(t *testing.T) {
			t.Parallel()
			schema, err := os.ReadFile(filepath.Join(dir, ex.file))
			if err != nil {
				t.Fatal(err)
			}
			testSettingsExample(t, ex, schema)
		})
	}
}

func testSettingsExample(t *testing.T, ex settingsExample, schema []byte) {
	s := startServer(t)
	var emails atomic.Int32
	// newUser creates a user in org through s, which reports to the
	// (sub)test that calls it.
	newUser := func(s *testServer, org string, settings json.RawMessage) *response {
		s.t.Helper()
		email := fmt.Sprintf("user%d@%s.example.com", emails.Add(1), strings.TrimSuffix(ex.file, ".schema.json"))
		return s.do("POST", "/v1/users", map[string]any{"first_name": "Seed", "email": email, "organization_id": org, "settings": settings})
	}
	org := s.do("POST", "/v1/orgs", map[string]any{"name": ex.file}).want(http.StatusCreated).str("id")
	schemaPath := "/v1/orgs/" + org + "/settings-schema"
	s.do("GET", schemaPath, nil).problem(http.StatusNotFound)
	if got := s.do("PUT", schemaPath, schema).want(http.StatusOK).Body; !settingsSameJSON(got, schema) {
		t.Fatalf("PUT answered %s, want the schema", got)
	}
	if got := s.do("GET", schemaPath, nil).want(http.StatusOK).Body; !settingsSameJSON(got, schema) {
		t.Fatalf("GET answered %s, want the schema", got)
	}

	// (a) The seed page's own values are accepted and read back.
	seed := json.RawMessage(ex.seed)
	res := newUser(s, org, seed).want(http.StatusCreated)
	if got := settingsField(t, res); !settingsSameJSON(got, seed) {
		t.Fatalf("created with settings %s, want %s", got, seed)
	}
	id := res.str("id")
	userPath := "/v1/users/" + id
	before := s.do("GET", userPath, nil).want(http.StatusOK)
	etag := before.Header.Get("ETag")
	if got := settingsField(t, before); etag == "" || !settingsSameJSON(got, seed) {
		t.Fatalf("GET: ETag %q, settings %s, want %s", etag, got, seed)
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		after := s.in(t).do("GET", userPath, nil).want(http.StatusOK)
		if got := after.Header.Get("ETag"); got != etag {
			t.Errorf("ETag %s after a refused write, want %s", got, etag)
		}
		if got := settingsField(t, after); !settingsSameJSON(got, seed) {
			t.Errorf("settings %s after a refused write, want %s", got, seed)
		}
	}

	// (b) Values the schema refuses: PATCH, PUT and create are all 422
	// naming the path, and the user is unchanged.
	for _, c := range ex.invalid {
		t.Run(c.name, func(t *testing.T) {
			s := s.in(t)
			bad := settingsMerge(t, seed, json.RawMessage(c.patch))
			p := s.do("PATCH", userPath, `{"settings": `+c.patch+`}`, "Content-Type", "application/merge-patch+json").problem(http.StatusUnprocessableEntity)
			checkSettingsErrors(t, "PATCH", p, c)
			checkSettingsValue(t, p, c)
			if c.names == "ws_access_key" && strings.Contains(string(mustJSON(p)), "wsk-secret") {
				t.Errorf("the problem repeats the access key: %v", p)
			}
			unchanged(t)

			full := before.obj()
			full["settings"] = bad
			checkSettingsErrors(t, "PUT", s.do("PUT", userPath, full).problem(http.StatusUnprocessableEntity), c)
			unchanged(t)

			checkSettingsErrors(t, "POST", newUser(s, org, bad).problem(http.StatusUnprocessableEntity), c)
		})
	}

	// (c) A child organisation, and its child, inherit the schema.
	child := s.do("POST", "/v1/orgs", map[string]any{"name": "Child", "parent_id": org}).want(http.StatusCreated).str("id")
	grandchild := s.do("POST", "/v1/orgs", map[string]any{"name": "Grandchild", "parent_id": child}).want(http.StatusCreated).str("id")
	for _, o := range []string{child, grandchild} {
		if got := s.do("GET", "/v1/orgs/"+o+"/settings-schema", nil).want(http.StatusOK).Body; !settingsSameJSON(got, schema) {
			t.Errorf("GET the schema of a descendant: %s, want the parent's", got)
		}
		newUser(s, o, seed).want(http.StatusCreated)
		c := ex.invalid[0]
		checkSettingsErrors(t, "POST in a descendant", newUser(s, o, settingsMerge(t, seed, json.RawMessage(c.patch))).problem(http.StatusUnprocessableEntity), c)
	}
	// A user that moves into the organisation is validated there.
	note := json.RawMessage(`{"note": "from elsewhere"}`)
	mover := newUser(s, s.do("GET", "/v1/users/me", nil).str("organization_id"), note).want(http.StatusCreated).str("id")
	moverTag := s.do("GET", "/v1/users/"+mover, nil).want(http.StatusOK).Header.Get("ETag")
	p := s.do("PATCH", "/v1/users/"+mover, map[string]any{"organization_id": child}, "Content-Type", "application/merge-patch+json").problem(http.StatusUnprocessableEntity)
	if locs := fieldErrors(p); !slices.ContainsFunc(locs, func(l string) bool { return strings.HasPrefix(l, "body.settings") }) {
		t.Errorf("moving a user whose settings the schema refuses: errors name %v, want body.settings…", locs)
	}
	if got := s.do("GET", "/v1/users/"+mover, nil).want(http.StatusOK).Header.Get("ETag"); got != moverTag {
		t.Errorf("refused move changed the ETag from %s to %s", moverTag, got)
	}

	// (d) A child that registers its own schema overrides the parent's,
	// for itself and below; the parent and its other children keep theirs.
	own := s.do("POST", "/v1/orgs", map[string]any{"name": "Own schema", "parent_id": org}).want(http.StatusCreated).str("id")
	below := s.do("POST", "/v1/orgs", map[string]any{"name": "Below own", "parent_id": own}).want(http.StatusCreated).str("id")
	s.do("PUT", "/v1/orgs/"+own+"/settings-schema", overrideSchema).want(http.StatusOK)
	for o, want := range map[string]string{own: overrideSchema, below: overrideSchema, org: string(schema), child: string(schema), grandchild: string(schema)} {
		if got := s.do("GET", "/v1/orgs/"+o+"/settings-schema", nil).want(http.StatusOK).Body; !settingsSameJSON(got, []byte(want)) {
			t.Errorf("GET the schema of %s: %s, want %s", o, got, want)
		}
	}
	for _, o := range []string{own, below} {
		newUser(s, o, note).want(http.StatusCreated)
		if locs := fieldErrors(newUser(s, o, seed).problem(http.StatusUnprocessableEntity)); len(locs) == 0 || !strings.HasPrefix(locs[0], "body.settings") {
			t.Errorf("the parent's values under the override: errors name %v, want body.settings…", locs)
		}
	}
	newUser(s, org, note).problem(http.StatusUnprocessableEntity)
	// Moving into the override organisation is validated against it too.
	s.do("PATCH", "/v1/users/"+mover, map[string]any{"organization_id": below}, "Content-Type", "application/merge-patch+json").want(http.StatusOK)
	s.do("PATCH", userPath, map[string]any{"organization_id": own}, "Content-Type", "application/merge-patch+json").problem(http.StatusUnprocessableEntity)
	unchanged(t)
}

// checkSettingsErrors checks that a refusal names the failing path of c.
func checkSettingsErrors(t *testing.T, call string, p map[string]any, c settingsInvalid) {
	t.Helper()
	list, _ := p["errors"].([]any)
	var hit map[string]any
	for _, e := range list {
		m, _ := e.(map[string]any)
		if loc, _ := m["location"].(string); slices.Contains(c.where, loc) {
			hit = m
			break
		}
	}
	if hit == nil {
		t.Errorf("%s %s: errors name %v, want one of %v", call, c.patch, fieldErrors(p), c.where)
		return
	}
	if c.names != "" {
		if text := fmt.Sprint(hit["location"], " ", hit["message"]); !strings.Contains(text, c.names) {
			t.Errorf("%s %s: error %v does not name %s", call, c.patch, hit, c.names)
		}
	}
}

// checkSettingsValue checks that the error naming c's path carries the
// rejected value, as every other validation error of the API does.
func checkSettingsValue(t *testing.T, p map[string]any, c settingsInvalid) {
	t.Helper()
	if c.value == "" {
		return
	}
	var want any
	if err := json.Unmarshal([]byte(c.value), &want); err != nil {
		t.Fatal(err)
	}
	list, _ := p["errors"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		if loc, _ := m["location"].(string); slices.Contains(c.where, loc) {
			if got, ok := m["value"]; !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("error %v carries value %v, want the rejected value %s", m, got, c.value)
			}
			return
		}
	}
}

func TestSettingsSchemaRules(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Rules"}).want(http.StatusCreated).str("id")
	path := "/v1/orgs/" + org + "/settings-schema"
	none := func(t *testing.T) {
		t.Helper()
		s.in(t).do("GET", path, nil).problem(http.StatusNotFound)
	}

	t.Run("NoneIsNotFound", func(t *testing.T) {
		none(t)
		s.in(t).do("GET", "/v1/orgs/org_01ARZ3NDEKTSV4RRFFQ69G5FAV/settings-schema", nil).problem(http.StatusNotFound)
		// With no schema, any object is accepted.
		s.in(t).do("POST", "/v1/users", map[string]any{"first_name": "Free", "email": "free@rules.example.com", "organization_id": org,
			"settings": map[string]any{"anything": []any{1, "two", nil}}}).want(http.StatusCreated)
	})

	t.Run("InvalidSchema", func(t *testing.T) {
		s := s.in(t)
		for _, doc := range []string{
			`{"type": 12}`,
			`{"type": "objekt"}`,
			`{"properties": {"a": {"minimum": "zero"}}}`,
			`{"$defs": {"a": {"type": "string"}}, "$ref": "#/$defs/missing"}`,
		} {
			p := s.do("PUT", path, doc).problem(http.StatusUnprocessableEntity)
			if locs := fieldErrors(p); len(locs) == 0 {
				t.Errorf("PUT %s: 422 with no errors list: %v", doc, p)
			}
		}
		for _, doc := range []string{`[]`, `"schema"`, `true`} {
			if res := s.do("PUT", path, doc); res.Status != http.StatusBadRequest && res.Status != http.StatusUnprocessableEntity {
				t.Errorf("PUT %s: status %d, want 400 or 422; body: %s", doc, res.Status, res.Body)
			}
		}
		s.do("PUT", path, `{"type": "object"`).problem(http.StatusBadRequest)
		none(t)
	})

	t.Run("WrongContentType", func(t *testing.T) {
		s := s.in(t)
		s.do("PUT", path, `{"type": "object"}`, "Content-Type", "text/plain").problem(http.StatusUnsupportedMediaType)
		s.do("PUT", path, `{"type": "object"}`, "Content-Type", "application/x-www-form-urlencoded").problem(http.StatusUnsupportedMediaType)
		none(t)
	})

	t.Run("ExternalRefsAreNotRead", func(t *testing.T) {
		s := s.in(t)
		// A valid schema in a file and behind a URL: had either been read,
		// the PUT would succeed.
		file := filepath.Join(t.TempDir(), "string.schema.json")
		if err := os.WriteFile(file, []byte(`{"type": "string"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "application/schema+json")
			w.Write([]byte(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string"}`))
		}))
		t.Cleanup(srv.Close)
		for _, doc := range []string{
			`{"$ref": "file:///etc/passwd"}`,
			`{"properties": {"a": {"$ref": "file:///etc/passwd"}}}`,
			`{"$ref": "file://` + filepath.ToSlash(file) + `"}`,
			`{"$ref": "` + srv.URL + `/string.json"}`,
			`{"$schema": "` + srv.URL + `/meta.json"}`,
			`{"$id": "` + srv.URL + `/base.json", "properties": {"a": {"$ref": "other.json"}}}`,
			`{"$dynamicRef": "` + srv.URL + `/string.json#meta"}`,
		} {
			res := s.do("PUT", path, doc)
			res.problem(http.StatusUnprocessableEntity)
			if strings.Contains(string(res.Body), "root:") {
				t.Errorf("PUT %s: the answer shows the file: %s", doc, res.Body)
			}
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("the server fetched a referenced URL %d times", n)
		}
		none(t)
	})

	t.Run("AdminOnly", func(t *testing.T) {
		s := s.in(t)
		member := s.do("POST", "/v1/users", map[string]any{"first_name": "M", "email": "member@rules.example.com", "organization_id": org}).want(http.StatusCreated).str("id")
		key := s.do("POST", "/v1/api-keys", map[string]any{"name": "m", "user_id": member}).want(http.StatusCreated).str("key")
		s.doAs(key, "PUT", path, `{"type": "object"}`).problem(http.StatusForbidden)
		none(t)
		s.do("PUT", path, `{"type": "object", "maxProperties": 3}`).want(http.StatusOK)
		// A member sees its own organisation, and so the schema that applies.
		if got := s.doAs(key, "GET", path, nil).want(http.StatusOK).Body; !settingsSameJSON(got, []byte(`{"type": "object", "maxProperties": 3}`)) {
			t.Errorf("member GET: %s", got)
		}
	})

	t.Run("SchemaMediaType", func(t *testing.T) {
		s := s.in(t)
		doc := `{"type": "object", "additionalProperties": {"type": "integer"}}`
		if got := s.do("PUT", path, doc, "Content-Type", "application/schema+json").want(http.StatusOK).Body; !settingsSameJSON(got, []byte(doc)) {
			t.Errorf("PUT as application/schema+json answered %s", got)
		}
	})

	t.Run("KeyWithSlash", func(t *testing.T) {
		// The location names the member as it is spelled, not in JSON
		// Pointer escapes (~1 for "/", ~0 for "~").
		s := s.in(t)
		s.do("PUT", path, `{"type": "object", "additionalProperties": {"type": "integer"}}`).want(http.StatusOK)
		for key, want := range map[string]string{"a/b": "body.settings.a/b", "a~b": "body.settings.a~b"} {
			p := s.do("POST", "/v1/users", map[string]any{"first_name": "K", "email": "key@rules.example.com", "organization_id": org,
				"settings": map[string]any{key: "x"}}).problem(http.StatusUnprocessableEntity)
			if locs := fieldErrors(p); !slices.Contains(locs, want) {
				t.Errorf("settings {%q: \"x\"}: errors name %v, want %s", key, locs, want)
			}
		}
	})
}

// settingsRepoRoot returns the repository root: the nearest folder, from
// the working directory up, that holds go.mod.
func settingsRepoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// settingsField returns the settings of a user in a response body.
func settingsField(t *testing.T, r *response) json.RawMessage {
	t.Helper()
	var u struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := json.Unmarshal(r.Body, &u); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return u.Settings
}

// settingsSameJSON reports whether two JSON texts hold the same value.
func settingsSameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// settingsMerge applies an RFC 7396 merge patch to doc.
func settingsMerge(t *testing.T, doc, patch json.RawMessage) json.RawMessage {
	t.Helper()
	var d, p any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		t.Fatal(err)
	}
	var merge func(d, p any) any
	merge = func(d, p any) any {
		pm, ok := p.(map[string]any)
		if !ok {
			return p
		}
		out := map[string]any{}
		if dm, ok := d.(map[string]any); ok {
			for k, v := range dm {
				out[k] = v
			}
		}
		for k, v := range pm {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = merge(out[k], v)
			}
		}
		return out
	}
	return mustJSON(merge(d, p))
}
