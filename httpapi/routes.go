// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

// Operation describes a route; the route table's operations are also the
// OpenAPI document's.
type Operation = openapi.Operation

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

var (
	tString = typeOf[string]()
	tInt    = typeOf[int]()
	tBool   = typeOf[bool]()
	tTime   = typeOf[time.Time]()
)

func pathParam(name, desc string) openapi.Param {
	return openapi.Param{Name: name, In: "path", Required: true, Type: tString, Description: desc}
}

func queryParam(name, desc string, t reflect.Type, enum ...string) openapi.Param {
	return openapi.Param{Name: name, In: "query", Type: t, Description: desc, Enum: enum}
}

func header(name, desc string) openapi.Param {
	return openapi.Param{Name: name, In: "header", Type: tString, Description: desc}
}

func f(v float64) *float64 { return &v }

// Parameters shared by several routes.
var (
	userRef = pathParam("id", "A user id, `me`, `username:{username}` or `external:{organization_id}:{external_id}`.")
	orgRef  = pathParam("id", "An organisation id.")
	hookRef = pathParam("id", "A webhook id.")
	// clientRef is an OAuth client's id.
	clientRef = pathParam("id", "The client_id.")
	ifMatch   = header("If-Match", `Only change the resource if its ETag is one of these ("<version>", or *); 412 otherwise.`)
	ifNone    = header("If-None-Match", "Answer 304 when the resource still has this ETag.")
	// userIfMatch is If-Match on a part of a user (a membership).
	userIfMatch = header("If-Match", `Only change it if the user's ETag is one of these ("<version>", or *); 412 otherwise.`)
	prefer      = header("Prefer", "return=minimal answers 204 with no body.")
	idemKey     = header("Idempotency-Key", "Replays the first answer to a POST with the same key for 24 hours.")
	limitP      = openapi.Param{Name: "limit", In: "query", Type: tInt, Min: f(1), Max: f(200), Default: 50, Description: "Page size."}
	cursorP     = queryParam("cursor", "The next_cursor of the previous page.", tString)
)

// The authorization and logout requests' query parameters.
var (
	authorizeParams = []openapi.Param{
		queryParam("client_id", "The app's client_id.", tString),
		queryParam("redirect_uri", "One of the client's redirect_uris, exactly.", tString),
		queryParam("response_type", "code.", tString, "code"),
		queryParam("scope", "Space-separated: openid, profile, email, phone, offline_access and Roster's API scopes the client may ask for.", tString),
		queryParam("state", "Passed back unchanged.", tString),
		queryParam("nonce", "Put in the ID token.", tString),
		queryParam("code_challenge", "PKCE: base64url SHA-256 of the code verifier.", tString),
		queryParam("code_challenge_method", "PKCE: S256 (plain is refused).", tString, "S256"),
		queryParam("prompt", "none, login or consent.", tString),
		queryParam("max_age", "Seconds since the last sign-in beyond which the password is asked again.", tInt),
		queryParam("login_hint", "A username or email to fill in on the sign-in page.", tString),
		queryParam("response_mode", "query (the only mode).", tString, "query"),
	}
	logoutParams = []openapi.Param{
		queryParam("id_token_hint", "An ID token this server gave the app.", tString),
		queryParam("client_id", "The app's client_id.", tString),
		queryParam("post_logout_redirect_uri", "One of the client's post_logout_redirect_uris, exactly.", tString),
		queryParam("state", "Passed back unchanged.", tString),
	}
)

// pageResponses are the answers of a hosted page: the page (200), a
// redirect (302 or 303, with Location) and error pages.
func pageResponses(redirect int, errors ...int) []openapi.Response {
	out := []openapi.Response{ok(200, typeOf[openapi.HTML]())}
	if redirect != 0 { // 0: a page that never redirects
		out = append(out, openapi.Response{Status: redirect, Description: "On to the app (or back to the client with an error)", Headers: []string{"Location"}})
	}
	for _, st := range errors {
		r := openapi.Response{Status: st, Type: typeOf[openapi.HTML]()}
		if st == 429 {
			r.Headers = []string{"Retry-After"}
		}
		out = append(out, r)
	}
	return out
}

// errs lists the error answers of an operation.
func errs(statuses ...int) []openapi.Response {
	out := make([]openapi.Response, 0, len(statuses))
	for _, s := range statuses {
		out = append(out, openapi.Response{Status: s})
	}
	return out
}

func ok(status int, t reflect.Type, headers ...string) openapi.Response {
	return openapi.Response{Status: status, Type: t, Headers: headers}
}

func jsonAndXML(t reflect.Type) []openapi.Media {
	return []openapi.Media{{ContentType: "application/json", Type: t}, {ContentType: "application/xml", Type: t}}
}

// patchBodies are the bodies of a PATCH of a resource whose PUT body is t:
// a merge patch of it (also as plain JSON and as XML, which is transcribed
// to JSON first), described as t's patch form (UserInput: UserPatch), or a
// JSON Patch.
func patchBodies(t reflect.Type) []openapi.Media {
	return []openapi.Media{
		{ContentType: "application/merge-patch+json", Type: t, MergePatch: true},
		{ContentType: "application/json-patch+json", Type: typeOf[[]JSONPatchOp]()},
		{ContentType: "application/json", Type: t, MergePatch: true},
		{ContentType: "application/xml", Type: t, MergePatch: true},
	}
}

// JSONPatchOp is one RFC 6902 operation.
type JSONPatchOp = openapi.JSONPatchOperation

// The answers to a write with Prefer: return=minimal.
var (
	createdMinimal = openapi.Response{Status: 204, Description: "Created (Prefer: return=minimal)", Headers: []string{"ETag", "Location"}}
	changedMinimal = openapi.Response{Status: 204, Description: "Changed (Prefer: return=minimal)", Headers: []string{"ETag"}}
)

// webOriginsDoc says which browser apps may call an endpoint (cors.go).
const webOriginsDoc = "Browser apps may call it from script (CORS, preflight included) from the origin of any OAuth client's redirect URI; other origins get no CORS headers."

// userinfo's description and answers, for GET and POST.
const userinfoDoc = "OpenID Connect Core section 5.3: the claims of the access token's user that the token's scopes cover (openid: sub; profile: name, given_name, family_name, preferred_username, locale, zoneinfo, updated_at, org_id, roles; email: email, email_verified; phone: phone_number, phone_number_verified). The token must have been granted openid. Errors carry WWW-Authenticate: Bearer with error=\"invalid_token\" (401) or \"insufficient_scope\" (403). " + webOriginsDoc

var userinfoAnswers = []openapi.Response{ok(200, typeOf[map[string]any]()),
	{Status: 400, Type: typeOf[BearerErrorBody](), Description: "invalid_request"},
	{Status: 401, Type: typeOf[BearerErrorBody](), Description: "No token, or invalid_token: unknown, expired or revoked", Headers: []string{"WWW-Authenticate"}},
	{Status: 403, Type: typeOf[BearerErrorBody](), Description: "insufficient_scope: the token was not granted openid", Headers: []string{"WWW-Authenticate"}}}

// Status codes that most operations share.
var (
	readErrs  = []int{400, 404, 406}
	writeErrs = []int{400, 403, 404, 409, 412, 413, 415, 422, 428}
)

func (s *server) routeTable() []route {
	user, users, org, orgs := typeOf[UserResource](), typeOf[UserList](), typeOf[OrgResource](), typeOf[OrgList]()
	webhook := typeOf[WebhookResource]()
	client := typeOf[OAuthClientResource]()
	return []route{
		{Operation{Method: "POST", Path: "/v1/users", ID: "createUser", Tag: "users", Summary: "Create a user",
			Params: []openapi.Param{idemKey, prefer}, Body: jsonAndXML(typeOf[roster.UserInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, user, "ETag", "Location"), createdMinimal}, errs(400, 403, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:all"}}, s.createUser},
		{Operation{Method: "POST", Path: "/v1/users/import", ID: "importUsers", Tag: "users", Summary: "Import users (NDJSON)",
			Description: "Each line of the body is a user in the API's JSON form plus an optional write-only password_hash from another system. Lines are matched to existing users by match (email by default) and created (as POST /v1/users; a line's id is kept) or updated (as a JSON merge patch, PATCH /v1/users/{id}: fields the line leaves out are kept, null resets one), with every rule, version, event and webhook of those calls. Fields only the server sets (version, created_at, updated_at, email_verified, mfa_enabled, memberships, _links) are ignored. The answer streams one line per input line as it is done: {line, status, id} with 201 created, 200 updated, 204 matched with nothing to change, or {line, status, problem} for a line that failed, which never stops the others. A password_hash does not replace a password set in Roster or already upgraded at sign-in. Lines are at most 1 MiB, a request at most 1,000,000 lines; each line must arrive within the body read timeout of the one before. Idempotency-Key is not recorded: running a file again changes nothing.",
			Params:      []openapi.Param{queryParam("match", "How lines are matched to existing users.", tString, service.MatchEmail, service.MatchExternalID, service.MatchID)},
			Body:        []openapi.Media{{ContentType: "application/x-ndjson", Type: typeOf[ImportLine]()}}, BodyRequired: true,
			Responses: append([]openapi.Response{{Status: 200, Type: typeOf[ImportLineResult](), ContentType: "application/x-ndjson", Description: "One line per input line, as each is done"}}, errs(400, 403, 415)...),
			Scopes:    []string{"users:write:all"}}, s.importUsers},
		{Operation{Method: "GET", Path: "/v1/users", ID: "listUsers", Tag: "users", Summary: "List and search users",
			Params: []openapi.Param{
				queryParam("q", "Case-insensitive partial match on first, last and display name, email and username; digits match phone numbers.", tString),
				queryParam("status", "Only users with this status.", tString, "enabled", "disabled"),
				queryParam("organization_id", "Only users of this organisation.", tString),
				queryParam("include_descendants", "With organization_id: also users of its descendants.", tBool),
				queryParam("tag", "Only users with a tag of this name.", tString),
				queryParam("role", "Only users with this role in their home organisation.", tString, roster.Roles...),
				queryParam("created_after", "Created strictly after this time.", tTime),
				queryParam("created_before", "Created strictly before this time.", tTime),
				queryParam("updated_after", "Updated strictly after this time.", tTime),
				queryParam("sort", "Sort order.", tString, roster.UserSorts...),
				limitP, cursorP},
			Responses: append([]openapi.Response{ok(200, users)}, errs(readErrs...)...), Scopes: []string{"users:read"}}, s.listUsers},
		{Operation{Method: "GET", Path: "/v1/users/export", ID: "exportUsers", Tag: "users", Summary: "Export users as NDJSON",
			Description: "Every user the caller may see (as GET /v1/users), one JSON document per line in the API's form without _links, oldest first, all read from one consistent snapshot and streamed as read. An export that fails half-way ends with the connection cut (an unterminated body), never as a shorter whole. With organization_id, only that organisation's subtree (of what the caller may see).",
			Params:      []openapi.Param{queryParam("organization_id", "Only users of this organisation and its descendants.", tString)},
			Responses:   append([]openapi.Response{ok(200, typeOf[openapi.NDJSON]())}, errs(readErrs...)...), Scopes: []string{"users:read"}}, s.exportUsers},
		{Operation{Method: "GET", Path: "/v1/users/{id}", ID: "getUser", Tag: "users", Summary: "Get a user",
			Params:    []openapi.Param{userRef, ifNone},
			Responses: append([]openapi.Response{ok(200, user, "ETag"), {Status: 304, Description: "Not modified"}}, errs(readErrs...)...),
			Scopes:    []string{"users:read"}}, s.getUser},
		{Operation{Method: "PUT", Path: "/v1/users/{id}", ID: "replaceUser", Tag: "users", Summary: "Replace a user",
			Description: "Replaces every writable field; an omitted optional field is reset. Read-only fields may be echoed unchanged.",
			Params:      []openapi.Param{userRef, ifMatch, prefer}, Body: jsonAndXML(typeOf[roster.UserInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, user, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.replaceUser},
		{Operation{Method: "PATCH", Path: "/v1/users/{id}", ID: "patchUser", Tag: "users", Summary: "Change some fields of a user",
			Description: "A JSON Merge Patch (RFC 7396; also for application/json) or a JSON Patch (RFC 6902) applied to the user as GET returns it.",
			Params:      []openapi.Param{userRef, ifMatch, prefer}, Body: patchBodies(typeOf[roster.UserInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, user, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.patchUser},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}", ID: "deleteUser", Tag: "users", Summary: "Delete a user",
			Params:    []openapi.Param{userRef, ifMatch},
			Responses: append([]openapi.Response{{Status: 204, Description: "Deleted"}}, errs(403, 404, 409, 412, 428)...),
			Scopes:    []string{"users:write:all"}}, s.deleteUser},
		{Operation{Method: "POST", Path: "/v1/users/{id}/tags", ID: "addUserTags", Tag: "users", Summary: "Add tags to a user",
			Description: "Adds values to the tags array; a name the user already has is not added twice (its colour is updated when given).",
			Params:      []openapi.Param{userRef, ifMatch, prefer, idemKey}, Body: jsonAndXML(typeOf[TagsInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, user, "ETag"), changedMinimal}, errs(writeErrs...)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.addTags},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}/tags/{tag_id}", ID: "removeUserTag", Tag: "users", Summary: "Remove a tag from a user",
			Params:    []openapi.Param{userRef, pathParam("tag_id", "The tag's id."), ifMatch},
			Responses: append([]openapi.Response{{Status: 204, Description: "Removed"}}, errs(403, 404, 412, 428)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.removeTag},

		{Operation{Method: "POST", Path: "/v1/orgs", ID: "createOrg", Tag: "organizations", Summary: "Create an organisation",
			Params: []openapi.Param{idemKey, prefer}, Body: jsonAndXML(typeOf[roster.OrgInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, org, "ETag", "Location"), createdMinimal}, errs(400, 403, 409, 413, 415, 422)...),
			Scopes:    []string{"orgs:write"}}, s.createOrg},
		{Operation{Method: "GET", Path: "/v1/orgs", ID: "listOrgs", Tag: "organizations", Summary: "List organisations",
			Params: []openapi.Param{
				queryParam("parent_id", "Only direct children of this organisation.", tString),
				queryParam("status", "Only organisations with this status.", tString, "enabled", "disabled"),
				queryParam("feature", "Only organisations with this feature.", tString),
				queryParam("q", "Case-insensitive partial match on name, domain and external id.", tString),
				queryParam("created_after", "Created strictly after this time.", tTime),
				queryParam("created_before", "Created strictly before this time.", tTime),
				limitP, cursorP},
			Responses: append([]openapi.Response{ok(200, orgs)}, errs(readErrs...)...), Scopes: []string{"orgs:read"}}, s.listOrgs},
		{Operation{Method: "GET", Path: "/v1/orgs/{id}", ID: "getOrg", Tag: "organizations", Summary: "Get an organisation",
			Params:    []openapi.Param{orgRef, ifNone},
			Responses: append([]openapi.Response{ok(200, org, "ETag"), {Status: 304, Description: "Not modified"}}, errs(readErrs...)...),
			Scopes:    []string{"orgs:read"}}, s.getOrg},
		{Operation{Method: "PUT", Path: "/v1/orgs/{id}", ID: "replaceOrg", Tag: "organizations", Summary: "Replace an organisation",
			Params: []openapi.Param{orgRef, ifMatch, prefer}, Body: jsonAndXML(typeOf[roster.OrgInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, org, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"orgs:write"}}, s.replaceOrg},
		{Operation{Method: "PATCH", Path: "/v1/orgs/{id}", ID: "patchOrg", Tag: "organizations", Summary: "Change some fields of an organisation",
			Params: []openapi.Param{orgRef, ifMatch, prefer}, Body: patchBodies(typeOf[roster.OrgInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, org, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"orgs:write"}}, s.patchOrg},
		{Operation{Method: "DELETE", Path: "/v1/orgs/{id}", ID: "deleteOrg", Tag: "organizations", Summary: "Delete an organisation",
			Description: "Refused with 409 while it has users or child organisations. Its webhooks are deleted with it (each with its webhook.deleted event), which takes the webhooks:write scope when it has any.",
			Params:      []openapi.Param{orgRef, ifMatch},
			Responses:   append([]openapi.Response{{Status: 204, Description: "Deleted"}}, errs(403, 404, 409, 412, 428)...),
			Scopes:      []string{"orgs:write"}}, s.deleteOrg},
		{Operation{Method: "POST", Path: "/v1/orgs/{id}/credit", ID: "adjustOrgCredit", Tag: "organizations", Summary: "Adjust an organisation's credit",
			Params: []openapi.Param{orgRef, idemKey, prefer}, Body: jsonAndXML(typeOf[CreditInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, org, "ETag"), changedMinimal}, errs(400, 403, 404, 413, 415, 422)...),
			Scopes:    []string{"orgs:write"}}, s.adjustCredit},

		{Operation{Method: "GET", Path: "/v1/orgs/{id}/members", ID: "listMembers", Tag: "organizations", Summary: "List an organisation's members",
			Params:    []openapi.Param{orgRef, limitP, cursorP},
			Responses: append([]openapi.Response{ok(200, typeOf[MemberList]())}, errs(readErrs...)...), Scopes: []string{"users:read"}}, s.listMembers},
		{Operation{Method: "PUT", Path: "/v1/orgs/{id}/members/{user_id}", ID: "putMember", Tag: "organizations", Summary: "Add a member or set its roles",
			Description: "Only admins change memberships; only owners grant owner or admin. In the user's home organisation this sets the user's roles. A membership is part of its user: If-Match takes the user's ETag, and the answer carries the user's new one.",
			Params:      []openapi.Param{orgRef, pathParam("user_id", "The user's id."), userIfMatch}, Body: jsonAndXML(typeOf[MemberInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, typeOf[MemberResource](), "ETag")}, errs(400, 403, 404, 409, 412, 413, 415, 422, 428)...),
			Scopes:    []string{"users:write:all"}}, s.putMember},
		{Operation{Method: "DELETE", Path: "/v1/orgs/{id}/members/{user_id}", ID: "deleteMember", Tag: "organizations", Summary: "Remove a membership",
			Description: "The home membership cannot be removed (409): move the user instead. If-Match takes the user's ETag.",
			Params:      []openapi.Param{orgRef, pathParam("user_id", "The user's id."), userIfMatch},
			Responses:   append([]openapi.Response{{Status: 204, Description: "Removed"}}, errs(403, 404, 409, 412, 428)...), Scopes: []string{"users:write:all"}}, s.deleteMember},
		{Operation{Method: "GET", Path: "/v1/orgs/{id}/settings-schema", ID: "getSettingsSchema", Tag: "organizations", Summary: "Get the settings schema that applies",
			Description: "The organisation's own JSON Schema for its users' settings, or its nearest ancestor's; 404 when none applies. The ETag is \"<version>\" for the organisation's own schema (1 when first set, one more at every change) and \"<ancestor id>.<version>\" for an inherited one.",
			Params:      []openapi.Param{orgRef, ifNone},
			Responses:   append([]openapi.Response{ok(200, typeOf[SettingsSchema](), "ETag"), {Status: 304, Description: "Not modified"}}, errs(readErrs...)...), Scopes: []string{"orgs:read"}}, s.getSettingsSchema},
		{Operation{Method: "PUT", Path: "/v1/orgs/{id}/settings-schema", ID: "putSettingsSchema", Tag: "organizations", Summary: "Set the settings schema",
			Description: "A JSON Schema (draft 2020-12, self-contained: no external $ref) that users' settings in this organisation and its descendants must satisfy. If-Match takes the ETag of GET (of the schema that applies now, own or inherited); the answer carries the new one. A schema equal to the organisation's own changes nothing.",
			Params:      []openapi.Param{orgRef, ifMatch}, Body: []openapi.Media{{ContentType: "application/json", Type: typeOf[SettingsSchema]()}, {ContentType: "application/schema+json", Type: typeOf[SettingsSchema]()}}, BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, typeOf[SettingsSchema](), "ETag")}, errs(400, 403, 404, 412, 413, 415, 422, 428)...), Scopes: []string{"orgs:write"}}, s.putSettingsSchema},

		{Operation{Method: "POST", Path: "/v1/api-keys", ID: "createAPIKey", Tag: "api-keys", Summary: "Create an API key",
			Description: "The secret is returned once, as key. An admin may create a key for a user it administers, never with more scopes than that user's roles allow.",
			Params:      []openapi.Param{idemKey}, Body: jsonAndXML(typeOf[service.APIKeyInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, typeOf[APIKeyResource](), "Location")}, errs(400, 403, 404, 413, 415, 422)...),
			Scopes:    []string{"keys:write"}}, s.createAPIKey},
		{Operation{Method: "GET", Path: "/v1/api-keys", ID: "listAPIKeys", Tag: "api-keys", Summary: "List API keys",
			Description: "The caller's keys and, with the keys:write scope, those of the users it administers; never their secrets. Newest first, in pages: pass next_cursor as cursor for the next page (absent or null on the last); the order is stable while keys are added.",
			Params:      []openapi.Param{limitP, cursorP},
			Responses:   append([]openapi.Response{ok(200, typeOf[APIKeyList]())}, errs(400, 406)...)}, s.listAPIKeys},
		{Operation{Method: "DELETE", Path: "/v1/api-keys/{id}", ID: "deleteAPIKey", Tag: "api-keys", Summary: "Revoke an API key",
			Params:    []openapi.Param{pathParam("id", "The key's id.")},
			Responses: append([]openapi.Response{{Status: 204, Description: "Revoked; the key stops working at once"}}, errs(403, 404)...), Scopes: []string{"keys:write"}}, s.deleteAPIKey},

		{Operation{Method: "GET", Path: "/v1/events", ID: "listEvents", Tag: "events", Summary: "The change feed",
			Description: "Every change the caller may see (changes of webhooks only for those who administer them: a URL can be a secret), in commit order, each with the resource before and after and the JSON Patch between them. Pass the last event's id as after to continue; wait long-polls until an event comes. The feed keeps events for the server's --event-retention (90 days by default): an after older than that is 410 Gone, and the consumer reads again from the start of the feed (no after).",
			Params: []openapi.Param{
				queryParam("after", "Return events after this event id.", tString),
				queryParam("type", "Comma-separated event types; a trailing .* matches a prefix (user.*).", tString),
				{Name: "wait", In: "query", Type: tInt, Min: f(0), Max: f(60), Description: "Seconds to wait for the first event when there is none yet."},
				limitP},
			Responses: append([]openapi.Response{ok(200, typeOf[EventList]())}, append(errs(readErrs...), openapi.Response{Status: 410, Description: "after names an event past the feed's retention: read the feed again without after."})...), Scopes: []string{"events:read"}}, s.listEvents},
		{Operation{Method: "GET", Path: "/v1/audit-events", ID: "listAuditEvents", Tag: "audit", Summary: "The audit log",
			Description: "Who changed what, from where, with which patch; for admins, over what they administer.",
			Params: []openapi.Param{
				queryParam("target", "Only changes to this resource id.", tString),
				queryParam("actor", "Only changes made by this user id.", tString),
				queryParam("after", "Only changes after this time.", tTime),
				queryParam("before", "Only changes before this time.", tTime),
				limitP, cursorP},
			Responses: append([]openapi.Response{ok(200, typeOf[AuditList]())}, errs(400, 403, 406)...), Scopes: []string{"audit:read"}}, s.listAuditEvents},

		{Operation{Method: "POST", Path: "/v1/webhooks", ID: "createWebhook", Tag: "webhooks", Summary: "Create a webhook",
			Description: "Subscribes a URL to event types of an organisation's subtree. The signing secret is returned once, as signing.secret; auth secrets and header values are write-only (reads show \"********\"). Events from the creation on are delivered.",
			Params:      []openapi.Param{idemKey, prefer}, Body: jsonAndXML(typeOf[roster.WebhookInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, webhook, "ETag", "Location"), createdMinimal}, errs(400, 403, 413, 415, 422, 503)...),
			Scopes:    []string{"webhooks:write"}}, s.createWebhook},
		{Operation{Method: "GET", Path: "/v1/webhooks", ID: "listWebhooks", Tag: "webhooks", Summary: "List webhooks",
			Description: "The webhooks of the organisations the caller administers, oldest first, in pages: pass next_cursor as cursor for the next page (absent or null on the last); the order is stable while webhooks are added.",
			Params:      []openapi.Param{limitP, cursorP},
			Responses:   append([]openapi.Response{ok(200, typeOf[WebhookList]())}, errs(400, 403, 406, 503)...), Scopes: []string{"webhooks:read"}}, s.listWebhooks},
		{Operation{Method: "GET", Path: "/v1/webhooks/{id}", ID: "getWebhook", Tag: "webhooks", Summary: "Get a webhook",
			Params:    []openapi.Param{hookRef, ifNone},
			Responses: append([]openapi.Response{ok(200, webhook, "ETag"), {Status: 304, Description: "Not modified"}}, errs(readErrs...)...),
			Scopes:    []string{"webhooks:read"}}, s.getWebhook},
		{Operation{Method: "PUT", Path: "/v1/webhooks/{id}", ID: "replaceWebhook", Tag: "webhooks", Summary: "Replace a webhook",
			Description: "Replaces every writable field; secrets left out, or sent as \"********\", keep their values. Enabling signing again returns its new secret once, as signing.secret.",
			Params:      []openapi.Param{hookRef, ifMatch, prefer}, Body: jsonAndXML(typeOf[roster.WebhookInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, webhook, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"webhooks:write"}}, s.replaceWebhook},
		{Operation{Method: "PATCH", Path: "/v1/webhooks/{id}", ID: "patchWebhook", Tag: "webhooks", Summary: "Change some fields of a webhook",
			Description: "A JSON Merge Patch or JSON Patch applied to the webhook as GET returns it; secrets can be set (auth.password, header values, …) but never read, and \"********\" keeps a stored one. Enabling signing again returns its new secret once, as signing.secret.",
			Params:      []openapi.Param{hookRef, ifMatch, prefer}, Body: patchBodies(typeOf[roster.WebhookInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, webhook, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"webhooks:write"}}, s.patchWebhook},
		{Operation{Method: "DELETE", Path: "/v1/webhooks/{id}", ID: "deleteWebhook", Tag: "webhooks", Summary: "Delete a webhook and its delivery log",
			Params:    []openapi.Param{hookRef, ifMatch},
			Responses: append([]openapi.Response{{Status: 204, Description: "Deleted"}}, errs(403, 404, 412, 428)...), Scopes: []string{"webhooks:write"}}, s.deleteWebhook},
		{Operation{Method: "GET", Path: "/v1/webhooks/{id}/deliveries", ID: "listDeliveries", Tag: "webhooks", Summary: "The delivery log",
			Description: "Deliveries newest first, each with its newest attempt (attempt, status_code, latency_ms, response_excerpt, error) and its log of attempts: status code, latency and the first 1 KiB of the answer.",
			Params: []openapi.Param{hookRef,
				queryParam("status", "Only deliveries in this state.", tString, roster.DeliveryPending, roster.DeliverySucceeded, roster.DeliveryFailed),
				limitP, cursorP},
			Responses: append([]openapi.Response{ok(200, typeOf[DeliveryList]())}, errs(readErrs...)...), Scopes: []string{"webhooks:read"}}, s.listDeliveries},
		{Operation{Method: "POST", Path: "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", ID: "retryDelivery", Tag: "webhooks", Summary: "Deliver again",
			Description: "Sends a finished (succeeded or failed) delivery again, or brings the next attempt of a pending one waiting out its back-off forward to now; either goes as soon as it is the oldest pending one of its resource. 409 while an attempt at it is in flight.",
			Params:      []openapi.Param{hookRef, pathParam("delivery_id", "The delivery's id."), idemKey},
			Responses:   append([]openapi.Response{ok(202, typeOf[DeliveryResource]())}, errs(403, 404, 409)...), Scopes: []string{"webhooks:write"}}, s.retryDelivery},
		{Operation{Method: "POST", Path: "/v1/webhooks/{id}/test", ID: "testWebhook", Tag: "webhooks", Summary: "Send a test message now",
			Description: "Sends a signed webhook.test message and reports the receiver's answer; nothing is stored.",
			Params:      []openapi.Param{hookRef},
			Responses:   append([]openapi.Response{ok(200, typeOf[TestResult]())}, errs(403, 404)...), Scopes: []string{"webhooks:write"}}, s.testWebhook},
		{Operation{Method: "POST", Path: "/v1/webhooks/{id}/rotate-secret", ID: "rotateWebhookSecret", Tag: "webhooks", Summary: "Rotate the signing secret",
			Description: "Returns a new signing secret, shown once, as signing.secret. For the rotation overlap (24 hours by default) messages carry signatures by both the new and the old secret. A webhook whose signing is disabled has no secret to rotate: 409.",
			Params:      []openapi.Param{hookRef},
			Responses:   append([]openapi.Response{ok(200, webhook, "ETag")}, errs(403, 404, 409)...), Scopes: []string{"webhooks:write"}}, s.rotateWebhookSecret},

		{Operation{Method: "GET", Path: "/healthz", ID: "healthz", Tag: "system", Summary: "Liveness", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[Health]())}, errs(400, 406)...)}, s.healthz},
		{Operation{Method: "GET", Path: "/readyz", ID: "readyz", Tag: "system", Summary: "Readiness: the database answers and is migrated", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[Health]())}, errs(400, 406, 503)...)}, s.readyz},
		{Operation{Method: "GET", Path: "/metrics", ID: "metrics", Tag: "system", Summary: "Prometheus metrics", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[openapi.PlainText]())}, errs(400, 406)...)}, s.serveMetrics},
		{Operation{Method: "GET", Path: "/openapi.json", ID: "openapi", Tag: "system", Summary: "This OpenAPI document", Public: true, JSONOnly: true,
			Responses: append([]openapi.Response{ok(200, typeOf[map[string]any]())}, errs(400, 406)...)}, s.openapi},
		{Operation{Method: "GET", Path: "/docs", ID: "docs", Tag: "system", Summary: "The API reference, rendered", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[openapi.HTML]())}, errs(400, 406)...)}, s.docs},

		// The console (PRODUCT.md section 10): console.go.
		{Operation{Method: "GET", Path: "/console", ID: "consoleRoot", Tag: "system", Summary: "The console: on to /console/", Public: true,
			Responses: []openapi.Response{{Status: 302, Description: "To /console/", Headers: []string{"Location"}}}}, s.consoleRoot},
		{Operation{Method: "GET", Path: "/console/signin", ID: "consoleSignIn", Tag: "system", Summary: "The console's sign-in: on to the authorization endpoint", Public: true,
			Description: "Makes sure the console's client (" + service.ConsoleClientID + ": first-party, public, redirect URI {public-url}/console/callback) exists as the console needs it, then redirects to /oauth2/authorize with the same query. A public URL that is http to a host other than loopback cannot take the console's callback: 503.",
			Params:      authorizeParams,
			Responses:   pageResponses(302, 500, 503)}, s.consoleSignIn},
		{Operation{Method: "GET", Path: "/console/{asset...}", ID: "console", Tag: "system", Summary: "The console, the web interface for operators and organisation admins", Public: true,
			Description: "The page (at /console/ and its sign-in callback /console/callback) and its scripts and styles. It signs in with the authorization code flow and PKCE as the first-party public client " + service.ConsoleClientID + " and calls only this API with its user's token.",
			Params:      []openapi.Param{pathParam("asset", "A file of the console; empty for the page.")},
			Responses:   append([]openapi.Response{ok(200, typeOf[openapi.HTML]())}, errs(404)...)}, s.console},

		// OpenID Connect (PRODUCT.md section 9): oidc.go.
		{Operation{Method: "GET", Path: "/.well-known/openid-configuration", ID: "openidConfiguration", Tag: "openid", Summary: "OpenID Provider Metadata (discovery)", Public: true, JSONOnly: true,
			Description: "OpenID Connect Discovery 1.0: the issuer (the public URL, --public-url) and where its endpoints are. Cacheable for an hour; any origin may read it (CORS).",
			Responses:   append([]openapi.Response{ok(200, typeOf[service.Discovery]())}, errs(400)...)}, s.discovery},
		{Operation{Method: "GET", Path: "/oauth2/jwks", ID: "jwks", Tag: "openid", Summary: "The keys that sign ID tokens (JWK Set)", Public: true, JSONOnly: true,
			Description: "The current RS256 and ES256 keys and, after a rotation (roster keys rotate), the retired ones until every token they signed has expired. Cacheable for five minutes; refetch it when a token names a kid it does not hold. Any origin may read it (CORS).",
			Responses:   append([]openapi.Response{{Status: 200, Type: typeOf[JWKSet](), ContentType: "application/jwk-set+json", Description: "The JWK Set"}}, errs(400)...)}, s.jwks},

		// Sign-in pages for apps (PRODUCT.md section 9): signin.go.
		{Operation{Method: "GET", Path: "/oauth2/authorize", ID: "authorize", Tag: "auth", Summary: "Authorization endpoint (OAuth 2.0, OpenID Connect)", Public: true,
			Description: "Starts a sign-in of a user into an app: the authorization code flow with PKCE (S256; required for public clients). A known client and one of its redirect_uris exactly, or an error page and nothing is redirected; then the hosted pages (sign in with username or email and password, the second factor, consent for third-party clients) and a redirect back with code and state, or with error, error_description and state. prompt=none answers login_required or consent_required instead of a page; prompt=login and max_age ask for the password again.",
			Params:      authorizeParams,
			Responses:   pageResponses(302, 400, 429)}, s.authorizeGet},
		{Operation{Method: "POST", Path: "/oauth2/authorize", ID: "authorizeForm", Tag: "auth", Summary: "The sign-in pages' forms", Public: true,
			Description: "What the hosted pages post: the password, the second factor's code or the consent, with the page's CSRF token (tied to a cookie) and its sealed request. A wrong password or code shows the page again (400) and counts against the same per-account and per-address limits as the token endpoint (429 with Retry-After).",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[AuthorizeForm]()}}, BodyRequired: true,
			Responses: pageResponses(303, 400, 403, 429)}, s.authorizePost},
		{Operation{Method: "GET", Path: "/oauth2/logout", ID: "logout", Tag: "auth", Summary: "Sign out (OpenID Connect RP-Initiated Logout)", Public: true,
			Description: "Ends the browser's session and revokes the tokens issued in it. Without an id_token_hint of the signed-in user it asks first. post_logout_redirect_uri must be registered for the client (named by client_id or the hint's audience); state is passed back. Without one, a signed-out page.",
			Params:      logoutParams,
			Responses:   pageResponses(302, 400)}, s.logout},
		{Operation{Method: "GET", Path: "/oauth2/sso", ID: "openSSOLink", Tag: "auth", Summary: "Open an SSO link", Public: true,
			Description: "The url of POST /v1/users/{id}/sso-links: a browser session as the user (cookie), then a redirect to the link's redirect_uri. A link used before or expired answers an error page (410), an unknown one 400, one whose user, organisation or maker may no longer sign in 403; never a redirect.",
			Params:      []openapi.Param{queryParam("link", "The link's secret.", tString)},
			Responses:   []openapi.Response{{Status: 302, Description: "Signed in: on to the app", Headers: []string{"Location"}}, {Status: 400, Type: typeOf[openapi.HTML]()}, {Status: 403, Type: typeOf[openapi.HTML]()}, {Status: 410, Type: typeOf[openapi.HTML]()}}}, s.openSSOLink},
		{Operation{Method: "POST", Path: "/oauth2/logout", ID: "logoutForm", Tag: "auth", Summary: "Sign out (form)", Public: true,
			Description: "The logout parameters as a form: an RP's, or the confirmation page's (with its CSRF token and confirm=yes).",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[LogoutForm]()}}, BodyRequired: true,
			Responses: pageResponses(303, 400, 403)}, s.logout},
		// Forgot password pages (PRODUCT.md section 9): forgot.go.
		{Operation{Method: "GET", Path: "/oauth2/password/forgot", ID: "forgotPassword", Tag: "auth", Summary: "Forgot password page", Public: true,
			Description: "A form for a username or email that mails a reset link. request is the sign-in page's sealed pending authorization, which the reset continues.",
			Params:      []openapi.Param{queryParam("request", "The sign-in page's sealed authorization request (optional).", tString)},
			Responses:   pageResponses(0, 400)}, s.forgotGet},
		{Operation{Method: "POST", Path: "/oauth2/password/forgot", ID: "forgotPasswordForm", Tag: "auth", Summary: "Mail a password reset link", Public: true,
			Description: "Mails a link that works once, for an hour, to the address of the account named, if there is one that may sign in; the answer is the same page either way. At most as many mails an account as email changes (--email-change-limit per --email-change-window; beyond, none, silently); an address counts like failed sign-ins (429 with Retry-After).",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[ForgotForm]()}}, BodyRequired: true,
			Responses: pageResponses(0, 400, 403, 429)}, s.forgotPost},
		{Operation{Method: "GET", Path: "/oauth2/password/reset", ID: "resetPassword", Tag: "auth", Summary: "New password page of a reset link", Public: true,
			Description: "The mailed link's page: a form for the new password, or an error page when the link was used, expired or was mistyped.",
			Params:      []openapi.Param{queryParam("reset", "The reset link's secret.", tString)},
			Responses:   pageResponses(0, 400)}, s.resetGet},
		{Operation{Method: "POST", Path: "/oauth2/password/reset", ID: "resetPasswordForm", Tag: "auth", Summary: "Set a new password with a reset link", Public: true,
			Description: "Sets the password (the policy of PUT /v1/users/{id}/password; a broken rule shows the form again, 400), uses the link, ends every browser session and token of the user and writes user.password_changed; then the sign-in page of the pending authorization, or a done page.",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[ResetForm]()}}, BodyRequired: true,
			Responses: pageResponses(0, 400, 403, 503)}, s.resetPost},
		{Operation{Method: "GET", Path: "/oauth2/userinfo", ID: "userinfo", Tag: "openid", Summary: "The signed-in user's claims (OpenID Connect userinfo)", Public: true, JSONOnly: true,
			Description: userinfoDoc,
			Responses:   userinfoAnswers}, s.userinfo},
		{Operation{Method: "POST", Path: "/oauth2/userinfo", ID: "userinfoPost", Tag: "openid", Summary: "The signed-in user's claims (OpenID Connect userinfo, POST)", Public: true, JSONOnly: true,
			Description: userinfoDoc,
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[UserInfoForm]()}},
			Responses:   userinfoAnswers}, s.userinfo},
		{Operation{Method: "POST", Path: "/oauth2/introspect", ID: "introspectToken", Tag: "openid", Summary: "Look up an access or refresh token (RFC 7662)", Public: true, JSONOnly: true,
			Description: "The caller authenticates as a confidential OAuth client (client_secret_basic or client_secret_post), which learns about the tokens of its organisation and those below it, or with an API key or access token having keys:write, which learns about its own tokens and those of the organisations it administers. Anything unknown, expired, revoked (a reused refresh token revokes its whole sign-in), of a disabled user or organisation, or beyond what the caller may learn about is {\"active\": false}.",
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[IntrospectForm]()}}, BodyRequired: true,
			Responses: []openapi.Response{ok(200, typeOf[service.Introspection]()),
				{Status: 400, Type: typeOf[BearerErrorBody](), Description: "invalid_request, or unauthorized_client (the client's organisation is disabled)"},
				{Status: 401, Type: typeOf[BearerErrorBody](), Description: "invalid_client or invalid_token: the caller did not authenticate", Headers: []string{"WWW-Authenticate"}},
				{Status: 403, Type: typeOf[BearerErrorBody](), Description: "insufficient_scope: the bearer token lacks keys:write", Headers: []string{"WWW-Authenticate"}},
				{Status: 429, Type: typeOf[BearerErrorBody](), Description: "Too many failed client authentications from the address", Headers: []string{"Retry-After"}}}}, s.introspect},

		// Account security (PRODUCT.md section 6): auth.go.
		{Operation{Method: "POST", Path: "/v1/auth/token", ID: "token", Tag: "auth", Summary: "Get an access token (OAuth 2.0)", Public: true, JSONOnly: true,
			Description: "RFC 6749 token endpoint. authorization_code (code, redirect_uri, code_verifier for PKCE) takes the app's client_id and, for a confidential client, client_secret by HTTP Basic or form fields, and answers an id_token for the openid scope and a refresh token for offline_access; a code works once, and a second use revokes what the first gave. password grant (username or email, password, totp when two-factor sign-in is on) needs no client authentication, nor a refresh of its tokens; an app's refresh token refreshes only with that app's client authentication. client_credentials takes client_id and client_secret by HTTP Basic or form fields. Access tokens are short-lived bearer tokens for every /v1 route; refresh tokens rotate on use, and reusing one revokes the whole sign-in. Failed sign-ins are limited per account and per client address (429 with Retry-After). " + webOriginsDoc,
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[TokenForm]()}}, BodyRequired: true,
			Responses: []openapi.Response{ok(200, typeOf[service.TokenResponse]()),
				{Status: 400, Type: typeOf[OAuthErrorBody](), Description: "invalid_request, invalid_grant, invalid_scope, unsupported_grant_type or unauthorized_client (RFC 6749 section 5.2)"},
				{Status: 401, Type: typeOf[OAuthErrorBody](), Description: "invalid_client"},
				{Status: 429, Type: typeOf[OAuthErrorBody](), Description: "Too many failed sign-ins for the account or from the address", Headers: []string{"Retry-After"}},
				{Status: 503, Type: typeOf[OAuthErrorBody](), Description: "temporarily_unavailable: too many passwords are being checked right now", Headers: []string{"Retry-After"}}}}, s.token},
		{Operation{Method: "POST", Path: "/v1/auth/revoke", ID: "revokeToken", Tag: "auth", Summary: "Revoke a token (RFC 7009)", Public: true,
			Description: "Revokes the sign-in an access or refresh token belongs to: all its tokens stop working at once. An unknown token is not an error. " + webOriginsDoc,
			Body:        []openapi.Media{{ContentType: "application/x-www-form-urlencoded", Type: typeOf[RevokeForm]()}}, BodyRequired: true,
			Responses: []openapi.Response{{Status: 200, Description: "Revoked (or unknown)"}, {Status: 400, Type: typeOf[OAuthErrorBody](), Description: "invalid_request"}}}, s.revoke},
		{Operation{Method: "POST", Path: "/v1/users/{id}/password", ID: "changePassword", Tag: "users", Summary: "Change a user's password",
			Description: "Users changing their own password send current_password; an admin of the user sends none (only an owner sets an admin's or owner's). The user's other access and refresh tokens are revoked unless revoke_other_tokens is false. Writes a user.password_changed event; the password is never stored, shown or logged.",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.PasswordInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{{Status: 204, Description: "Changed"}, {Status: 429, Description: "Too many wrong current passwords", Headers: []string{"Retry-After"}}}, errs(400, 403, 404, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.changePassword},
		{Operation{Method: "POST", Path: "/v1/users/{id}/mfa/totp", ID: "enrolTOTP", Tag: "users", Summary: "Start a TOTP enrolment",
			Description: "Users enrol their own authenticator app: the answer holds the secret, an otpauth:// URI and a QR code PNG. Two-factor sign-in is on only once a code confirms it.",
			Params:      []openapi.Param{userRef},
			Responses:   append([]openapi.Response{ok(201, typeOf[TOTPEnrolmentResource]())}, errs(403, 404, 409)...),
			Scopes:      []string{"users:write:self", "users:write:members", "users:write:all"}}, s.enrolTOTP},
		{Operation{Method: "POST", Path: "/v1/users/{id}/mfa/totp/confirm", ID: "confirmTOTP", Tag: "users", Summary: "Turn two-factor sign-in on",
			Description: "A current code from the app confirms the enrolment: mfa_enabled becomes true (event user.mfa_changed) and the answer holds ten one-time recovery codes, shown only this once.",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.CodeInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, typeOf[RecoveryCodesResource]())}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.confirmTOTP},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}/mfa/totp", ID: "disableTOTP", Tag: "users", Summary: "Turn two-factor sign-in off",
			Description: "Users turning off their own send a current code or a recovery code; an admin of the user sends none (only an owner does it for an admin or owner). mfa_enabled becomes false (event user.mfa_changed).",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.CodeInput]()),
			Responses: append([]openapi.Response{{Status: 204, Description: "Off"}, {Status: 429, Description: "Too many wrong codes", Headers: []string{"Retry-After"}}}, errs(400, 403, 404, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.disableTOTP},
		{Operation{Method: "POST", Path: "/v1/users/{id}/email-change", ID: "requestEmailChange", Tag: "users", Summary: "Change a user's email",
			Description: "Users changing their own: a 6-digit code and a link go to the NEW address and the answer (202) is the pending change; nothing changes until it is confirmed, and a new request replaces the pending one. An admin of another user sends a reason and the change happens at once (200, the user; email_verified becomes false). Either way the username follows where it equalled the email, the old address is told, and a user.email_changed event is written (with the reason).",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.EmailChangeInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(202, typeOf[PendingEmailChangeResource]()), ok(200, user, "ETag"),
				{Status: 429, Description: "Too many email changes asked for by this user within the hour (5 by default)", Headers: []string{"Retry-After"}}}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes: []string{"users:write:self", "users:write:members", "users:write:all"}}, s.requestEmailChange},
		{Operation{Method: "POST", Path: "/v1/users/{id}/email-change/confirm", ID: "confirmEmailChange", Tag: "users", Summary: "Confirm an email change",
			Description: "The code (or the link's token) from the mail applies the pending change: email, username where it equalled the email, and email_verified. Five wrong codes cancel the change; it also expires (24 h by default).",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.EmailConfirmInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, user, "ETag")}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:self", "users:write:members", "users:write:all"}}, s.confirmEmailChange},
		{Operation{Method: "POST", Path: "/v1/users/{id}/username", ID: "changeUsername", Tag: "users", Summary: "Change a user's username",
			Description: "For admins of the user (owners for admins and owners); writes user.updated with the reason.",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.UsernameInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, user, "ETag")}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:all"}}, s.changeUsername},
		{Operation{Method: "POST", Path: "/v1/auth/set-password", ID: "setPasswordWithInvite", Tag: "auth", Summary: "Choose a password with an invitation link", Public: true,
			Description: "The token of the link mailed by POST /v1/users with send_invite: true. It works once and expires (7 days by default); using it also marks the email verified.",
			Body:        jsonAndXML(typeOf[service.SetPasswordInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{{Status: 204, Description: "Password set"}}, errs(400, 413, 415, 422)...)}, s.setPassword},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}/lockout", ID: "liftLockout", Tag: "users", Summary: "Lift a sign-in lockout",
			Description: "Forgets the user's failed sign-ins, which ends a lockout at once. For admins of the user.",
			Params:      []openapi.Param{userRef},
			Responses:   append([]openapi.Response{{Status: 204, Description: "Lifted"}}, errs(403, 404)...), Scopes: []string{"users:write:all"}}, s.liftLockout},

		// Browser sessions and reseller SSO (PRODUCT.md section 9): sessions.go, sso.go.
		{Operation{Method: "GET", Path: "/v1/users/{id}/sessions", ID: "listSessions", Tag: "users", Summary: "List a user's browser sessions",
			Description: "The user's live sessions of the hosted sign-in pages, newest first, in pages (pass next_cursor as cursor): where and how each signed in, and impersonator_id for one opened with an SSO link. For the user itself and those who administer it (at least its rank wherever it is a manager or higher).",
			Params:      []openapi.Param{userRef, limitP, cursorP},
			Responses:   append([]openapi.Response{ok(200, typeOf[SessionList]())}, errs(400, 403, 404, 406)...), Scopes: []string{"users:read"}}, s.listSessions},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}/sessions/{session_id}", ID: "deleteSession", Tag: "users", Summary: "End a browser session",
			Description: "Signs the browser out and revokes the access and refresh tokens issued in the session (event session.revoked). For the user itself and its admins (only an owner ends an admin's or owner's).",
			Params:      []openapi.Param{userRef, pathParam("session_id", "The session's id (ses_…).")},
			Responses:   append([]openapi.Response{{Status: 204, Description: "Ended; its tokens stop working at once"}}, errs(403, 404)...),
			Scopes:      []string{"users:write:self", "users:write:members", "users:write:all"}}, s.deleteSession},
		{Operation{Method: "DELETE", Path: "/v1/users/{id}/sessions", ID: "deleteSessions", Tag: "users", Summary: "Sign a user out everywhere",
			Description: "Ends every browser session of the user and revokes all its access and refresh tokens, those of the token endpoint included (API keys stay). One sessions.revoked event; nothing to end writes none. For the user itself and its admins (only an owner signs out an admin or owner).",
			Params:      []openapi.Param{userRef},
			Responses:   append([]openapi.Response{{Status: 204, Description: "Signed out everywhere"}}, errs(403, 404)...),
			Scopes:      []string{"users:write:self", "users:write:members", "users:write:all"}}, s.deleteSessions},
		{Operation{Method: "POST", Path: "/v1/users/{id}/sso-links", ID: "createSSOLink", Tag: "users", Summary: "Create an SSO link (sign in as the user)",
			Description: "A one-time link that signs a browser in as the user, without its password or second factor, and sends it to redirect_uri of the app client_id (which then starts its usual sign-in and finds the session). Single use, for 5 minutes; only its hash is stored. For admins of the user under the rank rule (only an owner makes one for an admin or owner); not for oneself. The session and every change made in it name the link's maker as actor.impersonator_id; the user sees the session in its list. Event sso_link.created.",
			Params:      []openapi.Param{userRef}, Body: jsonAndXML(typeOf[service.SSOLinkInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, typeOf[SSOLinkResource]())}, errs(400, 403, 404, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:all"}}, s.createSSOLink},
		{Operation{Method: "POST", Path: "/v1/oauth-clients", ID: "createOAuthClient", Tag: "oauth-clients", Summary: "Create an OAuth client",
			Description: "An app of the product: a service client (client_credentials, acting for its organisation with exactly its scopes) and/or an app users sign in to (authorization_code, refresh_token; password for first-party apps). For admins of that organisation. A confidential client's secret is returned once, as client_secret; public clients have none. The body {name, scopes} alone makes a confidential client_credentials client. An answer with a secret is sent whatever Prefer says.",
			Params:      []openapi.Param{idemKey, prefer}, Body: jsonAndXML(typeOf[roster.OAuthClientInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, client, "ETag", "Location"), createdMinimal}, errs(400, 403, 413, 415, 422)...),
			Scopes:    []string{"keys:write"}}, s.createOAuthClient},
		{Operation{Method: "GET", Path: "/v1/oauth-clients", ID: "listOAuthClients", Tag: "oauth-clients", Summary: "List OAuth clients",
			Description: "The clients of the organisations the caller administers, for a token with the keys:write scope (without it the list is empty); never their secrets. Newest first, in pages: pass next_cursor as cursor for the next page (absent or null on the last); the order is stable while clients are added.",
			Params:      []openapi.Param{limitP, cursorP},
			Responses:   append([]openapi.Response{ok(200, typeOf[OAuthClientList]())}, errs(400, 406)...)}, s.listOAuthClients},
		{Operation{Method: "GET", Path: "/v1/oauth-clients/{id}", ID: "getOAuthClient", Tag: "oauth-clients", Summary: "Get an OAuth client",
			Description: "Never its secret. For admins of the client's organisation; another organisation's client is not found.",
			Params:      []openapi.Param{clientRef, ifNone},
			Responses:   append([]openapi.Response{ok(200, client, "ETag"), {Status: 304, Description: "Not modified"}}, errs(400, 403, 404, 406)...),
			Scopes:      []string{"keys:write"}}, s.getOAuthClient},
		{Operation{Method: "PUT", Path: "/v1/oauth-clients/{id}", ID: "replaceOAuthClient", Tag: "oauth-clients", Summary: "Replace an OAuth client",
			Description: "Replaces every writable field (an omitted one takes its default; organization_id cannot change). Writes oauth_client.updated. A public client made confidential gets a secret, returned once as client_secret; a confidential client made public loses its secret.",
			Params:      []openapi.Param{clientRef, ifMatch, prefer}, Body: jsonAndXML(typeOf[roster.OAuthClientInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, client, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"keys:write"}}, s.replaceOAuthClient},
		{Operation{Method: "PATCH", Path: "/v1/oauth-clients/{id}", ID: "patchOAuthClient", Tag: "oauth-clients", Summary: "Change some fields of an OAuth client",
			Description: "A JSON Merge Patch or JSON Patch applied to the client as GET returns it (null resets a field to its default). Writes oauth_client.updated; a public client made confidential gets a secret, returned once as client_secret.",
			Params:      []openapi.Param{clientRef, ifMatch, prefer}, Body: patchBodies(typeOf[roster.OAuthClientInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(200, client, "ETag"), {Status: 204, Description: "Changed (Prefer: return=minimal)"}}, errs(writeErrs...)...),
			Scopes:    []string{"keys:write"}}, s.patchOAuthClient},
		{Operation{Method: "POST", Path: "/v1/oauth-clients/{id}/rotate-secret", ID: "rotateOAuthClientSecret", Tag: "oauth-clients", Summary: "Give an OAuth client a new secret",
			Description: "The new secret is returned once, as client_secret; the old one stops working at once (tokens already issued run until they expire: delete the client to revoke them). Writes oauth_client.secret_rotated. 409 for a public client, which has no secret.",
			Params:      []openapi.Param{clientRef, ifMatch},
			Responses:   append([]openapi.Response{ok(200, client, "ETag")}, errs(403, 404, 409, 412)...),
			Scopes:      []string{"keys:write"}}, s.rotateOAuthClientSecret},
		{Operation{Method: "DELETE", Path: "/v1/oauth-clients/{id}", ID: "deleteOAuthClient", Tag: "oauth-clients", Summary: "Delete an OAuth client",
			Params:    []openapi.Param{clientRef, ifMatch},
			Responses: append([]openapi.Response{{Status: 204, Description: "Deleted; its tokens stop working at once"}}, errs(403, 404, 412, 428)...), Scopes: []string{"keys:write"}}, s.deleteOAuthClient},
	}
}

// Health is the body of the health answers.
type Health struct {
	XMLName struct{}           `json:"-" xml:"health"`
	Status  string             `json:"status" enum:"ok,unavailable"`
	Checks  *service.Readiness `json:"checks,omitempty" doc:"readyz: each dependency, ok or what is wrong with it."`
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	s.respond(w, r, http.StatusOK, "health", Health{Status: "ok"})
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ready, err := s.Service.Ready(r.Context())
	if !ready.OK() {
		s.Log.WarnContext(r.Context(), "not ready", "request_id", state(r).id, "checks", ready, "error", err)
		var down []string
		for _, c := range []struct{ name, state string }{{"database", ready.Database}, {"migrations", ready.Migrations}, {"secret key", ready.SecretKey}} {
			if c.state != "ok" && c.state != "unknown" {
				down = append(down, c.name+": "+c.state)
			}
		}
		s.writeError(w, r, roster.Errorf(roster.CodeUnavailable, "not ready: %s", strings.Join(down, "; ")))
		return
	}
	s.respond(w, r, http.StatusOK, "health", Health{Status: "ok", Checks: &ready})
}
