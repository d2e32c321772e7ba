// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

// sessionRoutes are browser sessions and reseller SSO (PRODUCT.md section 9): sessions.go, sso.go.
func (s *server) sessionRoutes() []route {
	return []route{
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
	}
}
