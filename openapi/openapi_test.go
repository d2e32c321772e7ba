// SPDX-License-Identifier: Apache-2.0

package openapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/sample.openapi.json")

// The types below stand in for Roster's resources.

// Meta is embedded in resources; encoding/json flattens it.
type Meta struct {
	CreatedAt time.Time `json:"created_at" readOnly:"true"`
	UpdatedAt time.Time `json:"updated_at" readOnly:"true"`
	Version   int       `json:"version" readOnly:"true" minimum:"1" example:"3" doc:"Grows by one per change."`
}

type Phone struct {
	Country string `json:"country" pattern:"^[A-Z]{2}$" doc:"ISO 3166-1 alpha-2 country code." example:"NL"`
	Number  string `json:"number" maxLength:"32" example:"020 123 4567"`
	E164    string `json:"e164,omitempty" readOnly:"true" example:"+31201234567"`
}

type Tag struct {
	ID    string `json:"id" readOnly:"true"`
	Name  string `json:"name" required:"true" minLength:"1" maxLength:"255" example:"vip"`
	Color string `json:"color,omitempty" pattern:"^#[0-9a-f]{6}$" example:"#ff0000"`
}

type Preferences struct {
	Language  string `json:"language,omitempty" example:"en"`
	ColorMode string `json:"color_mode,omitempty" enum:"light,dark,system"`
}

type NotificationSetting struct {
	Enabled  bool     `json:"enabled"`
	Channels []string `json:"channels" enum:"email,app,push,sms" maxItems:"4"`
}

type User struct {
	Meta
	ID            string                         `json:"id" readOnly:"true" example:"usr_01HZX3"`
	Email         string                         `json:"email" required:"true" format:"email" maxLength:"255"`
	FirstName     string                         `json:"first_name" required:"true" minLength:"1" maxLength:"255"`
	LastName      string                         `json:"last_name,omitempty" maxLength:"255"`
	Status        string                         `json:"status" enum:"enabled,disabled" doc:"A disabled user cannot sign in."`
	Phone         *Phone                         `json:"phone,omitempty" nullable:"true"`
	Preferences   Preferences                    `json:"preferences"`
	Notifications map[string]NotificationSetting `json:"notifications,omitempty"`
	Settings      map[string]any                 `json:"settings,omitempty"`
	Tags          []Tag                          `json:"tags"`
	Roles         []string                       `json:"roles" enum:"owner,admin,manager,member" minItems:"1"`
	ManagerID     *string                        `json:"manager_id" nullable:"true"`
	Manager       *User                          `json:"manager,omitempty" readOnly:"true" doc:"The user's manager, when expanded."`
	Password      string                         `json:"password,omitempty" writeOnly:"true" minLength:"8"`
	Links         map[string]struct {
		Href string `json:"href" format:"uri-reference"`
	} `json:"_links" readOnly:"true"`
	Secret string `json:"-"`
	//lint:ignore U1000 an unexported field, which the document must leave out
	hash string
}

// List is the wrapper of every list answer.
type List[T any] struct {
	Items      []T     `json:"items" required:"true"`
	NextCursor *string `json:"next_cursor,omitempty" nullable:"true" doc:"Absent or null on the last page."`
}

// PatchOp is one RFC 6902 JSON Patch operation.
type PatchOp struct {
	Op    string `json:"op" required:"true" enum:"add,remove,replace,move,copy,test"`
	Path  string `json:"path" required:"true" doc:"A JSON Pointer."`
	Value any    `json:"value,omitempty"`
	From  string `json:"from,omitempty"`
}

type TokenRequest struct {
	GrantType string `json:"grant_type" required:"true" enum:"password,client_credentials,refresh_token"`
	Username  string `json:"username,omitempty"`
	Password  string `json:"password,omitempty" writeOnly:"true"`
}

type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type" enum:"Bearer"`
	ExpiresIn   int    `json:"expires_in" example:"3600"`
}

// Address clashes by name with net/mail.Address.
type Address struct {
	Street string `json:"street"`
}

type Contact struct {
	Home   Address         `json:"home"`
	Mail   *mail.Address   `json:"mail,omitempty"`
	Credit Decimal         `json:"credit" readOnly:"true" example:"12.50"`
	Hours  Hours           `json:"hours"`
	Raw    json.RawMessage `json:"raw,omitempty"`
	Count  int64           `json:"count,string"`
	// The schema tag gives fields whose Go type says nothing a real schema.
	Extra   json.RawMessage `json:"extra,omitempty" schema:"object"`
	Changes json.RawMessage `json:"changes" schema:"json-patch"`
	Value   any             `json:"value" schema:"any" nullable:"true"`
}

// Decimal marshals itself as text, so it is a string.
type Decimal struct {
	//lint:ignore U1000 only its MarshalText shows
	units int64
}

func (d Decimal) MarshalText() ([]byte, error) { return []byte("0"), nil }

// Hours describes its own schema.
type Hours map[string]string

func (*Hours) OpenAPISchema() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$"}}
}

func ptr(f float64) *float64 { return &f }

var (
	userID  = Param{Name: "id", In: "path", Description: "A user id, `me`, `username:{username}` or `external:{organization_id}:{external_id}`.", Type: reflect.TypeFor[string]()}
	ifMatch = Param{Name: "If-Match", In: "header", Description: "The ETag the change applies to."}
	etag    = []string{"ETag"}
	userT   = reflect.TypeFor[User]()
)

// sampleOps is a representative slice of Roster's route table.
func sampleOps() []Operation {
	return []Operation{
		{
			Method: "POST", Path: "/v1/users", ID: "createUser", Tag: "users", Summary: "Create a user",
			Params: []Param{{Name: "Idempotency-Key", In: "header", Description: "Replays the first answer for 24 h."}},
			Body:   []Media{{ContentType: "application/json", Type: userT}, {ContentType: "application/xml", Type: userT}}, BodyRequired: true,
			Responses: []Response{
				{Status: 201, Description: "The user.", Type: userT, Headers: []string{"ETag", "Location", "Idempotency-Replayed"}},
				{Status: 409, Description: "The email, username or external id is taken."},
				{Status: 422, Description: "The user is not valid."},
			},
			Scopes: []string{"users:write:all"},
		},
		{
			Method: "GET", Path: "/v1/users", ID: "listUsers", Tag: "users", Summary: "List users",
			Description: "Lists the users the caller may see.",
			Params: []Param{
				{Name: "q", In: "query", Description: "Matches names, email, username and phone digits."},
				{Name: "status", In: "query", Description: "Only users with this status.", Enum: []string{"enabled", "disabled"}},
				{Name: "tag", In: "query", Description: "Only users with all these tag names.", Type: reflect.TypeFor[[]string]()},
				{Name: "created_after", In: "query", Description: "Only users created after this time.", Type: reflect.TypeFor[time.Time]()},
				{Name: "include_descendants", In: "query", Description: "Include users of descendant organisations.", Type: reflect.TypeFor[bool](), Default: false},
				{Name: "sort", In: "query", Description: "Sort order.", Enum: []string{"created_at", "-created_at", "last_name", "-last_name", "email"}, Default: "created_at"},
				{Name: "limit", In: "query", Description: "Page size.", Type: reflect.TypeFor[int](), Min: ptr(1), Max: ptr(200), Default: 50},
				{Name: "cursor", In: "query", Description: "The next_cursor of the previous page."},
			},
			Responses: []Response{
				{Status: 200, Description: "A page of users.", Type: reflect.TypeFor[List[User]]()},
				{Status: 400, Description: "A bad cursor or filter."},
			},
			Scopes: []string{"users:read"},
		},
		{
			Method: "GET", Path: "/v1/users/{id}", ID: "getUser", Tag: "users", Summary: "Get a user",
			Params: []Param{userID, {Name: "If-None-Match", In: "header", Description: "Answers 304 when the ETag matches."}},
			Responses: []Response{
				{Status: 200, Description: "The user.", Type: userT, Headers: etag},
				{Status: 304, Description: "The user has not changed.", Headers: etag},
				{Status: 404, Description: "No such user, or one the caller may not see."},
			},
		},
		{
			Method: "PATCH", Path: "/v1/users/{id}", ID: "patchUser", Tag: "users", Summary: "Change some fields of a user",
			Description: "Applies a JSON Merge Patch (RFC 7396) or a JSON Patch (RFC 6902).",
			Params:      []Param{userID, ifMatch},
			Body: []Media{
				{ContentType: "application/merge-patch+json", Type: userT, MergePatch: true},
				{ContentType: "application/json-patch+json", Type: reflect.TypeFor[[]PatchOp]()},
			},
			BodyRequired: true,
			Responses: []Response{
				{Status: 200, Description: "The changed user.", Type: userT, Headers: etag},
				{Status: 204, Description: "Changed; sent for `Prefer: return=minimal`.", Headers: etag},
				{Status: 400, Description: "Malformed JSON or patch."},
				{Status: 409, Description: "A test operation failed or the patch does not apply."},
				{Status: 412, Description: "The ETag does not match."},
				{Status: 415},
				{Status: 422, Description: "The result is not a valid user."},
			},
			Scopes: []string{"users:write:self", "users:write:members"},
		},
		{
			Method: "DELETE", Path: "/v1/users/{id}", ID: "deleteUser", Tag: "users", Summary: "Delete a user",
			Params: []Param{userID, ifMatch},
			Responses: []Response{
				{Status: 204, Description: "Deleted."},
				{Status: 404, Description: "No such user."},
			},
		},
		{
			Method: "DELETE", Path: "/v1/users/{id}/tags/{tag_id}", ID: "deleteUserTag", Tag: "users", Summary: "Remove a tag from a user",
			Params: []Param{userID, {Name: "tag_id", In: "path", Description: "The tag's id."}},
			Responses: []Response{
				{Status: 204, Description: "Removed."},
				{Status: 404, Description: "No such user or tag."},
			},
		},
		{
			Method: "POST", Path: "/v1/auth/token", ID: "createToken", Tag: "auth", Summary: "Issue an access token",
			Body:         []Media{{ContentType: "application/x-www-form-urlencoded", Type: reflect.TypeFor[TokenRequest]()}},
			BodyRequired: true,
			Responses: []Response{
				{Status: 200, Description: "The token.", Type: reflect.TypeFor[Token]()},
				{Status: 400, Description: "An invalid grant."},
				{Status: 429, Description: "Too many failed sign-ins.", Headers: []string{"Retry-After"}},
			},
			Public: true,
		},
		{
			Method: "GET", Path: "/v1/contacts/{path...}", ID: "getContact", Tag: "contacts", Summary: "Get a contact",
			Params: []Param{{Name: "path", In: "path", Description: "The rest of the path."}},
			Responses: []Response{
				{Status: 200, Description: "The contact.", Type: reflect.TypeFor[Contact]()},
				{Status: 404, Description: "No such contact."},
			},
		},
		{
			Method: "GET", Path: "/docs", ID: "getDocs", Tag: "system", Summary: "The API reference",
			Responses: []Response{
				{Status: 200, Description: "An HTML page.", Type: reflect.TypeFor[HTML]()},
				{Status: 406, Description: "HTML is not acceptable."},
			},
			Public: true,
		},
		{
			Method: "GET", Path: "/metrics", ID: "getMetrics", Tag: "system", Summary: "Prometheus metrics",
			Responses: []Response{
				{Status: 200, Description: "Metrics in the Prometheus text format.", Type: reflect.TypeFor[PlainText]()},
				{Status: 403, Description: "The caller may not read metrics."},
			},
		},
	}
}

var sampleInfo = Info{Title: "Roster", Version: "1.0.0", Description: "Accounts for SaaS products.",
	TokenURL: "/v1/auth/token", Scopes: []Scope{{"users:read", "Read users."}}, XML: "as XML it is the same document."}

// mustBuild builds the sample document and decodes it.
func mustBuild(tb testing.TB) ([]byte, map[string]any) {
	tb.Helper()
	b, err := Build(sampleInfo, sampleOps())
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatalf("document is not JSON: %v", err)
	}
	return b, doc
}

// at walks a decoded document along keys and indexes, failing when absent.
func at(tb testing.TB, v any, path ...any) any {
	tb.Helper()
	for i, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				tb.Fatalf("%v: not an object", path[:i+1])
			}
			if v, ok = m[p]; !ok {
				tb.Fatalf("%v: missing", path[:i+1])
			}
		case int:
			a, ok := v.([]any)
			if !ok || p >= len(a) {
				tb.Fatalf("%v: no such element", path[:i+1])
			}
			v = a[p]
		}
	}
	return v
}

func jsonEq(tb testing.TB, what string, got any, want string) {
	tb.Helper()
	var g, w any
	b, _ := json.Marshal(got)
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatalf("bad got for %s: %v", what, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		tb.Fatalf("bad want for %s: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		tb.Errorf("%s:\n got %s\nwant %s", what, b, want)
	}
}

func TestBuild(t *testing.T) {
	_, doc := mustBuild(t)
	schemas := at(t, doc, "components", "schemas").(map[string]any)

	t.Run("Top", func(t *testing.T) {
		jsonEq(t, "openapi", doc["openapi"], `"3.1.0"`)
		jsonEq(t, "license", at(t, doc, "info", "license"), `{"name":"Apache-2.0","identifier":"Apache-2.0"}`)
		jsonEq(t, "servers", doc["servers"], `[{"url":"/"}]`)
		jsonEq(t, "security", doc["security"], `[{"bearer":[]},{"oauth2":[]}]`)
		jsonEq(t, "scheme type", at(t, doc, "components", "securitySchemes", "bearer", "scheme"), `"bearer"`)
		flow := `{"tokenUrl":"/v1/auth/token","scopes":{"users:read":"Read users.",
			"users:write:all":"The users:write:all scope.","users:write:self":"The users:write:self scope.","users:write:members":"The users:write:members scope."}}`
		jsonEq(t, "oauth2 flows", at(t, doc, "components", "securitySchemes", "oauth2", "flows"),
			`{"password":`+flow+`,"clientCredentials":`+flow+`}`)
		var names []string
		for _, tag := range doc["tags"].([]any) {
			names = append(names, tag.(map[string]any)["name"].(string))
		}
		jsonEq(t, "tags", names, `["users","auth","system","contacts"]`)
		jsonEq(t, "generic tag", at(t, doc, "tags", 3, "description"), `"Operations on contacts."`)
	})

	t.Run("Components", func(t *testing.T) {
		var got []string
		for name := range schemas {
			got = append(got, name)
		}
		slices.Sort(got)
		jsonEq(t, "schema names", got, `["Contact","JSONPatchOperation","ListUser","MailAddress","NotificationSetting","NotificationSettingPatch","OpenapiAddress",
			"PatchOp","Phone","PhonePatch","Preferences","PreferencesPatch","Problem","ProblemError","Tag","Token","TokenRequest","User","UserPatch"]`)
		jsonEq(t, "header names", len(at(t, doc, "components", "headers").(map[string]any)), `4`)
	})

	t.Run("User", func(t *testing.T) {
		user := schemas["User"].(map[string]any)
		props := user["properties"].(map[string]any)
		jsonEq(t, "required", user["required"], `["email","first_name"]`)
		jsonEq(t, "xml", user["xml"], `{"name":"user"}`)
		for _, gone := range []string{"Meta", "Secret", "hash", "-"} {
			if _, ok := props[gone]; ok {
				t.Errorf("property %q should not exist", gone)
			}
		}
		jsonEq(t, "embedded version", props["version"], `{"type":"integer","format":"int64","minimum":1,
			"description":"Grows by one per change.","readOnly":true,"examples":[3]}`)
		jsonEq(t, "created_at", props["created_at"], `{"type":"string","format":"date-time","readOnly":true}`)
		jsonEq(t, "id", props["id"], `{"type":"string","readOnly":true,"examples":["usr_01HZX3"]}`)
		jsonEq(t, "email", props["email"], `{"type":"string","format":"email","maxLength":255}`)
		jsonEq(t, "status", props["status"], `{"type":"string","enum":["enabled","disabled"],"description":"A disabled user cannot sign in."}`)
		jsonEq(t, "phone", props["phone"], `{"anyOf":[{"$ref":"#/components/schemas/Phone"},{"type":"null"}]}`)
		jsonEq(t, "preferences", props["preferences"], `{"$ref":"#/components/schemas/Preferences"}`)
		jsonEq(t, "notifications", props["notifications"], `{"type":"object","additionalProperties":{"$ref":"#/components/schemas/NotificationSetting"}}`)
		jsonEq(t, "settings", props["settings"], `{"type":"object"}`)
		jsonEq(t, "tags", props["tags"], `{"type":"array","items":{"$ref":"#/components/schemas/Tag","xml":{"name":"item"}},"xml":{"wrapped":true}}`)
		jsonEq(t, "roles", props["roles"], `{"type":"array","items":{"type":"string","xml":{"name":"item"},
			"enum":["owner","admin","manager","member"]},"xml":{"wrapped":true},"minItems":1}`)
		jsonEq(t, "manager_id", props["manager_id"], `{"type":["string","null"]}`)
		jsonEq(t, "manager (recursive)", props["manager"], `{"$ref":"#/components/schemas/User","description":"The user's manager, when expanded.","readOnly":true}`)
		jsonEq(t, "password", props["password"], `{"type":"string","minLength":8,"writeOnly":true}`)
		jsonEq(t, "_links (anonymous struct)", props["_links"], `{"type":"object","additionalProperties":{"type":"object",
			"properties":{"href":{"type":"string","format":"uri-reference"}}},"readOnly":true}`)
	})

	t.Run("List", func(t *testing.T) {
		jsonEq(t, "ListUser", schemas["ListUser"], `{"type":"object","properties":{
			"items":{"type":"array","items":{"$ref":"#/components/schemas/User","xml":{"name":"item"}},"xml":{"wrapped":true}},
			"next_cursor":{"type":["string","null"],"description":"Absent or null on the last page."}},
			"required":["items"],"xml":{"name":"list"}}`)
		params := at(t, doc, "paths", "/v1/users", "get", "parameters").([]any)
		jsonEq(t, "limit", params[6], `{"name":"limit","in":"query","description":"Page size.",
			"schema":{"type":"integer","format":"int64","minimum":1,"maximum":200,"default":50}}`)
		jsonEq(t, "sort", params[5].(map[string]any)["schema"], `{"type":"string","enum":["created_at","-created_at","last_name","-last_name","email"],"default":"created_at"}`)
		jsonEq(t, "tag", params[2].(map[string]any)["schema"], `{"type":"array","items":{"type":"string"}}`)
		jsonEq(t, "created_after", params[3].(map[string]any)["schema"], `{"type":"string","format":"date-time"}`)
		jsonEq(t, "description", at(t, doc, "paths", "/v1/users", "get", "description"),
			"\"Lists the users the caller may see.\\n\\nRequired scope: `users:read`.\"")
		jsonEq(t, "security", at(t, doc, "paths", "/v1/users", "get", "security"), `[{"bearer":[]},{"oauth2":["users:read"]}]`)
	})

	t.Run("Patch", func(t *testing.T) {
		op := at(t, doc, "paths", "/v1/users/{id}", "patch")
		jsonEq(t, "body", at(t, op, "requestBody"), `{"required":true,"content":{
			"application/merge-patch+json":{"schema":{"$ref":"#/components/schemas/UserPatch"}},
			"application/json-patch+json":{"schema":{"type":"array","items":{"$ref":"#/components/schemas/PatchOp","xml":{"name":"item"}},"xml":{"wrapped":true}}}}}`)
		jsonEq(t, "patch op", schemas["PatchOp"].(map[string]any)["required"], `["op","path"]`)
		jsonEq(t, "patch value", at(t, schemas, "PatchOp", "properties", "value"), `{}`)
		var codes []string
		for code := range at(t, op, "responses").(map[string]any) {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		jsonEq(t, "statuses", codes, `["200","204","400","401","409","412","415","422","default"]`)
		jsonEq(t, "415 description", at(t, op, "responses", "415", "description"), `"Unsupported Media Type"`)
		jsonEq(t, "200", at(t, op, "responses", "200"), `{"description":"The changed user.",
			"headers":{"ETag":{"$ref":"#/components/headers/ETag"}},
			"content":{"application/json":{"schema":{"$ref":"#/components/schemas/User"}}}}`)
		jsonEq(t, "409", at(t, op, "responses", "409", "content"), `{
			"application/problem+json":{"schema":{"$ref":"#/components/schemas/Problem"}}}`)
		jsonEq(t, "security", at(t, op, "security"), `[{"bearer":[]},{"oauth2":["users:write:self"]},{"oauth2":["users:write:members"]}]`)
		jsonEq(t, "description", at(t, op, "description"), "\"Applies a JSON Merge Patch (RFC 7396) or a JSON Patch (RFC 6902).\\n\\nRequired scope: one of `users:write:self`, `users:write:members`.\"")
		jsonEq(t, "path param", at(t, op, "parameters", 0, "required"), `true`)
	})

	t.Run("Delete", func(t *testing.T) {
		jsonEq(t, "204", at(t, doc, "paths", "/v1/users/{id}", "delete", "responses", "204"), `{"description":"Deleted."}`)
		jsonEq(t, "security", at(t, doc, "paths", "/v1/users/{id}", "delete").(map[string]any)["security"], `null`)
	})

	t.Run("Problem", func(t *testing.T) {
		p := schemas["Problem"].(map[string]any)
		jsonEq(t, "xml", p["xml"], `{"name":"problem","namespace":"urn:ietf:rfc:7807"}`)
		var names []string
		for name := range p["properties"].(map[string]any) {
			names = append(names, name)
		}
		slices.Sort(names)
		jsonEq(t, "fields", names, `["detail","errors","instance","request_id","status","title","type"]`)
		jsonEq(t, "type", at(t, p, "properties", "type", "format"), `"uri"`)
		jsonEq(t, "errors", at(t, schemas, "ProblemError", "required"), `["location","message"]`)
	})

	t.Run("Public", func(t *testing.T) {
		op := at(t, doc, "paths", "/v1/auth/token", "post").(map[string]any)
		jsonEq(t, "security", op["security"], `[]`)
		if _, ok := op["responses"].(map[string]any)["401"]; ok {
			t.Error("public operation got a 401")
		}
		jsonEq(t, "Retry-After", at(t, doc, "components", "headers", "Retry-After", "schema"), `{"type":"integer","minimum":0}`)
		jsonEq(t, "form", at(t, op, "requestBody", "content", "application/x-www-form-urlencoded", "schema"),
			`{"$ref":"#/components/schemas/TokenRequest"}`)
	})

	t.Run("WildcardAndOddTypes", func(t *testing.T) {
		at(t, doc, "paths", "/v1/contacts/{path}", "get")
		jsonEq(t, "clash", at(t, schemas, "Contact", "properties"), `{
			"home":{"$ref":"#/components/schemas/OpenapiAddress"},"mail":{"$ref":"#/components/schemas/MailAddress"},
			"credit":{"type":"string","readOnly":true,"examples":["12.50"]},
			"hours":{"type":"object","additionalProperties":{"type":"string","pattern":"^[0-9]{2}:[0-9]{2}$"}},
			"raw":{},"count":{"type":"string"},
			"extra":{"type":"object"},
			"changes":{"type":"array","items":{"$ref":"#/components/schemas/JSONPatchOperation","xml":{"name":"item"}},"xml":{"wrapped":true}},
			"value":{"oneOf":[{"type":"object"},{"type":"array","items":{}},{"type":"string"},{"type":"number"},{"type":"boolean"},{"type":"null"}]}}`)
		// Contact is only in responses: what encoding/json always writes is required.
		jsonEq(t, "response required", at(t, schemas, "Contact", "required"), `["home","credit","hours","count","changes","value"]`)
		jsonEq(t, "json patch op", at(t, schemas, "JSONPatchOperation", "oneOf", 0, "required"), `["op","path","value"]`)
	})

	t.Run("PlainTextAndHTML", func(t *testing.T) {
		jsonEq(t, "metrics", at(t, doc, "paths", "/metrics", "get", "responses", "200", "content"), `{"text/plain":{"schema":{"type":"string"}}}`)
		jsonEq(t, "docs", at(t, doc, "paths", "/docs", "get", "responses", "200", "content"), `{"text/html":{"schema":{"type":"string"}}}`)
	})
}

// TestBuild_Order checks that properties keep the struct's field order.
func TestBuild_Order(t *testing.T) {
	b, _ := mustBuild(t)
	i := bytes.Index(b, []byte(`"User": {`))
	var last int
	for _, name := range []string{`"created_at"`, `"version"`, `"id"`, `"email"`, `"first_name"`, `"_links"`} {
		j := bytes.Index(b[i:], []byte(name))
		if j < last {
			t.Errorf("%s is out of order", name)
		}
		last = j
	}
}

func TestBuild_Deterministic(t *testing.T) {
	first, _ := mustBuild(t)
	for range 20 {
		if again, _ := mustBuild(t); !bytes.Equal(first, again) {
			t.Fatal("two builds of the same table differ")
		}
	}
}

// TestBuild_Golden keeps the sample document under review; run with
// -update to accept a change.
func TestBuild_Golden(t *testing.T) {
	got, _ := mustBuild(t)
	path := filepath.Join("testdata", "sample.openapi.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestBuild_Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("document differs from %s; run go test -run TestBuild_Golden -update and review the diff", path)
	}
}

func TestBuild_Errors(t *testing.T) {
	ok := func() Operation {
		return Operation{Method: "GET", Path: "/v1/users/{id}", ID: "getUser", Tag: "users", Summary: "Get a user",
			Params: []Param{userID}, Responses: []Response{{Status: 200, Type: userT}}}
	}
	tests := []struct {
		name string
		ops  func() []Operation
		want string
	}{
		{"ErrMissingPathParam", func() []Operation { o := ok(); o.Params = nil; return []Operation{o} }, "path parameter {id} is not declared"},
		{"ErrExtraPathParam", func() []Operation { o := ok(); o.Path = "/v1/users"; return []Operation{o} }, `path parameter "id" is not in the path`},
		{"ErrDuplicateID", func() []Operation { a, b := ok(), ok(); b.Method = "DELETE"; return []Operation{a, b} }, `duplicate operation id "getUser"`},
		{"ErrDuplicateRoute", func() []Operation { a, b := ok(), ok(); b.ID = "getUser2"; return []Operation{a, b} }, "duplicate method and path"},
		{"ErrParamNames", func() []Operation {
			a, b := ok(), ok()
			b.ID, b.Method, b.Path, b.Params = "deleteUser", "DELETE", "/v1/users/{user_id}", []Param{{Name: "user_id", In: "path"}}
			return []Operation{a, b}
		}, "only in parameter names"},
		{"ErrNoSummary", func() []Operation { o := ok(); o.Summary = ""; return []Operation{o} }, "needs a summary"},
		{"ErrNoResponses", func() []Operation { o := ok(); o.Responses = nil; return []Operation{o} }, "no responses"},
		{"ErrBadMethod", func() []Operation { o := ok(); o.Method = "get"; return []Operation{o} }, "unknown method"},
		{"ErrBadIn", func() []Operation {
			o := ok()
			o.Params = append(o.Params, Param{Name: "x", In: "cookie"})
			return []Operation{o}
		}, "unknown location"},
		{"ErrAuthorizationHeader", func() []Operation {
			o := ok()
			o.Params = append(o.Params, Param{Name: "Authorization", In: "header"})
			return []Operation{o}
		}, "described by the document itself"},
		{"ErrDuplicateStatus", func() []Operation {
			o := ok()
			o.Responses = append(o.Responses, o.Responses[0])
			return []Operation{o}
		}, "duplicate response status 200"},
		{"ErrUnsupportedType", func() []Operation {
			o := ok()
			o.Responses[0].Type = reflect.TypeFor[struct{ C chan int }]()
			return []Operation{o}
		}, "cannot describe chan int"},
		{"ErrBadTag", func() []Operation {
			o := ok()
			o.Responses[0].Type = reflect.TypeFor[struct {
				N string `json:"n" maxLength:"many"`
			}]()
			return []Operation{o}
		}, `maxLength:"many" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(sampleInfo, tt.ops())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		if _, err := Build(sampleInfo, []Operation{ok()}); err != nil {
			t.Errorf("got error %v", err)
		}
	})
}

// embedded checks encoding/json's rules for clashing embedded names.
func TestFields_Embedded(t *testing.T) {
	type Inner struct {
		A string `json:"a"`
		B string
		C string
	}
	type Other struct {
		B string
		C string `json:"C"`
	}
	type Outer struct {
		Inner
		*Other
		A string `json:"a"`
	}
	var got []string
	for _, f := range fields(reflect.TypeFor[Outer]()) {
		got = append(got, f.name)
	}
	// B is ambiguous and dropped; the tagged C wins; the outer a wins.
	jsonEq(t, "fields", got, `["C","a"]`)
	b, _ := json.Marshal(Outer{Other: &Other{}})
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	var want []string
	for k := range m {
		want = append(want, k)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("got %v, encoding/json writes %v", got, want)
	}
}

// TestLint runs Redocly CLI over the sample document (openapi/lint.sh).
func TestLint(t *testing.T) {
	if os.Getenv("ROSTER_SKIP_LINT") == "1" {
		t.Skip("SKIP: ROSTER_SKIP_LINT=1 is set; not linting the OpenAPI document")
	}
	if _, err := exec.LookPath("npx"); err != nil {
		t.Skip("SKIP: npx not found (install Node.js 20+ to lint the OpenAPI document with Redocly CLI)")
	}
	if testing.Short() {
		t.Skip("SKIP: -short; linting downloads and runs Redocly CLI")
	}
	b, _ := mustBuild(t)
	path := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("./lint.sh", path).CombinedOutput()
	if err != nil {
		t.Fatalf("lint.sh: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
