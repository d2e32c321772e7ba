// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// untraced are the paths that get no span: probes and scrapes, which come
// every few seconds and say nothing about the API's work.
var untraced = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// traced puts otelhttp around the server when tracing is on: one span per
// request, a child of the caller's when it sends a W3C traceparent (a
// proxy or gateway that traces). The span is named by the method until
// ServeHTTP knows the route, then by the route's pattern (nameRequestSpan):
// never by the raw path, which holds ids.
func (s *server) traced() http.Handler {
	if s.Tracing == nil {
		return s
	}
	return otelhttp.NewHandler(s, "roster",
		otelhttp.WithTracerProvider(s.Tracing),
		otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithFilter(func(r *http.Request) bool { return !untraced[r.URL.Path] }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
}

// tagRequestSpan gives the request's span its request id (X-Request-Id),
// which the access log and events carry too.
func tagRequestSpan(ctx context.Context, id string) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("roster.request_id", id))
	}
}

// nameRequestSpan names the request's span by the route that serves it,
// e.g. "PATCH /v1/users/{id}".
func nameRequestSpan(ctx context.Context, pattern string) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetName(pattern)
		span.SetAttributes(attribute.String("http.route", pattern))
	}
}
