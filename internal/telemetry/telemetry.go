// SPDX-License-Identifier: Apache-2.0

// Package telemetry holds what the packages that trace share: starting a
// child span of the request's, and the trace id in log lines. It uses the
// OpenTelemetry API only; cmd/roster sets up the SDK and its exporter
// (--otel-endpoint), and without it every function here does nothing.
package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/rosterhq/roster"
)

// Scope is the instrumentation scope of Roster's own spans.
const Scope = "github.com/rosterhq/roster"

// Start starts a span named name as a child of the span in ctx, with that
// span's tracer provider. Without a recording span in ctx (tracing off,
// or a trace not sampled) it returns ctx and that span as they are: no
// allocation on the hot paths that call it (every store transaction).
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, opts...)
}

// End ends span. An error that is the server's (roster.CodeInternal: the
// database's, a panic, a cancellation) marks it failed; a refusal (not
// found, a precondition, a conflict) is the request's outcome, not a
// failure, and is only noted with its code.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		if code := roster.ErrorCode(err); code == roster.CodeInternal {
			span.SetStatus(codes.Error, err.Error())
		} else {
			span.SetAttributes(attribute.String("roster.error_code", string(code)))
		}
	}
	span.End()
}

// LogHandler adds the trace id (trace_id) of the span in a record's
// context to every record logged with one (InfoContext and the like), so
// that a request's log lines and its trace find each other.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }
