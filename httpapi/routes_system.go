// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

// systemRoutes are health, metrics and the API's own description (system.go, metrics.go).
func (s *server) systemRoutes() []route {
	return []route{
		{Operation{Method: "GET", Path: "/healthz", ID: "healthz", Tag: "system", Summary: "Liveness", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[Health]())}, errs(400, 406)...)}, s.healthz},
		{Operation{Method: "GET", Path: "/readyz", ID: "readyz", Tag: "system", Summary: "Readiness: the database answers and is migrated", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[Health]())}, errs(400, 406, 503)...)}, s.readyz},
		{Operation{Method: "GET", Path: "/metrics", MediaType: openapi.OwnMedia, ID: "metrics", Tag: "system", Summary: "Prometheus metrics", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[openapi.PlainText]())}, errs(400, 406)...)}, s.serveMetrics},
		{Operation{Method: "GET", Path: "/openapi.json", ID: "openapi", Tag: "system", Summary: "This OpenAPI document", Public: true, JSONOnly: true,
			Responses: append([]openapi.Response{ok(200, typeOf[map[string]any]())}, errs(400, 406)...)}, s.openapi},
		{Operation{Method: "GET", Path: "/docs", MediaType: openapi.OwnMedia, ID: "docs", Tag: "system", Summary: "The API reference, rendered", Public: true,
			Responses: append([]openapi.Response{ok(200, typeOf[openapi.HTML]())}, errs(400, 406)...)}, s.docs},
	}
}

// consoleRoutes are the console (PRODUCT.md section 10): console.go.
func (s *server) consoleRoutes() []route {
	return []route{
		{Operation{Method: "GET", Path: "/console", MediaType: openapi.Page, ID: "consoleRoot", Tag: "system", Summary: "The console: on to /console/", Public: true,
			Responses: []openapi.Response{{Status: 302, Description: "To /console/", Headers: []string{"Location"}}}}, s.consoleRoot},
		{Operation{Method: "GET", Path: "/console/signin", MediaType: openapi.Page, ID: "consoleSignIn", Tag: "system", Summary: "The console's sign-in: on to the authorization endpoint", Public: true,
			Description: "Makes sure the console's client (" + service.ConsoleClientID + ": first-party, public, redirect URI {public-url}/console/callback) exists as the console needs it, then redirects to /oauth2/authorize with the same query. A public URL that is http to a host other than loopback cannot take the console's callback: 503.",
			Params:      authorizeParams,
			Responses:   pageResponses(302, 500, 503)}, s.consoleSignIn},
		{Operation{Method: "GET", Path: "/console/{asset...}", MediaType: openapi.Page, ID: "console", Tag: "system", Summary: "The console, the web interface for operators and organisation admins", Public: true,
			Description: "The page (at /console/ and its sign-in callback /console/callback) and its scripts and styles. It signs in with the authorization code flow and PKCE as the first-party public client " + service.ConsoleClientID + " and calls only this API with its user's token.",
			Params:      []openapi.Param{pathParam("asset", "A file of the console; empty for the page.")},
			Responses:   append([]openapi.Response{ok(200, typeOf[openapi.HTML]())}, errs(404)...)}, s.console},
	}
}
