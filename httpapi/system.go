// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	_ "embed"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/openapi"
	"github.com/rosterhq/roster/service"
)

//go:embed docs.html
var docsPage []byte

func buildDocument(version string, routes []route) ([]byte, error) {
	ops := make([]openapi.Operation, len(routes))
	for i, rt := range routes {
		ops[i] = rt.op
	}
	return openapi.Build(openapi.Info{
		Title:   "Roster API",
		Version: version,
		Description: "Roster holds the accounts behind a SaaS product: users, organisations and resellers, roles and tokens. " +
			"Every answer is JSON (described here) or XML (`?format=xml`, a `.xml` suffix on the path or `Accept: application/xml`); " +
			"errors are RFC 9457 problem documents. A PATCH takes a JSON Merge Patch (the *Patch schemas: every field optional, null resets it) or a JSON Patch.\n\n" +
			"**Input limits.** A request body is at most 1 MiB (413) and must arrive within the server's body read timeout, 15 s by default (408). " +
			"JSON and XML bodies may nest arrays, objects and elements at most " + strconv.Itoa(roster.MaxDepth) + " levels deep (400, naming the limit). " +
			"Numbers must fit a 64-bit float (at most about ±1.8e308), and text holds no control characters other than tab and line breaks (names and other one-line fields: none) (422, naming the field). " +
			"A settings schema is at most 64 KiB (422). A problem lists at most 100 field errors and says how many there are. " +
			"A JSON Patch holds at most 1000 operations (400), and its operations times the size of the resource may be at most " + strconv.Itoa(roster.MaxPatchWork>>20) + " MiB (413); " +
			"array indexes are written as RFC 6901 says: `0`, or digits without a leading zero or sign (409 otherwise). " +
			"Headers are at most " + strconv.Itoa(MaxHeaderBytes>>10) + " KiB (431).",
		TokenURL: "/v1/auth/token",
		Webhooks: webhookDocs,
		Scopes:   scopeDocs,
		XML: "as XML (`?format=xml`, a `.xml` suffix on the path, or `Accept: application/xml`) an answer is the same document: " +
			"the root element is the resource's name (`user`, `organization`, `webhook`; a list is `list`), child elements carry the JSON field names, " +
			"an array's elements are `item` elements inside the field's element, null fields are left out, and errors are `application/problem+xml`.",
	}, ops)
}

// scopeDocs describes the scopes of API keys and OAuth 2.0 tokens.
var scopeDocs = []openapi.Scope{
	{Name: roster.ScopeUsersRead, Description: "Read the users the caller may see."},
	{Name: roster.ScopeUsersWriteSelf, Description: "Change the caller's own profile."},
	{Name: roster.ScopeUsersWriteMembers, Description: "Change the profiles of users the caller manages (includes users:write:self)."},
	{Name: roster.ScopeUsersWriteAll, Description: "Create, change and delete the users the caller administers (includes users:write:members)."},
	{Name: roster.ScopeOrgsRead, Description: "Read organisations, their members and settings schemas."},
	{Name: roster.ScopeOrgsWrite, Description: "Create, change and delete organisations; credit; settings schemas."},
	{Name: roster.ScopeKeysWrite, Description: "Create and revoke API keys and OAuth service clients."},
	{Name: roster.ScopeWebhooksRead, Description: "Read webhooks and their delivery logs."},
	{Name: roster.ScopeWebhooksWrite, Description: "Create, change and delete webhooks; redeliver; rotate secrets."},
	{Name: roster.ScopeEventsRead, Description: "Read the change feed."},
	{Name: roster.ScopeAuditRead, Description: "Read the audit log."},
	{Name: roster.ScopeSCIM, Description: "Provision users and groups through /scim/v2 (RFC 7644) as an admin of the token's organisation; no /v1 operation."},
}

// Document returns the OpenAPI document of a server built with cfg.
func Document(version string) ([]byte, error) {
	s := &server{Config: Config{Version: version}}
	return buildDocument(version, s.routeTable())
}

func (s *server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.doc)
}

func (s *server) docs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	w.Write(docsPage)
}

func (s *server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	var g prometheus.Gatherer = prometheus.DefaultGatherer
	if s.Registry != nil {
		g = s.Registry
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{}).ServeHTTP(w, r)
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
