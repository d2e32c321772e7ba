// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"net/http"
	"net/url"

	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/telemetry"
)

// Sends are traced by hand rather than through otelhttp: the client is
// fasthttp's, and otelhttp would record the whole URL (url.full), whose
// query may hold the receiver's token. A send's span holds the webhook's
// and the event's ids, the receiver's host and its status; never the
// URL's path or query, a header or the body.

func tracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(telemetry.Scope)
}

// startSpan starts the span of one send: a child of the span in ctx (a
// test delivery asked for by a request), else the root of its own trace
// (the delivery workers).
func (s *Sender) startSpan(ctx context.Context, w *roster.Webhook, e *roster.Event) (context.Context, trace.Span) {
	ctx, span := s.tracer.Start(ctx, "webhook.send", trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		host := ""
		if u, err := url.Parse(w.URL); err == nil {
			host = u.Hostname()
		}
		span.SetAttributes(attribute.String("roster.webhook.id", w.ID), attribute.String("roster.event.id", e.ID),
			attribute.String("roster.event.type", e.Type), attribute.String("http.request.method", w.Method),
			attribute.String("server.address", host))
	}
	return ctx, span
}

// endSpan ends a send's span with the receiver's answer, or the reason
// there was none (which names no secret: see describe).
func endSpan(span trace.Span, a roster.Attempt) {
	if span.IsRecording() {
		if a.StatusCode != 0 {
			span.SetAttributes(attribute.Int("http.response.status_code", a.StatusCode))
		}
		switch {
		case a.Error != "":
			span.SetStatus(codes.Error, a.Error)
		case !a.Succeeded():
			span.SetStatus(codes.Error, "the receiver answered "+http.StatusText(a.StatusCode))
		}
	}
	span.End()
}

// traceParent sends the send's trace context (W3C traceparent) to the
// receiver, so that its own traces can join Roster's. It carries random
// ids and the sampling flag, nothing about the event.
func traceParent(ctx context.Context, h *fasthttp.RequestHeader) {
	propagation.TraceContext{}.Inject(ctx, headerCarrier{h})
}

// headerCarrier lets a propagator write fasthttp's request headers.
type headerCarrier struct{ h *fasthttp.RequestHeader }

func (c headerCarrier) Get(key string) string { return string(c.h.Peek(key)) }
func (c headerCarrier) Set(key, value string) { c.h.Set(key, value) }
func (c headerCarrier) Keys() []string {
	var keys []string
	for k := range c.h.All() {
		keys = append(keys, string(k))
	}
	return keys
}
