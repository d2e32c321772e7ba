// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

// apiKeyRoutes are the API keys (auth.go).
func (s *server) apiKeyRoutes() []route {
	return []route{
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
	}
}
