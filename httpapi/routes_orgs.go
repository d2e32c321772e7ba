// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
)

// orgRoutes are the organisations, their members and settings schemas (orgs.go).
func (s *server) orgRoutes() []route {
	org, orgs := typeOf[OrgResource](), typeOf[OrgList]()
	return []route{
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
	}
}
