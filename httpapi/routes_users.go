// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

// userRoutes are the users: create, import, list, export, read, change, delete and tag them
// (users.go, import.go, export.go).
func (s *server) userRoutes() []route {
	user, users := typeOf[UserResource](), typeOf[UserList]()
	return []route{
		{Operation{Method: "POST", Path: "/v1/users", ID: "createUser", Tag: "users", Summary: "Create a user",
			Params: []openapi.Param{idemKey, prefer}, Body: jsonAndXML(typeOf[roster.UserInput]()), BodyRequired: true,
			Responses: append([]openapi.Response{ok(201, user, "ETag", "Location"), createdMinimal}, errs(400, 403, 409, 413, 415, 422)...),
			Scopes:    []string{"users:write:all"}}, s.createUser},
		{Operation{Method: "POST", Path: "/v1/users/import", MediaType: openapi.Stream, ID: "importUsers", Tag: "users", Summary: "Import users (NDJSON)",
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
		{Operation{Method: "GET", Path: "/v1/users/export", MediaType: openapi.Stream, ID: "exportUsers", Tag: "users", Summary: "Export users as NDJSON",
			Description: "Every user the caller may see (as GET /v1/users), one JSON document per line in the API's form without _links, oldest first, all read from one consistent snapshot and streamed as read. An export that fails half-way ends with the connection cut (an unterminated body), never as a shorter whole. With organization_id, only that organisation's subtree (of what the caller may see).",
			Params:      []openapi.Param{queryParam("organization_id", "Only users of this organisation and its descendants.", tString)},
			Responses:   append([]openapi.Response{ok(200, typeOf[openapi.NDJSON]())}, errs(readErrs...)...), Scopes: []string{"users:read"}}, s.exportUsers},
		{Operation{Method: "GET", Path: "/v1/users/{id}", ID: "getUser", Tag: "users", Summary: "Get a user",
			Params:      []openapi.Param{userRef, ifNone},
			Description: "A key with users:write:self alone reads its own user.",
			Responses:   append([]openapi.Response{ok(200, user, "ETag"), {Status: 304, Description: "Not modified"}}, errs(readErrs...)...),
			Scopes:      []string{"users:read", "users:write:self"}}, s.getUser},
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
	}
}
