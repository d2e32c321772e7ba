// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"net/http"
)

// CORS for the OpenID endpoints that browser apps (public clients, SPAs)
// call from script. Discovery and the JWKS are public documents that any
// origin may read. The token, revocation and userinfo endpoints answer
// only the web origins of the OAuth clients (the origins of their
// redirect URIs, service.WebOrigin): an unknown origin gets no CORS
// headers, so the browser keeps the answer from its script. No
// credentials are allowed: tokens travel in forms and bearer headers,
// never in cookies.

// corsRoute is how one path answers across origins.
type corsRoute struct {
	anyOrigin bool   // a public document
	methods   string // Access-Control-Allow-Methods
}

var corsRoutes = map[string]corsRoute{
	"/.well-known/openid-configuration": {anyOrigin: true, methods: "GET"},
	"/oauth2/jwks":                      {anyOrigin: true, methods: "GET"},
	"/v1/auth/token":                    {methods: "POST"},
	"/v1/auth/revoke":                   {methods: "POST"},
	"/oauth2/userinfo":                  {methods: "GET, POST"},
}

// Headers of CORS answers: what script may send (no DPoP: Roster does not
// take DPoP proofs) and read (the bearer errors' challenge, the limits'
// Retry-After), and how long a browser keeps a preflight's answer.
const (
	corsAllowHeaders  = "Authorization, Content-Type"
	corsExposeHeaders = "WWW-Authenticate, Retry-After, X-Request-Id"
	corsMaxAge        = "600"
)

// cors adds the CORS headers of a request to one of corsRoutes, and
// answers its preflight (true: answered). Errors get the headers too, so
// that script can read why it was refused.
func (s *server) cors(w http.ResponseWriter, r *http.Request) bool {
	rt, ok := corsRoutes[r.URL.Path]
	if !ok {
		return false
	}
	origin := r.Header.Get("Origin")
	allow := s.allowedOrigin(r, rt, origin)
	h := w.Header()
	if !rt.anyOrigin {
		h.Add("Vary", "Origin") // the answer depends on it: caches keep one per origin
	}
	if allow != "" {
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	}
	if r.Method != http.MethodOptions || origin == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	if allow != "" {
		h.Set("Access-Control-Allow-Methods", rt.methods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAge)
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// allowedOrigin returns the Access-Control-Allow-Origin of a request to
// rt: "*" for a public document, the origin itself when it is an OAuth
// client's web origin, else "" (none). A store failure allows nothing:
// the browser sees a refusal, the log says why.
func (s *server) allowedOrigin(r *http.Request, rt corsRoute, origin string) string {
	switch {
	case rt.anyOrigin:
		return "*"
	case origin == "":
		return ""
	}
	ok, err := s.Service.WebOrigin(r.Context(), origin)
	if err != nil {
		s.Log.Error("reading the OAuth clients' web origins", "error", err, "request_id", state(r).id)
	}
	if !ok {
		return ""
	}
	return origin
}
