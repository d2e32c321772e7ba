// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"reflect"
	"slices"
	"time"

	"github.com/rosterhq/roster/openapi"
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

// Status codes that most operations share.
var (
	readErrs  = []int{400, 404, 406}
	writeErrs = []int{400, 403, 404, 409, 412, 413, 415, 422, 428}
)

// routeTable is every route, assembled from the resources' declarations
// (routes_*.go). Their order is the OpenAPI document's.
func (s *server) routeTable() []route {
	return slices.Concat(
		s.userRoutes(),
		s.orgRoutes(),
		s.apiKeyRoutes(),
		s.eventRoutes(),
		s.webhookRoutes(),
		s.systemRoutes(),
		s.consoleRoutes(),
		s.signInRoutes(),
		s.accountSecurityRoutes(),
		s.sessionRoutes(),
		s.oauthClientRoutes(),
	)
}
