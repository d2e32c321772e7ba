// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"strings"
	"testing"
)

// corsCall sends a request with an Origin straight to the server (not
// through Prism, whose proxy answers CORS itself); preflight sends it as
// a browser's preflight of method.
func corsCall(t *testing.T, s *testServer, method, path, origin string, preflight bool) *response {
	t.Helper()
	direct := &testServer{t: t, URL: "http://" + s.Main.Addr(), Main: s.Main}
	headers := []string{"Origin", origin, "Content-Type", "application/x-www-form-urlencoded"}
	if preflight {
		headers = []string{"Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", "authorization,content-type"}
		method = http.MethodOptions
	}
	var body any
	if method == http.MethodPost {
		body = "token=x"
	}
	return direct.doAs("", method, path, body, headers...)
}

// wantCORS checks a response's CORS headers: allow is the expected
// Access-Control-Allow-Origin ("" for none).
func wantCORS(t *testing.T, what string, r *response, allow string, varies bool) {
	t.Helper()
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != allow {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", what, got, allow)
	}
	if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("%s: Access-Control-Allow-Credentials %q: tokens are no cookies", what, got)
	}
	if got := strings.Join(r.Header.Values("Vary"), ","); strings.Contains(got, "Origin") != varies {
		t.Errorf("%s: Vary %q, Origin in it: %v", what, got, varies)
	}
}

// TestCORSForBrowserApps: discovery and the JWKS answer any origin; the
// token, revocation and userinfo endpoints answer the origins of the
// clients' redirect URIs only, preflights included, and a client
// registered or removed changes that at once.
func TestCORSForBrowserApps(t *testing.T) {
	s := startServer(t)
	s.newApp(t, map[string]any{"type": "public", "redirect_uris": []string{"https://spa.example/cb", "com.example.app:/cb"}})
	const spa, evil, late = "https://spa.example", "https://evil.example", "http://localhost:5173"

	for _, path := range []string{"/.well-known/openid-configuration", "/oauth2/jwks"} {
		wantCORS(t, path, corsCall(t, s, "GET", path, evil, false).want(200), "*", false)
		pre := corsCall(t, s, "GET", path, evil, true).want(204)
		wantCORS(t, path+" preflight", pre, "*", false)
	}
	for _, ep := range []struct{ method, path string }{{"POST", "/v1/auth/token"}, {"POST", "/v1/auth/revoke"}, {"GET", "/oauth2/userinfo"}, {"POST", "/oauth2/userinfo"}} {
		what := ep.method + " " + ep.path
		pre := corsCall(t, s, ep.method, ep.path, spa, true).want(204)
		wantCORS(t, what+" preflight from a client's origin", pre, spa, true)
		if m, h := pre.Header.Get("Access-Control-Allow-Methods"), pre.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(m, ep.method) || h != "Authorization, Content-Type" {
			t.Errorf("%s preflight: methods %q, headers %q", what, m, h)
		}
		// The answer itself, an error here, is readable by the app's
		// script; another origin's script gets no CORS headers.
		wantCORS(t, what+" from a client's origin", corsCall(t, s, ep.method, ep.path, spa, false), spa, true)
		wantCORS(t, what+" from another origin", corsCall(t, s, ep.method, ep.path, evil, false), "", true)
		pre = corsCall(t, s, ep.method, ep.path, evil, true)
		wantCORS(t, what+" preflight from another origin", pre, "", true)
		if pre.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("%s: another origin's preflight allowed methods", what)
		}
	}
	// Default ports and case do not matter; a native app's scheme is no
	// web origin.
	wantCORS(t, "default port", corsCall(t, s, "POST", "/v1/auth/token", "https://SPA.example:443", true), "https://SPA.example:443", true)
	wantCORS(t, "custom scheme", corsCall(t, s, "POST", "/v1/auth/token", "com.example.app:", true), "", true)

	// A client registered meanwhile counts at once; removed, it stops.
	wantCORS(t, "before the client", corsCall(t, s, "POST", "/v1/auth/token", late, true), "", true)
	app := s.newApp(t, map[string]any{"type": "public", "redirect_uris": []string{late + "/callback"}})
	wantCORS(t, "a new client", corsCall(t, s, "POST", "/v1/auth/token", late, true), late, true)
	s.do("DELETE", "/v1/oauth-clients/"+app.ID, nil).want(204)
	wantCORS(t, "a removed client", corsCall(t, s, "POST", "/v1/auth/token", late, true), "", true)

	// Other routes have no CORS.
	if r := corsCall(t, s, "GET", "/v1/users", spa, false); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("/v1/users answered CORS")
	}
}
