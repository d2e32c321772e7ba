// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
)

// oauthClientRoutes are the OAuth clients, the product's apps (oauthclient.go).
func (s *server) oauthClientRoutes() []route {
	client := typeOf[OAuthClientResource]()
	return []route{
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
