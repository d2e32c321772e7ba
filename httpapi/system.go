// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rosterhq/roster/openapi"
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
			"Every answer is JSON or XML (Accept, ?format= or a .json/.xml suffix); errors are RFC 9457 problem documents.",
	}, ops)
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
