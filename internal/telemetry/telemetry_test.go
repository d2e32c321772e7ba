// SPDX-License-Identifier: Apache-2.0

package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rosterhq/roster"
)

// TestStartWithoutTracing: without a recording span in the context, Start
// gives the context back as it is, and allocates nothing.
func TestStartWithoutTracing(t *testing.T) {
	ctx := context.Background()
	if got, span := Start(ctx, "x"); got != ctx || span.IsRecording() {
		t.Errorf("Start without tracing made a span")
	}
	if n := testing.AllocsPerRun(100, func() {
		_, span := Start(ctx, "x")
		End(span, nil)
	}); n != 0 {
		t.Errorf("Start and End without tracing allocate %v times", n)
	}
}

// TestStartChild: under a recording span, Start makes a child with the
// parent's provider; End marks the server's failures, and notes a
// refusal's code without marking it.
func TestStartChild(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
	_, failed := Start(ctx, "failed")
	End(failed, context.Canceled)
	_, refused := Start(ctx, "refused")
	End(refused, roster.Errorf(roster.CodeNotFound, "no such user"))
	parent.End()
	spans := rec.Ended()
	if len(spans) != 3 || spans[0].Name() != "failed" || spans[0].Parent().SpanID() != parent.SpanContext().SpanID() ||
		spans[0].Status().Code != codes.Error || spans[0].Status().Description != context.Canceled.Error() {
		t.Fatalf("spans %v", spans)
	}
	if st, attrs := spans[1].Status(), spans[1].Attributes(); st.Code == codes.Error || len(attrs) != 1 || attrs[0].Value.AsString() != string(roster.CodeNotFound) {
		t.Errorf("a refusal's span: status %v, attributes %v", st, attrs)
	}
}

// TestLogHandler: a record logged with a span's context carries its
// trace id; one without, none.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewTextHandler(&buf, nil))).With("a", 1)
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	log.InfoContext(ctx, "in")
	log.Info("out")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if want := "trace_id=" + span.SpanContext().TraceID().String(); len(lines) != 2 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], "a=1") || strings.Contains(lines[1], "trace_id") {
		t.Errorf("lines %q, want the first with %s", lines, want)
	}
}
