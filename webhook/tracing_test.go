// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rosterhq/roster"
)

// TestSendTraced: with tracing on, each send is a span that names the
// webhook, the event and the receiver's host and status, never the URL's
// query (it may hold the receiver's token); the receiver gets the span's
// W3C traceparent. Without tracing it gets none.
func TestSendTraced(t *testing.T) {
	var got []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Traceparent"))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer rcv.Close()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	w := &roster.Webhook{ID: "whk_1", URL: rcv.URL + "/hook?token=secret-token", Method: http.MethodPost}
	sec := &roster.WebhookSecrets{Signing: []roster.SigningSecret{{Secret: roster.NewSigningSecret()}}}
	e := &roster.Event{ID: "evt_1", Type: "user.updated"}
	a := New(Config{Timeout: 2 * time.Second, AllowPrivate: true, Tracing: tp}).Send(context.Background(), w, sec, e)
	if a.StatusCode != http.StatusAccepted {
		t.Fatalf("Send: %+v", a)
	}
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "webhook.send" {
		t.Fatalf("spans: %v, want one webhook.send", spans)
	}
	sp := spans[0]
	attrs := map[string]string{}
	for _, kv := range sp.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
		if strings.Contains(kv.Value.String(), "secret-token") || strings.Contains(kv.Value.String(), "/hook") {
			t.Errorf("attribute %s holds the URL's path or query: %s", kv.Key, kv.Value.String())
		}
	}
	if attrs["roster.webhook.id"] != "whk_1" || attrs["roster.event.type"] != "user.updated" || attrs["http.response.status_code"] != "202" || attrs["server.address"] != "127.0.0.1" {
		t.Errorf("attributes %v", attrs)
	}
	want := "00-" + sp.SpanContext().TraceID().String() + "-" + sp.SpanContext().SpanID().String() + "-01"
	if len(got) != 1 || got[0] != want {
		t.Errorf("the receiver got traceparent %q, want %q", got, want)
	}
	New(Config{Timeout: 2 * time.Second, AllowPrivate: true}).Send(context.Background(), w, sec, e)
	if len(got) != 2 || got[1] != "" {
		t.Errorf("without tracing the receiver got traceparent %q, want none", got[1:])
	}
}
